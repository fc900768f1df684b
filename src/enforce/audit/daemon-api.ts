// The audit's questions to the daemon: GET requests answered with JSON. Every answer is bounded
// in size and every request in time from start to end (not only between bytes): a daemon that
// trickles an answer, or sends an endless one, makes the audit fail, never hang.
import http from 'node:http';
import type { Address } from '../proxy/upstream.js';

export interface DaemonAnswer {
  status: number;
  body: unknown;
}

/** The daemon could not be asked, or its answer could not be read. */
export class DaemonError extends Error {}

export interface DaemonApi {
  readonly address: Address;
  /** GET `path`; at most `maxBytes` of answer (default 8 MiB). Throws DaemonError. */
  get(path: string, maxBytes?: number): Promise<DaemonAnswer>;
}

const DEFAULT_MAX_ANSWER = 8 * 1024 * 1024;

export function daemonApi(address: Address, deadlineMs: number): DaemonApi {
  return { address, get: (path, maxBytes = DEFAULT_MAX_ANSWER) => getJson(address, path, deadlineMs, maxBytes) };
}

function getJson(address: Address, path: string, deadlineMs: number, maxBytes: number): Promise<DaemonAnswer> {
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
        method: 'GET',
        headers: { Host: 'docker' },
        agent: false,
      },
      (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size > maxBytes) fail(`the daemon's answer to GET ${path} is larger than ${maxBytes} bytes`);
          else parts.push(d);
        });
        res.on('error', (err) => fail(`GET ${path}: ${err.message}`));
        res.on('end', () => {
          if (settled) return;
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(parts).toString('utf8'));
          } catch {
            fail(`the daemon's answer to GET ${path} (status ${res.statusCode}) is not JSON`);
            return;
          }
          settled = true;
          clearTimeout(deadline);
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    const deadline = setTimeout(
      () => fail(`the daemon did not answer GET ${path} within ${deadlineMs} ms`),
      deadlineMs,
    );
    req.on('error', (err) => fail(`cannot reach the daemon at ${address.text}: ${err.message}`));
    req.end();
  });
}
