// `dockgate eval`: not written yet.
export async function runEval(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  void values;
  void positionals;
  throw new Error('eval: not implemented yet');
}
