// The package's Apex in the org emulator: how long an org with the package takes to start, how long its Apex takes
// to compile on first need (parser cold), how long every package test method takes through runTests, and the
// org-wide line coverage. Figures for `npm run bench`, never asserted.
import { performance } from 'node:perf_hooks';
import { activeProgram } from '../emulators/salesforce/src/apex/index.ts';
import { Org, packageMetadataDirs } from '../emulators/salesforce/src/org.ts';

export interface ApexBench {
    apexOrgStartMs: number;
    apexCompileMs: number;
    apexTestMethods: number;
    apexTestRunMs: number;
    apexCoveragePercent: number;
}

export async function runApexBench(repoRoot: string): Promise<ApexBench> {
    const started = performance.now();
    const org = new Org({
        metadataDirs: packageMetadataDirs(repoRoot),
        dailyApiMax: 15_000,
        sessionTimeoutMs: 3_600_000
    });
    const apexOrgStartMs = Math.round(performance.now() - started);
    const compileStarted = performance.now();
    const program = activeProgram(org)!;
    const apexCompileMs = Math.round(performance.now() - compileStarted);
    const runStarted = performance.now();
    const run = await program.runTests({ userId: org.userIds.admin }, {});
    const apexTestRunMs = Math.round(performance.now() - runStarted);
    let covered = 0;
    let total = 0;
    for (const c of run.coverage) {
        covered += c.coveredLines.length;
        total += c.coveredLines.length + c.uncoveredLines.length;
    }
    return {
        apexOrgStartMs,
        apexCompileMs,
        apexTestMethods: run.methods.length,
        apexTestRunMs,
        apexCoveragePercent: Math.round((1000 * covered) / total) / 10
    };
}
