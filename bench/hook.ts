// `npm run bench` (hook part): wall time of one `dockgate hook` call, process start included, as
// a coding agent runs it, side by side with `node -e 0` in one run (turns interleaved, so both
// see the same machine). Prints medians and their ratio; not a test.
// The hook cases are answered by the caller's resident judge (enforce/cli/resident.ts), as every
// call but the first is; the first call of a caller, which starts the judge and judges on its own,
// is timed apart (each turn with a new runtime directory, the judge stopped after it), and the
// path without a judge (DOCKGATE_HOOK_RESIDENT=0: the startup snapshot) beside the others.
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
  env?: Record<string, string>;
  /** What its output must hold: a case that stopped answering correctly is not timed. */
  expect?: RegExp;
}

function run(c: Case, runtime: string): number {
  const started = process.hrtime.bigint();
  const [file, ...args] = c.args as [string, ...string[]];
  const r = spawnSync(file, args, {
    input: c.input ?? '',
    encoding: 'utf8',
    // No daemon to ask: the figure is the guard's own cost, not the daemon's answer time.
    env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock', XDG_RUNTIME_DIR: runtime, ...c.env },
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

/** Stops the resident judges serving `runtime`, and waits until they are gone. */
function stopJudges(runtime: string): void {
  const pids = () =>
    fs.readdirSync('/proc').filter((p) => {
      if (!/^\d+$/.test(p)) return false;
      try {
        const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
        return cmd.includes('resident-judge.js') && cmd.includes(runtime);
      } catch {
        return false;
      }
    });
  for (const p of pids()) process.kill(Number(p), 'SIGKILL');
  while (pids().length > 0) spawnSync('sleep', ['0.05']);
}

/** Waits until a judge holds its socket under `runtime`. */
function judgeReady(runtime: string): void {
  const dir = path.join(runtime, 'dockgate');
  const deadline = Date.now() + 30_000;
  while (!(fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.endsWith('.sock')))) {
    if (Date.now() > deadline) throw new Error('the resident judge did not start');
    spawnSync('sleep', ['0.05']);
  }
}

function print(title: string, cases: Case[], times: number[][]): void {
  const base = median(times[0]!);
  const baseMin = Math.min(...times[0]!);
  console.log(title);
  console.log('case                                       median ms  × node -e 0    min ms  × node -e 0');
  for (const [j, c] of cases.entries()) {
    const m = median(times[j]!);
    const least = Math.min(...times[j]!);
    console.log(
      `${c.name.padEnd(42)} ${m.toFixed(0).padStart(6)}   ${(m / base).toFixed(2).padStart(8)}   ${least.toFixed(0).padStart(7)}   ${(least / baseMin).toFixed(2).padStart(8)}`,
    );
  }
}

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockgate-bench-hook-'));
  const runtime = path.join(dir, 'run');
  fs.mkdirSync(runtime, { mode: 0o700 });
  try {
    // The bench may run as root, an admin by default, whom the pack exempts: judge as anyone else.
    const config = path.join(dir, 'config.toml');
    fs.writeFileSync(config, '[identity]\nadmins = []\n');
    // The hook as an agent runs it: the command `dockgate hook`, its launcher included.
    const hook = [bin, 'hook', '--config', config];
    const deny = event('docker run --privileged busybox');
    const node: Case = { name: 'node -e 0', args: [process.execPath, '-e', '0'] };
    const cases: Case[] = [
      node,
      { name: 'hook: docker run --privileged (deny)', args: hook, input: deny, expect: /"permissionDecision":"deny"/ },
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
      {
        name: 'no judge: docker run --privileged (deny)',
        args: hook,
        input: deny,
        env: { DOCKGATE_HOOK_RESIDENT: '0' },
        expect: /"permissionDecision":"deny"/,
      },
    ];
    // BENCH_BEFORE=DIR: the same deny case through another built checkout, measured in the same turns.
    const before = process.env.BENCH_BEFORE;
    if (before)
      cases.push({
        name: 'before: docker run --privileged (deny)',
        args: [path.join(before, 'bin', 'dockgate'), 'hook', '--config', config],
        input: deny,
        expect: /"permissionDecision":"deny"/,
      });
    for (const c of cases) run(c, runtime); // warm the file cache, and start the judge
    judgeReady(runtime);
    run(cases[1]!, runtime);
    const times = cases.map(() => [] as number[]);
    for (let i = 0; i < ROUNDS; i++) for (const [j, c] of cases.entries()) times[j]!.push(run(c, runtime));
    print(`dockgate hook, one call including process start (${ROUNDS} turns, interleaved)`, cases, times);
    const docker = median(times[1]!) / median(times[0]!);
    console.log(
      `goal: a docker command within ${GOAL_RATIO}× node -e 0: ${docker <= GOAL_RATIO ? 'met' : 'not met'} (${docker.toFixed(2)}×)`,
    );
    stopJudges(runtime);

    // A caller's first call: no judge yet, so it starts one and judges on its own.
    const first: Case = { ...cases[1]!, name: 'first call: starts the judge (deny)' };
    const coldTimes: number[][] = [[], []];
    for (let i = 0; i < Math.min(ROUNDS, 5); i++) {
      const fresh = path.join(dir, `run-${i}`);
      fs.mkdirSync(fresh, { mode: 0o700 });
      coldTimes[0]!.push(run(node, fresh));
      coldTimes[1]!.push(run(first, fresh));
      judgeReady(fresh);
      stopJudges(fresh);
    }
    print('the first call of a caller (a new runtime directory each turn)', [node, first], coldTimes);
  } finally {
    stopJudges(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
