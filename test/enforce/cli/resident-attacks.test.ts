// Attacks on the resident hook judge (resident.ts, resident-judge.ts). Its promise: a verdict
// through the judge equals the verdict the same call reaches without it, for every input, flag,
// environment and caller; only the caller's own judge is asked; a judge never turns a deny into
// an allow. Each test here sets up a case where the judge answers otherwise than the modules
// judging in the caller's own process (DOCKGATE_HOOK_RESIDENT=0), and asserts they agree.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { residentSocket } from '../../../src/enforce/cli/resident.js';
import { judgePids as judgePidsUnder, judgeSockets as sockets, until } from '../../harness/hook-calls.js';

/** The judges these tests started (their sockets lie under this file's directory). */
const judgePids = () => judgePidsUnder(dir);

const BIN = resolve(import.meta.dirname, '../../../../bin/dockgate');
const CLI = resolve(import.meta.dirname, '../../../src/cli.js');
const isRoot = process.getuid?.() === 0;
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
/** A suffix that keeps this run's users and groups apart from any other's. */
const SUFFIX = process.pid.toString(36);

let dir: string;
let runtime: string;
let config: string;
const cleanups: (() => void)[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dockgate-resident-attacks-'));
  chmodSync(dir, 0o755); // other users of these tests (setpriv) must reach their files
  runtime = join(dir, 'run');
  mkdirSync(runtime, { mode: 0o700 });
  config = join(dir, 'dockgate.toml');
  writeFileSync(config, '[identity]\nadmins = []\nadmin_groups = []\n');
});

after(() => {
  for (const pid of judgePids()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const undo of cleanups.reverse()) {
    try {
      undo();
    } catch {
      // best effort
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

interface Result {
  code: number | null;
  out: string;
  err: string;
}

/** Runs argv to its end without blocking this process's event loop (servers of the tests' own answer meanwhile). */
function run(argv: string[], input: string, env: Record<string, string> = {}, cwd = dir): Promise<Result> {
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      DOCKER_HOST: `unix://${join(dir, 'none.sock')}`,
      XDG_RUNTIME_DIR: runtime,
      ...env,
    },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  child.stdin.on('error', () => undefined);
  child.stdin.end(input);
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((done) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      done({ code, out, err });
    }),
  );
}

/** `dockgate hook ARGS` as an agent runs it (resident judge on), under `wrap` (setpriv, unshare, sh). */
const hook = (args: string[], input: string, env?: Record<string, string>, cwd?: string, wrap: string[] = []) =>
  run([...wrap, BIN, 'hook', ...args], input, env, cwd);

/** The same call answered by the modules in their own process, without launcher or judge. */
const throughModules = (
  args: string[],
  input: string,
  env: Record<string, string> = {},
  cwd?: string,
  wrap: string[] = [],
) =>
  run(
    [
      ...wrap,
      process.execPath,
      '-e',
      `import(${JSON.stringify(CLI)}).then((m) => m.main(${JSON.stringify(['hook', ...args])}))`,
    ],
    input,
    { DOCKGATE_HOOK_RESIDENT: '0', ...env },
    cwd,
  );

function event(command: string, cwd: string | undefined = dir): string {
  return JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command }, cwd });
}

/** Starts the judge of `rt` through a first call (made under `wrap`) and waits until it holds its socket. */
async function judgeUp(rt = runtime, env: Record<string, string> = {}, wrap: string[] = []): Promise<void> {
  if (sockets(rt).length === 0) {
    const first = await hook(['--config', config], event('docker ps'), { XDG_RUNTIME_DIR: rt, ...env }, dir, wrap);
    assert.equal(first.code, 0, first.err);
  }
  // A caller like this process has its judge at the name residentSocket gives; one under `wrap`
  // (other credentials or namespaces) is the only one in its own directory.
  const own = wrap.length === 0 ? residentSocket({ XDG_RUNTIME_DIR: rt, ...env }) : undefined;
  await until(`the judge to take its socket (${sockets(rt).join(', ')})`, () =>
    own !== undefined ? sockets(rt).includes(basename(own)) : sockets(rt).length === 1,
  );
}

const PRIVILEGED = event('docker run --privileged bb');
const REFUSED = /privileged mode is refused/;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

// --- Flags naming files: resolve() is not how the kernel opens a path ---------------------------

test("an empty --data is refused through the judge as without it (resolve('') is the caller's directory)", async () => {
  await judgeUp();
  const args = ['--config', config, '--data', ''];
  const text = event('docker ps');
  const expected = await throughModules(args, text);
  assert.match(expected.out, /"permissionDecision":"deny"/, 'without the judge: an empty data path does not load');
  assert.deepEqual(await hook(args, text), expected);
});

test('an empty --config means the defaults through the judge as without it', async () => {
  await judgeUp();
  const args = ['--config', ''];
  const text = event('docker ps');
  const expected = await throughModules(args, text);
  assert.doesNotMatch(expected.out, /cannot read config/, 'without the judge: no config file, the defaults');
  assert.deepEqual(await hook(args, text), expected);
});

test('a flag path with .. after a symlink opens the file the kernel opens, through the judge', async () => {
  await judgeUp();
  // cwd/link -> elsewhere/sub: the kernel reads link/../strict.toml as elsewhere/strict.toml,
  // path.resolve as cwd/strict.toml.
  const work = join(dir, 'work');
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(join(elsewhere, 'sub'), { recursive: true });
  mkdirSync(work, { recursive: true });
  symlinkSync(join(elsewhere, 'sub'), join(work, 'link'));
  writeFileSync(join(elsewhere, 'strict.toml'), '[identity]\nadmins = []\nadmin_groups = []\n');
  const me = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(join(work, 'strict.toml'), `[identity]\nadmins = [${JSON.stringify(me)}]\n`);
  for (const flag of ['link/../strict.toml', join(work, 'link/../strict.toml')]) {
    const args = ['--config', flag];
    const expected = await throughModules(args, PRIVILEGED, {}, work);
    assert.deepEqual(await hook(args, PRIVILEGED, {}, work), expected, flag);
  }
});

test('a --config with a trailing slash is not read as the file through the judge', async () => {
  await judgeUp();
  const me = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
  const admin = join(dir, 'admin.toml');
  writeFileSync(admin, `[identity]\nadmins = [${JSON.stringify(me)}]\n`);
  const args = ['--config', `${admin}/`];
  const expected = await throughModules(args, PRIVILEGED);
  assert.match(expected.out, /ENOTDIR/, 'without the judge: a file named as a directory is not read');
  assert.deepEqual(await hook(args, PRIVILEGED), expected);
});

test('a relative flag naming a file that does not load is reported as the caller named it', async () => {
  await judgeUp();
  writeFileSync(join(dir, 'broken.rego'), 'package docker.authz\nallow if {\n');
  for (const args of [
    ['--config', 'missing.toml'],
    ['--policy', 'broken.rego'],
  ]) {
    const expected = await throughModules(args, PRIVILEGED);
    assert.match(expected.out, /"permissionDecision":"deny"/);
    assert.deepEqual(await hook(args, PRIVILEGED), expected, args.join(' '));
  }
});

// --- Who the caller is: the judge's own cache, credentials and namespace ------------------------

test('a group taken away in /etc/group counts at the next call through the judge, as without it', {
  skip: !isRoot || !has('groupadd') || !has('gpasswd') ? 'needs root, groupadd and gpasswd' : false,
}, async () => {
  const group = `dgaadm${SUFFIX}`;
  sh('groupadd', [group]);
  cleanups.push(() => sh('groupdel', [group]));
  sh('gpasswd', ['-a', 'root', group]);
  const rt = join(dir, 'run-groups');
  mkdirSync(rt, { mode: 0o700 });
  const groupConfig = join(dir, 'groups.toml');
  writeFileSync(groupConfig, `[identity]\nadmins = []\nadmin_groups = [${JSON.stringify(group)}]\n`);
  const args = ['--config', groupConfig];
  const env = { XDG_RUNTIME_DIR: rt };
  await judgeUp(rt, env);
  // Past the user cache's lifetime (tenancy/users.ts, 5 s), so that the next question fills it.
  await new Promise((r) => setTimeout(r, 5_500));
  assert.doesNotMatch((await hook(args, PRIVILEGED, env)).out, REFUSED, 'an admin by group: allowed');
  sh('gpasswd', ['-d', 'root', group]);
  const got = await hook(args, PRIVILEGED, env);
  const expected = await throughModules(args, PRIVILEGED, env);
  assert.match(expected.out, REFUSED, 'no longer in the group: refused without the judge');
  assert.deepEqual(got, expected, 'the judge still counts the group it cached');
});

test("a caller without the judge's supplementary groups is not answered with what only they can read", {
  skip: !isRoot || !has('useradd') || !has('setpriv') ? 'needs root, useradd and setpriv' : false,
}, async () => {
  const user = `dgau${SUFFIX}`;
  const group = `dgacfg${SUFFIX}`;
  sh('useradd', ['-M', '-s', '/bin/sh', user]);
  cleanups.push(() => sh('userdel', [user]));
  sh('groupadd', [group]);
  cleanups.push(() => sh('groupdel', [group]));
  sh('gpasswd', ['-a', user, group]);
  const uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
  const rt = join(dir, 'run-user');
  mkdirSync(rt, { mode: 0o700 });
  chownSync(rt, uid, -1);
  const home = join(dir, 'home-user');
  mkdirSync(home, { mode: 0o700 });
  chownSync(home, uid, -1);
  // The config that makes the user an admin is readable by the group only.
  const groupOnly = join(dir, 'group-only.toml');
  writeFileSync(groupOnly, `[identity]\nadmins = [${JSON.stringify(user)}]\n`);
  const gid = Number(spawnSync('getent', ['group', group], { encoding: 'utf8' }).stdout.split(':')[2]);
  chownSync(groupOnly, 0, gid);
  chmodSync(groupOnly, 0o640);
  const env = { XDG_RUNTIME_DIR: rt, HOME: home };
  const withGroups = ['setpriv', '--reuid', user, '--regid', user, '--init-groups'];
  const withoutGroups = ['setpriv', '--reuid', user, '--regid', user, '--clear-groups'];
  // The judge is started from a session that holds the group (a login shell, say).
  await judgeUp(rt, env, withGroups);
  const args = ['--config', groupOnly];
  // A sandboxed agent of the same uid and gid that does not hold it asks next.
  const expected = await throughModules(args, PRIVILEGED, env, dir, withoutGroups);
  assert.match(expected.out, /EACCES/, 'without the judge: the config cannot be read, refused');
  assert.deepEqual(await hook(args, PRIVILEGED, env, dir, withoutGroups), expected);
});

test('a caller in a mount namespace of its own is judged with the files it sees, not those the judge sees', {
  skip: !isRoot || spawnSync('unshare', ['-m', 'true']).status !== 0 ? 'needs root and unshare -m' : false,
}, async () => {
  await judgeUp();
  const me = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
  const seen = join(dir, 'ns.toml');
  writeFileSync(seen, `[identity]\nadmins = [${JSON.stringify(me)}]\n`);
  const strict = join(dir, 'ns-strict.toml');
  writeFileSync(strict, '[identity]\nadmins = []\nadmin_groups = []\n');
  // The caller's own view (a sandbox) binds the strict config over the one outside.
  const sandbox = ['unshare', '-m', 'sh', '-c', 'mount --bind "$1" "$2" && shift 2 && exec "$@"', 'sh', strict, seen];
  const args = ['--config', seen];
  const expected = await throughModules(args, PRIVILEGED, {}, dir, sandbox);
  assert.match(expected.out, REFUSED, 'without the judge: the config the caller sees refuses it');
  assert.deepEqual(await hook(args, PRIVILEGED, {}, dir, sandbox), expected);
});

test("a policy's local time is the caller's TZ through the judge too", async () => {
  const hourIn = (tz: string | undefined) =>
    Number(
      spawnSync('date', ['+%H'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...(tz ? { TZ: tz } : {}) } })
        .stdout,
    );
  const system = hourIn(undefined); // the zone of a process without TZ
  const zone = ['Pacific/Kiritimati', 'Etc/GMT+12'].find((z) => hourIn(z) !== system)!;
  // A policy that allows only in the system zone's current hour: the caller's TZ says otherwise.
  const pol = join(dir, 'local-time');
  mkdirSync(pol, { recursive: true });
  writeFileSync(
    join(pol, 'p.rego'),
    `package docker.authz\nimport rego.v1\ndefault allow := false\nallow if {\n  [h, _, _] := time.clock([time.now_ns(), "Local"])\n  h == ${system}\n}\n`,
  );
  const args = ['--policy', pol];
  const text = event('docker ps');
  // A caller with a TZ of its own has a judge of its own, in its own directory here.
  const rt = join(dir, 'run-tz');
  mkdirSync(rt, { mode: 0o700 });
  const env = { TZ: zone, XDG_RUNTIME_DIR: rt };
  await judgeUp(rt, env);
  const expected = await throughModules(args, text, env);
  assert.match(expected.out, /"permissionDecision":"deny"/, `without the judge: ${zone} is not at hour ${system}`);
  assert.deepEqual(await hook(args, text, env), expected);
});

// --- Only the caller's own judge is asked ----------------------------------------------------------

test("a long XDG_RUNTIME_DIR does not send the caller's question to another user's socket", async () => {
  // The socket's path is cut to sun_path's 108 bytes when it is bound or connected: with a long
  // XDG_RUNTIME_DIR (the caller's own, private) the cut path lies beside it, in its parent.
  const pub = join(dir, 'pub');
  mkdirSync(pub);
  chmodSync(pub, 0o1777); // anybody may make a file here (as in /tmp)
  const rt = join(pub, 'r'.repeat(150));
  mkdirSync(rt, { mode: 0o700 });
  const cut = rt.slice(0, 108);
  assert.ok(!cut.startsWith(`${rt}/`));
  const fake = `const s = require('net').createServer({ allowHalfOpen: true }, (c) => {
      c.resume(); c.on('end', () => c.end(JSON.stringify({ verdict: { reason: '' } })));
    });
    s.listen(${JSON.stringify(cut)}, () => console.log('up'));`;
  // Another user's server (nobody), when the test can be somebody else.
  const other = isRoot && has('setpriv') ? ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups'] : [];
  const argv = [...other, process.execPath, '-e', fake];
  const server = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => server.kill('SIGKILL'));
  await new Promise<void>((ready) => server.stdout.once('data', () => ready()));
  if (isRoot) assert.equal(statSync(cut).uid, 65534, "the socket is somebody else's");
  const env = { XDG_RUNTIME_DIR: rt };
  const args = ['--config', config];
  const expected = await throughModules(args, PRIVILEGED, env);
  assert.match(expected.out, REFUSED);
  // Twice: the first call may start a judge, the second finds whatever is there.
  for (const attempt of [1, 2]) assert.deepEqual(await hook(args, PRIVILEGED, env), expected, `call ${attempt}`);
  server.kill('SIGKILL');
});

test("the judge a call starts does not hold the caller's inherited pipes open", async () => {
  // A caller whose output pipe is also open on a higher descriptor (bash `30>&1`, `exec {fd}>&1`,
  // a harness's own pipes): the reader waits for the end of that pipe, which only comes when every
  // process holding it has closed it. The detached judge inherits it and holds it while it lives.
  const rt = join(dir, 'run-fds');
  mkdirSync(rt, { mode: 0o700 });
  const child = spawn('bash', ['-c', 'exec "$@" 30>&1', 'bash', BIN, 'hook', '--config', config], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      XDG_RUNTIME_DIR: rt,
      DOCKER_HOST: `unix://${join(dir, 'none.sock')}`,
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  child.stdin.end(event('docker ps'));
  child.stdout.resume();
  const ended = await new Promise<boolean>((done) => {
    const timer = setTimeout(() => done(false), 15_000);
    child.stdout.on('end', () => {
      clearTimeout(timer);
      done(true);
    });
  });
  // The judge is started once the call has its verdict, and takes its socket after warming up.
  for (let i = 0; i < 400 && sockets(rt).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(sockets(rt).length, 1, 'the call started a judge');
  assert.ok(ended, "the hook's output ends when the hook does, not when its judge stops");
});

// --- Time: a judge that is slow because the question is ------------------------------------------

test('a question that takes the judge over 3 s gets the verdict it gets without the judge', async () => {
  await judgeUp();
  // A daemon that answers each look-up after 1.2 s (within the CLI's 2 s deadline): four
  // look-ups judge in about 5 s here, well within the hook's 8 s; asking the judge first costs
  // 3 s more, then the same 5 s in the caller.
  const daemonSock = join(dir, 'slow-daemon.sock');
  const daemon = net.createServer((conn) => {
    conn.on('error', () => undefined);
    conn.once('data', () =>
      setTimeout(
        () =>
          conn.end(
            'HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 29\r\nConnection: close\r\n\r\n{"message":"no such object"}\n',
          ),
        1_200,
      ),
    );
  });
  await new Promise<void>((r) => daemon.listen(daemonSock, r));
  try {
    const env = { DOCKER_HOST: `unix://${daemonSock}` };
    const text = event('docker exec a ls; docker exec b ls; docker exec c ls; docker exec d ls');
    const args = ['--config', config];
    const expected = await throughModules(args, text, env);
    assert.doesNotMatch(expected.out, /no verdict within/, 'without the judge: a verdict in time');
    assert.deepEqual(await hook(args, text, env), expected);
  } finally {
    daemon.close();
  }
});

// --- The decision log -------------------------------------------------------------------------------

test('a decision log that cannot be written is reported on stderr through the judge too', async () => {
  await judgeUp();
  const args = ['--config', config, '--decision-log', join(dir, 'no-such-dir', 'decisions.log')];
  const expected = await throughModules(args, PRIVILEGED);
  assert.match(expected.err, /decision log .*ENOENT/);
  assert.deepEqual(await hook(args, PRIVILEGED), expected);
});

test("a decision log is made with the caller's umask, not the judge's", async () => {
  await judgeUp();
  const umask = ['sh', '-c', 'umask 0277 && exec "$@"', 'sh'];
  const viaModules = join(dir, 'umask-modules.log');
  const viaJudge = join(dir, 'umask-judge.log');
  await throughModules(['--config', config, '--decision-log', viaModules], PRIVILEGED, {}, dir, umask);
  await hook(['--config', config, '--decision-log', viaJudge], PRIVILEGED, {}, dir, umask);
  assert.equal(statSync(viaModules).mode & 0o777, 0o400, 'without the judge: 0600 under umask 0277');
  assert.equal((statSync(viaJudge).mode & 0o777).toString(8), (statSync(viaModules).mode & 0o777).toString(8));
});

test("a policy's print() output reaches stderr through the judge too", async () => {
  await judgeUp();
  const pol = join(dir, 'printing');
  mkdirSync(pol, { recursive: true });
  writeFileSync(
    join(pol, 'p.rego'),
    'package docker.authz\nimport rego.v1\ndefault allow := false\nallow if {\n  print("judging", input.Method)\n  true\n}\n',
  );
  const args = ['--policy', pol];
  const text = event('docker ps');
  const expected = await throughModules(args, text);
  assert.match(expected.err, /judging GET/);
  assert.deepEqual(await hook(args, text), expected);
});

// --- Attack 19: what a judge shares with a caller, and what one caller's question does to another's --

/** The pids of the judges listening in runtime directory `rt`. */
function judgePidsIn(rt: string): number[] {
  return judgePids().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${rt}/`);
    } catch {
      return false;
    }
  });
}

/** A fresh runtime directory of this test's own, so that its judge is its alone. */
function ownRuntime(name: string): string {
  const rt = join(dir, name);
  mkdirSync(rt, { mode: 0o700 });
  return rt;
}

/** `node -e` running the modules' hook with the arguments after it (as throughModules, for wrappers that add some). */
const MODULES = [
  process.execPath,
  '-e',
  `import(${JSON.stringify(CLI)}).then((m) => m.main(['hook', ...process.argv.slice(1)]))`,
  '--',
];

test("a --config given as the caller's own descriptor (bash <(...)) is read from the caller's descriptor", async () => {
  const rt = ownRuntime('run-procsub');
  const env = { XDG_RUNTIME_DIR: rt };
  await judgeUp(rt, env);
  const me = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
  const admin = join(dir, 'procsub-admin.toml');
  writeFileSync(admin, `[identity]\nadmins = [${JSON.stringify(me)}]\n`);
  // bash hands the command /dev/fd/63, a pipe open in the caller only.
  const viaBash = (argv: string[], extra: Record<string, string>) =>
    run(['bash', '-c', '"$@" --config <(cat "$ADMIN")', 'bash', ...argv], PRIVILEGED, {
      ...env,
      ADMIN: admin,
      ...extra,
    });
  const expected = await viaBash(MODULES, { DOCKGATE_HOOK_RESIDENT: '0' });
  assert.doesNotMatch(expected.out, /deny/, 'without the judge: the config on the pipe makes the caller an admin');
  assert.deepEqual(await viaBash([BIN, 'hook'], {}), expected);
});

test("a decision log on /dev/stderr reaches the caller's stderr through the judge too", async () => {
  const rt = ownRuntime('run-devstderr');
  const env = { XDG_RUNTIME_DIR: rt };
  await judgeUp(rt, env);
  const args = ['--config', config, '--decision-log', '/dev/stderr'];
  // Each line has ids, a time and a duration of its own.
  const plain = (r: Result) => ({
    ...r,
    err: r.err
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'ID')
      .replace(/"timestamp":"[^"]*"/g, '"timestamp":"T"')
      .replace(/"timer_dockgate_judge_ns":\d+/g, '"timer_dockgate_judge_ns":0'),
  });
  // stderr a pipe, as an agent gives its hooks (node's own stdio here is a socket, which /dev/stderr cannot open).
  const piped = ['sh', '-c', '{ "$@" 2>&1 >&3 3>&- | cat >&2; } 3>&1', 'sh'];
  const expected = plain(await throughModules(args, PRIVILEGED, env, dir, piped));
  assert.match(expected.err, /"point":"hook"/, 'without the judge: the decision is logged on stderr');
  assert.deepEqual(plain(await hook(args, PRIVILEGED, env, dir, piped)), expected);
});

test('a root caller without CAP_DAC_OVERRIDE is not answered with what only full root can read', {
  skip: !isRoot || !has('setpriv') ? 'needs root and setpriv' : false,
}, async () => {
  const rt = ownRuntime('run-caps');
  const env = { XDG_RUNTIME_DIR: rt };
  // The judge is started by a root with every capability (an admin's shell, say).
  await judgeUp(rt, env);
  // The config that makes root an admin belongs to somebody else: root reads it by CAP_DAC_OVERRIDE.
  const me = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
  const theirs = join(dir, 'caps-admin.toml');
  writeFileSync(theirs, `[identity]\nadmins = [${JSON.stringify(me)}]\n`);
  chownSync(theirs, 65534, 65534);
  chmodSync(theirs, 0o600);
  // A sandboxed agent running as root without the capabilities that bypass file permissions.
  const reduced = ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--inh-caps=-all'];
  const args = ['--config', theirs];
  const expected = await throughModules(args, PRIVILEGED, env, dir, reduced);
  assert.match(expected.out, /EACCES/, 'without the judge: the config cannot be read, refused');
  assert.deepEqual(await hook(args, PRIVILEGED, env, dir, reduced), expected);
});

test("a chrooted caller is judged with the files under its own root, not those under the judge's", {
  skip: !isRoot || spawnSync('unshare', ['-m', 'true']).status !== 0 ? 'needs root and unshare -m' : false,
}, async () => {
  // As schroot does: a jail that binds the host's tree (so the same dockgate, node and /tmp are
  // there, and the judge's socket with them), with one file of its own: a strict config.
  const rt = ownRuntime('run-chroot');
  const jail = join(dir, 'jail');
  mkdirSync(jail);
  const me = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
  const seen = join(dir, 'chroot.toml');
  writeFileSync(seen, `[identity]\nadmins = [${JSON.stringify(me)}]\n`);
  const out = join(dir, 'chroot-out');
  mkdirSync(out);
  const script = `set -e
mount --make-rprivate /
mount --rbind / "$JAIL"
mount --bind "$STRICT" "$JAIL$SEEN"
printf %s "$FIRST" | "$BIN" hook --config "$STRICT" >/dev/null
i=0; until ls "$XDG_RUNTIME_DIR"/dockgate/*.sock >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 400 ] || exit 9; sleep 0.05; done
set +e
printf %s "$EVENT" | chroot "$JAIL" "$BIN" hook --config "$SEEN" >"$OUT/judge.out" 2>"$OUT/judge.err"; echo $? >"$OUT/judge.code"
printf %s "$EVENT" | DOCKGATE_HOOK_RESIDENT=0 chroot "$JAIL" "$@" --config "$SEEN" >"$OUT/local.out" 2>"$OUT/local.err"; echo $? >"$OUT/local.code"
`;
  const r = await run(['unshare', '-m', 'sh', '-c', script, 'sh', ...MODULES], '', {
    XDG_RUNTIME_DIR: rt,
    JAIL: jail,
    STRICT: config,
    SEEN: seen,
    BIN,
    OUT: out,
    FIRST: event('docker ps', '/'),
    EVENT: event('docker run --privileged bb', '/'),
  });
  assert.equal(r.code, 0, r.err);
  const result = (name: string) => ({
    code: Number(readFileSync(join(out, `${name}.code`), 'utf8')),
    out: readFileSync(join(out, `${name}.out`), 'utf8'),
    err: readFileSync(join(out, `${name}.err`), 'utf8'),
  });
  const expected = result('local');
  assert.match(expected.out, REFUSED, "without the judge: the jail's config refuses it");
  assert.deepEqual(result('judge'), expected);
});

test("a judge started under a caller's file size limit does not cut another caller's decision log short", {
  skip: !has('prlimit') ? 'needs prlimit' : false,
}, async () => {
  const rt = ownRuntime('run-fsize');
  const env = { XDG_RUNTIME_DIR: rt };
  // The first call of the day came from a shell with `ulimit -f` set (a build sandbox, say).
  await judgeUp(rt, env, ['prlimit', '--fsize=200']);
  const viaModules = join(dir, 'fsize-modules.log');
  const viaJudge = join(dir, 'fsize-judge.log');
  await throughModules(['--config', config, '--decision-log', viaModules], PRIVILEGED, env);
  await hook(['--config', config, '--decision-log', viaJudge], PRIVILEGED, env);
  const lines = (f: string) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  assert.doesNotThrow(() => lines(viaModules).map((l) => JSON.parse(l)), 'without the judge: a whole line');
  // Lines differ in their timings and ids, so they are compared as whole JSON lines, not by size.
  assert.doesNotThrow(() => lines(viaJudge).map((l) => JSON.parse(l)), 'through the judge: a whole line');
  assert.equal(lines(viaJudge).length, lines(viaModules).length);
});

/** A daemon that takes every connection and never answers: each look-up runs to its 2 s deadline. */
async function muteDaemon(name: string): Promise<{ host: string; close: () => void }> {
  const path = join(dir, name);
  const conns: net.Socket[] = [];
  const server = net.createServer((c) => {
    conns.push(c);
    c.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(path, r));
  return {
    host: `unix://${path}`,
    close: () => {
      for (const c of conns) c.destroy();
      server.close();
    },
  };
}

test('two callers judged at once each get the verdict they get without the judge, not a deadline refusal', async () => {
  const rt = ownRuntime('run-concurrent');
  const daemon = await muteDaemon('mute-concurrent.sock');
  try {
    const env = { XDG_RUNTIME_DIR: rt, DOCKER_HOST: daemon.host };
    await judgeUp(rt, env);
    // Three look-ups of 2 s each: about 6 s, within the hook's 8 s, in a process of its own.
    const text = event('docker exec a ls; docker exec b ls; docker exec c ls');
    const args = ['--config', config];
    const expected = await throughModules(args, text, env);
    assert.doesNotMatch(expected.out, /no verdict within/, 'without the judge: a verdict in time');
    // Two agents (or two parallel tool calls of one) ask at the same time.
    const [first, second] = await Promise.all([
      hook(args, text, env),
      new Promise<Result>((r) => setTimeout(() => hook(args, text, env).then(r), 200)),
    ]);
    assert.deepEqual(first, expected, 'the first caller');
    assert.deepEqual(second, expected, 'the second caller, whose question waited for the first');
  } finally {
    daemon.close();
  }
});

/** A FIFO nobody writes to: a read of it waits until somebody opens it for writing. */
function stuckFifo(name: string): { path: string; release: () => void } {
  const path = join(dir, name);
  sh('mkfifo', [path]);
  return {
    path,
    release: () => {
      // A reader waits in open(): a writer that opens and closes lets it read an empty file.
      spawnSync('sh', ['-c', 'exec 3>"$1"', 'sh', path], { timeout: 2_000 });
    },
  };
}

test("a question that never ends does not hold up another caller's question", async () => {
  const rt = ownRuntime('run-stuck');
  const env = { XDG_RUNTIME_DIR: rt };
  await judgeUp(rt, env);
  const fifo = stuckFifo('stuck-config.fifo');
  try {
    const args = ['--config', config];
    const expected = await throughModules(args, PRIVILEGED, env);
    assert.match(expected.out, REFUSED);
    // One caller's config is a named pipe whose writer is not there (or a file on a hung NFS mount):
    // that call is refused at its deadline, with or without the judge.
    const stuck = hook(['--config', fifo.path], event('docker ps'), env);
    await new Promise((r) => setTimeout(r, 500));
    // Another caller, with nothing unusual about it, asks meanwhile and after.
    assert.deepEqual(await hook(args, PRIVILEGED, env), expected, 'while the other call waits');
    await stuck;
    assert.deepEqual(await hook(args, PRIVILEGED, env), expected, 'after the other call was refused');
  } finally {
    fifo.release();
  }
});

test('a judge whose socket is gone stops even while a question of its is stuck reading a file', async () => {
  const rt = ownRuntime('run-stuck-exit');
  const env = { XDG_RUNTIME_DIR: rt };
  await judgeUp(rt, env);
  const pids = judgePidsIn(rt);
  assert.equal(pids.length, 1);
  const fifo = stuckFifo('stuck-exit.fifo');
  try {
    await hook(['--config', fifo.path], event('docker ps'), env);
    for (const s of sockets(rt)) rmSync(join(rt, 'dockgate', s));
    // CHECK_MS is 5 s: a judge whose name is gone stops within that, and a little more.
    const alive = () => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pids[0]}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    const end = Date.now() + 12_000;
    while (Date.now() < end && alive()) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!alive(), 'the judge is still there, its socket gone, 12 s on');
  } finally {
    fifo.release();
  }
});
