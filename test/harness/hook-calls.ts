// `dockgate hook` calls as an agent makes them, for the tests that compare one way of answering
// (the launcher, the bundle, the snapshot, the resident judge) with the modules' own answer.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve(import.meta.dirname, '../../src/cli.js');

/** Commands every way of answering must answer alike: refusals, allowed, undecidable, no docker. */
export const HOOK_COMMANDS = [
  'docker run --privileged bb',
  'sudo docker run -v /:/h bb',
  `bash -c 'docker run --pid=host bb'`,
  'docker run --rm bb echo hi',
  'docker run -v $HOME/src:/src bb ls',
  'docker compose -f F.yaml up',
  '$D run bb',
  'ls -la',
];

export const HOOK_FORMATS = ['claude', 'gemini', 'cursor', 'codex'];

/** The event an agent of `format` sends for a shell command run in `cwd`. */
export function hookEvent(format: string, command: string, cwd: string | undefined): string {
  if (format === 'cursor') return JSON.stringify({ hook_event_name: 'beforeShellExecution', command, cwd });
  const tool = format === 'gemini' ? 'run_shell_command' : 'Bash';
  const name = format === 'gemini' ? 'BeforeTool' : 'PreToolUse';
  return JSON.stringify({ hook_event_name: name, tool_name: tool, tool_input: { command }, cwd });
}

/**
 * A directory with a config under which root is nobody special (root is an admin by default, and
 * admins are exempt) and F.yaml, a compose file with a privileged service.
 */
export function hookFixture(prefix: string): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const config = join(dir, 'dockgate.toml');
  writeFileSync(config, '[identity]\nadmins = []\nadmin_groups = []\n');
  writeFileSync(join(dir, 'F.yaml'), 'services:\n  web:\n    image: bb\n    privileged: true\n');
  return { dir, config };
}

export interface HookRun {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Runs `file args` on `input` in `dir`, with HOME there and no daemon to ask, plus `env`.
 * Unless `env` says otherwise, there is no resident judge: the call answers on its own.
 */
export function runHookProcess(
  dir: string,
  file: string,
  args: string[],
  input: string,
  env: Record<string, string> = {},
  cwd = dir,
): HookRun {
  const r = spawnSync(file, args, {
    cwd,
    input,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      DOCKER_HOST: `unix://${join(dir, 'none.sock')}`,
      DOCKGATE_HOOK_RESIDENT: '0',
      ...env,
    },
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The same call answered by the modules, without launcher, bundle, snapshot or judge. */
export function hookThroughModules(
  dir: string,
  args: string[],
  input: string,
  env: Record<string, string> = {},
  cwd = dir,
): HookRun {
  const main = `import(${JSON.stringify(CLI)}).then((m) => m.main(${JSON.stringify(['hook', ...args])}))`;
  return runHookProcess(dir, process.execPath, ['-e', main], input, { ...env, DOCKGATE_HOOK_RESIDENT: '0' }, cwd);
}

/** The resident judges' sockets in a runtime directory (the judge's directory under it). */
export function judgeSockets(runtime: string): string[] {
  const dir = join(runtime, 'dockgate');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sock')) : [];
}

/** The pids of the resident judges whose command line names `under` (their socket's directory). */
export function judgePids(under: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.includes('resident-judge.js') && cmd.includes(under)) pids.push(Number(p));
    } catch {
      // gone
    }
  }
  return pids;
}

/** Waits until `ok()` holds, failing after `ms` with what it waited for. */
export async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
