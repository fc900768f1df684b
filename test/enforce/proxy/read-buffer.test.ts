// The proxy's read buffers: small while traffic is small (idle connections share pool pages),
// 64 KiB once a read fills the buffer, never overwritten while the consumer still holds them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadBuffer } from '../../../src/enforce/proxy/read-buffer.js';

test('a connection starts with a small buffer and keeps reusing it for small reads', () => {
  const r = new ReadBuffer();
  const first = r.first;
  assert.ok(first.length <= 4096, 'small enough to come from the shared pool');
  assert.equal(r.next(200, false), first);
  assert.equal(r.next(300, false), first);
});

test('a read that fills the buffer moves to 64 KiB reads; small reads move back', () => {
  const r = new ReadBuffer();
  const small = r.first;
  const large = r.next(small.length, false);
  assert.equal(large.length, 64 * 1024);
  assert.equal(r.next(20_000, false), large, 'a medium read keeps the large buffer');
  assert.equal(r.next(large.length, false), large);
  assert.ok(r.next(100, false).length <= 4096, 'back to small after a small read');
});

test('bytes the consumer still holds are never read over', () => {
  const r = new ReadBuffer();
  const first = r.first;
  const second = r.next(10, true);
  assert.notEqual(second, first);
  assert.equal(second.length, first.length);
  first.fill(7);
  second.fill(9);
  assert.equal(first[0], 7, 'distinct memory');
});

test('under backpressure, buffers still being written are not reused until reclaimed, then cycled instead of allocated', () => {
  const r = new ReadBuffer();
  const a = r.next(r.first.length, false); // a stream: 64 KiB reads
  const b = r.next(a.length, true); // a's bytes wait in a pending write
  const c = r.next(b.length, true); // so do b's
  assert.equal(new Set([a, b, c]).size, 3, 'no buffer with pending bytes is read into again');
  r.reclaim(); // the writes are done
  const d = r.next(c.length, true);
  assert.ok(d === a || d === b, 'a reclaimed buffer is read into again');
  const e = r.next(d.length, true);
  assert.ok((e === a || e === b) && e !== d);
});

test('a read that is not lent frees every buffer handed out before it', () => {
  const r = new ReadBuffer();
  const a = r.next(r.first.length, false);
  const b = r.next(a.length, true);
  r.next(b.length, false); // b kept as current: nothing referenced any more
  const c = r.next(b.length, true);
  assert.equal(c, a, 'a, lent earlier, came back as a spare');
});
