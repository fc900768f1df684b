// End to end: Docker's Python SDK (docker-py, the library under docker-compose) through
// dockgate serve. An HTTP client other than Go's: requests/urllib3 for the API calls, and a
// raw socket for the hijacked exec stream, half-closed after stdin as SDK users do.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { ensureTestImage, ok, run, startServe, testDaemon, type Daemon, type Served } from '../../harness/index.js';

/** Debian's python3-docker (docker-compose depends on it), not whatever python3 comes first on PATH. */
const PYTHON = '/usr/bin/python3';
const hasSdk = spawnSync(PYTHON, ['-c', 'import docker'], { stdio: 'ignore' }).status === 0;
const canRun = process.getuid?.() === 0;

const SCRIPT = `
import hashlib, json, socket, struct, sys
import docker

sock_path, image, payload_file = sys.argv[1:4]
client = docker.DockerClient(base_url='unix://' + sock_path, version='1.41')
api = client.api
out = {'ping': client.ping()}
out['run'] = client.containers.run(image, ['sh', '-c', 'echo sdk-out'], remove=True).decode()
box = client.containers.run(image, ['sh', '-c', 'echo log-line; sleep 300'], detach=True)
try:
    res = box.exec_run(['sh', '-c', 'echo exec-ok; exit 4'])
    out['exec'] = [res.exit_code, res.output.decode()]
    # Hijacked exec with stdin: send the payload, half-close, read the multiplexed answer to its end.
    payload = open(payload_file, 'rb').read()
    exec_id = api.exec_create(box.id, ['md5sum'], stdin=True)['Id']
    raw = api.exec_start(exec_id, socket=True)._sock
    raw.sendall(payload)
    raw.shutdown(socket.SHUT_WR)
    data = b''
    while True:
        piece = raw.recv(65536)
        if not piece:
            break
        data += piece
    stdout = b''
    while len(data) >= 8:
        kind, size = struct.unpack('>BxxxL', data[:8])
        if kind == 1:
            stdout += data[8:8 + size]
        data = data[8 + size:]
    out['md5_inside'] = stdout.decode().split(' ')[0]
    out['md5_sent'] = hashlib.md5(payload).hexdigest()
    out['logs'] = next(box.logs(stream=True, follow=True)).decode()
    out['listed'] = box.id in [c.id for c in client.containers.list()]
finally:
    box.remove(force=True)
print(json.dumps(out))
`;

describe("Docker's Python SDK through dockgate serve", {
  skip: (!canRun && 'needs root to run dockerd') || (!hasSdk && 'python3-docker not installed'),
}, () => {
  let daemon: Daemon;
  let served: Served;
  let image: string;

  before(async () => {
    daemon = await testDaemon();
    image = ensureTestImage(daemon.socket);
    served = await startServe({ upstream: daemon.socket });
  });
  after(async () => {
    await served?.stop();
    await daemon?.stop();
  });

  test('ping, run, exec_run with its exit code, a hijacked exec with 5 MB of stdin and half-close, follow logs, list', async () => {
    const payload = crypto.randomBytes(5 * 1024 * 1024);
    const file = `${served.dir}/payload`;
    fs.writeFileSync(file, payload);
    const r = await ok(run(PYTHON, ['-c', SCRIPT, served.socket, image, file]));
    const out = JSON.parse(r.stdout.toString());
    assert.equal(out.ping, true);
    assert.equal(out.run, 'sdk-out\n');
    assert.deepEqual(out.exec, [4, 'exec-ok\n']);
    assert.equal(out.md5_inside, out.md5_sent);
    assert.equal(out.md5_sent, crypto.createHash('md5').update(payload).digest('hex'));
    assert.equal(out.logs, 'log-line\n');
    assert.equal(out.listed, true);
  });

  test('create_container(runtime=...) puts Runtime at the top level of the body: read where dockerd 20.10 applies it, and created', async () => {
    const script = [
      'import sys, json, docker',
      'c = docker.APIClient(base_url="unix://" + sys.argv[1])',
      'r = c.create_container(sys.argv[2], "true", runtime="runc")',
      'i = c.inspect_container(r["Id"])',
      'c.remove_container(r["Id"])',
      'print(json.dumps(i["HostConfig"]["Runtime"]))',
    ].join('\n');
    const r = await ok(run(PYTHON, ['-c', script, served.socket, image]));
    assert.equal(JSON.parse(r.stdout.toString()), 'runc');
  });
});
