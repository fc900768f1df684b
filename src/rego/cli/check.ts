// `dockgate policy check [--strict] [--v0-compatible] [--ignore PATTERN] [-m N] PATH...`: what
// `opa check` reports. Without --strict: parse and compile errors (and vars declared with
// `some` but never used, an error in OPA in every mode). With --strict, OPA's strict-mode
// checks too: duplicate and unused imports, unused assignments and function arguments, input
// or data as rule or variable names, deprecated builtins. One line per error with
// file:line:col, after OPA's "N errors occurred:" heading; exit 1 when there is any.
import { RegoError, RegoErrors, compile } from '../index.js';
import { checkModules } from '../strict.js';
import { CliError, loadPaths } from './load.js';

export async function runCheck(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  try {
    if (positionals.length === 0) throw new CliError('specify at least one file');
    let max = 10;
    if (values['max-errors'] !== undefined) {
      max = Number(values['max-errors']);
      if (!Number.isInteger(max))
        throw new CliError(`--max-errors must be an integer, got ${String(values['max-errors'])}`);
    }
    // opa check reads .rego files only.
    const loaded = loadPaths(positionals, { ignore: values.ignore as string[] | undefined, onlyRego: true });
    let errors: RegoError[];
    try {
      const policy = compile(loaded.modules, {
        v0: values['v0-compatible'] === true,
        data: loaded.data,
        opaNegation: true,
      });
      errors = checkModules(policy.modules, values.strict === true);
    } catch (e) {
      if (!(e instanceof RegoError)) throw e;
      errors = e instanceof RegoErrors ? e.errors : [e];
    }
    if (errors.length === 0) return 0;
    // OPA's error limit: -1 (or 0) for all of them.
    const shown = max > 0 ? errors.slice(0, max) : errors;
    const head = errors.length === 1 ? '1 error occurred:' : `${errors.length} errors occurred:`;
    process.stderr.write(`${head}\n${shown.map((e) => e.message).join('\n')}\n`);
    if (shown.length < errors.length)
      process.stderr.write(`(${errors.length - shown.length} more not shown; raise --max-errors)\n`);
    return 1;
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`dockgate policy check: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
