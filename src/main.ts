/**
 * The command line: `start` (default), `ingest [dir]`, `ask "question"`, `eval [file]`.
 * Reads the config once, wires the parts, and for `start` listens.
 */
import { loadConfig, loadDotEnv, type Config } from './config.js';
import { bootArchive } from './boot.js';
import { createApp } from './server/app.js';

const say = (line: string) => console.error(line);

async function start(config: Config) {
  const archive = await bootArchive(config, say);
  const app = createApp({ archive, config });
  const server = app.listen(config.port, config.host, () => {
    const counts = archive.store.counts();
    void counts.then((c) => say(`Archivist: ${c.articles} articles, ${c.chunks} chunks; serving http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`));
  });
  const stop = () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function ask(config: Config, question: string) {
  if (!question.trim()) throw new Error('ask: give a question, e.g. npm run ask -- "Who visited Beijing?"');
  const archive = await bootArchive(config, say);
  const r = await archive.ask({ question });
  console.log(r.answer);
  if (r.query !== question) console.log(`\n(searched for: ${r.query})`);
  for (const q of r.quotes) {
    console.log(`\n[${q.n}] ${q.title}${q.date ? ` (${q.date})` : ''}${q.url ? `\n    ${q.url}` : ''}\n    “${q.text}”`);
  }
  await archive.store.close();
}

async function main(argv: string[]) {
  loadDotEnv();
  const config = loadConfig(process.env);
  const [command = 'start', ...rest] = argv;
  switch (command) {
    case 'start':
      return start(config);
    case 'ingest': {
      const force = rest.includes('--rebuild');
      const dir = rest.find((a) => !a.startsWith('--')) ?? config.seedsDir;
      const archive = await bootArchive(config, say, { dir, force });
      return archive.store.close();
    }
    case 'ask':
      return ask(config, rest.join(' '));
    default:
      throw new Error(`main: unknown command "${command}"; must be one of start, ingest, ask`);
  }
}

main(process.argv.slice(2)).catch((e) => {
  say(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
