// The entry of the hook bundle (bundle.ts builds it, hook-launch.ts loads it): what judges shell
// text, with all it imports, in one script, so that a hook call neither resolves nor compiles
// modules one by one.
import { loadGuard, readScript, reasonText } from './command.js';
import { hookDecision } from './hook.js';

export { loadGuard, readScript, reasonText };

/**
 * Judges a few commands as a hook call would, printing nothing: the build runs this before it
 * takes V8's code cache of the bundle, so that the cache holds the functions a call runs.
 */
export async function warmHook(config: string): Promise<void> {
  const judge = async () => ({ loadGuard, readScript, reasonText });
  const event = (command: string) =>
    JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command }, cwd: '/' });
  for (const command of [
    'docker run --privileged -v /:/h busybox',
    'docker run --rm busybox echo hi',
    `cd /tmp && bash -c "make && docker compose up" | tee log`,
  ])
    await hookDecision(event(command), { config }, 'claude', judge);
}
