// Unit tests of the head parser and body framing: strictness is what keeps the proxy and
// the daemon agreeing on where each request starts and ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findHeadEnd, parseRequestHead, parseResponseHead } from '../../../src/enforce/proxy/http-head.js';
import { Refusal } from '../../../src/docker/index.js';
import { ChunkedBody, LengthBody } from '../../../src/enforce/proxy/body-framing.js';
import { ProxyRequest } from '../../../src/enforce/proxy/decision.js';
import type { Identity } from '../../../src/tenancy/index.js';
import { mutate, seededRandom } from '../../harness/mutations.js';

const identity: Identity = { uid: 0, gid: 0, user: 'root', groups: ['root'], pid: 1, via: 'peercred' };

function req(text: string) {
  const b = Buffer.from(text, 'latin1');
  return parseRequestHead(b, findHeadEnd(b, 0));
}
function refused(text: string, status: number) {
  assert.throws(
    () => req(text),
    (e: unknown) => e instanceof Refusal && e.status === status,
    JSON.stringify(text),
  );
}

test('request heads: method, target, version, framing, keep-alive, upgrade, expect', () => {
  const h = req(
    'POST /v1.41/exec/abc/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 2\r\n\r\n',
  );
  assert.equal(h.method, 'POST');
  assert.equal(h.target, '/v1.41/exec/abc/start');
  assert.deepEqual(h.framing, { kind: 'length', length: 2 });
  assert.equal(h.upgrade, true);
  assert.equal(h.keepAlive, true);
  assert.equal(req('GET / HTTP/1.0\r\n\r\n').keepAlive, false);
  assert.equal(req('GET / HTTP/1.1\r\nConnection: close\r\n\r\n').keepAlive, false);
  // Connection as Go's server reads it: words between spaces count, as list members do.
  assert.equal(req('GET / HTTP/1.0\r\nConnection: x keep-alive\r\n\r\n').keepAlive, true);
  assert.equal(req('GET / HTTP/1.1\r\nConnection: te\tclose\r\n\r\n').keepAlive, false);
  assert.equal(req('GET / HTTP/1.1\r\nConnection: closed\r\n\r\n').keepAlive, true);
  assert.deepEqual(req('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n').framing, { kind: 'chunked' });
  assert.equal(req('POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n').expectContinue, true);
  assert.deepEqual(req('POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n').framing, {
    kind: 'length',
    length: 5,
  });
});

test('request heads that another parser could read differently are refused', () => {
  refused('GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 400);
  refused('GET / HTTP/1.1\r\nContent-Length: 1,1\r\n\r\n', 400);
  refused('GET / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n', 400);
  refused('GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 400);
  refused('GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', 400);
  refused('GET / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 400);
  refused('GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n', 400);
  refused('GET / HTTP/1.1\r\nHost : x\r\n\r\n', 400);
  refused('GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n', 400);
  refused('GET / HTTP/1.1\r\nX: a\rb\r\n\r\n', 400);
  refused('GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n', 400);
  refused('GET /a b HTTP/1.1\r\n\r\n', 400);
  refused('GET http://evil/ HTTP/1.1\r\n\r\n', 400);
  refused('GET / HTTP/2.0\r\n\r\n', 400);
  refused('G@T / HTTP/1.1\r\n\r\n', 400);
  refused('POST / HTTP/1.1\r\nExpect: something-else\r\n\r\n', 417);
});

function res(text: string, at = '') {
  const b = Buffer.from(at + text, 'latin1');
  return parseResponseHead(b, findHeadEnd(b, at.length), at.length);
}
function resRefused(text: string, status: number) {
  assert.throws(
    () => res(text),
    (e: unknown) => e instanceof Refusal && e.status === status,
    JSON.stringify(text),
  );
}

test('response heads: status, length, chunked, close, read in place from any offset', () => {
  const r = res(
    'HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n',
  );
  assert.deepEqual(r, { status: 200, minorVersion: 1, contentLength: -1, chunked: true, connectionClose: true });
  assert.equal(res('HTTP/1.1 204 \r\n\r\n').status, 204);
  assert.deepEqual(
    res(
      'HTTP/1.1 404 Not Found\r\nCONTENT-LENGTH:  \t17 \r\nX-Other: y\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    ),
    {
      status: 404,
      minorVersion: 1,
      contentLength: 17,
      chunked: false,
      connectionClose: false,
    },
  );
  assert.equal(res('HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n').contentLength, 5);
  assert.equal(res('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip , Chunked\r\n\r\n').chunked, true);
  assert.equal(res('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunkedx\r\n\r\n').chunked, false);
  assert.equal(res('HTTP/1.0 200 OK\r\n\r\n').connectionClose, true, 'HTTP/1.0 closes unless kept alive');
  assert.equal(res('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n').connectionClose, false);
  assert.equal(res('HTTP/1.1 200 OK\r\nConnection: upgrade, CLOSE\r\n\r\n').connectionClose, true);
  assert.equal(
    res('HTTP/1.1 200 OK\r\nX-Connection: close\r\n\r\n').connectionClose,
    false,
    'only the Connection header counts',
  );
});

test('response heads the proxy could frame differently from the client are refused', () => {
  resRefused('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 400);
  resRefused('HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n', 400);
  resRefused('HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n', 400);
  resRefused('HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456\r\n\r\n', 400);
  resRefused('HTTP/1.1 200 OK\r\nX: a\nContent-Length: 5\r\n\r\n', 400);
  resRefused('HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n', 400);
  resRefused('HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', 502);
  resRefused('HTTP/1.1 200 OK\r\n: empty name\r\n\r\n', 502);
  resRefused('HTTP/1.1 2e2 OK\r\n\r\n', 502);
  resRefused('HTTP/1.1 099 Low\r\n\r\n', 502);
  resRefused('HTTP/2.0 200 OK\r\n\r\n', 502);
  resRefused('HTTP/1.1 20\r\n\r\n', 502);
});

test('findHeadEnd resumes a scan across chunk boundaries', () => {
  const b = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\nrest');
  assert.equal(findHeadEnd(b.subarray(0, 26), 0), -1);
  assert.equal(findHeadEnd(b, 26), 27);
});

test('chunked bodies: framing found byte by byte, payload de-chunked, trailers accepted', () => {
  const raw = Buffer.from('4\r\nWiki\r\n5;name=v\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT');
  for (const step of [1, 2, 3, 7, raw.length]) {
    const body = new ChunkedBody();
    const payload: Buffer[] = [];
    body.onPayload = (p) => payload.push(Buffer.from(p));
    let used = 0;
    for (let i = 0; i < raw.length && !body.done; i += step) {
      const piece = raw.subarray(i, Math.min(raw.length, i + step));
      used += body.consume(piece, 0);
    }
    assert.equal(body.done, true);
    assert.equal(used, raw.length - 4, `step ${step}`);
    assert.equal(Buffer.concat(payload).toString(), 'Wikipedia');
  }
});

test('broken chunking is refused', () => {
  for (const bad of ['zz\r\n', '4\r\nWikiXX', '4\nWiki', '\r\n', '1234567890abc\r\n', '4\r\nWiki\r\n0\r\nbad\n']) {
    const body = new ChunkedBody();
    assert.throws(() => body.consume(Buffer.from(bad), 0), Refusal, JSON.stringify(bad));
  }
});

test('Content-Length bodies stop exactly at their length', () => {
  const body = new LengthBody(5);
  assert.equal(body.consume(Buffer.from('abc'), 0), 3);
  assert.equal(body.consume(Buffer.from('defGET'), 0), 2);
  assert.equal(body.done, true);
});

test('the decision point sees the target as dockerd routes it: version prefix, escapes, every query value', () => {
  const t = new ProxyRequest('GET', '/v1.41/containers/%6Aso%6E?all=1&filters=%7B%7D&all=0', [], identity, false);
  assert.equal(t.version, '1.41');
  assert.equal(t.path, '/containers/json');
  assert.deepEqual({ ...t.query }, { all: ['1', '0'], filters: ['{}'] });
  assert.equal(new ProxyRequest('GET', '/_ping', [], identity, false).version, '');
  // A target dockerd would redirect keeps its raw path (the decision point refuses it).
  assert.equal(
    new ProxyRequest('GET', '/v1.41/containers//abc/../json', [], identity, false).path,
    '/v1.41/containers//abc/../json',
  );
});

test('header values lose only spaces and tabs around them, as Go reads them: other control bytes are refused, obs-text kept', () => {
  assert.deepEqual(req('GET / HTTP/1.1\r\nX-A: \t a b \t\r\nX-B:\xa0v\xa0\r\nX-C:\r\n\r\n').rawHeaders, [
    'X-A',
    'a b',
    'X-B',
    '\xa0v\xa0',
    'X-C',
    '',
  ]);
  refused('GET / HTTP/1.1\r\nX: \x0bv\r\n\r\n', 400);
  refused('GET / HTTP/1.1\r\nX: v\x0c\r\n\r\n', 400);
  refused('GET / HTTP/1.1\r\nX: v\x7f\r\n\r\n', 400);
  refused('POST / HTTP/1.1\r\nContent-Length: \xa05\r\n\r\n', 400);
  assert.deepEqual(req('POST / HTTP/1.1\r\nContent-Length: \t5 \r\n\r\n').framing, { kind: 'length', length: 5 });
  resRefused('HTTP/1.1 200 OK\r\nContent-Length: 5\x0b\r\n\r\n', 400);
  assert.equal(
    res('HTTP/1.1 200 OK\r\nConnection: \x0bclose\r\n\r\n').connectionClose,
    false,
    'a vertical tab is not OWS',
  );
});

test('the header list is made only when the decision point reads it, and once', () => {
  let made = 0;
  const list = () => {
    made++;
    return ['Host', 'docker', 'X-Thing', 'v'];
  };
  const r = new ProxyRequest(
    'GET',
    '/_ping',
    list,
    identity,
    false,
    'GET /_ping HTTP/1.1\r\nHost: docker\r\nX-Thing: v',
  );
  assert.equal(r.path, '/_ping');
  assert.equal(made, 0);
  assert.equal(r.headers['x-thing'], 'v');
  assert.deepEqual(r.rawHeaders, ['Host', 'docker', 'X-Thing', 'v']);
  assert.equal(made, 1);
});

/**
 * An independent reading of a request head, straight from RFC 9112/9110 with regular
 * expressions, as the in-place parser must agree with: the same heads refused, the same fields
 * read from the others. (Which status a head with several faults gets depends on which is seen
 * first; the statuses are tested one fault at a time above.)
 */
function referenceRead(text: string): { refused: true } | Record<string, unknown> {
  const refused = { refused: true as const };
  const lines = text.split('\r\n');
  if (lines.some((l) => /[\r\n]/.test(l))) return refused;
  const line = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\/[\x21-\x7e]*) HTTP\/1\.([01])$/.exec(lines[0]!);
  if (!line) return refused;
  const headers: string[] = [];
  for (const l of lines.slice(1)) {
    const h = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):([\t\x20-\x7e\x80-\xff]*)$/.exec(l);
    if (!h) return refused;
    headers.push(h[1]!, h[2]!.replace(/^[ \t]+|[ \t]+$/g, ''));
  }
  const values = (name: string) =>
    headers.flatMap((v, i) => (i % 2 === 0 && v.toLowerCase() === name ? [headers[i + 1]!] : []));
  const lengths = values('content-length');
  if (lengths.some((v) => !/^[0-9]{1,15}$/.test(v)) || new Set(lengths.map(Number)).size > 1) return refused;
  const te = values('transfer-encoding');
  if (te.length > 1 || (te.length === 1 && te[0]!.toLowerCase() !== 'chunked')) return refused;
  if (te.length === 1 && (lengths.length > 0 || line[3] === '0')) return refused;
  const expect = values('expect');
  if (expect.some((v) => v.toLowerCase() !== '100-continue')) return refused;
  // Connection's words as Go's server takes them: separated by commas, spaces or tabs.
  const tokens = values('connection')
    .flatMap((v) => v.split(/[, \t]/))
    .map((t) => t.toLowerCase());
  const length = lengths.length > 0 ? Number(lengths[0]) : 0;
  return {
    method: line[1],
    target: line[2],
    minorVersion: Number(line[3]),
    rawHeaders: headers,
    framing: te.length === 1 ? { kind: 'chunked' } : length > 0 ? { kind: 'length', length } : { kind: 'none' },
    keepAlive: line[3] === '1' ? !tokens.includes('close') : tokens.includes('keep-alive'),
    upgrade: values('upgrade').length > 0 && tokens.includes('upgrade'),
    expectContinue: expect.length > 0,
  };
}

test('the in-place parser agrees with an independent reading of the RFC on 30,000 mutated heads', () => {
  const seeds = [
    'GET /v1.43/containers/json?all=1 HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: Docker-Client/28.2.2 (linux)',
    'POST /v1.41/exec/abc/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 2',
    'POST /build HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: keep-alive, x',
    'PUT /containers/c/archive?path=/ HTTP/1.0\r\nContent-Length: 10\r\nConnection: keep-alive',
  ];
  const alphabet = [
    ' ',
    '\t',
    '\r',
    '\n',
    '\r\n',
    ':',
    ',',
    '\x0b',
    '\x0c',
    '\xa0',
    '\x7f',
    '\x00',
    'a',
    'C',
    '/',
    '0',
    '5',
    '-',
    '\r\nContent-Length: 3',
    '\r\nTransfer-Encoding: chunked',
    '\r\nConnection: close',
    '\r\nExpect: x',
  ];
  const random = seededRandom(12345);
  let accepted = 0;
  for (let round = 0; round < 30_000; round++) {
    const text = mutate(seeds[random(seeds.length)]!, alphabet, random, 1 + random(3));
    const b = Buffer.from(text + '\r\n\r\n', 'latin1');
    const end = findHeadEnd(b, 0);
    const expected = referenceRead(b.toString('latin1', 0, end - 4));
    let got: { refused: true } | Record<string, unknown>;
    try {
      const h = parseRequestHead(b, end);
      got = {
        method: h.method,
        target: h.target,
        minorVersion: h.minorVersion,
        rawHeaders: h.rawHeaders,
        framing: h.framing,
        keepAlive: h.keepAlive,
        upgrade: h.upgrade,
        expectContinue: h.expectContinue,
      };
      accepted++;
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      got = { refused: true };
    }
    assert.deepEqual(got, expected, JSON.stringify(text));
  }
  assert.ok(accepted > 3_000 && accepted < 27_000, `both kinds of head were tried (${accepted} accepted)`);
});
