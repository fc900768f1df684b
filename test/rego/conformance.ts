// `npm run conformance [-- PATH...]`: runs OPA's conformance cases, prints one line per
// failure and ends with exactly one summary line "N passed, N failed, N skipped".
import { runConformance } from './conformance-lib.js';

const sum = runConformance(process.argv.slice(2), (o) => {
  if (o.status === 'fail') process.stdout.write(`FAIL ${o.file}: ${o.note}: ${o.detail ?? ''}\n`);
});
process.stdout.write(`${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped\n`);
process.exitCode = sum.failed > 0 ? 1 : 0;
