// `dockgate policy` on the command line, as people pipe it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { DOCKGATE_BIN } from '../harness/index.js';

test('policy list piped into a reader that has already gone ends quietly with status 0 (no EPIPE trace)', () => {
  // `true` exits before dockgate has started, so dockgate's first write meets a closed pipe.
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${DOCKGATE_BIN}" policy list | true`], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /EPIPE|Error/);
});

test('policy list prints one line per rule', () => {
  const r = spawnSync(process.execPath, [DOCKGATE_BIN, 'policy', 'list'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^privileged\s+on\s/);
  assert.match(r.stdout, /^container-joins\s+on\s/m);
});
