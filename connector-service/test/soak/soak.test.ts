// The soak in CI (opt-in, below): one seeded kill-and-fault trial per store (soakTrial.ts; on PostgreSQL two connector instances),
// shorter than `npm run soak`'s 1,000-change trials so both fit in about two minutes. The history checker's findings
// must all lie in the holes still open (the three automatic policies, as in the simulation); the Manual rule and the
// one-way rules must lose nothing, miss no conflict, apply nothing twice or out of order, and both sides converge.
import { afterAll, describe, expect, it } from 'vitest';
import { postgresAvailable, startTestPostgres, type TestPostgres } from '../../../test/support/postgres.ts';
import { runTrial, type TrialResult } from './soakTrial.ts';

const SEED = Number(process.env.CLM_SOAK_SEED ?? Date.now() % 1_000_000);
const CHANGES = Number(process.env.CLM_SOAK_CHANGES ?? 150);
/** Rules whose findings are known open holes (see the simulation's seedBlock.ts). */
const OPEN = /^deal \d+ Soak_(Payment_Terms|Next_Step|Deal_Notes): /;

function outsideOpenHoles(result: TrialResult): string[] {
    const { lost, duplicated, outOfOrder, conflictsMissed } = result.verdict;
    return [...lost, ...duplicated, ...outOfOrder, ...conflictsMissed].filter((line) => !OPEN.test(line));
}

function report(store: string, result: TrialResult): void {
    const { verdict } = result;
    console.log(
        `soak (${store}) seed ${result.seed}: ${result.changes} changes, ${result.kills} kills, ${result.faults} faults, ` +
            `${result.conflicts} conflicts; lost ${verdict.lost.length}, duplicated ${verdict.duplicated.length}, ` +
            `out of order ${verdict.outOfOrder.length}, conflicts missed ${verdict.conflictsMissed.length}; converged ` +
            `${result.convergeSeconds} s after the last fault (CLM_SOAK_SEED=${result.seed} replays the schedule)`
    );
}

let database: TestPostgres | undefined;
afterAll(async () => {
    await database?.stop();
});

// Opt-in (CLM_SOAK_CI=1): on the shared 2-core machine (load average ~20) a trial's connector could not keep up and the
// sides had not converged two minutes after the last fault, so the suite would fail for want of CPU, not for a fault.
const OPTED_IN = process.env.CLM_SOAK_CI === '1';
if (!OPTED_IN) console.log('soak trials skipped: set CLM_SOAK_CI=1 to run them (each needs a few free CPU minutes)');

describe.runIf(OPTED_IN)(`soak trials (seed ${SEED})`, () => {
    it(
        'SQLite: one connector killed and faulted, nothing lost outside the open holes',
        { timeout: 300_000 },
        async () => {
            const result = await runTrial({ seed: SEED, store: { kind: 'sqlite' }, changes: CHANGES, deals: 4 });
            report('sqlite', result);
            expect(outsideOpenHoles(result)).toEqual([]);
            expect(result.kills).toBeGreaterThanOrEqual(2);
            expect(result.convergeSeconds).toBeLessThanOrEqual(60);
        }
    );

    it.runIf(postgresAvailable())(
        'PostgreSQL: two instances, either killed and faulted, nothing lost outside the open holes',
        { timeout: 300_000 },
        async () => {
            database = await startTestPostgres('soak');
            const result = await runTrial({
                seed: SEED + 1,
                store: { kind: 'postgres', url: database.url },
                changes: CHANGES,
                deals: 4
            });
            report('postgres', result);
            expect(outsideOpenHoles(result)).toEqual([]);
            expect(result.kills).toBeGreaterThanOrEqual(2);
            expect(result.convergeSeconds).toBeLessThanOrEqual(60);
        }
    );
});
