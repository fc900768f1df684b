// The two body holds behind one interface: what goes in as received comes out byte for byte to
// be forwarded, the judge gets its view, and what a hold counts or keeps is let go on release.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallerQuota } from '../../../src/enforce/proxy/caller-quota.js';
import type { BodyHold } from '../../../src/enforce/proxy/body-hold.js';
import { HeldBody } from '../../../src/enforce/proxy/held-body.js';
import { SpooledBody, type SpoolEvents } from '../../../src/enforce/proxy/spooled-body.js';

async function collect(bytes: readonly Buffer[] | AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const b of bytes) parts.push(b);
  return Buffer.concat(parts).toString();
}

test('a body held in memory forwards the bytes as received and gives the judge the payload', async () => {
  const quota = new CallerQuota({ perCaller: 1000, overall: 1000 });
  const hold: BodyHold = new HeldBody(quota, 'uid:1', 'alice', 100);
  hold.addPayload(Buffer.from('hello'));
  assert.equal(hold.addReceived(Buffer.from('5\r\nhello\r\n0\r\n\r\n')), null);
  assert.ok(hold.settled);
  assert.equal(hold.complete()?.toString(), 'hello');
  assert.equal(await collect(hold.forwardable()), '5\r\nhello\r\n0\r\n\r\n');
  assert.equal(quota.held('uid:1'), 30, 'counted twice: as received and de-chunked');
  hold.release();
  assert.equal(quota.held(), 0);
});

test('a body held in memory is refused past the caller share (429), the total (503) and its limit (413)', () => {
  const quota = new CallerQuota({ perCaller: 10, overall: 15 });
  const mine = new HeldBody(quota, 'uid:1', 'alice', 100);
  assert.equal(mine.addReceived(Buffer.from('abcdef'))?.status, 429);
  assert.equal(mine.addReceived(Buffer.from('abcd')), null);
  const theirs = new HeldBody(quota, 'uid:2', 'bob', 100);
  assert.equal(theirs.addReceived(Buffer.from('abcd'))?.status, 503);
  mine.release();
  const small = new HeldBody(quota, 'uid:2', 'bob', 3);
  small.addPayload(Buffer.from('abcd'));
  const refused = small.addReceived(Buffer.from('abcd'));
  assert.equal(refused?.status, 413);
  assert.match(refused?.message ?? '', /larger than 3 bytes/);
  small.release();
  assert.equal(quota.held(), 0);
});

function spoolEvents(): SpoolEvents & { log: string[]; next: () => Promise<void> } {
  const log: string[] = [];
  let wake: (() => void) | null = null;
  const note = (what: string) => {
    log.push(what);
    wake?.();
  };
  return {
    log,
    next: () => new Promise<void>((resolve) => (wake = resolve)),
    opened: () => note('opened'),
    written: () => note('written'),
    failed: (status, message) => note(`failed ${status} ${message}`),
  };
}

test('a spooled body forwards exactly the bytes written to disk and the observer reads the payload', async () => {
  const events = spoolEvents();
  const seen: string[] = [];
  const observer = {
    write: (p: Buffer) => seen.push(p.toString()),
    end: () => seen.push('<end>'),
    abort: () => seen.push('<abort>'),
  };
  const hold = new SpooledBody(1000, observer, events);
  assert.equal(hold.settled, false, 'not before the file exists');
  await events.next();
  assert.ok(hold.opened);
  hold.addPayload(Buffer.from('payload'));
  assert.equal(hold.addReceived(Buffer.from('as received')), null);
  assert.equal(hold.settled, false, 'a write is outstanding');
  await events.next();
  assert.ok(hold.settled);
  assert.equal(hold.complete(), undefined);
  assert.equal(await collect(hold.forwardable()), 'as received');
  hold.release();
  assert.deepEqual(seen, ['payload', '<end>'], 'an observer that read the whole body is not aborted');
  assert.deepEqual(events.log, ['opened', 'written']);
});

test('a spooled body past its limit reports 413; released, its observer is aborted and no event follows', async () => {
  const events = spoolEvents();
  const seen: string[] = [];
  const observer = { write: () => {}, end: () => seen.push('<end>'), abort: () => seen.push('<abort>') };
  const hold = new SpooledBody(4, observer, events);
  await events.next();
  hold.addReceived(Buffer.from('too long'));
  await events.next();
  assert.match(events.log[1] ?? '', /^failed 413 request body larger than 4 bytes/);
  hold.release();
  hold.release();
  assert.deepEqual(seen, ['<abort>']);
});
