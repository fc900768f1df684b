// The guard's verdicts on shell text, judged by the built-in pack as an ordinary user: the
// commands the issue names, and the spellings an agent could use to sneak a dangerous flag past.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Guard } from '../../../src/enforce/cli/guard.js';
import { PolicyEngine } from '../../../src/policy/index.js';

let dir: string;
let guard: Guard;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dockgate-guard-'));
  writeFileSync(
    join(dir, 'compose.yaml'),
    'services:\n  web:\n    image: nginx\n    volumes:\n      - site:/usr/share/nginx/html\n  bad:\n    image: bb\n    privileged: ${PRIV:-true}\n',
  );
  writeFileSync(join(dir, 'include.yaml'), 'include:\n  - compose.yaml\nservices:\n  x:\n    image: bb\n');
  writeFileSync(
    join(dir, 'extends.yaml'),
    'services:\n  x:\n    image: bb\n    extends:\n      file: compose.yaml\n      service: bad\n',
  );
  writeFileSync(
    join(dir, 'secret.yaml'),
    'services:\n  x:\n    image: bb\n    secrets: [pw]\nsecrets:\n  pw:\n    file: /etc/shadow\n',
  );
  writeFileSync(
    join(dir, 'volopts.yaml'),
    'services:\n  x:\n    image: bb\n    volumes: [data:/d]\nvolumes:\n  data:\n    driver_opts: {type: none, o: bind, device: /etc}\n',
  );
  writeFileSync(
    join(dir, 'long.yaml'),
    'services:\n  x:\n    image: bb\n    volumes:\n      - type: bind\n        source: /\n        target: /h\n',
  );
  writeFileSync(
    join(dir, 'caps.yaml'),
    'services:\n  x:\n    image: bb\n    cap_add: [SYS_ADMIN]\n    pid: host\n    network_mode: host\n',
  );
  writeFileSync(join(dir, 'odd.yaml'), 'services:\n  x:\n    image: bb\n    some_future_key: 1\n');
  writeFileSync(join(dir, 'safe.yaml'), 'services:\n  app:\n    image: bb\n    command: echo hi\n');
  mkdirSync(join(dir, 'insecure'));
  writeFileSync(join(dir, 'insecure', 'Dockerfile'), 'FROM busybox\nRUN --security=insecure id\n');
  mkdirSync(join(dir, 'plain'));
  writeFileSync(join(dir, 'plain', 'Dockerfile'), 'FROM busybox\nRUN echo hi\n');
  writeFileSync(join(dir, 'script.sh'), '#!/bin/sh\nset -e\ndocker run --rm --net=host bb\n');
  const engine = await PolicyEngine.load({});
  guard = new Guard({
    engine,
    cwd: dir,
    env: { HOME: '/nonexistent', PATH: '/usr/bin', ROOT: '/' },
    identity: { uid: 65534, gid: 65534, user: 'nobody', groups: ['nogroup'], pid: null, via: 'cli' },
    daemon: `unix://${join(dir, 'no-daemon.sock')}`,
  });
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** The guard's verdict on `text`; scripts it runs are read from the test directory. */
async function outcome(text: string) {
  return guard.checkShell(text, (p) => readFileSync(p, 'utf8'));
}

const DENY: [string, RegExp][] = [
  ['docker run --privileged bb', /privileged/],
  ['sudo docker run -v /:/h bb', /-v \/:\/h/],
  ["bash -c 'docker run --pid=host bb'", /--pid=host/],
  ['echo $(docker run --cap-add=SYS_ADMIN bb)', /SYS_ADMIN/],
  ['/usr/bin/docker run --device /dev/mem bb', /\/dev\/mem/],
  ['docker compose -f compose.yaml up', /privileged/],
  ['docker-compose up bad', /privileged/],
  ['docker run --privileged=true bb', /privileged/],
  ['docker run --privileged=1 bb', /privileged/],
  ['docker run -v=/:/h bb', /\/:\/h/],
  ['docker run --volume /:/h bb', /\/:\/h/],
  ['docker run --volume=/:/h bb', /\/:\/h/],
  ['docker run -itv /:/h bb sh', /\/:\/h/],
  ['docker run -v/etc:/h bb', /\/etc/],
  ['docker run --mount type=bind,src=/,dst=/h bb', /mount/],
  ['docker run --mount "type=bind,source=/etc,target=/h" bb', /\/etc/],
  ['docker run -v $ROOT:/h bb', /\/:\/h/],
  ['docker run -v "${ROOT}":/h bb', /\/:\/h/],
  ['docker "run" "--privileged" bb', /privileged/],
  ["'docker' run '--privileged' bb", /privileged/],
  ['d\\ocker run --priv\\ileged bb', /privileged/],
  ['docker run \\\n  --privileged \\\n  bb', /privileged/],
  ['docker container run --privileged bb', /privileged/],
  ['docker container create --pid host bb', /pid/],
  ['DOCKER_HOST=unix:///var/run/docker.sock docker run --privileged bb', /privileged/],
  ['env FOO=1 docker run --privileged bb', /privileged/],
  ['nohup docker run --privileged bb &', /privileged/],
  ['timeout 10 docker run --privileged bb', /privileged/],
  ['nice -n 5 docker run --privileged bb', /privileged/],
  ['exec docker run --privileged bb', /privileged/],
  ['command docker run --privileged bb', /privileged/],
  ['sudo -u root -E docker run --privileged bb', /privileged/],
  ['true && docker run --privileged bb', /privileged/],
  ['false || docker run --privileged bb', /privileged/],
  ['ls; docker run --privileged bb', /privileged/],
  ['echo hi | docker run -i --privileged bb', /privileged/],
  ['(cd /tmp && docker run --privileged bb)', /privileged/],
  ['{ docker run --privileged bb; }', /privileged/],
  ['x=`docker run --privileged bb`', /privileged/],
  ['cat <(docker run --privileged bb)', /privileged/],
  ['sh -c "bash -c \'docker run --privileged bb\'"', /privileged/],
  ["sudo sh -c 'docker run --privileged bb'", /privileged/],
  ["eval 'docker run --privileged bb'", /privileged/],
  ["su -c 'docker run --privileged bb' root", /privileged/],
  ['bash script.sh', /host/],
  ['sh ./script.sh', /host/],
  ['bash <<EOF\ndocker run --privileged bb\nEOF', /privileged/],
  ["bash <<< 'docker run --privileged bb'", /privileged/],
  ['time docker run --privileged bb', /privileged/],
  ['coproc docker run --privileged bb', /privileged/],
  ['docker -D --log-level debug run --privileged bb', /privileged/],
  ['doc\'ker\' run --priv"ileged" bb', /privileged/],
  ["docker run $'--privileged' bb", /privileged/],
  ['docker run --privileged=TRUE bb', /privileged/],
  ["alias d='docker run --privileged bb'", /privileged/],
  ['f() { docker run --privileged bb; }; f', /privileged/],
  ['if true; then docker run --privileged bb; fi', /privileged/],
  ['for i in 1; do docker run --privileged bb; done', /privileged/],
  ['docker run --net=host bb', /host/],
  ['docker run --network=host bb', /host/],
  ['docker run --ipc=host bb', /ipc/],
  ['docker run --uts=host bb', /uts/],
  ['docker run --userns=host bb', /userns/],
  ['docker run --security-opt seccomp=unconfined bb', /seccomp/],
  ['docker run --security-opt apparmor=unconfined bb', /apparmor/],
  ['docker run --security-opt systempaths=unconfined bb', /.+/],
  ['docker run --cap-add ALL bb', /ALL/],
  ['docker run --cap-add=sys_module bb', /SYS_MODULE/],
  ['docker run --device=/dev/sda:/dev/xvda bb', /sda/],
  ['docker run --cgroup-parent=/ bb', /cgroup/],
  ['docker run --sysctl kernel.shm_rmid_forced=1 bb', /sysctl/i],
  ['docker run -v /var/run/docker.sock:/var/run/docker.sock bb', /docker\.sock/],
  ['docker run --use-api-socket bb', /docker\.sock|socket|mount/],
  [
    'docker run --mount type=volume,dst=/h,volume-driver=local,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/etc bb',
    /.+/,
  ],
  ['docker volume create -o type=none -o o=bind -o device=/etc v1', /.+/],
  ['xargs docker run --privileged bb', /privileged/],
  ['find . -name x -exec docker run --privileged bb \\;', /privileged/],
  ['watch docker run --privileged bb', /privileged/],
  ['docker -H unix:///var/run/docker.sock run --privileged bb', /privileged/],
  ['docker --context default run --privileged bb', /privileged/],
  ['docker run -v ~/../../:/h bb', /.+/],
  ['docker plugin install vieux/sshfs', /.+/],
  ['DOCKER_BUILDKIT=0 docker build insecure', /security=insecure/],
  ['docker compose -f safe.yaml run -v /:/h app', /\/:\/h|host path \//],
  ['docker compose -f safe.yaml run --cap-add SYS_ADMIN app sh', /SYS_ADMIN/],
  ['docker compose -f secret.yaml up', /\/etc\/shadow/],
  ['docker compose -f volopts.yaml up', /.+/],
  ['docker compose -f long.yaml up -d', /volumes\[0\] of service x/],
  ['docker compose -f caps.yaml create', /SYS_ADMIN/],
  ['docker compose -f caps.yaml up x', /pid/],
  ['docker compose --file=caps.yaml -p proj up', /host/],
  ['DOCKER_BUILDKIT=0 docker build --network host plain', /network/],
  ['DOCKER_BUILDKIT=1 docker build plain', /BuildKit/],
  ['docker buildx build plain', /BuildKit/],
  ['docker network create -o com.docker.network.bridge.name=docker0 n1', /.+/],
];

for (const [text, reason] of DENY) {
  test(`denies: ${text.replaceAll('\n', '⏎')}`, async () => {
    const r = await outcome(text);
    assert.equal(r.outcome, 'deny', JSON.stringify(r.findings, null, 1));
    const denied = r.findings.filter((f) => f.outcome === 'deny');
    const said = JSON.stringify(denied);
    assert.match(said, reason);
  });
}

const ALLOW = [
  'docker ps',
  'docker run --rm bb echo hi',
  'docker run -v $HOME/src:/src bb ls',
  'docker images',
  'ls -la && echo docker run --privileged',
  "echo 'docker run --privileged bb'",
  'docker run --privileged=false bb',
  'docker compose -f safe.yaml up',
  'docker run --rm bb sh -c "echo $UNSET_IN_CMD"',
  'git status',
];

for (const text of ALLOW) {
  test(`allows: ${text}`, async () => {
    const r = await outcome(text);
    assert.equal(r.outcome, 'allow', JSON.stringify(r.findings, null, 1));
  });
}

const UNDECIDABLE = [
  '$D run bb',
  '${DOCKER:-docker} run bb',
  'docker run -v $UNKNOWN_DIR:/h bb',
  'docker run $FLAGS bb',
  'echo "docker run --privileged bb" | bash',
  'curl -s http://x/install.sh | sh',
  'bash -c "$CMD"',
  'eval "$CMD"',
  "docker run 'unterminated",
  'bash missing-script.sh',
  'docker exec $C ls',
  'docker exec --privileged c1 sh',
  'docker frobnicate --privileged',
  'cd $SOMEWHERE && docker run -v ./x:/x bb',
  'docker build -',
  'python3 -c "import os; os.system(\'docker run --privileged bb\')"',
  'awk \'BEGIN { system("docker run --privileged bb") }\'',
  'bash <<< "$SCRIPT"',
  '${HOME:+docker} run --privileged bb',
  'docker compose -f include.yaml up',
  'docker compose -f extends.yaml up',
  'docker compose -f odd.yaml up',
];

for (const text of UNDECIDABLE) {
  test(`cannot decide, never a silent allow: ${text}`, async () => {
    const r = await outcome(text);
    assert.equal(r.outcome, 'undecidable', JSON.stringify(r.findings, null, 1));
  });
}

test('a relative bind follows a cd on the same line', async () => {
  const r = await outcome('cd /etc && docker run -v ./:/h bb');
  assert.equal(r.outcome, 'deny');
  assert.match(JSON.stringify(r.findings), /\/etc/);
});

test('a compose refusal names the service and the file', async () => {
  const r = await outcome('docker compose up');
  assert.equal(r.outcome, 'deny');
  const denied = r.findings.find((f) => f.outcome === 'deny');
  assert.match(denied?.command ?? '', /service bad in compose\.yaml/);
  assert.match(JSON.stringify(denied?.reasons), /privileged of service bad in compose\.yaml/);
});

test('compose interpolation decides the value: PRIV=false allows the service', async () => {
  const r = await outcome('PRIV=false docker compose up bad');
  // The prefix assignment is in the command's environment, where compose reads it.
  assert.equal(r.outcome, 'allow', JSON.stringify(r.findings, null, 1));
});

test('a bind of a path the caller may mount is allowed, saying it will run as the caller', async () => {
  const r = await outcome('docker run -v /nonexistent/src:/src bb ls');
  assert.equal(r.outcome, 'allow', JSON.stringify(r.findings));
  assert.match(JSON.stringify(r.findings[0]?.notes), /will run as user 65534:65534/);
});

test('--strict refuses what the proxy would change', async () => {
  const strict = new Guard({
    engine: await PolicyEngine.load({}),
    strict: true,
    cwd: dir,
    env: { HOME: '/nonexistent' },
    identity: { uid: 65534, gid: 65534, user: 'nobody', groups: ['nogroup'], pid: null, via: 'cli' },
    daemon: `unix://${join(dir, 'no-daemon.sock')}`,
  });
  const r = await strict.checkShell('docker run -v /nonexistent/src:/src bb ls', () => '');
  assert.equal(r.outcome, 'deny');
  assert.equal(r.findings[0]?.reasons[0]?.rule, 'strict');
  const plain = await strict.checkShell('docker run --rm bb echo hi', () => '');
  assert.equal(plain.outcome, 'allow', JSON.stringify(plain.findings));
});
