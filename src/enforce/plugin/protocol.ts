// Docker's plugin protocol on a Unix socket, as dockerd speaks it to a legacy authorization
// plugin: POST /Plugin.Activate answers which interfaces this plugin implements, POST
// /AuthZPlugin.AuthZReq and /AuthZPlugin.AuthZRes carry one request or response each. Every
// call is bounded in size and time; a call that cannot be read is answered with a refusal
// (never a crash, never an allow).
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { AuthzShapeError, readAuthzCall } from './authz-request.js';
import type { PluginAnswer, PluginDecisionPoint, PluginDecisionRecord } from './plugin-point.js';

const CONTENT_TYPE = 'application/vnd.docker.plugins.v1.2+json';
/** A request body of up to 1 MiB, as base64, with headers and certificates. */
const MAX_CALL_BYTES = 4 * 1024 * 1024;
/** A call must arrive whole within this. */
const CALL_TIMEOUT_MS = 15_000;

export interface PluginServer {
  socket: string;
  close(): Promise<void>;
}

export type OnDecision = (record: PluginDecisionRecord) => void;

/** Listens on `socketPath` (mode 0600: only root, i.e. dockerd, may call). */
export async function listenPlugin(
  socketPath: string,
  /** The decision point in force (a reload swaps it). */
  point: () => PluginDecisionPoint,
  onDecision: OnDecision,
): Promise<PluginServer> {
  fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o755 });
  await removeStaleSocket(socketPath);
  const server = http.createServer((req, res) => {
    handle(req, res, point(), onDecision).catch((err) => {
      // Reached only through a bug: still an answer, and a refusal.
      answer(res, 200, { Allow: false, Msg: `dockgate: the plugin failed: ${(err as Error).message}` });
    });
  });
  server.headersTimeout = CALL_TIMEOUT_MS;
  server.requestTimeout = CALL_TIMEOUT_MS;
  server.keepAliveTimeout = 60_000;
  server.maxHeadersCount = 64;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const mask = process.umask(0o177);
    server.listen(socketPath, () => {
      process.umask(mask);
      server.off('error', reject);
      resolve();
    });
  });
  fs.chmodSync(socketPath, 0o600);
  return {
    socket: socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        fs.rmSync(socketPath, { force: true });
      }),
  };
}

async function handle(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  point: PluginDecisionPoint,
  onDecision: OnDecision,
): Promise<void> {
  const url = req.url ?? '';
  if (req.method !== 'POST') {
    drain(req);
    answerError(res, 405, 'only POST is served');
    return;
  }
  if (url === '/Plugin.Activate') {
    drain(req);
    answer(res, 200, { Implements: ['authz'] });
    return;
  }
  if (url !== '/AuthZPlugin.AuthZReq' && url !== '/AuthZPlugin.AuthZRes') {
    drain(req);
    answerError(res, 404, `unknown plugin call ${url.slice(0, 100)}`);
    return;
  }
  const isResponse = url === '/AuthZPlugin.AuthZRes';
  // Without a response rule, the daemon's answer needs no reading: allow it, its bytes dropped.
  // The answer waits for the call's end all the same: answered while dockerd is still sending,
  // the call's connection is not used again, and every call after it pays for a new one.
  if (isResponse && !point.judgesResponses()) {
    await drained(req);
    answer(res, 200, { Allow: true });
    return;
  }
  const text = await readBody(req);
  if (text === undefined) {
    answer(res, 200, { Allow: false, Msg: `dockgate: the plugin call is larger than ${MAX_CALL_BYTES} bytes` });
    return;
  }
  let call: ReturnType<typeof readAuthzCall>;
  try {
    call = readAuthzCall(text);
  } catch (err) {
    if (!(err instanceof AuthzShapeError)) throw err;
    answer(res, 200, { Allow: false, Msg: `dockgate: unreadable plugin call: ${err.message}` });
    return;
  }
  const { answer: a, record } = isResponse ? point.response(call) : await point.request(call);
  onDecision(record);
  answer(res, 200, a);
}

/** The call's text, or undefined when it is larger than allowed (then it is read and dropped). */
function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_CALL_BYTES) over = true;
      else parts.push(d);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(parts).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

/** Resolves when the call's body has been read and dropped (or the call failed). */
function drained(req: http.IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    req.on('end', resolve);
    req.on('error', () => resolve());
    req.on('close', resolve);
    req.resume();
  });
}

function drain(req: http.IncomingMessage): void {
  req.resume();
  req.on('error', () => {});
}

function answer(res: http.ServerResponse, status: number, body: PluginAnswer | { Implements: string[] }): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function answerError(res: http.ServerResponse, status: number, message: string): void {
  if (res.headersSent) return;
  const text = JSON.stringify({ Err: message });
  res.writeHead(status, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** A socket file left by a plugin that is gone is removed; one that still answers is an error. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socketPath);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new Error(`${socketPath} exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const s = net.createConnection(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`${socketPath}: another plugin is listening there`);
  fs.rmSync(socketPath, { force: true });
}
