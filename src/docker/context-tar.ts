// A tar reader that sees a build context exactly as dockerd's (Go 1.19 archive/tar) does: the
// same headers, the same entry boundaries and the same end. Where Go stops, this stops: a zero
// block followed by a zero block is the end of the archive (or the end of the stream, even
// without one), and whatever follows is never read by dockerd, so it is never judged here
// either. A zero block followed by anything else, a bad checksum or a malformed number is an
// error in Go (the build fails) and an error here (the build is refused).
//
// Only what decides where entries are and what they are called is modelled: names (USTAR
// prefix, PAX `path`/`linkpath`, GNU long names), sizes (octal, base-256, PAX `size`), which
// types carry no data. Sparse files, whose data layout Go rewrites, are refused.

export class TarFormatError extends Error {}

export interface TarEntry {
  /** Name as Go returns it: raw bytes as a latin1 string (not cleaned). */
  name: string;
  linkname: string;
  /** Go's Typeflag after its own fix-ups ('\0' becomes '0', or '5' for a name ending in '/'). */
  type: string;
  /** Bytes of data that follow the header (0 for links, directories and devices). */
  size: number;
}

export interface TarVisitor {
  /** A new entry; return true to be handed its data (then `data`... and `end`). */
  entry(e: TarEntry): boolean;
  data(chunk: Buffer): void;
  end(): void;
}

const BLOCK = 512;
/** Go's maxSpecialFileSize: a PAX or GNU long-name record larger than this is an error. */
const MAX_SPECIAL = 1 << 20;

const TYPE_REG = '0';
const TYPE_REGA = '\0';
const TYPE_DIR = '5';
/** Types whose header is followed by no data, whatever their size field says. */
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);

type State =
  | { at: 'header' }
  | { at: 'second-zero' }
  | { at: 'special'; type: string; remaining: number; pad: number; parts: Buffer[]; header: RawHeader }
  | { at: 'data'; remaining: number; pad: number; deliver: boolean }
  | { at: 'pad'; remaining: number }
  | { at: 'end' };

interface RawHeader {
  type: string;
  name: string;
  linkname: string;
  size: number;
}

export class GoTarReader {
  private state: State = { at: 'header' };
  private pending: Buffer = Buffer.alloc(0);
  /** Meta records that apply to the next real entry. */
  private pax: Map<string, string> | undefined;
  private longName: string | undefined;
  private longLink: string | undefined;

  constructor(private readonly visitor: TarVisitor) {}

  /** True once the end-of-archive marker was read: later bytes are ignored, as dockerd ignores them. */
  get ended(): boolean {
    return this.state.at === 'end';
  }

  push(chunk: Buffer): void {
    if (this.state.at === 'end') return;
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (buf.length > 0 && !this.ended) {
      const s: State = this.state;
      if (s.at === 'header' || s.at === 'second-zero') {
        if (buf.length < BLOCK) break;
        const block = buf.subarray(0, BLOCK);
        buf = buf.subarray(BLOCK);
        this.onBlock(block);
        continue;
      }
      if (s.at === 'data') {
        const n = Math.min(s.remaining, buf.length);
        if (n > 0) {
          if (s.deliver) this.visitor.data(buf.subarray(0, n));
          buf = buf.subarray(n);
          s.remaining -= n;
        }
        if (s.remaining === 0) {
          if (s.deliver) this.visitor.end();
          this.state = s.pad > 0 ? { at: 'pad', remaining: s.pad } : { at: 'header' };
        }
        continue;
      }
      if (s.at === 'pad') {
        const n = Math.min(s.remaining, buf.length);
        buf = buf.subarray(n);
        s.remaining -= n;
        if (s.remaining === 0) this.state = { at: 'header' };
        continue;
      }
      if (s.at === 'special') {
        const n = Math.min(s.remaining, buf.length);
        s.parts.push(Buffer.from(buf.subarray(0, n)));
        buf = buf.subarray(n);
        s.remaining -= n;
        if (s.remaining === 0) {
          const data = Buffer.concat(s.parts);
          this.state = s.pad > 0 ? { at: 'pad', remaining: s.pad } : { at: 'header' };
          this.onSpecial(s.header, data);
        }
      }
    }
    if (!this.ended && buf.length > 0) this.pending = Buffer.from(buf);
  }

  /** The stream ended: Go's view of a stream ending there. */
  finish(): void {
    const s = this.state;
    if (s.at === 'end') return;
    if ((s.at === 'header' || s.at === 'second-zero') && this.pending.length === 0) {
      // io.EOF on a block boundary ends the archive cleanly, marker or not; but meta records
      // waiting for their entry mean the archive was cut short.
      if (s.at === 'header' && (this.pax || this.longName !== undefined || this.longLink !== undefined))
        throw new TarFormatError('unexpected end of the build context after an extended header');
      this.state = { at: 'end' };
      return;
    }
    if (s.at === 'pad') {
      // Go reads padding with tryReadFull: an end of stream inside it ends the archive.
      this.state = { at: 'end' };
      return;
    }
    throw new TarFormatError('the build context ends in the middle of a tar entry');
  }

  private onBlock(block: Buffer): void {
    const zero = isZero(block);
    if (this.state.at === 'second-zero') {
      if (!zero) throw new TarFormatError('invalid tar header: a zero block followed by data');
      this.state = { at: 'end' };
      return;
    }
    if (zero) {
      this.state = { at: 'second-zero' };
      return;
    }
    const raw = readHeader(block);
    if (raw.type === 'x' || raw.type === 'g' || raw.type === 'L' || raw.type === 'K') {
      if (raw.size < 0) throw new TarFormatError('invalid tar header: negative size');
      if (raw.size > MAX_SPECIAL) throw new TarFormatError('tar extended header larger than 1 MiB');
      const pad = padding(raw.size);
      if (raw.size === 0) this.onSpecial(raw, Buffer.alloc(0), pad);
      else this.state = { at: 'special', type: raw.type, remaining: raw.size, pad, parts: [], header: raw };
      return;
    }
    this.onEntry(raw);
  }

  /** A meta record whose data has been read. `pad` is set only when no data followed the header. */
  private onSpecial(header: RawHeader, data: Buffer, pad = 0): void {
    if (pad > 0) this.state = { at: 'pad', remaining: pad };
    if (header.type === 'x' || header.type === 'g') {
      const records = parsePax(data);
      if (header.type === 'g') {
        // Go hands a global header over as an entry of its own; dockerd skips it. Whatever
        // meta records preceded it are dropped with it.
        this.pax = undefined;
        this.longName = undefined;
        this.longLink = undefined;
        this.visitor.entry({ name: records.get('path') || header.name, linkname: '', type: 'g', size: 0 });
        return;
      }
      this.pax = records; // a second PAX header replaces the first
      return;
    }
    const value = cString(data);
    if (header.type === 'L') this.longName = value;
    else this.longLink = value;
  }

  private onEntry(raw: RawHeader): void {
    let { name, linkname, size } = raw;
    let type = raw.type;
    const pax = this.pax;
    if (pax) {
      for (const [k, v] of pax) {
        if (v === '') continue; // an empty record keeps the header's value
        if (k === 'path') name = v;
        else if (k === 'linkpath') linkname = v;
        else if (k === 'size') size = goParseInt(v, 'size');
        else if (k === 'uid' || k === 'gid') goParseInt(v, k);
        else if (k === 'atime' || k === 'mtime' || k === 'ctime') checkPaxTime(v, k);
        if (k.startsWith('GNU.sparse.')) throw new TarFormatError('sparse files in the build context are not accepted');
      }
    }
    if (this.longName !== undefined) name = this.longName;
    if (this.longLink !== undefined) linkname = this.longLink;
    this.pax = undefined;
    this.longName = undefined;
    this.longLink = undefined;
    if (type === TYPE_REGA) type = name.endsWith('/') ? TYPE_DIR : TYPE_REG;
    if (type === 'S') throw new TarFormatError('sparse files in the build context are not accepted');
    const nb = HEADER_ONLY.has(type) ? 0 : size;
    if (nb < 0) throw new TarFormatError('invalid tar header: negative size');
    if (!Number.isSafeInteger(nb)) throw new TarFormatError('tar entry too large');
    const deliver = this.visitor.entry({ name, linkname, type, size: nb });
    if (nb === 0) {
      if (deliver) this.visitor.end();
      return;
    }
    this.state = { at: 'data', remaining: nb, pad: padding(nb), deliver };
  }
}

function padding(n: number): number {
  return (BLOCK - (n % BLOCK)) % BLOCK;
}

function isZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** Bytes up to the first NUL, as a latin1 string (Go's parseString). */
function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString('latin1');
}

/** Go's parseOctal: blanks and NULs trimmed, cut at a NUL, then strictly octal digits. */
function parseOctal(b: Buffer, field: string): number {
  let start = 0;
  let end = b.length;
  while (start < end && (b[start] === 0x20 || b[start] === 0)) start++;
  while (end > start && (b[end - 1] === 0x20 || b[end - 1] === 0)) end--;
  if (start === end) return 0;
  const digits = cString(b.subarray(start, end));
  if (!/^[0-7]+$/.test(digits)) throw new TarFormatError(`invalid tar header: ${field} is not an octal number`);
  const v = parseInt(digits, 8);
  if (!Number.isSafeInteger(v)) throw new TarFormatError(`invalid tar header: ${field} out of range`);
  return v;
}

/** Go's parseNumeric: base-256 when the top bit is set, octal otherwise. */
function parseNumeric(b: Buffer, field: string): number {
  if (b.length > 0 && (b[0]! & 0x80) !== 0) {
    const inv = (b[0]! & 0x40) !== 0 ? 0xff : 0;
    let x = 0n;
    for (let i = 0; i < b.length; i++) {
      let c = b[i]! ^ inv;
      if (i === 0) c &= 0x7f;
      if (x >> 56n > 0n) throw new TarFormatError(`invalid tar header: ${field} overflows`);
      x = (x << 8n) | BigInt(c);
    }
    if (x >> 63n > 0n) throw new TarFormatError(`invalid tar header: ${field} overflows`);
    const v = inv === 0xff ? -x - 1n : x;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
      throw new TarFormatError(`invalid tar header: ${field} out of range`);
    return Number(v);
  }
  return parseOctal(b, field);
}

function readHeader(b: Buffer): RawHeader {
  // Checksum: the octal value of the field must equal the unsigned or the signed byte sum,
  // counting the checksum field itself as blanks; anything else is not a tar header to Go.
  let stored: number;
  try {
    stored = parseOctal(b.subarray(148, 156), 'checksum');
  } catch {
    throw new TarFormatError('invalid tar header (bad checksum field)');
  }
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  if (stored !== unsigned && stored !== signed) throw new TarFormatError('invalid tar header (checksum mismatch)');
  const magic = b.subarray(257, 263).toString('latin1');
  const version = b.subarray(263, 265).toString('latin1');
  const trailer = b.subarray(508, 512).toString('latin1');
  const format =
    magic === 'ustar\0'
      ? trailer === 'tar\0'
        ? 'star'
        : 'ustar'
      : magic === 'ustar ' && version === ' \0'
        ? 'gnu'
        : 'v7';
  const type = String.fromCharCode(b[156]!);
  let name = cString(b.subarray(0, 100));
  const linkname = cString(b.subarray(157, 257));
  const size = parseNumeric(b.subarray(124, 136), 'size');
  parseNumeric(b.subarray(100, 108), 'mode');
  parseNumeric(b.subarray(108, 116), 'uid');
  parseNumeric(b.subarray(116, 124), 'gid');
  parseNumeric(b.subarray(136, 148), 'mtime');
  if (format !== 'v7') {
    parseNumeric(b.subarray(329, 337), 'devmajor');
    parseNumeric(b.subarray(337, 345), 'devminor');
    let prefix = '';
    if (format === 'ustar') prefix = cString(b.subarray(345, 500));
    else if (format === 'star') {
      prefix = cString(b.subarray(345, 476));
      parseNumeric(b.subarray(476, 488), 'atime');
      parseNumeric(b.subarray(488, 500), 'ctime');
    } else {
      // GNU keeps access and change times where USTAR has its prefix; an old Go writer put a
      // prefix there instead, and Go reads it as a prefix when the times do not parse.
      let timesParse = true;
      for (const [from, to] of [
        [345, 357],
        [357, 369],
      ] as const) {
        if (b[from] === 0) continue;
        try {
          parseNumeric(b.subarray(from, to), 'time');
        } catch {
          timesParse = false;
        }
      }
      if (!timesParse) {
        const p = cString(b.subarray(345, 500));
        if (/^[\x00-\x7f]*$/.test(p)) prefix = p;
      }
    }
    if (prefix.length > 0) name = `${prefix}/${name}`;
  }
  return { type, name, linkname, size };
}

/** Go's strconv.ParseInt(v, 10, 64). */
function goParseInt(v: string, field: string): number {
  if (!/^[+-]?[0-9]+$/.test(v)) throw new TarFormatError(`invalid tar header: PAX ${field} is not a number`);
  const n = BigInt(v);
  if (n > 0x7fffffffffffffffn || n < -0x8000000000000000n)
    throw new TarFormatError(`invalid tar header: PAX ${field} out of range`);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER))
    throw new TarFormatError(`tar PAX ${field} too large`);
  return Number(n);
}

function checkPaxTime(v: string, field: string): void {
  const dot = v.indexOf('.');
  goParseInt(dot < 0 ? v : v.slice(0, dot), field);
  if (dot >= 0 && !/^[0-9]*$/.test(v.slice(dot + 1))) throw new TarFormatError(`invalid tar header: PAX ${field}`);
}

/** PAX records "%d %s=%s\n", lengths in bytes (the data is read as latin1: one char per byte). */
function parsePax(data: Buffer): Map<string, string> {
  let s = data.toString('latin1');
  const records = new Map<string, string>();
  const sparse: string[] = [];
  while (s.length > 0) {
    const sp = s.indexOf(' ');
    if (sp < 0) throw new TarFormatError('invalid PAX record');
    const lenText = s.slice(0, sp);
    if (!/^[+-]?[0-9]+$/.test(lenText)) throw new TarFormatError('invalid PAX record length');
    const n = Number(lenText);
    if (!Number.isSafeInteger(n) || n < 5 || s.length < n || sp + 1 >= n - 1)
      throw new TarFormatError('invalid PAX record length');
    const rec = s.slice(sp + 1, n - 1);
    if (s[n - 1] !== '\n') throw new TarFormatError('invalid PAX record');
    const eq = rec.indexOf('=');
    if (eq < 0) throw new TarFormatError('invalid PAX record');
    const k = rec.slice(0, eq);
    const v = rec.slice(eq + 1);
    if (k === '' || k.includes('=')) throw new TarFormatError('invalid PAX record key');
    if (['path', 'linkpath', 'uname', 'gname'].includes(k) ? v.includes('\0') : k.includes('\0'))
      throw new TarFormatError('invalid PAX record');
    if (k === 'GNU.sparse.offset' || k === 'GNU.sparse.numbytes') sparse.push(v);
    else records.set(k, v);
    s = s.slice(n);
  }
  if (sparse.length > 0) records.set('GNU.sparse.map', sparse.join(','));
  return records;
}
