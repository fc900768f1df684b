import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, symlinkSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listBindMounts, parseBindSpec, resolveHostPath } from '../../src/docker/bind-mounts.js';

const home = realpathSync(mkdtempSync(join(tmpdir(), 'dg-bind-')));
mkdirSync(join(home, 'data'));
symlinkSync('/etc', join(home, 'etc-link'));

test('Binds and bind Mounts are listed with their resolved host path', async () => {
  const mounts = await listBindMounts({
    HostConfig: {
      Binds: [`${home}/data:/d:ro,z`, 'named:/n', '/tmp:/t', '/anonymous'],
      Mounts: [
        { Type: 'bind', Source: `${home}/etc-link`, Target: '/e' },
        { Type: 'tmpfs', Target: '/run' },
      ],
    },
  });
  assert.deepEqual(
    mounts.map((m) => [m.Source, m.Destination, m.ReadOnly, m.Resolved, m.Via]),
    [
      [`${home}/data`, '/d', true, `${home}/data`, 'bind'],
      ['/tmp', '/t', false, realpathSync('/tmp'), 'bind'],
      [`${home}/etc-link`, '/e', false, '/etc', 'bind'],
    ],
  );
});

test('a symlink in the user home pointing to /etc resolves to /etc, also below it and after ..', async () => {
  assert.equal(await resolveHostPath(`${home}/etc-link`), '/etc');
  assert.equal(await resolveHostPath(`${home}/etc-link/not/yet/there`), '/etc/not/yet/there');
  assert.equal(await resolveHostPath(`${home}/../../etc`), '/etc');
  assert.equal(await resolveHostPath(`${home}/data/`), `${home}/data`);
});

test('a volume backed by a host device is a bind of that device, inline or looked up', async () => {
  const mounts = await listBindMounts(
    {
      HostConfig: {
        Binds: ['etcvol:/e'],
        Mounts: [
          {
            Type: 'volume',
            Source: 'inline',
            Target: '/i',
            VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/etc' } } },
          },
        ],
      },
    },
    async (name) =>
      name === 'etcvol' ? { Driver: 'local', Options: { type: 'none', o: 'bind', device: '/root' } } : undefined,
  );
  assert.deepEqual(
    mounts.map((m) => [m.Source, m.Resolved, m.Via]),
    [
      ['/etc', '/etc', 'volume:inline'],
      ['/root', '/root', 'volume:etcvol'],
    ],
  );
});

test('bind specs parse as Docker parses them on Linux', () => {
  assert.deepEqual(parseBindSpec('/a:/b'), { source: '/a', destination: '/b', readOnly: false });
  assert.deepEqual(parseBindSpec('/a:/b:ro'), { source: '/a', destination: '/b', readOnly: true });
  assert.deepEqual(parseBindSpec('/only'), { source: '', destination: '/only', readOnly: false });
  assert.equal(parseBindSpec('/a:/b:ro:x'), undefined);
});

test('a tmpfs volume names no host device; other types with a device do', async () => {
  const { localVolumeHostPaths } = await import('../../src/docker/bind-mounts.js');
  assert.deepEqual(localVolumeHostPaths({ type: 'tmpfs', device: 'tmpfs' }), []);
  assert.deepEqual(localVolumeHostPaths({ type: 'ext4', device: '/dev/sda1' }), ['/dev/sda1']);
  assert.deepEqual(localVolumeHostPaths({ type: 'none', o: 'bind', device: '/etc' }), ['/etc']);
  assert.deepEqual(localVolumeHostPaths(null), []);
  // The kernel ignores the type of a bind: tmpfs with o=bind binds the device path.
  assert.deepEqual(localVolumeHostPaths({ type: 'tmpfs', o: 'size=1m,bind', device: '/' }), ['/']);
  assert.deepEqual(localVolumeHostPaths({ type: 'tmpfs', o: 'rbind', device: 'relative' }), ['relative']);
  assert.deepEqual(
    localVolumeHostPaths({ type: 'overlay', o: 'lowerdir=/etc:/root,upperdir=/u,workdir=/w', device: 'overlay' }),
    ['overlay', '/etc', '/root', '/u', '/w'],
  );
});

test('a --mount volume with inline options is also looked up: an existing volume is used as it is', async () => {
  const mounts = await listBindMounts(
    {
      HostConfig: {
        Mounts: [
          {
            Type: 'volume',
            Source: 'adminvol',
            Target: '/v',
            VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs' } } },
          },
        ],
      },
    },
    async (name) =>
      name === 'adminvol' ? { Driver: 'local', Options: { type: 'none', o: 'bind', device: '/etc' } } : undefined,
  );
  assert.deepEqual(
    mounts.map((m) => [m.Source, m.Via]),
    [['/etc', 'volume:adminvol']],
  );
});
