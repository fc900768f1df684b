// What each rule of a policy pack checks, why it matters and how to do without what it refuses:
// the text of `dockgate policy list` and `dockgate policy explain RULE`, read from the package
// `# METADATA` of the pack's rule files (OPA's annotation format).
//
// A rule is a package dockgate.rules.NAME; its id (the config key [rules.ID], the `rule` of its
// deny reasons) is NAME with "-" for "_". Its METADATA gives:
//   title         one line for `policy list`
//   description   what it checks
//   custom.why    why it matters
//   custom.fix    how to do without what it refuses
//   custom.order  its place in `policy list`
//   custom.config its config table with the defaults (`enabled`: on by default)
// custom.fix is the rule's advice as a whole; the hint of each refusal, advice for that one
// case, stays beside the refusal in the rule's Rego. Neither text is kept anywhere else.
//
// The catalog is read when asked for, not at start-up: parsing METADATA loads a YAML parser that
// a proxy judging requests does not need.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ObjectValue, parseModule, toJS } from '../rego/index.js';
import type { ConfigValue } from './config.js';
import { builtinPackDir } from './engine.js';

export interface RuleInfo {
  id: string;
  /** One line for `policy list`. */
  summary: string;
  /** Default state; optional rules are switched on in the config. */
  defaultOn: boolean;
  checks: string;
  why: string;
  fix: string;
  /** The rule's config table with its defaults, `enabled` among them. */
  config: { [key: string]: ConfigValue };
}

/** The package prefix of rules: dockgate.rules.NAME. */
const RULE_PACKAGE = ['dockgate', 'rules'] as const;

/** A rule's id from the last segment of its package: run_as_caller → run-as-caller. */
export function ruleId(packageName: string): string {
  return packageName.replaceAll('_', '-');
}

export class CatalogError extends Error {}

/** The rules of the pack in `dir` (its .rego files, subdirectories included), in list order. */
export function readCatalog(dir: string): RuleInfo[] {
  const found: { rule: RuleInfo; order: number }[] = [];
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    if (!name.endsWith('.rego')) continue;
    const file = join(dir, name);
    const mod = parseModule(readFileSync(file, 'utf8'), file);
    const pkg = mod.pkg;
    if (pkg.length !== RULE_PACKAGE.length + 1 || RULE_PACKAGE.some((p, i) => pkg[i] !== p)) continue;
    found.push(ruleFromMetadata(file, ruleId(pkg[RULE_PACKAGE.length]!), mod.pkgAnnotations));
  }
  const ids = new Set<string>();
  for (const { rule } of found) {
    if (ids.has(rule.id)) throw new CatalogError(`${dir}: two rule files describe ${rule.id}`);
    ids.add(rule.id);
  }
  return found.sort((a, b) => a.order - b.order || a.rule.id.localeCompare(b.rule.id)).map((f) => f.rule);
}

function ruleFromMetadata(file: string, id: string, annotations: unknown): { rule: RuleInfo; order: number } {
  const meta = annotations instanceof ObjectValue ? (toJS(annotations) as Record<string, unknown>) : undefined;
  if (!meta) throw new CatalogError(`${file}: rule ${id} has no package METADATA`);
  const custom = meta.custom;
  if (typeof custom !== 'object' || custom === null || Array.isArray(custom))
    throw new CatalogError(`${file}: rule ${id}: METADATA custom must be a mapping`);
  const c = custom as Record<string, unknown>;
  const text = (where: Record<string, unknown>, key: string, name: string): string => {
    const v = where[key];
    if (typeof v !== 'string' || v === '') throw new CatalogError(`${file}: rule ${id}: METADATA ${name} must be text`);
    return v;
  };
  const config = c.config;
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new CatalogError(`${file}: rule ${id}: METADATA custom.config must be a mapping`);
  const enabled = (config as Record<string, unknown>).enabled;
  if (typeof enabled !== 'boolean')
    throw new CatalogError(`${file}: rule ${id}: METADATA custom.config.enabled must be true or false`);
  const order = c.order;
  if (typeof order !== 'number') throw new CatalogError(`${file}: rule ${id}: METADATA custom.order must be a number`);
  return {
    order,
    rule: {
      id,
      summary: text(meta, 'title', 'title'),
      defaultOn: enabled,
      checks: text(meta, 'description', 'description'),
      why: text(c, 'why', 'custom.why'),
      fix: text(c, 'fix', 'custom.fix'),
      config: config as { [key: string]: ConfigValue },
    },
  };
}

/** The built-in pack's rules, read from its files on first use. */
class BuiltinCatalog {
  private rules: readonly RuleInfo[] | undefined;

  list(): readonly RuleInfo[] {
    this.rules ??= readCatalog(builtinPackDir());
    return this.rules;
  }
}

export const RULES = new BuiltinCatalog();

/** A rule of the built-in pack by id. */
export function findRule(id: string): RuleInfo | undefined {
  return RULES.list().find((r) => r.id === id);
}
