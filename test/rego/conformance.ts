// `npm run conformance [-- PATH...]`: runs OPA's conformance cases, prints one line per
// failure and ends with exactly one summary line "N passed, N failed, N skipped".
import { runConformance, type ConformanceSummary } from './conformance-lib.js';

let sum: ConformanceSummary;
try {
  sum = runConformance(process.argv.slice(2), (o) => {
    if (o.status === 'fail') process.stdout.write(`FAIL ${o.file}: ${o.note}: ${o.detail ?? ''}\n`);
  });
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(2);
}
process.stdout.write(`${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped\n`);
process.exitCode = sum.failed > 0 ? 1 : 0;
