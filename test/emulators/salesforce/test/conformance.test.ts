// Every case of ../shared/sf-conformance passes: the HTTP runner's REST, OAuth and Bulk cases here (it leaves the
// gRPC ones to conformance/grpc.ts), and the whole directory through `npm run test:conformance`.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
    commandRequirement,
    repoRoot,
    requireOrSkip,
    sharedDir,
    sharedRequirement
} from '../../../support/requirements.ts';
import { runConformance } from '../conformance/runner.ts';

const casesDir = path.join(sharedDir, 'sf-conformance');
const ready =
    requireOrSkip(sharedRequirement('sf-conformance')) &&
    requireOrSkip(
        commandRequirement(
            'openssl',
            'apt-get install openssl (the runner serves HTTPS with a self-signed certificate)'
        )
    );

describe.skipIf(!ready)('conformance cases (sf-wire.md §9)', () => {
    it('passes every REST, OAuth and Bulk case and leaves gRPC cases not yet run', async () => {
        const files = readdirSync(casesDir).filter((f) => f.endsWith('.json'));
        const grpc = files.filter(
            (f) =>
                (JSON.parse(readFileSync(path.join(casesDir, f), 'utf8')) as { request: { method: string } }).request
                    .method === 'GRPC'
        );
        const lines: string[] = [];
        const report = await runConformance(casesDir, (l) => lines.push(l));
        expect(report.failed, lines.join('\n')).toBe(0);
        expect(report.passed).toBe(files.length - grpc.length);
        expect(report.notRun).toBe(grpc.length);
    }, 120_000);

    it('passes the whole directory, gRPC cases included, through npm run test:conformance', () => {
        const files = readdirSync(casesDir).filter((f) => f.endsWith('.json'));
        const output = execFileSync(
            process.execPath,
            [
                path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'),
                'test/emulators/salesforce/conformance/run.ts',
                casesDir
            ],
            {
                cwd: repoRoot,
                encoding: 'utf8',
                timeout: 120_000
            }
        );
        expect(output.trim().split('\n').at(-1)).toBe(`${files.length} passed, 0 failed`);
    }, 150_000);
});
