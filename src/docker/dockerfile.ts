// A Dockerfile as the classic builder reads it, so a policy judges the instructions dockerd will
// run: `input.dockerfile` (one string per instruction, continuation lines joined, as
// docker-socket-firewall policies match them) and structured instructions for rules such as
// a FROM allowlist, ADD from URLs or `RUN --security=insecure`.
//
// The reading follows moby/buildkit's frontend/dockerfile/parser as vendored by dockerd 20.10:
// parser directives only at the top (`# escape=`), comment lines dropped even inside a
// continuation, the continuation regex of the escape token, flags taken from the front of the
// arguments, and per instruction the same split (JSON array, whitespace, name=value words).
// A Dockerfile that parser rejects builds nothing, so it is an error here too.

export class DockerfileSyntaxError extends Error {}

export interface DockerfileInstruction {
  /** Upper-case keyword, e.g. "FROM". */
  cmd: string;
  /** `--name=value` flags, names lower-cased, e.g. {"security": "insecure"}; a flag without value maps to "". */
  flags: Record<string, string>;
  /**
   * Arguments after the flags, split as the builder splits them; for a build judged with
   * src/docker/build-plan.ts, after ARG/ENV substitution (what dockerd acts on).
   */
  args: string[];
  /** The instruction as written (continuation lines joined). */
  original: string;
  /** 1-based line where the instruction starts (for a trigger: the line of its FROM). */
  line: number;
  /** The arguments before substitution, when substitution changed them. */
  raw_args?: string[];
  /** The arguments were a JSON array (exec form). */
  json?: boolean;
  /** A trigger run right after FROM: the base image (or "stage NAME") whose ONBUILD it is. */
  onbuild_of?: string;
  /** Substitution the builder would refuse, or that dockgate cannot do exactly: args hold the raw words. */
  expand_error?: string;
  /** FROM only: what the base is and whether dockgate could see it at the daemon. */
  base?: BaseImageFacts;
}

export interface BaseImageFacts {
  /** The expanded name of the base ("scratch", an image reference, or an earlier stage). */
  name: string;
  kind: 'scratch' | 'stage' | 'image' | 'unknown';
  /** The image is present at the daemon (kind "image"): its ONBUILD triggers and ENV were read. */
  found: boolean;
  /** Why the base could not be judged (missing image, look-up failure, unexpandable name). */
  problem?: string;
}

export interface ParsedDockerfile {
  lines: string[];
  instructions: DockerfileInstruction[];
  /** Parser directives such as {"syntax": "docker/dockerfile:1"}. */
  directives: Record<string, string>;
  /** The escape token in force (`\` or a backtick). */
  escapeToken: string;
}

/** bufio.Scanner's longest line in the builder: a longer line fails the build. */
const MAX_LINE_BYTES = 64 * 1024 - 1;
/** More instructions than any real Dockerfile: bounds the work spent on one build. */
const MAX_INSTRUCTIONS = 4096;

const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\p{White_Space}]/u;
const RE_WHITESPACE = /[\t\v\f\r ]+/;
const VALID_DIRECTIVES = new Set(['escape', 'syntax']);

/** Go's unicode.IsSpace. */
export function isGoSpace(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return GO_SPACE.test(ch);
}

function trimLeftGoSpace(s: string): string {
  let i = 0;
  for (const ch of s) {
    if (!isGoSpace(ch)) break;
    i += ch.length;
  }
  return s.slice(i);
}

/** Go's strings.TrimSpace. */
export function trimGoSpace(s: string): string {
  const left = trimLeftGoSpace(s);
  const chars = Array.from(left);
  let end = chars.length;
  while (end > 0 && isGoSpace(chars[end - 1]!)) end--;
  return chars.slice(0, end).join('');
}

interface Directives {
  escape: string;
  continuation: RegExp;
  done: boolean;
  seen: Record<string, string>;
}

function setEscape(d: Directives, token: string): void {
  if (token !== '`' && token !== '\\')
    throw new DockerfileSyntaxError(`invalid escape token '${token}' does not match \` or \\`);
  d.escape = token;
  const e = token === '\\' ? '\\\\' : '`';
  // A line ends in a continuation when its last non-blank character is the escape token and is
  // not itself escaped (or is all there is on the line).
  d.continuation = new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

/** Go's `\s` in the builder's directive regex. */
function isDirectiveSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\f' || c === '\r';
}

/**
 * `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` matched by hand: a backtracking engine
 * would take quadratic time on a long line of blanks, Go's RE2 does not.
 */
function matchDirective(line: string): [string, string] | undefined {
  if (line[0] !== '#') return undefined;
  let i = 1;
  while (isDirectiveSpace(line[i])) i++;
  const nameStart = i;
  if (!/[a-zA-Z]/.test(line[i] ?? '')) return undefined;
  while (/[a-zA-Z0-9]/.test(line[i] ?? '')) i++;
  const name = line.slice(nameStart, i);
  while (isDirectiveSpace(line[i])) i++;
  if (line[i] !== '=') return undefined;
  i++;
  const rest = line.slice(i);
  let end = rest.length;
  while (end > 0 && isDirectiveSpace(rest[end - 1])) end--;
  let start = 0;
  while (start < end && isDirectiveSpace(rest[start])) start++;
  // The value takes at least one character: a value of blanks only is its last blank.
  if (start === end) return rest.length === 0 ? undefined : [name, rest.slice(rest.length - 1)];
  return [name, rest.slice(start, end)];
}

function possibleDirective(d: Directives, line: string): void {
  if (d.done) return;
  const m = matchDirective(line);
  if (!m) {
    d.done = true;
    return;
  }
  const key = m[0].toLowerCase();
  if (!VALID_DIRECTIVES.has(key)) {
    d.done = true;
    return;
  }
  if (key in d.seen) throw new DockerfileSyntaxError(`only one ${key} parser directive can be used`);
  d.seen[key] = m[1];
  if (key === 'escape') setEscape(d, m[1]);
}

function isCommentLine(line: string): boolean {
  return trimLeftGoSpace(line).startsWith('#');
}

/** One logical line: the builder's `processLine` (left trim on first lines, comment removal). */
function processLine(d: Directives, raw: string, stripLeft: boolean): string {
  const token = stripLeft ? trimLeftGoSpace(raw) : raw;
  possibleDirective(d, token);
  return token.startsWith('#') ? '' : token;
}

function trimContinuation(d: Directives, line: string): { line: string; end: boolean } {
  if (d.continuation.test(line)) return { line: line.replace(d.continuation, '$1'), end: false };
  return { line, end: true };
}

/** Parses a Dockerfile as dockerd's builder does. Throws DockerfileSyntaxError where it would fail. */
export function parseDockerfile(text: string): ParsedDockerfile {
  const d: Directives = { escape: '\\', continuation: /$^/, done: false, seen: {} };
  setEscape(d, '\\');
  // bufio.ScanLines: lines end at \n, a trailing \r is dropped; a final line without \n counts.
  const rawLines = text.split('\n');
  if (rawLines.length > 0 && rawLines[rawLines.length - 1] === '') rawLines.pop();
  const lines = rawLines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const instructions: DockerfileInstruction[] = [];
  let i = 0;
  const next = (): string => {
    const l = lines[i++]!;
    if (Buffer.byteLength(l) > MAX_LINE_BYTES)
      throw new DockerfileSyntaxError(`dockerfile line greater than max allowed size of ${MAX_LINE_BYTES}`);
    return l;
  };
  while (i < lines.length) {
    let first = next();
    if (i === 1 && first.startsWith('\ufeff')) first = first.slice(1);
    const startLine = i;
    let { line, end } = trimContinuation(d, processLine(d, first, true));
    if (end && line === '') continue;
    while (!end && i < lines.length) {
      const raw = next();
      const processed = processLine(d, raw, false);
      if (isCommentLine(raw)) continue;
      if (trimLeftGoSpace(processed).length === 0) continue; // empty continuation line
      const c = trimContinuation(d, processed);
      line += c.line;
      end = c.end;
    }
    if (instructions.length >= MAX_INSTRUCTIONS)
      throw new DockerfileSyntaxError(`more than ${MAX_INSTRUCTIONS} instructions`);
    instructions.push(parseInstruction(line, startLine, d.escape));
  }
  if (instructions.length === 0) throw new DockerfileSyntaxError('file with no instructions');
  return {
    lines: instructions.map((ins) => ins.original),
    instructions,
    directives: { ...d.seen },
    escapeToken: d.escape,
  };
}

/**
 * Parses one instruction line (a trigger of ONBUILD, or a line of a Dockerfile). `escape` is the
 * token in force for the file the line comes from.
 */
export function parseInstruction(line: string, lineNumber: number, escapeToken: string): DockerfileInstruction {
  const trimmed = trimGoSpace(line);
  const m = RE_WHITESPACE.exec(trimmed);
  const keyword = m ? trimmed.slice(0, m.index) : trimmed;
  const afterKeyword = m ? trimmed.slice(m.index + m[0].length) : '';
  const cmd = keyword.toUpperCase();
  const { rest, flagWords } = extractFlags(afterKeyword);
  const args = trimGoSpace(rest);
  const flags: Record<string, string> = {};
  for (const w of flagWords) {
    if (w === '--') break;
    const body = w.slice(2);
    const eq = body.indexOf('=');
    flags[(eq < 0 ? body : body.slice(0, eq)).toLowerCase()] = eq < 0 ? '' : body.slice(eq + 1);
  }
  const ins: DockerfileInstruction = { cmd, flags, args: [], original: trimmed, line: lineNumber };
  switch (cmd) {
    case 'ADD':
    case 'COPY':
    case 'VOLUME': {
      const json = parseJsonArray(args);
      if (json) {
        ins.args = json;
        ins.json = true;
      } else {
        ins.args = splitWhitespace(args);
      }
      if (cmd !== 'VOLUME' && ins.args.length < 2)
        throw new DockerfileSyntaxError(
          `line ${lineNumber}: ${cmd} requires at least two arguments, but only one was provided. Destination could not be determined.`,
        );
      break;
    }
    case 'RUN':
    case 'CMD':
    case 'ENTRYPOINT':
    case 'SHELL': {
      const json = parseJsonArray(args);
      if (json) {
        ins.args = json;
        ins.json = true;
      } else {
        ins.args = args === '' ? [] : [args];
      }
      break;
    }
    case 'ARG':
      ins.args = parseWords(args, escapeToken);
      if (ins.args.length === 0)
        throw new DockerfileSyntaxError(`line ${lineNumber}: ARG requires at least one argument`);
      for (const a of ins.args)
        if (a.startsWith('=')) throw new DockerfileSyntaxError(`line ${lineNumber}: ARG names can not be blank`);
      break;
    case 'ENV':
    case 'LABEL':
      ins.args = parseNameValues(args, cmd, escapeToken, lineNumber);
      break;
    case 'EXPOSE':
    case 'FROM':
      ins.args = splitWhitespace(args);
      if (cmd === 'FROM') checkFrom(ins.args, lineNumber);
      break;
    case 'HEALTHCHECK': {
      const sep = args.search(/\s/);
      if (args !== '') ins.args = sep < 0 ? [args] : [args.slice(0, sep), trimLeftGoSpace(args.slice(sep))];
      break;
    }
    case 'MAINTAINER':
    case 'STOPSIGNAL':
    case 'USER':
    case 'WORKDIR':
      ins.args = args === '' ? [] : [args];
      break;
    case 'ONBUILD': {
      if (args === '') throw new DockerfileSyntaxError(`line ${lineNumber}: ONBUILD requires at least one argument`);
      const sub = parseInstruction(args, lineNumber, escapeToken);
      if (sub.cmd === 'ONBUILD')
        throw new DockerfileSyntaxError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (sub.cmd === 'FROM' || sub.cmd === 'MAINTAINER')
        throw new DockerfileSyntaxError(`${sub.cmd} isn't allowed as an ONBUILD trigger`);
      // The image keeps the text after the keyword; it is parsed again when the trigger runs.
      ins.args = [trimmed.replace(/^[\t\n\f\r ]*ONBUILD[\t\n\f\r ]*/i, '')];
      break;
    }
    default:
      throw new DockerfileSyntaxError(`line ${lineNumber}: unknown instruction: ${cmd}`);
  }
  return ins;
}

function checkFrom(args: string[], line: number): void {
  if (args.length === 3 && args[1]!.toLowerCase() === 'as') {
    if (!/^[a-z][a-z0-9-_.]*$/.test(args[2]!.toLowerCase()))
      throw new DockerfileSyntaxError(`line ${line}: invalid name for build stage: "${args[2]}"`);
    return;
  }
  if (args.length !== 1) throw new DockerfileSyntaxError(`line ${line}: FROM requires either one or three arguments`);
}

/** parseStringsWhitespaceDelimited: "" has no words; otherwise split on the ASCII blank run. */
function splitWhitespace(s: string): string[] {
  return s === '' ? [] : s.split(RE_WHITESPACE);
}

/**
 * The builder decodes the first JSON value of the arguments (Go's json.Decoder, which leaves
 * whatever follows it unread): an array of strings is the exec form, an array of anything else
 * fails the build, and text that is not a JSON array is the shell form.
 */
function parseJsonArray(s: string): string[] | undefined {
  const text = trimLeftGoSpace(s);
  if (!text.startsWith('[')) return undefined;
  const end = endOfJsonValue(text);
  if (end < 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text.slice(0, end));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v): v is string => typeof v === 'string'))
    throw new DockerfileSyntaxError('when using JSON array syntax, arrays must be comprised of strings only');
  return value;
}

/** Index just past the JSON array that starts `text` (brackets balanced outside strings), or -1. */
function endOfJsonValue(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * The builder's parseWords: words split on white space, quotes kept in the word (substitution
 * removes them later), the escape token kept with the character it escapes.
 */
export function parseWords(rest: string, escapeToken: string): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  let word = '';
  let inWord = false;
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos < chars.length; pos++) {
    let ch = chars[pos]!;
    if (!inWord && !quote) {
      if (isGoSpace(ch)) continue;
      inWord = true;
    }
    if (quote === '') {
      if (isGoSpace(ch)) {
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        inWord = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
      }
      if (ch === escapeToken) {
        if (pos + 1 === chars.length) continue;
        word += ch;
        ch = chars[++pos]!;
      }
      word += ch;
      continue;
    }
    // inside quotes
    if (ch === quote) quote = '';
    else if (ch === escapeToken && quote !== "'") {
      if (pos + 1 === chars.length) {
        quote = '';
        continue;
      }
      word += ch;
      ch = chars[++pos]!;
    }
    word += ch;
  }
  if ((inWord || quote) && (blankOK || word.length > 0)) words.push(word);
  return words;
}

/** ENV and LABEL: `KEY value...` (old form) or `K=V K2=V2` words; returned as [k, v, k, v, ...]. */
function parseNameValues(rest: string, cmd: string, escapeToken: string, line: number): string[] {
  const words = parseWords(rest, escapeToken);
  if (words.length === 0) throw new DockerfileSyntaxError(`line ${line}: ${cmd} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    const parts = rest.split(RE_WHITESPACE);
    if (parts.length < 2) throw new DockerfileSyntaxError(`line ${line}: ${cmd} must have two arguments`);
    const m = RE_WHITESPACE.exec(rest)!;
    return [rest.slice(0, m.index), rest.slice(m.index + m[0].length)];
  }
  const out: string[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0)
      throw new DockerfileSyntaxError(
        `line ${line}: Syntax error - can't find = in "${w}". Must be of the form: name=value`,
      );
    if (eq === 0) throw new DockerfileSyntaxError(`line ${line}: ${cmd} names can not be blank`);
    out.push(w.slice(0, eq), w.slice(eq + 1));
  }
  return out;
}

/**
 * extractBuilderFlags: leading `--name[=value]` words (quotes and backslashes handled as the
 * builder does) are flags; the rest of the line is the arguments. Go walks the line byte by
 * byte and asks unicode.IsSpace of each byte, so the second byte of "à" (0xA0) ends a flag
 * word there: this walks the UTF-8 bytes the same way (as a latin1 string) and decodes back.
 */
function extractFlags(text: string): { rest: string; flagWords: string[] } {
  const { rest, flagWords } = extractFlagBytes(Buffer.from(text, 'utf8').toString('latin1'));
  const decode = (b: string) => Buffer.from(b, 'latin1').toString('utf8');
  return { rest: decode(rest), flagWords: flagWords.map(decode) };
}

/** unicode.IsSpace(rune(b)) for one byte. */
function isSpaceByte(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0;
}

function extractFlagBytes(line: string): { rest: string; flagWords: string[] } {
  const words: string[] = [];
  let word = '';
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    const ch = pos < line.length ? line[pos]! : '';
    if (phase === 'spaces') {
      if (pos === line.length) break;
      if (isSpaceByte(ch)) continue;
      if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-')
        return { rest: line.slice(pos), flagWords: words };
      phase = 'word';
    }
    if (pos === line.length) {
      if (word !== '--' && (blankOK || word.length > 0)) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isSpaceByte(ch)) {
        phase = 'spaces';
        if (word === '--') return { rest: line.slice(pos), flagWords: words };
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      let c = ch;
      if (c === '\\') {
        if (pos + 1 === line.length) continue;
        c = line[++pos]!;
      }
      word += c;
      continue;
    }
    // quote
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    let c = ch;
    if (c === '\\') {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      c = line[++pos]!;
    }
    word += c;
  }
  return { rest: '', flagWords: words };
}
