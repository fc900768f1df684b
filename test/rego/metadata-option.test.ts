import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compile, RegoError, toJSON } from '../../src/rego/index.js';

const MODULE = `# METADATA
# title: [not yaml
package p

r := rego.metadata.chain()
`;

test('METADATA blocks are read by default: invalid YAML is a parse error, as in OPA', () => {
  assert.throws(
    () => compile([{ name: 'p.rego', text: MODULE }]),
    (e: unknown) => e instanceof RegoError && /METADATA/.test(e.message),
  );
});

test('metadata: false leaves METADATA blocks unread: the module compiles and carries no annotations', () => {
  const policy = compile([{ name: 'p.rego', text: MODULE }], { metadata: false });
  const chain = policy.evalRef('data.p.r', null);
  assert.deepEqual(JSON.parse(toJSON(chain!)), [{ path: ['p', 'r'] }]);
});
