// One rule, one verdict, end to end: each command is run by the real docker CLI as an ordinary
// user through `dockgate serve` in front of a private dockerd, and checked by `dockgate check` as
// the same user. The proxy's answer (created, or refused by dockgate) and the guard's exit code
// must agree, and what the proxy let through is checked in the daemon's state.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  createUser,
  DOCKGATE_BIN,
  dockerAt,
  ensureTestImage,
  run,
  type Daemon,
  type Served,
  startServe,
  testDaemon,
  type TestUser,
} from '../../harness/index.js';

const canRun = process.getuid?.() === 0;

describe('dockgate check agrees with dockgate serve on what the real docker CLI sends', {
  skip: !canRun && 'needs root to run dockerd',
}, () => {
  let daemon: Daemon;
  let served: Served;
  let user: TestUser;
  let image: string;
  let dir: string;
  let config: string;

  before(async () => {
    daemon = await testDaemon();
    image = ensureTestImage(daemon.socket);
    user = createUser();
    dir = fs.mkdtempSync('/tmp/dgc-');
    fs.chmodSync(dir, 0o755);
    config = path.join(dir, 'dockgate.toml');
    fs.writeFileSync(config, '[identity]\nadmins = ["root"]\nadmin_groups = []\n');
    fs.chmodSync(config, 0o644);
    fs.mkdirSync(path.join(dir, 'work'));
    fs.chownSync(path.join(dir, 'work'), user.uid, user.gid);
    served = await startServe({ upstream: daemon.socket, args: ['--config', config, '--socket-mode', '666'] });
  });

  after(async () => {
    // Whatever the proxy let through is removed through the daemon itself.
    const root = dockerAt(daemon.socket);
    const listed = await root(['ps', '-aq', '--filter', 'label=dockgate-cli-agreement']);
    const ids = listed.stdout.toString().split('\n').filter(Boolean);
    if (ids.length > 0) await root(['rm', '-f', ...ids]);
    await served?.stop();
    await daemon?.stop();
    user?.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const CASES: string[][] = [
    [],
    ['--privileged'],
    ['--privileged=false'],
    ['-v', '/:/h'],
    ['-v=/etc:/e'],
    ['--mount', 'type=bind,src=/,dst=/h'],
    ['--cap-add', 'SYS_ADMIN'],
    ['--cap-add', 'CHOWN'],
    ['--cap-drop', 'ALL'],
    ['--device', '/dev/mem'],
    ['--pid=host'],
    ['--ipc', 'host'],
    ['--uts=host'],
    ['--userns=host'],
    ['--network', 'host'],
    ['--network', 'none'],
    ['--security-opt', 'seccomp=unconfined'],
    ['--security-opt', 'apparmor=unconfined'],
    ['--security-opt', 'systempaths=unconfined'],
    ['--security-opt', 'no-new-privileges'],
    ['--cgroup-parent', '/'],
    ['--sysctl', 'net.ipv4.ip_forward=1'],
    ['--user', '0'],
    ['-u', '1000'],
    ['--group-add', '0'],
    ['-m', '64m', '--cpus', '0.5'],
    ['--read-only', '--tmpfs', '/run'],
    ['--use-api-socket'],
    ['-l', 'team=a'],
    ['--runtime', 'runc'],
    ['--init'],
  ];

  const seen = { allowed: 0, refused: 0 };

  for (const flags of CASES) {
    test(`docker create ${flags.join(' ') || '(no flags)'}: serve and check give the same verdict`, async () => {
      const args = ['create', '--label', 'dockgate-cli-agreement=1', ...flags, image, 'true'];
      const docker = dockerAt(served.socket, {
        as: user,
        cwd: path.join(dir, 'work'),
        env: { HOME: path.join(dir, 'work') },
      });
      const viaProxy = await docker(args);
      const refused = viaProxy.code !== 0 && /dockgate/.test(viaProxy.stderr);
      assert.ok(viaProxy.code === 0 || refused, `neither created nor refused by dockgate: ${viaProxy.stderr}`);
      seen[refused ? 'refused' : 'allowed']++;
      if (viaProxy.code === 0) {
        // Allowed: the container exists at the daemon.
        const id = viaProxy.stdout.toString().trim();
        const inspected = await dockerAt(daemon.socket)(['inspect', '--format', '{{.Id}}', id]);
        assert.equal(inspected.code, 0);
      }
      const checked = await run(
        process.execPath,
        [DOCKGATE_BIN, 'check', '--config', config, '--', 'docker', ...args],
        {
          as: user,
          cwd: path.join(dir, 'work'),
          env: { HOME: path.join(dir, 'work'), DOCKER_HOST: `unix://${served.socket}` },
        },
      );
      assert.equal(
        checked.code,
        refused ? 1 : 0,
        `proxy ${refused ? 'refused' : 'allowed'}: ${viaProxy.stderr}\ncheck said: ${checked.stdout}${checked.stderr}`,
      );
    });
  }

  // Shell text as an agent types it, run by bash as the user through the proxy, and checked whole
  // by `dockgate check --shell`. IMG is the test image; every container carries the cleanup label.
  const SHELL: string[] = [
    'bash -c "docker create LABEL --privileged IMG true"',
    "sh -c 'docker create LABEL -v /:/h IMG true'",
    'echo $(docker create LABEL --cap-add=SYS_ADMIN IMG true)',
    'env docker create LABEL --pid=host IMG true',
    'true && docker create LABEL --network host IMG true',
    'timeout 30 docker create LABEL IMG true',
    'bash -c "docker create LABEL -v $HOME:/w IMG true"',
    'cd / && docker create LABEL -v .:/h IMG true',
  ];
  for (const text of SHELL) {
    test(`shell ${JSON.stringify(text)}: serve and check --shell give the same verdict`, async () => {
      const command = text.replaceAll('LABEL', '--label dockgate-cli-agreement=1').replaceAll('IMG', image);
      const home = path.join(dir, 'work');
      const viaProxy = await run('bash', ['-c', command], {
        as: user,
        cwd: home,
        env: { HOME: home, DOCKER_HOST: `unix://${served.socket}`, DOCKER_CLI_HINTS: 'false' },
      });
      // The shell's exit code is its last command's (`echo $(...)` exits 0): a refusal is what
      // dockgate said on the way.
      const refused = /dockgate/.test(viaProxy.stderr);
      assert.ok(viaProxy.code === 0 || refused, `neither created nor refused by dockgate: ${viaProxy.stderr}`);
      seen[refused ? 'refused' : 'allowed']++;
      const checked = await run(process.execPath, [DOCKGATE_BIN, 'check', '--config', config, '--shell', command], {
        as: user,
        cwd: home,
        env: { HOME: home, DOCKER_HOST: `unix://${served.socket}` },
      });
      assert.equal(
        checked.code,
        refused ? 1 : 0,
        `proxy: ${viaProxy.stderr}\ncheck said: ${checked.stdout}${checked.stderr}`,
      );
    });
  }

  // Compose files, brought up by docker-compose as the user through the proxy, and checked.
  const COMPOSE: Record<string, string> = {
    plain: '',
    privileged: '    privileged: true\n',
    root: '    volumes:\n      - /:/h\n',
    socket: '    volumes:\n      - /var/run/docker.sock:/s\n',
    caps: '    cap_add:\n      - SYS_ADMIN\n',
    pid: '    pid: host\n',
    home: '    volumes:\n      - ./data:/data\n',
  };
  for (const [name, extra] of Object.entries(COMPOSE)) {
    test(`docker-compose up with a ${name} service: serve and check give the same verdict`, async () => {
      const home = path.join(dir, 'work');
      const file = path.join(home, `compose-${name}.yaml`);
      fs.writeFileSync(
        file,
        `services:\n  web:\n    image: ${image}\n    command: ["true"]\n    labels:\n      dockgate-cli-agreement: "1"\n${extra}`,
      );
      fs.chownSync(file, user.uid, user.gid);
      const args = ['-f', file, '-p', `agree${name}`, 'up', '-d', '--no-build'];
      const viaProxy = await run('docker-compose', args, {
        as: user,
        cwd: home,
        env: { HOME: home, DOCKER_HOST: `unix://${served.socket}` },
        timeoutMs: 60_000,
      });
      const refused = viaProxy.code !== 0 && /dockgate/.test(viaProxy.stderr);
      assert.ok(viaProxy.code === 0 || refused, `neither created nor refused by dockgate: ${viaProxy.stderr}`);
      seen[refused ? 'refused' : 'allowed']++;
      // By effect: the service's container exists at the daemon exactly when the proxy allowed it.
      const listed = await dockerAt(daemon.socket)([
        'ps',
        '-aq',
        '--filter',
        `label=com.docker.compose.project=agree${name}`,
      ]);
      assert.equal(listed.stdout.toString().trim() !== '', !refused, `containers: ${listed.stdout}`);
      const checked = await run(
        process.execPath,
        [DOCKGATE_BIN, 'check', '--config', config, '--', 'docker-compose', ...args],
        { as: user, cwd: home, env: { HOME: home, DOCKER_HOST: `unix://${served.socket}` } },
      );
      assert.equal(
        checked.code,
        refused ? 1 : 0,
        `proxy: ${viaProxy.stderr}\ncheck said: ${checked.stdout}${checked.stderr}`,
      );
    });
  }

  test('the corpus has both commands the proxy lets through and commands it refuses', () => {
    assert.ok(seen.allowed >= 5, `allowed: ${seen.allowed}`);
    assert.ok(seen.refused >= 10, `refused: ${seen.refused}`);
  });
});
