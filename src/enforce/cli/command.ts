// `dockgate check` and `dockgate hook`: the CLI guard's commands.
// check: exit 0 allow, 1 deny, 2 error or undecidable.
// hook: see hook.ts.
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { PolicyEngine } from '../../policy/index.js';
import type { Identity } from '../../tenancy/index.js';
import { decisionLogFor, type GuardPoint } from './decision-log.js';
import { type GuardResult, Guard, type Finding } from './guard.js';

export const EXIT_ALLOW = 0;
export const EXIT_DENY = 1;
export const EXIT_UNDECIDABLE = 2;

const MAX_SCRIPT = 256 * 1024;

export function readScript(path: string): string {
  const st = statSync(path);
  if (!st.isFile()) throw new Error('not a file');
  if (st.size > MAX_SCRIPT) throw new Error(`over ${MAX_SCRIPT} bytes`);
  return readFileSync(path, 'utf8');
}

/**
 * `identity`: who the caller is, when known otherwise than through libc (user-files.ts); `env`:
 * the caller's environment, when it is not this process's (the resident judge's callers).
 */
export async function loadGuard(
  values: Record<string, unknown>,
  point: GuardPoint,
  cwd?: string,
  identity?: Identity,
  env?: Record<string, string | undefined>,
): Promise<Guard> {
  const engine = await PolicyEngine.load({
    policies: values.policy as string[] | undefined,
    data: values.data as string[] | undefined,
    config: typeof values.config === 'string' ? values.config : undefined,
  });
  const log = decisionLogFor(values, point, env);
  return new Guard({
    engine,
    strict: values.strict === true,
    ...(cwd ? { cwd } : {}),
    ...(log ? { log } : {}),
    ...(identity ? { identity } : {}),
    ...(env ? { env } : {}),
  });
}

export async function runCheck(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const shell = typeof values.shell === 'string' ? values.shell : undefined;
  if ((shell === undefined) === (positionals.length === 0)) {
    process.stderr.write("dockgate: check: give either --shell 'COMMAND TEXT' or -- docker ARGS...\n");
    return EXIT_UNDECIDABLE;
  }
  let result: GuardResult;
  try {
    const guard = await loadGuard(values, 'check');
    if (shell !== undefined) result = await guard.checkShell(shell, readScript);
    else {
      const program = basename(positionals[0] as string);
      if (program !== 'docker' && program !== 'docker-compose') {
        process.stderr.write(`dockgate: check: expected a docker command after --, not ${program}\n`);
        return EXIT_UNDECIDABLE;
      }
      const args = positionals.slice(1);
      result = await guard.checkArgv(program === 'docker-compose' ? ['compose', ...args] : args);
    }
  } catch (err) {
    process.stderr.write(`dockgate: check: ${(err as Error)?.message ?? String(err)}\n`);
    return EXIT_UNDECIDABLE;
  }
  process.stdout.write(values.json === true ? `${JSON.stringify(result)}\n` : formatText(result));
  return result.outcome === 'allow' ? EXIT_ALLOW : result.outcome === 'deny' ? EXIT_DENY : EXIT_UNDECIDABLE;
}

export function formatText(result: GuardResult): string {
  const lines: string[] = [];
  for (const f of result.findings) lines.push(...findingLines(f));
  if (lines.length === 0) lines.push('allowed: no docker command in it');
  return `${lines.join('\n')}\n`;
}

function findingLines(f: Finding): string[] {
  const out: string[] = [];
  if (f.outcome === 'deny') {
    out.push(`denied: ${f.command}`);
    for (const r of f.reasons) {
      const args = r.arguments.length > 0 ? ` [${r.arguments.join(', ')}]` : '';
      out.push(`  dockgate: ${r.rule}: ${r.msg}${args}${r.hint ? ` (fix: ${r.hint})` : ''}`);
    }
  } else if (f.outcome === 'undecidable') {
    out.push(`undecidable: ${f.command}`);
    for (const n of f.notes) out.push(`  ${n}`);
  } else {
    out.push(`allowed: ${f.command}`);
    for (const n of f.notes) out.push(`  note: ${n}`);
  }
  return out;
}

/** The reason shown to the agent: the denials first, then what could not be decided. */
export function reasonText(result: GuardResult): string {
  const lines: string[] = [];
  for (const f of result.findings.filter((x) => x.outcome === result.outcome)) lines.push(...findingLines(f));
  return lines.join('\n').slice(0, 4000);
}
