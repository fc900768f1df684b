// Loading policies and documents for the Rego commands as OPA's loader does (`opa eval -d`,
// `opa test`): .rego files are modules; .json/.yaml/.yml files are data. A document found in a
// directory below a named path is mounted at its directory path (dir/a/b/data.json →
// data.a.b), whatever its type (`[1, 2]` is fine there); only a document that lands at the root
// must be an object. A path may carry a prefix (`x.y:file.json` → data.x.y). `--ignore`
// patterns match file and directory names below the named paths. YAML is read as YAML 1.1
// (yes/no/on/off are booleans, first document only), as OPA's Go YAML library reads it.
// Every failure becomes a CliError with a one-line "file[:line:col]: reason" message.
import { readFileSync, readdirSync, type Stats, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createRequire } from 'node:module';
import type * as YAML from 'yaml';
import {
  JSONSyntaxError,
  ObjectValue,
  RegoError,
  compile,
  fromJS,
  parseModule,
  toJS,
  type ModuleSource,
  type Policy,
  type Value,
} from '../index.js';
import { parseJSONPrefix } from '../json-parse.js';

/** An expected failure of a command: printed as one line, exit code 2. */
export class CliError extends Error {}

export interface Loaded {
  modules: ModuleSource[];
  data: ObjectValue;
}

export interface LoadOptions {
  /** Shell patterns (`*.yaml`, `testdata`): files and directories below a named path whose name matches are skipped. */
  ignore?: string[];
  /** Load .rego files only (opa check's filter): data files are skipped. */
  onlyRego?: boolean;
}

export function loadPaths(paths: string[], opts: LoadOptions = {}): Loaded {
  const out: Loaded = { modules: [], data: new ObjectValue() };
  const modules = new Map<string, ModuleSource>();
  const ignore = (opts.ignore ?? []).map(globRegExp);
  for (const arg of paths) {
    const { prefix, path } = splitPrefix(arg);
    walk(path, prefix, 0, { out, modules, ignore, onlyRego: opts.onlyRego === true });
  }
  // One module per file, as OPA keys modules by path: naming a file twice loads it once.
  out.modules = [...modules.values()];
  return out;
}

interface Walk {
  out: Loaded;
  modules: Map<string, ModuleSource>;
  ignore: RegExp[];
  onlyRego: boolean;
}

/** OPA's `prefix:path` form: `a.b:dir` loads dir's documents under data.a.b (not for URLs). */
export function splitPrefix(arg: string): { prefix: string[]; path: string } {
  const colon = arg.indexOf(':');
  if (colon <= 0 || arg.indexOf('://') === colon) return { prefix: [], path: arg };
  return { prefix: arg.slice(0, colon).split('.'), path: arg.slice(colon + 1) };
}

function walk(path: string, prefix: string[], depth: number, w: Walk): void {
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    throw new CliError(`${path}: no such file or directory`);
  }
  // Patterns apply below the named paths only: a path named on the command line is loaded.
  if (depth >= 1 && w.ignore.some((re) => re.test(basename(path)))) return;
  if (!st.isDirectory()) {
    loadFile(path, prefix, depth, w);
    return;
  }
  const here = depth > 0 ? [...prefix, basename(path)] : prefix;
  for (const e of readdirSync(path).sort()) walk(join(path, e), here, depth + 1, w);
}

function loadFile(file: string, prefix: string[], depth: number, w: Walk): void {
  if (file.endsWith('.rego')) {
    w.modules.set(file, { name: file, text: readText(file) });
    return;
  }
  if (w.onlyRego) return;
  if (/\.(json|ya?ml)$/.test(file)) {
    mergeDocument(w.out.data, prefix, readDocument(file), file);
    return;
  }
  if (file.endsWith('.tar.gz'))
    throw new CliError(`${file}: bundle archives are not supported (pass the bundle's directory with -b)`);
  // Another extension: skipped inside a directory; named on the command line, read as
  // whatever it parses as (Rego, then JSON, then YAML), as OPA does.
  if (depth > 0) return;
  const text = readText(file);
  if (parsesAsRego(text, file)) {
    w.modules.set(file, { name: file, text });
    return;
  }
  let doc: Value;
  try {
    doc = decodeJSON(text, file);
  } catch {
    try {
      doc = decodeYAML(text, file);
    } catch {
      throw new CliError(`${file}: unrecognized file type`);
    }
  }
  mergeDocument(w.out.data, prefix, doc, file);
}

function parsesAsRego(text: string, file: string): boolean {
  for (const v0 of [false, true]) {
    try {
      parseModule(text, file, { v0 });
      return true;
    } catch {
      // next syntax
    }
  }
  return false;
}

/** A shell pattern on a name (Go's filepath.Match): `*`, `?`, `[a-z]`, `[^a]`, `\\x`. */
export function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) throw new CliError(`--ignore ${pattern}: syntax error in pattern`);
      let cls = pattern.slice(i + 1, close);
      if (cls.startsWith('^')) cls = '^' + cls.slice(1).replace(/[\\\]]/g, '\\$&');
      else cls = cls.replace(/[\\\]^]/g, '\\$&');
      re += `[${cls}]`;
      i = close;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, 's');
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(
      `${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
}

/** Reads a JSON or YAML document (by extension) as a Value, with file:line:col on syntax errors. */
export function readDocument(file: string): Value {
  const text = readText(file);
  return file.endsWith('.json') ? decodeJSON(text, file) : decodeYAML(text, file);
}

/**
 * One JSON document as OPA's decoder reads it: the first value, then only whitespace. Go's
 * decoder reads the token after the value, and a trailing `null` decodes to nothing, so OPA
 * (and we) let that one through; anything else after the value is an error.
 */
export function decodeJSON(text: string, file: string): Value {
  try {
    const { value, end } = parseJSONPrefix(text);
    if (end < text.length && !/^null(?![A-Za-z0-9_])/.test(text.slice(end))) {
      throw new CliError(`${file}: invalid character '${text[end]}' after top-level value`);
    }
    return value;
  } catch (e) {
    if (e instanceof JSONSyntaxError) throw new CliError(`${file}:${e.line}:${e.col}: ${e.reason}`);
    throw e;
  }
}

/** The yaml package, loaded on the first YAML document: it costs start-up time when unused. */
let yamlLib: typeof YAML | undefined;
function yaml(): typeof YAML {
  return (yamlLib ??= createRequire(import.meta.url)('yaml') as typeof YAML);
}

/**
 * A YAML file as OPA reads it (sigs.k8s.io/yaml over go-yaml v2): the first document only, YAML
 * 1.1 scalars (yes/no/on/off are booleans, 0755 is octal), timestamps and base-60 numbers as
 * strings, an empty file as null.
 */
export function decodeYAML(text: string, file: string): Value {
  try {
    const { parseAllDocuments } = yaml();
    const docs = parseAllDocuments(text, {
      version: '1.1',
      intAsBigInt: true,
      uniqueKeys: false,
      // go-yaml v2 gives interface{} targets timestamps as strings and has no base-60 numbers.
      customTags: (tags) =>
        tags.filter(
          (t) =>
            typeof t === 'string' ||
            (t.tag !== 'tag:yaml.org,2002:timestamp' && !('format' in t && t.format === 'TIME')),
        ),
    });
    // go-yaml reads the first document of a stream and stops: later ones are not even parsed.
    const doc = Array.isArray(docs) ? docs[0] : undefined;
    if (doc === undefined) return null;
    const err = doc.errors[0];
    if (err) throw err;
    return fromJS(doc.toJS() ?? null);
  } catch (e) {
    if (e instanceof yaml().YAMLParseError) {
      const pos = e.linePos?.[0];
      const reason = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      throw new CliError(`${file}:${pos?.line ?? 0}:${pos?.col ?? 0}: ${reason}`);
    }
    if (e instanceof CliError) throw e;
    throw new CliError(`${file}: ${(e as Error).message}`);
  }
}

/**
 * `-b`: each path is a bundle directory, read as OPA reads bundles: every .rego file is a
 * module; only files named data.json / data.yaml / data.yml are data, mounted at their
 * directory's path inside the bundle; a .manifest may limit the bundle to `roots` (data and
 * packages outside them are an error) and set `rego_version` (0: OPA 0.x syntax).
 */
export function loadBundles(paths: string[], opts: LoadOptions = {}): Loaded {
  const out: Loaded = { modules: [], data: new ObjectValue() };
  const ignore = (opts.ignore ?? []).map(globRegExp);
  for (const root of paths) {
    let st: Stats;
    try {
      st = statSync(root);
    } catch {
      throw new CliError(`${root}: no such file or directory`);
    }
    if (!st.isDirectory())
      throw new CliError(`${root}: bundle archives are not supported (pass the bundle's directory)`);
    const files: { rel: string[]; full: string }[] = [];
    const walkBundle = (dir: string, rel: string[]): void => {
      for (const e of readdirSync(dir).sort()) {
        const full = join(dir, e);
        if (ignore.some((re) => re.test(e))) continue;
        if (statSync(full).isDirectory()) walkBundle(full, [...rel, e]);
        else files.push({ rel: [...rel, e], full });
      }
    };
    walkBundle(root, []);
    const manifestFile = files.find((f) => f.rel.length === 1 && f.rel[0] === '.manifest');
    let roots: string[] | undefined;
    let v0 = false;
    if (manifestFile) {
      const m = decodeJSON(readText(manifestFile.full), manifestFile.full);
      const js = toJS(m) as { roots?: unknown; rego_version?: unknown };
      if (Array.isArray(js.roots)) roots = js.roots.map(String);
      v0 = js.rego_version === 0;
    }
    const allowed = (path: string): boolean =>
      roots === undefined ||
      roots.some((r) => r === '' || path === r || path.startsWith(r + '/') || r.startsWith(path + '/'));
    for (const f of files) {
      const name = f.rel[f.rel.length - 1]!;
      if (name.endsWith('.rego')) {
        const text = readText(f.full);
        if (roots !== undefined) {
          const pkg = /^\s*package\s+([^\s#]+)/m.exec(text)?.[1]?.replace(/\./g, '/');
          if (pkg !== undefined && !roots.some((r) => r === '' || pkg === r || pkg.startsWith(r + '/'))) {
            throw new CliError(
              `${root}: manifest roots ${JSON.stringify(roots)} do not permit 'data.${pkg.replace(/\//g, '.')}' in module '${f.full}'`,
            );
          }
        }
        out.modules.push({ name: f.full, text, v0 });
      } else if (name === 'data.json' || name === 'data.yaml' || name === 'data.yml') {
        const dirPath = f.rel.slice(0, -1);
        if (!allowed(dirPath.join('/')))
          throw new CliError(
            `${root}: manifest roots ${JSON.stringify(roots)} do not permit data at path '/${dirPath.join('/')}' (hint: check bundle directory structure)`,
          );
        mergeDocument(out.data, dirPath, readDocument(f.full), f.full);
      }
    }
  }
  return out;
}

/** OPA's mergeDocument: the value goes at `prefix`; at the root it must be an object. */
function mergeDocument(root: ObjectValue, prefix: string[], v: Value, file: string): void {
  let doc = v;
  for (let i = prefix.length - 1; i >= 0; i--) {
    const o = new ObjectValue();
    o.set(prefix[i]!, doc);
    doc = o;
  }
  if (!(doc instanceof ObjectValue)) throw new CliError(`${file}: bad document type`);
  if (conflicts(root, doc)) throw new CliError(`${file}: merge error`);
  mergeInto(root, doc);
}

/** Two documents conflict where both have a key and either value is not an object. */
function conflicts(a: ObjectValue, b: ObjectValue): boolean {
  for (const [k, x] of b.sortedEntries()) {
    const cur = a.get(k);
    if (cur === undefined) continue;
    if (!(cur instanceof ObjectValue) || !(x instanceof ObjectValue) || conflicts(cur, x)) return true;
  }
  return false;
}

function mergeInto(dst: ObjectValue, src: ObjectValue): void {
  for (const [k, x] of src.sortedEntries()) {
    const cur = dst.get(k);
    if (cur instanceof ObjectValue && x instanceof ObjectValue) mergeInto(cur, x);
    else dst.set(k, x);
  }
}

/** Compiles loaded modules, turning engine errors into one-line CliErrors; warnings go to stderr. */
export function compileLoaded(l: Loaded, v0: boolean, opts: { renameDuplicateTests?: boolean } = {}): Policy {
  try {
    // The Rego commands are OPA's tools: `not` reads as in OPA (see CompileOptions.opaNegation).
    const policy = compile(l.modules, {
      v0,
      data: l.data,
      renameDuplicateTests: opts.renameDuplicateTests,
      opaNegation: true,
    });
    for (const w of policy.warnings) process.stderr.write(`warning: ${w}\n`);
    return policy;
  } catch (e) {
    if (e instanceof RegoError) throw new CliError(e.message);
    throw e;
  }
}

/** Runs a command body: CliError and RegoError become one line on stderr and exit code 2. */
export async function guard(name: string, fn: () => Promise<number> | number): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof CliError || e instanceof RegoError) {
      process.stderr.write(`dockgate ${name}: ${e.message.split('\n')[0]}\n`);
      return 2;
    }
    if (e instanceof RangeError) {
      process.stderr.write(`dockgate ${name}: evaluation too deep (${e.message})\n`);
      return 2;
    }
    throw e;
  }
}
