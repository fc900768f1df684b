// The resident judge, judge's side: `node resident-judge.js SOCKET`, started detached by a hook
// call (resident.ts says why and what it keeps). It loads the shell parser and the built-in pack
// once, judges a few commands so that their code is compiled, and only then takes the socket, so
// a caller never waits on a judge that is still starting.
//
// - A question is judged as the hook judges it in its own process: the same judgeQuestion, with
//   the caller's environment, directory and pid instead of this process's, and the config,
//   policies and user databases read afresh each time. Nothing a question brings is kept.
// - The socket is made under a name of its own and renamed into place, so that of two judges
//   started at once the later one holds the name; a judge whose name is gone or taken by another
//   stops (checked every CHECK_MS), as it does after IDLE_MS without a question.
import { lstatSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keepBuiltinPack } from '../../policy/engine.js';
import { loadGuard, readScript, reasonText } from './command.js';
import type { GuardPoint } from './decision-log.js';
import { currentIdentity } from './guard.js';
import { judgeQuestion } from './hook.js';
import { warmHook } from './hook-entry.js';
import type { ResidentAnswer, ResidentRequest } from './resident.js';

/** A judge nobody has asked for this long stops. */
const IDLE_MS = 10 * 60_000;
/** How often the judge looks whether its socket is still its own. */
const CHECK_MS = 5_000;
/** A question is a command of at most 1 MiB (the hook's input limit) and an environment. */
const MAX_REQUEST = 4 * 1024 * 1024;

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
    typeof q.pid === 'number'
  );
}

async function answer(text: string): Promise<ResidentAnswer> {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch {
    return { error: 'the resident judge got a question that is not JSON' };
  }
  if (!isRequest(request)) return { error: 'the resident judge got a question it does not read' };
  try {
    const identity = { ...currentIdentity(), pid: request.pid };
    const judge = {
      loadGuard: (v: Record<string, unknown>, point: GuardPoint, cwd?: string) =>
        loadGuard(v, point, cwd ?? request.cwd, identity, request.env),
      readScript,
      reasonText,
    };
    return { verdict: await judgeQuestion(request.question, request.values, async () => judge) };
  } catch (err) {
    return { error: (err as Error)?.message ?? String(err) };
  }
}

function serveConnection(conn: net.Socket): void {
  const chunks: Buffer[] = [];
  let size = 0;
  conn.on('error', () => conn.destroy());
  conn.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_REQUEST) return conn.destroy();
    chunks.push(chunk);
  });
  conn.on('end', () => {
    answer(Buffer.concat(chunks).toString('utf8')).then(
      (a) => conn.end(JSON.stringify(a)),
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
    process.exit(0);
  };
  let idle = setTimeout(stop, IDLE_MS);
  server.on('connection', () => {
    clearTimeout(idle);
    idle = setTimeout(stop, IDLE_MS);
  });
  setInterval(() => {
    if (inodeAt(socket) !== ino) process.exit(0);
  }, CHECK_MS).unref();
}

const socket = process.argv[2];
if (socket === undefined || !socket.startsWith('/')) {
  process.stderr.write('usage: node resident-judge.js SOCKET (started by dockgate hook)\n');
  process.exit(2);
}
main(socket).catch(() => process.exit(1));
