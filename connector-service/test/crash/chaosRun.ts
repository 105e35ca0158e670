/**
 * One chaos run: the seeded stream of versioned changes, a seeded kill schedule beside it, then the drain (the
 * CLM's webhook retries, the connector's own) and the model check once everything has settled.
 */
import {
    checkAgainstModel,
    ChaosModel,
    seededRandom,
    sleep,
    type ChaosWorld,
    type ConnectorProcess
} from './chaosWorld.ts';

export interface ChaosRunOptions {
    seed: number;
    changes: number;
    /** The stream goes on past `changes` (up to three times as many) until at least this many kills have landed. */
    minKills?: number;
    /** Milliseconds between changes (a steady stream, not a burst). */
    paceMs?: number;
    /** Kill windows: a kill lands this long after the last one (uniform between the two). */
    killEveryMs?: [number, number];
    current: () => ConnectorProcess;
    /** Kills a connector (SIGKILL) and starts its replacement; resolves when the replacement is ready. */
    crash: () => Promise<void>;
    /** True while the connectors have nothing left to do. */
    idle?: () => Promise<boolean>;
}

export interface ChaosOutcome {
    changes: number;
    kills: number;
    convergedMs: number;
    check: Awaited<ReturnType<typeof checkAgainstModel>>;
}

export async function runChaos(world: ChaosWorld, options: ChaosRunOptions): Promise<ChaosOutcome> {
    const model = new ChaosModel(world.deals.length);
    const stream = seededRandom(options.seed);
    const schedule = seededRandom(options.seed ^ 0x5bd1e995);
    const [killMin, killMax] = options.killEveryMs ?? [400, 2500];
    let streaming = true;
    let kills = 0;

    const killer = (async () => {
        while (streaming) {
            await sleep(killMin + schedule() * (killMax - killMin));
            if (!streaming) break;
            await options.crash();
            kills += 1;
        }
    })();

    try {
        const enough = (n: number) =>
            n >= options.changes && (kills >= (options.minKills ?? 0) || n >= 3 * options.changes);
        for (let n = 0; !enough(n); n += 1) {
            const deal = world.deals[Math.floor(stream() * world.deals.length)]!;
            if (stream() < 0.5) {
                const version = (model.accountVersion[deal.index] = model.accountVersion[deal.index]! + 1);
                await world.renameAccount(deal, version);
            } else {
                const version = (model.expirationVersion[deal.index] = model.expirationVersion[deal.index]! + 1);
                await world.moveExpiration(deal, version);
            }
            model.changes += 1;
            await sleep(options.paceMs ?? 25);
        }
    } finally {
        streaming = false;
        await killer;
    }
    await options.current().ready;

    // Deliveries that failed while a connector was down are retried on the vendor's schedule (48 s · 2^n for
    // Ironclad): move the CLM's clock through it. The connector's own retries run on real time.
    const started = Date.now();
    for (const step of [60_000, 120_000, 240_000, 480_000, 960_000]) {
        await world.advanceClmClock(step);
        await sleep(200);
    }
    const idle =
        options.idle ??
        (async () => {
            const status = await world.connectorStatus();
            if (!status) return false;
            return Object.values(status.queues).every(
                (queue) => (queue.pending ?? 0) + (queue.processing ?? 0) + (queue.failed ?? 0) === 0
            );
        });
    let check = await checkAgainstModel(world, model);
    for (let round = 0; round < 240; round += 1) {
        const quiet = await idle();
        if (check.lost.length === 0 && quiet) break;
        await sleep(500);
        check = await checkAgainstModel(world, model);
    }
    // Settle once more after the queues went idle, so a late duplicate would still be seen.
    await sleep(1000);
    check = await checkAgainstModel(world, model);
    return { changes: model.changes, kills, convergedMs: Date.now() - started, check };
}
