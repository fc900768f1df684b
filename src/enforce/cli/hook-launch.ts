// `dockgate hook` as bin/dockgate starts it: the event is read and looked at first (hook.ts), and
// only shell text that may reach docker loads the judging part, from the bundle `npm run build`
// made (bundle.ts): one script, compiled from V8's code cache when the cache was made by this
// Node (its file name carries the version; V8 itself ignores a cache from another V8 or other
// flags). Without a bundle, or with one that does not load, the modules judge: slower, the same.
// Before either, the caller's resident judge is asked (resident.ts), which has them loaded.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import vm from 'node:vm';
import { HOOK_FLAGS } from './hook-flags.js';
import { type Judge, judgeModules, judgeQuestion, runHook } from './hook.js';
import { residentAsk } from './resident.js';

export interface HookBundle extends Judge {
  warmHook(config: string): Promise<void>;
}

export interface BundleFiles {
  script: string;
  cache: string;
}

export function bundleFiles(dir = dirname(fileURLToPath(import.meta.url))): BundleFiles {
  return {
    script: join(dir, 'hook.bundle.cjs'),
    cache: join(dir, `hook.bundle.cjs.${process.version}-${process.arch}.v8cache`),
  };
}

/** The bundle, run as Node runs a CommonJS file; undefined when there is none. */
export function loadHookBundle(files: BundleFiles): { bundle: HookBundle; script: vm.Script } | undefined {
  let source: string;
  try {
    // ASCII by construction: Latin-1 spares decoding UTF-8.
    source = readFileSync(files.script, 'latin1');
  } catch {
    return undefined;
  }
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(files.cache);
  } catch {
    cachedData = undefined;
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new vm.Script(wrapped, { filename: files.script, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as HookBundle };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(files.script), module, files.script, dirname(files.script));
  return { bundle: module.exports, script };
}

/**
 * `dockgate hook ARGS`; undefined: not a plain hook call (--help, a flag it does not take), for
 * the whole CLI to answer as it answers any command.
 * @public (bin/dockgate calls it)
 */
export async function launchHook(args: string[], files: BundleFiles = bundleFiles()): Promise<number | undefined> {
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

async function judgeFromBundle(files: BundleFiles): Promise<Judge> {
  try {
    const loaded = loadHookBundle(files);
    if (loaded !== undefined) return loaded.bundle;
  } catch {
    // A bundle that does not run (a partial write, a file from another build): the modules judge.
  }
  return judgeModules();
}
