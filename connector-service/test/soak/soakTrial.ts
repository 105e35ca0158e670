// One seeded kill-and-fault trial: people edit the six soak fields on both sides of many deals (≥ 1,000 versioned
// changes), while a seeded schedule injects faults — latency and resets in the fault proxy before the CLM, 429 and
// 503 bursts from the CLM, REQUEST_LIMIT_EXCEEDED and UNABLE_TO_LOCK_ROW from the org, the Pub/Sub streams cut,
// webhooks duplicated, delayed and held back to be sent newest first — and SIGKILLs a connector instance. Then the
// faults stop, and the trial waits for both sides to converge and checks the whole history (chaos/history.ts).
import { seededRandom, sleep } from '../crash/chaosWorld.ts';
import type { Verdict } from '../chaos/history.ts';
import { SOAK_FIELDS, SoakWorld, type SoakStore } from './soakWorld.ts';

export interface TrialOptions {
    seed: number;
    store: SoakStore;
    /** Person edits at least (the stream stops once this many have landed and the kills were made). */
    changes: number;
    deals: number;
    /** People editing at once. */
    editors?: number;
    /** Milliseconds an editor waits between edits. */
    paceMs?: number;
    /** How long the sides may take to converge after the last fault before the trial gives up. */
    convergeTimeoutMs?: number;
    log?: (line: string) => void;
}

export interface TrialResult {
    seed: number;
    changes: number;
    kills: number;
    faults: number;
    conflicts: number;
    /** Seconds from the last fault (faults stopped, the last restarted instance ready) to both sides agreeing. */
    convergeSeconds: number;
    verdict: Verdict;
}

type Fault = (world: SoakWorld, random: () => number) => Promise<string>;

/** The fault menu: each injects one burst or switch and names it. */
const FAULTS: readonly Fault[] = [
    async (world, random) => {
        const ms = 20 + Math.floor(random() * 150);
        world.proxy.set({ kind: 'latency', ms }, 20);
        world.proxy.dropAll();
        return `CLM latency ${ms} ms`;
    },
    async (world, random) => {
        world.proxy.set({ kind: 'reset', afterBytes: Math.floor(random() * 400) }, 1 + Math.floor(random() * 4));
        world.proxy.dropAll();
        return 'CLM connection resets';
    },
    async (world, random) => {
        const count = 1 + Math.floor(random() * 6);
        await world.clmAdmin('POST', '/faults', {
            vendor: 'ironclad',
            kind: 'rate-limit',
            count,
            retryAfterSeconds: 0
        });
        return `CLM 429 ×${count}`;
    },
    async (world, random) => {
        const count = 1 + Math.floor(random() * 6);
        await world.clmAdmin('POST', '/faults', { vendor: 'ironclad', kind: 'status', status: 503, count });
        return `CLM 503 ×${count}`;
    },
    async (world, random) => {
        const count = 1 + Math.floor(random() * 4);
        await world.sfAdmin('POST', '/faults', { errorCode: 'REQUEST_LIMIT_EXCEEDED', status: 403, count });
        return `Salesforce REQUEST_LIMIT_EXCEEDED ×${count}`;
    },
    async (world, random) => {
        const count = 1 + Math.floor(random() * 4);
        const sobject = random() < 0.5 ? 'Contract' : 'Opportunity';
        await world.sfAdmin('POST', '/faults', {
            sobject,
            operation: 'update',
            errorCode: 'UNABLE_TO_LOCK_ROW',
            count
        });
        return `Salesforce UNABLE_TO_LOCK_ROW on ${sobject} ×${count}`;
    },
    async (world) => {
        await world.sfAdmin('POST', '/eventbus/disconnect');
        return 'Pub/Sub streams dropped';
    },
    async (world, random) => {
        const count = 1 + Math.floor(random() * 5);
        await world.sfAdmin('POST', '/eventbus/faults', { action: 'duplicate', count });
        return `Pub/Sub events duplicated ×${count}`;
    },
    async (world, random) => {
        const config = {
            duplicates: random() < 0.5 ? 0 : 1,
            delayMs: Math.floor(random() * 1500),
            reorderWindow: random() < 0.5 ? 0 : 2 + Math.floor(random() * 3)
        };
        await world.clmAdmin('PUT', '/webhooks/config/ironclad', config);
        return `webhooks ${JSON.stringify(config)}`;
    }
];

async function clearFaults(world: SoakWorld): Promise<void> {
    world.proxy.clear();
    await world.clmAdmin('DELETE', '/faults');
    await world.sfAdmin('DELETE', '/faults');
    await world.clmAdmin('PUT', '/webhooks/config/ironclad', { duplicates: 0, delayMs: 0, reorderWindow: 0 });
    await world.clmAdmin('POST', '/webhooks/flush');
}

export async function runTrial(options: TrialOptions): Promise<TrialResult> {
    const log = options.log ?? (() => undefined);
    const world = new SoakWorld(options.store, options.deals);
    const names = options.store.kind === 'postgres' ? ['instance-0', 'instance-1'] : ['connector'];
    try {
        await world.start();
        for (const name of names) await world.spawn(name);
        log(`  seed ${options.seed}: ${names.length} connector instance(s) ready`);
        await world.seedDeals();
        log(`  ${world.deals.length} deals linked`);
        const workload = seededRandom(options.seed);
        const schedule = seededRandom(options.seed ^ 0x5bd1e995);
        let streaming = true;
        let faults = 0;
        let edits = 0;
        let lastFaultAt = Date.now();

        // Faults and kills, on the schedule's own random stream.
        const chaos = (async () => {
            while (streaming) {
                await sleep(150 + schedule() * 600);
                if (!streaming) break;
                if (schedule() < 0.12) {
                    const name = names[Math.floor(schedule() * names.length)]!;
                    await world.instances.get(name)!.process.kill('SIGKILL');
                    log(`  kill ${name}`);
                    await world.spawn(name);
                } else {
                    const fault = FAULTS[Math.floor(schedule() * FAULTS.length)]!;
                    log(`  fault: ${await fault(world, schedule)}`);
                }
                await world.clmAdmin('POST', '/webhooks/flush');
                faults += 1;
            }
        })();

        // People: each editor picks a deal, a field and a side, and writes a value unique to this edit.
        const counters = new Map<string, number>();
        const editor = async (id: number) => {
            while (edits < options.changes || world.kills < 2) {
                if (edits >= 3 * options.changes) break;
                const deal = world.deals[Math.floor(workload() * world.deals.length)]!;
                const field = SOAK_FIELDS[Math.floor(workload() * SOAK_FIELDS.length)]!;
                const side = field.editedOn[Math.floor(workload() * field.editedOn.length)]!;
                // A field with a conflict waits for a person to decide: nobody edits it meanwhile.
                if (world.history.hasConflict(deal.index, field.rule)) continue;
                const counterKey = `${deal.index}/${field.rule}`;
                const n = (counters.get(counterKey) ?? 0) + 1;
                counters.set(counterKey, n);
                if (field.rule === 'Contract_End_Date') {
                    const value = new Date(Date.UTC(2027, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
                    await world.editInClm(deal, field, value);
                } else {
                    const value = `${field.rule} d${deal.index} ${side === 'salesforce' ? 's' : 'c'}${n}`;
                    if (side === 'salesforce') await world.editInSalesforce(deal, field, value);
                    else await world.editInClm(deal, field, value);
                }
                edits += 1;
                await sleep((options.paceMs ?? 200) * (0.5 + workload()) + id);
            }
        };
        try {
            await Promise.all(Array.from({ length: options.editors ?? 3 }, (_, id) => editor(id)));
        } finally {
            streaming = false;
            await chaos;
        }

        // The last fault: faults cleared, every instance up. From here the sides must converge within the bound.
        await clearFaults(world);
        for (const name of names) if (!world.instances.get(name)!.process.running) await world.spawn(name);
        lastFaultAt = Date.now();
        const timeout = options.convergeTimeoutMs ?? 120_000;
        let convergedAt: number | null = null;
        while (Date.now() - lastFaultAt < timeout) {
            await world.clmAdmin('POST', '/webhooks/flush');
            if (world.history.converged(world.deals.map((deal) => deal.index)) && (await world.connectorIdle())) {
                convergedAt ??= Date.now();
                // Quiet for a while: a late duplicate or a late write would still show.
                if (Date.now() - convergedAt > 1500) break;
            } else convergedAt = null;
            await sleep(200);
        }
        const convergeSeconds = convergedAt === null ? timeout / 1000 : (convergedAt - lastFaultAt) / 1000;
        const verdict = world.history.check(world.deals.map((deal) => deal.index));
        // The recorded finals must be what the emulators hold now (the recorder missed nothing).
        for (const deal of world.deals) {
            const values = await world.currentValues(deal);
            for (const field of SOAK_FIELDS) {
                for (const side of ['salesforce', 'clm'] as const) {
                    const recorded = world.history.held(side, deal.index, field.rule);
                    if (values[side][field.rule] !== recorded)
                        verdict.lost.push(
                            `deal ${deal.index} ${field.rule}: ${side} holds ${values[side][field.rule]}, the history says ${recorded}`
                        );
                }
            }
        }
        if (
            verdict.lost.length +
                verdict.duplicated.length +
                verdict.outOfOrder.length +
                verdict.conflictsMissed.length >
            0
        )
            log(world.tails());
        return {
            seed: options.seed,
            changes: verdict.changes,
            kills: world.kills,
            faults,
            conflicts: verdict.conflicts,
            convergeSeconds,
            verdict
        };
    } finally {
        await world.close();
    }
}
