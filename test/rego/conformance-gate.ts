// CI gate: the conformance suite must pass at least as many cases as the recorded floor
// (test/rego/conformance-floor.txt). Raise the floor when the engine improves.
import { readFloor, runConformance, type ConformanceSummary } from './conformance-lib.js';

const floor = readFloor();
let sum: ConformanceSummary;
try {
  sum = runConformance([]);
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
}
const line = `${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped`;
if (sum.passed < floor) {
  process.stderr.write(`conformance: ${line}: below the floor of ${floor} (a regression; run npm run conformance)\n`);
  process.exitCode = 1;
} else {
  process.stdout.write(
    `OPA conformance: ${sum.passed} of ${sum.passed + sum.failed + sum.skipped} cases pass, ${sum.skipped} skipped (floor ${floor})\n`,
  );
}
