/**
 * The list of sources: those in SOURCES_FILE (YAML or JSON) and those added through the API
 * (kept in the state store with the articles, so they survive a restart). A source's id comes from its url, so the
 * same url listed twice is one source and its state follows it across restarts and edits.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { emptyState, type SourceRecord, type StateStore } from './state.js';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `15m` → 900000. */
export const intervalMs = (interval: string) => Number(interval.slice(0, -1)) * UNIT_MS[interval.slice(-1) as keyof typeof UNIT_MS];

/** One source as a file or a request gives it; the boundary check for both. */
export const sourceInputSchema = z
  .object({
    url: z
      .string({ required_error: 'is required' })
      .trim()
      .url('must be an http(s) url')
      .max(4000)
      .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) url'),
    kind: z.enum(['feed', 'sitemap', 'page']).default('feed'),
    interval: z
      .string()
      .trim()
      .regex(/^\d{1,6}[smhd]$/, 'must be a number and a unit, such as 30m, 1h or 1d')
      .default('1h')
      .refine((i) => intervalMs(i) >= 10_000, 'must be at least 10s'),
    name: z.string().trim().min(1).max(200).optional(),
    filters: z
      .object({
        /** Keep entries whose title or url contains one of these words (case-insensitive). */
        include: z.array(z.string().min(1).max(200)).max(50).optional(),
        /** Drop entries whose title or url contains one of these. */
        exclude: z.array(z.string().min(1).max(200)).max(50).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type SourceInput = z.input<typeof sourceInputSchema>;
export type SourceDef = z.output<typeof sourceInputSchema> & { id: string };
export type Origin = 'file' | 'api';

/** Stable id of a source: a short hash of its url. */
export const sourceId = (url: string) => createHash('sha256').update(url.trim()).digest('hex').slice(0, 12);

const toDef = (input: unknown, where: string): SourceDef => {
  const r = sourceInputSchema.safeParse(input);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || 'source'}: ${i.message}`).join('; ');
    throw new AppError('bad_request', `${where}: ${msg}`);
  }
  return { ...r.data, id: sourceId(r.data.url) };
};

/** Reads SOURCES_FILE: a list of sources, or `{ sources: [...] }`, in YAML or JSON. */
export async function readSourcesFile(path: string): Promise<SourceDef[]> {
  let doc: unknown;
  try {
    const raw = await readFile(path, 'utf8');
    doc = /\.json$/i.test(path) ? JSON.parse(raw) : parseYaml(raw);
  } catch (e) {
    throw new AppError(
      'bad_config',
      `sources: SOURCES_FILE cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); it must be a YAML or JSON list of {url, kind, interval}`,
    );
  }
  const list = Array.isArray(doc) ? doc : (doc as { sources?: unknown } | null)?.sources;
  if (!Array.isArray(list)) throw new AppError('bad_config', 'sources: SOURCES_FILE must hold a list of sources (or {sources: [...]})');
  return list.map((s, i) => toDef(s, `sources: SOURCES_FILE entry ${i + 1}`));
}

export interface SourceEntry {
  def: SourceDef;
  origin: Origin;
  record: SourceRecord;
}

/**
 * File sources plus API sources, with their state; changes go to the state store at once. The
 * list is what this process last read: `refresh` reads what every process sharing the store has
 * committed (the routes and `syncDue` call it first).
 */
export async function createRegistry(deps: { states: StateStore; fileSources: SourceDef[] }) {
  const { states } = deps;
  let records = await states.load();
  const fromFile = new Map(deps.fileSources.map((d) => [d.id, d]));

  const entry = (id: string): SourceEntry | undefined => {
    const record = records.get(id) ?? { state: emptyState() };
    const def = fromFile.get(id) ?? record.def;
    return def ? { def, origin: fromFile.has(id) ? 'file' : 'api', record } : undefined;
  };
  const refresh = async () => {
    records = await states.load();
  };

  return {
    refresh,
    list: (): SourceEntry[] => [...new Set([...fromFile.keys(), ...records.keys()])].flatMap((id) => entry(id) ?? []),
    get: entry,
    /** Adds a source (or returns the one with that url, whichever process added it); `created` says which. */
    async add(input: unknown): Promise<{ entry: SourceEntry; created: boolean }> {
      const def = toDef(input, 'sources');
      if (fromFile.has(def.id)) return { entry: entry(def.id)!, created: false };
      const created = await states.create(def.id, { def, state: emptyState() });
      await refresh();
      return { entry: entry(def.id)!, created };
    },
    /** Removes an API source and its state; the articles it added stay. */
    async remove(id: string): Promise<void> {
      await refresh();
      const have = entry(id);
      if (!have) throw new AppError('not_found', `sources: no source with id "${id}"`);
      if (have.origin === 'file') throw new AppError('conflict', `sources: "${id}" is listed in SOURCES_FILE; remove it there and restart`);
      await states.remove(id);
      records.delete(id);
    },
    /** Saves a source's new state, unless the source was removed meanwhile (by any process). */
    async saveState(id: string, state: SourceRecord['state']): Promise<void> {
      const have = entry(id);
      if (!have) return;
      await states.saveState(id, state, have.origin === 'file');
      records.set(id, { ...(have.origin === 'api' ? { def: have.def } : {}), state });
    },
  };
}

export type Registry = Awaited<ReturnType<typeof createRegistry>>;
