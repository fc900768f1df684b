// The build context read as dockerd reads it: Go's archive/tar (end marker, header-only
// types, PAX, base-256) and the extraction into a directory (replacement, writes through
// directory symlinks, the Dockerfile path followed inside the root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { DockerfileFinder, BuildContextError } from '../../src/docker/build-context.js';

type Entry = {
  name: string;
  body?: string;
  type?: string;
  linkname?: string;
  size?: number;
  pax?: Record<string, string>;
};

/** One 512-byte ustar header with a correct checksum. */
function header(e: { name: string; type: string; size: number; linkname?: string; sizeField?: Buffer }): Buffer {
  const h = Buffer.alloc(512);
  h.write(e.name, 0, 100, 'latin1');
  h.write('0000644\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  if (e.sizeField) e.sizeField.copy(h, 124);
  else h.write(e.size.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  h.write('00000000000\0', 136, 'latin1');
  h.write(e.type, 156, 'latin1');
  if (e.linkname) h.write(e.linkname, 157, 100, 'latin1');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return h;
}

function pad(b: Buffer): Buffer {
  const rest = (512 - (b.length % 512)) % 512;
  return Buffer.concat([b, Buffer.alloc(rest)]);
}

function paxRecords(records: Record<string, string>): Buffer {
  let out = '';
  for (const [k, v] of Object.entries(records)) {
    const body = ` ${k}=${v}\n`;
    let n = body.length + 1;
    while (String(n).length + body.length !== n) n = String(n).length + body.length;
    out += `${n}${body}`;
  }
  return Buffer.from(out, 'latin1');
}

/** A tar built block by block, so archives Go reads differently from lenient readers can be made. */
function makeTar(entries: Entry[], { end = true }: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.pax) {
      const data = paxRecords(e.pax);
      parts.push(header({ name: 'PaxHeader', type: 'x', size: data.length }), pad(data));
    }
    const body = Buffer.from(e.body ?? '', 'utf8');
    const type = e.type ?? '0';
    parts.push(header({ name: e.name, type, size: e.size ?? (type === '0' ? body.length : 0), linkname: e.linkname }));
    if (body.length) parts.push(pad(body));
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

async function find(context: Buffer, query?: string, chunk = 517) {
  const f = new DockerfileFinder(query);
  for (let i = 0; i < context.length; i += chunk) f.write(context.subarray(i, i + chunk));
  f.end();
  return f.result;
}

const SAFE = 'FROM scratch\n';
const EVIL = 'FROM scratch\nADD http://127.0.0.1:9/x /x\n';

test('entries after the end-of-archive marker are not part of the context (Go stops there)', async () => {
  const ctx = Buffer.concat([
    makeTar([{ name: 'Dockerfile', body: SAFE }]),
    makeTar([{ name: 'Dockerfile', body: EVIL }]),
  ]);
  assert.equal((await find(ctx)).text, SAFE);
  // Also when the Dockerfile is only behind the marker: dockerd finds none.
  const hidden = Buffer.concat([makeTar([{ name: 'a', body: 'x' }]), makeTar([{ name: 'Dockerfile', body: EVIL }])]);
  await assert.rejects(find(hidden), /no Dockerfile/);
});

test('a zero block followed by a header is a broken archive, as in Go', async () => {
  const ctx = Buffer.concat([
    makeTar([{ name: 'Dockerfile', body: SAFE }], { end: false }),
    Buffer.alloc(512),
    makeTar([{ name: 'Dockerfile', body: EVIL }]),
  ]);
  await assert.rejects(find(ctx), (e: Error) => e instanceof BuildContextError && /zero block/.test(e.message));
});

test('an archive without an end marker ends cleanly at a block boundary', async () => {
  assert.equal((await find(makeTar([{ name: 'Dockerfile', body: SAFE }], { end: false }))).text, SAFE);
});

test('links and directories carry no data in Go, whatever their size field says', async () => {
  // A lenient reader takes the next 512 bytes as the symlink's data and never sees this
  // Dockerfile header; Go reads it as the next entry.
  const ctx = Buffer.concat([
    header({ name: 'link', type: '2', size: 512, linkname: 'x' }),
    makeTar([{ name: 'Dockerfile', body: EVIL }]),
  ]);
  assert.equal((await find(ctx)).text, EVIL);
});

test('a later entry replaces an earlier one; PAX path and base-256 sizes are read', async () => {
  assert.equal(
    (
      await find(
        makeTar([
          { name: 'Dockerfile', body: SAFE },
          { name: './Dockerfile', body: EVIL },
        ]),
      )
    ).text,
    EVIL,
  );
  assert.equal((await find(makeTar([{ name: 'not-it', body: EVIL, pax: { path: 'Dockerfile' } }]))).text, EVIL);
  const size = Buffer.alloc(12);
  size[0] = 0x80;
  size.writeUInt32BE(Buffer.byteLength(EVIL), 8);
  const body = pad(Buffer.from(EVIL));
  assert.equal(
    (
      await find(
        Buffer.concat([header({ name: 'Dockerfile', type: '0', size: 0, sizeField: size }), body, Buffer.alloc(1024)]),
      )
    ).text,
    EVIL,
  );
});

test("a directory on the Dockerfile path replaced by a symlink: the other directory's Dockerfile is judged", async () => {
  const ctx = makeTar([
    { name: 'app/', type: '5' },
    { name: 'app/Dockerfile', body: SAFE },
    { name: 'evil/', type: '5' },
    { name: 'evil/Dockerfile', body: EVIL },
    { name: 'app', type: '2', linkname: 'evil' },
  ]);
  const found = await find(ctx, 'app/Dockerfile');
  assert.deepEqual(found, { path: 'evil/Dockerfile', text: EVIL });
});

test('an entry under a directory symlink is written where the symlink leads, never outside the root', async () => {
  const ctx = makeTar([
    { name: 'real/', type: '5' },
    { name: 'through', type: '2', linkname: '../../real' },
    { name: 'through/Dockerfile', body: EVIL },
  ]);
  assert.deepEqual(await find(ctx, 'real/Dockerfile'), { path: 'real/Dockerfile', text: EVIL });
  // Absolute symlinks resolve inside the context root (dockerd extracts in a chroot).
  const abs = makeTar([
    { name: 'd/', type: '5' },
    { name: 'd/Dockerfile', body: EVIL },
    { name: 'Dockerfile', type: '2', linkname: '/d/Dockerfile' },
  ]);
  assert.deepEqual(await find(abs), { path: 'd/Dockerfile', text: EVIL });
});

test('a directory replaced by a file loses its Dockerfile; a directory over a directory keeps it', async () => {
  await assert.rejects(
    find(
      makeTar([
        { name: 'd/Dockerfile', body: SAFE },
        { name: 'd', body: 'now a file' },
      ]),
      'd/Dockerfile',
    ),
    /no Dockerfile/,
  );
  assert.equal(
    (
      await find(
        makeTar([
          { name: 'd/Dockerfile', body: SAFE },
          { name: 'd/', type: '5' },
        ]),
        'd/Dockerfile',
      )
    ).text,
    SAFE,
  );
});

test('content dockgate did not keep is refused, never guessed', async () => {
  await assert.rejects(
    find(
      makeTar([
        { name: 'notes.txt', body: EVIL },
        { name: 'Dockerfile', type: '2', linkname: 'notes.txt' },
      ]),
    ),
    /did not keep/,
  );
  await assert.rejects(
    find(
      makeTar([
        { name: 'notes.txt', body: EVIL },
        { name: 'Dockerfile', type: '1', linkname: 'notes.txt' },
      ]),
    ),
    /hard link/,
  );
  await assert.rejects(find(makeTar([{ name: 'Dockerfile', type: '5' }])), /directory/);
  await assert.rejects(
    find(
      makeTar([
        { name: 'Dockerfile', body: SAFE },
        { name: 'x', type: '2', linkname: 'nowhere' },
        { name: 'x/y/Dockerfile', body: EVIL },
      ]),
    ),
    /leads nowhere/,
  );
});

test('"dockerfile" is the fallback only for the default name, as in dockerd', async () => {
  const ctx = makeTar([{ name: 'dockerfile', body: EVIL }]);
  assert.deepEqual(await find(ctx), { path: 'dockerfile', text: EVIL });
  await assert.rejects(find(ctx, './Dockerfile'), /no Dockerfile/);
});

test('gzip contexts are read; other compressions and garbage are refused', async () => {
  assert.equal((await find(gzipSync(makeTar([{ name: 'Dockerfile', body: EVIL }])))).text, EVIL);
  await assert.rejects(find(Buffer.from('BZh91AY&SY' + 'x'.repeat(600))), /gzip/);
  await assert.rejects(find(Buffer.from('this is not a tar archive at all'.repeat(40))), /checksum/);
  await assert.rejects(find(Buffer.alloc(0)), /empty/);
});

test('memory stays bounded: Dockerfile-named files beyond the budget are refused', async () => {
  const many: Entry[] = [];
  for (let i = 0; i < 5; i++) many.push({ name: `d${i}/Dockerfile`, body: 'x'.repeat(1000) });
  const f = new DockerfileFinder(undefined, { maxKeptBytes: 3000 });
  f.write(makeTar(many));
  f.end();
  await assert.rejects(f.result, /more than 3000 bytes/);
});

test("a hard link is what it links to: a kept Dockerfile's content, or a symlink", async () => {
  // The docker CLI writes a file with several names as a hard link to the first one.
  assert.equal(
    (
      await find(
        makeTar([
          { name: 'a/Dockerfile', body: EVIL },
          { name: 'Dockerfile', type: '1', linkname: 'a/Dockerfile' },
        ]),
      )
    ).text,
    EVIL,
  );
  // link(2) does not follow a symlink: the new name is the same symlink, resolved where it lands.
  const ctx = makeTar([
    { name: 'evil/', type: '5' },
    { name: 'evil/Dockerfile', body: EVIL },
    { name: 'app/', type: '5' },
    { name: 'app/Dockerfile', body: SAFE },
    { name: 'l', type: '2', linkname: 'evil' },
    { name: 'app', type: '1', linkname: 'l' },
  ]);
  assert.deepEqual(await find(ctx, 'app/Dockerfile'), { path: 'evil/Dockerfile', text: EVIL });
});

test('a path through long chains of links is refused, so one entry cannot cost the proxy much', async () => {
  // Names are in PAX records: a ustar link name holds 100 bytes.
  const dots = './'.repeat(2000);
  const ctx = makeTar([
    { name: 'd/', type: '5' },
    { name: 'l3', type: '2', linkname: 'x', pax: { linkpath: `${dots}d` } },
    { name: 'l2', type: '2', linkname: 'x', pax: { linkpath: `${dots}l3` } },
    { name: 'l1', type: '2', linkname: 'x', pax: { linkpath: `${dots}l2` } },
    { name: 'l1/Dockerfile', body: EVIL },
  ]);
  await assert.rejects(find(ctx), /too many components/);
});
