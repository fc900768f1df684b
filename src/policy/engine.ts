// Loads policies (the built-in pack or --policy files), data and config, and turns an input
// document into a decision. Every enforcement point asks here; none decides itself.
//
// Fail closed: an evaluation error, a timeout, or a decision of an unexpected shape is a deny
// whose reason is kept for the log.
import { readFileSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CompileOptions,
  compile,
  fromJS,
  type ModuleSource,
  ObjectValue,
  Policy,
  SetValue,
  type Snapshot,
  SnapshotError,
  toJS,
  type Value,
} from '../rego/index.js';
import { loadConfig, type Config } from './config.js';
import { CliError, loadPaths } from '../rego/cli/load.js';

export interface PolicyOptions {
  /** Rego files or directories; none means the built-in pack. */
  policies?: string[];
  /** JSON/YAML data files or directories, merged into `data`. */
  data?: string[];
  /** TOML config for the built-in pack (data.dockgate.config). */
  config?: string;
  v0?: boolean;
  /** Settings known only at run time (e.g. daemon.sockets, daemon.data_root), merged into the config. */
  runtimeConfig?: (config: Config) => void;
  /** The rule that allows (default data.docker.authz.allow); the `deny` beside it gives reasons. */
  query?: string;
  /** Evaluation budget per decision. */
  timeoutMs?: number;
  maxSteps?: number;
}

export interface DenyReason {
  rule: string;
  msg: string;
  hint: string;
}

export interface PolicyDecision {
  allow: boolean;
  reasons: DenyReason[];
  /** The message a refused client sees (Docker's error JSON `message`). */
  message: string;
  /** Why evaluation failed, when it did (logged, not shown in full to the client). */
  error?: string;
}

export class PolicyLoadError extends Error {}

/** Where the built-in pack's Rego files live (src/policy/pack, also from dist/). */
export function builtinPackDir(): string {
  // Compiled code runs from <root>/dist/src/policy, sources from <root>/src/policy; the pack stays in the source tree.
  const here = dirname(fileURLToPath(import.meta.url));
  const up2 = join(here, '..', '..');
  const root = basename(up2) === 'dist' ? join(up2, '..') : up2;
  return join(root, 'src', 'policy', 'pack');
}

function compileOptions(builtin: boolean): CompileOptions {
  // OPA's reading of `not f(x.missing)` (the argument is bound first, so the body fails): the
  // same decisions as OPA for policies brought from it, and no rule that fails open on a gap.
  return { opaNegation: true, metadata: !builtin };
}

/**
 * The built-in pack compiled by `npm run build` (src/precompile.ts), beside this file: a short-lived
 * process (a hook call) then neither parses nor compiles Rego. It is used only when it was made
 * from exactly the pack files read now (their names and texts); otherwise the pack is compiled.
 * The syntax trees are in a second file, read only if something asks for them.
 */
function packSnapshotFiles(): { policy: string; modules: string } {
  const here = dirname(fileURLToPath(import.meta.url));
  return { policy: join(here, 'pack.snapshot.json'), modules: join(here, 'pack.modules.json') };
}

function packHash(sources: ModuleSource[]): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(compileOptions(true)));
  for (const s of sources) h.update(JSON.stringify([s.name, s.text]));
  return h.digest('hex');
}

/** What load() reads from a compiled pack without its syntax trees. */
interface PackMeta {
  pack: string;
  hasBuild: boolean;
  hasMutate: boolean;
}

/**
 * The built-in pack read once and kept by a process image that outlives its build (the hook's V8
 * startup snapshot, enforce/cli/bundle.ts): later loads take it, with their own data, as long as
 * the pack files are still those it was compiled from.
 */
let keptPack: { hash: string; policy: Policy; meta: PackMeta } | undefined;

/** Reads the precompiled built-in pack and keeps it for the loads that follow. */
export async function keepBuiltinPack(): Promise<void> {
  const sources = await builtinPackSources();
  const read = await readPackSnapshot(sources, undefined);
  if (read === undefined) throw new PolicyLoadError('the built-in pack has no compiled snapshot: run npm run build');
  keptPack = { hash: packHash(sources), ...read };
}

/** The precompiled pack when it matches `sources`, else undefined (compile them instead). */
export async function readPackSnapshot(
  sources: ModuleSource[],
  data: Value | undefined,
): Promise<{ policy: Policy; meta: PackMeta } | undefined> {
  const files = packSnapshotFiles();
  const hash = packHash(sources);
  if (keptPack?.hash === hash) return { policy: keptPack.policy.withData(data), meta: keptPack.meta };
  let text: string;
  try {
    text = await readFile(files.policy, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const snapshot = JSON.parse(text) as Snapshot;
    const meta = snapshot.meta as PackMeta | undefined;
    if (meta?.pack !== hash) return undefined;
    const modules = (): Snapshot => {
      const m = JSON.parse(readFileSync(files.modules, 'utf8')) as Snapshot;
      if ((m.meta as PackMeta | undefined)?.pack !== hash)
        throw new PolicyLoadError(`${files.modules} is not from the same pack as ${files.policy}: run npm run build`);
      return m;
    };
    return { policy: Policy.fromSnapshot(snapshot, modules, data), meta };
  } catch (err) {
    if (err instanceof SnapshotError || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** The built-in pack's files, as load() reads them. */
export function builtinPackSources(): Promise<ModuleSource[]> {
  return readRegoSources([builtinPackDir()]);
}

/** The built-in pack compiled from `sources` as load() compiles it when there is no snapshot. */
export function compileBuiltinPack(sources: ModuleSource[], data?: Value): Policy {
  return compile(sources, { data, ...compileOptions(true) });
}

/** Compiles the built-in pack as load() does and writes it where load() looks for it; returns the files. */
export async function writePackSnapshot(): Promise<string[]> {
  const sources = await builtinPackSources();
  const policy = compileBuiltinPack(sources);
  const meta: PackMeta = {
    pack: packHash(sources),
    hasBuild: hasBuildPolicy(policy),
    hasMutate: definesMutate(policy),
  };
  const snapshot = policy.snapshot(meta);
  const files = packSnapshotFiles();
  // The trees first: a policy file present means its trees are too.
  await writeFile(files.modules, JSON.stringify(snapshot.modules));
  await writeFile(files.policy, JSON.stringify(snapshot.policy));
  return [files.policy, files.modules];
}

export class PolicyEngine {
  private constructor(
    private readonly policy: Policy,
    readonly config: Config,
    readonly warnings: string[],
    private readonly hasBuildPolicy: boolean,
    /** Some module defines data.dockgate.mutate (asking for it otherwise would evaluate all of data.dockgate). */
    private readonly hasMutate: boolean,
    opts: PolicyOptions,
  ) {
    this.limits = { timeoutMs: opts.timeoutMs ?? 250, maxSteps: opts.maxSteps ?? 5_000_000 };
    if (opts.query !== undefined && opts.query !== DECISION_REFS[0]) {
      const deny = opts.query.endsWith('.allow') ? `${opts.query.slice(0, -'.allow'.length)}.deny` : DECISION_REFS[1]!;
      this.refs = [opts.query, deny];
      this.refsBuild = [...this.refs, DECISION_REFS_BUILD[2]!];
    }
  }

  /** The decision documents asked: allow, deny (and the build policy's allow for builds). */
  private refs: readonly string[] = DECISION_REFS;
  private refsBuild: readonly string[] = DECISION_REFS_BUILD;

  /** The built-in pack was read as `npm run build` compiled it, not compiled from its files. */
  precompiled = false;

  /** The budget of one evaluation: a runaway policy is stopped and the request refused. */
  private readonly limits: { timeoutMs: number; maxSteps: number };

  static async load(opts: PolicyOptions = {}): Promise<PolicyEngine> {
    const config = await loadConfig(opts.config);
    opts.runtimeConfig?.(config);
    const builtin = !opts.policies?.length;
    const sources = await readRegoSources(builtin ? [builtinPackDir()] : (opts.policies as string[]));
    const data = readData(opts.data ?? []);
    const dockgate = data.get('dockgate');
    const dockgateObj = dockgate instanceof ObjectValue ? dockgate.clone() : new ObjectValue();
    dockgateObj.set('config', fromJS(config));
    data.set('dockgate', dockgateObj);
    const precompiled = builtin && !opts.v0 ? await readPackSnapshot(sources, data) : undefined;
    if (precompiled !== undefined) {
      const { policy, meta } = precompiled;
      const engine = new PolicyEngine(policy, config, policy.warnings, meta.hasBuild, meta.hasMutate, opts);
      engine.precompiled = true;
      return engine;
    }
    let policy: Policy;
    try {
      policy = compile(sources, { v0: opts.v0, data, ...compileOptions(builtin) });
    } catch (err) {
      throw new PolicyLoadError((err as Error).message);
    }
    return new PolicyEngine(policy, config, policy.warnings, hasBuildPolicy(policy), definesMutate(policy), opts);
  }

  /** Whether some module defines a rule at `ref` (data.PKG.NAME), e.g. an optional decision. */
  defines(ref: string): boolean {
    const parts = ref.split('.');
    if (parts[0] !== 'data' || parts.length < 3) return false;
    const pkg = parts.slice(1, -1).join('.');
    const name = parts[parts.length - 1];
    return this.policy.modules.some(
      (m) => m.pkg.join('.') === pkg && m.rules.some((r) => r.ref[0]?.type === 'var' && r.ref[0].name === name),
    );
  }

  /** The value of `ref` for `input` within the decision budget; throws on evaluation errors. */
  evaluate(ref: string, inputDoc: Record<string, unknown> | Value): Value | undefined {
    const input = inputDoc instanceof ObjectValue ? inputDoc : fromJS(inputDoc);
    return this.policy.evalRef(ref, input, this.limits);
  }

  /** The same input always gets the same decision (see Policy.deterministic). */
  get deterministic(): boolean {
    return this.policy.deterministic;
  }

  /** Judges one input document. Never throws: errors are a deny. */
  decide(inputDoc: Record<string, unknown> | Value): PolicyDecision {
    const input = inputDoc instanceof ObjectValue ? inputDoc : fromJS(inputDoc);
    const evalOpts = this.limits;
    try {
      // One evaluation for every decision document: rules shared by allow and deny run once.
      const build = this.hasBuildPolicy && isBuild(input);
      const [allow, deny, buildAllow] = this.policy.evalRefs(build ? this.refsBuild : this.refs, input, evalOpts);
      const reasons = readReasons(deny);
      let allowed = allow === true && reasons.length === 0;
      if (allowed && build && buildAllow !== true) {
        allowed = false;
        reasons.push({ rule: 'build', msg: 'the build policy does not allow this build', hint: '' });
      }
      if (allow !== undefined && typeof allow !== 'boolean') {
        return refuse(`policy error: ${this.refs[0]} is ${typeof allow}, not a boolean`, reasons);
      }
      return { allow: allowed, reasons, message: allowed ? '' : formatMessage(reasons) };
    } catch (err) {
      return refuse(`policy evaluation failed: ${(err as Error).message}`, []);
    }
  }

  /**
   * The request body after the policy's `data.dockgate.mutate` (a JSON Patch, RFC 6902), or
   * undefined when the policy asks for no change. Throws MutationError when a change is asked
   * for and cannot be made: the caller must then refuse the request.
   */
  mutatedBody(inputDoc: Record<string, unknown> | Value): Value | undefined {
    if (!this.hasMutate) return undefined;
    const input = inputDoc instanceof ObjectValue ? inputDoc : fromJS(inputDoc);
    const evalOpts = this.limits;
    let ops: Value | undefined;
    try {
      ops = this.policy.evalRef('data.dockgate.mutate', input, evalOpts);
    } catch (err) {
      throw new MutationError(`data.dockgate.mutate failed: ${(err as Error).message}`);
    }
    if (ops === undefined || (Array.isArray(ops) && ops.length === 0)) return undefined;
    if (!Array.isArray(ops)) throw new MutationError('data.dockgate.mutate must be a list of JSON Patch operations');
    let patched: Value | undefined;
    try {
      patched = this.policy
        .eval('x := json.patch(input.Body, data.dockgate.mutate)', { input, strict: true, ...evalOpts })[0]
        ?.bindings.get('x');
    } catch (err) {
      throw new MutationError(`data.dockgate.mutate could not be applied: ${(err as Error).message}`);
    }
    if (patched === undefined) throw new MutationError('data.dockgate.mutate could not be applied to the request body');
    return patched;
  }
}

export class MutationError extends Error {}

function hasBuildPolicy(policy: Policy): boolean {
  return policy.modules.some((m) => m.pkg.join('.') === 'docker.build');
}

/** Whether a rule defines data.dockgate.mutate: `mutate` in package dockgate, or a package at or below it. */
function definesMutate(policy: Policy): boolean {
  return policy.modules.some((m) => {
    const pkg = m.pkg.join('.');
    if (pkg === 'dockgate.mutate' || pkg.startsWith('dockgate.mutate.')) return true;
    return pkg === 'dockgate' && m.rules.some((r) => r.ref[0]?.type === 'var' && r.ref[0].name === 'mutate');
  });
}

const DECISION_REFS = ['data.docker.authz.allow', 'data.docker.authz.deny'];
const DECISION_REFS_BUILD = [...DECISION_REFS, 'data.docker.build.allow'];

function refuse(error: string, reasons: DenyReason[]): PolicyDecision {
  return {
    allow: false,
    reasons,
    message: 'dockgate: request denied: the policy could not be evaluated (see the dockgate log)',
    error,
  };
}

function isBuild(input: Value): boolean {
  const req = input instanceof ObjectValue ? input.get('request') : undefined;
  return req instanceof ObjectValue && req.get('action') === 'image.build';
}

/** `deny` entries: strings, or {rule, msg, hint} objects (any field may be missing). */
function readReasons(v: Value | undefined): DenyReason[] {
  if (v === undefined) return [];
  const items: Value[] = v instanceof SetValue ? [...v.values()] : Array.isArray(v) ? v : [v];
  return items.map((item) => {
    if (typeof item === 'string') return { rule: '', msg: item, hint: '' };
    if (item instanceof ObjectValue) {
      const s = (k: string) => {
        const x = item.get(k);
        return typeof x === 'string' ? x : x === undefined ? '' : JSON.stringify(toJS(x));
      };
      return { rule: s('rule'), msg: s('msg'), hint: s('hint') };
    }
    return { rule: '', msg: JSON.stringify(toJS(item)), hint: '' };
  });
}

/** "dockgate: privileged: <msg> (<hint>)", several joined with "; ". */
export function formatMessage(reasons: DenyReason[]): string {
  if (reasons.length === 0) return 'dockgate: request denied by policy';
  const parts = reasons.map((r) => `${r.rule ? `${r.rule}: ` : ''}${r.msg}${r.hint ? ` (${r.hint})` : ''}`);
  return `dockgate: ${parts.join('; ')}`;
}

async function listFiles(paths: string[], exts: string[]): Promise<{ file: string; base: string }[]> {
  const out: { file: string; base: string }[] = [];
  for (const p of paths) {
    let st: Stats;
    try {
      st = await stat(p);
    } catch (err) {
      throw new PolicyLoadError(`${p}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (st.isDirectory()) {
      for (const entry of (await readdir(p, { recursive: true })).sort()) {
        if (exts.includes(extname(entry))) out.push({ file: join(p, entry), base: p });
      }
    } else {
      out.push({ file: p, base: dirname(p) });
    }
  }
  return out;
}

async function readRegoSources(paths: string[]) {
  const files = await listFiles(paths, ['.rego']);
  if (files.length === 0) throw new PolicyLoadError(`no .rego files in ${paths.join(', ')}`);
  return Promise.all(files.map(async ({ file }) => ({ name: file, text: await readFile(file, 'utf8') })));
}

/**
 * Data files as OPA loads them (`-d`): a file named directly merges at the root, a file in a
 * directory at its folder's path; JSON and YAML read as OPA reads them (src/rego/cli/load.ts).
 * Rego files among them are not policies here: --policy names those.
 */
function readData(paths: string[]): ObjectValue {
  try {
    return loadPaths(paths).data;
  } catch (err) {
    if (err instanceof CliError) throw new PolicyLoadError(err.message);
    throw err;
  }
}
