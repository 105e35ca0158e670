// `npm run test:conformance -- [dir ...]`: by default the shared cases (../shared/sf-conformance beside the
// repository, when present) and the project's own (conformance/cases/), each against a fresh emulator; one
// summary line for all of them.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_CASES, runConformance } from './runner.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const shared = path.join(repoRoot, '..', 'shared', 'sf-conformance');
const dirs =
    process.argv.length > 2
        ? process.argv.slice(2).map((d) => path.resolve(d))
        : [...(existsSync(shared) ? [shared] : []), PROJECT_CASES];
for (const dir of dirs) {
    if (!existsSync(dir)) {
        process.stderr.write(`no conformance cases at ${dir} — pass a directory: npm run test:conformance -- <dir>\n`);
        process.exit(2);
    }
}
let passed = 0;
let failed = 0;
for (const dir of dirs) {
    const report = await runConformance(dir, (line) => process.stdout.write(`${line}\n`));
    passed += report.passed;
    failed += report.failed;
}
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);
