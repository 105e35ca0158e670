/**
 * Scale-out: two connector processes on one PostgreSQL store. The org sees exactly one subscriber per channel at
 * every moment sampled; the instance holding the subscription lease is killed (SIGKILL) while versioned changes
 * stream both ways, the other takes the subscriptions over within 30 s, the killed one comes back as the standby —
 * and the same model check as on SQLite holds across the handovers: 0 lost, 0 applied twice.
 */
import { afterAll, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/adapters/store/postgres/postgresStore.ts';
import { postgresAvailable, startTestPostgres, type TestPostgres } from '../../../test/support/postgres.ts';
import { runChaos } from './chaosRun.ts';
import { ChaosWorld, freePort, until, type ConnectorProcess } from './chaosWorld.ts';

const SEED = Number(process.env.CLM_CRASH_SEED ?? Date.now() % 1_000_000);
const CHANGES = Number(process.env.CLM_CRASH_CHANGES ?? 1000);
const DEALS = 6;
const CHANNELS = [
    '/event/Clm_Sync_Request__e',
    '/data/AccountChangeEvent',
    '/data/OpportunityChangeEvent',
    '/data/ContractChangeEvent'
];

let database: TestPostgres | undefined;
let world: ChaosWorld | undefined;
const instances: { process: ConnectorProcess; port: number; url: string }[] = [];

afterAll(async () => {
    for (const instance of instances) await instance.process.kill();
    await world?.close();
    await database?.stop();
});

it.runIf(postgresAvailable())(
    `hands the subscriptions over within 30 s and loses nothing across it (seed ${SEED})`,
    { timeout: 360_000 },
    async () => {
        console.log(`handover crash test: seed ${SEED}, ${CHANGES} changes (CLM_CRASH_SEED=${SEED} reproduces it)`);
        database = await startTestPostgres('handover');
        world = new ChaosWorld({ deals: DEALS, store: { kind: 'postgres', url: database.url } });
        await world.start();
        for (const [index, port] of [world.port, await freePort()].entries()) {
            const url = `http://127.0.0.1:${port}`;
            instances.push({ process: world.spawnConnector(`instance-${index}`, port), port, url });
        }
        await Promise.all(instances.map((instance) => instance.process.ready));

        const open = (channel: string) =>
            world!.sf.eventBus!.deliveryCounters().subscribers.filter((s) => s.topic === channel && s.open).length;
        const holder = async (): Promise<number | null> => {
            for (const [index, instance] of instances.entries()) {
                if (!instance.process.running) continue;
                const status = await world!.connectorStatus(instance.url);
                if (status?.subscriptions.some((subscription) => subscription.state === 'subscribed')) return index;
            }
            return null;
        };
        await until('one instance holding every channel', async () => CHANNELS.every((c) => open(c) === 1), 40_000);
        // The org's view, sampled all along: never two subscribers on a channel.
        let mostSubscribers = 0;
        const sampler = setInterval(() => {
            mostSubscribers = Math.max(mostSubscribers, ...CHANNELS.map(open));
        }, 100);

        await world.seedDeals();
        const handovers: number[] = [];
        const outcome = await runChaos(world, {
            seed: SEED,
            changes: CHANGES,
            minKills: 2,
            killEveryMs: [2_000, 4_000],
            current: () => instances.find((instance) => instance.process.running)!.process,
            crash: async () => {
                const victim = await until('a lease holder', holder, 40_000).catch(async (error: unknown) => {
                    const statuses = await Promise.all(instances.map((i) => world!.connectorStatus(i.url)));
                    throw new Error(`${String(error)}: ${JSON.stringify(statuses)}`);
                });
                const other = 1 - victim;
                const killedAt = Date.now();
                await instances[victim]!.process.kill('SIGKILL');
                await until(
                    'the other instance to take the subscriptions',
                    async () => (await holder()) === other,
                    45_000,
                    200
                );
                handovers.push(Date.now() - killedAt);
                instances[victim]!.process = world!.spawnConnector(`instance-${victim}`, instances[victim]!.port);
                await instances[victim]!.process.ready;
            },
            idle: async () => {
                const alive = instances.find((instance) => instance.process.running);
                const status = alive ? await world!.connectorStatus(alive.url) : null;
                return (
                    status !== null &&
                    Object.values(status.queues).every(
                        (queue) => (queue.pending ?? 0) + (queue.processing ?? 0) + (queue.failed ?? 0) === 0
                    )
                );
            }
        });
        clearInterval(sampler);
        console.log(
            `handover crash test: ${outcome.changes} changes, ${outcome.kills} holder kills, handovers took ` +
                `${handovers.join(', ')} ms, converged ${outcome.convergedMs} ms after the stream; most subscribers ` +
                `on one channel: ${mostSubscribers}`
        );
        expect(outcome.check.lost).toEqual([]);
        expect(outcome.check.appliedTwice).toEqual([]);
        expect(outcome.kills).toBeGreaterThanOrEqual(2);
        expect(handovers.every((ms) => ms < 30_000)).toBe(true);
        expect(mostSubscribers).toBe(1);
        expect(CHANNELS.map(open)).toEqual(CHANNELS.map(() => 1));

        const contracts = (await (await fetch(`${world.clm.adminUrl}/contracts?vendor=ironclad`)).json()) as {
            contracts: unknown[];
        };
        expect(contracts.contracts).toHaveLength(DEALS);
        const store = await openPostgresStore({ connectionString: database.url });
        try {
            expect((await store.verifyChangeLog(world.sf.orgId)).ok).toBe(true);
        } finally {
            await store.close();
        }
    }
);
