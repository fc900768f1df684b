// `dockgate hook` from the V8 startup snapshot `npm run build` makes (hook-snapshot.ts): Node takes
// the blob, the answers are byte for byte those of the modules, and a blob Node refuses or that
// crashes it, or a call the snapshot leaves to the full CLI, is answered by the bundle instead;
// bin/dockgate routes only inputs naming docker to the snapshot, and a stalled stdin is bounded.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { snapshotFiles } from '../../../src/enforce/cli/bundle.js';
import {
  HOOK_COMMANDS,
  HOOK_FORMATS,
  hookEvent,
  hookFixture,
  hookThroughModules,
  runHookProcess,
} from '../../harness/hook-calls.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const CLI_DIR = join(ROOT, 'dist', 'src', 'enforce', 'cli');
const BLOB = snapshotFiles(CLI_DIR).blob;
let dir: string;
let config: string;

before(() => {
  ({ dir, config } = hookFixture('dockgate-hook-snapshot-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

// Without the resident judge: these are the paths a call takes on its own.
const run = (file: string, args: string[], text: string) => runHookProcess(dir, file, args, text);
const throughModules = (args: string[], text: string) => hookThroughModules(dir, args, text);
const input = (format: string, command: string) => hookEvent(format, command, dir);

const COMMANDS = [...HOOK_COMMANDS, 'not json at all'];

test('Node takes the snapshot and it answers exactly as the modules, in every format', () => {
  for (const format of HOOK_FORMATS)
    for (const command of COMMANDS) {
      const text = command === 'not json at all' ? command : input(format, command);
      const args = ['--format', format, '--config', config];
      // Straight from the blob: no launcher that could fall back and hide a failing snapshot.
      const snap = run(process.execPath, ['--snapshot-blob', BLOB, 'hook', ...args], text);
      assert.equal(snap.code, 0, `${format}: ${command}: ${snap.err}`);
      assert.deepEqual(snap, throughModules(args, text), `${format}: ${command}`);
    }
  const deny = run(
    process.execPath,
    ['--snapshot-blob', BLOB, 'hook', '--config', config],
    input('claude', COMMANDS[0]!),
  );
  assert.match(deny.out, /"permissionDecision":"deny".*privileged mode is refused/);
});

test('what the snapshot does not answer it leaves before reading stdin, with a non-zero exit', () => {
  for (const args of [
    ['hook', '--help'],
    ['hook', '--bogus'],
    ['check', '--shell', 'ls'],
  ]) {
    const r = run(process.execPath, ['--snapshot-blob', BLOB, ...args], input('claude', COMMANDS[0]!));
    assert.notEqual(r.code, 0, args.join(' '));
    assert.equal(r.out, '', args.join(' '));
  }
});

/** An install whose snapshot blob is `blob` (undefined: none), everything else the real one. */
function installWith(name: string, blob: Buffer | undefined): string {
  const top = join(dir, name);
  const cli = join(top, 'dist', 'src', 'enforce', 'cli');
  mkdirSync(cli, { recursive: true });
  mkdirSync(join(top, 'bin'));
  writeFileSync(join(top, 'bin', 'dockgate'), readFileSync(join(ROOT, 'bin', 'dockgate')), { mode: 0o755 });
  for (const f of readdirSync(CLI_DIR))
    if (!f.startsWith('hook.snapshot.')) symlinkSync(join(CLI_DIR, f), join(cli, f));
  for (const f of readdirSync(join(ROOT, 'dist', 'src')))
    if (f !== 'enforce') symlinkSync(join(ROOT, 'dist', 'src', f), join(top, 'dist', 'src', f));
  for (const f of readdirSync(join(ROOT, 'dist', 'src', 'enforce')))
    if (f !== 'cli') symlinkSync(join(ROOT, 'dist', 'src', 'enforce', f), join(top, 'dist', 'src', 'enforce', f));
  if (blob !== undefined) writeFileSync(join(cli, 'hook.snapshot.blob'), blob);
  return join(top, 'bin', 'dockgate');
}

test('a blob from another Node, a truncated blob or none: bin/dockgate answers from the bundle', () => {
  const real = readFileSync(BLOB);
  const head = Buffer.from(
    real.subarray(0, 4096).toString('latin1').replaceAll(process.version.slice(1), '0.0.0'),
    'latin1',
  );
  assert.notDeepEqual(head, real.subarray(0, 4096), 'the blob names the Node version in its header');
  const cases: [string, Buffer | undefined][] = [
    ['other-node', Buffer.concat([head, real.subarray(4096)])],
    ['truncated', real.subarray(0, 1000)],
    ['missing', undefined],
  ];
  const text = input('claude', 'docker run --privileged bb');
  const expected = throughModules(['--config', config], text);
  for (const [name, blob] of cases) {
    const r = run(installWith(name, blob), ['hook', '--config', config], text);
    assert.equal(r.out, expected.out, name);
    assert.equal(r.code, 0, name);
    assert.match(r.out, /privileged mode is refused/, name);
  }
});

test('bin/dockgate answers as the modules whichever path it routes an input to (docker named, escaped, or not)', () => {
  const bin = join(ROOT, 'bin', 'dockgate');
  const texts = COMMANDS.map((c) => (c === 'not json at all' ? c : input('claude', c)));
  // JSON may spell a letter as an escape: the text then does not read "docker", the command does.
  const escaped = input('claude', 'docker run --privileged bb').replace('docker', '\\u0064ocker');
  for (const text of [...texts, escaped]) {
    const r = run(bin, ['hook', '--config', config], text);
    assert.deepEqual(r, throughModules(['--config', config], text), text);
  }
  assert.match(run(bin, ['hook', '--config', config], escaped).out, /privileged mode is refused/);
});

test('bin/dockgate with a stdin that never closes: answered by the deadline as the partial input', async () => {
  const partial = input('claude', 'docker run --privileged bb').slice(0, 40);
  const started = Date.now();
  const child = spawn(join(ROOT, 'bin', 'dockgate'), ['hook', '--config', config], {
    cwd: dir,
    // Without the resident judge: these are the paths a call takes on its own.
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      DOCKER_HOST: `unix://${join(dir, 'none.sock')}`,
      DOCKGATE_HOOK_RESIDENT: '0',
    },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stdin.write(partial); // and never ended
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  child.stdin.destroy();
  assert.ok(Date.now() - started < 20_000);
  assert.equal(code, 0);
  assert.equal(out, throughModules(['--config', config], partial).out);
  assert.match(out, /"permissionDecision":"(deny|ask)"/);
});

test('bin/dockgate refuses an input over the hook limit, as the modules do, without keeping it whole', () => {
  const huge = input('claude', `docker ps ${'x'.repeat(2 * 1024 * 1024)}`);
  const r = run(join(ROOT, 'bin', 'dockgate'), ['hook', '--config', config], huge);
  assert.equal(r.code, 0);
  assert.equal(r.out, throughModules(['--config', config], huge).out);
  assert.match(r.out, /"permissionDecision":"deny".*over 1048576 bytes/);
});
