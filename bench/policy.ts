// Decision cost of the built-in pack: µs per decision on container-create inputs, as the proxy
// builds them (request reading + input conversion + evaluation), and evaluation alone.
// Prints figures; it is not a test.
import { routeRequest, readRequest } from '../src/docker/request.js';
import type { InputIdentity } from '../src/docker/input.js';
import { PolicyEngine } from '../src/policy/index.js';
import { fromJS } from '../src/rego/index.js';

const identity: InputIdentity = {
  uid: 1000,
  gid: 1000,
  user: 'alice',
  groups: ['alice', 'gpu'],
  admin: false,
  pid: 4242,
  home: '/home/alice',
  via: 'peercred',
};

const bodies: Record<string, string> = {
  'plain run': JSON.stringify({
    Image: 'busybox',
    Cmd: ['echo', 'hi'],
    HostConfig: { NetworkMode: 'default', LogConfig: { Type: 'json-file', Config: {} } },
  }),
  'hardened run': JSON.stringify({
    Image: 'busybox',
    Cmd: ['sh'],
    User: '1000:1000',
    Labels: { app: 'x' },
    HostConfig: {
      CapDrop: ['ALL'],
      ReadonlyRootfs: true,
      SecurityOpt: ['no-new-privileges'],
      Memory: 67108864,
      PidsLimit: 100,
      Binds: ['/home/alice/data:/d:ro'],
    },
  }),
  'privileged (denied)': JSON.stringify({
    Image: 'busybox',
    HostConfig: { Privileged: true, Binds: ['/etc:/e'], CapAdd: ['SYS_ADMIN'] },
  }),
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function main(): Promise<void> {
  const engine = await PolicyEngine.load({});
  const target = '/v1.41/containers/create';
  const routed = routeRequest({ method: 'POST', target });
  console.log('built-in pack, container create (1 core, µs per decision)');
  console.log('case                    eval p50   eval p99   full p50   full p99   decisions/s');
  for (const [name, body] of Object.entries(bodies)) {
    const { input } = await readRequest({
      routed,
      method: 'POST',
      target,
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from(body),
      identity,
      layer: 'proxy',
    });
    const value = fromJS(input);
    const evalTimes: number[] = [];
    const fullTimes: number[] = [];
    const until = performance.now() + 1500;
    let decisions = 0;
    const started = performance.now();
    while (performance.now() < until) {
      let t = performance.now();
      engine.decide(value);
      evalTimes.push(performance.now() - t);
      t = performance.now();
      const r = await readRequest({
        routed,
        method: 'POST',
        target,
        headers: { 'Content-Type': 'application/json' },
        body: Buffer.from(body),
        identity,
        layer: 'proxy',
      });
      engine.decide(r.input);
      fullTimes.push(performance.now() - t);
      decisions += 2;
    }
    const elapsed = (performance.now() - started) / 1000;
    evalTimes.sort((a, b) => a - b);
    fullTimes.sort((a, b) => a - b);
    const us = (ms: number) => (ms * 1000).toFixed(1).padStart(9);
    console.log(
      `${name.padEnd(22)} ${us(percentile(evalTimes, 50))}  ${us(percentile(evalTimes, 99))}  ${us(percentile(fullTimes, 50))}  ${us(percentile(fullTimes, 99))}   ${Math.round(decisions / elapsed)}`,
    );
  }
}

main().catch((err) => {
  console.error(`bench/policy: ${(err as Error).message}`);
  process.exit(1);
});
