// The command line itself: help for each command, and one-line errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { DOCKGATE_BIN } from './harness/index.js';

const dockgate = (...args: string[]) => spawnSync(process.execPath, [DOCKGATE_BIN, ...args], { encoding: 'utf8' });

test('each command prints its own flags for --help and -h, and exits 0', () => {
  for (const [command, flags] of [
    [
      'serve',
      [
        '--listen',
        '--upstream',
        '--policy',
        '--decision-log',
        '--socket-mode',
        '--tls-ca',
        '--insecure-tcp',
        '--header-timeout',
      ],
    ],
    ['eval', ['--data', '--input', '--format', '--v0-compatible']],
    ['test', ['--verbose', '--v0-compatible']],
    ['bench', ['--count', '--format']],
    ['policy', ['explain RULE', 'export [--out DIR]']],
  ] as const) {
    for (const ask of ['--help', '-h']) {
      const r = dockgate(command, ask);
      assert.equal(r.status, 0, `${command} ${ask}: ${r.stderr}`);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, new RegExp(`^usage: dockgate ${command} `));
      for (const flag of flags) assert.ok(r.stdout.includes(flag), `${command} ${ask} does not mention ${flag}`);
    }
  }
});

test('--help among other flags is still help; after -- it is an argument', () => {
  const help = dockgate('serve', '--upstream', 'unix:///nowhere.sock', '--help');
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^usage: dockgate serve /);
  // After `--`, eval takes "--help" as its query: a parse error, not help.
  const query = dockgate('eval', '--', '--help');
  assert.notEqual(query.status, 0);
  assert.doesNotMatch(query.stdout, /usage:/);
});

test('an unknown flag is one line on stderr and exit 2', () => {
  const r = dockgate('serve', '--no-such-flag');
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^dockgate: serve: Unknown option '--no-such-flag'.*\n$/);
});
