// What dockgate serve learns from the daemon at start (GET /info): a daemon that remaps users
// (userns-remap, rootless) makes root in a container another user on the host, and dockgate
// says so and names the setting that relaxes run-as-caller.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startServe } from '../../harness/index.js';

const servers: http.Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

/** A daemon stand-in that answers /info with these security options. */
async function fakeDaemon(securityOptions: string[]): Promise<string> {
  const dir = fs.mkdtempSync('/tmp/dgi-');
  const socket = path.join(dir, 'd.sock');
  const server = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(
      JSON.stringify(req.url === '/info' ? { DockerRootDir: '/var/lib/docker', SecurityOptions: securityOptions } : {}),
    );
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return socket;
}

async function serveNotice(securityOptions: string[], args: string[] = []): Promise<string> {
  const served = await startServe({ upstream: await fakeDaemon(securityOptions), args });
  await served.stop();
  return served.stderr();
}

test('a daemon with userns-remap or rootless is named at start, with the setting that relaxes run-as-caller', async () => {
  assert.match(
    await serveNotice(['name=seccomp,profile=default', 'name=userns']),
    /the daemon remaps users \(userns\).*\[rules\.run-as-caller\] enabled = false/,
  );
  assert.match(
    await serveNotice(['name=rootless', 'name=seccomp,profile=default']),
    /the daemon remaps users \(rootless\)/,
  );
});

test('a daemon that does not remap users, or a config that already relaxed the rule, gets no such notice', async () => {
  assert.doesNotMatch(await serveNotice(['name=seccomp,profile=default', 'name=apparmor']), /remaps users/);
  const dir = fs.mkdtempSync('/tmp/dgc-');
  const config = path.join(dir, 'dockgate.toml');
  fs.writeFileSync(config, '[rules.run-as-caller]\nenabled = false\n');
  assert.doesNotMatch(await serveNotice(['name=userns'], ['--config', config]), /remaps users/);
});
