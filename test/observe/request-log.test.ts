// The request log: one JSON line per request, batched on the way to the file, in the order the
// lines were logged, and nothing gathered is lost at shutdown or process exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, RequestLog, type RequestRecord } from '../../src/observe/index.js';

const record = (i: number) => ({
  method: 'GET',
  path: `/r${i}`,
  status: 200,
  uid: 0,
  user: 'root',
  decision: 'allow' as const,
  duration: 0.5,
});

function tempFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dgl-')), 'requests.log');
}

test('request lines and other log lines reach the file whole and in order, all of them once the logger is closed', async () => {
  const file = tempFile();
  const logger = createLogger(file);
  const requests = new RequestLog(logger);
  for (let i = 0; i < 2000; i++) {
    requests.write(record(i));
    if (i === 1000) logger.warn({ what: 'in between' }, 'warning');
  }
  await logger.close();
  const lines = fs
    .readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 2001, 'several batches, none lost');
  assert.deepEqual(
    lines.slice(0, 3).map((l) => l.path),
    ['/r0', '/r1', '/r2'],
  );
  assert.equal(lines[1001]!.msg, 'warning');
  assert.equal(lines[2000]!.path, '/r1999');
  assert.ok(
    lines.every((l, i) => i === 1001 || l.path === `/r${i > 1001 ? i - 1 : i}`),
    'in the order logged',
  );
  assert.equal(lines[0]!.msg, 'request');
  assert.equal(lines[0]!.decision, 'allow');
});

test('lines of any size and script reach the file whole: multi-byte characters, and a line larger than a whole batch', async () => {
  const file = tempFile();
  const logger = createLogger(file);
  const wide = '\u00e9\u4e2d\u{1f600}'.repeat(2000); // 2-, 3- and 4-byte UTF-8, 18 KB in all
  const requests = new RequestLog(logger);
  for (let i = 0; i < 300; i++)
    requests.write({ ...record(i), path: i % 100 === 50 ? `/big${i}/${wide}` : `/r${i}/\u00e9\u4e2d` });
  await logger.close();
  const lines = fs
    .readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { path: string });
  assert.equal(lines.length, 300);
  assert.ok(
    lines.every((l, i) => l.path === (i % 100 === 50 ? `/big${i}/${wide}` : `/r${i}/\u00e9\u4e2d`)),
    'every line whole, in order',
  );
});

test('a few lines logged just before the process exits are not lost', () => {
  const file = tempFile();
  const index = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src/observe/index.js');
  const script = `import(${JSON.stringify(index)}).then(({ createLogger, RequestLog }) => {
    const logger = createLogger(${JSON.stringify(file)});
    const requests = new RequestLog(logger);
    setTimeout(() => { for (let i = 0; i < 3; i++) requests.write({ method: 'GET', path: '/x' + i, status: 200, uid: 0, user: 'root', decision: 'allow', duration: 1 }); }, 50);
  });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.deepEqual(
    lines.map((l) => (JSON.parse(l) as { path: string }).path),
    ['/x0', '/x1', '/x2'],
  );
});

test('a log that cannot be written (disk full) neither throws nor grows without bound; stderr says so once, and says what was lost', () => {
  const index = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src/observe/index.js');
  const script = `import(${JSON.stringify(index)}).then(async ({ createLogger, RequestLog }) => {
    const logger = createLogger('/dev/full');
    const requests = new RequestLog(logger);
    for (let i = 0; i < 200000; i++) requests.write({ method: 'GET', path: '/x' + i, status: 200, uid: 0, user: 'root', decision: 'allow', duration: 1 });
    logger.warn('still logging');
    process.stdout.write('rss ' + process.memoryUsage().rss + '\\n');
    await logger.close();
    process.stdout.write('closed\\n');
  });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /closed/);
  const rss = Number(/rss (\d+)/.exec(r.stdout)![1]);
  assert.ok(rss < 200 * 1024 * 1024, `30 MB of lines into a full disk: RSS ${rss} bytes`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 2, r.stderr);
  assert.match(lines[0]!, /cannot write the log \(\/dev\/full\): ENOSPC/);
  assert.match(lines[1]!, /the log \(\/dev\/full\) is incomplete: \d+ lines were dropped; the lines still waiting/);
});

test('lines logged to standard output just before the process exits are not lost', () => {
  const index = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src/observe/index.js');
  const script = `import(${JSON.stringify(index)}).then(({ createLogger, RequestLog }) => {
    const logger = createLogger('-');
    const requests = new RequestLog(logger);
    for (let i = 0; i < 3; i++) requests.write({ method: 'GET', path: '/o' + i, status: 200, uid: 0, user: 'root', decision: 'allow', duration: 1 });
  });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(
    r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { path: string }).path),
    ['/o0', '/o1', '/o2'],
  );
});

/** Lines that each repeat the one before or change one of its fields from it (a reason comes and goes). */
function repeatsAndChanges() {
  const base: RequestRecord = { ...record(7), path: '/_ping', reason: undefined };
  const changes: Partial<RequestRecord>[] = [
    {},
    { method: 'HEAD' },
    { path: '/version' },
    { path: '/_p\u00efng' },
    { status: 404 },
    { uid: null },
    { uid: 1000 },
    { user: 'alice' },
    { decision: 'deny' },
    { duration: 3.25 },
    { reason: 'a reason' },
    { reason: undefined },
    { path: '/' + 'z'.repeat(600) },
  ];
  const out: RequestRecord[] = [];
  let last = base;
  for (const change of changes) {
    last = { ...last, ...change };
    out.push(last, { ...last });
  }
  return out;
}

test('request lines are exactly the lines pino writes for the record, key order included', async () => {
  const records = [
    record(1),
    {
      method: 'POST',
      path: '/v1.41/containers/create?name="x"\u00e9\\',
      status: 403,
      uid: null,
      user: 'ünï "q"',
      decision: 'deny' as const,
      duration: 12.5,
      reason: 'dockgate: privileged: no\n(hint)',
    },
    // Durations as the proxy makes them (whole microseconds), and some it never makes.
    ...[
      0,
      -0,
      0.001,
      0.01,
      0.1,
      1,
      7,
      1.05,
      0.123,
      1234.567,
      99999.999,
      123456789.001,
      1e13 + 0.5,
      1 / 3,
      -2.5,
      NaN,
    ].map((duration, i) => ({ ...record(i), duration })),
    {
      ...record(2),
      path: '/a\u0001b\u007f\u2028\ud800\u{1f600}',
      user: '\t',
      uid: 4294967294,
      status: 101,
      decision: 'reject' as const,
    },
    { ...record(3), method: 'G"T', path: '/' + 'x'.repeat(5000), decision: 'error' as const, reason: '' },
    { ...record(4), path: '/' + 'y'.repeat(10000), duration: NaN, uid: -1 }, // longer than a batch could hold at worst
    // Numbers around the point where the encoder splits them into parts below 10^9.
    ...[999_999_999, 1e9, 1e9 + 1, 1e10 - 1, 2 ** 31, 2 ** 53 - 1].map((uid, i) => ({
      ...record(100 + i),
      uid,
      status: uid,
    })),
    // The encoder reuses the bytes of the line before while the fields they show are the same:
    // a line equal to the one before, then each field changed alone, each change then repeated.
    ...repeatsAndChanges(),
  ];
  const started = Date.now();
  const fast = tempFile();
  const slow = tempFile();
  const a = createLogger(fast);
  const b = createLogger(slow);
  const requests = new RequestLog(a);
  for (const r of records) {
    requests.write(r);
    b.info(r, 'request');
  }
  await a.close();
  await b.close();
  const ended = Date.now();
  const withoutTime = (text: string) =>
    text
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/"time":\d+,/, ''));
  assert.deepEqual(withoutTime(fs.readFileSync(fast, 'utf8')), withoutTime(fs.readFileSync(slow, 'utf8')));
  // The time itself: the clock's milliseconds when the line was logged, printed as JSON prints them.
  for (const line of fs.readFileSync(fast, 'utf8').trimEnd().split('\n')) {
    const text = /"time":(\d+),/.exec(line)![1]!;
    assert.ok(Number(text) >= started && Number(text) <= ended && String(Number(text)) === text, text);
  }
});

test('request lines follow the log level, also when it changes after they were set up', async () => {
  const file = tempFile();
  const logger = createLogger(file, 'warn');
  const requests = new RequestLog(logger);
  requests.write(record(1));
  logger.warn('only this');
  logger.level = 'info';
  requests.write(record(2));
  logger.level = 'error';
  requests.write(record(3));
  await logger.close();
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /only this/);
  assert.match(lines[1]!, /"path":"\/r2"/);
});
