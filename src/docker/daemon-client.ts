// The questions dockgate itself asks the daemon, outside any client's connection: GET requests
// answered with JSON (a volume or container looked up for a decision, the daemon's version and
// info, the audit's lists). Every answer is bounded in size and every request in time from start
// to end (not only between bytes): a daemon that trickles an answer, or sends an endless one,
// makes the question fail, never hang a decision or an audit.
import http from 'node:http';
import type { Address } from './daemon-address.js';

export interface DaemonAnswer {
  status: number;
  /** The answer's JSON; null for a refusal whose text is not JSON (it says nothing beyond its status). */
  body: unknown;
}

/** The daemon could not be asked, or its answer could not be read. */
export class DaemonError extends Error {}

export interface DaemonQuestion {
  /** From sending the request to the end of the answer. */
  deadlineMs?: number;
  /** Largest answer read. */
  maxBytes?: number;
  /**
   * Keep the connection for the next question: for a long-running proxy. A one-shot command
   * (the audit) asks without it, so that nothing keeps it from exiting when it is done.
   */
  keepAlive?: boolean;
}

/** GET `path` at the daemon. Throws DaemonError. */
export function getDaemonJson(address: Address, path: string, question: DaemonQuestion = {}): Promise<DaemonAnswer> {
  return askDaemon(address, 'GET', path, undefined, question);
}

/** POST `body` as JSON to `path` at the daemon (what dockgate itself creates). Throws DaemonError. */
export function postDaemonJson(
  address: Address,
  path: string,
  body: unknown,
  question: DaemonQuestion = {},
): Promise<DaemonAnswer> {
  return askDaemon(address, 'POST', path, Buffer.from(JSON.stringify(body)), question);
}

function askDaemon(
  address: Address,
  method: 'GET' | 'POST',
  path: string,
  body: Buffer | undefined,
  { deadlineMs = 5_000, maxBytes = 1 << 20, keepAlive = true }: DaemonQuestion,
): Promise<DaemonAnswer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.destroy();
      reject(new DaemonError(message));
    };
    const req = http.request(
      {
        ...(address.kind === 'unix' ? { socketPath: address.path } : { host: address.host, port: address.port }),
        path,
        method,
        headers: body
          ? { Host: 'docker', 'Content-Type': 'application/json', 'Content-Length': String(body.length) }
          : { Host: 'docker' },
        ...(keepAlive ? {} : { agent: false }),
      },
      (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size > maxBytes) fail(`the daemon's answer to ${method} ${path} is larger than ${maxBytes} bytes`);
          else parts.push(d);
        });
        res.on('error', (err) => fail(`${method} ${path}: ${err.message}`));
        res.on('end', () => {
          if (settled) return;
          const status = res.statusCode ?? 0;
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(parts).toString('utf8'));
          } catch {
            // dockerd answers some refusals (404s) in plain text.
            if (status < 400) {
              fail(`the daemon's answer to ${method} ${path} (status ${status}) is not JSON`);
              return;
            }
            body = null;
          }
          settled = true;
          clearTimeout(deadline);
          resolve({ status, body });
        });
      },
    );
    const deadline = setTimeout(
      () => fail(`the daemon did not answer ${method} ${path} within ${deadlineMs} ms`),
      deadlineMs,
    );
    req.on('error', (err) => fail(`cannot reach the daemon at ${address.text}: ${err.message}`));
    req.end(body);
  });
}
