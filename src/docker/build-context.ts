// Finds the Dockerfile inside a `POST /build` context tar as dockerd will use it, so a build
// policy judges the Dockerfile that will really be built. The context streams through: feed
// chunks with `write`, then `end`; only directories, symlinks and files named like the
// Dockerfile are kept in memory.
//
// The archive is read as Go's archive/tar reads it (context-tar.ts: entries after the end
// marker do not exist for dockerd, nor here), extracted in a model of dockerd's context
// directory (context-tree.ts: later entries replace earlier ones, writes go through directory
// symlinks), and the Dockerfile path is resolved there the way dockerd opens it (symlinks
// followed inside the context; "Dockerfile" falls back to "dockerfile"). Anything that cannot
// be read exactly as dockerd would is an error: the caller refuses the build.
import { createRequire } from 'node:module';
import type { Gunzip } from 'node:zlib';
import { GoTarReader, TarFormatError, type TarEntry } from './context-tar.js';
import { BuildContextError, ContextTree, printable, rootedComponents } from './context-tree.js';

export { BuildContextError } from './context-tree.js';

// zlib is loaded by the first gzip context, not with the module: a proxy that sees no compressed
// build never holds it resident.
const nodeRequire = createRequire(import.meta.url);

export interface BuildContextLimits {
  /** Largest Dockerfile read (default 1 MiB). */
  maxDockerfileBytes?: number;
  /** Most tar entries looked at (default 1,000,000). */
  maxEntries?: number;
  /** Most directories and symlinks modelled (default 200,000). */
  maxNodes?: number;
  /** Most bytes of Dockerfile-named files held at once (default 8 MiB). */
  maxKeptBytes?: number;
}

export interface FoundDockerfile {
  /** Path inside the context of the file dockerd will read (after symlinks). */
  path: string;
  text: string;
}

/** Bytes dockerd looks at to recognise a compressed context (pkg/archive DetectCompression). */
const SNIFF_BYTES = 6;

/** Consumes a build context and resolves to the Dockerfile it holds. */
export class DockerfileFinder {
  readonly result: Promise<FoundDockerfile>;
  /** The `dockerfile` query as raw bytes (latin1), or "Dockerfile". */
  private readonly wanted: string;
  /** dockerd falls back to "dockerfile" only when the query is empty or exactly "Dockerfile". */
  private readonly fallback: boolean;
  private readonly maxEntries: number;
  private entries = 0;
  private readonly tree: ContextTree;
  private readonly reader: GoTarReader;
  private sniff: Buffer[] = [];
  private sniffed = 0;
  private chosen = false;
  private gunzip: Gunzip | undefined;
  private collecting: { parts: Buffer[]; done: (content: Buffer) => void } | undefined;
  private settle!: { resolve: (f: FoundDockerfile) => void; reject: (e: Error) => void };
  private failed: Error | undefined;
  private settled = false;

  constructor(dockerfileQuery: string | undefined, limits: BuildContextLimits = {}) {
    const query = dockerfileQuery || 'Dockerfile';
    this.fallback = query === 'Dockerfile';
    this.wanted = Buffer.from(query, 'utf8').toString('latin1');
    const base = rootedComponents(this.wanted).pop() ?? '';
    const keptNames = new Set([base]);
    if (this.fallback) keptNames.add('dockerfile');
    this.maxEntries = limits.maxEntries ?? 1_000_000;
    this.tree = new ContextTree(keptNames, {
      maxFileBytes: limits.maxDockerfileBytes ?? 1024 * 1024,
      maxKeptBytes: limits.maxKeptBytes ?? 8 * 1024 * 1024,
      maxNodes: limits.maxNodes ?? 200_000,
    });
    this.reader = new GoTarReader({
      entry: (e) => this.onEntry(e),
      data: (chunk) => this.collecting?.parts.push(Buffer.from(chunk)),
      end: () => {
        const c = this.collecting;
        this.collecting = undefined;
        c?.done(Buffer.concat(c.parts));
      },
    });
    this.result = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.result.catch(() => {}); // observed through `result` by the caller; never unhandled
  }

  /** Feeds the next bytes of the context. */
  write(chunk: Buffer): void {
    if (this.failed || this.settled) return;
    if (!this.chosen) {
      this.sniff.push(chunk);
      this.sniffed += chunk.length;
      if (this.sniffed < SNIFF_BYTES) return;
      this.choose();
      return;
    }
    this.feed(chunk);
  }

  /** Marks the end of the context. */
  end(): void {
    if (this.failed || this.settled) return;
    if (!this.chosen) {
      if (this.sniffed === 0) {
        this.fail(new BuildContextError('empty build context'));
        return;
      }
      this.choose();
      if (this.failed) return;
    }
    if (this.gunzip) this.gunzip.end();
    else this.finish();
  }

  /** The context will not be complete: stop reading and release what is held. */
  abort(): void {
    this.fail(new BuildContextError('the build context was not received completely'));
  }

  private choose(): void {
    this.chosen = true;
    const head = Buffer.concat(this.sniff);
    this.sniff = [];
    if (head[0] === 0x1f && head[1] === 0x8b) {
      const { createGunzip } = nodeRequire('node:zlib') as typeof import('node:zlib');
      this.gunzip = createGunzip();
      this.gunzip.on('data', (c: Buffer) => this.toTar(c));
      this.gunzip.on('end', () => this.finish());
      this.gunzip.on('error', (err) =>
        this.fail(new BuildContextError(`build context gzip is corrupt: ${err.message}`)),
      );
    } else {
      const magic = head.subarray(0, 6).toString('latin1');
      if (
        magic.startsWith('BZh') ||
        magic === '\xfd7zXZ\x00' ||
        (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd)
      ) {
        this.fail(
          new BuildContextError(
            'compressed build contexts other than gzip are not accepted (send a plain or gzip tar)',
          ),
        );
        return;
      }
    }
    this.feed(head);
  }

  private feed(chunk: Buffer): void {
    if (this.gunzip) this.gunzip.write(chunk);
    else this.toTar(chunk);
  }

  private toTar(chunk: Buffer): void {
    if (this.failed || this.settled) return;
    try {
      this.reader.push(chunk);
    } catch (err) {
      this.fail(asContextError(err));
      return;
    }
    // dockerd reads no further than the end-of-archive marker: neither does the judge. The
    // rest of the body still streams to the daemon, which never reads it as part of the tar.
    if (this.reader.ended) this.conclude();
  }

  private finish(): void {
    if (this.failed || this.settled) return;
    try {
      this.reader.finish();
    } catch (err) {
      this.fail(asContextError(err));
      return;
    }
    this.conclude();
  }

  private onEntry(e: TarEntry): boolean {
    if (++this.entries > this.maxEntries)
      throw new BuildContextError(`build context has more than ${this.maxEntries} entries`);
    const keep = this.tree.apply(e);
    if (!keep) return false;
    this.collecting = { parts: [], done: keep };
    return true;
  }

  private conclude(): void {
    if (this.settled || this.failed) return;
    try {
      const found = this.locate(this.wanted) ?? (this.fallback ? this.locate('dockerfile') : undefined);
      if (!found) throw new BuildContextError(`no Dockerfile named ${printable(this.wanted)} in the build context`);
      this.settled = true;
      this.settle.resolve(found);
      this.release();
    } catch (err) {
      this.fail(asContextError(err));
    }
  }

  /** The file dockerd opens for `path`, undefined when it does not exist (dockerd: IsNotExist). */
  private locate(path: string): FoundDockerfile | undefined {
    const r = this.tree.resolve(path);
    const shown = Buffer.from(r.path, 'latin1').toString('utf8');
    if (r.found === 'file') {
      // dockerd parses bytes; dockgate parses text. They agree on valid UTF-8 only (an
      // invalid byte 0xA0 ends a flag word in Go's byte-wise flag reading, for one).
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(r.content);
      } catch {
        throw new BuildContextError(`the Dockerfile ${printable(path)} is not valid UTF-8`);
      }
      return { path: shown, text };
    }
    if (r.found === 'other')
      throw new BuildContextError(
        `the Dockerfile ${printable(path)} in the build context ${describe(r.path, path)} a ${r.what}, which dockgate does not read as a Dockerfile`,
      );
    if (!this.tree.keeps(r.path)) {
      throw new BuildContextError(
        `the Dockerfile ${printable(path)} leads through a symlink to ${printable(r.path)}, a file dockgate did not keep (name the real file with -f)`,
      );
    }
    return undefined;
  }

  private fail(err: Error): void {
    if (this.failed || this.settled) return;
    this.failed = err;
    this.settle.reject(err);
    this.release();
  }

  private release(): void {
    this.collecting = undefined;
    this.gunzip?.destroy();
  }
}

function describe(resolved: string, asked: string): string {
  return rootedComponents(resolved).join('/') === rootedComponents(asked).join('/')
    ? 'is'
    : `resolves to ${printable(resolved)},`;
}

function asContextError(err: unknown): BuildContextError {
  if (err instanceof BuildContextError) return err;
  if (err instanceof TarFormatError)
    return new BuildContextError(`build context is not a tar archive dockerd can read: ${err.message}`);
  return new BuildContextError(`build context could not be read: ${(err as Error)?.message ?? String(err)}`);
}
