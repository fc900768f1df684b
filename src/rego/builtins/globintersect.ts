// regex.globs_match: whether two simplified regex globs (characters, `.`, `[set]`, each
// optionally followed by `*` or `+`; `\` escapes) can match a common string.
// Decided by a reachability search over the product of the two patterns' automata.

interface Tok {
  any: boolean; // `.`
  chars: Set<number> | null; // a character or a set
  flag: 0 | 1 | 2; // none, plus, star
}

function invalid(input: string, pos: number, msg: string): Error {
  return new Error(`input:${input}, pos:${pos}, ${msg}: the input provided is invalid`);
}

function tokenize(input: string): Tok[] {
  const r = Array.from(input).map((c) => c.codePointAt(0)!);
  const toks: Tok[] = [];
  let i = 0;
  const next = (): { c: number; esc: boolean } => {
    if (r[i] === 0x5c) {
      if (i === r.length - 1) throw invalid(input, i, 'input ends with a \\ (escape) character');
      i += 2;
      return { c: r[i - 1]!, esc: true };
    }
    i += 1;
    return { c: r[i - 1]!, esc: false };
  };
  while (i < r.length) {
    const { c, esc } = next();
    let tok: Tok;
    if (!esc && c === 0x2e) tok = { any: true, chars: null, flag: 0 };
    else if (!esc && c === 0x5d) throw invalid(input, i, "set-close ']' with no preceding '['");
    else if (!esc && (c === 0x2b || c === 0x2a)) {
      throw invalid(input, i, `flag '${String.fromCodePoint(c)}' must be preceded by a non-flag`);
    } else if (!esc && c === 0x5b) {
      const chars = new Set<number>();
      let complete = false;
      let prev = -1;
      while (i < r.length) {
        const x = next();
        if (!x.esc && x.c === 0x5d) {
          complete = true;
          break;
        }
        if (!x.esc && x.c === 0x2d) {
          if (prev < 0) throw invalid(input, i, "range character '-' must be preceded by a Unicode character");
          if (i >= r.length) throw invalid(input, i, "range character '-' must be followed by a Unicode character");
          const y = next();
          if (!y.esc && (y.c === 0x5d || y.c === 0x2d)) {
            throw invalid(input, i, "range character '-' cannot be followed by a special symbol");
          }
          if (y.c < prev) {
            throw invalid(
              input,
              i,
              `range is out of order: '${String.fromCodePoint(y.c)}' comes before '${String.fromCodePoint(prev)}' in Unicode`,
            );
          }
          for (let k = prev; k <= y.c; k++) chars.add(k);
          prev = -1;
          continue;
        }
        chars.add(x.c);
        prev = x.c;
      }
      if (!complete) throw invalid(input, i, 'found [ without matching ]');
      tok = { any: false, chars, flag: 0 };
    } else tok = { any: false, chars: new Set([c]), flag: 0 };
    // flag
    if (i < r.length && (r[i] === 0x2b || r[i] === 0x2a)) {
      tok.flag = r[i] === 0x2b ? 1 : 2;
      i++;
      if (i < r.length && (r[i] === 0x2b || r[i] === 0x2a)) {
        throw invalid(input, i + 1, `flag '${String.fromCodePoint(r[i]!)}' must be preceded by a non-flag`);
      }
    }
    toks.push(tok);
  }
  return toks;
}

function overlap(a: Tok, b: Tok): boolean {
  if (a.any || b.any) return !!((a.any || a.chars!.size) && (b.any || b.chars!.size));
  for (const c of a.chars!) if (b.chars!.has(c)) return true;
  return false;
}

/** Expands `x+` into `x x*` so every token is either exactly-one or zero-or-more. */
function normalize(ts: Tok[]): Tok[] {
  const out: Tok[] = [];
  for (const t of ts) {
    if (t.flag === 1) {
      out.push({ ...t, flag: 0 }, { ...t, flag: 2 });
    } else out.push(t);
  }
  return out;
}

export function globsIntersect(g1: string, g2: string): boolean {
  const a = normalize(tokenize(g1));
  const b = normalize(tokenize(g2));
  const seen = new Set<number>();
  const W = b.length + 1;
  const stack: [number, number][] = [[0, 0]];
  while (stack.length) {
    const [i, j] = stack.pop()!;
    const key = i * W + j;
    if (seen.has(key)) continue;
    seen.add(key);
    if (i === a.length && j === b.length) return true;
    const ta = a[i];
    const tb = b[j];
    // epsilon: skip a star token
    if (ta && ta.flag === 2) stack.push([i + 1, j]);
    if (tb && tb.flag === 2) stack.push([i, j + 1]);
    if (ta && tb && overlap(ta, tb)) {
      const ni = ta.flag === 2 ? i : i + 1;
      const nj = tb.flag === 2 ? j : j + 1;
      if (ni !== i || nj !== j) stack.push([ni, nj]);
    }
  }
  return false;
}
