// `npm run soak -- --trials N --store sqlite|postgres [--seed S] [--changes C] [--deals D]`: N seeded
// kill-and-fault trials (connector-service/test/soak/soakTrial.ts), one line per trial, and last the totals as one
// line of JSON: {"store","trials","changes","lost","duplicated","outOfOrder","conflictsMissed","maxConvergeSeconds"}
// (printed after every trial too, so a run stopped early still ends with the totals of the trials it finished).
// Trial i runs seed S + i; `--trials 1 --seed <that seed>` replays its workload and fault schedule (the moments a
// kill or a fault lands still depend on timing). On PostgreSQL two connector instances share one store.
import { parseArgs } from 'node:util';
import { runSql, startTestPostgres } from '../test/support/postgres.ts';
import { runTrial, type TrialResult } from '../connector-service/test/soak/soakTrial.ts';

const { values } = parseArgs({
    options: {
        trials: { type: 'string', default: '1' },
        store: { type: 'string', default: 'sqlite' },
        seed: { type: 'string' },
        changes: { type: 'string', default: '1000' },
        deals: { type: 'string', default: '12' },
        verbose: { type: 'boolean', default: false }
    }
});

function positive(name: string, raw: string | undefined): number {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) {
        console.error(`--${name} must be a positive whole number (got ${raw})`);
        process.exit(2);
    }
    return value;
}

const trials = positive('trials', values.trials);
const changes = positive('changes', values.changes);
const deals = positive('deals', values.deals);
const store = values.store;
if (store !== 'sqlite' && store !== 'postgres') {
    console.error(`--store must be sqlite or postgres (got ${store})`);
    process.exit(2);
}
const firstSeed = values.seed === undefined ? Date.now() % 1_000_000 : positive('seed', values.seed);

export interface SoakTotals {
    store: string;
    trials: number;
    changes: number;
    lost: number;
    duplicated: number;
    outOfOrder: number;
    conflictsMissed: number;
    maxConvergeSeconds: number;
}

const database = store === 'postgres' ? await startTestPostgres('soak') : null;
// Stopped early (SIGTERM, Ctrl-C): the private PostgreSQL cluster goes too; the totals so far are already printed.
for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => {
        void (database?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
    });
const totals: SoakTotals = {
    store,
    trials: 0,
    changes: 0,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    conflictsMissed: 0,
    maxConvergeSeconds: 0
};
try {
    for (let trial = 0; trial < trials; trial++) {
        const seed = firstSeed + trial;
        let storeOption: Parameters<typeof runTrial>[0]['store'] = { kind: 'sqlite' };
        if (database) {
            // A database of its own per trial, on the one private cluster.
            const url = new URL(database.url);
            const name = `${url.pathname.slice(1)}_t${trial}`;
            await runSql(database.url, `CREATE DATABASE ${name}`);
            url.pathname = `/${name}`;
            storeOption = { kind: 'postgres', url: url.toString() };
        }
        const started = Date.now();
        const result: TrialResult = await runTrial({
            seed,
            store: storeOption,
            changes,
            deals,
            log: values.verbose ? (line) => console.log(line) : undefined
        });
        const { verdict } = result;
        totals.trials += 1;
        totals.changes += result.changes;
        totals.lost += verdict.lost.length;
        totals.duplicated += verdict.duplicated.length;
        totals.outOfOrder += verdict.outOfOrder.length;
        totals.conflictsMissed += verdict.conflictsMissed.length;
        totals.maxConvergeSeconds = Math.max(totals.maxConvergeSeconds, result.convergeSeconds);
        console.log(
            `trial ${trial + 1}/${trials} seed ${seed}: ${result.changes} changes, ${result.kills} kills, ` +
                `${result.faults} faults, ${result.conflicts} conflicts; lost ${verdict.lost.length}, duplicated ` +
                `${verdict.duplicated.length}, out of order ${verdict.outOfOrder.length}, conflicts missed ` +
                `${verdict.conflictsMissed.length}; converged ${result.convergeSeconds.toFixed(1)} s after the last ` +
                `fault; ${((Date.now() - started) / 1000).toFixed(0)} s`
        );
        for (const line of [
            ...verdict.lost,
            ...verdict.duplicated,
            ...verdict.outOfOrder,
            ...verdict.conflictsMissed
        ].slice(0, 20))
            console.log(`    ${line}`);
        // The totals so far after every trial: whenever the run stops, its last line is the JSON.
        console.log(JSON.stringify(totals));
        if (database)
            await runSql(
                database.url,
                `DROP DATABASE IF EXISTS ${new URL(storeOption.kind === 'postgres' ? storeOption.url : database.url).pathname.slice(1)} WITH (FORCE)`
            );
    }
} finally {
    await database?.stop();
}
if (totals.trials === 0) console.log(JSON.stringify(totals));
