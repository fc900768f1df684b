// Every Engine API route is classified: either its body or query can change what a container,
// an image or the daemon may do (and then a request that would do so is refused for an ordinary
// user, here), or it carries nothing that does (reads, signals, names). A route added to the
// table without a place here fails this test, so it cannot pass unjudged.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readRequest, routeRequest } from '../../src/docker/request.js';
import type { InputIdentity, InputTarget } from '../../src/docker/input.js';
import { routeTable } from '../../src/docker/routes.js';
import { PolicyEngine } from '../../src/policy/index.js';

const alice: InputIdentity = {
  uid: 1000,
  gid: 1000,
  user: 'alice',
  groups: ['alice'],
  admin: false,
  pid: 1,
  home: '/home/alice',
  via: 'peercred',
};
const mounting: InputTarget = {
  type: 'container',
  id: 'c'.repeat(64),
  name: 'box',
  owner: null,
  mine: false,
  labels: {},
  user: '1000:1000',
  host_mounts: true,
};

/** Privilege-bearing routes: a request that uses the privilege, refused by the named rule. */
const PRIVILEGED: Record<string, [method: string, target: string, body: unknown, rule: string]> = {
  'container.create': [
    'POST',
    '/v1.41/containers/create',
    { Image: 'b', HostConfig: { Privileged: true } },
    'privileged',
  ],
  'container.start': ['POST', '/v1.23/containers/box/start', { Binds: ['/:/host'] }, 'lifecycle'],
  'container.update': ['POST', '/v1.41/containers/box/update', { DeviceCgroupRules: ['a *:* rwm'] }, 'lifecycle'],
  'container.exec.create': ['POST', '/v1.41/containers/box/exec', { Cmd: ['sh'], User: '0' }, 'run-as-caller'],
  'container.archive.put': ['PUT', '/v1.41/containers/box/archive?path=/', undefined, 'file-access'],
  'container.archive.get': ['GET', '/v1.41/containers/box/archive?path=/', undefined, 'file-access'],
  'container.archive.head': ['HEAD', '/v1.41/containers/box/archive?path=/', undefined, 'file-access'],
  'container.copy': ['POST', '/v1.23/containers/box/copy', undefined, 'file-access'],
  'container.checkpoint.create': [
    'POST',
    '/v1.41/containers/box/checkpoints',
    { CheckpointID: 'c', CheckpointDir: '/etc' },
    'lifecycle',
  ],
  'container.checkpoint.delete': ['DELETE', '/v1.41/containers/box/checkpoints/c?dir=/etc', undefined, 'lifecycle'],
  'container.checkpoint.list': ['GET', '/v1.41/containers/box/checkpoints?dir=/etc', undefined, 'lifecycle'],
  'image.build': ['POST', '/v1.41/build?networkmode=host', undefined, 'build'],
  'session.open': ['POST', '/v1.41/session', undefined, 'build'],
  'grpc.open': ['POST', '/v1.41/grpc', undefined, 'build'],
  'image.create': [
    'POST',
    '/v1.41/images/create?fromSrc=http%3A%2F%2F127.0.0.1%2Fx&repo=x',
    undefined,
    'unknown-endpoint',
  ],
  'volume.create': ['POST', '/v1.41/volumes/create', { Name: 'v', Driver: '../p' }, 'drivers'],
  'volume.update': ['PUT', '/v1.41/volumes/v?version=1', {}, 'swarm'],
  'network.create': [
    'POST',
    '/v1.41/networks/create',
    { Name: 'n', Options: { 'com.docker.network.bridge.name': 'eth0' } },
    'drivers',
  ],
  'network.connect': [
    'POST',
    '/v1.41/networks/n/connect',
    { Container: 'box', EndpointConfig: { DriverOpts: { x: 'y' } } },
    'drivers',
  ],
  'plugin.install': ['POST', '/v1.41/plugins/pull?remote=x', [], 'plugins'],
  'plugin.enable': ['POST', '/v1.41/plugins/x/enable', undefined, 'plugins'],
  'plugin.disable': ['POST', '/v1.41/plugins/x/disable', undefined, 'plugins'],
  'plugin.delete': ['DELETE', '/v1.41/plugins/x', undefined, 'plugins'],
  'plugin.upgrade': ['POST', '/v1.41/plugins/x/upgrade?remote=y', [], 'plugins'],
  'plugin.set': ['POST', '/v1.41/plugins/x/set', ['DEBUG=1'], 'plugins'],
  'plugin.create': ['POST', '/v1.41/plugins/create?name=x', undefined, 'plugins'],
  'plugin.push': ['POST', '/v1.41/plugins/x/push', undefined, 'plugins'],
  'swarm.init': ['POST', '/v1.41/swarm/init', {}, 'swarm'],
  'swarm.join': ['POST', '/v1.41/swarm/join', {}, 'swarm'],
  'swarm.leave': ['POST', '/v1.41/swarm/leave', undefined, 'swarm'],
  'swarm.update': ['POST', '/v1.41/swarm/update', {}, 'swarm'],
  'swarm.unlock': ['POST', '/v1.41/swarm/unlock', {}, 'swarm'],
  'service.create': ['POST', '/v1.41/services/create', {}, 'swarm'],
  'service.update': ['POST', '/v1.41/services/s/update', {}, 'swarm'],
  'service.delete': ['DELETE', '/v1.41/services/s', undefined, 'swarm'],
  'node.update': ['POST', '/v1.41/nodes/n/update', {}, 'swarm'],
  'node.delete': ['DELETE', '/v1.41/nodes/n', undefined, 'swarm'],
  'secret.create': ['POST', '/v1.41/secrets/create', {}, 'swarm'],
  'secret.update': ['POST', '/v1.41/secrets/s/update', {}, 'swarm'],
  'secret.delete': ['DELETE', '/v1.41/secrets/s', undefined, 'swarm'],
  'config.create': ['POST', '/v1.41/configs/create', {}, 'swarm'],
  'config.update': ['POST', '/v1.41/configs/c/update', {}, 'swarm'],
  'config.delete': ['DELETE', '/v1.41/configs/c', undefined, 'swarm'],
};

/**
 * Routes that carry nothing that changes what a container, image or daemon may do: reads, names,
 * signals, sizes, and objects made from what was already judged (commit: an image's USER is
 * rewritten at each create that mounts a host path and its ONBUILD triggers are judged at each
 * build; load and pull: images are judged when used; OPTIONS: a CORS preflight dockerd answers
 * without acting). Acting on other users' objects is the
 * tenancy rules' (issue 17).
 */
const WITHOUT_PRIVILEGE = new Set([
  'container.list',
  'container.export',
  'container.changes',
  'container.inspect',
  'container.top',
  'container.logs',
  'container.stats',
  'container.attach',
  'exec.inspect',
  'container.kill',
  'container.pause',
  'container.unpause',
  'container.restart',
  'container.stop',
  'container.wait',
  'container.resize',
  'exec.start',
  'exec.resize',
  'container.rename',
  'container.prune',
  'container.commit',
  'container.delete',
  'image.list',
  'image.search',
  'image.save',
  'image.history',
  'image.inspect',
  'image.load',
  'image.push',
  'image.tag',
  'image.prune',
  'image.delete',
  'system.options',
  'system.ping',
  'system.events',
  'system.info',
  'system.version',
  'system.df',
  'system.auth',
  'volume.list',
  'volume.inspect',
  'volume.prune',
  'volume.delete',
  'build.prune',
  'build.cancel',
  'swarm.inspect',
  'swarm.unlockkey',
  'service.list',
  'service.inspect',
  'service.logs',
  'node.list',
  'node.inspect',
  'task.list',
  'task.inspect',
  'task.logs',
  'secret.list',
  'secret.inspect',
  'config.list',
  'config.inspect',
  'plugin.inspect',
  'plugin.privileges',
  'plugin.list',
  'distribution.inspect',
  'network.list',
  'network.inspect',
  'network.disconnect',
  'network.prune',
  'network.delete',
]);

let engine: PolicyEngine;
before(async () => {
  engine = await PolicyEngine.load({});
});

test('every route of the Engine API table is classified, once', () => {
  for (const { action } of routeTable) {
    const places = Number(action in PRIVILEGED) + Number(WITHOUT_PRIVILEGE.has(action));
    assert.equal(
      places,
      1,
      `${action} must be either privilege-bearing (with a refused example) or listed as carrying no privilege`,
    );
  }
});

test('each privilege-bearing route refuses an ordinary user who uses the privilege', async () => {
  for (const [action, [method, target, body, rule]] of Object.entries(PRIVILEGED)) {
    const routed = routeRequest({ method, target });
    const { input } = await readRequest({
      routed,
      method,
      target,
      headers: {},
      identity: alice,
      layer: 'proxy',
      targetObject: mounting,
      body: body === undefined ? null : Buffer.from(JSON.stringify(body)),
    });
    const d = engine.decide(input);
    assert.equal(d.allow, false, `${action}: ${method} ${target} must be refused`);
    assert.ok(
      d.reasons.some((r) => r.rule === rule),
      `${action}: expected rule ${rule}, got ${JSON.stringify(d.reasons)}`,
    );
  }
});
