// Every case of ../shared/sf-conformance passes — REST, OAuth, Bulk and the gRPC (Pub/Sub) ones — through the runner,
// and `npm run test:conformance` prints the plain summary line for the whole directory.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
    commandRequirement,
    repoRoot,
    requireOrSkip,
    sharedDir,
    sharedRequirement
} from '../../../support/requirements.ts';
import { readApexCases } from '../conformance/apex.ts';
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
    it('passes every case, gRPC included', async () => {
        const files = readdirSync(casesDir).filter((f) => f.endsWith('.json'));
        const lines: string[] = [];
        const report = await runConformance(casesDir, (l) => lines.push(l));
        expect(report.failed, lines.join('\n')).toBe(0);
        expect(report.passed).toBe(files.length + readApexCases().length);
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
        expect(output.trim().split('\n').at(-1)).toBe(`${files.length + readApexCases().length} passed, 0 failed`);
    }, 150_000);
});
