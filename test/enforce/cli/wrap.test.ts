// The docker wrapper: an allowed command runs the real docker with its arguments unchanged and
// exits with its code; a refused one runs nothing. The "real docker" here is a script that
// records its arguments.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

const BIN = resolve(import.meta.dirname, '../../../../bin/dockgate');
let dir: string;
let realDir: string;
let shimDir: string;
let config: string;
let marker: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dockgate-wrap-'));
  realDir = join(dir, 'real');
  shimDir = join(dir, 'shim');
  mkdirSync(realDir);
  mkdirSync(shimDir);
  marker = join(dir, 'ran');
  writeFileSync(
    join(realDir, 'docker'),
    `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > ${JSON.stringify(marker)}\nread line || true\necho "stdin:$line"\nexit 7\n`,
    { mode: 0o755 },
  );
  config = join(dir, 'dockgate.toml');
  writeFileSync(config, '[identity]\nadmins = []\nadmin_groups = []\n');
});

after(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[], input = '') {
  rmSync(marker, { force: true });
  const r = spawnSync(cmd, args, {
    cwd: dir,
    input,
    encoding: 'utf8',
    env: {
      PATH: `${shimDir}:${realDir}:${process.env.PATH}`,
      HOME: dir,
      DOCKER_HOST: `unix://${join(dir, 'none.sock')}`,
    },
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('an allowed command runs the real docker with the arguments unchanged, its stdin, and its exit code', () => {
  const args = ['run', '--rm', 'bb', 'sh', '-c', 'echo "a b" $HOME'];
  const r = run(process.execPath, [BIN, 'wrap', '--config', config, '--', ...args], 'from-stdin\n');
  assert.equal(r.code, 7, r.err);
  assert.equal(r.out, 'stdin:from-stdin\n');
  assert.deepEqual(readFileSync(marker, 'utf8').split('\n').slice(0, -1), args);
});

test('a denied command runs nothing and exits 1 with the reason', () => {
  const r = run(process.execPath, [BIN, 'wrap', '--config', config, '--', 'run', '--privileged', 'bb']);
  assert.equal(r.code, 1);
  assert.match(r.err, /privileged mode is refused/);
  assert.equal(existsSync(marker), false);
});

test('the installed shim named docker judges first and skips itself when finding the real docker', () => {
  const inst = run(process.execPath, [BIN, 'wrap', '--install', shimDir]);
  assert.equal(inst.code, 0, inst.err);
  // A command the guard cannot translate is refused whoever runs it: the shim judged first.
  const unknown = run(join(shimDir, 'docker'), ['frobnicate', '--privileged']);
  assert.equal(unknown.code, 2, unknown.err);
  assert.match(unknown.err, /does not translate/);
  assert.equal(existsSync(marker), false);
  const ps = run(join(shimDir, 'docker'), ['ps']);
  assert.equal(ps.code, 7, ps.err);
  assert.deepEqual(readFileSync(marker, 'utf8').split('\n').slice(0, -1), ['ps']);
});
