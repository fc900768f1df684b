// The BuiltinContext a query gives its builtins: strict mode, the per-query memo, the query's
// fixed clock and the print output. One per evaluator, reset for every query.
import type { BuiltinContext } from './builtins/registry.js';
import type { Value } from './value.js';

/** BuiltinContext for one query; the memo and the clock are created only when a builtin asks. */
export class QueryContext implements BuiltinContext {
  strict = false;
  private printFn: ((msg: string) => void) | undefined;
  private noteFn: ((msg: string) => void) | undefined;
  private cache: Map<string, Value> | undefined;
  private now: bigint | undefined;

  reset(
    strict: boolean,
    print: ((msg: string) => void) | undefined,
    note: ((msg: string) => void) | undefined = undefined,
  ): void {
    this.strict = strict;
    this.printFn = print;
    this.noteFn = note;
    this.cache = undefined;
    this.now = undefined;
  }

  get queryCache(): Map<string, Value> {
    return (this.cache ??= new Map());
  }

  get nowNs(): bigint {
    return (this.now ??= BigInt(Date.now()) * 1000000n);
  }

  /** trace(): a Note in the evaluation trace when the query is traced. */
  note(message: string): boolean {
    if (this.noteFn === undefined) return false;
    this.noteFn(message);
    return true;
  }

  print(message: string): void {
    if (this.printFn) this.printFn(message);
    else process.stderr.write(message + '\n');
  }
}
