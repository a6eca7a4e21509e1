/**
 * A bench script's command line, read by `node:util` parseArgs: an unknown option, or one given
 * without its value, is refused with parseArgs's own message (a typo is told, not ignored), and
 * `number` reads a numeric option, refusing what is not a number.
 * @example const { values, number } = benchArgs(argv, { json: { type: 'string' }, articles: { type: 'string', default: '200' } });
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export function benchArgs<const O extends Options>(argv: string[], options: O) {
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  /** The option's value (given, or its default) as a number. */
  const number = (name: keyof O & string): number => {
    const raw = (values as Record<string, unknown>)[name];
    const n = Number(raw);
    if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n)) throw new Error(`bench: --${name} must be a number, not ${JSON.stringify(raw)}`);
    return n;
  };
  return { values, positionals, number };
}
