/**
 * A PostgreSQL server for tests and evaluation without a database to hand: PGlite (Postgres
 * compiled to WebAssembly) with pgvector, served over the PostgreSQL wire protocol on a free
 * loopback port, so the ordinary `pg` driver reaches it exactly as it would a real server.
 *
 * @example
 *   const pg = await startPglite();
 *   const store = await PostgresStore.open(pg.url);
 *   ...
 *   await store.close(); await pg.stop();
 *
 * PGlite is one backend (one session). `@electric-sql/pglite-socket`'s server multiplexes several
 * connections onto it one protocol message at a time, which interleaves two clients' extended-
 * protocol queries (Parse/Bind/Execute/Sync): measured here, concurrent queries from two pools
 * failed with `unnamed prepared statement does not exist`. So this server multiplexes by whole
 * exchanges instead: a connection holds the backend from its first message until the Sync or
 * simple Query that ends the exchange, and for as long as it has a transaction block open. That
 * makes each connection behave like a session on a server that runs one transaction at a time
 * (serialisable by construction), which is all that tests of several replicas need. Session
 * state (SET, advisory locks) is shared by all connections, unlike a real server.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const SYNC = Uint8Array.from([0x53, 0, 0, 0, 4]); // 'S', length 4

export interface PgliteServer {
  /** postgres://postgres:postgres@127.0.0.1:<port>/postgres */
  url: string;
  stop(): Promise<void>;
}

/** One owner of the backend at a time; the others wait in arrival order. */
function createTurns() {
  let owner: number | null = null;
  const waiting: { id: number; go: () => void }[] = [];
  return {
    owns: (id: number) => owner === id,
    async take(id: number) {
      if (owner === id) return;
      if (owner === null) {
        owner = id;
        return;
      }
      await new Promise<void>((go) => waiting.push({ id, go }));
    },
    give(id: number) {
      if (owner !== id) return;
      const next = waiting.shift();
      owner = next ? next.id : null;
      next?.go();
    },
    drop(id: number) {
      const i = waiting.findIndex((w) => w.id === id);
      if (i >= 0) waiting.splice(i, 1);
    },
  };
}

/** Starts an in-memory PGlite with pgvector behind a wire-protocol server on a free port. */
export async function startPglite(options: { host?: string; port?: number } = {}): Promise<PgliteServer> {
  const db = await PGlite.create({ extensions: { vector } });
  const turns = createTurns();
  const sockets = new Set<Socket>();
  let nextId = 1;

  const run = (msg: Uint8Array, write: (data: Uint8Array) => void) => db.runExclusive(() => db.execProtocolRawStream(msg, { onRawData: write }));

  function serve(socket: Socket) {
    const id = nextId++;
    sockets.add(socket);
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let started = false;
    let busy = false;
    let closed = false;
    /** True while this connection is mid-exchange (sent messages but no Sync yet). */
    let open = false;
    const write = (data: Uint8Array) => {
      if (!closed && data.length && socket.writable) socket.write(data);
    };

    /** Next complete message, or undefined when more bytes are needed. */
    function nextMessage(): { type: string; bytes: Buffer } | undefined {
      if (!started) {
        if (buf.length < 8) return undefined;
        const len = buf.readInt32BE(0);
        if (buf.length < len) return undefined;
        const code = buf.readInt32BE(4);
        const bytes = buf.subarray(0, len);
        buf = buf.subarray(len);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) return { type: 'ssl', bytes };
        if (code === CANCEL_REQUEST) return { type: 'cancel', bytes };
        started = true;
        return { type: 'startup', bytes };
      }
      if (buf.length < 5) return undefined;
      const len = 1 + buf.readInt32BE(1);
      if (buf.length < len) return undefined;
      const bytes = buf.subarray(0, len);
      buf = buf.subarray(len);
      return { type: String.fromCharCode(bytes[0]), bytes };
    }

    async function pump() {
      if (busy) return;
      busy = true;
      try {
        for (let m = nextMessage(); m && !closed; m = nextMessage()) {
          if (m.type === 'ssl') {
            socket.write('N'); // no TLS here; the client goes on in plain text
            continue;
          }
          if (m.type === 'cancel') {
            socket.end(); // not supported, as in pglite-socket
            return;
          }
          if (m.type === 'X') {
            socket.end();
            return;
          }
          await turns.take(id);
          if (closed) break;
          open = true;
          await run(new Uint8Array(m.bytes), write);
          // An exchange ends with Sync or a simple Query; a transaction block keeps the backend.
          if (m.type === 'startup' || m.type === 'S' || m.type === 'Q') {
            open = false;
            if (!db.isInTransaction()) turns.give(id);
          }
        }
      } catch (e) {
        socket.destroy(e as Error);
      } finally {
        busy = false;
      }
    }

    socket.on('data', (data) => {
      buf = buf.length ? Buffer.concat([buf, data]) : data;
      void pump();
    });
    socket.on('error', () => undefined);
    socket.on('close', async () => {
      closed = true;
      sockets.delete(socket);
      turns.drop(id);
      if (!turns.owns(id)) return;
      // Whatever the client left half done must not hold up the others.
      while (busy) await new Promise((r) => setTimeout(r, 1));
      try {
        if (open) await run(SYNC, () => undefined);
        if (db.isInTransaction()) await db.exec('ROLLBACK');
      } finally {
        turns.give(id);
      }
    });
  }

  const server: Server = createServer(serve);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `postgres://postgres:postgres@${host}:${port}/postgres`,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    },
  };
}
