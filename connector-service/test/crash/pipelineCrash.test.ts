/**
 * Crash safety on the embedded default (SQLite): the connector process is killed with SIGKILL at seeded random
 * moments while at least 1,000 versioned changes stream both ways, restarted each time, and at the end both
 * emulators are checked against the model — 0 lost, 0 applied twice (see chaosWorld.ts for what each means).
 * CLM_CRASH_SEED reproduces a run's stream and kill schedule (the moments a kill lands still depend on timing).
 */
import { afterAll, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import { runChaos } from './chaosRun.ts';
import { ChaosWorld, type ConnectorProcess } from './chaosWorld.ts';

const SEED = Number(process.env.CLM_CRASH_SEED ?? Date.now() % 1_000_000);
const CHANGES = Number(process.env.CLM_CRASH_CHANGES ?? 1000);
const DEALS = 8;

let world: ChaosWorld | undefined;
let connector: ConnectorProcess | undefined;

afterAll(async () => {
    await connector?.kill();
    await world?.close();
});

it(`loses nothing and applies nothing twice across SIGKILLs (seed ${SEED})`, { timeout: 300_000 }, async () => {
    console.log(`pipeline crash test: seed ${SEED}, ${CHANGES} changes (CLM_CRASH_SEED=${SEED} reproduces it)`);
    world = new ChaosWorld({ deals: DEALS, store: { kind: 'sqlite' } });
    await world.start();
    connector = world.spawnConnector();
    await connector.ready;
    await world.seedDeals();

    const outcome = await runChaos(world, {
        seed: SEED,
        changes: CHANGES,
        minKills: 5,
        current: () => connector!,
        crash: async () => {
            await connector!.kill('SIGKILL');
            connector = world!.spawnConnector();
            await connector.ready;
        }
    });
    console.log(
        `pipeline crash test: ${outcome.changes} changes, ${outcome.kills} kills, converged ${outcome.convergedMs} ms after the stream; ` +
            `${world.salesforceWrites.length} expiration writes to Salesforce, ${world.clmWrites.length} counterparty changes in the CLM`
    );
    expect(outcome.check.lost, connector.tail()).toEqual([]);
    expect(outcome.check.appliedTwice).toEqual([]);
    expect(outcome.kills).toBeGreaterThanOrEqual(5);
    expect(outcome.changes).toBeGreaterThanOrEqual(1000);

    // One contract per deal in the CLM and one Contract per deal in Salesforce: no create ran twice.
    const contracts = (await (await fetch(`${world.clm.adminUrl}/contracts?vendor=ironclad`)).json()) as {
        contracts: unknown[];
    };
    expect(contracts.contracts).toHaveLength(DEALS);
    const sfContracts = await world.integration.query('SELECT Id FROM Contract');
    expect(sfContracts.totalSize).toBe(DEALS);

    // The store after a clean stop: one pair per deal, the change log's hash chain intact.
    await connector.kill('SIGTERM');
    const store = await openSqliteStore({ file: world.storeFile });
    try {
        for (const deal of world.deals) {
            const pair = await store.findPair(world.sf.orgId, { salesforceId: deal.opportunityId });
            expect(pair?.clm.map((ref) => ref.id)).toContain(deal.workflowId);
            expect(pair?.salesforce.contract).toBe(deal.contractId);
        }
        expect((await store.verifyChangeLog(world.sf.orgId)).ok).toBe(true);
    } finally {
        await store.close();
    }
});
