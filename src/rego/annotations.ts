// `# METADATA` annotations (OPA's rich metadata): a YAML block in comments above a package or
// rule. Parsed into the value `rego.metadata.rule()` / `rego.metadata.chain()` return, with
// OPA's normalisations (scope filled in, authors and related resources as objects).
import { yamlLib } from './lazy.js';
import { type ObjectValue, fromJS, type Value } from './value.js';

export function parseAnnotations(lines: string[], defaultScope: 'package' | 'rule'): Value {
  // Comment text keeps the space after '#'; YAML needs the block dedented consistently.
  const text = lines.map((l) => (l.startsWith(' ') ? l.slice(1) : l)).join('\n');
  const raw = (yamlLib().parse(text) ?? {}) as Record<string, unknown>;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error('annotations must be a YAML mapping');
  const out = fromJS(raw) as ObjectValue;
  if (!out.has('scope')) out.set('scope', defaultScope);
  const authors = raw.authors;
  if (Array.isArray(authors))
    out.set(
      'authors',
      authors.map((a) => fromJS(typeof a === 'string' ? author(a) : a)),
    );
  else if (typeof authors === 'string') out.set('authors', [fromJS(author(authors))]);
  const related = raw.related_resources;
  if (Array.isArray(related))
    out.set(
      'related_resources',
      related.map((r) => fromJS(typeof r === 'string' ? { ref: r } : r)),
    );
  return out;
}

/** "Jane Doe <jane@example.com>" → {name, email}; a bare name or address likewise. */
function author(s: string): Record<string, string> {
  const m = /^(.*?)\s*<([^>]+)>\s*$/.exec(s.trim());
  if (m) return m[1] ? { name: m[1], email: m[2]! } : { email: m[2]! };
  return s.includes('@') && !s.includes(' ') ? { email: s.trim() } : { name: s.trim() };
}
