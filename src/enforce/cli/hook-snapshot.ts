// The entry of the hook's V8 startup snapshot. bundle.ts bundles it into one script and runs
// `node --snapshot-blob BLOB --build-snapshot` on it: the script loads everything a hook call
// needs (the shell parser initialised, the built-in pack compiled and kept, every module's
// top-level work done), judges a few commands, and the heap is saved. bin/dockgate then starts
// `node --snapshot-blob BLOB hook ARGS`: Node deserialises that heap and runs main() below, which
// only reads the event and judges it.
//
// A snapshot holds no native addon and no module loaded from a file, so here the caller is named
// from the user and group files (user-files.ts), and libc (koffi) is not in the snapshot at all.
// Whatever this process cannot answer as the full CLI would, it leaves before reading stdin, with
// EXIT_ELSEWHERE: bin/dockgate then runs the hook from the bundle, stdin untouched.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { keepBuiltinPack } from '../../policy/engine.js';
import type { Identity } from '../../tenancy/index.js';
import { loadGuard, readScript, reasonText } from './command.js';
import type { GuardPoint } from './decision-log.js';
import { warmHook } from './hook-entry.js';
import { HOOK_FLAGS } from './hook-flags.js';
import { runHook } from './hook.js';
import { identityFromFiles } from './user-files.js';

/** bin/dockgate runs the hook from the bundle on this status (any other than 0 does the same). */
export const EXIT_ELSEWHERE = 14;

/** The Node that built the snapshot: Node refuses another's blob itself; this says so first. */
const BUILT_BY = `${process.version} ${process.arch} ${process.platform}`;

/** Someone the pack exempts from nothing, for the build's warm-up only (its uid: the one whose entry can be read). */
function warmIdentity(): Identity {
  const uid = process.getuid?.() ?? null;
  return { uid, gid: uid, user: 'dockgate-warm-up', groups: ['dockgate-warm-up'], pid: null, via: 'cli' };
}

async function prepare(): Promise<void> {
  await keepBuiltinPack();
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-snapshot-'));
  const logEnv = process.env.DOCKGATE_DECISION_LOG;
  try {
    const config = join(dir, 'config.toml');
    writeFileSync(config, '[identity]\nadmins = []\n');
    delete process.env.DOCKGATE_DECISION_LOG;
    await warmHook(config, warmIdentity());
  } finally {
    if (logEnv !== undefined) process.env.DOCKGATE_DECISION_LOG = logEnv;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One hook call: `node --snapshot-blob BLOB hook ARGS`. */
export async function main(argv: string[]): Promise<number> {
  if (`${process.version} ${process.arch} ${process.platform}` !== BUILT_BY) return EXIT_ELSEWHERE;
  if (argv[0] !== 'hook') return EXIT_ELSEWHERE;
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv.slice(1), options: HOOK_FLAGS, allowPositionals: false, strict: true }).values;
  } catch {
    return EXIT_ELSEWHERE; // --help, a flag hook does not take: the whole CLI answers
  }
  const identity = identityFromFiles();
  if (identity === undefined) return EXIT_ELSEWHERE; // groups from elsewhere than /etc/group: libc answers
  const judge = {
    loadGuard: (v: Record<string, unknown>, point: GuardPoint, cwd?: string) => loadGuard(v, point, cwd, identity),
    readScript,
    reasonText,
  };
  return runHook(values, async () => judge);
}

if (v8.startupSnapshot?.isBuildingSnapshot()) {
  // The build waits for this (Node runs the event loop dry before it saves the heap); a failure
  // fails the build, which then keeps no blob.
  prepare().catch((err) => {
    process.stderr.write(`dockgate: hook snapshot: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
  v8.startupSnapshot.setDeserializeMainFunction(() => {
    main(process.argv.slice(1)).then(
      (code) => {
        process.exitCode = code;
      },
      () => {
        process.exitCode = EXIT_ELSEWHERE;
      },
    );
  });
}
