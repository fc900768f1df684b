// The entry of the hook bundle (bundle.ts builds it, hook-launch.ts loads it): what judges shell
// text, with all it imports, in one script, so that a hook call neither resolves nor compiles
// modules one by one.
import type { Identity } from '../../tenancy/index.js';
import { loadGuard, readScript, reasonText } from './command.js';
import type { GuardPoint } from './decision-log.js';
import { hookDecision } from './hook.js';

export { loadGuard, readScript, reasonText };

/**
 * Judges a few commands as a hook call would, printing nothing: the build runs this before it
 * takes V8's code cache of the bundle or its startup snapshot, so that they hold the functions a
 * call runs. `identity`: the caller to judge as (the snapshot's build has no libc lookups).
 */
export async function warmHook(config: string, identity?: Identity): Promise<void> {
  const judge = async () => ({
    loadGuard: (values: Record<string, unknown>, point: GuardPoint, cwd?: string) =>
      loadGuard(values, point, cwd, identity),
    readScript,
    reasonText,
  });
  const event = (command: string) =>
    JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command }, cwd: '/' });
  for (const command of [
    'docker run --privileged -v /:/h busybox',
    'docker run --rm busybox echo hi',
    `cd /tmp && bash -c "make && docker compose up" | tee log`,
  ])
    await hookDecision(event(command), { config }, 'claude', judge);
}
