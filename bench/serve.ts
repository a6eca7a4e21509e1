/**
 * What the HTTP benches share: the real server (bench/load-server.ts) started in a child process
 * on a free loopback port, and a chat load on it (autocannon, POST /api/chat rotating over real
 * questions about the seed article).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export const QUESTIONS = [
  'Who is the Russian defense minister who visited Beijing?',
  'When did Belousov arrive in Beijing?',
  'Who did Belousov meet in Beijing?',
  'What did Dong Jun call for?',
  'Since when have Moscow and Beijing forged closer ties?',
  'What is the capital of France?',
];

export interface BenchServer {
  url: string;
  child: ChildProcess;
  /** Sends `type` to the server and waits for its reply of the same type. */
  request<T>(type: string, timeoutMs?: number): Promise<T>;
  /** The server's resident memory in MB, after a garbage collection. */
  rssMb(): Promise<number>;
  stop(): Promise<void>;
}

function reply<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench: no "${type}" from the server within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (msg: { type: string } & T) => {
      if (msg.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(msg);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`bench: the server exited (code ${code})`)));
  });
}

/**
 * Starts the real server with `env` over this process's environment (INDEX_DIR at least). A load
 * generator is one client sending thousands of requests a minute on purpose, so the rate limit
 * is lifted unless set. `nodeArgs` go to the server's node (e.g. `--cpu-prof`).
 */
export async function startServer(env: Record<string, string>, options: { nodeArgs?: string[]; bootTimeoutMs?: number } = {}): Promise<BenchServer> {
  const child = fork(fileURLToPath(new URL('./load-server.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx', '--expose-gc', ...(options.nodeArgs ?? [])],
    env: {
      ...process.env,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      RATE_LIMIT_PER_MINUTE: process.env.RATE_LIMIT_PER_MINUTE ?? '10000000',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port } = await reply<{ port: number }>(child, 'listening', options.bootTimeoutMs ?? 600_000);
  const request = <T>(type: string, timeoutMs = 120_000) => {
    const answer = reply<T>(child, type, timeoutMs);
    child.send({ type });
    return answer;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    request,
    rssMb: async () => (await request<{ rss: number }>('rss')).rss / 2 ** 20,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ type: 'stop' });
      await exited;
    },
  };
}

/** POST /api/chat from `connections` clients for `duration` seconds; `onResponse` sees each status and time. */
export function chatLoad(url: string, connections: number, duration: number, onResponse?: (status: number, ms: number) => void) {
  return new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration,
        timeout: 10,
        requests: QUESTIONS.map((question) => ({
          method: 'POST' as const,
          path: '/api/chat',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ question }),
        })),
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    if (onResponse) instance.on('response', (_client, status, _bytes, ms) => onResponse(status, ms));
  });
}
