// One rule, one verdict: for each command line, the guard's verdict equals the decision core's
// verdict (as the proxy calls it) on the request the real docker CLI actually sends, captured by
// a recording server, for the same user, policy and daemon look-ups.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Guard } from '../../../src/enforce/cli/guard.js';
import { daemonLookups } from '../../../src/enforce/cli/lookups.js';
import { DecisionCore, PolicyEngine } from '../../../src/policy/index.js';
import type { Identity } from '../../../src/tenancy/index.js';
import { CREATE_CASES, RUN_CASES, writeCorpusFiles } from '../../docker/argv/corpus.js';
import { type Recorder, startRecorder } from '../../docker/argv/recorder.js';

let dir: string;
let recorder: Recorder;
let guard: Guard;
let core: DecisionCore;
const ENV = { HOME: '/nonexistent', FROM_ENV: 'yes' };
const identity: Identity = { uid: 65534, gid: 65534, user: 'nobody', groups: ['nogroup'], pid: null, via: 'cli' };
let noDaemon: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dockgate-parity-'));
  writeCorpusFiles(dir);
  recorder = await startRecorder(dir);
  noDaemon = `unix://${join(dir, 'no-daemon.sock')}`;
  const engine = await PolicyEngine.load({});
  core = new DecisionCore(engine);
  guard = new Guard({
    engine,
    cwd: dir,
    env: { ...ENV, DOCKER_HOST: `unix://${recorder.sock}` },
    identity,
    daemon: noDaemon,
  });
});

after(() => {
  recorder.close();
  rmSync(dir, { recursive: true, force: true });
});

const JUDGED = /^\/containers\/create|\/exec$|^\/volumes\/create|^\/networks\/create/;

async function sameVerdict(args: string[]) {
  const sent = (await recorder.run(args, dir, ENV)).filter((r) => JUDGED.test(r.target.split('?')[0] ?? ''));
  assert.ok(sent.length > 0, `the docker CLI sent nothing judged for: docker ${args.join(' ')}`);
  let proxy: 'allow' | 'deny' | 'undecidable' = 'allow';
  for (const r of sent) {
    const body = r.body === null ? null : Buffer.from(JSON.stringify(r.body), 'utf8');
    const verdict = await core.judge(
      {
        method: r.method,
        target: `${r.version}${r.target}`,
        headers: body === null ? {} : { 'content-type': 'application/json', 'content-length': String(body.length) },
        body,
      },
      identity,
      daemonLookups(noDaemon),
    );
    verdict.release?.();
    if (verdict.error) proxy = proxy === 'deny' ? 'deny' : 'undecidable';
    else if (!verdict.allow) proxy = 'deny';
  }
  const mine = await guard.checkArgv(args);
  assert.equal(mine.outcome, proxy, `docker ${args.join(' ')}: ${JSON.stringify(mine.findings)}`);
}

for (const args of CREATE_CASES) {
  test(`docker create ${args.join(' ')}: the guard's verdict is the core's verdict on what the CLI sends`, async () => {
    await sameVerdict(['create', ...args]);
  });
}

for (const args of RUN_CASES) {
  test(`docker run ${args.join(' ')}: the guard's verdict is the core's verdict on what the CLI sends`, async () => {
    await sameVerdict(['run', ...args]);
  });
}

for (const args of [
  ['volume', 'create', 'v1'],
  ['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', 'device=/etc', 'v2'],
  ['network', 'create', 'n1'],
  ['network', 'create', '-o', 'com.docker.network.bridge.name=docker0', 'n2'],
  ['exec', 'c1', 'ls'],
  ['exec', '--privileged', '-u', '0', 'c1', 'sh'],
]) {
  test(`docker ${args.join(' ')}: the guard's verdict is the core's verdict on what the CLI sends`, async () => {
    await sameVerdict(args);
  });
}
