// The built-in pack precompiled by `npm run build` is the pack compiled from its files now: the
// same compiled graph, node for node, and the same verdict, reasons and changes for every request
// of the guard's corpus. A snapshot made from other files is not used.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Guard } from '../../src/enforce/cli/guard.js';
import { builtinPackSources, compileBuiltinPack, readPackSnapshot } from '../../src/policy/engine.js';
import { builtinPackDir, PolicyEngine } from '../../src/policy/index.js';
import { ObjectValue, SetValue, equal, type Value } from '../../src/rego/index.js';
import type { Identity } from '../../src/tenancy/index.js';
import { CREATE_CASES, RUN_CASES, writeCorpusFiles } from '../docker/argv/corpus.js';

/**
 * `a` and `b` are the same graph: same shapes, keys in the same order, equal leaves, and an
 * object shared (or on a cycle) in one is shared at the same places in the other.
 */
function sameGraph(a: unknown, b: unknown): void {
  const pairs = new Map<object, object>();
  const back = new Map<object, object>();
  const stack: [unknown, unknown, string][] = [[a, b, 'root']];
  while (stack.length > 0) {
    const [x, y, at] = stack.pop()!;
    if (x === null || typeof x !== 'object' || typeof y !== 'object' || y === null) {
      if (typeof x === 'function') assert.equal(x, y, `${at}: another function`);
      else assert.ok(Object.is(x, y), `${at}: ${String(x)} ≠ ${String(y)}`);
      continue;
    }
    const seen = pairs.get(x);
    if (seen !== undefined) {
      assert.equal(seen, y, `${at}: shared in one graph, not in the other`);
      continue;
    }
    assert.equal(back.get(y), undefined, `${at}: shared in one graph, not in the other`);
    pairs.set(x, y);
    back.set(y, x);
    assert.equal(Object.getPrototypeOf(x), Object.getPrototypeOf(y), `${at}: another class`);
    if (x instanceof ObjectValue || x instanceof SetValue) {
      assert.ok(equal(x as Value, y as Value), `${at}: another value`);
      continue;
    }
    if (x instanceof Map) {
      const ym = y as Map<unknown, unknown>;
      assert.deepEqual([...x.keys()], [...ym.keys()], `${at}: other map keys`);
      for (const [k, v] of x) stack.push([v, ym.get(k), `${at}<${String(k)}>`]);
      continue;
    }
    const kx = Object.keys(x);
    assert.deepEqual(kx, Object.keys(y), `${at}: other keys`);
    // Builtins are one registry's objects: the same object, not a copy.
    if ('arity' in x && 'name' in x && typeof (x as { fn?: unknown }).fn === 'function') {
      assert.equal(x, y, `${at}: another builtin`);
      continue;
    }
    for (const k of kx)
      stack.push([(x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${at}.${k}`]);
  }
}

test('npm run build precompiled the pack, and loading the pack uses it', async () => {
  const engine = await PolicyEngine.load({});
  assert.equal(engine.precompiled, true);
  const fromFiles = await PolicyEngine.load({ policies: [builtinPackDir()] });
  assert.equal(fromFiles.precompiled, false);
});

test('the precompiled pack is the pack compiled from its files now, node for node', async () => {
  const sources = await builtinPackSources();
  const read = await readPackSnapshot(sources, new ObjectValue());
  assert.ok(read, 'no usable snapshot: run npm run build');
  const compiled = compileBuiltinPack(sources);
  const inner = (p: unknown) => (p as { compiled: Record<string, unknown> }).compiled;
  const { modules: m1, ...c1 } = inner(read.policy);
  const { modules: m2, ...c2 } = inner(compiled);
  sameGraph(c1, c2);
  sameGraph(m1, m2);
  assert.equal(
    read.meta.hasBuild,
    compiled.modules.some((m) => m.pkg.join('.') === 'docker.build'),
  );
  assert.deepEqual(read.policy.warnings, compiled.warnings);
});

test('a snapshot made from other pack files is not used', async () => {
  const sources = await builtinPackSources();
  const changed = sources.map((s, i) => (i === 0 ? { ...s, text: `${s.text}\n# edited\n` } : s));
  assert.equal(await readPackSnapshot(changed, new ObjectValue()), undefined);
  const renamed = sources.map((s, i) => (i === 0 ? { ...s, name: `${s.name}.moved` } : s));
  assert.equal(await readPackSnapshot(renamed, new ObjectValue()), undefined);
  assert.equal(await readPackSnapshot(sources.slice(1), new ObjectValue()), undefined);
});

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dockgate-pack-snapshot-'));
  writeCorpusFiles(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the precompiled pack and the pack compiled from its files judge the whole corpus alike', async () => {
  const identity: Identity = { uid: 1000, gid: 1000, user: 'alice', groups: ['alice'], pid: null, via: 'cli' };
  const options = {
    cwd: dir,
    env: { HOME: '/home/alice', FROM_ENV: 'yes' },
    identity,
    daemon: `unix://${join(dir, 'no-daemon.sock')}`,
  };
  const fast = new Guard({ engine: await PolicyEngine.load({}), ...options });
  const slow = new Guard({ engine: await PolicyEngine.load({ policies: [builtinPackDir()] }), ...options });
  const commands = [
    ...CREATE_CASES.map((a) => ['create', ...a]),
    ...RUN_CASES.map((a) => ['run', ...a]),
    ['run', '-v', '/home/alice/src:/src', 'bb'],
    ['build', 'ctx'],
    ['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', 'device=/etc', 'v'],
    ['network', 'create', '-d', 'macvlan', 'n'],
    ['plugin', 'install', 'vieux/sshfs'],
  ];
  let denied = 0;
  for (const args of commands) {
    const a = await fast.checkArgv(args);
    const b = await slow.checkArgv(args);
    assert.deepEqual(a, b, `docker ${args.join(' ')}`);
    if (a.outcome === 'deny') denied++;
  }
  assert.ok(denied > 20, `the corpus has denials to compare (${denied})`);
});
