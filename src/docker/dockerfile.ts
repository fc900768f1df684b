// A Dockerfile as a policy sees it: `input.dockerfile` (one string per instruction, continuation
// lines joined, as docker-socket-firewall policies match them) and structured instructions for
// rules such as a FROM allowlist, ADD from URLs or `RUN --security=insecure`.
import { createRequire } from 'node:module';
import type * as DockerfileAst from 'dockerfile-ast';

// Loaded on the first build: a proxy that never sees one does not carry the parser.
let parserModule: typeof DockerfileAst | undefined;
function dockerfileAst(): typeof DockerfileAst {
  return (parserModule ??= createRequire(import.meta.url)('dockerfile-ast') as typeof DockerfileAst);
}

export interface DockerfileInstruction {
  /** Upper-case keyword, e.g. "FROM". */
  cmd: string;
  /** `--name=value` flags, e.g. {"security": "insecure"}; a flag without value maps to "". */
  flags: Record<string, string>;
  /** Arguments after the flags, split as the parser splits them. */
  args: string[];
  /** The instruction as one line: keyword, flags and arguments. */
  original: string;
  /** 1-based line where the instruction starts. */
  line: number;
}

export interface ParsedDockerfile {
  lines: string[];
  instructions: DockerfileInstruction[];
  /** Parser directives such as {"syntax": "docker/dockerfile:1"}. */
  directives: Record<string, string>;
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const doc = dockerfileAst().DockerfileParser.parse(text);
  const instructions: DockerfileInstruction[] = [];
  for (const ins of doc.getInstructions()) {
    const flags: Record<string, string> = {};
    const withFlags = ins as unknown as { getFlags?: () => { getName(): string; getValue(): string | null }[] };
    for (const f of withFlags.getFlags?.() ?? []) flags[f.getName().toLowerCase()] = f.getValue() ?? '';
    const args = ins.getArguments().map((a) => a.getValue());
    const cmd = ins.getKeyword().toUpperCase();
    const flagText = Object.entries(flags).map(([k, v]) => (v === '' ? `--${k}` : `--${k}=${v}`));
    instructions.push({
      cmd,
      flags,
      args: args.filter((a) => !a.startsWith('--') || !(a.slice(2).split('=')[0]!.toLowerCase() in flags)),
      original: [cmd, ...flagText, ins.getArgumentsContent() ?? ''].filter((s) => s !== '').join(' '),
      line: ins.getRange().start.line + 1,
    });
  }
  const directives: Record<string, string> = {};
  for (const d of doc.getDirectives()) directives[d.getName().toLowerCase()] = d.getValue();
  return { lines: instructions.map((i) => i.original), instructions, directives };
}
