// Rego engine decision timings (`node dist/bench/rego.js [--json]`): the ~50-rule
// opa-docker-authz-style policy in bench/rego/ (helpers, loops, regex, sprintf) on
// container-create inputs, the classic 0.x README style at 50 rules, a generated 1,000-rule
// policy, and 20 rule packages asked through a computed key and through fixed paths. Prints µs/decision p50 and p99 and decisions/s for each; then the cost
// of loading the engine with the built-in pack in a fresh process (median of five), compiled
// from its files and precompiled as serve reads it: wall and CPU milliseconds and the process's
// RSS. The load guards builtins/index.ts's lazy families: a family the pack does not call must
// not show here.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

/**
 * The built-in pack's shape: `n` rule packages rules.rI, each with a `deny` set over one body
 * field, asked either through a computed key (`data.rules[name].deny` over a data-only list of
 * names) or through one fixed path per package; the two should cost about the same.
 */
export function rulePackages(n = 20, computed = true): { name: string; text: string }[] {
  const mods = [];
  for (let i = 0; i < n; i++)
    mods.push({
      name: `r${i}.rego`,
      text: `package rules.r${i}\n\ndeny contains "r${i}" if input.Body.HostConfig.Field${i} == ${i}\n`,
    });
  const names = Array.from({ length: n }, (_, i) => `"r${i}"`).join(', ');
  const ask = computed
    ? 'deny contains [name, v] if {\n\tsome name in names\n\tsome v in data.rules[name].deny\n}\n'
    : Array.from({ length: n }, (_, i) => `deny contains ["r${i}", v] if some v in data.rules.r${i}.deny\n`).join('');
  mods.push({
    name: 'decide.rego',
    text: `package decide\n\nnames := [${names}]\n\nallow if count(deny) == 0\n\n${ask}`,
  });
  return mods;
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

/** The built-in pack's directory (src/policy/pack), also when run from dist/bench/. */
const packDir = [join(here, '..', 'src', 'policy', 'pack'), join(here, '..', '..', 'src', 'policy', 'pack')].find(
  (d) => {
    try {
      readFileSync(join(d, 'authz.rego'));
      return true;
    } catch {
      return false;
    }
  },
);

interface LoadFigures {
  wall_ms: number;
  cpu_ms: number;
  rss_mib: number;
}

/**
 * Loads the engine and the built-in pack in a fresh process, the median of `runs`: `compiled`
 * compiles every .rego file of the pack (rules/ included) with the options PolicyEngine.load
 * gives it; `precompiled` is what `dockgate serve` does, PolicyEngine.load reading the pack
 * `npm run build` compiled, under serve's young-generation cap (bin/dockgate).
 */
export function packLoad(how: 'compiled' | 'precompiled', runs = 5): LoadFigures | undefined {
  if (packDir === undefined) return undefined;
  const rego = pathToFileURL(join(here, '..', 'src', 'rego', 'index.js')).href;
  const policy = pathToFileURL(join(here, '..', 'src', 'policy', 'engine.js')).href;
  const load =
    how === 'compiled'
      ? `
    const { readdirSync, readFileSync } = await import('node:fs');
    const { compile } = await import(${JSON.stringify(rego)});
    const dir = ${JSON.stringify(packDir)};
    const files = readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.rego'));
    compile(files.map((f) => ({ name: f, text: readFileSync(dir + '/' + f, 'utf8') })), { opaNegation: true, metadata: false });`
      : `
    const { PolicyEngine } = await import(${JSON.stringify(policy)});
    if (!(await PolicyEngine.load({})).precompiled) throw new Error('no precompiled pack: run npm run build');`;
  const script = `
    const t0 = performance.now();
    const c0 = process.cpuUsage();${load}
    const c = process.cpuUsage(c0);
    console.log(JSON.stringify({ wall_ms: performance.now() - t0, cpu_ms: (c.user + c.system) / 1000, rss_mib: process.memoryUsage().rss / 1048576 }));
  `;
  const flags = how === 'precompiled' ? ['--max-semi-space-size=1'] : [];
  const all: LoadFigures[] = [];
  for (let i = 0; i < runs; i++)
    all.push(
      JSON.parse(execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8' })),
    );
  const median = (f: (x: LoadFigures) => number): number => all.map(f).sort((a, b) => a - b)[Math.floor(runs / 2)]!;
  return { wall_ms: median((x) => x.wall_ms), cpu_ms: median((x) => x.cpu_ms), rss_mib: median((x) => x.rss_mib) };
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
  const byName = compile(rulePackages(20, true));
  const byPath = compile(rulePackages(20, false));
  const rows: Row[] = [
    { name: 'authz (50 rules) allow, compliant create', fig: bench(authz, 'data.docker.authz.allow', ok) },
    { name: 'authz (50 rules) allow, violating create', fig: bench(authz, 'data.docker.authz.allow', bad) },
    { name: 'authz (50 rules) deny set, violating create', fig: bench(authz, 'data.docker.authz.deny', bad) },
    { name: 'classic 0.x (50 field checks) allow, create', fig: bench(classic, 'data.docker.authz.allow', ok) },
    { name: 'generated (1000 rules) allow', fig: bench(gen, 'data.gen.allow', genInput) },
    { name: '20 rule packages, data.rules[name].deny', fig: bench(byName, 'data.decide.allow', genInput) },
    { name: '20 rule packages, fixed paths', fig: bench(byPath, 'data.decide.allow', genInput) },
  ];
  const load = packLoad('compiled');
  const loadPrecompiled = packLoad('precompiled');
  if (json) {
    const out = {
      ...Object.fromEntries(rows.map((r) => [r.name, r.fig])),
      'pack load': load,
      'precompiled pack load': loadPrecompiled,
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  process.stdout.write('rego decisions              p50 µs    p99 µs   decisions/s\n');
  for (const r of rows) {
    const p50 = (r.fig.p50_ns / 1000).toFixed(1).padStart(8);
    const p99 = (r.fig.p99_ns / 1000).toFixed(1).padStart(8);
    const rate = String(Math.round(1e9 / r.fig.ns_per_op)).padStart(12);
    process.stdout.write(`${r.name.padEnd(46)} ${p50}  ${p99}  ${rate}\n`);
  }
  const loadLine = (what: string, f: LoadFigures | undefined) => {
    if (f)
      process.stdout.write(
        `${what} (fresh process, median of 5): ${f.wall_ms.toFixed(1)} ms wall, ` +
          `${f.cpu_ms.toFixed(1)} ms CPU, RSS ${f.rss_mib.toFixed(1)} MiB\n`,
      );
  };
  loadLine('rego load + compile built-in pack', load);
  loadLine('engine + precompiled built-in pack, as serve loads it', loadPrecompiled);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
