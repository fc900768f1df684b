// The test image: a busybox-static root imported with `docker import` (there is no registry).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TEST_IMAGE = 'dockgate-test/busybox:latest';

function findBusybox(): string {
  for (const p of ['/bin/busybox', '/usr/bin/busybox']) {
    if (fs.existsSync(p)) {
      const r = spawnSync('file', ['-L', p], { encoding: 'utf8' });
      if (r.status !== 0 || /statically linked|static-pie/.test(r.stdout)) return p;
    }
  }
  throw new Error('busybox-static is not installed (apt-get install busybox-static)');
}

/** Imports the test image into the daemon at `socket` unless it is already there. */
export function ensureTestImage(socket: string): string {
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}` };
  if (spawnSync('docker', ['image', 'inspect', TEST_IMAGE], { env, stdio: 'ignore' }).status === 0) return TEST_IMAGE;
  const busybox = findBusybox();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dgimg-'));
  try {
    for (const d of ['bin', 'tmp', 'etc', 'proc', 'sys', 'dev', 'data']) fs.mkdirSync(path.join(root, d));
    fs.chmodSync(path.join(root, 'tmp'), 0o1777);
    fs.copyFileSync(busybox, path.join(root, 'bin/busybox'));
    fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
    const applets = spawnSync(busybox, ['--list'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox');
    for (const a of applets) fs.symlinkSync('busybox', path.join(root, 'bin', a));
    fs.writeFileSync(
      path.join(root, 'etc/passwd'),
      'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n',
    );
    fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    const tar = path.join(root, '..', path.basename(root) + '.tar');
    const t = spawnSync('tar', ['-C', root, '-cf', tar, '.']);
    if (t.status !== 0) throw new Error(`tar failed: ${t.stderr}`);
    const imp = spawnSync('docker', ['import', '--change', 'CMD ["/bin/sh"]', tar, TEST_IMAGE], {
      env,
      encoding: 'utf8',
    });
    fs.rmSync(tar, { force: true });
    if (imp.status !== 0) throw new Error(`docker import failed: ${imp.stderr}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return TEST_IMAGE;
}
