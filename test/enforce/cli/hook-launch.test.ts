// `dockgate hook` through the bundle `npm run build` makes (bundle.ts, hook-launch.ts): it loads
// with its code cache, answers byte for byte as the modules answer, and a missing or broken
// bundle still gets the same answer, from the modules.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { bundleFiles, loadHookBundle } from '../../../src/enforce/cli/hook-bundle.js';

const BIN = resolve(import.meta.dirname, '../../../../bin/dockgate');
const CLI = resolve(import.meta.dirname, '../../../src/cli.js');
const LAUNCH = resolve(import.meta.dirname, '../../../src/enforce/cli/hook-launch.js');
let dir: string;
let config: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dockgate-hook-launch-'));
  config = join(dir, 'dockgate.toml');
  writeFileSync(config, '[identity]\nadmins = []\nadmin_groups = []\n');
  writeFileSync(join(dir, 'F.yaml'), 'services:\n  web:\n    image: bb\n    privileged: true\n');
});

after(() => rmSync(dir, { recursive: true, force: true }));

function event(command: string): string {
  return JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command }, cwd: dir });
}

function run(file: string, args: string[], input: string) {
  const r = spawnSync(file, args, {
    cwd: dir,
    input,
    encoding: 'utf8',
    // Without the resident judge: these are the paths a call takes on its own.
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      DOCKER_HOST: `unix://${join(dir, 'none.sock')}`,
      DOCKGATE_HOOK_RESIDENT: '0',
    },
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The same call answered by the modules, without the launcher or the bundle. */
function throughModules(args: string[], input: string) {
  const main = `import(${JSON.stringify(CLI)}).then((m) => m.main(${JSON.stringify(['hook', ...args])}))`;
  return run(process.execPath, ['-e', main], input);
}

const COMMANDS = [
  'docker run --privileged bb',
  'sudo docker run -v /:/h bb',
  `bash -c 'docker run --pid=host bb'`,
  'docker run --rm bb echo hi',
  'docker compose -f F.yaml up',
  '$D run bb',
  'ls -la',
];

test('the bundle npm run build made loads with its V8 code cache accepted by this Node', () => {
  const loaded = loadHookBundle(bundleFiles(resolve(import.meta.dirname, '../../../src/enforce/cli')));
  assert.ok(loaded, 'no hook bundle: npm run build makes it');
  assert.equal(loaded.script.cachedDataRejected, false);
  assert.equal(typeof loaded.bundle.loadGuard, 'function');
});

test('dockgate hook answers through the bundle exactly as the modules answer, in every format', () => {
  for (const format of ['claude', 'codex', 'gemini', 'cursor']) {
    for (const command of COMMANDS) {
      const args = ['--format', format, '--config', config];
      const input =
        format === 'cursor'
          ? JSON.stringify({ hook_event_name: 'beforeShellExecution', command, cwd: dir })
          : format === 'gemini'
            ? JSON.stringify({
                hook_event_name: 'BeforeTool',
                tool_name: 'run_shell_command',
                tool_input: { command },
                cwd: dir,
              })
            : event(command);
      const bundled = run(BIN, ['hook', ...args], input);
      const modules = throughModules(args, input);
      assert.equal(bundled.code, 0, bundled.err);
      assert.deepEqual(bundled, modules, `${format}: ${command}`);
    }
  }
  // It answers at all (the comparison above would pass if both printed nothing).
  assert.match(run(BIN, ['hook', '--config', config], event(COMMANDS[0] as string)).out, /"permissionDecision":"deny"/);
});

test('a missing or broken bundle is not a silent allow: the modules judge the call', () => {
  const broken = join(dir, 'broken');
  rmSync(broken, { recursive: true, force: true });
  spawnSync('mkdir', [broken]);
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
