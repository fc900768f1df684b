// What the classic builder will run for a Dockerfile: instructions with their ARG/ENV
// substitution done, and the base images' ONBUILD triggers put where they run (right after
// their FROM). The policy judges this plan, not the text as written: `ARG U=http://…` then
// `ADD $U` is an ADD from a URL, and so is a trigger `ADD http://…` of the base image.
//
// The rules followed are dockerd 20.10's builder/dockerfile (dispatchers.go, evaluator.go,
// buildargs.go): ARGs before the first FROM are meta args, usable by FROM lines only until a
// stage declares them again; `buildargs` from the query override the defaults of declared ARGs
// (and the proxy variables are always available); ENV of the base image and of earlier
// instructions wins over an ARG of the same name; a stage built FROM an earlier stage starts
// from that stage's environment and runs that stage's own ONBUILD instructions.
import {
  DockerfileSyntaxError,
  parseDockerfile,
  type BaseImageFacts,
  type DockerfileInstruction,
  type ParsedDockerfile,
} from './dockerfile.js';
import { substitute, SubstitutionError, type Substituted } from './shell-lex.js';
import { BuildContextError } from './context-tree.js';

/** What the daemon says about a base image (GET /images/{name}/json). */
export interface ImageFacts {
  env: string[];
  onbuild: string[];
  os: string;
  architecture: string;
  variant: string;
}

/** Looks an image up at the daemon: undefined when it is not there (404); throws when it cannot tell. */
export type ImageLookup = (name: string) => Promise<ImageFacts | undefined>;

export interface BuildPlanOptions {
  /** The `buildargs` query: name → value (null: named on the command line without a value). */
  buildArgs: Record<string, string | null>;
  /** The `platform` query ("" when absent). */
  platform: string;
  lookupImage: ImageLookup;
}

/** Bounds on what one Dockerfile makes dockgate do: look-ups at the daemon and triggers run. */
const MAX_STAGES = 64;
const MAX_TRIGGERS = 256;
const MAX_TRIGGER_BYTES = 64 * 1024;
/**
 * Variables one stage may hold. Each substitution is bounded, but ENV after ENV could still
 * pile up copies; a real Dockerfile stays far below this.
 */
const MAX_STAGE_VARIABLE_BYTES = 1024 * 1024;

/** Always available to substitution when passed as build args, declared or not (buildargs.go). */
const PROXY_ARGS = [
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
];

/** system.DefaultPathEnv("linux"): added to a stage's ENV when its base sets no PATH. */
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Reads the `buildargs` query as dockerd does (a JSON object of strings or nulls). */
export function parseBuildArgsQuery(query: string | undefined): Record<string, string | null> {
  if (query === undefined || query === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(query);
  } catch {
    throw new DockerfileSyntaxError('the buildargs query is not valid JSON');
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new DockerfileSyntaxError('the buildargs query is not a JSON object');
  const out: Record<string, string | null> = Object.create(null) as Record<string, string | null>;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v !== null && typeof v !== 'string') throw new DockerfileSyntaxError(`build arg ${k} is not a string`);
    out[k] = v;
  }
  return out;
}

class BuildArgs {
  /** ARGs declared in the current stage: name → default (null: none). */
  allowed = new Map<string, string | null>();
  constructor(
    private readonly fromOptions: ReadonlyMap<string, string | null>,
    /** ARGs declared before the first FROM. */
    readonly meta: Map<string, string | null>,
  ) {}

  private value(key: string, mapping: ReadonlyMap<string, string | null>): string | undefined {
    const option = this.fromOptions.get(key);
    if (option !== undefined && option !== null) return option;
    const fallback = mapping.get(key);
    if (fallback === undefined || fallback === null) {
      const meta = this.meta.get(key);
      return meta === undefined || meta === null ? undefined : meta;
    }
    return fallback;
  }

  private all(mapping: ReadonlyMap<string, string | null>): Map<string, string> {
    const out = new Map<string, string>();
    for (const key of [...mapping.keys(), ...PROXY_ARGS]) {
      const v = this.value(key, mapping);
      if (v !== undefined) out.set(key, v);
    }
    return out;
  }

  allAllowed(): Map<string, string> {
    return this.all(this.allowed);
  }

  allMeta(): Map<string, string> {
    return this.all(this.meta);
  }
}

interface StageResult {
  env: string[];
  onbuild: string[];
  /** Why this stage's variables are not known exactly (see Stage.unknown). */
  unknown: string | undefined;
}

/** "K=V" → K; an entry without "=" is the whole entry (opts.ConvertKVStringsToMap). */
function envKey(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
}

/** shell.BuildEnvs: later entries replace earlier ones of the same name. */
function envMap(entries: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of entries) {
    const eq = e.indexOf('=');
    if (eq < 0) m.set(e, '');
    else m.set(e.slice(0, eq), e.slice(eq + 1));
  }
  return m;
}

class Stage {
  env: string[] = [];
  onbuild: string[] = [];
  /**
   * Set once an ENV or ARG of the stage (or what it inherits) could not be substituted
   * exactly: dockerd knows values dockgate does not, so from then on no word that reads a
   * variable is substituted here, and its `$` stays for the policy to see.
   */
  unknown: string | undefined;
  constructor(readonly args: BuildArgs) {}

  /** Substitutes one word with this stage's variables. Throws SubstitutionError. */
  substitute(w: string, env: ReadonlyMap<string, string>, escapeToken: string, splitWords = false): Substituted {
    if (this.unknown !== undefined && w.includes('$')) throw new SubstitutionError(this.unknown);
    return substitute(w, env, escapeToken, splitWords);
  }

  /** The variables an instruction of this stage is substituted with (evaluator.go dispatch). */
  substitutionEnv(): Map<string, string> {
    const declared = new Set(this.env.map(envKey));
    const entries = [...this.env];
    for (const [k, v] of this.args.allAllowed()) if (!declared.has(k)) entries.push(`${k}=${v}`);
    return envMap(entries);
  }

  private variableBytes = 0;

  /** Counts what the stage holds; past the bound the Dockerfile is not judged. */
  hold(bytes: number): void {
    this.variableBytes += bytes;
    if (this.variableBytes > MAX_STAGE_VARIABLE_BYTES)
      throw new DockerfileSyntaxError(`the variables of one build stage grow past ${MAX_STAGE_VARIABLE_BYTES} bytes`);
  }

  setEnv(key: string, value: string): void {
    const entry = `${key}=${value}`;
    this.hold(entry.length);
    const at = this.env.findIndex((e) => e.split('=', 1)[0] === key);
    if (at >= 0) this.env[at] = entry;
    else this.env.push(entry);
  }
}

/**
 * The instructions dockerd will run, substituted, with base-image triggers inserted. Throws
 * DockerfileSyntaxError where the builder would refuse the Dockerfile before running anything.
 */
export async function planBuild(parsed: ParsedDockerfile, options: BuildPlanOptions): Promise<ParsedDockerfile> {
  const escapeToken = parsed.escapeToken;
  const fromOptions = new Map(Object.entries(options.buildArgs));
  const meta = new Map<string, string | null>();
  const metaArgs = new BuildArgs(fromOptions, meta);
  const stages = new Map<string, StageResult>();
  const lookups = new Map<string, Promise<ImageFacts | undefined>>();
  const out: DockerfileInstruction[] = [];
  let stage: Stage | undefined;
  let stageName = '';
  let stageCount = 0;
  /** Why the meta args (ARG before the first FROM) are not known exactly, if they are not. */
  let metaUnknown: string | undefined;

  const commit = () => {
    if (stage && stageName !== '') {
      if (stages.has(stageName)) throw new DockerfileSyntaxError(`${stageName} stage name already used`);
      stages.set(stageName, { env: [...stage.env], onbuild: [...stage.onbuild], unknown: stage.unknown });
    }
  };

  for (const original of parsed.instructions) {
    const ins: DockerfileInstruction = { ...original, args: [...original.args], flags: { ...original.flags } };
    if (ins.cmd === 'FROM') {
      commit();
      if (++stageCount > MAX_STAGES) throw new DockerfileSyntaxError(`more than ${MAX_STAGES} build stages`);
      stage = new Stage(new BuildArgs(fromOptions, meta));
      stage.unknown = metaUnknown;
      stageName = ins.args.length === 3 ? ins.args[2]!.toLowerCase() : '';
      const triggers = await beginStage(ins, stage, metaArgs, stages, lookups, options, escapeToken);
      out.push(ins);
      for (const trigger of triggers) {
        // A trigger is parsed on its own (its own directives) but substituted by the stage's
        // lexer, which uses the escape token of the Dockerfile being built.
        dispatch(trigger, stage, escapeToken);
        out.push(trigger.instruction);
      }
      continue;
    }
    if (!stage) {
      if (ins.cmd !== 'ARG') throw new DockerfileSyntaxError(`line ${ins.line}: ${ins.cmd} cannot be used before FROM`);
      expandArg(ins, metaArgs.allAllowed(), escapeToken, metaUnknown);
      if (ins.expand_error)
        metaUnknown ??= `ARG on line ${ins.line} could not be substituted exactly (${ins.expand_error})`;
      for (const [k, v] of argPairs(ins)) {
        metaArgs.allowed.set(k, v);
        meta.set(k, v);
      }
      out.push(ins);
      continue;
    }
    dispatch({ instruction: ins, escape: escapeToken }, stage, escapeToken);
    out.push(ins);
  }
  commit();
  if (stageCount === 0) throw new DockerfileSyntaxError('the Dockerfile has no FROM');
  return { lines: out.map(render), instructions: out, directives: parsed.directives, escapeToken };
}

interface Trigger {
  instruction: DockerfileInstruction;
  escape: string;
}

/** FROM: substitutes the base name with the meta args, finds the base, returns its triggers. */
async function beginStage(
  from: DockerfileInstruction,
  stage: Stage,
  metaArgs: BuildArgs,
  stages: ReadonlyMap<string, StageResult>,
  lookups: Map<string, Promise<ImageFacts | undefined>>,
  options: BuildPlanOptions,
  escapeToken: string,
): Promise<Trigger[]> {
  const metaEnv = metaArgs.allMeta();
  const raw = from.args[0] ?? '';
  let name: string;
  try {
    name = stage.substitute(raw, metaEnv, escapeToken).word;
  } catch (err) {
    from.expand_error = (err as Error).message;
    from.base = {
      name: raw,
      kind: 'unknown',
      found: false,
      problem: `FROM ${raw} cannot be substituted exactly (${(err as Error).message})`,
    };
    stage.env = [DEFAULT_PATH];
    return [];
  }
  if (name !== raw) {
    from.raw_args = [...from.args];
    from.args[0] = name;
  }
  let platform = options.platform;
  if (from.flags.platform !== undefined) {
    try {
      platform = stage.substitute(from.flags.platform, metaEnv, escapeToken).word;
    } catch (_err) {
      from.base = {
        name,
        kind: 'unknown',
        found: false,
        problem: `FROM --platform=${from.flags.platform} cannot be substituted exactly`,
      };
      stage.env = [DEFAULT_PATH];
      return [];
    }
  }
  let base: BaseImageFacts;
  let env: string[] = [];
  let onbuild: string[] = [];
  let source: string;
  const earlier = stages.get(name.toLowerCase());
  if (earlier) {
    base = { name, kind: 'stage', found: true };
    stage.unknown ??= earlier.unknown;
    env = [...earlier.env];
    onbuild = earlier.onbuild;
    source = `stage ${name}`;
  } else if (name === 'scratch') {
    base = { name, kind: 'scratch', found: true };
    source = name;
  } else if (name === '' || !IMAGE_REFERENCE.test(name) || name.includes('..')) {
    base = { name, kind: 'unknown', found: false, problem: `FROM ${JSON.stringify(name)} is not an image reference` };
    source = name;
  } else {
    source = name;
    let facts: ImageFacts | undefined;
    let problem: string | undefined;
    try {
      let pending = lookups.get(name);
      if (!pending) lookups.set(name, (pending = options.lookupImage(name)));
      facts = await pending;
    } catch (err) {
      problem = `the base image ${name} could not be looked up at the daemon: ${(err as Error).message}`;
    }
    if (problem) base = { name, kind: 'image', found: false, problem };
    else if (!facts)
      base = {
        name,
        kind: 'image',
        found: false,
        problem: `the base image ${name} is not present at the daemon, so its ONBUILD triggers cannot be judged`,
      };
    else if (platform !== '' && !platformMatches(platform, facts)) {
      base = {
        name,
        kind: 'image',
        found: false,
        problem: `the base image ${name} at the daemon is ${facts.os}/${facts.architecture}, so dockerd would pull it for platform ${platform}`,
      };
    } else {
      base = { name, kind: 'image', found: true };
      env = facts.env;
      onbuild = facts.onbuild;
    }
  }
  from.base = base;
  stage.env = [...env];
  if (!stage.env.some((e) => envKey(e) === 'PATH')) stage.env.push(DEFAULT_PATH);
  if (onbuild.length > MAX_TRIGGERS)
    throw new DockerfileSyntaxError(`${source} has more than ${MAX_TRIGGERS} ONBUILD triggers`);
  return onbuild.map((text) => trigger(text, from, source));
}

/** An image reference or ID as docker accepts them; anything else would fail the build anyway. */
const IMAGE_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/;

/** Does the local image serve a request for `platform` ("os/arch[/variant]") without a pull? */
function platformMatches(platform: string, facts: ImageFacts): boolean {
  const [os, arch, variant] = platform.toLowerCase().split('/');
  if (os !== facts.os.toLowerCase()) return false;
  if (arch !== undefined && arch !== facts.architecture.toLowerCase()) return false;
  if (variant !== undefined && variant !== facts.variant.toLowerCase()) return false;
  return true;
}

/** One ONBUILD trigger, parsed as the builder parses it when it runs (its own escape directive). */
function trigger(text: string, from: DockerfileInstruction, source: string): Trigger {
  if (Buffer.byteLength(text) > MAX_TRIGGER_BYTES)
    throw new DockerfileSyntaxError(`an ONBUILD trigger of ${source} is longer than ${MAX_TRIGGER_BYTES} bytes`);
  let parsed: ParsedDockerfile;
  try {
    parsed = parseDockerfile(text);
  } catch (err) {
    throw new DockerfileSyntaxError(
      `ONBUILD trigger ${JSON.stringify(text)} of ${source} does not parse: ${(err as Error).message}`,
    );
  }
  if (parsed.instructions.length !== 1)
    throw new DockerfileSyntaxError(`ONBUILD trigger of ${source} should be a single expression`);
  const ins = parsed.instructions[0]!;
  if (ins.cmd === 'ONBUILD' || ins.cmd === 'FROM' || ins.cmd === 'MAINTAINER')
    throw new DockerfileSyntaxError(`${ins.cmd} isn't allowed as an ONBUILD trigger (${source})`);
  return { instruction: { ...ins, line: from.line, onbuild_of: source }, escape: parsed.escapeToken };
}

/** ARG words → [name, default or null], split at the first "=" (instructions/parse.go). */
function argPairs(ins: DockerfileInstruction): [string, string | null][] {
  return ins.args.map((w) => {
    const eq = w.indexOf('=');
    return eq < 0 ? [w, null] : [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/** ARG: name and default are substituted; the words are rewritten as NAME[=VALUE]. */
function expandArg(
  ins: DockerfileInstruction,
  env: ReadonlyMap<string, string>,
  escapeToken: string,
  unknown: string | undefined,
): void {
  const word = (w: string) => {
    if (unknown !== undefined && w.includes('$')) throw new SubstitutionError(unknown);
    return substitute(w, env, escapeToken).word;
  };
  expandEach(ins, (words) =>
    words.map((w) => {
      const eq = w.indexOf('=');
      if (eq < 0) return word(w);
      return `${word(w.slice(0, eq))}=${word(w.slice(eq + 1))}`;
    }),
  );
}

/**
 * Replaces the instruction's args with `expand(args)`; on an error the raw words stay (so a
 * `$` left in them is seen) and the reason is recorded: the builder stops the build there.
 */
function expandEach(ins: DockerfileInstruction, expand: (words: string[]) => string[]): boolean {
  let expanded: string[];
  try {
    expanded = expand(ins.args);
  } catch (err) {
    if (!(err instanceof SubstitutionError)) throw err;
    ins.expand_error = err.message;
    return false;
  }
  if (expanded.length !== ins.args.length || expanded.some((w, i) => w !== ins.args[i])) {
    ins.raw_args = ins.args;
    ins.args = expanded;
  }
  return true;
}

/** Runs one instruction's effect on the stage: substitution, then ENV, ARG and ONBUILD. */
function dispatch(t: Trigger, stage: Stage, escapeToken: string): void {
  const ins = t.instruction;
  const env = stage.substitutionEnv();
  const word = (w: string) => stage.substitute(w, env, escapeToken).word;
  switch (ins.cmd) {
    case 'ADD':
    case 'COPY':
      if (ins.flags.chown !== undefined) {
        try {
          ins.flags.chown = word(ins.flags.chown);
        } catch (err) {
          if (!(err instanceof SubstitutionError)) throw err;
          ins.expand_error = err.message;
          return;
        }
      }
      expandEach(ins, (words) => words.map(word));
      return;
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
    case 'VOLUME':
    case 'LABEL':
      expandEach(ins, (words) => words.map(word));
      return;
    case 'EXPOSE':
      expandEach(ins, (words) => words.flatMap((w) => stage.substitute(w, env, escapeToken, true).words));
      return;
    case 'ENV':
      if (!expandEach(ins, (words) => words.map(word))) {
        stage.unknown ??= `ENV on line ${ins.line} could not be substituted exactly (${ins.expand_error})`;
        return;
      }
      for (let i = 0; i + 1 < ins.args.length; i += 2) stage.setEnv(ins.args[i]!, ins.args[i + 1]!);
      return;
    case 'ARG':
      expandArg(ins, env, escapeToken, stage.unknown);
      if (ins.expand_error) {
        stage.unknown ??= `ARG on line ${ins.line} could not be substituted exactly (${ins.expand_error})`;
        return;
      }
      for (const [k, v] of argPairs(ins)) {
        stage.hold(k.length + (v?.length ?? 0));
        stage.args.allowed.set(k, v);
      }
      return;
    case 'ONBUILD':
      stage.onbuild.push(ins.args[0]!);
      return;
    default:
      return; // RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, MAINTAINER: not substituted by the builder
  }
}

/** The instruction as built: its own text, or keyword, flags and substituted arguments. */
function render(ins: DockerfileInstruction): string {
  if (!ins.raw_args && !ins.onbuild_of) return ins.original;
  const flags = Object.entries(ins.flags).map(([k, v]) => (v === '' ? `--${k}` : `--${k}=${v}`));
  const text = [ins.cmd, ...flags, ...(ins.json ? [JSON.stringify(ins.args)] : ins.args)].join(' ');
  return ins.onbuild_of ? `${text} (ONBUILD of ${ins.onbuild_of})` : text;
}

/**
 * The Dockerfile a build request will run, ready for the policy: parsed as the builder parses
 * it and planned with the request's `buildargs` and `platform` queries and the daemon's images.
 * A Dockerfile the builder would reject before running anything is a BuildContextError.
 */
export async function judgedDockerfile(
  found: { path: string; text: string },
  query: Readonly<Record<string, string>>,
  lookupImage: ImageLookup,
): Promise<ParsedDockerfile & { path: string }> {
  try {
    const parsed = parseDockerfile(found.text);
    const plan = await planBuild(parsed, {
      buildArgs: parseBuildArgsQuery(query.buildargs),
      platform: query.platform ?? '',
      lookupImage,
    });
    return { ...plan, path: found.path };
  } catch (err) {
    if (err instanceof DockerfileSyntaxError)
      throw new BuildContextError(`the Dockerfile ${found.path} cannot be built: ${err.message}`);
    throw err;
  }
}

/** Reads GET /images/{name}/json as the facts a build plan needs. */
export function imageFacts(body: unknown): ImageFacts {
  const b = (body ?? {}) as {
    Config?: { Env?: unknown; OnBuild?: unknown } | null;
    Os?: unknown;
    Architecture?: unknown;
    Variant?: unknown;
  };
  const strings = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
  return {
    env: strings(b.Config?.Env),
    onbuild: strings(b.Config?.OnBuild),
    os: typeof b.Os === 'string' ? b.Os : '',
    architecture: typeof b.Architecture === 'string' ? b.Architecture : '',
    variant: typeof b.Variant === 'string' ? b.Variant : '',
  };
}
