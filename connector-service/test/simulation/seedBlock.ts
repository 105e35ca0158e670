// One block of the CI's 1,000 simulation seeds (four files of 250 run side by side). Every finding is printed with
// its seed (replay: `npx tsx connector-service/test/simulation/run.ts --seed N --trace`); the block fails on any
// finding outside the holes still open, and on any lost or missed-conflict finding for the Manual and one-way rules.
import { expect } from 'vitest';
import { simulate } from './simulation.ts';

/** Findings the simulation still makes, each a known open hole (see the lead's note on issue 22). */
export const OPEN_HOLES: readonly { pattern: RegExp; why: string }[] = [
    {
        pattern: /^deal \d+ Sim_(Payment_Terms|Next_Step|Deal_Notes): /,
        why: 'NewestWins orders a CLM edit by the contract-level version time; SalesforceWins/ClmWins still let a write planned before the decision land (retries after a lost answer)'
    },
    {
        pattern: /^deal \d+ Sim_Special_Terms: salesforce took .* after it held the later /,
        why: 'a Salesforce write retried after its answer was lost lands again after a newer edit (its echo was already seen)'
    },
    {
        pattern: /^deal \d+ Sim_\w+: .* written to salesforce again, which already held it$/,
        why: 'a Salesforce write retried after a lost answer or a crash is sent again (seed 27; not yet diagnosed)'
    },
    {
        pattern: /^deal \d+ Sim_Special_Terms: a conflict \(.*\) with no concurrent edits$/,
        why: 'false Manual conflicts (the CLM side as it was before our write landed), seen since the merge of perf (the PATCH answer planned as a read); seeds 43, 49; not yet diagnosed'
    },
    {
        pattern: /^deal \d+ Sim_Special_Terms: the sides ended apart without a conflict /,
        why: 'SERIOUS: a Manual field left different on the two sides with no conflict (seeds 159, 238, after the merge of perf); not yet diagnosed'
    },
    { pattern: /^not converged within 60 s/, why: 'follows from the holes above' }
];

/**
 * Seeds that still find a silent loss on a Manual field, left out of the blocks and pinned by knownLosses.test.ts
 * (which fails once they no longer reproduce, so the fix removes them from here).
 */
export const KNOWN_LOSSES: ReadonlyMap<number, string> = new Map([
    [
        788,
        "a Salesforce write retried after a crash lands over a person's later edit of a Manual field without a conflict (the outbox re-checks only the current record, not whether the pair still expects the write)"
    ]
]);

export async function runSeedBlock(from: number, count: number): Promise<void> {
    const findings: string[] = [];
    const unexplained: string[] = [];
    for (let seed = from; seed < from + count; seed++) {
        if (KNOWN_LOSSES.has(seed)) continue;
        const { verdict } = await simulate(seed, { steps: 60 });
        const lines = [
            ...verdict.lost,
            ...verdict.duplicated,
            ...verdict.outOfOrder,
            ...verdict.conflictsMissed,
            ...verdict.spuriousConflicts
        ];
        for (const line of lines) {
            findings.push(`seed ${seed}: ${line}`);
            const open = OPEN_HOLES.some((hole) => hole.pattern.test(line));
            const manualLoss = verdict.conflictsMissed.includes(line);
            if (!open || manualLoss) unexplained.push(`seed ${seed}: ${line}`);
        }
    }
    const seeds = new Set(findings.map((line) => line.split(':')[0]));
    console.log(
        `simulation seeds ${from}–${from + count - 1}: ${seeds.size} with findings in open holes` +
            (findings.length > 0 ? ` (first: ${findings[0]})` : '')
    );
    expect(unexplained, 'findings outside the open holes (replay with run.ts --seed N --trace)').toEqual([]);
}
