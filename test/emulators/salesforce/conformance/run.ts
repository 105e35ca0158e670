// `npm run test:conformance -- [dir]` (default ../shared/sf-conformance beside the repository).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGrpcConformance } from './grpc.ts';
import { runConformance } from './runner.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const dir = path.resolve(process.argv[2] ?? path.join(repoRoot, '..', 'shared', 'sf-conformance'));
if (!existsSync(dir)) {
    process.stderr.write(`no conformance cases at ${dir} — pass a directory: npm run test:conformance -- <dir>\n`);
    process.exit(2);
}
// runner.ts reports gRPC cases as "not yet run"; their real outcome comes from the gRPC executor below.
let grpcPlaceholder = false;
const report = await runConformance(dir, (line) => {
    if (line.startsWith('NOT YET RUN')) grpcPlaceholder = true;
    else if (!line.startsWith(' ')) grpcPlaceholder = false;
    if (!grpcPlaceholder) process.stdout.write(`${line}\n`);
});
// gRPC (Pub/Sub) cases run through their own executor, against an emulator with the event bus.
const grpc = await runGrpcConformance(dir, (line) => process.stdout.write(`${line}\n`));
const passed = report.passed + grpc.filter((r) => r.outcome === 'passed').length;
const failed = report.failed + grpc.filter((r) => r.outcome === 'failed').length;
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);
