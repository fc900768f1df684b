// Decision-log lines of the CLI guard: when configured (--decision-log, or DOCKGATE_DECISION_LOG),
// check, hook and wrap append one line per request judged and per part that could not be
// judged, shaped as OPA's decision-log events; without it nothing is written, and the hook's
// answer on stdout is unchanged.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { decisionLine } from '../../../src/enforce/cli/decision-log.js';

const BIN = resolve(import.meta.dirname, '../../../../bin/dockgate');
let dir: string;
let config: string;
let realDir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dockgate-dlog-'));
  config = join(dir, 'dockgate.toml');
  writeFileSync(config, '[identity]\nadmins = []\nadmin_groups = []\n');
  realDir = join(dir, 'real');
  mkdirSync(realDir);
  writeFileSync(join(realDir, 'docker'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
});

after(() => rmSync(dir, { recursive: true, force: true }));

function dockgate(args: string[], input = '', extraEnv: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    input,
    encoding: 'utf8',
    env: {
      PATH: `${realDir}:${process.env.PATH}`,
      HOME: dir,
      DOCKER_HOST: `unix://${join(dir, 'none.sock')}`,
      ...extraEnv,
    },
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface Line {
  labels: Record<string, string>;
  decision_id: string;
  path: string;
  input: Record<string, unknown> & { Body?: { HostConfig?: { Privileged?: boolean } } };
  result: { outcome: string; allow: boolean; deny: { rule: string; msg: string; hint: string }[]; notes: string[] };
  requested_by: string;
  timestamp: string;
  metrics: Record<string, number>;
}

function lines(file: string): Line[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
}

test('check --decision-log appends an OPA-shaped line per judged request and per undecidable part', () => {
  const file = join(dir, 'check.log');
  const r = dockgate([
    'check',
    '--config',
    config,
    '--decision-log',
    file,
    '--shell',
    'docker run --privileged bb; $D run bb; docker volume create v',
  ]);
  assert.equal(r.code, 1, r.out + r.err);
  const got = lines(file);
  assert.equal(got.length, 3, JSON.stringify(got));
  const find = (outcome: string) => {
    const l = got.find((x) => x.result.outcome === outcome);
    assert.ok(l, `no ${outcome} line`);
    return l;
  };
  const [denied, unknown, allowed] = [find('deny'), find('undecidable'), find('allow')];
  assert.deepEqual(Object.keys(denied), [
    'labels',
    'decision_id',
    'path',
    'input',
    'result',
    'requested_by',
    'timestamp',
    'metrics',
  ]);
  assert.equal(denied.labels.app, 'dockgate');
  assert.equal(denied.labels.point, 'check');
  assert.equal(denied.path, 'docker/authz');
  assert.equal(denied.input.layer, 'cli');
  assert.equal(denied.input.Method, 'POST');
  assert.match(String(denied.input.Path), /^\/v1\.\d+\/containers\/create/);
  assert.equal(denied.input.Body?.HostConfig?.Privileged, true);
  assert.equal(denied.result.outcome, 'deny');
  assert.equal(denied.result.allow, false);
  assert.equal(denied.result.deny[0]?.rule, 'privileged');
  assert.ok((denied.metrics.timer_dockgate_judge_ns ?? 0) > 0);
  assert.match(denied.requested_by, /^uid:\d+\(/);
  assert.ok(Math.abs(Date.parse(denied.timestamp) - Date.now()) < 60_000);
  assert.match(String(unknown.input.shell), /\$D run bb/);
  assert.equal(unknown.result.allow, false);
  assert.ok(unknown.result.notes.length > 0);
  assert.equal(allowed.result.outcome, 'allow');
  assert.equal(allowed.input.Path, '/v1.47/volumes/create');
  assert.equal(new Set(got.map((l) => l.decision_id)).size, 3, 'each line has its own decision id');
  assert.equal(new Set(got.map((l) => l.labels.id)).size, 1, 'one process, one instance id');
});

test('hook logs through DOCKGATE_DECISION_LOG and still answers exactly on stdout', () => {
  const file = join(dir, 'hook.log');
  const event = {
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command: 'docker run --pid=host bb' },
  };
  const r = dockgate(['hook', '--config', config], JSON.stringify(event), { DOCKGATE_DECISION_LOG: file });
  const out = JSON.parse(r.out) as { hookSpecificOutput: Record<string, string> };
  assert.equal(out.hookSpecificOutput.permissionDecision, 'deny');
  const [line] = lines(file);
  assert.equal(line?.labels.point, 'hook');
  assert.equal(line?.result.deny[0]?.rule, 'host-namespaces');
});

test('wrap logs the command it let run', () => {
  const file = join(dir, 'wrap.log');
  const r = dockgate(['wrap', '--config', config, '--decision-log', file, '--', 'run', '--rm', 'bb', 'true'], '', {
    DOCKGATE_DOCKER: join(realDir, 'docker'),
  });
  assert.equal(r.code, 0, r.err);
  const [line] = lines(file);
  assert.equal(line?.labels.point, 'wrap');
  assert.equal(line?.result.outcome, 'allow');
});

test('without a decision log configured, nothing is written', () => {
  const before = join(dir, 'none.log');
  dockgate(['check', '--config', config, '--shell', 'docker run --privileged bb']);
  assert.equal(existsSync(before), false);
});

test('a line over the limit keeps its verdict and drops the body', () => {
  const body = { Image: 'bb', Labels: { big: 'x'.repeat(300 * 1024) } };
  const line = decisionLine(
    { app: 'dockgate' },
    {
      input: { layer: 'cli', Method: 'POST', Body: body },
      result: { outcome: 'deny', allow: false },
      requestedBy: 'uid:1(a)',
      judgeNs: 5,
    },
  );
  assert.ok(line.length < 256 * 1024 + 1);
  const parsed = JSON.parse(line) as Line;
  assert.equal(parsed.result.outcome, 'deny');
  assert.equal(parsed.input.Method, 'POST');
  assert.match(String(parsed.input.Body), /omitted/);
});
