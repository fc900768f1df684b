// The resident judge, judge's side: `node resident-judge.js SOCKET`, started detached by a hook
// call (resident.ts says why and what it keeps). It loads the shell parser and the built-in pack
// once, judges a few commands so that their code is compiled, and only then takes the socket, so
// a caller never waits on a judge that is still starting.
//
// - A question is judged as the hook judges it in its own process: the same judgeQuestion, in the
//   caller's directory, with its umask, environment and pid, the user databases read afresh, and
//   what the call would write to stderr sent back to it. Those are this process's own state, so
//   questions are judged one at a time, and the state is put back after each.
// - A question is judged only for a caller this process can stand in for: the kernel names the
//   caller's process (SO_PEERCRED), and its credentials, capabilities, limits, namespaces and view
//   of the mounts (/proc/PID/{status,limits,ns,mountinfo}; the last is seen from its root, so a
//   chroot shows) must be this process's own; otherwise the caller judges on its own.
// - A caller is told its question is taken (TAKEN) when its judging starts: one queued behind a
//   slow question hears nothing, and judges on its own instead of waiting.
// - The socket is made under a name of its own and renamed into place, so that of two judges
//   started at once the later one holds the name; a judge whose name is gone or taken by another
//   stops (checked every CHECK_MS), as it does after IDLE_MS without a question.
import { lstatSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keepBuiltinPack } from '../../policy/engine.js';
import { clearUserCache, identityFromUnixSocket } from '../../tenancy/index.js';
import { loadGuard, readScript, reasonText } from './command.js';
import type { GuardPoint } from './decision-log.js';
import { currentIdentity } from './guard.js';
import { exitNow, judgeQuestion } from './hook.js';
import { warmHook } from './hook-entry.js';
import { processFacts, type ResidentAnswer, type ResidentRequest, TAKEN } from './resident.js';

/** A judge nobody has asked for this long stops. */
const IDLE_MS = 10 * 60_000;
/** How often the judge looks whether its socket is still its own. */
const CHECK_MS = 5_000;
/** A question is a command of at most 1 MiB (the hook's input limit) and an environment. */
const MAX_REQUEST = 4 * 1024 * 1024;
/** Where the judge stands between questions: a directory it holds does not keep a mount busy. */
const HOME_DIR = '/';

function isRequest(r: unknown): r is ResidentRequest {
  if (r === null || typeof r !== 'object') return false;
  const q = r as Record<string, unknown>;
  const question = q.question as Record<string, unknown> | null | undefined;
  return (
    typeof question === 'object' &&
    question !== null &&
    typeof question.command === 'string' &&
    (question.cwd === undefined || typeof question.cwd === 'string') &&
    typeof q.values === 'object' &&
    q.values !== null &&
    typeof q.cwd === 'string' &&
    typeof q.env === 'object' &&
    q.env !== null &&
    Number.isInteger(q.umask) &&
    typeof q.pid === 'number'
  );
}

/** Runs `work` with stderr written to a string instead, returned beside its result. */
async function capturingStderr<T>(work: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  const write = process.stderr.write;
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stderr.write;
  try {
    return { result: await work(), stderr };
  } finally {
    process.stderr.write = write;
  }
}

/** What a process's verdict depends on beyond its question (resident.ts), and its mounts as seen from its root. */
function processView(pid: number | 'self'): string | undefined {
  const facts = processFacts(pid);
  if (facts === undefined) return undefined;
  try {
    return JSON.stringify([facts, readFileSync(`/proc/${pid}/mountinfo`, 'utf8')]);
  } catch {
    return undefined;
  }
}

/** Why this process cannot stand in for the caller at the other end of `conn`; undefined: it can. */
function unlike(conn: net.Socket): string | undefined {
  const peer = identityFromUnixSocket(conn);
  if (peer === null || !peer.pid) return 'the caller is not known by its process';
  if (peer.uid !== process.getuid?.()) return 'the caller is another user';
  const theirs = processView(peer.pid);
  if (theirs === undefined || theirs !== processView('self'))
    return "the caller's credentials, limits, namespaces or mounts are not the judge's";
  return undefined;
}

async function judge(request: ResidentRequest): Promise<ResidentAnswer> {
  try {
    process.chdir(request.cwd);
  } catch (err) {
    return { unavailable: `the caller's directory: ${(err as Error).message}` };
  }
  const umask = process.umask(request.umask);
  try {
    clearUserCache();
    const identity = { ...currentIdentity(), pid: request.pid };
    const asCaller = {
      loadGuard: (v: Record<string, unknown>, point: GuardPoint, cwd?: string) =>
        loadGuard(v, point, cwd, identity, request.env),
      readScript,
      reasonText,
    };
    const { result, stderr } = await capturingStderr(async () => {
      try {
        return { verdict: await judgeQuestion(request.question, request.values, async () => asCaller) };
      } catch (err) {
        return { error: (err as Error)?.message ?? String(err) };
      }
    });
    return { ...result, stderr };
  } finally {
    process.umask(umask);
    process.chdir(HOME_DIR);
  }
}

/** One question at a time: each takes on the caller's directory and umask for its length. */
let queue: Promise<unknown> = Promise.resolve();

function answer(text: string, conn: net.Socket): Promise<ResidentAnswer> {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch {
    return Promise.resolve({ unavailable: 'a question that is not JSON' });
  }
  if (!isRequest(request)) return Promise.resolve({ unavailable: 'a question it does not read' });
  const judged = queue.then(() => {
    if (conn.destroyed) return { unavailable: 'the caller has gone' };
    const why = unlike(conn);
    if (why !== undefined) return { unavailable: why };
    conn.write(TAKEN);
    return judge(request);
  });
  queue = judged.catch(() => undefined);
  return judged;
}

function serveConnection(conn: net.Socket): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  conn.on('error', () => conn.destroy());
  conn.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_REQUEST) tooLarge = true;
    else chunks.push(chunk);
  });
  conn.on('end', () => {
    const answered: Promise<ResidentAnswer> = tooLarge
      ? Promise.resolve({ unavailable: `a question over ${MAX_REQUEST} bytes` })
      : answer(Buffer.concat(chunks).toString('utf8'), conn);
    answered.then(
      // An answer that is not a judgement is taken as one without TAKEN before it.
      (a) => conn.end('unavailable' in a ? `${TAKEN}${JSON.stringify(a)}` : JSON.stringify(a)),
      () => conn.destroy(),
    );
  });
}

/** Judges a few commands, as a hook call does, so that the first real question finds them compiled. */
async function warmUp(): Promise<void> {
  await keepBuiltinPack();
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-judge-'));
  try {
    const config = join(dir, 'config.toml');
    writeFileSync(config, '[identity]\nadmins = []\n');
    await warmHook(config, currentIdentity());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function inodeAt(path: string): number | undefined {
  try {
    const st = lstatSync(path);
    return st.isSocket() ? st.ino : undefined;
  } catch {
    return undefined;
  }
}

async function main(socket: string): Promise<void> {
  process.chdir(HOME_DIR);
  await warmUp();
  const own = `${socket}.${process.pid}`;
  const server = net.createServer({ allowHalfOpen: true }, serveConnection);
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(own, ready);
  });
  renameSync(own, socket);
  const ino = inodeAt(socket);
  const stop = () => {
    if (ino !== undefined && inodeAt(socket) === ino) unlinkSync(socket);
    void exitNow(0);
  };
  let idle = setTimeout(stop, IDLE_MS);
  server.on('connection', () => {
    clearTimeout(idle);
    idle = setTimeout(stop, IDLE_MS);
  });
  setInterval(() => {
    // exitNow, not process.exit: a question stuck in a read that never returns must not keep the judge.
    if (inodeAt(socket) !== ino) void exitNow(0);
  }, CHECK_MS).unref();
}

const socket = process.argv[2];
if (socket === undefined || !socket.startsWith('/')) {
  process.stderr.write('usage: node resident-judge.js SOCKET (started by dockgate hook)\n');
  process.exit(2);
}
main(socket).catch(() => {
  // A socket bound under its own name but never renamed into place is not left behind.
  if (socket !== undefined) rmSync(`${socket}.${process.pid}`, { force: true });
  process.exit(1);
});
