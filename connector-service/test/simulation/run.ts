// `npx tsx connector-service/test/simulation/run.ts [--seed N] [--seeds COUNT] [--from S] [--break echo] [--trace]`:
// runs the deterministic simulation for one seed (replayed exactly, its step trace printed with --trace) or for a
// range of seeds, and prints each failing seed with what the history checker found.
import { parseArgs } from 'node:util';
import { clean, simulate } from './simulation.ts';

const { values } = parseArgs({
    options: {
        seed: { type: 'string' },
        seeds: { type: 'string', default: '100' },
        from: { type: 'string', default: '1' },
        break: { type: 'string' },
        trace: { type: 'boolean', default: false },
        rules: { type: 'string' }
    }
});
const broken = values.break === 'echo' ? ('echo' as const) : undefined;
const rules = values.rules?.split(',');
const seeds =
    values.seed !== undefined
        ? [Number(values.seed)]
        : Array.from({ length: Number(values.seeds) }, (_, index) => Number(values.from) + index);
const started = performance.now();
let failed = 0;
for (const seed of seeds) {
    const result = await simulate(seed, { break: broken, ...(rules ? { rules } : {}) });
    if (values.trace) console.log(result.trace.join('\n'));
    if (!clean(result.verdict)) {
        failed += 1;
        const { lost, duplicated, outOfOrder, conflictsMissed, spuriousConflicts } = result.verdict;
        console.log(`seed ${seed} FAILED (replay: --seed ${seed}):`);
        for (const line of [...lost, ...duplicated, ...outOfOrder, ...conflictsMissed, ...spuriousConflicts].slice(
            0,
            12
        ))
            console.log(`    ${line}`);
    }
}
console.log(
    `${seeds.length} seeds, ${failed} failed, ${((performance.now() - started) / 1000).toFixed(1)} s` +
        (broken ? ` (echo check broken on purpose)` : '')
);
