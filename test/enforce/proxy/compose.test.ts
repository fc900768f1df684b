// End to end: docker-compose (docker-py underneath) through dockgate serve.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  dockerAt,
  ensureTestImage,
  ok,
  run,
  startServe,
  testDaemon,
  type Daemon,
  type Served,
} from '../../harness/index.js';

const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
const canRun = process.getuid?.() === 0;

describe('docker-compose through dockgate serve', {
  skip: (!canRun && 'needs root to run dockerd') || (!hasCompose && 'docker-compose not installed'),
}, () => {
  let daemon: Daemon;
  let served: Served;
  let dir: string;
  const project = `dgc${crypto.randomBytes(3).toString('hex')}`;

  before(async () => {
    daemon = await testDaemon();
    const image = ensureTestImage(daemon.socket);
    served = await startServe({ upstream: daemon.socket });
    dir = fs.mkdtempSync('/tmp/dgc-');
    // No networks: the test daemon runs without a bridge.
    fs.writeFileSync(
      path.join(dir, 'docker-compose.yml'),
      `version: "3"\nservices:\n  web:\n    image: ${image}\n    command: ["sleep", "300"]\n    network_mode: none\n` +
        `  worker:\n    image: ${image}\n    command: ["sh", "-c", "echo worker-up; sleep 300"]\n    network_mode: none\n`,
    );
  });

  after(async () => {
    await run('docker-compose', ['-p', project, 'down', '-t', '1'], {
      cwd: dir,
      env: { DOCKER_HOST: `unix://${daemon.socket}` },
    });
    await served?.stop();
    await daemon?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const compose = (...args: string[]) =>
    run('docker-compose', ['-p', project, ...args], { cwd: dir, env: { DOCKER_HOST: `unix://${served.socket}` } });

  test('up -d starts the services, ps lists them, down removes them', async () => {
    await ok(compose('up', '-d'));
    const ps = await ok(compose('ps'));
    const text = ps.stdout.toString();
    assert.match(text, new RegExp(`${project}_web_1 .* Up`));
    assert.match(text, new RegExp(`${project}_worker_1 .* Up`));
    const logs = await ok(compose('logs', 'worker'));
    assert.match(logs.stdout.toString(), /worker-up/);
    await ok(compose('down', '-t', '1'));
    const left = await ok(
      dockerAt(daemon.socket)(['ps', '-a', '--filter', `label=com.docker.compose.project=${project}`, '-q']),
    );
    assert.equal(left.stdout.toString().trim(), '');
  });
});
