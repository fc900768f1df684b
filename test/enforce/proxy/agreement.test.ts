// dockgate must answer as dockerd does, except where it is stricter: the same mutated requests
// (odd whitespace, control bytes, duplicate or conflicting framing headers, a request pipelined
// behind) are sent to dockerd directly and through dockgate with an allow-all policy, and the
// answers compared. Run with traffic on both sides at once, this comparison is how two races
// that lost dockerd's 400 were found (a request pipelined behind one dockerd closes on, and a
// body written after dockerd had answered on the head); robustness.test.ts pins the first.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { rawExchange, splitResponses, startServe, testDaemon, type Daemon, type Served } from '../../harness/index.js';
import { mutate, seededRandom } from '../../harness/mutations.js';

const canRun = process.getuid?.() === 0;

const SEEDS = [
  'GET /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: x/1',
  'HEAD /v1.41/_ping HTTP/1.1\r\nHost: docker\r\nConnection: keep-alive',
  'POST /_ping HTTP/1.1\r\nHost: docker\r\nContent-Length: 3\r\n\r\nabc',
  'POST /_ping HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n',
  'GET /v1.41/version HTTP/1.1\r\nHost: docker\r\nExpect: 100-continue',
  'GET /version HTTP/1.0\r\nHost: docker\r\nConnection: keep-alive',
  'POST /_ping HTTP/1.1\r\nHost: docker\r\nContent-Length: 2\r\n\r\nab\r\n',
];
const PIECES = [
  ' ',
  '\t',
  '\r',
  '\n',
  '\r\n',
  ':',
  ',',
  '\x0b',
  '\xa0',
  '\x7f',
  '\x00',
  'a',
  'C',
  '/',
  '0',
  '5',
  '-',
  '\r\nContent-Length: 2',
  '\r\nContent-Length: 0',
  '\r\nTransfer-Encoding: chunked',
  '\r\nConnection: close',
  ' HTTP/1.1',
  '%2F',
  '?a=1',
];
const PROBE = 'GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n';

/** Statuses of the final answers (1xx left out), in order. */
const statuses = (data: Buffer) =>
  splitResponses(data)
    .map((r) => r.status)
    .filter((s) => s >= 200);

describe('dockgate answers as dockerd does', { skip: !canRun && 'needs root to run dockerd' }, () => {
  let daemon: Daemon;
  let served: Served;
  let dir: string;

  before(async () => {
    daemon = await testDaemon();
    dir = fs.mkdtempSync('/tmp/dga-');
    fs.writeFileSync(path.join(dir, 'allow.rego'), 'package docker.authz\nimport rego.v1\ndefault allow := true\n');
    served = await startServe({ upstream: daemon.socket, args: ['--policy', path.join(dir, 'allow.rego')] });
  });
  after(async () => {
    await served?.stop();
    await daemon?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('200 mutated requests, each with a request pipelined behind it: the same answers, or a refusal of its own', async () => {
    const random = seededRandom(20261126);
    let same = 0;
    for (let round = 0; round < 200; round++) {
      const text = mutate(SEEDS[random(SEEDS.length)]!, PIECES, random, random(3));
      const bytes = Buffer.from((text.includes('\r\n\r\n') ? text : text + '\r\n\r\n') + PROBE, 'latin1');
      const until = (d: Buffer) => statuses(d).length >= 2;
      const direct = statuses((await rawExchange(daemon.socket, bytes, { timeoutMs: 3000, until })).data);
      const reply = await rawExchange(served.socket, bytes, { timeoutMs: 3000, until });
      const proxied = statuses(reply.data);
      const what = `${JSON.stringify(text)}: dockerd ${direct.join(',')}, dockgate ${proxied.join(',')}`;
      assert.ok(proxied.length > 0, `no answer through dockgate: ${what}`);
      if (proxied.join() === direct.join()) {
        same++;
        continue;
      }
      // Where they differ, dockgate refused the request itself, stricter than dockerd: a JSON
      // error of its own, and the connection closed.
      const [first] = splitResponses(reply.data).filter((r) => r.status >= 200);
      assert.ok([400, 413, 414, 417, 431].includes(first!.status) && direct[0] !== first!.status, what);
      assert.match(JSON.parse(first!.body).message, /./, what);
      assert.equal(proxied.length, 1, what);
    }
    assert.ok(same > 150, `most requests are answered alike (${same} of 200)`);
  });
});
