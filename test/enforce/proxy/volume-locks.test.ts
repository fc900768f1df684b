// Named volumes held by requests in flight: a create mounting V and a request creating,
// removing or pruning V never overlap, so what a create was judged on is what dockerd mounts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { listBindMounts } from '../../../src/docker/bind-mounts.js';
import { VolumeBusyError, VolumeLocks } from '../../../src/enforce/proxy/volume-locks.js';
import { PolicyDecisionPoint } from '../../../src/enforce/proxy/policy-point.js';
import { parseAddress } from '../../../src/enforce/proxy/upstream.js';
import { PolicyEngine } from '../../../src/policy/index.js';
import { rawExchange, startInProcessProxy } from '../../harness/index.js';

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

/**
 * The policy decision point with the built-in pack (and `toml`, if given) in an in-process proxy
 * in front of a daemon stand-in whose answers `handle` writes. `send` returns the raw answer.
 */
async function proxyBefore(
  handle: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void,
  toml?: string,
) {
  const dir = fs.mkdtempSync('/tmp/dgv-');
  const upstream = `${dir}/d.sock`;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.url === '/version') res.end('{"Version":"20.10.24"}');
      else handle(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(upstream, r));
  if (toml !== undefined) fs.writeFileSync(`${dir}/dockgate.toml`, toml);
  const engine = await PolicyEngine.load(toml === undefined ? {} : { config: `${dir}/dockgate.toml` });
  const proxy = await startInProcessProxy(
    upstream,
    new PolicyDecisionPoint(engine, { upstream: parseAddress(`unix://${upstream}`, 'upstream') }),
  );
  return {
    send: async (method: string, path: string, body = '') =>
      (
        await rawExchange(
          proxy.socket,
          `${method} ${path} HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        )
      ).data.toString('latin1'),
    close: async () => {
      await proxy.close();
      server.close();
    },
  };
}

test('through the proxy: while a create that mounts v is in flight, volume create and rm of v get a 409; afterwards they pass', async () => {
  // The daemon stand-in holds the container create until told to answer.
  let answerCreate: (() => void) | undefined;
  let arrived!: () => void;
  const createArrived = new Promise<void>((r) => (arrived = r));
  const p = await proxyBefore((req, _body, res) => {
    res.setHeader('Content-Type', 'application/json');
    if (req.url?.includes('/containers/create')) {
      answerCreate = () => res.end('{"Id":"c"}');
      arrived();
    } else if (req.url?.startsWith('/volumes/v') && req.method === 'GET') {
      res.statusCode = 404;
      res.end('{"message":"no such volume"}');
    } else res.end('{}');
  });
  try {
    const create = p.send('POST', '/v1.41/containers/create', '{"Image":"bb","HostConfig":{"Binds":["v:/v"]}}');
    await createArrived;
    const busyCreate = await p.send(
      'POST',
      '/v1.41/volumes/create',
      '{"Name":"v","DriverOpts":{"type":"none","o":"bind","device":"/root"}}',
    );
    assert.match(busyCreate, /^HTTP\/1.1 409 .*volume v is in use by a request in flight/s);
    assert.match(await p.send('DELETE', '/v1.41/volumes/v'), /^HTTP\/1.1 409 /);
    assert.match(await p.send('POST', '/v1.41/volumes/prune'), /^HTTP\/1.1 409 /);
    answerCreate!();
    assert.match(await create, /^HTTP\/1.1 200 /);
    assert.match(await p.send('DELETE', '/v1.41/volumes/v'), /^HTTP\/1.1 200 /);
  } finally {
    await p.close();
  }
});

test('a create that would make a volume with inline options holds it alone (the proxy asks for a write lock)', async () => {
  const asked: [string, boolean | undefined][] = [];
  await listBindMounts(
    {
      HostConfig: {
        Binds: ['plain:/p'],
        Mounts: [
          {
            Type: 'volume',
            Source: 'inline',
            Target: '/i',
            VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/home/x' } } },
          },
          {
            Type: 'volume',
            Source: 'noopts',
            Target: '/n',
            VolumeOptions: { DriverConfig: { Name: 'local', Options: {} } },
          },
        ],
      },
    },
    async (name, creates) => {
      asked.push([name, creates]);
      return undefined;
    },
  );
  assert.deepEqual(asked, [
    ['plain', undefined],
    ['inline', true],
    ['noopts', false],
  ]);
});

test('through the proxy: a create rewritten by the policy keeps the locks of its first reading, not a conflict with itself', async () => {
  const creates: string[] = [];
  // root judged as an ordinary user: the pack rewrites its host-mounting create.
  const p = await proxyBefore((req, body, res) => {
    res.setHeader('Content-Type', 'text/plain');
    if (req.url?.includes('/containers/create')) {
      creates.push(body);
      res.statusCode = 201;
      res.end('{"Id":"c"}');
    } else if (req.url?.startsWith('/volumes/')) {
      res.statusCode = 404; // as dockerd answers some look-ups: plain text
      res.end('no such volume');
    } else res.end('{}');
    // Tenancy off: this fake daemon makes no volumes, and the locks are what is under test.
  }, '[identity]\nadmins = []\n[tenancy]\nenabled = false\n');
  try {
    const body = JSON.stringify({
      Image: 'bb',
      HostConfig: {
        Mounts: [
          {
            Type: 'volume',
            Source: 'v',
            Target: '/v',
            VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/root/d' } } },
          },
        ],
      },
    });
    const answer = await p.send('POST', '/v1.41/containers/create', body);
    assert.match(answer, /^HTTP\/1.1 201 /, answer);
    assert.equal(creates.length, 1);
    const forwarded = JSON.parse(creates[0]!) as {
      User: string;
      HostConfig: { Mounts: { VolumeOptions: { NoCopy: boolean } }[] };
    };
    assert.equal(forwarded.User, '0:0');
    assert.equal(forwarded.HostConfig.Mounts[0]!.VolumeOptions.NoCopy, true);
    // A look-up the daemon answers with a plain-text 404 is "no such volume", not a failure to judge.
    const absolute = JSON.stringify({
      Image: 'bb',
      HostConfig: { Mounts: [{ Type: 'volume', Source: '/root/x', Target: '/x' }] },
    });
    const second = await p.send('POST', '/v1.41/containers/create', absolute);
    assert.doesNotMatch(second, /^HTTP\/1.1 500 /, second);
  } finally {
    await p.close();
  }
});
