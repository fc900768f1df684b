// `dockgate bench [-d PATH]... [-i INPUT] [--count N] [--format json|pretty] QUERY`: compiles
// once, evaluates the query N times (default: as many as fit in about 2 s) and reports the
// mean (ns/op) and the p50/p90/p99 evaluation times, like `opa bench`.
import type { Policy, Value } from '../index.js';
import { CliError, compileLoaded, guard, loadPaths, readDocument } from './load.js';
import { stringify } from './eval.js';

export interface BenchFigures {
  ns_per_op: number;
  p50_ns: number;
  p90_ns: number;
  p99_ns: number;
  count: number;
}

export async function runBench(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  return guard('bench', () => {
    if (positionals.length !== 1) throw new CliError('exactly one QUERY argument is required');
    const format = (values.format as string | undefined) ?? 'pretty';
    if (format !== 'json' && format !== 'pretty')
      throw new CliError(`unknown --format ${format} (want json or pretty)`);
    let count: number | undefined;
    if (values.count !== undefined) {
      count = Number(values.count);
      if (!Number.isInteger(count) || count < 1)
        throw new CliError(`--count must be a positive integer, got ${String(values.count)}`);
    }
    const policy = compileLoaded(
      loadPaths((values.data as string[] | undefined) ?? [], { ignore: values.ignore as string[] | undefined }),
      values['v0-compatible'] === true,
    );
    const input = values.input ? readDocument(values.input as string) : undefined;
    const fig = bench(policy, positionals[0]!, input, count);
    if (format === 'json') process.stdout.write(stringify(fig) + '\n');
    else {
      const rows: [string, string][] = [
        ['samples', String(fig.count)],
        ['ns/op', String(fig.ns_per_op)],
        ['p50 (ns)', String(fig.p50_ns)],
        ['p90 (ns)', String(fig.p90_ns)],
        ['p99 (ns)', String(fig.p99_ns)],
        ['decisions/s', String(Math.round(1e9 / Math.max(fig.ns_per_op, 1)))],
      ];
      const w = Math.max(...rows.map((r) => r[0].length));
      for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
    }
    return 0;
  });
}

/** A ground data ref (`data.a.b`) takes the decision fast path; anything else is a query. */
const REF_QUERY = /^data(\.[A-Za-z_][A-Za-z0-9_]*)+$/;

export function bench(policy: Policy, query: string, input: Value | undefined, count?: number): BenchFigures {
  const q = query.trim();
  const run: () => void = REF_QUERY.test(q)
    ? () => void policy.evalRef(q, input)
    : () => void policy.eval(q, { input });
  // Warm up (JIT, query compilation) and surface evaluation errors before timing.
  // At least 300 ms and 2,000 runs, so the JIT has settled before timing starts.
  const warm = Date.now() + 300;
  let w = 0;
  do run();
  while (++w < 2000 || Date.now() < warm);
  const samples: number[] = [];
  const limit = count ?? Infinity;
  const stopAt = count ? Infinity : Date.now() + 2000;
  let total = 0n;
  while (samples.length < limit) {
    const t0 = process.hrtime.bigint();
    run();
    const dt = process.hrtime.bigint() - t0;
    total += dt;
    samples.push(Number(dt));
    if ((samples.length & 255) === 0 && Date.now() > stopAt) break;
  }
  samples.sort((a, b) => a - b);
  const pct = (p: number): number => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!;
  return {
    ns_per_op: Math.round(Number(total) / samples.length),
    p50_ns: pct(50),
    p90_ns: pct(90),
    p99_ns: pct(99),
    count: samples.length,
  };
}
