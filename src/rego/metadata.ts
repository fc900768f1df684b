// `# METADATA` annotations gathered by path, for rego.metadata.rule() and rego.metadata.chain(),
// which the compiler turns into constants for the rule being compiled.
import type { Module, Rule } from './ast.js';
import { ObjectValue, type Value } from './value.js';

/** Annotations by path, for rego.metadata.chain(): document-scoped ones per rule path, package ones per package. */
export class Metadata {
  readonly documents = new Map<string, Value[]>();
  readonly packages = new Map<string, { pkg: Value[]; sub: Value[] }>();

  constructor(modules: Module[]) {
    for (const m of modules) {
      const key = JSON.stringify(m.pkg);
      if (m.pkgAnnotations instanceof ObjectValue) {
        const e = this.packages.get(key) ?? { pkg: [], sub: [] };
        (m.pkgAnnotations.get('scope') === 'subpackages' ? e.sub : e.pkg).push(m.pkgAnnotations);
        this.packages.set(key, e);
      }
      for (const r of m.rules) {
        if (r.annotations instanceof ObjectValue && r.annotations.get('scope') === 'document') {
          const k = JSON.stringify(rulePath(r));
          this.documents.set(k, [...(this.documents.get(k) ?? []), r.annotations]);
        }
      }
    }
  }

  /** rego.metadata.rule(): the rule's own rule-scoped annotations, or {}. */
  rule(r: Rule): Value {
    return r.annotations instanceof ObjectValue && r.annotations.get('scope') === 'rule'
      ? r.annotations
      : new ObjectValue();
  }

  /** rego.metadata.chain(): the rule's entry, document annotations, then packages up to the root. */
  chain(r: Rule): Value {
    const path = rulePath(r);
    const entry = (p: Value[], a?: Value): Value => {
      const o = new ObjectValue().set('path', p);
      if (a !== undefined) o.set('annotations', a);
      return o;
    };
    const own =
      r.annotations instanceof ObjectValue && r.annotations.get('scope') === 'rule' ? r.annotations : undefined;
    const out: Value[] = [entry(path, own)];
    for (const a of this.documents.get(JSON.stringify(path)) ?? []) out.push(entry(path, a));
    const pkg = r.module.pkg;
    for (let n = pkg.length; n >= 0; n--) {
      const e = this.packages.get(JSON.stringify(pkg.slice(0, n)));
      if (!e) continue;
      const list = n === pkg.length ? [...e.pkg, ...e.sub] : e.sub;
      for (const a of list) out.push(entry(pkg.slice(0, n), a));
    }
    return out;
  }
}

function rulePath(r: Rule): Value[] {
  const out: Value[] = [...r.module.pkg];
  for (const t of r.ref) {
    if (t.type === 'var' && out.length === r.module.pkg.length) out.push(t.name);
    else if (t.type === 'scalar') out.push(t.value);
    else break;
  }
  return out;
}
