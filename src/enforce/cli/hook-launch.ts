// `dockgate hook` as bin/dockgate starts it: the event is read and looked at first (hook.ts), and
// only shell text that may reach docker is judged: by the caller's resident judge (resident.ts),
// which has the parser and the policy loaded, and when it cannot answer, in this process, from
// the bundle `npm run build` made (hook-bundle.ts), else from the modules: slower, the same.
import { parseArgs } from 'node:util';
import type { BundleFiles } from './hook-bundle.js';
import { HOOK_FLAGS } from './hook-flags.js';
import { type Judge, judgeModules, judgeQuestion, runHook } from './hook.js';
import { residentAsk } from './resident.js';

/**
 * `dockgate hook ARGS`; undefined: not a plain hook call (--help, a flag it does not take), for
 * the whole CLI to answer as it answers any command.
 * @public (bin/dockgate calls it)
 */
export async function launchHook(args: string[], files?: BundleFiles): Promise<number | undefined> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args, options: HOOK_FLAGS, allowPositionals: false, strict: true }).values;
  } catch {
    return undefined;
  }
  const loadJudge = () => judgeFromBundle(files);
  return runHook(
    values,
    loadJudge,
    residentAsk((question, v) => judgeQuestion(question, v, loadJudge)),
  );
}

async function judgeFromBundle(files: BundleFiles | undefined): Promise<Judge> {
  try {
    // Loaded here, not at the top: a call the resident judge answers needs none of it.
    const { bundleFiles, loadHookBundle } = await import('./hook-bundle.js');
    const loaded = loadHookBundle(files ?? bundleFiles());
    if (loaded !== undefined) return loaded.bundle;
  } catch {
    // A bundle that does not run (a partial write, a file from another build): the modules judge.
  }
  return judgeModules();
}
