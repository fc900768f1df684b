// Evaluation traces, as OPA's topdown tracer records them: a rule is entered (Enter), each
// literal of a body is evaluated (Eval) and either fails (Fail) or succeeds, a succeeding rule
// exits (Exit), backtracking goes back into a literal or rule (Redo), and trace() leaves a note
// (Note). Events of one body share a query id; a nested body (a rule, a comprehension, `not`,
// `every`) gets its own id whose parent is the body it runs in, which gives the depth.
//
// The evaluator emits events only when a Tracer is given (EvalOptions.tracer); without one, it
// pays one field check per body, rule and function call. What this file adds on top: OPA's
// filters (--explain notes|fails|full), its pretty table, and its coverage report.
import { eachChild, type Literal, type Loc, type Module, type Rule, type Term } from './ast.js';
import type { CLit } from './ir.js';

export type TraceOp = 'Enter' | 'Exit' | 'Eval' | 'Fail' | 'Redo' | 'Note';

export interface TraceEvent {
  op: TraceOp;
  /** The body the event belongs to; parent: the body that body runs in (0: the query). */
  qid: number;
  parent: number;
  loc: Loc | undefined;
  /** A rule event: the rule's path (`data.pkg.p`), and its head's location in loc. */
  rule?: string;
  /** An expression event: the compiled literal (its loc is the literal's). */
  lit?: CLit;
  /** Enter of a nested body (a comprehension's, `not`'s, `every`'s): its literals. */
  body?: CLit[];
  /** A query-level event written by the caller: the text to show. */
  text?: string;
  /** Note: the trace() message. */
  message?: string;
}

export interface Tracer {
  event(e: TraceEvent): void;
}

/** A tracer that keeps every event. */
export class BufferTracer implements Tracer {
  readonly events: TraceEvent[] = [];
  event(e: TraceEvent): void {
    this.events.push(e);
  }
}

/**
 * OPA's lineage filter: each kept event with the chain of Enter/Redo events of rules and bodies
 * that led to it (the last such event of each enclosing body, outermost first).
 */
export function lineage(trace: readonly TraceEvent[], keep: (e: TraceEvent) => boolean): TraceEvent[] {
  const out: TraceEvent[] = [];
  let byQid = new Map<number, TraceEvent>();
  for (const e of trace) {
    if (keep(e)) {
      const path: TraceEvent[] = [e];
      let cur = byQid.get(e.qid);
      let prev: TraceEvent | undefined;
      while (cur !== undefined && cur !== prev) {
        path.push(cur);
        prev = cur;
        cur = byQid.get(cur.parent);
      }
      for (let i = path.length - 1; i >= 0; i--) out.push(path[i]!);
      byQid = new Map();
    }
    // Enter/Redo of a rule or a body (not of an expression) mark where a body was entered.
    if ((e.op === 'Enter' || e.op === 'Redo') && e.lit === undefined) byQid.set(e.qid, e);
  }
  return out;
}

export type ExplainMode = 'full' | 'notes' | 'fails' | 'debug';

/** The events an --explain mode shows; undefined mode: notes and failures (OPA's -v default). */
export function explainFilter(trace: readonly TraceEvent[], mode: ExplainMode | undefined): TraceEvent[] {
  switch (mode) {
    case 'full':
    case 'debug':
      return [...trace];
    case 'notes':
      return lineage(trace, (e) => e.op === 'Note');
    case 'fails':
      return lineage(trace, (e) => e.op === 'Fail');
    default:
      return lineage(trace, (e) => e.op === 'Note' || e.op === 'Fail');
  }
}

/** Source text by file name, for the text of expressions. */
export type Sources = ReadonlyMap<string, string>;

/**
 * OPA's PrettyTraceWithOpts with locations: a table of "file:row" (padded to the widest plus
 * four) and the event, indented by "| " per level of nesting below the first.
 */
export function prettyTrace(trace: readonly TraceEvent[], sources: Sources): string[] {
  const depths = new Map<number, number>();
  const depthOf = (qid: number, parent: number): number => {
    let d = depths.get(qid);
    if (d === undefined) {
      d = (depths.get(parent) ?? 0) + 1;
      depths.set(qid, d);
    }
    return d;
  };
  const rows: [string, string][] = [];
  let width = 0;
  for (const e of trace) {
    const depth = depthOf(e.qid, e.parent);
    const loc = e.loc === undefined ? '' : `${e.loc.file === '' ? 'query' : e.loc.file}:${e.loc.line}`;
    width = Math.max(width, loc.length);
    // Enter, and Redo of a rule or body, sit at their body's depth; everything else one deeper.
    const spaces = e.op === 'Enter' || (e.op === 'Redo' && e.lit === undefined) ? depth : depth + 1;
    const pad = spaces > 1 ? '| '.repeat(spaces - 1) : '';
    const what =
      e.op === 'Note'
        ? goQuote(e.message ?? '')
        : (e.rule ??
          e.text ??
          (e.body !== undefined ? e.body.map((l) => litText(l.loc, sources)).join('; ') : litText(e.loc, sources)));
    rows.push([loc, `${pad}${e.op} ${what}`]);
  }
  return rows.map(([loc, ev]) => `${loc.padEnd(width + 4)} ${ev}`);
}

/** The source text of a literal: from its location to its end. */
function litText(loc: Loc | undefined, sources: Sources): string {
  if (loc === undefined) return '';
  const src = sources.get(loc.file);
  if (src === undefined) return '';
  let start = 0;
  for (let line = 1; line < loc.line && start >= 0; line++) start = src.indexOf('\n', start) + 1;
  if (start < 0) return '';
  start += loc.col - 1;
  const end = literalEnd(src, start);
  return src.slice(start, end).replace(/\s+/g, ' ').trim();
}

/**
 * Where a literal that starts at `start` ends: at a newline, `;` or an unbalanced closing
 * bracket outside strings and brackets, or at a comment.
 */
function literalEnd(src: string, start: number): number {
  let depth = 0;
  for (let i = start; i < src.length; i++) {
    const c = src[i];
    if (c === '"') {
      for (i++; i < src.length && src[i] !== '"' && src[i] !== '\n'; i++) if (src[i] === '\\') i++;
    } else if (c === '`') {
      const close = src.indexOf('`', i + 1);
      if (close < 0) return src.length;
      i = close;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) return i;
      depth--;
    } else if (depth === 0 && (c === '\n' || c === ';' || c === '#')) return i;
  }
  return src.length;
}

/** Go's %q of a string: double quotes, backslash escapes for quotes, backslashes and controls. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

// ------------------------------------------------------------------------------ coverage

interface Range {
  start: { row: number };
  end: { row: number };
}

export interface FileCoverage {
  covered?: Range[];
  not_covered?: Range[];
  covered_lines?: number;
  not_covered_lines?: number;
  coverage?: number;
}

export interface CoverageReport {
  files: Record<string, FileCoverage>;
  covered_lines: number;
  not_covered_lines: number;
  coverage: number;
}

/**
 * OPA's cover.Cover: a line is covered when a rule whose head is on it exits, or an expression
 * on it is evaluated. Lines of every rule head and expression (except `some` declarations)
 * never reached are not covered.
 */
export class CoverageTracer implements Tracer {
  private readonly hits = new Map<string, Set<number>>();

  event(e: TraceEvent): void {
    if (e.loc === undefined || e.loc.file === '') return;
    if ((e.op === 'Exit' && e.rule !== undefined) || (e.op === 'Eval' && e.lit !== undefined)) {
      let rows = this.hits.get(e.loc.file);
      if (rows === undefined) this.hits.set(e.loc.file, (rows = new Set()));
      rows.add(e.loc.line);
    }
  }

  /** The report over these files: for each, the rows of its rule heads and expressions. */
  report(lines: ReadonlyMap<string, readonly number[]>): CoverageReport {
    const files = new Map<string, FileCoverage>();
    for (const [file, rows] of this.hits) files.set(file, { covered: ranges([...rows]) });
    for (const [file, rows] of lines) {
      const hit = this.hits.get(file);
      const miss = rows.filter((r) => !hit?.has(r));
      const fr = files.get(file) ?? {};
      const nc = ranges(miss);
      if (nc.length > 0) fr.not_covered = nc;
      files.set(file, fr);
    }
    let covered = 0;
    let notCovered = 0;
    const out: Record<string, FileCoverage> = {};
    for (const file of [...files.keys()].sort()) {
      const fr = files.get(file)!;
      const c = lineCount(fr.covered);
      const n = lineCount(fr.not_covered);
      // Go's omitempty: zero counts and an empty list are left out.
      const o: FileCoverage = {};
      if (fr.covered?.length) o.covered = fr.covered;
      if (fr.not_covered?.length) o.not_covered = fr.not_covered;
      if (c) o.covered_lines = c;
      if (n) o.not_covered_lines = n;
      if (c + n > 0 && c > 0) o.coverage = (100 * c) / (c + n);
      out[file] = o;
      covered += c;
      notCovered += n;
    }
    const total = covered + notCovered;
    return {
      files: out,
      covered_lines: covered,
      not_covered_lines: notCovered,
      coverage: total === 0 ? 0 : (100 * covered) / total,
    };
  }
}

/** For each module, the rows coverage counts: rule heads and expressions (not `some` declarations). */
export function coverageRows(modules: readonly Module[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const m of modules) {
    const rows = out.get(m.file) ?? [];
    const term = (t: Term): void => eachChild(t, term, body);
    const body = (lits: Literal[]): void => {
      for (const l of lits) {
        if (l.type === 'some') continue;
        if (l.type === 'somein') {
          term(l.coll);
          continue;
        }
        rows.push(l.loc.line);
        if (l.type === 'expr') term(l.term);
        else {
          term(l.domain);
          body(l.body);
        }
      }
    };
    for (const top of m.rules) {
      for (let r: Rule | undefined = top; r; r = r.elseRule) {
        rows.push(r.loc.line);
        body(r.body);
        term(r.value);
        if (r.key) term(r.key);
      }
    }
    out.set(m.file, rows);
  }
  return out;
}

/** Sorted rows merged into ranges of consecutive rows. */
function ranges(rows: number[]): Range[] {
  const sorted = [...new Set(rows)].sort((a, b) => a - b);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r === last.end.row + 1) last.end = { row: r };
    else out.push({ start: { row: r }, end: { row: r } });
  }
  return out;
}

function lineCount(rs: Range[] | undefined): number {
  let n = 0;
  for (const r of rs ?? []) n += r.end.row - r.start.row + 1;
  return n;
}

/** Several tracers as one. */
export function tee(...tracers: (Tracer | undefined)[]): Tracer | undefined {
  const ts = tracers.filter((t): t is Tracer => t !== undefined);
  if (ts.length <= 1) return ts[0];
  return {
    event: (e) => {
      for (const t of ts) t.event(e);
    },
  };
}
