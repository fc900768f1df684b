// The directory dockerd extracts a build context into, modelled entry by entry, so the
// Dockerfile judged is the file dockerd opens. dockerd 20.10 (builder/remotecontext,
// pkg/archive Unpack inside a chroot) extracts in order: a later entry at a path replaces what
// was there (a directory over a directory merges), an entry whose parent path goes through a
// symlink is written where the symlink leads (never outside the root: the chroot keeps `..`
// and absolute targets inside), missing parent directories are created. It then opens the
// Dockerfile following symlinks inside the root (symlink.FollowSymlinkInScope).
//
// Memory stays bounded: directories and symlinks are kept (they decide where paths lead), and
// of the files only those whose name is the Dockerfile's (or dockerd's "dockerfile" fallback).
// When the path leads to anything else (a hard link, a device, a file of another name), the
// content is unknown and the build is refused rather than guessed at.

export class BuildContextError extends Error {}

interface Dir {
  kind: 'dir';
  children: Map<string, Node>;
}
interface Link {
  kind: 'symlink';
  target: string;
}
interface Kept {
  kind: 'file';
  content: Buffer;
}
/** A file of a kept name whose content is not known (a hard link, a device, too large). */
interface Opaque {
  kind: 'opaque';
  what: string;
}
type Node = Dir | Link | Kept | Opaque;

export interface ContextTreeLimits {
  /** Largest file kept (a Dockerfile candidate). */
  maxFileBytes: number;
  /** All kept files together. */
  maxKeptBytes: number;
  /** Directories, symlinks and kept files together. */
  maxNodes: number;
}

export interface TreeEntry {
  /** Raw name bytes (latin1). */
  name: string;
  linkname: string;
  type: string;
  size: number;
}

export type Resolution =
  | { found: 'file'; path: string; content: Buffer }
  | { found: 'missing'; path: string }
  | { found: 'other'; path: string; what: string };

/** Linux limits: a longer name or path fails in dockerd (ENAMETOOLONG) before anything is built. */
const NAME_MAX = 255;
const PATH_MAX = 4095;
/** The kernel's limit on symlinks followed in one path (ELOOP). */
const MAX_LINKS = 40;
/** evalSymlinksInScope's limit on path components walked. */
const MAX_SCOPE_STEPS = 255;
/**
 * Components walked to place one entry. The kernel allows 40 links of 4 KiB each; real
 * contexts need a handful. Bounding the walk bounds the CPU one hostile entry costs the proxy.
 */
const MAX_WALK_STEPS = 4096;

/** Go's filepath.Clean for a path made absolute at the context root: components, no "." or "..". */
export function rootedComponents(p: string): string[] {
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out;
}

export class ContextTree {
  private readonly root: Dir = { kind: 'dir', children: new Map() };
  private nodes = 0;
  private keptBytes = 0;

  constructor(
    /** File names (last path component) whose content is kept. */
    private readonly keptNames: ReadonlySet<string>,
    private readonly limits: ContextTreeLimits,
  ) {}

  /**
   * Applies one entry. Returns a function to call with the entry's data when its content is
   * kept. Throws BuildContextError where dockerd's extraction fails (so nothing is built).
   */
  apply(e: TreeEntry): ((content: Buffer) => void) | undefined {
    if (e.type === 'g') return undefined; // PAX global header: dockerd skips it
    const parts = rootedComponents(e.name);
    if (parts.length === 0) {
      // The root itself. dockerd skips an entry whose cleaned name is "."; for "/" or ".." it
      // merges a directory, and anything else makes it remove the root, which fails.
      if (!cleansToDot(e.name) && e.type !== '5')
        throw new BuildContextError(`build context entry ${printable(e.name)} would replace the context root`);
      return undefined;
    }
    checkLengths(parts, e.name);
    const parent = this.walk(parts.slice(0, -1), true, e.name);
    const base = parts[parts.length - 1]!;
    const existing = parent.children.get(base);
    if (existing && !(existing.kind === 'dir' && e.type === '5')) this.remove(parent, base);
    const kept = this.keptNames.has(base);
    switch (e.type) {
      case '5':
        if (existing?.kind !== 'dir') this.add(parent, base, { kind: 'dir', children: new Map() });
        return undefined;
      case '2':
        if (Buffer.byteLength(e.linkname, 'latin1') > PATH_MAX || e.linkname === '')
          throw new BuildContextError(`build context symlink ${printable(e.name)} has an unusable target`);
        this.add(parent, base, { kind: 'symlink', target: e.linkname });
        return undefined;
      case '1':
        this.hardLink(parent, base, e, kept);
        return undefined;
      case '0':
        if (!kept) return undefined;
        if (e.size > this.limits.maxFileBytes) {
          this.add(parent, base, { kind: 'opaque', what: `file larger than ${this.limits.maxFileBytes} bytes` });
          return undefined;
        }
        return (content) => this.add(parent, base, { kind: 'file', content });
      case '3':
      case '4':
      case '6':
        if (kept) this.add(parent, base, { kind: 'opaque', what: 'device or named pipe' });
        return undefined;
      default:
        // pkg/archive fails on any other type ("unhandled tar header type").
        throw new BuildContextError(
          `build context entry ${printable(e.name)} has tar type ${JSON.stringify(e.type)}, which dockerd does not extract`,
        );
    }
  }

  /**
   * Where dockerd's FollowSymlinkInScope takes `path`, and what is there. Throws
   * BuildContextError where dockerd's resolution fails.
   */
  resolve(path: string): Resolution {
    const stack: { name: string; node: Node | undefined }[] = [];
    const pending = rootedComponents(path).reverse();
    let steps = 0;
    while (pending.length > 0) {
      if (++steps > MAX_SCOPE_STEPS) throw new BuildContextError(`too many links in ${printable(path)}`);
      const c = pending.pop()!;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        stack.pop();
        continue;
      }
      const parent = stack.length ? stack[stack.length - 1]!.node : this.root;
      if (parent === undefined) {
        stack.push({ name: c, node: undefined });
        continue;
      }
      if (parent.kind !== 'dir')
        throw new BuildContextError(`the Dockerfile path ${printable(path)} goes through a file`);
      const child = parent.children.get(c);
      if (child?.kind === 'symlink') {
        if (child.target.startsWith('/')) stack.length = 0;
        const target = child.target.split('/');
        for (let i = target.length - 1; i >= 0; i--) pending.push(target[i]!);
        continue;
      }
      stack.push({ name: c, node: child });
    }
    const where = stack.map((s) => s.name).join('/');
    const node = stack.length ? stack[stack.length - 1]!.node : this.root;
    if (node === undefined) return { found: 'missing', path: where };
    if (node.kind === 'file') return { found: 'file', path: where, content: node.content };
    return {
      found: 'other',
      path: where,
      what: node.kind === 'opaque' ? node.what : node.kind === 'dir' ? 'directory' : 'symlink',
    };
  }

  /** Would a missing file at `path` really be missing (its name is one whose files are all kept)? */
  keeps(path: string): boolean {
    const parts = rootedComponents(path);
    return parts.length > 0 && this.keptNames.has(parts[parts.length - 1]!);
  }

  /**
   * The directory `parts` leads to, following symlinks as the kernel does inside the chroot.
   * With `create`, missing directories are made (MkdirAll), except inside a symlink's target,
   * which must exist for the extraction to go on.
   */
  private walk(parts: string[], create: boolean, entryName: string): Dir {
    const stack: Dir[] = [this.root];
    // Components still to walk, next one last (pop is O(1); a link's target is pushed reversed).
    const pending: { name: string; fromLink: boolean }[] = parts.map((name) => ({ name, fromLink: false })).reverse();
    let links = 0;
    let steps = 0;
    while (pending.length > 0) {
      if (++steps > MAX_WALK_STEPS)
        throw new BuildContextError(
          `build context entry ${printable(entryName)}: its path leads through too many components`,
        );
      const { name, fromLink } = pending.pop()!;
      if (name === '' || name === '.') continue;
      if (name === '..') {
        if (stack.length > 1) stack.pop();
        continue;
      }
      const cur = stack[stack.length - 1]!;
      const child = cur.children.get(name);
      if (child === undefined) {
        if (!create || fromLink)
          throw new BuildContextError(
            `build context entry ${printable(entryName)} lies under a symlink that leads nowhere`,
          );
        const dir: Dir = { kind: 'dir', children: new Map() };
        this.add(cur, name, dir);
        stack.push(dir);
        continue;
      }
      if (child.kind === 'dir') {
        stack.push(child);
        continue;
      }
      if (child.kind === 'symlink') {
        if (++links > MAX_LINKS)
          throw new BuildContextError(`build context entry ${printable(entryName)}: too many levels of symbolic links`);
        if (child.target.startsWith('/')) stack.length = 1;
        const target = child.target.split('/');
        for (let i = target.length - 1; i >= 0; i--) pending.push({ name: target[i]!, fromLink: true });
        continue;
      }
      throw new BuildContextError(`build context entry ${printable(entryName)} lies under a file`);
    }
    return stack[stack.length - 1]!;
  }

  private hardLink(parent: Dir, base: string, e: TreeEntry, kept: boolean): void {
    const targetParts = rootedComponents(e.linkname);
    if (targetParts.length === 0)
      throw new BuildContextError(`build context hard link ${printable(e.name)} points at the context root`);
    let targetDir: Dir;
    try {
      targetDir = this.walk(targetParts.slice(0, -1), false, e.name);
    } catch {
      throw new BuildContextError(
        `build context hard link ${printable(e.name)} points at ${printable(e.linkname)}, which does not exist`,
      );
    }
    const target = targetDir.children.get(targetParts[targetParts.length - 1]!);
    if (target?.kind === 'dir')
      throw new BuildContextError(`build context hard link ${printable(e.name)} points at a directory`);
    // A hard link to a symlink is that symlink (link(2) does not follow it).
    if (target?.kind === 'symlink') this.add(parent, base, { kind: 'symlink', target: target.target });
    else if (kept) {
      if (target?.kind === 'file') this.add(parent, base, { kind: 'file', content: target.content });
      else this.add(parent, base, { kind: 'opaque', what: `hard link to ${printable(e.linkname)}` });
    }
  }

  private add(dir: Dir, name: string, node: Node): void {
    if (++this.nodes > this.limits.maxNodes)
      throw new BuildContextError(`build context has more than ${this.limits.maxNodes} directories and symlinks`);
    if (node.kind === 'file') {
      this.keptBytes += node.content.length;
      if (this.keptBytes > this.limits.maxKeptBytes)
        throw new BuildContextError(
          `build context holds more than ${this.limits.maxKeptBytes} bytes of files named like the Dockerfile`,
        );
    }
    dir.children.set(name, node);
  }

  /** Removes a node and everything under it (os.RemoveAll). */
  private remove(dir: Dir, name: string): void {
    const node = dir.children.get(name);
    if (!node) return;
    dir.children.delete(name);
    const pending: Node[] = [node];
    while (pending.length) {
      const n = pending.pop()!;
      this.nodes--;
      if (n.kind === 'file') this.keptBytes -= n.content.length;
      if (n.kind === 'dir') for (const c of n.children.values()) pending.push(c);
    }
  }
}

/** Does Go's filepath.Clean turn this name into "."? (relative, and nothing left, no ".." above it) */
function cleansToDot(name: string): boolean {
  if (name.startsWith('/')) return false;
  let depth = 0;
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (depth === 0) return false;
      depth--;
    } else depth++;
  }
  return depth === 0;
}

function checkLengths(parts: string[], name: string): void {
  let total = 0;
  for (const p of parts) {
    const n = Buffer.byteLength(p, 'latin1');
    if (n > NAME_MAX)
      throw new BuildContextError(`build context entry ${printable(name)} has a name longer than ${NAME_MAX} bytes`);
    total += n + 1;
  }
  if (total > PATH_MAX)
    throw new BuildContextError(`build context entry ${printable(name)} has a path longer than ${PATH_MAX} bytes`);
}

/** A raw (latin1) name for a message: its UTF-8 reading, shortened. */
export function printable(raw: string): string {
  const s = Buffer.from(raw, 'latin1').toString('utf8');
  return JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);
}
