// The CLI and coding-agent guard: `dockgate check`, `dockgate hook` and `dockgate wrap`. Each is
// loaded when called: a hook call that needs no judging must not pay for the parser and policy.
export async function runCheck(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  return (await import('./command.js')).runCheck(values, positionals);
}

export async function runHook(values: Record<string, unknown>): Promise<number> {
  return (await import('./hook.js')).runHook(values);
}

export async function runWrap(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  return (await import('./wrap.js')).runWrap(values, positionals);
}
