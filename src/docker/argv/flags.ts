// Flags read as the docker CLI reads them (spf13/pflag): `--name value`, `--name=value`, `-n
// value`, `-nvalue`, `-n=value`, boolean shorthands combined (`-itd`), `--flag=false`, and the
// first argument that is not a flag ends the flags (docker's commands do not intersperse).

export class ArgvError extends Error {}

export type FlagKind = 'bool' | 'string' | 'list';

export interface FlagSpec {
  /** Long name without dashes. */
  name: string;
  short?: string;
  kind: FlagKind;
}

export interface ParsedFlags {
  /** Long name → every value given, in order ("true"/"false" for booleans). */
  values: Map<string, string[]>;
  /** The argument words after the flags. */
  rest: string[];
  /** Long name → the argument words that gave it (for messages naming the offending argument). */
  words: Map<string, string[]>;
}

export function parseFlags(args: readonly string[], specs: readonly FlagSpec[], interspersed = false): ParsedFlags {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const values = new Map<string, string[]>();
  const words = new Map<string, string[]>();
  const rest: string[] = [];
  const put = (spec: FlagSpec, value: string, word: string) => {
    if (spec.kind === 'bool' && !/^(1|0|t|f|T|F|true|false|TRUE|FALSE|True|False)$/.test(value))
      throw new ArgvError(`invalid argument "${value}" for "--${spec.name}" flag`);
    const v = values.get(spec.name) ?? [];
    v.push(spec.kind === 'bool' ? String(/^(1|t|T|true|TRUE|True)$/.test(value)) : value);
    values.set(spec.name, v);
    const w = words.get(spec.name) ?? [];
    w.push(word);
    words.set(spec.name, w);
  };
  let i = 0;
  while (i < args.length) {
    const arg = args[i++] as string;
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw new ArgvError(`unknown flag: --${name}`);
      if (eq >= 0) put(spec, arg.slice(eq + 1), arg);
      else if (spec.kind === 'bool') put(spec, 'true', arg);
      else {
        if (i >= args.length) throw new ArgvError(`flag needs an argument: --${name}`);
        const value = args[i++] as string;
        put(spec, value, `${arg} ${value}`);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      let j = 1;
      while (j < arg.length) {
        const letter = arg[j] as string;
        const spec = byShort.get(letter);
        if (!spec) throw new ArgvError(`unknown shorthand flag: '${letter}' in ${arg}`);
        const tail = arg.slice(j + 1);
        if (spec.kind === 'bool') {
          if (tail.startsWith('=')) {
            put(spec, tail.slice(1), arg);
            break;
          }
          put(spec, 'true', arg);
          j++;
          continue;
        }
        if (tail.length > 0) put(spec, tail.startsWith('=') ? tail.slice(1) : tail, arg);
        else {
          if (i >= args.length) throw new ArgvError(`flag needs an argument: '${letter}' in ${arg}`);
          const value = args[i++] as string;
          put(spec, value, `${arg} ${value}`);
        }
        break;
      }
      continue;
    }
    if (interspersed) {
      rest.push(arg);
      continue;
    }
    rest.push(arg, ...args.slice(i));
    break;
  }
  return { values, rest, words };
}

export function last(p: ParsedFlags, name: string): string | undefined {
  const v = p.values.get(name);
  return v === undefined ? undefined : v[v.length - 1];
}

export function all(p: ParsedFlags, name: string): string[] {
  return p.values.get(name) ?? [];
}

export function isSet(p: ParsedFlags, name: string): boolean {
  return last(p, name) === 'true';
}

/** Sizes as go-units RAMInBytes reads them: binary multiples, `b` optional. */
export function ramInBytes(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new ArgvError(`invalid argument "${text}" for "--${flag}" flag: invalid size`);
  const unit = ((m[2] as string).toLowerCase() || ' ') as string;
  const mult = { ' ': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[unit] ?? 1;
  return Math.floor(Number(m[1]) * mult);
}

export function intOf(text: string, flag: string): number {
  if (!/^-?\d+$/.test(text.trim())) throw new ArgvError(`invalid argument "${text}" for "--${flag}" flag`);
  return Number(text.trim());
}
