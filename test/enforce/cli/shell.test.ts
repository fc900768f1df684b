// The shell scanner on hostile input: whatever text an agent sends, it returns (no throw, no
// hang), and text that holds a dangerous docker command is never reported as free of docker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { scanShell, UNKNOWN } from '../../../src/enforce/cli/shell.js';

const options = {
  cwd: '/tmp',
  env: { HOME: '/home/u' },
  readScript: () => {
    throw new Error('no scripts here');
  },
};

const PIECES = [
  'docker',
  ' run',
  ' --privileged',
  ' bb',
  ';',
  '&&',
  '||',
  '|',
  '(',
  ')',
  '{',
  '}',
  '$(',
  '`',
  "'",
  '"',
  '\\',
  '\n',
  ' bash -c ',
  ' sudo ',
  '$X',
  '${Y:-z}',
  '<<EOF\n',
  'EOF\n',
  '<<<',
  ' eval ',
  '#',
  '&',
  '*',
  '~',
  '=',
  ' -v /:/h',
];

test('any text made of shell pieces is scanned without throwing, within bounds', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }), (parts) => {
      const scan = scanShell(parts.join(''), options);
      assert.ok(Array.isArray(scan.invocations));
      assert.ok(Array.isArray(scan.undecidable));
    }),
    { numRuns: 500 },
  );
});

test('arbitrary unicode text is scanned without throwing', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (text) => {
      scanShell(text, options);
    }),
    { numRuns: 500 },
  );
});

test('a privileged docker run joined to any prefix command is found, or the text is undecidable', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('true', 'ls -la', 'echo hi', 'cd /tmp', 'X=1'),
      fc.constantFrom(' && ', ' ; ', ' || ', ' | ', '\n', ' & '),
      fc.constantFrom('', 'sudo ', 'env A=1 ', 'nohup ', 'command ', 'exec ', 'timeout 5 '),
      (before, sep, prefix) => {
        const scan = scanShell(`${before}${sep}${prefix}docker run --privileged bb`, options);
        const found = scan.invocations.some((i) => i.args.includes('--privileged'));
        assert.ok(found || scan.undecidable.length > 0);
      },
    ),
  );
});

test('nesting deeper than the limit is undecidable, not ignored', () => {
  let text = 'docker run --privileged bb';
  for (let i = 0; i < 12; i++) text = `bash -c ${JSON.stringify(text)}`;
  const scan = scanShell(text, options);
  assert.ok(scan.undecidable.some((u) => /levels deep/.test(u)));
});

test('an unknown expansion is carried as UNKNOWN into the docker arguments', () => {
  const scan = scanShell('docker run -v "$NOPE":/h bb', options);
  assert.equal(scan.invocations[0]?.args[2], `${UNKNOWN}:/h`);
});
