// The one error type the engine throws to its callers. Parse and compile errors name
// file:line:column (DESIGN: "policies that do not compile (with file:line:column)");
// evaluation errors use OPA's "file:line: code: message" text, which the conformance
// cases match as a substring.

export type RegoErrorCode =
  | 'rego_parse_error'
  | 'rego_compile_error'
  | 'rego_unsafe_var_error'
  | 'rego_recursion_error'
  | 'rego_type_error'
  | 'eval_conflict_error'
  | 'eval_type_error'
  | 'eval_builtin_error'
  | 'eval_cancel_error'
  | 'eval_budget_error'
  | 'eval_internal_error';

export class RegoError extends Error {
  constructor(
    readonly code: RegoErrorCode,
    /** The message without location or code. */
    readonly detail: string,
    readonly file?: string,
    readonly line?: number,
    readonly col?: number,
  ) {
    super(formatError(code, detail, file, line, col));
  }
}

function formatError(code: string, detail: string, file?: string, line?: number, col?: number): string {
  if (code.startsWith('eval_')) {
    // OPA: "test-0.rego:4: eval_type_error: ..." (no column at runtime).
    return file !== undefined && line !== undefined ? `${file}:${line}: ${code}: ${detail}` : `${code}: ${detail}`;
  }
  if (file === undefined) return `${code}: ${detail}`;
  return `${file}:${line ?? 0}:${col ?? 0}: ${code}: ${detail}`;
}

/** Several compile errors at once; the message lists them one per line, first first. */
export class RegoErrors extends RegoError {
  constructor(readonly errors: RegoError[]) {
    super(errors[0]!.code, errors[0]!.detail, errors[0]!.file, errors[0]!.line, errors[0]!.col);
    if (errors.length > 1) this.message = errors.map((e) => e.message).join('\n');
  }
}

/** A compile-stage error at a source location. */
export function compileError(
  msg: string,
  loc: { file: string; line: number; col: number },
  code:
    | 'rego_compile_error'
    | 'rego_unsafe_var_error'
    | 'rego_recursion_error'
    | 'rego_type_error' = 'rego_compile_error',
): RegoError {
  return new RegoError(code, msg, loc.file, loc.line, loc.col);
}
