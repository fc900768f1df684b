// Shell text → every docker invocation in it, read with a real shell parser (mvdan/sh's GopherJS
// build: synchronous, bash syntax, maintained upstream). Words are expanded as the shell would
// where that is known statically (quotes, escapes, `~`, `$VAR` from the environment or an earlier
// literal assignment); what is not known becomes UNKNOWN, and a docker invocation whose judged
// fields hold it cannot be decided. The command word itself must be known: `$D run` could be
// anything. Strings run by `bash -c`, `sh FILE`, `eval`, `su -c`, `watch`, heredocs fed to a shell,
// and `alias` values are read the same way, a bounded number of levels deep.
import { basename, isAbsolute, resolve } from 'node:path';
import { loadShellParser } from './parser-load.js';

const mvdanSh = loadShellParser();

/** Stands for text that cannot be known before the command runs. */
export const UNKNOWN = '\u0000unknown\u0000';

export interface Invocation {
  /** The words after the program name, as `docker` would receive them (`docker-compose X` → `compose X`). */
  args: string[];
  /** The directory it runs in, or undefined when a `cd` to an unknown place came before. */
  cwd: string | undefined;
  /** Variables set for it (`DOCKER_HOST=... docker`). */
  env: Record<string, string>;
  /** The text of the command, for messages. */
  text: string;
}

export interface ShellScan {
  invocations: Invocation[];
  /** Why some of the text cannot be judged (empty: all of it can). */
  undecidable: string[];
}

export interface ShellOptions {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Reads a script run as `bash FILE` (throws when it cannot). */
  readScript(path: string): string;
}

// biome-ignore lint/suspicious/noExplicitAny: the parser is a GopherJS build that ships no types
type Node = any;

const MAX_DEPTH = 8;
const MAX_TEXT = 256 * 1024;
/** Other languages' interpreters: code they are given that mentions docker may run it. */
const INTERPRETERS = /^(python[0-9.]*|perl|ruby|node|nodejs|deno|bun|php|lua|tclsh|osascript|pwsh|awk|gawk)$/;
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'busybox']);

function sh(): Node {
  return mvdanSh.syntax;
}

export function scanShell(text: string, options: ShellOptions): ShellScan {
  const scan: ShellScan = { invocations: [], undecidable: [] };
  const state: State = { text, cwd: options.cwd, vars: new Map() };
  scanText(text, options, scan, state, 0, 'the command');
  return scan;
}

interface State {
  /** The text being read (positions in the parsed tree point into it). */
  text: string;
  cwd: string | undefined;
  /** Variables the text assigns: their value, or UNKNOWN. */
  vars: Map<string, string>;
}

function scanText(text: string, options: ShellOptions, scan: ShellScan, state: State, depth: number, what: string) {
  if (depth > MAX_DEPTH) {
    scan.undecidable.push(`${what} nests shells more than ${MAX_DEPTH} levels deep`);
    return;
  }
  if (text.length > MAX_TEXT) {
    scan.undecidable.push(`${what} is over ${MAX_TEXT} characters`);
    return;
  }
  const outer = state.text;
  state.text = text;
  try {
    parseAndWalk(text, options, scan, state, depth, what);
  } finally {
    state.text = outer;
  }
}

function parseAndWalk(text: string, options: ShellOptions, scan: ShellScan, state: State, depth: number, what: string) {
  const syntax = sh();
  let file: Node;
  try {
    file = syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(text, 'command');
  } catch (err) {
    const e = err as { message?: string; Error?: () => string };
    scan.undecidable.push(`${what} does not parse as a shell command: ${e.message ?? e.Error?.() ?? String(err)}`);
    return;
  }
  syntax.Walk(file, (node: Node) => {
    if (!node) return true;
    const type = syntax.NodeType(node);
    if (type === 'Stmt') {
      const call = node.Cmd;
      if (call && syntax.NodeType(call) === 'CallExpr') visitCall(call, node, text, options, scan, state, depth);
      return true;
    }
    if (type === 'DeclClause') {
      for (const a of node.Args ?? []) assign(a, state, options);
    }
    return true;
  });
}

function assign(a: Node, state: State, options: ShellOptions) {
  if (!a?.Name) return;
  const value = a.Value ? wordValue(a.Value, state, options) : { text: '', known: true };
  state.vars.set(a.Name.Value, value.known ? value.text : UNKNOWN);
}

function visitCall(
  call: Node,
  stmt: Node,
  text: string,
  options: ShellOptions,
  scan: ShellScan,
  state: State,
  depth: number,
) {
  const source = sliceOf(text, stmt);
  const prefixEnv: Record<string, string> = {};
  if ((call.Args ?? []).length === 0) {
    for (const a of call.Assigns ?? []) assign(a, state, options);
    return;
  }
  for (const a of call.Assigns ?? []) {
    const v = a.Value ? wordValue(a.Value, state, options) : { text: '', known: true };
    prefixEnv[a.Name.Value] = v.known ? v.text : UNKNOWN;
  }
  const words: string[] = [];
  for (const w of call.Args) words.push(...fieldsOf(w, state, options));
  dispatch(words, prefixEnv, stmt, source, options, scan, state, depth);
}

/** What a command line runs, with wrappers (sudo, env, timeout, ...) taken off. */
function dispatch(
  wordsIn: string[],
  prefixEnv: Record<string, string>,
  stmt: Node | undefined,
  source: string,
  options: ShellOptions,
  scan: ShellScan,
  state: State,
  depth: number,
) {
  const words = [...wordsIn];
  const env = { ...prefixEnv };
  for (;;) {
    const first = words[0];
    if (first === undefined) return;
    if (first.includes(UNKNOWN)) {
      scan.undecidable.push(`\`${source}\`: the command's name is only known when it runs`);
      return;
    }
    const name = basename(first);
    const skip = wrapperArgs(name, words, env);
    if (skip === 'stdin-args') {
      // xargs: what it reads from stdin is appended to the command it runs.
      words.splice(0, xargsSkip(words));
      if (words.some((w) => w === '{}' || w.includes('{}')))
        for (let i = 0; i < words.length; i++) words[i] = (words[i] as string).replaceAll('{}', UNKNOWN);
      words.push(UNKNOWN);
      continue;
    }
    if (skip > 0) {
      words.splice(0, skip);
      continue;
    }
    break;
  }
  const name = basename(words[0] as string);
  const args = words.slice(1);
  if (name === 'docker' || name === 'docker.exe' || name === 'com.docker.cli') {
    scan.invocations.push({ args, cwd: state.cwd, env, text: source });
    return;
  }
  if (name === 'docker-compose') {
    scan.invocations.push({ args: ['compose', ...args], cwd: state.cwd, env, text: source });
    return;
  }
  if (name === 'cd') {
    const dir = args.find((a) => !a.startsWith('-'));
    if (dir === undefined) state.cwd = options.env.HOME;
    else if (dir.includes(UNKNOWN) || state.cwd === undefined) state.cwd = undefined;
    else state.cwd = isAbsolute(dir) ? resolve(dir) : resolve(state.cwd, dir);
    return;
  }
  if (name === 'eval') {
    const body = args.join(' ');
    if (body.includes(UNKNOWN)) scan.undecidable.push(`\`${source}\`: eval of text only known when it runs`);
    else scanText(body, options, scan, state, depth + 1, 'the eval');
    return;
  }
  if (name === 'alias') {
    for (const a of args) {
      const i = a.indexOf('=');
      if (i > 0) scanText(a.slice(i + 1), options, scan, { ...state }, depth + 1, `alias ${a.slice(0, i)}`);
    }
    return;
  }
  if (name === 'watch') {
    const rest = args.filter((a, i) => !a.startsWith('-') || i > 0);
    scanText(rest.join(' '), options, scan, state, depth + 1, 'the watched command');
    return;
  }
  if (name === 'su' || name === 'runuser') {
    const i = args.findIndex((a) => a === '-c' || a === '--command');
    if (i >= 0) runString(args[i + 1], source, options, scan, state, depth);
    return;
  }
  if (name === 'find') {
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '-exec' || args[i] === '-execdir' || args[i] === '-ok') {
        let j = i + 1;
        while (j < args.length && args[j] !== ';' && args[j] !== '+') j++;
        const inner = args.slice(i + 1, j).map((w) => w.replaceAll('{}', UNKNOWN));
        dispatch(inner, {}, undefined, source, options, scan, state, depth + 1);
        i = j;
      }
    }
    return;
  }
  if (INTERPRETERS.test(name) && args.some((a) => /docker/i.test(a))) {
    scan.undecidable.push(`\`${source}\`: ${name} code that mentions docker cannot be judged before it runs`);
    return;
  }
  if (SHELLS.has(name)) {
    shellCall(name, args, stmt, source, options, scan, state, depth);
  }
}

function runString(
  body: string | undefined,
  source: string,
  options: ShellOptions,
  scan: ShellScan,
  state: State,
  depth: number,
) {
  if (body === undefined) return;
  if (body.includes(UNKNOWN)) scan.undecidable.push(`\`${source}\`: runs text only known when it runs`);
  else scanText(body, options, scan, { ...state, vars: new Map(state.vars) }, depth + 1, `\`${source}\``);
}

function shellCall(
  name: string,
  argsIn: string[],
  stmt: Node | undefined,
  source: string,
  options: ShellOptions,
  scan: ShellScan,
  state: State,
  depth: number,
) {
  let args = argsIn;
  if (name === 'busybox') {
    if (!SHELLS.has(args[0] ?? '')) return;
    args = args.slice(1);
  }
  let i = 0;
  let command = false;
  let stdin = false;
  while (i < args.length) {
    const a = args[i] as string;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-o' || a === '+o' || a === '-O' || a === '+O' || a === '--rcfile' || a === '--init-file') {
      i += 2;
      continue;
    }
    if (/^-[a-zA-Z]+$/.test(a)) {
      if (a.includes('c')) command = true;
      if (a.includes('s')) stdin = true;
      i++;
      continue;
    }
    if (a.startsWith('--') || a.startsWith('+')) {
      i++;
      continue;
    }
    break;
  }
  if (command) {
    runString(args[i], source, options, scan, state, depth);
    return;
  }
  const script = args[i];
  if (script !== undefined && !stdin) {
    if (script.includes(UNKNOWN) || state.cwd === undefined) {
      scan.undecidable.push(`\`${source}\`: runs a script whose path is only known when it runs`);
      return;
    }
    let text: string;
    try {
      text = options.readScript(isAbsolute(script) ? script : resolve(state.cwd, script));
    } catch (err) {
      scan.undecidable.push(`\`${source}\`: the script ${script} cannot be read (${(err as Error).message})`);
      return;
    }
    scanText(text, options, scan, { ...state, vars: new Map() }, depth + 1, `the script ${script}`);
    return;
  }
  // The shell reads its commands from stdin: a heredoc or here-string can be read, anything else cannot.
  const hereString = (stmt?.Redirs ?? []).find((r: Node) => {
    try {
      return /^<<<$/.test(state.text.slice(r.OpPos.Offset(), r.OpPos.Offset() + 3)) && r.Word;
    } catch {
      return false;
    }
  });
  if (hereString) {
    const body = wordValue(hereString.Word, state, options);
    if (body.known) scanText(body.text, options, scan, state, depth + 1, 'the here-string');
    else scan.undecidable.push(`\`${source}\`: a shell reads a here-string only known when it runs`);
    return;
  }
  const hdoc = (stmt?.Redirs ?? []).find((r: Node) => r.Hdoc);
  if (hdoc) {
    const body = wordValue(hdoc.Hdoc, state, options);
    if (body.known) scanText(body.text, options, scan, state, depth + 1, 'the heredoc');
    else scan.undecidable.push(`\`${source}\`: a shell reads a heredoc that expands text only known when it runs`);
    return;
  }
  scan.undecidable.push(`\`${source}\`: a shell reads its commands from its input, which cannot be read beforehand`);
}

/** sudo's options that take the next word as their value. */
const SUDO_VALUE_OPTIONS = /^-[ugCDhpRrtTU]$|^--(user|group|chdir|host|prompt|role|type|close-from|other-user)$/;
/** env's options that take the next word as their value. */
const ENV_VALUE_OPTIONS = /^-[uCS]$|^--(unset|chdir)$/;

/**
 * Where the command starts after a wrapper's options (those matching `valueOptions` take the next
 * word too) and its NAME=VALUE assignments, which are recorded in `env` (NAME must match `name`).
 * `--` ends the options.
 */
function optionsAndAssignments(
  words: string[],
  env: Record<string, string>,
  valueOptions: RegExp,
  name: RegExp,
): number {
  let i = 1;
  while (i < words.length) {
    const w = words[i] as string;
    if (w === '--') return i + 1;
    if (w.startsWith('-')) {
      i += valueOptions.test(w) ? 2 : 1;
      continue;
    }
    const eq = w.indexOf('=');
    if (eq > 0 && name.test(w.slice(0, eq))) {
      env[w.slice(0, eq)] = w.slice(eq + 1);
      i++;
      continue;
    }
    return i;
  }
  return i;
}

/** How many words a wrapper takes before the command it runs; 0: not a wrapper. */
function wrapperArgs(name: string, words: string[], env: Record<string, string>): number | 'stdin-args' {
  switch (name) {
    case 'sudo':
    case 'doas':
      return optionsAndAssignments(words, env, SUDO_VALUE_OPTIONS, /^[A-Za-z_][A-Za-z0-9_]*$/);
    case 'env':
      return optionsAndAssignments(words, env, ENV_VALUE_OPTIONS, /./);
    case 'nohup':
    case 'exec':
    case 'command':
    case 'builtin':
    case 'time':
    case 'setsid':
    case 'unbuffer':
    case 'caffeinate':
    case 'stdbuf':
    case 'ionice':
    case 'chrt':
    case 'taskset': {
      let i = 1;
      while (i < words.length && (words[i] as string).startsWith('-')) {
        const w = words[i] as string;
        i += /^-[nkscp]$/.test(w) && name !== 'command' && name !== 'exec' ? 2 : 1;
      }
      if ((name === 'chrt' || name === 'taskset') && i < words.length) i++;
      return i;
    }
    case 'nice': {
      let i = 1;
      while (i < words.length && (words[i] as string).startsWith('-')) i += words[i] === '-n' ? 2 : 1;
      return i;
    }
    case 'timeout': {
      let i = 1;
      while (i < words.length && (words[i] as string).startsWith('-'))
        i += /^-(s|k)$|^--(signal|kill-after)$/.test(words[i] as string) ? 2 : 1;
      return i + 1;
    }
    case 'xargs':
      return 'stdin-args';
    default:
      return 0;
  }
}

function xargsSkip(words: string[]): number {
  let i = 1;
  while (i < words.length) {
    const w = words[i] as string;
    if (/^-[aEdIiLlnPs]$/.test(w) || /^--(arg-file|delimiter|max-args|max-procs|max-chars|replace)$/.test(w)) {
      if (w === '-I' || w === '--replace') words[i + 1] = '{}';
      i += 2;
      continue;
    }
    if (w.startsWith('-')) {
      if (w.startsWith('-I') && w.length > 2) words[i] = '';
      i++;
      continue;
    }
    return i;
  }
  return i;
}

function sliceOf(text: string, node: Node): string {
  try {
    const from = node.Pos().Offset();
    const to = node.End().Offset();
    return text.slice(from, to).replace(/\s+/g, ' ').trim().slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}

interface Expanded {
  text: string;
  known: boolean;
}

/** A word's fields: a quoted or literal word is one; an unquoted unknown expansion may be any number. */
function fieldsOf(word: Node, state: State, options: ShellOptions): string[] {
  const v = wordValue(word, state, options);
  return [v.text];
}

function wordValue(word: Node, state: State, options: ShellOptions): Expanded {
  let text = '';
  let known = true;
  const parts = word.Parts ?? [];
  parts.forEach((part: Node, index: number) => {
    const r = partValue(part, state, options, false, index === 0);
    text += r.text;
    known &&= r.known;
  });
  return { text, known };
}

function partValue(part: Node, state: State, options: ShellOptions, quoted: boolean, first: boolean): Expanded {
  const syntax = sh();
  const type = syntax.NodeType(part);
  switch (type) {
    case 'Lit': {
      let value = removeBackslashes(part.Value as string, quoted);
      if (!quoted && first && (value === '~' || value.startsWith('~/'))) {
        const home = options.env.HOME;
        if (home === undefined) return { text: UNKNOWN, known: false };
        value = home + value.slice(1);
      }
      return { text: value, known: true };
    }
    case 'SglQuoted':
      return { text: part.Dollar ? ansiC(part.Value as string) : (part.Value as string), known: true };
    case 'DblQuoted': {
      let text = '';
      let known = true;
      for (const p of part.Parts ?? []) {
        const r = partValue(p, state, options, true, false);
        text += r.text;
        known &&= r.known;
      }
      return { text, known };
    }
    case 'ParamExp': {
      const plain = !part.Exp && !part.Index && !part.Length && !part.Excl && !part.Slice && !part.Repl;
      const name = part.Param?.Value as string;
      if (!plain || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name ?? '')) return { text: UNKNOWN, known: false };
      const assigned = state.vars.get(name);
      if (assigned !== undefined)
        return assigned.includes(UNKNOWN) ? { text: UNKNOWN, known: false } : { text: assigned, known: true };
      const fromEnv = options.env[name];
      if (fromEnv === undefined) return { text: UNKNOWN, known: false };
      // Unquoted, a value with blanks would be split into several words: not followed here.
      if (!quoted && /[\s*?[]/.test(fromEnv)) return { text: UNKNOWN, known: false };
      return { text: fromEnv, known: true };
    }
    default:
      // $(...), `...`, $((...)), <(...): their output is only known when they run (the commands
      // inside them are found and judged on their own by the walk).
      return { text: UNKNOWN, known: false };
  }
}

/** Backslashes as the shell removes them: any character unquoted; only $ ` " \ and newline in double quotes. */
function removeBackslashes(raw: string, quoted: boolean): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === '\\' && i + 1 < raw.length) {
      const n = raw[i + 1] as string;
      if (!quoted || '$`"\\\n'.includes(n)) {
        if (n !== '\n') out += n;
        i++;
        continue;
      }
    }
    out += c;
  }
  return out;
}

/** $'...' strings: the common escapes. */
function ansiC(raw: string): string {
  return raw.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_m, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
    return { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v' }[e] ?? e;
  });
}
