// Every conformance case passes through the runner: the shared ones of ../shared/sf-conformance (REST, OAuth, Bulk
// and the gRPC Pub/Sub ones) and the project's own of conformance/cases/ (fidelity fixes that must not come back);
// `npm run test:conformance` runs both and prints the plain summary line for all of them.
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
import { PROJECT_CASES, runConformance } from '../conformance/runner.ts';

const casesDir = path.join(sharedDir, 'sf-conformance');
const caseFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.json'));
const openssl = requireOrSkip(
    commandRequirement('openssl', 'apt-get install openssl (the runner serves HTTPS with a self-signed certificate)')
);
const shared = openssl && requireOrSkip(sharedRequirement('sf-conformance'));

describe.skipIf(!openssl)('project conformance cases (conformance/cases)', () => {
    it('passes every case', async () => {
        const lines: string[] = [];
        const report = await runConformance(PROJECT_CASES, (l) => lines.push(l));
        expect(report.failed, lines.join('\n')).toBe(0);
        expect(report.passed).toBe(caseFiles(PROJECT_CASES).length + readApexCases().length);
    }, 120_000);
});

describe.skipIf(!shared)('conformance cases (sf-wire.md §9)', () => {
    it('passes every case, gRPC included', async () => {
        const lines: string[] = [];
        const report = await runConformance(casesDir, (l) => lines.push(l));
        expect(report.failed, lines.join('\n')).toBe(0);
        expect(report.passed).toBe(caseFiles(casesDir).length);
    }, 120_000);

    it('passes the shared and the project cases through npm run test:conformance', () => {
        const total = caseFiles(casesDir).length + caseFiles(PROJECT_CASES).length + readApexCases().length;
        const output = execFileSync(
            process.execPath,
            [
                path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'),
                'test/emulators/salesforce/conformance/run.ts' // no directory: the shared cases and the project's
            ],
            { cwd: repoRoot, encoding: 'utf8', timeout: 150_000 }
        );
        expect(output.trim().split('\n').at(-1)).toBe(`${total} passed, 0 failed`);
    }, 180_000);
});
