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
import { CREATE_CASES, RUN_CASES, SHELL_CASES, SHELL_UNDECIDABLE, writeCorpusFiles } from '../../docker/argv/corpus.js';
import { type Recorded, type Recorder, startRecorder } from '../../docker/argv/recorder.js';

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

type Outcome = 'allow' | 'deny' | 'undecidable';

/** The decision core's verdict, as the proxy asks it, on every judged request the CLI sent. */
async function proxyVerdict(recorded: Recorded[], what: string): Promise<Outcome> {
  const sent = recorded.filter((r) => JUDGED.test(r.target.split('?')[0] ?? ''));
  assert.ok(sent.length > 0, `the docker CLI sent nothing judged for: ${what}`);
  let proxy: Outcome = 'allow';
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
  return proxy;
}

async function sameVerdict(args: string[]) {
  const proxy = await proxyVerdict(await recorder.run(args, dir, ENV), `docker ${args.join(' ')}`);
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

const OTHER_CASES: string[][] = [
  ['volume', 'create', 'v1'],
  ['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', 'device=/etc', 'v2'],
  ['network', 'create', 'n1'],
  ['network', 'create', '-o', 'com.docker.network.bridge.name=docker0', 'n2'],
  ['exec', 'c1', 'ls'],
  ['exec', '--privileged', '-u', '0', 'c1', 'sh'],
];

for (const args of OTHER_CASES) {
  test(`docker ${args.join(' ')}: the guard's verdict is the core's verdict on what the CLI sends`, async () => {
    await sameVerdict(args);
  });
}

for (const text of SHELL_CASES) {
  test(`shell ${JSON.stringify(text)}: check --shell gives the core's verdict on what bash and the CLI send`, async () => {
    const proxy = await proxyVerdict(await recorder.runShell(text, dir, ENV), text);
    const mine = await guard.checkShell(text, () => {
      throw new Error('no scripts in this corpus');
    });
    assert.equal(mine.outcome, proxy, `${text}: ${JSON.stringify(mine.findings)}`);
  });
}

for (const text of SHELL_UNDECIDABLE) {
  test(`shell ${JSON.stringify(text)}: check --shell cannot decide it and says so (never allow)`, async () => {
    const mine = await guard.checkShell(text, () => {
      throw new Error('no scripts in this corpus');
    });
    assert.equal(mine.outcome, 'undecidable', JSON.stringify(mine.findings));
  });
}

test('the corpus judged here holds at least 150 commands, safe and dangerous', () => {
  const total =
    CREATE_CASES.length + RUN_CASES.length + SHELL_CASES.length + SHELL_UNDECIDABLE.length + OTHER_CASES.length;
  assert.ok(total >= 150, `${total} commands`);
});
