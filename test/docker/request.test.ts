import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Refusal } from '../../src/docker/refusal.js';
import { readRequest, routeRequest } from '../../src/docker/request.js';
import type { InputIdentity } from '../../src/docker/input.js';

const identity: InputIdentity = {
  uid: 1000,
  gid: 1000,
  user: 'u',
  groups: ['u'],
  admin: false,
  pid: 1,
  home: '/home/u',
  via: 'peercred',
};

async function read(method: string, target: string, body?: string) {
  const routed = routeRequest({ method, target });
  return readRequest({
    routed,
    method,
    target,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? null : Buffer.from(body),
    identity,
    layer: 'proxy',
  });
}

test('the input document carries opa-docker-authz fields and dockgate fields', async () => {
  const { input, forwardBody } = await read(
    'POST',
    '/v1.41/containers/create?name=web',
    '{"image":"bb","HostConfig":{"binds":["/etc:/e:ro"]}}',
  );
  assert.equal(input.Method, 'POST');
  assert.equal(input.Path, '/v1.41/containers/create?name=web');
  assert.equal(input.PathPlain, '/v1.41/containers/create');
  assert.deepEqual(input.Headers, { 'Content-Type': 'application/json' });
  assert.deepEqual({ ...(input.Query as object) }, { name: ['web'] });
  assert.equal((input.Body as { Image: string }).Image, 'bb');
  assert.deepEqual(input.BindMounts, [
    { Source: '/etc', Destination: '/e', ReadOnly: true, Resolved: '/etc', Via: 'bind' },
  ]);
  const request = input.request as Record<string, unknown>;
  assert.deepEqual(
    { ...request, query: { ...(request.query as object) } },
    {
      version: '1.41',
      path: '/containers/create',
      query: { name: 'web' },
      action: 'container.create',
      resource: { type: 'container', ref: 'web' },
      volumes: [],
      references: [],
    },
  );
  assert.equal(input.layer, 'proxy');
  assert.equal(forwardBody?.toString(), '{"Image":"bb","HostConfig":{"Binds":["/etc:/e:ro"]}}');
});

test('a volume created over a host device is a bind mount of that device', async () => {
  const { input } = await read(
    'POST',
    '/v1.41/volumes/create',
    '{"Name":"v","Driver":"local","DriverOpts":{"type":"none","o":"bind","device":"/etc"}}',
  );
  assert.deepEqual(input.BindMounts, [
    { Source: '/etc', Destination: '', ReadOnly: false, Resolved: '/etc', Via: 'volume:v' },
  ]);
});

test('unreadable targets and bodies are refused with 400 before any policy', async () => {
  assert.throws(() => routeRequest({ method: 'POST', target: '//containers/create' }), Refusal);
  await assert.rejects(
    read('POST', '/containers/create', '{"HostConfig":{"Privileged":false,"privileged":true}}'),
    (e: unknown) => e instanceof Refusal && e.status === 400,
  );
});
