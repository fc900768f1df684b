// `dockgate hook`: a coding agent's pre-tool hook. JSON comes in on stdin, a decision goes out on
// stdout, in the agent's own format:
//   claude  Claude Code PreToolUse: tool_name "Bash", tool_input.command; answers
//           hookSpecificOutput.permissionDecision deny | ask (nothing when allowed, so the
//           agent's own permission rules still apply)
//   gemini  Gemini CLI BeforeTool: tool_name "run_shell_command", tool_input.command; answers
//           decision "deny" with a reason (it has no "ask": undecidable is denied), or {}
//   cursor  Cursor beforeShellExecution: command at the top level; answers permission
//           allow | deny | ask with user_message and agent_message
//   codex   Codex CLI PreToolUse: tool_name "Bash", tool_input.command; answers
//           hookSpecificOutput.permissionDecision deny with a non-empty reason, nothing when
//           allowed. Codex takes "allow" and "ask" as invalid output and then runs the command,
//           so what cannot be decided is denied there.
// It fails closed by itself: the agents run a command whose hook crashed or timed out, so every
// error, parse failure or overrun still prints a decision that stops the command.
import { cannotReachDocker } from './prefilter.js';

type Format = 'claude' | 'gemini' | 'cursor' | 'codex';
type Decision = 'allow' | 'deny' | 'ask';

/** The hook answers within this, whatever happens (agents time hooks out, and then run the command). */
const HOOK_DEADLINE_MS = 8_000;

interface ShellCall {
  command: unknown;
  cwd: unknown;
}

/** The shell command an event is about; undefined: another tool, passed untouched. */
function shellCall(format: Format, event: Record<string, unknown>): ShellCall | undefined {
  const toolInput = event.tool_input as Record<string, unknown> | undefined;
  if (format === 'cursor') return { command: event.command, cwd: event.cwd };
  const shellTool = format === 'gemini' ? 'run_shell_command' : 'Bash';
  if (event.tool_name !== shellTool) return undefined;
  return { command: toolInput?.command, cwd: event.cwd ?? toolInput?.dir_path };
}

/** The agent's answer; undefined: print nothing. */
function render(format: Format, decision: Decision | undefined, reason: string): unknown {
  switch (format) {
    case 'claude':
      if (decision === undefined || decision === 'allow') return undefined;
      return {
        hookSpecificOutput: {
          hookEventName: 'PreToolUse',
          permissionDecision: decision,
          permissionDecisionReason: reason,
        },
      };
    case 'gemini':
      if (decision === undefined || decision === 'allow') return {};
      return { decision: 'deny', reason };
    case 'cursor': {
      if (decision === undefined || decision === 'allow') return { permission: 'allow' };
      // Cursor's auto-review mode has been reported to run a command whose hook answered "ask",
      // without a prompt, while "deny" holds in every mode: what cannot be decided is denied.
      const text = decision === 'ask' ? undecidedRefusal(reason) : reason;
      return { permission: 'deny', user_message: text, agent_message: text };
    }
    case 'codex':
      if (decision === undefined || decision === 'allow') return undefined;
      // Codex ignores a deny whose reason is blank (and runs the command): there is always one.
      if (reason.trim() === '') reason = 'dockgate: refused';
      return {
        hookSpecificOutput: {
          hookEventName: 'PreToolUse',
          permissionDecision: 'deny',
          permissionDecisionReason: decision === 'ask' ? undecidedRefusal(reason) : reason,
        },
      };
  }
}

/** The reason given where an agent cannot be asked to confirm: the command is refused instead. */
function undecidedRefusal(reason: string): string {
  return `dockgate cannot decide this command before it runs, so it is refused:\n${reason}`;
}

function formatOf(values: Record<string, unknown>): Format {
  const f = values.format ?? 'claude';
  if (f === 'claude' || f === 'gemini' || f === 'cursor' || f === 'codex') return f;
  throw new Error(`--format must be claude, codex, gemini or cursor, not ${String(f)}`);
}

/** What judges shell text: command.ts, as modules or from the hook bundle (hook-launch.ts). */
export type Judge = Pick<typeof import('./command.js'), 'loadGuard' | 'readScript' | 'reasonText'>;

export const judgeModules = (): Promise<Judge> => import('./command.js');

/** What a hook answers: the decision and its reason (decision undefined: print the allow answer). */
export interface HookVerdict {
  decision: Decision | undefined;
  reason: string;
}

/** Shell text to judge, and the directory the event says it runs in (absolute, or undefined). */
export interface ShellQuestion {
  command: string;
  cwd: string | undefined;
}

/** Reads an event: a verdict it already settles (not JSON, another tool, text that cannot reach docker), or the question to judge. */
export function readEvent(input: string, format: Format): { verdict: HookVerdict } | { question: ShellQuestion } {
  let event: unknown;
  try {
    event = JSON.parse(input);
  } catch {
    return { verdict: { decision: 'deny', reason: 'dockgate hook: the hook input is not JSON' } };
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event))
    return { verdict: { decision: 'deny', reason: 'dockgate hook: the hook input is not a JSON object' } };
  const call = shellCall(format, event as Record<string, unknown>);
  if (call === undefined) return { verdict: { decision: undefined, reason: '' } };
  if (typeof call.command !== 'string')
    return { verdict: { decision: 'deny', reason: 'dockgate hook: the shell tool call has no command text' } };
  if (cannotReachDocker(call.command)) return { verdict: { decision: undefined, reason: '' } };
  const cwd = typeof call.cwd === 'string' && call.cwd.startsWith('/') ? call.cwd : undefined;
  return { question: { command: call.command, cwd } };
}

/** Judges shell text with the policy the flags name. */
export async function judgeQuestion(
  question: ShellQuestion,
  values: Record<string, unknown>,
  loadJudge: () => Promise<Judge> = judgeModules,
): Promise<HookVerdict> {
  // Loaded only for shell text that may reach docker: the parser and the policy are most of a call.
  const { loadGuard, readScript, reasonText } = await loadJudge();
  const guard = await loadGuard(values, 'hook', question.cwd);
  const result = await guard.checkShell(question.command, readScript);
  if (result.outcome === 'deny') return { decision: 'deny', reason: reasonText(result) };
  if (result.outcome === 'undecidable') return { decision: 'ask', reason: reasonText(result) };
  return { decision: undefined, reason: '' };
}

/** Judges one event. */
export async function hookDecision(
  input: string,
  values: Record<string, unknown>,
  format: Format,
  loadJudge: () => Promise<Judge> = judgeModules,
): Promise<HookVerdict> {
  const read = readEvent(input, format);
  return 'verdict' in read ? read.verdict : judgeQuestion(read.question, values, loadJudge);
}

/** Who answers a question: judgeQuestion in this process, or the resident judge (resident.ts). */
export type AskJudge = (question: ShellQuestion, values: Record<string, unknown>) => Promise<HookVerdict>;

export async function runHook(
  values: Record<string, unknown>,
  loadJudge: () => Promise<Judge> = judgeModules,
  ask: AskJudge = (question, v) => judgeQuestion(question, v, loadJudge),
): Promise<number> {
  let format: Format = 'claude';
  let done = false;
  const finish = (decision: Decision | undefined, reason: string) => {
    if (done) return;
    done = true;
    const out = render(format, decision, reason);
    if (out !== undefined) process.stdout.write(`${JSON.stringify(out)}\n`);
  };
  const timer = setTimeout(() => {
    finish('deny', `dockgate hook: no verdict within ${HOOK_DEADLINE_MS} ms`);
    void exitNow(0);
  }, HOOK_DEADLINE_MS);
  try {
    format = formatOf(values);
    const input = await readHookInput();
    const read = readEvent(input, format);
    const { decision, reason } = 'verdict' in read ? read.verdict : await ask(read.question, values);
    finish(decision, reason);
  } catch (err) {
    finish('deny', `dockgate hook: ${(err as Error)?.message ?? String(err)}`);
  } finally {
    clearTimeout(timer);
  }
  return 0;
}

/**
 * Ends the process now. process.exit waits for Node's thread pool, where a read that never returns
 * (a config that is a FIFO without a writer, a hung mount) would keep the hook running after its
 * refusal is printed, until the agent times it out and runs the command (and would keep a
 * resident judge alive for ever). libc's _exit does not wait; stdout, a pipe or a file, is
 * written synchronously, so the refusal is out.
 */
export async function exitNow(code: number): Promise<void> {
  try {
    const { default: koffi } = await import('koffi');
    koffi.load('libc.so.6').func('void _exit(int)')(code);
  } catch {
    // No libc binding here (the startup snapshot holds none): the ordinary exit.
  }
  process.exit(code);
}

const MAX_HOOK_INPUT = 1024 * 1024;

async function readHookInput(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_HOOK_INPUT) throw new Error(`the hook input is over ${MAX_HOOK_INPUT} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
