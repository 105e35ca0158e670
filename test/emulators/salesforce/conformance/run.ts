// `npm run test:conformance -- [dir]` (default ../shared/sf-conformance beside the repository).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runConformance } from './runner.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const dir = path.resolve(process.argv[2] ?? path.join(repoRoot, '..', 'shared', 'sf-conformance'));
if (!existsSync(dir)) {
    process.stderr.write(`no conformance cases at ${dir} — pass a directory: npm run test:conformance -- <dir>\n`);
    process.exit(2);
}
const report = await runConformance(dir, (line) => process.stdout.write(`${line}\n`));
process.stdout.write(`${report.passed} passed, ${report.failed} failed\n`);
process.exit(report.failed > 0 ? 1 : 0);
