// Loading policies and documents for the Rego commands, as `opa eval -d` does: .rego files
// are modules; .json/.yaml/.yml files are data, merged at the root when named directly and
// under their directory path when found inside a directory (dir/a/b/data.json → data.a.b).
// Every failure becomes a CliError with a one-line "file:line:col: reason" message.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse as parseYAML, YAMLParseError } from 'yaml';
import { JSONSyntaxError, ObjectValue, RegoError, compile, fromJS, parseJSON, type ModuleSource, type Policy, type Value } from '../index.js';

/** An expected failure of a command: printed as one line, exit code 2. */
export class CliError extends Error {}

export interface Loaded {
  modules: ModuleSource[];
  data: ObjectValue;
}

export function loadPaths(paths: string[]): Loaded {
  const out: Loaded = { modules: [], data: new ObjectValue() };
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new CliError(`${p}: no such file or directory`);
    }
    if (st.isDirectory()) walkDir(p, p, out);
    else loadFile(p, [], out, true);
  }
  return out;
}

function walkDir(root: string, dir: string, out: Loaded): void {
  for (const e of readdirSync(dir).sort()) {
    if (e.startsWith('.')) continue;
    const full = join(dir, e);
    if (statSync(full).isDirectory()) walkDir(root, full, out);
    else {
      const rel = relative(root, dir);
      loadFile(full, rel ? rel.split(sep) : [], out, false);
    }
  }
}

function loadFile(file: string, prefix: string[], out: Loaded, explicit: boolean): void {
  if (file.endsWith('.rego')) {
    out.modules.push({ name: file, text: readText(file) });
    return;
  }
  if (/\.(json|ya?ml)$/.test(file)) {
    const v = readDocument(file);
    if (!(v instanceof ObjectValue)) throw new CliError(`${file}: data document must be an object`);
    mergeAt(out.data, prefix, v, file);
    return;
  }
  if (explicit) throw new CliError(`${file}: unsupported file type (want .rego, .json, .yaml)`);
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/** Reads a JSON or YAML document (by extension) as a Value, with file:line:col on syntax errors. */
export function readDocument(file: string): Value {
  const text = readText(file);
  if (file.endsWith('.json')) {
    try {
      return parseJSON(text);
    } catch (e) {
      if (e instanceof JSONSyntaxError) throw new CliError(`${file}:${e.line}:${e.col}: ${e.reason}`);
      throw e;
    }
  }
  try {
    return fromJS(parseYAML(text, { intAsBigInt: true }));
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const pos = e.linePos?.[0];
      const reason = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      throw new CliError(`${file}:${pos?.line ?? 0}:${pos?.col ?? 0}: ${reason}`);
    }
    throw new CliError(`${file}: ${(e as Error).message}`);
  }
}

function mergeAt(root: ObjectValue, prefix: string[], v: ObjectValue, file: string): void {
  let cur = root;
  for (const p of prefix) {
    let next = cur.get(p);
    if (next === undefined) {
      next = new ObjectValue();
      cur.set(p, next);
    }
    if (!(next instanceof ObjectValue)) throw new CliError(`${file}: data conflicts with another document at ${prefix.join('.')}`);
    cur = next;
  }
  mergeInto(cur, v, file);
}

function mergeInto(dst: ObjectValue, src: ObjectValue, file: string): void {
  for (const [k, x] of src.sortedEntries()) {
    const cur = dst.get(k);
    if (cur instanceof ObjectValue && x instanceof ObjectValue) mergeInto(cur, x, file);
    else if (cur !== undefined) throw new CliError(`${file}: merge error: conflicting value for key ${JSON.stringify(k)}`);
    else dst.set(k, x);
  }
}

/** Compiles loaded modules, turning engine errors into one-line CliErrors; warnings go to stderr. */
export function compileLoaded(l: Loaded, v0: boolean): Policy {
  try {
    const policy = compile(l.modules, { v0, data: l.data });
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
