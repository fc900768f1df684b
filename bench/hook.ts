// `npm run bench` (hook part): wall time of one `dockgate hook` call, process start included, as
// a coding agent runs it, side by side with `node -e 0` in one run (turns interleaved, so both
// see the same machine). Prints medians and their ratio; not a test.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROUNDS = Number(process.env.BENCH_HOOK_ROUNDS ?? 15);
/** The goal: a hook call on a docker command within this many `node -e 0`s. */
const GOAL_RATIO = 2;

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const bin = path.join(root, 'bin', 'dockgate');

function event(command: string): string {
  return JSON.stringify({
    session_id: 'bench',
    transcript_path: '/dev/null',
    cwd: os.tmpdir(),
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command, description: 'bench' },
  });
}

interface Case {
  name: string;
  args: string[];
  input?: string;
  /** What its output must hold: a case that stopped answering correctly is not timed. */
  expect?: RegExp;
}

function run(c: Case): number {
  const started = process.hrtime.bigint();
  const [file, ...args] = c.args as [string, ...string[]];
  const r = spawnSync(file, args, {
    input: c.input ?? '',
    encoding: 'utf8',
    // No daemon to ask: the figure is the guard's own cost, not the daemon's answer time.
    env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0 || (c.expect && !c.expect.test(r.stdout)))
    throw new Error(`${c.name}: exit ${r.status}, stdout ${JSON.stringify(r.stdout)}, stderr ${r.stderr}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockgate-bench-hook-'));
  try {
    // The bench may run as root, an admin by default, whom the pack exempts: judge as anyone else.
    const config = path.join(dir, 'config.toml');
    fs.writeFileSync(config, '[identity]\nadmins = []\n');
    // The hook as an agent runs it: the command `dockgate hook`, its launcher included.
    const hook = [bin, 'hook', '--config', config];
    const cases: Case[] = [
      { name: 'node -e 0', args: [process.execPath, '-e', '0'] },
      {
        name: 'hook: docker run --privileged (deny)',
        args: hook,
        input: event('docker run --privileged busybox'),
        expect: /"permissionDecision":"deny"/,
      },
      {
        name: 'hook: docker run --rm echo (allow)',
        args: hook,
        input: event('docker run --rm busybox echo hi'),
        expect: /^$/,
      },
      {
        name: "hook: bash -c '... && docker ...' (deny)",
        args: hook,
        input: event(`cd /tmp && bash -c "make && docker run --pid=host busybox"`),
        expect: /"permissionDecision":"deny"/,
      },
      { name: 'hook: ls -la (no docker)', args: hook, input: event('ls -la'), expect: /^$/ },
    ];
    // BENCH_BEFORE=DIR: the same deny case through another built checkout, measured in the same turns.
    const before = process.env.BENCH_BEFORE;
    if (before)
      cases.push({
        name: 'before: docker run --privileged (deny)',
        args: [path.join(before, 'bin', 'dockgate'), 'hook', '--config', config],
        input: event('docker run --privileged busybox'),
        expect: /"permissionDecision":"deny"/,
      });
    for (const c of cases) run(c); // warm the file cache
    const times = cases.map(() => [] as number[]);
    for (let i = 0; i < ROUNDS; i++) for (const [j, c] of cases.entries()) times[j]!.push(run(c));
    const base = median(times[0]!);
    const baseMin = Math.min(...times[0]!);
    console.log(`dockgate hook, one call including process start (${ROUNDS} turns, interleaved)`);
    console.log('case                                       median ms  × node -e 0    min ms  × node -e 0');
    for (const [j, c] of cases.entries()) {
      const m = median(times[j]!);
      const least = Math.min(...times[j]!);
      console.log(
        `${c.name.padEnd(42)} ${m.toFixed(0).padStart(6)}   ${(m / base).toFixed(2).padStart(8)}   ${least.toFixed(0).padStart(7)}   ${(least / baseMin).toFixed(2).padStart(8)}`,
      );
    }
    const docker = median(times[1]!) / base;
    console.log(
      `goal: a docker command within ${GOAL_RATIO}× node -e 0: ${docker <= GOAL_RATIO ? 'met' : 'not met'} (${docker.toFixed(2)}×)`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
