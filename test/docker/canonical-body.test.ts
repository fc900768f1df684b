import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerCreateBody, execCreateBody } from '../../src/docker/body-schema.js';
import { canonicalizeBody, goFold } from '../../src/docker/canonical-body.js';
import { Refusal } from '../../src/docker/refusal.js';

const create = (body: string) => canonicalizeBody(containerCreateBody, Buffer.from(body));
const hostConfig = (body: string) => (create(body).value as { HostConfig: Record<string, unknown> }).HostConfig;

test('struct keys are renamed to Docker field names, whatever their case', () => {
  assert.equal(hostConfig('{"Image":"bb","HostConfig":{"privileged":true}}').Privileged, true);
  assert.equal(hostConfig('{"image":"bb","hostconfig":{"PRIVILEGED":true}}').Privileged, true);
  assert.deepEqual(hostConfig('{"HostConfig":{"capadd":["SYS_ADMIN"]}}').CapAdd, ['SYS_ADMIN']);
  assert.equal(hostConfig('{"HostConfig":{"cpushares":2}}').CpuShares, 2);
});

test('the forwarded bytes are the canonical form that was judged', () => {
  const out = create(
    '{"Image":"bb","hostConfig":{"privileged":true,"mounts":[{"type":"bind","source":"/etc","target":"/e"}]}}',
  );
  assert.equal(
    out.bytes.toString(),
    '{"Image":"bb","HostConfig":{"Privileged":true,"Mounts":[{"Type":"bind","Source":"/etc","Target":"/e"}]}}',
  );
});

test('Unicode letters Go folds onto ASCII name the same field', () => {
  assert.deepEqual(hostConfig('{"HostConfig":{"Bind\u017f":["/etc:/e"]}}').Binds, ['/etc:/e']);
  assert.equal(hostConfig('{"HostConfig":{"Pr\u0131vileged":true}}').Privileged, true);
  assert.equal(goFold('\u212aernelMemory'), 'KERNELMEMORY');
});

test('duplicate keys, exact or folded, are refused', () => {
  assert.throws(() => create('{"HostConfig":{"Privileged":false,"PRIVILEGED":true}}'), Refusal);
  assert.throws(() => create('{"HostConfig":{"Privileged":true},"HostConfig":{"Memory":0}}'), Refusal);
  assert.throws(() => create('{"Labels":{"a":"1","a":"2"}}'), /duplicate key "a"/);
});

test('map keys stay exact: labels keep their case', () => {
  const v = create('{"Labels":{"Owner":"x","owner":"y"}}').value as { Labels: Record<string, string> };
  assert.deepEqual({ ...v.Labels }, { Owner: 'x', owner: 'y' });
});

test('HostConfig fields at the top level are moved into HostConfig where dockerd 20.10 applies them', () => {
  // No HostConfig: every top-level HostConfig field is the HostConfig (Go's embedded struct).
  assert.equal(
    create('{"Image":"bb","Privileged":true}').bytes.toString(),
    '{"Image":"bb","HostConfig":{"Privileged":true}}',
  );
  assert.equal(
    create('{"Image":"bb","binds":["/:/h"],"HostConfig":null}').bytes.toString(),
    '{"Image":"bb","HostConfig":{"Binds":["/:/h"]}}',
  );
  assert.equal(
    create('{"Image":"bb","Cpuset":"0"}').bytes.toString(),
    '{"Image":"bb","HostConfig":{"CpusetCpus":"0"}}',
  );
  // With a HostConfig: only Memory, MemorySwap, CpuShares and Cpuset fill in fields it leaves zero; the rest is ignored.
  assert.equal(
    create(
      '{"Image":"bb","Runtime":"x","Privileged":true,"Memory":5,"CpuShares":7,"HostConfig":{"CpuShares":2}}',
    ).bytes.toString(),
    '{"Image":"bb","HostConfig":{"CpuShares":2,"Memory":5}}',
  );
  // Two spellings of one field are refused, as anywhere else.
  assert.throws(() => create('{"Image":"bb","binds":[],"Binds":["/:/h"]}'), /name the same field/);
});

test('HostConfig fields at the top level are dropped for a daemon that ignores them (dockerd 27 and later)', () => {
  const read = canonicalizeBody(containerCreateBody, Buffer.from('{"Image":"bb","Privileged":true}'), {
    topLevelHostConfig: false,
  });
  assert.equal(read.bytes.toString(), '{"Image":"bb"}');
});

test('bytes after the JSON value and invalid JSON are refused', () => {
  assert.throws(() => create('{"Image":"bb"} {"HostConfig":{"Privileged":true}}'), /after the JSON value/);
  assert.throws(() => create('{"Image":'), Refusal);
  assert.throws(() => create('\ufeff{}'), Refusal);
});

test('big integers are kept exact and an empty body stays empty', () => {
  assert.equal(
    create('{"HostConfig":{"Memory":9007199254740993}}').bytes.toString(),
    '{"HostConfig":{"Memory":9007199254740993}}',
  );
  const empty = create('');
  assert.equal(empty.value, null);
  assert.equal(empty.bytes.length, 0);
});

test('exec bodies are canonicalised too', () => {
  const v = canonicalizeBody(execCreateBody, Buffer.from('{"privileged":true,"cmd":["sh"]}')).value as Record<
    string,
    unknown
  >;
  assert.equal(v.Privileged, true);
  assert.deepEqual(v.Cmd, ['sh']);
});
