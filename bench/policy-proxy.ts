// Proxy cost of judging with the built-in pack: POST /containers/create + DELETE per cycle,
// side by side in one run against the daemon directly, dockgate with an allow-all policy, and
// dockgate with the built-in pack (admins bound too, so every rule is evaluated). Prints
// figures; it is not a test.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startDaemon, ensureTestImage, startServe, type Daemon, type Served } from '../test/harness/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = 4;

function request(
  agent: http.Agent,
  socket: string,
  method: string,
  p: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: socket,
        agent,
        method,
        path: p,
        headers: body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Create+delete cycles per second over `CONCURRENCY` keep-alive connections. */
async function cycles(socket: string, image: string): Promise<{ perSecond: number; errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const body = JSON.stringify({
    Image: image,
    Cmd: ['true'],
    Labels: { bench: '1' },
    HostConfig: { CapDrop: ['ALL'], ReadonlyRootfs: true, SecurityOpt: ['no-new-privileges'], Memory: 67108864 },
  });
  let done = 0;
  let errors = 0;
  const until = performance.now() + SECONDS * 1000;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < until) {
      const created = await request(agent, socket, 'POST', '/v1.41/containers/create', body);
      if (created.status !== 201) {
        errors++;
        continue;
      }
      const id = (JSON.parse(created.text) as { Id: string }).Id;
      const removed = await request(agent, socket, 'DELETE', `/v1.41/containers/${id}?force=1`);
      if (removed.status !== 204) errors++;
      else done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  return { perSecond: done / ((performance.now() - started) / 1000), errors };
}

async function main(): Promise<void> {
  let daemon: Daemon | undefined;
  const served: Served[] = [];
  const dir = fs.mkdtempSync('/tmp/dgbp-');
  try {
    daemon = await startDaemon();
    const image = ensureTestImage(daemon.socket);
    fs.writeFileSync(path.join(dir, 'allow.rego'), 'package docker.authz\n\nallow := true\n');
    fs.writeFileSync(path.join(dir, 'bound.toml'), 'admins_exempt = false\n');
    const allowAll = await startServe({
      upstream: daemon.socket,
      args: ['--policy', path.join(dir, 'allow.rego'), '--decision-log', path.join(dir, 'a.log')],
    });
    const pack = await startServe({
      upstream: daemon.socket,
      args: ['--config', path.join(dir, 'bound.toml'), '--decision-log', path.join(dir, 'p.log')],
    });
    served.push(allowAll, pack);
    await cycles(daemon.socket, image); // warm-up: first creates are slower in dockerd
    // Interleaved rounds, so drift in dockerd (or the machine) weighs on all three alike.
    const totals = {
      direct: { perSecond: 0, errors: 0 },
      allow: { perSecond: 0, errors: 0 },
      pack: { perSecond: 0, errors: 0 },
    };
    const ROUNDS = 3;
    for (let i = 0; i < ROUNDS; i++) {
      for (const [key, socket] of [
        ['direct', daemon.socket],
        ['allow', allowAll.socket],
        ['pack', pack.socket],
      ] as const) {
        const c = await cycles(socket, image);
        totals[key].perSecond += c.perSecond / ROUNDS;
        totals[key].errors += c.errors;
      }
    }
    const { direct, allow: viaAllow, pack: viaPack } = totals;
    const r = (x: number) => (x / direct.perSecond).toFixed(2);
    process.stdout.write(
      `\ncontainer create + delete, ${CONCURRENCY} connections, 3 interleaved rounds of ${SECONDS}s (cycles/s, ratio to direct)\n`,
    );
    process.stdout.write(`  direct                    ${direct.perSecond.toFixed(1).padStart(8)}   1.00\n`);
    process.stdout.write(
      `  dockgate, allow-all       ${viaAllow.perSecond.toFixed(1).padStart(8)}   ${r(viaAllow.perSecond)}\n`,
    );
    process.stdout.write(
      `  dockgate, built-in pack   ${viaPack.perSecond.toFixed(1).padStart(8)}   ${r(viaPack.perSecond)}   (pack / allow-all: ${(viaPack.perSecond / viaAllow.perSecond).toFixed(2)})\n`,
    );
    const errors = direct.errors + viaAllow.errors + viaPack.errors;
    if (errors) process.stdout.write(`  (${errors} failed requests)\n`);
  } finally {
    for (const s of served) await s.stop();
    await daemon?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench/policy-proxy: ${(err as Error).message}\n`);
  process.exit(1);
});
