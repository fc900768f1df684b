// The resident hook judge (resident.ts, resident-judge.ts): the first call that needs judging
// starts the caller's judge, later calls are answered by it exactly as the modules answer; the
// caller's environment, directory and flags decide, not the judge's; only a socket in a directory
// that is the caller's alone is asked; and a judge that is gone, silent or garbled leaves the
// call to be judged in its own process.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import {
  HOOK_COMMANDS,
  HOOK_FORMATS,
  hookEvent,
  hookFixture,
  hookThroughModules,
  judgePids as judgePidsUnder,
  judgeSockets,
  runHookProcess,
  until,
} from '../../harness/hook-calls.js';

const BIN = resolve(import.meta.dirname, '../../../../bin/dockgate');
let dir: string;
let runtime: string;
let config: string;

before(() => {
  ({ dir, config } = hookFixture('dockgate-resident-'));
  runtime = join(dir, 'run');
  mkdirSync(runtime, { mode: 0o700 });
  writeFileSync(join(dir, 'broken.rego'), 'package docker.authz\nallow if {\n');
});

after(async () => {
  await stopJudges();
  rmSync(dir, { recursive: true, force: true });
});

/** A hook call with the resident judge on, its directory under `runtime`. */
const hook = (args: string[], input: string, env: Record<string, string> = {}, cwd?: string) =>
  runHookProcess(
    dir,
    BIN,
    ['hook', ...args],
    input,
    { XDG_RUNTIME_DIR: runtime, DOCKGATE_HOOK_RESIDENT: '1', ...env },
    cwd,
  );

const throughModules = (args: string[], input: string, env: Record<string, string> = {}, cwd?: string) =>
  hookThroughModules(dir, args, input, env, cwd);

const event = (format: string, command: string, cwd: string | undefined = dir) => hookEvent(format, command, cwd);

const judgeDir = () => join(runtime, 'dockgate');
const sockets = () => judgeSockets(runtime);
const judgePids = () => judgePidsUnder(runtime);

/** Starts the judge through a first call and waits until it holds its socket. */
async function judgeUp(): Promise<string> {
  if (sockets().length === 0) {
    const first = hook(['--config', config], event('claude', 'docker ps'));
    assert.equal(first.code, 0);
  }
  await until('the judge to take its socket', () => sockets().length === 1);
  return join(judgeDir(), sockets()[0]!);
}

/** A hook call that leaves this process's event loop running (for a server of the test's own). */
function hookAsync(args: string[], input: string): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(BIN, ['hook', ...args], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      DOCKER_HOST: `unix://${join(dir, 'none.sock')}`,
      XDG_RUNTIME_DIR: runtime,
      DOCKGATE_HOOK_RESIDENT: '1',
    },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  child.stdin.end(input);
  return new Promise((done) => child.on('close', (code) => done({ code, out, err })));
}

/** Puts a server of the test's own at the judge's socket for the length of `body`. */
async function withFakeJudge(reply: (conn: net.Socket) => void, body: () => Promise<void>): Promise<void> {
  const socket = await judgeUp();
  // No real judge beside the fake: one still warming up would take the name back from it.
  await stopJudges();
  rmSync(socket, { force: true });
  const fake = net.createServer({ allowHalfOpen: true }, (conn) => conn.resume().on('end', () => reply(conn)));
  await new Promise<void>((r) => fake.listen(socket, r));
  try {
    await body();
  } finally {
    fake.close();
    await stopJudges(); // those the calls started when the fake did not answer
    rmSync(socket, { force: true });
  }
}

async function stopJudges(): Promise<void> {
  for (const pid of judgePids()) process.kill(pid, 'SIGKILL');
  await until('the judges to stop', () => judgePids().length === 0);
}

test('the first call starts the judge; calls it answers read byte for byte as the modules, in every format', async () => {
  assert.deepEqual(sockets(), []);
  await judgeUp();
  assert.equal(judgePids().length, 1, 'one judge for the caller');
  for (const format of HOOK_FORMATS)
    for (const command of HOOK_COMMANDS) {
      const args = ['--format', format, '--config', config];
      const text = event(format, command);
      assert.deepEqual(hook(args, text), throughModules(args, text), `${format}: ${command}`);
    }
  assert.match(hook(['--config', config], event('claude', HOOK_COMMANDS[0]!)).out, /privileged mode is refused/);
});

test("the caller's environment, directory and relative flags decide, not the judge's", async () => {
  await judgeUp();
  const sub = join(dir, 'sub');
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, 'local.toml'), '[identity]\nadmins = []\nadmin_groups = []\n');
  const cases: [string, Record<string, string>, string | undefined][] = [
    ['docker run -v $X:/h bb', { X: '/' }, dir],
    ['docker run -v $X:/h bb', { X: join(dir, 'data') }, dir],
    ['docker run -v ~/w:/w bb', { HOME: '/' }, dir],
    ['docker run -v ./:/w bb', {}, undefined], // no cwd in the event: the caller's own directory
  ];
  const outs = new Set<string>();
  for (const [command, env, eventCwd] of cases) {
    const args = ['--config', 'local.toml'];
    const text = event('claude', command, eventCwd);
    const got = hook(args, text, env, sub);
    assert.deepEqual(got, throughModules(args, text, env, sub), `${command} ${JSON.stringify(env)}`);
    outs.add(got.out);
  }
  assert.ok(outs.size >= 2, 'the cases do not all answer alike');
  // A decision log named relative to the caller's directory is written there, by flag or environment.
  const text = event('claude', 'docker run --privileged bb');
  hook(['--config', 'local.toml', '--decision-log', 'flag.log'], text, {}, sub);
  hook(['--config', 'local.toml'], text, { DOCKGATE_DECISION_LOG: 'env.log' }, sub);
  for (const log of ['flag.log', 'env.log'])
    assert.match(readFileSync(join(sub, log), 'utf8'), /"result":false|"allowed":false|privileged/, log);
  assert.match(
    hook(['--config', 'local.toml'], event('claude', 'docker run -v $X:/h bb'), { X: '/' }, sub).out,
    /deny/,
  );
});

test('an edit of the config counts at the next call; a policy that does not load is refused as without the judge', async () => {
  await judgeUp();
  const edited = join(dir, 'edited.toml');
  const text = event('claude', 'docker run --privileged bb');
  writeFileSync(edited, '[identity]\nadmins = []\nadmin_groups = []\n');
  assert.match(hook(['--config', edited], text).out, /privileged mode is refused/);
  const me = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(edited, `[identity]\nadmins = [${JSON.stringify(me)}]\n`);
  const asAdmin = hook(['--config', edited], text);
  assert.deepEqual(asAdmin, throughModules(['--config', edited], text));
  assert.doesNotMatch(asAdmin.out, /privileged mode is refused/);
  const broken = hook(['--policy', join(dir, 'broken.rego')], text);
  assert.deepEqual(broken, throughModules(['--policy', join(dir, 'broken.rego')], text));
  assert.match(broken.out, /"permissionDecision":"deny"/);
});

test('whatever is at the socket is asked; a silent, garbled or vanishing one leaves the call to be judged in its own process', async () => {
  const text = event('claude', 'docker run --privileged bb');
  const expected = throughModules(['--config', config], text);
  await withFakeJudge(
    (conn) => conn.end(`+${JSON.stringify({ verdict: { decision: 'deny', reason: 'the fake judge' }, stderr: '' })}`),
    async () =>
      assert.match((await hookAsync(['--config', config], text)).out, /"permissionDecisionReason":"the fake judge"/),
  );
  await withFakeJudge(
    (conn) => conn.end('+{"verdict": {"decision": "allow"'),
    async () => assert.deepEqual(await hookAsync(['--config', config], text), expected),
  );
  await withFakeJudge(
    (conn) => conn.end('+'), // takes the question, then goes away
    async () => assert.deepEqual(await hookAsync(['--config', config], text), expected),
  );
  await withFakeJudge(
    () => undefined, // never answers
    async () => {
      const started = Date.now();
      assert.deepEqual(await hookAsync(['--config', config], text), expected);
      assert.ok(Date.now() - started < 8_000, 'answered within the hook deadline');
    },
  );
});

test("a directory that is not the caller's alone is never asked", async () => {
  const text = event('claude', 'docker run --privileged bb');
  const expected = throughModules(['--config', config], text);
  await withFakeJudge(
    (conn) => conn.end(`+${JSON.stringify({ verdict: { reason: '' }, stderr: '' })}`),
    async () => {
      assert.equal((await hookAsync(['--config', config], text)).out, '', 'the fake judge allows: it is asked');
      chmodSync(judgeDir(), 0o755);
      assert.deepEqual(await hookAsync(['--config', config], text), expected, 'a directory others can enter');
      chmodSync(judgeDir(), 0o700);
      chmodSync(runtime, 0o777);
      assert.deepEqual(await hookAsync(['--config', config], text), expected, 'an XDG_RUNTIME_DIR others can write');
      chmodSync(runtime, 0o700);
      if (process.getuid?.() === 0) {
        chownSync(judgeDir(), 65534, 65534);
        assert.deepEqual(await hookAsync(['--config', config], text), expected, "a directory of somebody else's");
        chownSync(judgeDir(), 0, 0);
      }
      assert.equal((await hookAsync(['--config', config], text)).out, '', 'the directory is private again');
    },
  );
});

/** What the judge answers a raw client that sends `body` and closes its side. */
function rawAsk(socket: string, body: string | Buffer): Promise<string> {
  return new Promise((done, fail) => {
    const conn = net.createConnection({ path: socket });
    let text = '';
    conn.on('data', (d) => (text += d));
    conn.on('end', () => done(text));
    conn.on('error', fail);
    conn.end(body);
  });
}

test('the judge answers a question it cannot read with "unavailable", judges nothing, and keeps serving', async () => {
  const socket = await judgeUp();
  const log = join(dir, 'raw-questions.log');
  const question = (extra: Record<string, unknown>) =>
    JSON.stringify({
      question: { command: 'docker run --privileged bb', cwd: dir },
      values: { config, 'decision-log': log },
      cwd: dir,
      env: { HOME: dir },
      umask: 0o022,
      pid: process.pid,
      ...extra,
    });
  const cases: [string, string | Buffer][] = [
    ['not JSON', '{"question": '],
    ['JSON of another shape', JSON.stringify({ question: 'docker run --privileged bb' })],
    ['a umask that is not a number', question({ umask: 'all' })],
    ['over 4 MiB', question({ env: { HOME: dir, PAD: 'x'.repeat(4 * 1024 * 1024) } })],
  ];
  for (const [name, body] of cases) {
    const text = await rawAsk(socket, body);
    assert.ok(text.startsWith('+'), `${name}: ${text.slice(0, 80)}`);
    assert.equal(typeof JSON.parse(text.slice(1)).unavailable, 'string', `${name}: ${text.slice(0, 80)}`);
  }
  assert.equal(existsSync(log), false, 'none of them was judged');
  // A well-formed question on the same judge is judged, and logged.
  const judged = JSON.parse((await rawAsk(socket, question({}))).slice(1));
  assert.equal(judged.verdict.decision, 'deny');
  assert.match(judged.verdict.reason, /privileged mode is refused/);
  assert.ok(existsSync(log));
});

test('DOCKGATE_HOOK_RESIDENT=0 starts no judge; a judge whose socket is gone stops', async () => {
  const other = join(dir, 'run-off');
  mkdirSync(other, { mode: 0o700 });
  const text = event('claude', 'docker run --privileged bb');
  const off = hook(['--config', config], text, { XDG_RUNTIME_DIR: other, DOCKGATE_HOOK_RESIDENT: '0' });
  assert.match(off.out, /privileged mode is refused/);
  await new Promise((r) => setTimeout(r, 1_000));
  assert.equal(existsSync(join(other, 'dockgate')), false, 'no judge directory made');

  const socket = await judgeUp();
  // A judge that did not answer in time is replaced by a new one, which may still be on its way.
  await until('one judge', () => judgePids().length === 1);
  rmSync(socket);
  await until('the judge to stop', () => judgePids().length === 0);
});
