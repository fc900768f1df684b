// `dockgate bench`: not written yet.
export async function runBench(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  void values;
  void positionals;
  throw new Error('bench: not implemented yet');
}
