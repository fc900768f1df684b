// A small subset of Go's text/template for strings.render_template: text, {{- -}} trimming,
// comments, field/variable/literal operands, if/else/range/with/end, and the functions
// len, index, eq, ne, lt, le, gt, ge, not, and, or, print, printf.
import { BigNum, ObjectValue, SetValue, compare, equal, formatNumber, type Value } from '../value.js';
import { goSprintf } from './sprintf.js';

type Node =
  | { k: 'text'; s: string }
  | { k: 'out'; p: Cmd[] }
  | { k: 'if'; p: Cmd[]; then: Node[]; else: Node[] }
  | { k: 'with'; p: Cmd[]; then: Node[]; else: Node[] }
  | { k: 'range'; vars: string[]; p: Cmd[]; body: Node[]; else: Node[] }
  | { k: 'set'; name: string; p: Cmd[] };

type Arg =
  | { k: 'field'; base: string | null; path: string[] } // base null = dot, else $var
  | { k: 'lit'; v: TVal }
  | { k: 'fn'; name: string }
  | { k: 'sub'; p: Cmd[] };
type Cmd = Arg[];

/** Template values: Rego values plus `undefined` for a missing key. */
type TVal = Value | undefined;

const MISSING = '<undefined>';

export function renderTemplate(src: string, vars: ObjectValue): string {
  const tokens = lex(src);
  let pos = 0;
  function parseList(stop: string[]): { nodes: Node[]; end: string; rest: string } {
    const nodes: Node[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos++]!;
      if (t.text !== undefined) {
        nodes.push({ k: 'text', s: t.text });
        continue;
      }
      const a = t.action!;
      const word = /^(\w+)\b\s*(.*)$/s.exec(a);
      const kw = word?.[1];
      if (kw && stop.includes(kw)) return { nodes, end: kw, rest: word![2]! };
      if (kw === 'if' || kw === 'with') {
        nodes.push(parseIf(kw, word![2]!));
      } else if (kw === 'range') {
        let rest = word![2]!;
        let vs: string[] = [];
        const m = /^((?:\$\w*\s*,\s*)?\$\w*)\s*:?=\s*(.*)$/s.exec(rest);
        if (m) {
          vs = m[1]!.split(',').map((x) => x.trim());
          rest = m[2]!;
        }
        const p = parsePipeline(rest);
        const body = parseList(['else', 'end']);
        const els = body.end === 'else' ? parseList(['end']).nodes : [];
        nodes.push({ k: 'range', vars: vs, p, body: body.nodes, else: els });
      } else if (kw === 'end' || kw === 'else') {
        throw new Error(`template: unexpected {{${kw}}}`);
      } else {
        const m = /^(\$\w*)\s*:?=\s*(.*)$/s.exec(a);
        if (m) nodes.push({ k: 'set', name: m[1]!, p: parsePipeline(m[2]!) });
        else nodes.push({ k: 'out', p: parsePipeline(a) });
      }
    }
    if (stop.length) throw new Error('template: unexpected EOF');
    return { nodes, end: '', rest: '' };
  }
  function parseIf(kw: 'if' | 'with', cond: string): Node {
    const p = parsePipeline(cond);
    const body = parseList(['else', 'end']);
    let els: Node[] = [];
    if (body.end === 'else') {
      const m = /^(if|with)\b\s*(.*)$/s.exec(body.rest);
      els = m ? [parseIf(m[1] as 'if' | 'with', m[2]!)] : parseList(['end']).nodes;
    }
    // biome-ignore lint/suspicious/noThenProperty: a template node's branch (Go's text/template field name), never awaited
    return { k: kw, p, then: body.nodes, else: els };
  }
  const root = parseList([]).nodes;
  const out: string[] = [];
  const scope = new Map<string, TVal>([['$', vars]]);
  exec(root, vars, scope, out);
  return out.join('');
}

interface Tok {
  text?: string;
  action?: string;
}

function lex(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      toks.push({ text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let j = open + 2;
    if (src.startsWith('- ', j) || src.startsWith('-\t', j) || src.startsWith('-\n', j)) {
      text = text.replace(/\s+$/, '');
      j += 1;
    }
    if (text) toks.push({ text });
    const close = findClose(src, j);
    if (close < 0) throw new Error('template: unclosed action');
    let inner = src.slice(j, close);
    let after = close + 2;
    if (/\s-$/.test(inner)) {
      inner = inner.slice(0, -1);
      const m = /^\s*/.exec(src.slice(after))!;
      after += m[0].length;
    }
    inner = inner.trim();
    if (!inner.startsWith('/*')) toks.push({ action: inner });
    i = after;
  }
  return toks;
}

function findClose(src: string, from: number): number {
  let q: string | null = null;
  for (let i = from; i < src.length; i++) {
    const c = src[i];
    if (q) {
      if (c === '\\' && q === '"') i++;
      else if (c === q) q = null;
    } else if (c === '"' || c === '`') q = c;
    else if (c === '}' && src[i + 1] === '}') return i;
  }
  return -1;
}

function parsePipeline(s: string): Cmd[] {
  const cmds: Cmd[] = [];
  let cur: Arg[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '|') {
      cmds.push(cur);
      cur = [];
      i++;
      continue;
    }
    if (c === '(') {
      let depth = 1;
      let j = i + 1;
      for (; j < s.length && depth > 0; j++) {
        if (s[j] === '(') depth++;
        else if (s[j] === ')') depth--;
      }
      cur.push({ k: 'sub', p: parsePipeline(s.slice(i + 1, j - 1)) });
      i = j;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      cur.push({ k: 'lit', v: JSON.parse(s.slice(i, j + 1)) as string });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = s.indexOf('`', i + 1);
      cur.push({ k: 'lit', v: s.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    const m = /^[^\s|()]+/.exec(s.slice(i))!;
    const w = m[0];
    i += w.length;
    if (w.startsWith('.') || w.startsWith('$')) {
      const parts = w.split('.');
      const base = w.startsWith('$') ? parts.shift()! : null;
      if (base === null) parts.shift();
      cur.push({ k: 'field', base, path: parts.filter((p) => p !== '') });
    } else if (w === 'true' || w === 'false') cur.push({ k: 'lit', v: w === 'true' });
    else if (w === 'nil') cur.push({ k: 'lit', v: null });
    else if (/^[-+]?\d/.test(w)) cur.push({ k: 'lit', v: Number(w) });
    else cur.push({ k: 'fn', name: w });
  }
  if (cur.length) cmds.push(cur);
  return cmds;
}

function field(v: TVal, path: string[]): TVal {
  for (const p of path) {
    if (v instanceof ObjectValue) v = v.get(p);
    else return undefined;
  }
  return v;
}

function evalArg(a: Arg, dot: TVal, scope: Map<string, TVal>): TVal {
  switch (a.k) {
    case 'lit':
      return a.v;
    case 'field': {
      const base =
        a.base === null ? dot : scope.has(a.base) ? scope.get(a.base) : fail(`undefined variable "${a.base}"`);
      return field(base, a.path);
    }
    case 'sub':
      return evalPipeline(a.p, dot, scope);
    case 'fn':
      return callFn(a.name, [], dot);
  }
}

function fail(msg: string): never {
  throw new Error('template: ' + msg);
}

function evalPipeline(p: Cmd[], dot: TVal, scope: Map<string, TVal>): TVal {
  let prev: TVal | typeof NONE = NONE;
  for (const cmd of p) {
    const first = cmd[0];
    if (!first) fail('empty command');
    if (first.k === 'fn') {
      const args = cmd.slice(1).map((x) => evalArg(x, dot, scope));
      if (prev !== NONE) args.push(prev as TVal);
      prev = callFn(first.name, args, dot);
    } else {
      if (cmd.length > 1) fail("can't give argument to non-function");
      prev = evalArg(first, dot, scope);
    }
  }
  return prev === NONE ? undefined : (prev as TVal);
}
const NONE = Symbol('none');

function truthy(v: TVal): boolean {
  if (v === undefined || v === null || v === false) return false;
  if (v === true) return true;
  if (typeof v === 'number') return v !== 0;
  if (v instanceof BigNum) return v.n !== 0n;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  return (v as ObjectValue | SetValue).size > 0;
}

function callFn(name: string, args: TVal[], dot: TVal): TVal {
  void dot;
  switch (name) {
    case 'not':
      return !truthy(args[0]);
    case 'and': {
      let last: TVal = true;
      for (const a of args) {
        last = a;
        if (!truthy(a)) return a;
      }
      return last;
    }
    case 'or': {
      let last: TVal = false;
      for (const a of args) {
        last = a;
        if (truthy(a)) return a;
      }
      return last;
    }
    case 'len': {
      const v = args[0];
      if (typeof v === 'string') return Buffer.byteLength(v);
      if (Array.isArray(v)) return v.length;
      if (v instanceof ObjectValue || v instanceof SetValue) return v.size;
      return fail(`len of ${String(v)}`);
    }
    case 'index': {
      let v = args[0];
      for (const k of args.slice(1)) {
        if (Array.isArray(v) && typeof k === 'number') v = v[k];
        else if (v instanceof ObjectValue && k !== undefined) v = v.get(k);
        else return undefined;
      }
      return v;
    }
    case 'eq':
      return args.slice(1).some((b) => args[0] !== undefined && b !== undefined && equal(args[0], b));
    case 'ne':
      return !(args[0] !== undefined && args[1] !== undefined && equal(args[0], args[1]));
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge': {
      if (args[0] === undefined || args[1] === undefined) fail('incompatible types for comparison');
      const c = compare(args[0], args[1]);
      return name === 'lt' ? c < 0 : name === 'le' ? c <= 0 : name === 'gt' ? c > 0 : c >= 0;
    }
    case 'print':
      return args.map(show).join('');
    case 'println':
      return args.map(show).join(' ') + '\n';
    case 'printf':
      return goSprintf(
        String(args[0]),
        args.slice(1).map((a) => (a === undefined ? MISSING : a)),
      );
  }
  return fail(`function "${name}" not defined`);
}

function show(v: TVal): string {
  if (v === undefined) return MISSING;
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number' || v instanceof BigNum) return formatNumber(v);
  if (Array.isArray(v)) return '[' + v.map(show).join(' ') + ']';
  if (v instanceof SetValue) return '[' + v.sorted().map(show).join(' ') + ']';
  return (
    'map[' +
    v
      .sortedEntries()
      .map(([k, x]) => show(k) + ':' + show(x))
      .join(' ') +
    ']'
  );
}

function exec(nodes: Node[], dot: TVal, scope: Map<string, TVal>, out: string[]): void {
  for (const n of nodes) {
    switch (n.k) {
      case 'text':
        out.push(n.s);
        break;
      case 'out':
        out.push(show(evalPipeline(n.p, dot, scope)));
        break;
      case 'set':
        scope.set(n.name, evalPipeline(n.p, dot, scope));
        break;
      case 'if': {
        const v = evalPipeline(n.p, dot, scope);
        exec(truthy(v) ? n.then : n.else, dot, new Map(scope), out);
        break;
      }
      case 'with': {
        const v = evalPipeline(n.p, dot, scope);
        if (truthy(v)) exec(n.then, v, new Map(scope), out);
        else exec(n.else, dot, new Map(scope), out);
        break;
      }
      case 'range': {
        const v = evalPipeline(n.p, dot, scope);
        let entries: [TVal, TVal][] = [];
        if (Array.isArray(v)) entries = v.map((x, i) => [i, x]);
        else if (v instanceof SetValue) entries = v.sorted().map((x, i) => [i, x]);
        else if (v instanceof ObjectValue) entries = v.sortedEntries().map(([k, x]) => [k, x]);
        else if (typeof v === 'number')
          entries = Array.from({ length: Math.min(Math.max(0, v), 1_000_000) }, (_, i) => [i, i]);
        else if (v !== undefined && v !== null) fail(`range can't iterate over ${show(v)}`);
        if (entries.length === 0) {
          exec(n.else, dot, new Map(scope), out);
          break;
        }
        for (const [k, x] of entries) {
          const s = new Map(scope);
          if (n.vars.length === 1) s.set(n.vars[0]!, x);
          else if (n.vars.length === 2) {
            s.set(n.vars[0]!, k);
            s.set(n.vars[1]!, x);
          }
          exec(n.body, x, s, out);
        }
        break;
      }
    }
  }
}
