// `dockgate hook` through the bundle `npm run build` makes (bundle.ts, hook-launch.ts): it loads
// with its code cache, answers byte for byte as the modules answer, and a missing or broken
// bundle still gets the same answer, from the modules.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { bundleFiles, loadHookBundle } from '../../../src/enforce/cli/hook-bundle.js';
import {
  HOOK_COMMANDS,
  HOOK_FORMATS,
  hookEvent,
  hookFixture,
  hookThroughModules,
  runHookProcess,
} from '../../harness/hook-calls.js';

const BIN = resolve(import.meta.dirname, '../../../../bin/dockgate');
const LAUNCH = resolve(import.meta.dirname, '../../../src/enforce/cli/hook-launch.js');
let dir: string;
let config: string;

before(() => {
  ({ dir, config } = hookFixture('dockgate-hook-launch-'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

const event = (command: string) => hookEvent('claude', command, dir);
// Without the resident judge: these are the paths a call takes on its own.
const run = (file: string, args: string[], input: string) => runHookProcess(dir, file, args, input);
const throughModules = (args: string[], input: string) => hookThroughModules(dir, args, input);

test('the bundle npm run build made loads with its V8 code cache accepted by this Node', () => {
  const loaded = loadHookBundle(bundleFiles(resolve(import.meta.dirname, '../../../src/enforce/cli')));
  assert.ok(loaded, 'no hook bundle: npm run build makes it');
  assert.equal(loaded.script.cachedDataRejected, false);
  assert.equal(typeof loaded.bundle.loadGuard, 'function');
});

test('dockgate hook answers through the bundle exactly as the modules answer, in every format', () => {
  for (const format of HOOK_FORMATS) {
    for (const command of HOOK_COMMANDS) {
      const args = ['--format', format, '--config', config];
      const input = hookEvent(format, command, dir);
      const bundled = run(BIN, ['hook', ...args], input);
      const modules = throughModules(args, input);
      assert.equal(bundled.code, 0, bundled.err);
      assert.deepEqual(bundled, modules, `${format}: ${command}`);
    }
  }
  // It answers at all (the comparison above would pass if both printed nothing).
  assert.match(
    run(BIN, ['hook', '--config', config], event(HOOK_COMMANDS[0] as string)).out,
    /"permissionDecision":"deny"/,
  );
});

test('a missing or broken bundle is not a silent allow: the modules judge the call', () => {
  const broken = join(dir, 'broken');
  rmSync(broken, { recursive: true, force: true });
  mkdirSync(broken);
  const cases: [string, string | undefined][] = [
    ['missing', undefined],
    ['throws', 'throw new Error("half written")'],
    ['not a script', '})({'],
  ];
  for (const [name, text] of cases) {
    const files = bundleFiles(broken);
    rmSync(files.script, { force: true });
    if (text !== undefined) writeFileSync(files.script, text);
    const launch = `import(${JSON.stringify(LAUNCH)}).then((m) => m.launchHook(${JSON.stringify(['--config', config])}, ${JSON.stringify(files)})).then((code) => { process.exitCode = code; })`;
    const input = event('docker run --privileged bb');
    const r = run(process.execPath, ['-e', launch], input);
    assert.deepEqual(r, throughModules(['--config', config], input), name);
    assert.match(r.out, /privileged mode is refused/, name);
  }
});

test('dockgate hook --help and an unknown flag are answered by the whole CLI', () => {
  const help = run(BIN, ['hook', '--help'], '');
  assert.equal(help.code, 0);
  assert.match(help.out, /^usage: dockgate hook/);
  const bad = run(BIN, ['hook', '--bogus'], '');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /hook: Unknown option '--bogus'/);
});

test('a config read that never returns: the deadline refusal is printed and the hook exits', () => {
  // A FIFO without a writer: the read waits in Node's thread pool, which process.exit waits for.
  const fifo = join(dir, 'config.fifo');
  rmSync(fifo, { force: true });
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const started = Date.now();
  const r = run(process.execPath, [BIN, 'hook', '--config', fifo], event('docker run --privileged bb'));
  assert.equal(r.code, 0, `exit ${r.code} after ${Date.now() - started} ms`);
  assert.match(r.out, /"permissionDecision":"deny".*no verdict within 8000 ms/);
  assert.ok(Date.now() - started < 15_000);
});
