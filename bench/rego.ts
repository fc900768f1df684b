// Rego engine decision timings (`node dist/bench/rego.js [--json]`): the ~50-rule
// opa-docker-authz-style policy in bench/rego/ (helpers, loops, regex, sprintf) on
// container-create inputs, the classic 0.x README style at 50 rules, and a generated
// 1,000-rule policy. Prints µs/decision p50 and p99 and decisions/s for each.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, parseJSON, type Value } from '../src/rego/index.js';
import { bench, type BenchFigures } from '../src/rego/cli/bench.js';

const here = dirname(fileURLToPath(import.meta.url));
// Fixtures live next to the source (bench/rego/), also when run from dist/bench/.
const fixtures = [join(here, 'rego'), join(here, '..', '..', 'bench', 'rego')].find((d) => {
  try {
    readFileSync(join(d, 'authz.rego'));
    return true;
  } catch {
    return false;
  }
})!;

function read(name: string): string {
  return readFileSync(join(fixtures, name), 'utf8');
}

/** 1,000 rules over 40 request actions, each comparing one body field: the shape of a large rule pack. */
export function generatedPolicy(n = 1000): string {
  const lines = ['package gen', '', 'default allow := false', '', 'allow if count(deny) == 0', ''];
  for (let i = 0; i < n; i++) {
    const action = `action.${i % 40}`;
    lines.push(
      `deny contains "rule ${i}" if {`,
      `\tinput.request.action == "${action}"`,
      `\tinput.Body.HostConfig.Field${i % 25} == ${i}`,
      '}',
      '',
    );
  }
  return lines.join('\n');
}

/** The opa-docker-authz README style at 50 rules: 0.x syntax, one HostConfig field check each. */
export function classicPolicy(): string {
  const fields = [
    'Privileged',
    'PidMode',
    'IpcMode',
    'NetworkMode',
    'UTSMode',
    'UsernsMode',
    'CgroupParent',
    'Runtime',
    'Isolation',
    'OomKillDisable',
  ];
  let src = 'package docker.authz\n\ndefault allow = false\n\nallow {\n\tnot deny\n}\n\n';
  for (let i = 0; i < 49; i++)
    src += `deny {\n\tinput.Method == "POST"\n\tinput.Body.HostConfig.${fields[i % 10]} == "bad${i}"\n}\n\n`;
  return src;
}

interface Row {
  name: string;
  fig: BenchFigures;
}

function main(): void {
  const json = process.argv.includes('--json');
  const authz = compile([{ name: 'authz.rego', text: read('authz.rego') }]);
  const ok = parseJSON(read('create-ok.json'));
  const bad = parseJSON(read('create-bad.json'));
  const classic = compile([{ name: 'classic.rego', text: classicPolicy() }], { v0: true });
  const gen = compile([{ name: 'gen.rego', text: generatedPolicy() }]);
  const genInput: Value = parseJSON(
    '{"request": {"action": "action.7"}, "Body": {"HostConfig": {"Field7": 7, "Field3": 1}}}',
  );
  const rows: Row[] = [
    { name: 'authz (50 rules) allow, compliant create', fig: bench(authz, 'data.docker.authz.allow', ok) },
    { name: 'authz (50 rules) allow, violating create', fig: bench(authz, 'data.docker.authz.allow', bad) },
    { name: 'authz (50 rules) deny set, violating create', fig: bench(authz, 'data.docker.authz.deny', bad) },
    { name: 'classic 0.x (50 field checks) allow, create', fig: bench(classic, 'data.docker.authz.allow', ok) },
    { name: 'generated (1000 rules) allow', fig: bench(gen, 'data.gen.allow', genInput) },
  ];
  if (json) {
    process.stdout.write(JSON.stringify(Object.fromEntries(rows.map((r) => [r.name, r.fig])), null, 2) + '\n');
    return;
  }
  process.stdout.write('rego decisions              p50 µs    p99 µs   decisions/s\n');
  for (const r of rows) {
    const p50 = (r.fig.p50_ns / 1000).toFixed(1).padStart(8);
    const p99 = (r.fig.p99_ns / 1000).toFixed(1).padStart(8);
    const rate = String(Math.round(1e9 / r.fig.ns_per_op)).padStart(12);
    process.stdout.write(`${r.name.padEnd(46)} ${p50}  ${p99}  ${rate}\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
