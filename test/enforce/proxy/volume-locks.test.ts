// Named volumes held by requests in flight: a create mounting V and a request creating,
// removing or pruning V never overlap, so what a create was judged on is what dockerd mounts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VolumeBusyError, VolumeLocks } from '../../../src/enforce/proxy/volume-locks.js';

test('creates share a volume; creating or removing it meanwhile is refused until they end', () => {
  const locks = new VolumeLocks();
  const a = locks.read('v');
  const b = locks.read('v');
  assert.throws(() => locks.write('v'), VolumeBusyError);
  a();
  assert.throws(() => locks.write('v'), VolumeBusyError);
  b();
  b(); // a release runs once
  locks.write('v')();
});

test('a volume being created or removed cannot be mounted, nor written twice', () => {
  const locks = new VolumeLocks();
  const w = locks.write('v');
  assert.throws(() => locks.read('v'), VolumeBusyError);
  assert.throws(() => locks.write('v'), VolumeBusyError);
  locks.read('other')();
  w();
  locks.read('v')();
});

test('a prune excludes every create that mounts a named volume, and waits for those in flight', () => {
  const locks = new VolumeLocks();
  const r = locks.read('v');
  assert.throws(() => locks.write(null), VolumeBusyError);
  r();
  const prune = locks.write(null);
  assert.throws(() => locks.read('any'), VolumeBusyError);
  prune();
  locks.read('any')();
});

test('through the proxy: while a create that mounts v is in flight, volume create and rm of v get a 409; afterwards they pass', async () => {
  const { PolicyEngine } = await import('../../../src/policy/index.js');
  const { PolicyDecisionPoint } = await import('../../../src/enforce/proxy/policy-point.js');
  const { parseAddress } = await import('../../../src/enforce/proxy/upstream.js');
  const { startInProcessProxy, rawExchange } = await import('../../harness/index.js');
  const http = await import('node:http');
  const fs = await import('node:fs');
  // A daemon stand-in that holds the container create until told to answer.
  const dir = fs.mkdtempSync('/tmp/dgv-');
  const upstream = `${dir}/d.sock`;
  let answerCreate: (() => void) | undefined;
  const after: (() => void)[] = [];
  const createArrived = new Promise<void>((arrived) => {
    const server = http.createServer((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (req.url?.includes('/containers/create')) {
        answerCreate = () => res.end('{"Id":"c"}');
        arrived();
      } else if (req.url?.startsWith('/volumes/v') && req.method === 'GET') {
        res.statusCode = 404;
        res.end('{"message":"no such volume"}');
      } else res.end(req.url === '/version' ? '{"Version":"20.10.24"}' : '{}');
    });
    server.listen(upstream);
    after.push(() => server.close());
  });
  const engine = await PolicyEngine.load({});
  const proxy = await startInProcessProxy(upstream, new PolicyDecisionPoint(engine, { upstream: parseAddress(`unix://${upstream}`, 'upstream') }));
  try {
    const answer = async (bytes: Buffer) => (await rawExchange(proxy.socket, bytes)).data.toString('latin1');
    const request = (method: string, path: string, body = '') =>
      Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    const create = answer(request('POST', '/v1.41/containers/create', '{"Image":"bb","HostConfig":{"Binds":["v:/v"]}}'));
    await createArrived;
    const busyCreate = await answer(request('POST', '/v1.41/volumes/create', '{"Name":"v","DriverOpts":{"type":"none","o":"bind","device":"/root"}}'));
    assert.match(busyCreate, /^HTTP\/1.1 409 .*volume v is in use by a request in flight/s);
    assert.match(await answer(request('DELETE', '/v1.41/volumes/v')), /^HTTP\/1.1 409 /);
    assert.match(await answer(request('POST', '/v1.41/volumes/prune')), /^HTTP\/1.1 409 /);
    answerCreate!();
    assert.match(await create, /^HTTP\/1.1 200 /);
    assert.match(await answer(request('DELETE', '/v1.41/volumes/v')), /^HTTP\/1.1 200 /);
  } finally {
    await proxy.close();
    after.forEach((f) => f());
  }
});

test('a create that would make a volume with inline options holds it alone (the proxy asks for a write lock)', async () => {
  const { listBindMounts } = await import('../../../src/docker/bind-mounts.js');
  const asked: [string, boolean | undefined][] = [];
  await listBindMounts(
    {
      HostConfig: {
        Binds: ['plain:/p'],
        Mounts: [
          { Type: 'volume', Source: 'inline', Target: '/i', VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/home/x' } } } },
          { Type: 'volume', Source: 'noopts', Target: '/n', VolumeOptions: { DriverConfig: { Name: 'local', Options: {} } } },
        ],
      },
    },
    async (name, creates) => {
      asked.push([name, creates]);
      return undefined;
    },
  );
  assert.deepEqual(asked, [['plain', undefined], ['inline', true], ['noopts', false]]);
});

test('through the proxy: a create rewritten by the policy keeps the locks of its first reading, not a conflict with itself', async () => {
  const { PolicyEngine } = await import('../../../src/policy/index.js');
  const { PolicyDecisionPoint } = await import('../../../src/enforce/proxy/policy-point.js');
  const { parseAddress } = await import('../../../src/enforce/proxy/upstream.js');
  const { startInProcessProxy, rawExchange } = await import('../../harness/index.js');
  const http = await import('node:http');
  const fs = await import('node:fs');
  const dir = fs.mkdtempSync('/tmp/dgv-');
  const upstream = `${dir}/d.sock`;
  const creates: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      res.setHeader('Content-Type', 'text/plain');
      if (req.url?.includes('/containers/create')) {
        creates.push(body);
        res.statusCode = 201;
        res.end('{"Id":"c"}');
      } else if (req.url?.startsWith('/volumes/')) {
        res.statusCode = 404; // as dockerd answers some look-ups: plain text
        res.end('no such volume');
      } else res.end(req.url === '/version' ? '{"Version":"20.10.24"}' : '{}');
    });
  });
  await new Promise<void>((r) => server.listen(upstream, r));
  // root judged as an ordinary user: the pack rewrites its host-mounting create.
  fs.writeFileSync(`${dir}/dockgate.toml`, '[identity]\nadmins = []\n');
  const engine = await PolicyEngine.load({ config: `${dir}/dockgate.toml` });
  const proxy = await startInProcessProxy(upstream, new PolicyDecisionPoint(engine, { upstream: parseAddress(`unix://${upstream}`, 'upstream') }));
  try {
    const body = JSON.stringify({ Image: 'bb', HostConfig: { Mounts: [{ Type: 'volume', Source: 'v', Target: '/v', VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/root/d' } } } }] } });
    const answer = (await rawExchange(proxy.socket, `POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)).data.toString('latin1');
    assert.match(answer, /^HTTP\/1.1 201 /, answer);
    assert.equal(creates.length, 1);
    const forwarded = JSON.parse(creates[0]!) as { User: string; HostConfig: { Mounts: { VolumeOptions: { NoCopy: boolean } }[] } };
    assert.equal(forwarded.User, '0:0');
    assert.equal(forwarded.HostConfig.Mounts[0]!.VolumeOptions.NoCopy, true);
    // A look-up the daemon answers with a plain-text 404 is "no such volume", not a failure to judge.
    const absolute = JSON.stringify({ Image: 'bb', HostConfig: { Mounts: [{ Type: 'volume', Source: '/root/x', Target: '/x' }] } });
    const second = (await rawExchange(proxy.socket, `POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(absolute)}\r\nConnection: close\r\n\r\n${absolute}`)).data.toString('latin1');
    assert.doesNotMatch(second, /^HTTP\/1.1 500 /, second);
  } finally {
    await proxy.close();
    server.close();
  }
});
