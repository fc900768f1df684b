// Small look-ups dockgate itself makes at the daemon (volume details, daemon info), outside any
// client's connection. Bounded in time and size: a slow or broken daemon must not hang a decision.
import http from 'node:http';
import type { Address } from './upstream.js';

export interface DaemonAnswer {
  status: number;
  body: unknown;
}

export function getDaemonJson(
  address: Address,
  path: string,
  timeoutMs = 5_000,
  maxBytes = 1 << 20,
): Promise<DaemonAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        ...(address.kind === 'unix' ? { socketPath: address.path } : { host: address.host, port: address.port }),
        path,
        method: 'GET',
        timeout: timeoutMs,
        headers: { Host: 'docker' },
      },
      (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size > maxBytes) req.destroy(new Error(`daemon answer to ${path} larger than ${maxBytes} bytes`));
          else parts.push(d);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          try {
            resolve({ status, body: JSON.parse(Buffer.concat(parts).toString('utf8')) });
          } catch {
            // A refusal's text (dockerd answers some 404s in plain text) says nothing more than its status.
            if (status >= 400) resolve({ status, body: null });
            else reject(new Error(`daemon answer to ${path} is not JSON`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`daemon look-up ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
