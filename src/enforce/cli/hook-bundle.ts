// The hook bundle `npm run build` makes (bundle.ts), as a hook call loads it: one script, run as
// Node runs a CommonJS file, compiled from V8's code cache when the cache was made by this Node
// (its file name carries the version; V8 itself ignores a cache from another V8 or other flags).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import type { Judge } from './hook.js';

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
