// Variable substitution in Dockerfile instructions, as the builder's shell lexer does it
// (moby/buildkit frontend/dockerfile/shell): quotes removed, the escape token honoured, `$V`,
// `${V}`, `${V:-w}`, `${V-w}`, `${V:+w}`, `${V+w}`, `${V:?w}`, `${V?w}` replaced from the
// environment. Anything else after a name in `${...}` is an error here: dockerd 20.10 fails
// the build on it, and for a newer builder's pattern operators dockgate would only be guessing.

import { isGoSpace } from './dockerfile.js';

export class SubstitutionError extends Error {}

/** Longest expansion result: one word of a Dockerfile cannot grow the proxy's memory past this. */
const MAX_RESULT = 256 * 1024;
/**
 * Deepest `${V:-${W:-...}}` nesting followed. Go's lexer has no such limit (its stack grows);
 * past it the word counts as one dockgate cannot substitute, which callers treat as unknown.
 */
const MAX_NESTING = 64;

export interface Substituted {
  /** The word with quotes removed and variables replaced (ProcessWord). */
  word: string;
  /** The same split into words after substitution (ProcessWords, used by EXPOSE). */
  words: string[];
}

/** Substitutes `env` (name → value, exact names as on Linux) into `word`. Throws SubstitutionError. */
export function substitute(
  word: string,
  env: ReadonlyMap<string, string>,
  escapeToken = '\\',
  splitWords = false,
): Substituted {
  const lexer = new Lexer(Array.from(word), env, escapeToken, splitWords);
  const { text, words } = lexer.until(undefined);
  return { word: text, words };
}

/** Word splitting of a result, kept only when asked for (EXPOSE): a no-op otherwise. */
class Words {
  constructor(private readonly active: boolean) {}
  word = '';
  words: string[] = [];
  inWord = false;
  addChar(ch: string): void {
    if (!this.active) return;
    if (isGoSpace(ch)) {
      if (this.inWord && this.word.length > 0) {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
    } else this.addRaw(ch);
  }
  addRaw(s: string): void {
    if (!this.active) return;
    this.word += s;
    this.inWord = true;
  }
  addString(s: string): void {
    if (!this.active) return;
    for (const ch of s) this.addChar(ch);
  }
  done(): string[] {
    if (this.word.length > 0) {
      this.words.push(this.word);
      this.word = '';
      this.inWord = false;
    }
    return this.words;
  }
}

class Lexer {
  private pos = 0;
  private depth = 0;
  constructor(
    private readonly chars: string[],
    private readonly env: ReadonlyMap<string, string>,
    private readonly escapeToken: string,
    private readonly splitWords: boolean,
  ) {}

  private peek(): string | undefined {
    return this.chars[this.pos];
  }
  private next(): string | undefined {
    return this.chars[this.pos++];
  }

  /** processStopOn: up to `stop` (consumed) or the end of the word when `stop` is undefined. */
  until(stop: string | undefined): { text: string; words: string[] } {
    let text = '';
    const words = new Words(this.splitWords);
    while (this.peek() !== undefined) {
      const ch = this.peek()!;
      if (stop !== undefined && ch === stop) {
        this.next();
        return { text, words: words.done() };
      }
      if (ch === "'" || ch === '"' || ch === '$') {
        const part = ch === "'" ? this.singleQuote() : ch === '"' ? this.doubleQuote() : this.dollar();
        text = bounded(text + part);
        if (ch === '$') words.addString(part);
        else words.addRaw(part);
        continue;
      }
      let c = this.next()!;
      if (c === this.escapeToken) {
        const escaped = this.next();
        if (escaped === undefined) break;
        c = escaped;
        words.addRaw(c);
      } else words.addChar(c);
      text = bounded(text + c);
    }
    if (stop !== undefined)
      throw new SubstitutionError(`unexpected end of statement while looking for matching ${stop}`);
    return { text, words: words.done() };
  }

  private singleQuote(): string {
    this.next();
    let out = '';
    for (;;) {
      const ch = this.next();
      if (ch === undefined)
        throw new SubstitutionError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") return out;
      out += ch;
    }
  }

  private doubleQuote(): string {
    this.next();
    let out = '';
    for (;;) {
      const ch = this.peek();
      if (ch === undefined)
        throw new SubstitutionError('unexpected end of statement while looking for matching double-quote');
      if (ch === '"') {
        this.next();
        return out;
      }
      if (ch === '$') {
        out = bounded(out + this.dollar());
        continue;
      }
      let c = this.next()!;
      if (c === this.escapeToken) {
        const after = this.peek();
        if (after === undefined) continue; // an escape at the very end is dropped
        if (after === '"' || after === '$' || after === this.escapeToken) c = this.next()!;
      }
      out = bounded(out + c);
    }
  }

  private lookup(name: string): { value: string; found: boolean } {
    const value = this.env.get(name);
    return value === undefined ? { value: '', found: false } : { value, found: true };
  }

  private dollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.name();
      if (name === '') return '$';
      return this.lookup(name).value;
    }
    this.next();
    const first = this.peek();
    if (first === undefined) throw new SubstitutionError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new SubstitutionError('syntax error: bad substitution');
    const name = this.name();
    const op = this.next();
    if (op === '}') return this.lookup(name).value;
    let modifier: string | undefined;
    let colon = false;
    if (op === ':') {
      colon = true;
      modifier = this.next();
    } else modifier = op;
    if (modifier !== '-' && modifier !== '+' && modifier !== '?') {
      throw new SubstitutionError(
        op === ':'
          ? `unsupported modifier (${modifier ?? 'EOF'}) in substitution`
          : `unsupported substitution \${${name}${op ?? ''}...}`,
      );
    }
    if (++this.depth > MAX_NESTING) throw new SubstitutionError(`substitutions nested more than ${MAX_NESTING} deep`);
    let word: string;
    try {
      word = this.until('}').text;
    } catch (err) {
      if (err instanceof SubstitutionError && this.peek() === undefined && !/nested/.test(err.message))
        throw new SubstitutionError("syntax error: missing '}'");
      throw err;
    } finally {
      this.depth--;
    }
    const { value, found } = this.lookup(name);
    const set = colon ? value !== '' : found;
    switch (modifier) {
      case '-':
        return set ? value : word;
      case '+':
        return set ? word : value;
      default:
        if (!found) throw new SubstitutionError(`${name}: ${word || 'is not allowed to be unset'}`);
        if (colon && value === '') throw new SubstitutionError(`${name}: ${word || 'is not allowed to be empty'}`);
        return value;
    }
  }

  /** processName: letters, digits and _; a leading digit run; or one special parameter. */
  private name(): string {
    let name = '';
    while (this.peek() !== undefined) {
      const ch = this.peek()!;
      if (name === '' && /^\p{Nd}$/u.test(ch)) {
        while (this.peek() !== undefined && /^\p{Nd}$/u.test(this.peek()!)) name += this.next();
        return name;
      }
      if (name === '' && '@*#?-$!0'.includes(ch)) return this.next()!;
      if (!/^[\p{L}\p{Nd}_]$/u.test(ch)) break;
      name += this.next();
    }
    return name;
  }
}

function bounded(s: string): string {
  if (s.length > MAX_RESULT) throw new SubstitutionError(`substitution result longer than ${MAX_RESULT} characters`);
  return s;
}
