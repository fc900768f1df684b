// Finds the Dockerfile inside a `POST /build` context tar as dockerd would use it, so a build
// policy judges the Dockerfile that will really be built. The context streams through: feed
// chunks with `write`, then `end`; nothing but the Dockerfile is kept in memory.
//
// dockerd extracts the context in order, so a later entry with the same name replaces an
// earlier one: the last match wins. When `Dockerfile` is missing it falls back to `dockerfile`.
// Anything we cannot read exactly as dockerd would (links, compressions we do not decode,
// a malformed archive) is an error: the caller refuses the build.
import { createGunzip, type Gunzip } from 'node:zlib';
import { posix } from 'node:path';
import tar from 'tar-stream';

export class BuildContextError extends Error {}

/** Where context bytes go: the gunzip stream or the tar extractor. */
interface ByteSink {
  write(chunk: Buffer): unknown;
  end(): unknown;
}

/** The body of one tar entry, as tar-stream hands it over. */
interface EntryStream {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  resume(): unknown;
}

export interface BuildContextLimits {
  /** Largest Dockerfile read (default 1 MiB). */
  maxDockerfileBytes?: number;
  /** Most tar entries looked at (default 1,000,000). */
  maxEntries?: number;
}

export interface FoundDockerfile {
  /** Path inside the context, as named by the `dockerfile` query (normalised). */
  path: string;
  text: string;
}

/** Consumes a build context and resolves to the Dockerfile it holds. */
export class DockerfileFinder {
  readonly result: Promise<FoundDockerfile>;
  private readonly wanted: string;
  private readonly maxBytes: number;
  private readonly maxEntries: number;
  private entries = 0;
  private found = new Map<string, string>();
  private sniffed = false;
  private sink: ByteSink | undefined;
  private gunzip: Gunzip | undefined;
  private extract = tar.extract();
  private settle!: { resolve: (f: FoundDockerfile) => void; reject: (e: Error) => void };
  private failed: Error | undefined;

  constructor(dockerfileQuery: string | undefined, limits: BuildContextLimits = {}) {
    this.wanted = normaliseContextPath(dockerfileQuery || 'Dockerfile');
    this.maxBytes = limits.maxDockerfileBytes ?? 1024 * 1024;
    this.maxEntries = limits.maxEntries ?? 1_000_000;
    this.result = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.result.catch(() => {}); // observed through `result` by the caller; never unhandled
    this.extract.on('entry', (header, stream, next) => this.onEntry(header, stream as unknown as EntryStream, next));
    this.extract.on('finish', () => this.finish());
    this.extract.on('error', (err: Error) => this.fail(new BuildContextError(`build context is not a valid tar archive: ${err.message}`)));
  }

  /** Feeds the next bytes of the context. */
  write(chunk: Buffer): void {
    if (this.failed) return;
    if (!this.sniffed) {
      this.sniffed = true;
      this.sink = this.chooseSink(chunk);
      if (!this.sink) return;
    }
    this.sink!.write(chunk);
  }

  /** Marks the end of the context. */
  end(): void {
    if (this.failed) return;
    if (!this.sniffed) {
      this.fail(new BuildContextError('empty build context'));
      return;
    }
    this.sink!.end();
  }

  /** The context will not be complete: stop reading and release what is held. */
  abort(): void {
    this.fail(new BuildContextError('the build context was not received completely'));
  }

  private chooseSink(first: Buffer): ByteSink | undefined {
    if (first[0] === 0x1f && first[1] === 0x8b) {
      this.gunzip = createGunzip();
      this.gunzip.on('error', (err) => this.fail(new BuildContextError(`build context gzip is corrupt: ${err.message}`)));
      this.gunzip.pipe(this.extract as unknown as NodeJS.WritableStream);
      return this.gunzip;
    }
    const magic = first.subarray(0, 6).toString('latin1');
    if (magic.startsWith('BZh') || magic === '\xfd7zXZ\x00' || (first[0] === 0x28 && first[1] === 0xb5 && first[2] === 0x2f && first[3] === 0xfd)) {
      this.fail(new BuildContextError('compressed build contexts other than gzip are not accepted (send a plain or gzip tar)'));
      return undefined;
    }
    return this.extract as unknown as ByteSink; // tar-stream's typings lag its streamx Writable
  }

  private onEntry(header: tar.Header, stream: EntryStream, next: () => void): void {
    if (++this.entries > this.maxEntries) {
      this.fail(new BuildContextError(`build context has more than ${this.maxEntries} entries`));
      return;
    }
    const name = normaliseContextPath(header.name);
    const candidate = name === this.wanted || (name === lowerFallback(this.wanted) && this.wanted !== name);
    if (!candidate) {
      stream.on('end', () => next());
      stream.resume();
      return;
    }
    if (header.type !== 'file' && header.type !== 'contiguous-file') {
      // A link or directory where the Dockerfile should be: we would have to follow what dockerd follows.
      this.fail(new BuildContextError(`the Dockerfile ${name} in the build context is a ${header.type}, not a regular file`));
      return;
    }
    if ((header.size ?? 0) > this.maxBytes) {
      this.fail(new BuildContextError(`the Dockerfile ${name} is larger than ${this.maxBytes} bytes`));
      return;
    }
    const parts: Buffer[] = [];
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.on('end', () => {
      this.found.set(name, Buffer.concat(parts).toString('utf8')); // a later entry replaces an earlier one
      next();
    });
  }

  private finish(): void {
    if (this.failed) return;
    const exact = this.found.get(this.wanted);
    if (exact !== undefined) return this.settle.resolve({ path: this.wanted, text: exact });
    const lower = lowerFallback(this.wanted);
    const fallback = this.found.get(lower);
    if (fallback !== undefined) return this.settle.resolve({ path: lower, text: fallback });
    this.fail(new BuildContextError(`no Dockerfile named ${this.wanted} in the build context`));
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = err;
    this.settle.reject(err);
    this.extract.destroy();
    this.gunzip?.destroy();
  }
}

/** dockerd's fallback from the default "Dockerfile" to "dockerfile". */
function lowerFallback(wanted: string): string {
  return wanted === 'Dockerfile' ? 'dockerfile' : wanted;
}

/** "./a//b/../Dockerfile" → "a/Dockerfile"; a path leaving the context root is kept as written. */
export function normaliseContextPath(p: string): string {
  const n = posix.normalize('/' + p).slice(1);
  return n.endsWith('/') ? n.slice(0, -1) : n;
}
