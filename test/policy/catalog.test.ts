// The rule catalog read from the pack's METADATA: one id per rule, and the same defaults as the config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatalogError, readCatalog, ruleId, RULES } from '../../src/policy/catalog.js';
import { DEFAULT_CONFIG } from '../../src/policy/config.js';
import { builtinPackDir } from '../../src/policy/engine.js';
import { parseModule } from '../../src/rego/index.js';

const rulesDir = join(builtinPackDir(), 'rules');

test("every rule's METADATA config is the rule's table in DEFAULT_CONFIG, and no table is left over", () => {
  const defaults = DEFAULT_CONFIG.rules as Record<string, unknown>;
  const rules = RULES.list();
  assert.deepEqual(rules.map((r) => r.id).sort(), Object.keys(defaults).sort());
  for (const r of rules) {
    assert.deepEqual(r.config, defaults[r.id], r.id);
    assert.equal(r.defaultOn, (defaults[r.id] as { enabled: boolean }).enabled, r.id);
  }
});

test('a rule file is named by its id, and its package by the id with _ for -', () => {
  const files = readdirSync(rulesDir).filter((n) => n.endsWith('.rego'));
  assert.equal(files.length, RULES.list().length);
  for (const name of files) {
    const mod = parseModule(readFileSync(join(rulesDir, name), 'utf8'), name);
    assert.deepEqual(mod.pkg.slice(0, 2), ['dockgate', 'rules'], name);
    assert.equal(mod.pkg.length, 3, name);
    assert.equal(`${ruleId(mod.pkg[2]!)}.rego`, name);
    assert.ok(!mod.pkg[2]!.includes('-'));
  }
  for (const r of RULES.list()) assert.ok(!r.id.includes('_'), `${r.id}: ids are spelled with - only`);
});

test('a rule package without METADATA, or with a field missing, is an error naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-catalog-'));
  writeFileSync(
    join(dir, 'x.rego'),
    'package dockgate.rules.some_rule\n\nimport rego.v1\n\ndeny contains "x" if false\n',
  );
  assert.throws(
    () => readCatalog(dir),
    (e: Error) => e instanceof CatalogError && /x\.rego: rule some-rule has no/.test(e.message),
  );
  writeFileSync(
    join(dir, 'x.rego'),
    '# METADATA\n# title: t\n# description: d\n# custom:\n#   why: w\n#   order: 1\n#   config:\n#     enabled: true\npackage dockgate.rules.some_rule\n',
  );
  assert.throws(() => readCatalog(dir), /x\.rego: rule some-rule: METADATA custom\.fix must be text/);
  writeFileSync(
    join(dir, 'x.rego'),
    '# METADATA\n# title: t\n# description: d\n# custom:\n#   why: w\n#   fix: f\n#   order: 1\n#   config:\n#     enabled: true\npackage dockgate.rules.some_rule\n',
  );
  assert.deepEqual(readCatalog(dir), [
    { id: 'some-rule', summary: 't', defaultOn: true, checks: 'd', why: 'w', fix: 'f', config: { enabled: true } },
  ]);
});
