// `dockgate test`: not written yet.
export async function runTest(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  void values;
  void positionals;
  throw new Error('test: not implemented yet');
}
