/**
 * `npm run bench` at toy sizes: it runs to the end by itself and its last line is one JSON object carrying the
 * nine figures of issue #9 as finite numbers (other tools read that line). The figures themselves are not judged.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { repoRoot } from '../support/requirements.ts';

const ISSUE_KEYS = [
    'sfCallsPer1000Writes',
    'sfCallsPer1000Enrichments',
    'latencyCdcToClmP50Ms',
    'latencyCdcToClmP99Ms',
    'latencyWebhookToSfP99Ms',
    'recordsPerSecondSqlite',
    'rssMbAt10kQueued',
    'baselineCallsPer1000Writes',
    'baselineRecordsPerSecond',
    // issue 18: the pipeline's calls per change, per direction, at a trickle and in a burst
    'sfCallsPerChangeTrickleClmToSf',
    'sfCallsPerChangeTrickleSfToClm',
    'sfCallsPer1000ChangesBurst',
    'clmReadsPerChangeTrickle',
    'clmReadsPer1000ChangesBurst',
    'recordSyncsPerSecond'
];
/** Printed always; null when the run was too small or too short to measure them (a projection needs progress). */
const PRESENT_KEYS = [
    'drainSeconds5000AtVendorLimits',
    'recordSyncsPerSecondTwoInstancesPostgres',
    'orgsFairnessMinShare'
];

it('prints human lines, then one JSON line with every figure the issue names', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/bench/run.ts'], {
        cwd: repoRoot,
        timeout: 300_000,
        env: {
            ...process.env,
            BENCH_RECORDS: '20',
            BENCH_PAIRS: '10',
            BENCH_CDC_CHANGES: '10',
            BENCH_CDC_RATE: '10',
            BENCH_WEBHOOK_CHANGES: '6',
            BENCH_WEBHOOK_RATE: '2',
            BENCH_QUEUED: '10000',
            BENCH_DRAIN_MS: '200',
            BENCH_DRAIN_CHANGES: '10',
            BENCH_DRAIN_TIMEOUT_MS: '3000',
            BENCH_STORE_SINGLE: '0',
            BENCH_STORE_BATCHES: '0',
            BENCH_STORE_CLAIMS: '0'
        }
    });
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(5);
    const figures = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    for (const key of ISSUE_KEYS) expect({ key, finite: Number.isFinite(figures[key]) }).toEqual({ key, finite: true });
    for (const key of PRESENT_KEYS) expect({ key, present: key in figures }).toEqual({ key, present: true });
}, 320_000);
