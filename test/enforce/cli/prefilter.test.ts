// The hook's quick look lets through only text the full reading also finds no docker in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { cannotReachDocker } from '../../../src/enforce/cli/prefilter.js';
import { scanShell } from '../../../src/enforce/cli/shell.js';

const options = { cwd: '/tmp', env: { HOME: '/h' }, readScript: () => 'docker run --privileged bb' };

test('plain commands without docker skip the full reading', () => {
  for (const text of ['ls -la', 'git status', 'npm test', 'cat src/a.ts', 'make -j4 all', 'rg foo src/'])
    assert.equal(cannotReachDocker(text), true, text);
});

test('anything that could spell or run docker goes to the full reading', () => {
  for (const text of [
    'docker ps',
    'DOCKER ps',
    'd\\ocker run --privileged bb',
    "doc'ker' run bb",
    '$D run bb',
    'echo x | sh',
    'bash run.sh',
    'sh -c x',
    '. ./env.sh',
    'source env.sh',
    'eval x',
    'busybox sh',
    '/bin/bash script',
    'x && y',
    '`id`',
  ])
    assert.equal(cannotReachDocker(text), false, text);
});

test('whatever the quick look lets through, the full reading finds no docker in either', () => {
  const pieces = [
    'ls',
    ' ',
    '-la',
    'src/',
    'doc',
    'ker',
    'x',
    '=',
    'run',
    'sh',
    'bash',
    '.',
    '/',
    'a',
    ':',
    '--privileged',
  ];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 12 }), (parts) => {
      const text = parts.join('');
      if (!cannotReachDocker(text)) return;
      const scan = scanShell(text, options);
      assert.deepEqual(scan.invocations, [], text);
      assert.deepEqual(scan.undecidable, [], text);
    }),
    { numRuns: 1000 },
  );
});
