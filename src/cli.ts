// Argument parsing and dispatch only: each command's work lives in its own folder.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HOOK_FLAGS } from './enforce/cli/hook-flags.js';

type Options = NonNullable<ParseArgsConfig['options']>;

interface Command {
  summary: string;
  /** What `dockgate COMMAND --help` prints after the usage line: its arguments and flags. */
  help: string;
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
    help: `[flags]

  --listen unix://PATH | tcp://HOST:PORT   where clients connect (repeatable; default unix:///run/dockgate.sock)
  --upstream unix://PATH | tcp://HOST:PORT the Docker daemon (default unix:///var/run/docker.sock)
  --policy PATH          Rego policy file or folder (repeatable; default: the built-in pack)
  --data PATH            JSON or YAML data for the policy (repeatable)
  --config FILE          TOML settings: the built-in pack's, and data.dockgate.config for any policy
  --decision-log FILE|-  one JSON line per request (default: stderr; - for stdout)
  --log-level LEVEL      trace, debug, info (default), warn, error, fatal or silent
  --socket-mode MODE     permissions of a Unix listening socket, octal (default 660)
  --socket-group GROUP   group of a Unix listening socket, name or number
  --tls-cert FILE, --tls-key FILE, --tls-ca FILE
                         TLS for a tcp:// listener; clients must present a certificate signed by the CA
  --insecure-tcp         allow a tcp:// listener without TLS (anyone who reaches it acts as anonymous)
  --header-timeout DURATION
                         time allowed for a request head, or a body the policy reads, to arrive
                         (a build context: to stall), e.g. 30s (default) or 500ms
  --max-connections-per-user N
                         open connections one user (uid, or certificate name) may have (default 4096)
  --identity-key FILE    sign each forwarded request's caller for dockgate plugin (root-only key file)
`,
    options: {
      listen: strs,
      upstream: str,
      policy: strs,
      data: strs,
      config: str,
      'decision-log': str,
      metrics: str,
      'tls-cert': str,
      'tls-key': str,
      'tls-ca': str,
      'socket-mode': str,
      'socket-group': str,
      'insecure-tcp': flag,
      'log-level': str,
      'header-timeout': str,
      'max-connections-per-user': str,
      'identity-key': str,
    },
    positionals: false,
    run: async (v) => (await import('./enforce/proxy/index.js')).runServe(v),
  },
  plugin: {
    summary: 'Docker authorization plugin (drop-in for opa-docker-authz)',
    help: `[flags]

  Serves Docker's authorization plugin protocol where dockerd looks for NAME; start dockerd with
  --authorization-plugin=NAME (or "authorization-plugins" in daemon.json).

  --name NAME            the plugin's name (default dockgate)
  --socket PATH          where to listen (default /run/docker/plugins/NAME.sock)
  --upstream unix://PATH | tcp://HOST:PORT | none
                         the daemon to look containers, volumes and images up at (default
                         unix:///var/run/docker.sock; none: requests that need a look-up are refused)
  --policy PATH          Rego policy file or folder (repeatable; default: the built-in pack)
  --data PATH            JSON or YAML data for the policy (repeatable)
  --config FILE          TOML settings, as serve reads them ([plugin] require_proxy, key_file)
  --query RULE           the rule that allows (default data.docker.authz.allow), as opa-docker-authz
  --v0-compatible        read policies as OPA 0.x (opa-docker-authz policies)
  --decision-log FILE|-  one JSON line per decision (default: stderr; - for stdout)
  --log-level LEVEL      trace, debug, info (default), warn, error, fatal or silent
`,
    options: {
      name: str,
      socket: str,
      upstream: str,
      policy: strs,
      data: strs,
      config: str,
      query: str,
      'v0-compatible': flag,
      'decision-log': str,
      'log-level': str,
    },
    positionals: false,
    run: async (v) => (await import('./enforce/plugin/index.js')).runPlugin(v),
  },
  install: {
    summary: 'write systemd units and daemon.json for proxy, plugin, both, or the docker wrapper',
    help: `--mode proxy|plugin|both|wrapper [--dry-run] [--prefix DIR]

  proxy: dockgate.service (after docker.service). plugin: dockgate-plugin.service (before
  docker.service), a docker.service drop-in and "authorization-plugins" in daemon.json. both: all
  of it, a root-only signing key and [plugin] require_proxy. wrapper: dockgate wrap --install
  PREFIX/usr/local/bin. Files already as wanted are left as they are; a file dockgate did not
  write is never replaced (exit 1, with what was wanted); daemon.json keeps its other settings.

  --mode MODE            proxy, plugin, both or wrapper
  --dry-run              print every file and change, write nothing
  --prefix DIR           install below DIR instead of / (for packaging and tests)
  --name NAME            the plugin's name (default dockgate)
  --socket-group GROUP   group of the proxy's socket (default dockgate)
`,
    options: { mode: str, 'dry-run': flag, prefix: str, name: str, 'socket-group': str },
    positionals: false,
    run: async (v) => {
      if (v.mode !== 'wrapper') return (await import('./enforce/plugin/install.js')).runInstall(v);
      const dir = `${typeof v.prefix === 'string' ? v.prefix : ''}/usr/local/bin`;
      if (v['dry-run'] === true) {
        process.stdout.write(`would run: dockgate wrap --install ${dir}\n`);
        return 0;
      }
      (await import('node:fs')).mkdirSync(dir, { recursive: true });
      return (await import('./enforce/cli/index.js')).runWrap({ install: dir }, []);
    },
  },
  eval: {
    summary: 'evaluate a Rego query, like `opa eval`',
    help: `[flags] QUERY

  -d, --data PATH        Rego or JSON/YAML data file or folder (repeatable)
  -i, --input FILE       the input document (JSON or YAML)
  --format json|pretty   output format (default json, as opa eval prints it)
  --explain notes|fails|full
                         with --format pretty: print the evaluation trace first
  --coverage             add the coverage report of the policies (json: "coverage"; pretty: overall %)
  --ignore PATTERN       skip files and folders of this name below the paths (repeatable, e.g. '*.yaml')
  --v0-compatible        read policies as OPA 0.x
`,
    options: {
      data: { type: 'string', short: 'd', multiple: true },
      input: { type: 'string', short: 'i' },
      format: str,
      explain: str,
      coverage: flag,
      ignore: strs,
      'v0-compatible': flag,
    },
    positionals: true,
    run: async (v, p) => (await import('./rego/cli/eval.js')).runEval(v, p),
  },
  test: {
    summary: 'run Rego test_ rules, like `opa test`',
    help: `[flags] PATH...

  -v, --verbose          list every test, not only failures
  -r, --run REGEX        run only the tests whose name (data.pkg.test_x) matches
  -f, --format pretty|json
                         report format (default pretty), as opa test prints it
  --timeout DURATION     limit for each test, e.g. 30s (default 5s)
  -e, --explain fails|full|notes|debug
                         print the evaluation trace of each failed test (turns on -v; -v alone: notes and failures)
  -c, --coverage         print the coverage report (JSON) of the policies by the tests
  --threshold PERCENT    with --coverage: exit 2 when coverage is below this
  -b, --bundle           read each PATH as a bundle directory (.manifest roots, data.json files)
  -z, --exit-zero-on-skipped
                         skipped (todo_test_) tests do not make the exit code 2
  --fail-on-empty        exit 1 when no test ran
  --bench                time each passing test (about 1 s each) and print runs and ns/op
  --ignore PATTERN       skip files and folders of this name below the paths (repeatable, e.g. '*.yaml')
  --v0-compatible        read policies as OPA 0.x

  Exit code: 0 all passed, 2 a test failed, errored or was skipped, 1 the policies did not load.
`,
    options: {
      'v0-compatible': flag,
      verbose: { type: 'boolean', short: 'v' },
      ignore: strs,
      run: { type: 'string', short: 'r' },
      format: { type: 'string', short: 'f' },
      timeout: str,
      explain: { type: 'string', short: 'e' },
      coverage: { type: 'boolean', short: 'c' },
      threshold: str,
      bundle: { type: 'boolean', short: 'b' },
      'exit-zero-on-skipped': { type: 'boolean', short: 'z' },
      'fail-on-empty': flag,
      bench: flag,
    },
    positionals: true,
    run: async (v, p) => (await import('./rego/cli/test.js')).runTest(v, p),
  },
  bench: {
    summary: 'benchmark a Rego query, like `opa bench`',
    help: `[flags] QUERY

  -d, --data PATH        Rego or JSON/YAML data file or folder (repeatable)
  -i, --input FILE       the input document (JSON or YAML)
  --count N              evaluations to time
  --format json|pretty   output format (default pretty)
  --v0-compatible        read policies as OPA 0.x
`,
    options: {
      data: { type: 'string', short: 'd', multiple: true },
      input: { type: 'string', short: 'i' },
      count: str,
      format: str,
      'v0-compatible': flag,
    },
    positionals: true,
    run: async (v, p) => (await import('./rego/cli/bench.js')).runBench(v, p),
  },
  policy: {
    summary: 'the built-in policy pack: list | explain RULE | export [--out DIR]; check PATH... (opa check)',
    help: `list | explain RULE | export [--out DIR] | check [--strict] PATH...

  list                   the pack's rules, one a line
  explain RULE           what a rule checks, and how to allow what it refuses
  export [--out DIR]     the pack's Rego files (to DIR, or to stdout)
  check PATH...          parse and compile Rego files and folders as opa check does; exit 1 on errors
    -S, --strict         also OPA's strict-mode checks: unused imports, assignments and arguments,
                         duplicate imports, input/data as names, deprecated builtins
    --ignore PATTERN     skip files and folders of this name below the paths (repeatable)
    --v0-compatible      read policies as OPA 0.x
    -m, --max-errors N   errors shown (default 10; -1 for all)
`,
    options: {
      out: str,
      strict: { type: 'boolean', short: 'S' },
      'v0-compatible': flag,
      ignore: strs,
      'max-errors': { type: 'string', short: 'm' },
    },
    positionals: true,
    run: async (v, p) =>
      p[0] === 'check'
        ? (await import('./rego/cli/check.js')).runCheck(v, p.slice(1))
        : (await import('./policy/commands.js')).runPolicy(v, p),
  },
  audit: {
    summary: 'containers and volumes at the daemon that the policy would not allow',
    help: `[flags]

  Judges the request that would create each container and volume at the daemon, sent by its
  owner (label dockgate.owner, else --as), and lists those the policy would refuse or change.
  Exit 0: nothing found; 1: findings; 2: error (daemon unreachable, policy load error, an
  object that could not be judged).

  --upstream unix://PATH | tcp://HOST:PORT the Docker daemon (default unix:///var/run/docker.sock)
  --policy PATH          Rego policy file or folder (repeatable; default: the built-in pack)
  --data PATH            JSON or YAML data for the policy (repeatable)
  --config FILE          TOML settings: the built-in pack's, and data.dockgate.config for any policy
  --as USER              the owner of objects without a dockgate.owner label
                         (default: judged as an ordinary user with no home, "owner unknown")
  --json                 one JSON document: counts, findings (reasons, changes), errors
`,
    options: { upstream: str, policy: strs, data: strs, config: str, as: str, json: flag },
    positionals: false,
    run: async (v) => (await import('./enforce/audit/index.js')).runAudit(v),
  },
  check: {
    summary: 'judge a docker command line before it runs, by the same policy as serve',
    help: `[flags] -- docker ARGS... | --shell 'COMMAND TEXT'

  Exit 0: allowed; 1: denied (the rule, the argument, why and the fix are printed); 2: an error,
  or something only known when the command runs.

  --shell TEXT           shell text: every docker command in it (pipelines, bash -c, sudo, ...)
  --json                 the verdict as one JSON document
  --strict               refuse what the proxy would change (e.g. binds run as the caller)
  --policy PATH          Rego policy file or folder (repeatable; default: the built-in pack)
  --data PATH            JSON or YAML data for the policy (repeatable)
  --config FILE          TOML settings, as serve reads them
  --decision-log FILE    append one OPA decision-log line per decision (default: DOCKGATE_DECISION_LOG, else none)
`,
    options: { shell: str, json: flag, strict: flag, policy: strs, data: strs, config: str, 'decision-log': str },
    positionals: true,
    run: async (v, p) => (await import('./enforce/cli/index.js')).runCheck(v, p),
  },
  hook: {
    summary: 'PreToolUse hook for coding agents: judges their shell commands',
    help: `[flags]

  Reads a coding agent's pre-tool event on stdin and answers on stdout: deny for a shell command
  whose docker commands the policy refuses, ask (Gemini: deny) when it cannot be decided.

  --format claude|codex|gemini|cursor
                         Claude Code PreToolUse (default), Codex CLI PreToolUse (no "ask": denied),
                         Gemini CLI BeforeTool, Cursor beforeShellExecution
  --strict, --policy PATH, --data PATH, --config FILE, --decision-log FILE   as for check
`,
    options: HOOK_FLAGS,
    positionals: false,
    run: async (v) => (await import('./enforce/cli/index.js')).runHook(v),
  },
  wrap: {
    summary: 'stand-in for docker: judge the command, then run the real docker unchanged',
    help: `[flags] -- DOCKER-ARGS... | --install DIR

  Judges \`docker DOCKER-ARGS\` as check does; when allowed, runs the real docker (DOCKGATE_DOCKER,
  else the first docker on PATH that is not this wrapper) with the arguments unchanged and exits
  with its code; otherwise prints why and exits 1 (denied) or 2 (undecidable).

  --install DIR          write the shim DIR/docker that runs \`dockgate wrap\`; put DIR first on PATH
  --strict, --policy PATH, --data PATH, --config FILE, --decision-log FILE   as for check
`,
    options: { install: str, strict: flag, policy: strs, data: strs, config: str, 'decision-log': str },
    positionals: true,
    run: async (v, p) => (await import('./enforce/cli/index.js')).runWrap(v, p),
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `usage: dockgate COMMAND [flags]\n\ncommands:\n${lines.join('\n')}\n\ndockgate COMMAND --help lists a command's flags.\n`;
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
  if (asksForHelp(rest)) {
    process.stdout.write(`usage: dockgate ${name} ${command.help}`);
    return;
  }
  let parsed: ReturnType<typeof parseArgs>;
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

/** `-h` or `--help` among the flags (not after a `--`, where arguments are taken as they are). */
function asksForHelp(args: string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

function fail(message: string): void {
  process.stderr.write(`dockgate: ${message}\n`);
  process.exitCode = 2;
}
