// Argument parsing and dispatch only: each command's work lives in its own folder.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A usage error: printed as one line, exit code 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

interface Command {
  summary: string;
  options: Options;
  /** Positional arguments allowed (e.g. the query of `eval`). */
  positionals: boolean;
  run(values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

const str = { type: 'string' } as const;
const strs = { type: 'string', multiple: true } as const;
const flag = { type: 'boolean' } as const;

const commands: Record<string, Command> = {
  serve: {
    summary: 'socket proxy in front of dockerd',
    options: {
      listen: strs, upstream: str, policy: strs, data: strs, config: str,
      'decision-log': str, metrics: str, 'tls-cert': str, 'tls-key': str, 'tls-ca': str,
      'socket-mode': str, 'socket-group': str, 'insecure-tcp': flag, 'log-level': str, 'header-timeout': str,
    },
    positionals: false,
    run: async (v) => (await import('./enforce/proxy/serve.js')).runServe(v),
  },
  eval: {
    summary: 'evaluate a Rego query, like `opa eval`',
    options: { data: { type: 'string', short: 'd', multiple: true }, input: { type: 'string', short: 'i' }, format: str, 'v0-compatible': flag },
    positionals: true,
    run: async (v, p) => (await import('./rego/cli/eval.js')).runEval(v, p),
  },
  test: {
    summary: 'run Rego test_ rules, like `opa test`',
    options: { 'v0-compatible': flag, verbose: { type: 'boolean', short: 'v' } },
    positionals: true,
    run: async (v, p) => (await import('./rego/cli/test.js')).runTest(v, p),
  },
  bench: {
    summary: 'benchmark a Rego query, like `opa bench`',
    options: { data: { type: 'string', short: 'd', multiple: true }, input: { type: 'string', short: 'i' }, count: str, format: str, 'v0-compatible': flag },
    positionals: true,
    run: async (v, p) => (await import('./rego/cli/bench.js')).runBench(v, p),
  },
  policy: {
    summary: 'the built-in policy pack: list | explain RULE | export [--out DIR]',
    options: { out: str },
    positionals: true,
    run: async (v, p) => (await import('./policy/commands.js')).runPolicy(v, p),
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `usage: dockgate COMMAND [flags]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<void> {
  // `dockgate policy list | head`: a reader that stops early is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  // `dockgate serve 2>&1 | tee ...` whose tee has gone: a server keeps serving, and what it
  // says on stderr from then on is dropped (its request log is written elsewhere, or dropped too).
  process.stderr.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(usage());
    process.exitCode = name ? 0 : 2;
    return;
  }
  const command = commands[name];
  if (!command) {
    fail(`unknown command "${name}" (try: dockgate --help)`);
    return;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: command.options, allowPositionals: command.positionals, strict: true });
  } catch (err) {
    fail(`${name}: ${(err as Error).message}`);
    return;
  }
  try {
    process.exitCode = await command.run(parsed.values as Record<string, unknown>, parsed.positionals);
  } catch (err) {
    // Commands report their own expected failures; anything reaching here is still one line, never a trace.
    fail(`${name}: ${(err as Error)?.message ?? String(err)}`);
  }
}

function fail(message: string): void {
  process.stderr.write(`dockgate: ${message}\n`);
  process.exitCode = 2;
}
