// The resident judge, caller's side. A hook call is a new process each time, and most of its cost
// is loading the shell parser and the policy, not judging. So the first call that needs judging
// starts a judge process of the caller's own (resident-judge.ts), which keeps them loaded, and
// later calls hand it their question over a Unix socket and print its verdict.
//
// The rules this keeps:
// - Same verdict as judging here. The question carries everything the verdict depends on that
//   lives in the caller's process: its environment (HOME, DOCKER_HOST, $VARS in the command, the
//   decision log), its working directory, its pid, and flags with file paths made absolute. The
//   judge reads the config, the policies and the user and group databases afresh for each
//   question, so an edit counts at the next call, as it does without it.
// - Only the caller's own judge answers. The socket lies in a directory that must be the caller's,
//   a real directory (not a link) that nobody else can enter or write; the socket's name carries
//   the caller's gid and a stamp of the build, so a judge of another build or group is never asked.
// - Never less safe than judging here. Whatever goes wrong with the judge (no socket, refused,
//   silent past ASK_TIMEOUT_MS, an answer that is not one) sends the question to the local judge;
//   an answer that is an error (a policy that does not load) is that error, as it would be here.
// - DOCKGATE_HOOK_RESIDENT=0 turns it off: nothing is started, the call judges on its own.
import { lstatSync, mkdirSync, statSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AskJudge, HookVerdict, ShellQuestion } from './hook.js';

/** A judge that has not answered by then is taken for gone; the local judge answers instead. */
const ASK_TIMEOUT_MS = 3_000;
/** An answer is a decision and a reason of at most a few KiB. */
const MAX_ANSWER = 256 * 1024;

/** What the caller sends: its question with everything its verdict depends on (see above). */
export interface ResidentRequest {
  question: ShellQuestion;
  values: Record<string, unknown>;
  cwd: string;
  env: Record<string, string | undefined>;
  pid: number;
}

/** What the judge answers. */
export type ResidentAnswer = { verdict: HookVerdict } | { error: string };

const here = dirname(fileURLToPath(import.meta.url));

/** The judge's entry script. */
export const JUDGE_SCRIPT = join(here, 'resident-judge.js');

/** Whether a directory is the caller's alone: a real directory it owns that nobody else can enter. */
function ownPrivateDir(dir: string, uid: number): boolean {
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/**
 * The judge's socket for this caller; undefined: there is no safe place for one (turned off, no
 * uid, or a directory that is not the caller's alone, which is then left as it is).
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
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    // There already, or not to be made: the check below decides.
  }
  if (!ownPrivateDir(dir, uid)) return undefined;
  return join(dir, `judge-g${gid}-${buildStamp()}.sock`);
}

/** Names this build: a rebuilt or reinstalled dockgate rewrites its judge script, and is asked anew. */
function buildStamp(): string {
  const st = statSync(JUDGE_SCRIPT);
  return `${Math.trunc(st.mtimeMs).toString(36)}${st.ino.toString(36)}${st.size.toString(36)}`;
}

/** Flags naming files, made absolute: the judge runs elsewhere. */
function absolutePaths(values: Record<string, unknown>, cwd: string): Record<string, unknown> {
  const out = { ...values };
  for (const key of ['config', 'decision-log'])
    if (typeof out[key] === 'string') out[key] = resolve(cwd, out[key] as string);
  for (const key of ['policy', 'data'])
    if (Array.isArray(out[key])) out[key] = (out[key] as string[]).map((p) => resolve(cwd, p));
  return out;
}

/** The judge's answer; undefined when it gave none (not there, refused, silent, garbled). */
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
    const timer = setTimeout(() => finish(undefined), ASK_TIMEOUT_MS);
    conn.on('error', () => finish(undefined));
    conn.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ANSWER) return finish(undefined);
      chunks.push(chunk);
    });
    conn.on('end', () => finish(parseAnswer(Buffer.concat(chunks).toString('utf8'))));
    conn.end(JSON.stringify(request));
  });
}

function parseAnswer(text: string): ResidentAnswer | undefined {
  try {
    const a = JSON.parse(text) as Record<string, unknown>;
    if (typeof a.error === 'string') return { error: a.error };
    const v = a.verdict as Record<string, unknown> | undefined;
    if (
      v !== undefined &&
      typeof v.reason === 'string' &&
      (v.decision === undefined || v.decision === 'deny' || v.decision === 'ask')
    )
      return { verdict: { decision: v.decision, reason: v.reason } };
  } catch {
    // Not an answer: the local judge answers.
  }
  return undefined;
}

/** Starts this caller's judge, detached: it outlives this call, and this call does not wait for it. */
async function startJudge(socket: string): Promise<void> {
  try {
    // Loaded here: the calls a judge answers never start one.
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [JUDGE_SCRIPT, socket], {
      detached: true,
      stdio: 'ignore',
      cwd: '/',
      // Its own environment plays no part in a verdict (each question brings the caller's).
      env: {},
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
    try {
      socket = residentSocket(env);
    } catch {
      socket = undefined;
    }
    let cwd: string | undefined;
    try {
      cwd = process.cwd();
    } catch {
      cwd = undefined; // a directory removed under the caller: judged here, as without a judge
    }
    if (socket === undefined || cwd === undefined) return local(question, values);
    // The decision log may be named relative to the caller's directory, in a flag or in the environment.
    const log = env.DOCKGATE_DECISION_LOG;
    const callerEnv = log ? { ...env, DOCKGATE_DECISION_LOG: resolve(cwd, log) } : env;
    const request: ResidentRequest = {
      question,
      values: absolutePaths(values, cwd),
      cwd,
      env: callerEnv,
      pid: process.pid,
    };
    const answer = await ask(socket, request);
    if (answer === undefined) {
      // Started once this call has its verdict: warming up beside it would slow it down.
      try {
        return await local(question, values);
      } finally {
        await startJudge(socket);
      }
    }
    if ('error' in answer) throw new Error(answer.error);
    return answer.verdict;
  };
}
