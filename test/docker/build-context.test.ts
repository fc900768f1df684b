import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { DockerfileFinder, BuildContextError } from '../../src/docker/build-context.js';
import { parseDockerfile } from '../../src/docker/dockerfile.js';

async function makeTar(
  entries: { name: string; body?: string; type?: 'file' | 'symlink'; linkname?: string }[],
): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname });
    else pack.entry({ name: e.name }, e.body ?? '');
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function find(context: Buffer, query?: string, chunk = 517) {
  const f = new DockerfileFinder(query);
  for (let i = 0; i < context.length; i += chunk) f.write(context.subarray(i, i + chunk));
  f.end();
  return f.result;
}

test('the Dockerfile is found in a streamed context, the last duplicate winning as in dockerd', async () => {
  const ctx = await makeTar([
    { name: 'Dockerfile', body: 'FROM alpine\n' },
    { name: 'app/main.sh', body: 'x'.repeat(10000) },
    { name: './Dockerfile', body: 'FROM evil\n' },
  ]);
  assert.equal((await find(ctx)).text, 'FROM evil\n');
});

test('the dockerfile query names another file, and gzip contexts are read', async () => {
  const ctx = gzipSync(
    await makeTar([
      { name: 'build/Custom.df', body: 'FROM a\n' },
      { name: 'Dockerfile', body: 'FROM b\n' },
    ]),
  );
  assert.deepEqual(await find(ctx, './build/Custom.df'), { path: 'build/Custom.df', text: 'FROM a\n' });
});

test('"dockerfile" is the fallback for a missing "Dockerfile"', async () => {
  assert.equal((await find(await makeTar([{ name: 'dockerfile', body: 'FROM low\n' }]))).path, 'dockerfile');
});

test('a missing Dockerfile, a symlinked one, garbage and bzip2 are refused', async () => {
  await assert.rejects(find(await makeTar([{ name: 'other', body: '' }])), BuildContextError);
  await assert.rejects(
    find(await makeTar([{ name: 'Dockerfile', type: 'symlink', linkname: '/etc/passwd' }])),
    /symlink/,
  );
  await assert.rejects(find(Buffer.from('this is not a tar archive at all'.repeat(40))), BuildContextError);
  await assert.rejects(find(Buffer.from('BZh91AY&SY' + 'x'.repeat(600))), /gzip/);
});

test('Dockerfile instructions expose keyword, flags and arguments', () => {
  const d = parseDockerfile(
    '# syntax=docker/dockerfile:1\nFROM busybox AS b\nRUN --security=insecure echo hi \\\n  there\nADD https://example.invalid/x /x\n',
  );
  assert.deepEqual(d.directives, { syntax: 'docker/dockerfile:1' });
  assert.deepEqual(
    d.instructions.map((i) => [i.cmd, i.flags, i.args, i.line]),
    [
      ['FROM', {}, ['busybox', 'AS', 'b'], 2],
      ['RUN', { security: 'insecure' }, ['echo hi   there'], 3],
      ['ADD', {}, ['https://example.invalid/x', '/x'], 5],
    ],
  );
  assert.equal(d.lines[1], 'RUN --security=insecure echo hi   there');
});
