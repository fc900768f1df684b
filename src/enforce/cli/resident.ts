// The resident judge, caller's side. A hook call is a new process each time, and most of its cost
// is loading the shell parser and the policy, not judging. So the first call that needs judging
// starts a judge process of the caller's own (resident-judge.ts), which keeps them loaded, and
// later calls hand it their question over a Unix socket and print its verdict.
//
// The rules this keeps:
// - Same verdict as judging here. A judge answers only callers whose process it could stand in
//   for: the socket's name is a digest of what the verdict may depend on and a question cannot
//   carry (uid, gid, supplementary groups, capabilities, limits, namespaces, time zone and
//   locale, the build), so a caller that differs in any of them has a
//   judge of its own; the judge checks the caller's process against its own too. The
//   question carries the rest (environment, working directory, umask, pid, the flags as given);
//   the judge takes them on for the question, reads config, policies and user databases afresh,
//   and sends back what the call would have written to stderr.
// - Only the caller's own judge answers. The socket lies in a directory that must be the caller's,
//   a real directory (not a link) that nobody else can enter or write, and its whole path must fit
//   in a socket address (a longer one would be cut short by the kernel, to somewhere else).
// - Never less safe than judging here. A judge that is not there, does not take the question
//   within ACK_TIMEOUT_MS (it takes one at a time), or answers something that is not an answer
//   leaves the question to the local judge; one that has taken it is waited for, within the
//   hook's own deadline. An answer that is an error (a policy that does not load) is that error,
//   as it would be here. A call naming files only its own process can open (/dev/fd/N) is judged
//   here.
// - DOCKGATE_HOOK_RESIDENT=0 turns it off: nothing is started, the call judges on its own.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AskJudge, HookVerdict, ShellQuestion } from './hook.js';

/** A judge that has not taken the question by then is taken for gone. */
const ACK_TIMEOUT_MS = 1_000;
/** An answer is a decision and a reason of a few KiB, and what the call wrote to stderr. */
const MAX_ANSWER = 1024 * 1024;
/** The judge's first byte on each connection: the question is taken. */
export const TAKEN = '+';
/** sockaddr_un's sun_path holds 108 bytes with the final NUL; the judge binds a name 12 bytes longer first. */
const MAX_SOCKET_PATH = 107 - 12;

/** What the caller sends: its question with everything its verdict depends on (see above). */
export interface ResidentRequest {
  question: ShellQuestion;
  values: Record<string, unknown>;
  cwd: string;
  env: Record<string, string | undefined>;
  umask: number;
  pid: number;
}

/** What the judge answers; `unavailable`: ask the local judge (the judge cannot stand in for the caller). */
export type ResidentAnswer =
  | { verdict: HookVerdict; stderr: string }
  | { error: string; stderr: string }
  | { unavailable: string };

const here = dirname(fileURLToPath(import.meta.url));

/** The judge's entry script. */
const JUDGE_SCRIPT = join(here, 'resident-judge.js');

/** Environment variables that shape the judge's process itself: it is started with the caller's. */
function processEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env))
    if (v !== undefined && (k === 'TZ' || k === 'LANG' || k === 'LANGUAGE' || k.startsWith('LC_'))) out[k] = v;
  return out;
}

/** Whether a directory is the caller's alone: a real directory it owns that nobody else can enter. */
function ownPrivateDir(dir: string, uid: number): boolean {
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/** The lines of /proc/PID/status that say what a process may do. */
const CREDENTIALS = /^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):/;

/**
 * What a process's verdict depends on that no question carries: its credentials, capabilities,
 * no_new_privs, seccomp mode, namespaces and limits, from /proc; undefined when they cannot be
 * read. The judge compares a caller's with its own (and their mounts too); the caller's name a judge.
 */
export function processFacts(pid: number | 'self'): string | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .filter((l) => CREDENTIALS.test(l));
    const namespaces = ['mnt', 'net', 'user', 'ipc', 'uts'].map((ns) => readlinkSync(`/proc/${pid}/ns/${ns}`));
    const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
    return JSON.stringify([status, namespaces, limits]);
  } catch {
    return undefined;
  }
}

/** What a judge must share with its callers beyond what a question carries (see above). */
function callerContext(env: Record<string, string | undefined>, uid: number, gid: number): string {
  const st = statSync(JUDGE_SCRIPT);
  const build = [JUDGE_SCRIPT, st.mtimeMs, st.ino, st.size, process.version, process.execPath];
  // Without /proc the judge, which needs it, answers nobody.
  const context = [uid, gid, processFacts('self') ?? 'no /proc', processEnv(env), build];
  return createHash('sha256').update(JSON.stringify(context)).digest('base64url').slice(0, 22);
}

/**
 * The judge's socket for this caller; undefined: there is no safe place for one (turned off, no
 * uid, a directory that is not the caller's alone, which is then left as it is, or a path too long).
 */
export function residentSocket(env: Record<string, string | undefined> = process.env): string | undefined {
  if (env.DOCKGATE_HOOK_RESIDENT === '0') return undefined;
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid === undefined || gid === undefined) return undefined;
  let dir: string;
  if (env.XDG_RUNTIME_DIR?.startsWith('/')) {
    if (!ownPrivateDir(env.XDG_RUNTIME_DIR, uid)) return undefined;
    dir = join(env.XDG_RUNTIME_DIR, 'dockgate');
  } else dir = `/tmp/dockgate-${uid}`;
  const socket = join(dir, `judge-${callerContext(env, uid, gid)}.sock`);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) return undefined;
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    // There already, or not to be made: the check below decides.
  }
  return ownPrivateDir(dir, uid) ? socket : undefined;
}

/**
 * Whether the call names a file only its own process can open: /dev/fd/N, /dev/stderr,
 * /proc/self/... (bash's `<(...)` gives such names), directly or through a link. The judge would
 * open its own.
 */
function namesOwnFiles(values: Record<string, unknown>, env: Record<string, string | undefined>, cwd: string): boolean {
  const paths: unknown[] = [values.config, values['decision-log'], env.DOCKGATE_DECISION_LOG];
  for (const key of ['policy', 'data']) if (Array.isArray(values[key])) paths.push(...(values[key] as unknown[]));
  const processFile = (p: string) => p === '/dev' || p === '/proc' || p.startsWith('/dev/') || p.startsWith('/proc/');
  for (const p of paths) {
    if (typeof p !== 'string' || p === '') continue;
    const path = resolve(cwd, p);
    if (processFile(path)) return true;
    try {
      if (processFile(realpathSync(path))) return true;
    } catch {
      // Not there (or a link that leads nowhere, which could lead to /dev once it runs): judged here.
      if (isLink(path)) return true;
    }
  }
  return false;
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The judge's answer; undefined when it gave none (not there, refused, silent, garbled, gone). */
function ask(socket: string, request: ResidentRequest): Promise<ResidentAnswer | undefined> {
  return new Promise((done) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const conn = net.createConnection({ path: socket });
    const finish = (answer: ResidentAnswer | undefined) => {
      clearTimeout(timer);
      conn.destroy();
      done(answer);
    };
    // Once the question is taken, the hook's own deadline bounds the wait, as it bounds judging here.
    const timer = setTimeout(() => finish(undefined), ACK_TIMEOUT_MS);
    conn.on('error', () => finish(undefined));
    conn.on('data', (chunk: Buffer) => {
      if (size === 0) clearTimeout(timer);
      size += chunk.length;
      if (size > MAX_ANSWER) return finish(undefined);
      chunks.push(chunk);
    });
    conn.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      finish(text.startsWith(TAKEN) ? parseAnswer(text.slice(TAKEN.length)) : undefined);
    });
    conn.end(JSON.stringify(request));
  });
}

function parseAnswer(text: string): ResidentAnswer | undefined {
  try {
    const a = JSON.parse(text) as Record<string, unknown>;
    if (typeof a.unavailable === 'string') return { unavailable: a.unavailable };
    if (typeof a.stderr !== 'string') return undefined;
    if (typeof a.error === 'string') return { error: a.error, stderr: a.stderr };
    const v = a.verdict as Record<string, unknown> | undefined;
    if (
      v !== undefined &&
      typeof v.reason === 'string' &&
      (v.decision === undefined || v.decision === 'deny' || v.decision === 'ask')
    )
      return { verdict: { decision: v.decision, reason: v.reason }, stderr: a.stderr };
  } catch {
    // Not an answer: the local judge answers.
  }
  return undefined;
}

/** Starts this caller's judge, detached: it outlives this call, and this call does not wait for it. */
async function startJudge(socket: string, env: Record<string, string | undefined>): Promise<void> {
  try {
    // Loaded here: the calls a judge answers never start one.
    const [{ spawn }, { closeOnExecAll }] = await Promise.all([
      import('node:child_process'),
      import('./close-on-exec.js'),
    ]);
    closeOnExecAll();
    const child = spawn(process.execPath, [JUDGE_SCRIPT, socket], {
      detached: true,
      stdio: 'ignore',
      cwd: '/',
      // Only what shapes the process itself: each question brings the caller's environment.
      env: processEnv(env),
    });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No judge this time: the next call tries again.
  }
}

/** Asks the caller's resident judge, starting it when there is none; `local` answers whatever it does not. */
export function residentAsk(local: AskJudge, env: Record<string, string | undefined> = process.env): AskJudge {
  return async (question, values) => {
    let socket: string | undefined;
    let cwd: string | undefined;
    try {
      socket = residentSocket(env);
      cwd = process.cwd();
    } catch {
      socket = undefined; // a directory removed under the caller, say: judged here, as without a judge
    }
    if (socket === undefined || cwd === undefined || namesOwnFiles(values, env, cwd)) return local(question, values);
    // process.umask() reads by setting: set it back at once (this process starts no thread that could see it).
    const umask = process.umask(0o022);
    process.umask(umask);
    const answer = await ask(socket, { question, values, cwd, env, umask, pid: process.pid });
    if (answer === undefined) {
      // Started once this call has its verdict: warming up beside it would slow it down.
      try {
        return await local(question, values);
      } finally {
        await startJudge(socket, env);
      }
    }
    if ('unavailable' in answer) return local(question, values);
    if (answer.stderr !== '') process.stderr.write(answer.stderr);
    if ('error' in answer) throw new Error(answer.error);
    return answer.verdict;
  };
}
