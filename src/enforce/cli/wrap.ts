// `dockgate wrap`: stands in for `docker` (a shim named docker, earlier on PATH, runs
// `dockgate wrap -- ARGS`). It judges `docker ARGS` as `check` does, then runs the real docker
// binary with the arguments unchanged, its stdin, stdout and terminal shared, and exits with its
// exit code; or refuses with the explanation and runs nothing.
import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { PolicyEngine } from '../../policy/index.js';
import { EXIT_DENY, EXIT_UNDECIDABLE, formatText } from './command.js';
import { decisionLogFor } from './decision-log.js';
import { Guard } from './guard.js';

/** What marks a shim this command wrote, so it is never taken for the real docker. */
const SHIM_MARK = '# dockgate docker wrapper';

export async function runWrap(values: Record<string, unknown>, args: string[]): Promise<number> {
  if (typeof values.install === 'string') return installShim(values.install);
  let real: string;
  try {
    real = realDocker();
  } catch (err) {
    process.stderr.write(`dockgate: wrap: ${(err as Error).message}\n`);
    return EXIT_UNDECIDABLE;
  }
  let outcome: string;
  try {
    const engine = await PolicyEngine.load({
      policies: values.policy as string[] | undefined,
      data: values.data as string[] | undefined,
      config: typeof values.config === 'string' ? values.config : undefined,
    });
    const log = decisionLogFor(values, 'wrap');
    const result = await new Guard({ engine, strict: values.strict === true, ...(log ? { log } : {}) }).checkArgv(args);
    outcome = result.outcome;
    if (outcome !== 'allow') {
      process.stderr.write(`dockgate: this docker command was not run\n${formatText(result)}`);
      return outcome === 'deny' ? EXIT_DENY : EXIT_UNDECIDABLE;
    }
    const notes = result.findings.flatMap((f) => f.notes);
    for (const n of notes) process.stderr.write(`dockgate: note: ${n}\n`);
  } catch (err) {
    process.stderr.write(`dockgate: wrap: not run: ${(err as Error)?.message ?? String(err)}\n`);
    return EXIT_UNDECIDABLE;
  }
  return runReal(real, args);
}

function runReal(real: string, args: string[]): Promise<number> {
  return new Promise((resolveExit) => {
    const child = spawn(real, args, { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers: [NodeJS.Signals, () => void][] = (['SIGTERM', 'SIGHUP', 'SIGINT'] as const).map((s) => [
      s,
      forward(s),
    ]);
    for (const [s, h] of handlers) process.on(s, h);
    child.on('error', (err) => {
      process.stderr.write(`dockgate: wrap: cannot run ${real}: ${err.message}\n`);
      resolveExit(127);
    });
    child.on('exit', (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h);
      if (signal) {
        process.kill(process.pid, signal);
        resolveExit(128);
      } else resolveExit(code ?? 1);
    });
  });
}

/** DOCKGATE_DOCKER, else the first docker on PATH that is not a dockgate shim. */
function realDocker(): string {
  const named = process.env.DOCKGATE_DOCKER;
  if (named) return named;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'docker');
    try {
      accessSync(candidate, constants.X_OK);
      if (!statSync(candidate).isFile()) continue;
      const head = readFileSync(realpathSync(candidate)).subarray(0, 4096).toString('latin1');
      if (head.includes(SHIM_MARK)) continue;
      return candidate;
    } catch {
      // not there, or not executable: the next one
    }
  }
  throw new Error('no docker binary found on PATH besides the dockgate wrapper (set DOCKGATE_DOCKER)');
}

function installShim(dir: string): number {
  const path = join(resolve(dir), 'docker');
  const script = `#!/bin/sh\n${SHIM_MARK}: judged by dockgate before the real docker runs\nexec ${shellQuote(process.execPath)} ${shellQuote(resolve(process.argv[1] ?? 'dockgate'))} wrap -- "$@"\n`;
  try {
    writeFileSync(path, script, { mode: 0o755, flag: 'wx' });
    chmodSync(path, 0o755);
  } catch (err) {
    process.stderr.write(`dockgate: wrap: cannot write ${path}: ${(err as Error).message}\n`);
    return EXIT_UNDECIDABLE;
  }
  process.stdout.write(`${path}: put ${resolve(dir)} before the real docker's directory on PATH\n`);
  return 0;
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}
