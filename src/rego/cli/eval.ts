// `dockgate eval [-d PATH]... [-i INPUT] [--format json|pretty] [--v0-compatible] QUERY`:
// prints `opa eval`'s result shape, `{}` when the query is undefined. --coverage adds OPA's
// coverage report; --explain (pretty format) prints the evaluation trace before the result.
import { RegoError, parseQueryWithText, toJS, toJSON, type ExplainMode, type Value } from '../index.js';
import { BufferTracer, CoverageTracer, coverageRows, explainFilter, prettyTrace, tee } from '../trace.js';
import { CliError, compileLoaded, guard, loadPaths, readDocument } from './load.js';

export async function runEval(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  return guard('eval', () => {
    if (positionals.length !== 1) throw new CliError('exactly one QUERY argument is required');
    const query = positionals[0]!;
    const format = (values.format as string | undefined) ?? 'json';
    if (format !== 'json' && format !== 'pretty')
      throw new CliError(`unknown --format ${format} (want json or pretty)`);
    const v0 = values['v0-compatible'] === true;
    const explain = values.explain as string | undefined;
    if (explain !== undefined && !['notes', 'fails', 'full', 'debug'].includes(explain))
      throw new CliError(`invalid argument "${explain}" for "--explain": want notes, fails or full`);
    if (explain !== undefined && format !== 'pretty')
      throw new CliError('--explain is printed with --format pretty only');
    const loaded = loadPaths((values.data as string[] | undefined) ?? [], {
      ignore: values.ignore as string[] | undefined,
    });
    const input = values.input ? readDocument(values.input as string) : undefined;
    const policy = compileLoaded(loaded, v0);
    let parsed: ReturnType<typeof parseQueryWithText>;
    try {
      parsed = parseQueryWithText(query, 'query', { v0 });
    } catch (e) {
      if (e instanceof RegoError) throw new CliError(e.message);
      throw e;
    }
    const buffer = explain === undefined ? undefined : new BufferTracer();
    const coverage = values.coverage === true ? new CoverageTracer() : undefined;
    const results = policy.eval(query, { input, tracer: tee(buffer, coverage) });
    const report = coverage?.report(coverageRows(policy.modules));
    if (format === 'pretty') {
      if (buffer) {
        const sources = new Map([...loaded.modules.map((m): [string, string] => [m.name, m.text]), ['query', query]]);
        for (const l of prettyTrace(explainFilter(buffer.events, explain as ExplainMode), sources))
          process.stdout.write(`${l.trimEnd()}\n`);
      }
      process.stdout.write(pretty(results.map((r) => ({ bindings: r.bindings, expressions: r.expressions }))) + '\n');
      if (report) process.stdout.write(coverageTable(report.coverage));
      return 0;
    }
    if (results.length === 0) {
      process.stdout.write(report ? stringify({ coverage: report }) + '\n' : '{}\n');
      return 0;
    }
    const out = {
      result: results.map((r) => {
        const row: Record<string, unknown> = {
          expressions: r.expressions.map((v, i) => ({
            value: toJS(v),
            text: parsed.texts[i] ?? query,
            location: { row: parsed.body[i]!.loc.line, col: parsed.body[i]!.loc.col },
          })),
        };
        if (r.bindings.size > 0) row.bindings = Object.fromEntries([...r.bindings].map(([k, v]) => [k, toJS(v)]));
        return row;
      }),
      ...(report ? { coverage: report } : {}),
    };
    process.stdout.write(stringify(out) + '\n');
    return 0;
  });
}

/** opa eval's pretty coverage: a one-row table with the overall percentage. */
function coverageTable(coverage: number): string {
  const cells = ['Overall Coverage', coverage.toFixed(2)];
  const rule = `+${cells.map((c) => '-'.repeat(c.length + 2)).join('+')}+\n`;
  return `${rule}| ${cells.join(' | ')} |\n${rule}`;
}

/** JSON with 2-space indentation like opa; bigints (exact big integers) printed as digits. */
export function stringify(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `\u0000BIG${x.toString()}\u0000` : x), 2).replace(
    /"\\u0000BIG(-?\d+)\\u0000"/g,
    '$1',
  );
}

/** `--format pretty`: the value of a single-expression query, else the bindings; "undefined" when none. */
function pretty(rows: { bindings: Map<string, Value>; expressions: Value[] }[]): string {
  if (rows.length === 0) return 'undefined';
  return rows
    .map((r) => {
      if (r.bindings.size > 0) return stringify(Object.fromEntries([...r.bindings].map(([k, v]) => [k, toJS(v)])));
      return r.expressions
        .map((v) => (typeof v === 'object' && v !== null ? stringify(toJS(v)) : toJSON(v)))
        .join('\n');
    })
    .join('\n');
}
