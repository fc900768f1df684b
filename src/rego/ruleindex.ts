// Rule indexing (OPA's, for the equality case): index guards are top-level `input.PATH == CONST`
// literals of a rule body; a node whose rules share a guarded path gets a value → rules table.
import { K, L, type CLit, type CRule, type CTerm, type Guard, type RuleNode } from './ir.js';
import { equal, hashKey } from './value.js';

/** Indexes rules on the input path most of them compare with a constant (worth it from 4 rules). */
export function buildIndex(rules: CRule[]): RuleNode['index'] {
  if (rules.length < 4) return undefined;
  const counts = new Map<string, number>();
  for (const r of rules) {
    const seen = new Set<string>();
    for (const g of r.guards ?? []) {
      const key = JSON.stringify(g.path);
      if (!seen.has(key)) counts.set(key, (counts.get(key) ?? 0) + 1), seen.add(key);
    }
  }
  let best: string | undefined;
  for (const [k, c] of counts) if (c >= 4 && (best === undefined || c > counts.get(best)!)) best = k;
  if (best === undefined) return undefined;
  const path = JSON.parse(best) as string[];
  const guarded = new Map<unknown, CRule[]>();
  const others: CRule[] = [];
  for (const r of rules) {
    const g = r.guards?.find((x) => JSON.stringify(x.path) === best);
    if (!g) {
      others.push(r);
      continue;
    }
    const h = hashKey(g.value);
    let list = guarded.get(h);
    if (!list) guarded.set(h, (list = []));
    list.push(r);
  }
  const byValue = new Map<unknown, CRule[]>();
  for (const [h, list] of guarded) byValue.set(h, [...list, ...others]);
  return { path, slot: -1, byValue, others };
}

/**
 * Rule index guards: top-level body literals `input.a.b == "const"` (or `=`) with a ground
 * input path. A rule whose guard fails against the input cannot succeed, so the evaluator
 * skips it without running the body (OPA's rule indexing, for the common equality case).
 */
export function indexGuards(body: CLit[]): { guards: Guard[]; lead: number } | undefined {
  const out: Guard[] = [];
  // Leading body literals that are exactly guards in `out`: once the guards pass, the body
  // need not check them again (see CRule.guardLits).
  let lead = 0;
  let leading = true;
  for (const l of body) {
    const g = guardOf(l);
    if (!g) {
      leading = false;
      continue;
    }
    // A couple of distinct guards decide most rules; more would repeat the body's own work.
    const known = out.some((x) => equal(x.value, g.value) && x.path.join('\u0000') === g.path.join('\u0000'));
    if (!known && out.length === 2) break;
    if (!known) out.push(g);
    if (leading) lead++;
  }
  return out.length > 0 ? { guards: out, lead } : undefined;
}

/** The guard a literal is (`input.a.b == "const"` with a ground path), or undefined. */
function guardOf(l: CLit): Guard | undefined {
  if (l.l !== L.Expr || l.with.length > 0 || l.capture !== undefined) return undefined;
  const t = l.term;
  if (t.k !== K.Call || t.args.length !== 2) return undefined;
  if (!(t.fn.special === 'eq' || t.fn.name === 'equal')) return undefined;
  let [a, b] = t.args as [CTerm, CTerm];
  if (b.k === K.Input) [a, b] = [b, a];
  if (a.k !== K.Input || b.k !== K.Const) return undefined;
  if (typeof b.v === 'object' && b.v !== null) return undefined;
  if (a.path.length === 0) return undefined;
  const path: string[] = [];
  for (const p of a.path) {
    if (p.k !== K.Const || typeof p.v !== 'string') return undefined;
    path.push(p.v);
  }
  return { path, value: b.v, slot: -1 };
}

/**
 * Numbers the distinct input paths that guards and indexes read (Guard.slot, index.slot) and
 * returns them by slot: the evaluator keeps the input's value at each path for a query.
 */
export function assignGuardSlots(root: RuleNode): string[][] {
  const paths: string[][] = [];
  const slots = new Map<string, number>();
  const slotOf = (path: string[]): number => {
    const key = JSON.stringify(path);
    let s = slots.get(key);
    if (s === undefined) {
      slots.set(key, (s = paths.length));
      paths.push(path);
    }
    return s;
  };
  const rule = (r: CRule | undefined): void => {
    for (; r !== undefined; r = r.elseRule) for (const g of r.guards ?? []) g.slot = slotOf(g.path);
  };
  const visit = (n: RuleNode): void => {
    for (const r of n.rules) rule(r);
    rule(n.defaultRule);
    if (n.index) n.index.slot = slotOf(n.index.path);
    for (const c of n.children.values()) visit(c);
  };
  visit(root);
  return paths;
}
