import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchRoute, mayHijack } from '../../src/docker/routes.js';
import { parseApiPath } from '../../src/docker/api-path.js';
import { Refusal } from '../../src/docker/refusal.js';

function actionOf(method: string, target: string): string {
  const p = parseApiPath(target);
  return matchRoute(method, p.path, p.query).action;
}

test('routes map requests to actions as dockerd routes them', () => {
  assert.equal(actionOf('POST', '/v1.41/containers/create?name=web'), 'container.create');
  assert.equal(actionOf('POST', '/containers/create'), 'container.create');
  assert.equal(actionOf('GET', '/v1.41/containers/json?all=1'), 'container.list');
  assert.equal(actionOf('GET', '/containers/web/json'), 'container.inspect');
  assert.equal(actionOf('POST', '/v1.41/containers/web/exec'), 'container.exec.create');
  assert.equal(actionOf('POST', '/v1.41/exec/abc/start'), 'exec.start');
  assert.equal(actionOf('POST', '/v1.41/images/create?fromImage=busybox&tag=latest'), 'image.pull');
  assert.equal(actionOf('POST', '/v1.41/images/create?fromSrc=-&repo=x'), 'image.import');
  assert.equal(actionOf('POST', '/v1.41/build?t=x'), 'image.build');
  assert.equal(actionOf('POST', '/v1.41/plugins/pull?remote=x'), 'plugin.install');
  assert.equal(actionOf('GET', '/_ping'), 'system.ping');
  assert.equal(actionOf('HEAD', '/_ping'), 'system.ping');
  assert.equal(actionOf('OPTIONS', '/anything/at/all'), 'system.options');
  assert.equal(actionOf('GET', '/networks/'), 'network.list');
});

test('the checkpoint route wins over DELETE /containers/{name:.*} as in dockerd', () => {
  assert.equal(actionOf('DELETE', '/containers/web/checkpoints/cp1'), 'container.checkpoint.delete');
  assert.equal(actionOf('DELETE', '/containers/web'), 'container.delete');
});

test('image names with slashes are one object', () => {
  const p = parseApiPath('/v1.41/images/library/busybox:latest/json');
  const m = matchRoute('GET', p.path, p.query);
  assert.equal(m.action, 'image.inspect');
  assert.deepEqual(m.resource, { type: 'image', ref: 'library/busybox:latest' });
});

test('unknown routes, wrong methods and trailing slashes are action "unknown"', () => {
  assert.equal(actionOf('GET', '/v1.41/containers/create'), 'unknown');
  assert.equal(actionOf('POST', '/containers/create/'), 'unknown');
  assert.equal(actionOf('GET', '/no/such/thing'), 'unknown');
  assert.equal(actionOf('PATCH', '/containers/json'), 'unknown');
});

test('percent-encoded slashes are decoded as dockerd decodes them', () => {
  assert.equal(actionOf('POST', '/v1.41/containers%2Fcreate'), 'container.create');
  assert.equal(actionOf('POST', '/%63ontainers/create'), 'container.create');
});

test('paths dockerd would redirect or reject are refused', () => {
  for (const t of [
    '//containers/create',
    '/v1.41//containers/create',
    '/containers/./create',
    '/v1.41/x/../containers/create',
    '/containers%2F%2Fcreate',
    '/containers/%zz',
    'containers/create',
    '*',
    '/containers/create?a=1;b=2',
  ]) {
    assert.throws(() => parseApiPath(t), Refusal, t);
  }
});

test('the version prefix and query are read like Go', () => {
  const p = parseApiPath('/v1.41/containers/json?all=1&filters=%7B%22a%22%3A1%7D&x=1&x=2&sp=a+b');
  assert.equal(p.version, '1.41');
  assert.equal(p.path, '/containers/json');
  assert.equal(p.query.filters, '{"a":1}');
  assert.equal(p.query.x, '1');
  assert.deepEqual(p.queryAll.x, ['1', '2']);
  assert.equal(p.query.sp, 'a b');
});

test('the routes whose row says hijack may hijack; an upgrade always may', () => {
  assert.equal(mayHijack('POST', '/v1.41/containers/web/attach?stream=1', false), true);
  assert.equal(mayHijack('POST', '/v1.41/exec/abc/start', false), true);
  assert.equal(mayHijack('POST', '/exec/abc/%73tart', false), true);
  assert.equal(mayHijack('POST', '/session', false), true);
  assert.equal(mayHijack('POST', '/grpc', false), true);
  assert.equal(mayHijack('GET', '/containers/web/attach/ws', true), true);
  assert.equal(mayHijack('GET', '/_ping', true), true);
  assert.equal(mayHijack('POST', '/v1.41/containers/create', false), false);
  assert.equal(mayHijack('POST', '/containers/web/start', false), false);
  assert.equal(mayHijack('GET', '/containers/web/logs', false), false);
  assert.equal(mayHijack('POST', '//exec/abc/start', false), false);
});

test('each route names its object by path variable or by query, as its row says', () => {
  const named = (method: string, target: string) => {
    const p = parseApiPath(target);
    return matchRoute(method, p.path, p.query).resource.ref;
  };
  assert.equal(named('POST', '/containers/create?name=web'), 'web');
  assert.equal(named('POST', '/containers/create'), null);
  assert.equal(named('POST', '/commit?container=web'), 'web');
  assert.equal(named('POST', '/build?t=img'), 'img');
  assert.equal(named('POST', '/plugins/pull?remote=p'), 'p');
  assert.equal(named('POST', '/images/create?fromImage=busybox&tag=1'), 'busybox:1');
  assert.equal(named('POST', '/images/create?fromSrc=-&repo=r'), 'r');
  assert.equal(named('OPTIONS', '/anything'), null);
});
