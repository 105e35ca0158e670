/**
 * What the Pub/Sub suites share: a Salesforce connection as a given user and client id, and waiting until the
 * bus, the ingest and the engine have nothing left in flight.
 */
import { readFileSync, rmSync } from 'node:fs';
import { connectWithJwt, JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import type { StorePort } from '../../src/ports/store.ts';
import type { SyncEngine } from '../../src/app/syncEngine.ts';
import type { PubSubIngest } from '../../src/adapters/salesforce/pubsub/pubsubIngest.ts';
import type { RunningSalesforceEmulator } from '@clm/emulators/salesforce';

/** `clientId` is what writes through this connection say they are: people's edits must not claim to be the connector. */
export async function connectAs(emu: RunningSalesforceEmulator, username: string, clientId: string) {
    const conn = await connectWithJwt({
        loginUrl: emu.loginUrl,
        clientId: emu.jwtConsumerKey,
        username,
        privateKeyPem: readFileSync(emu.jwtPrivateKeyPath, 'utf8'),
        apiVersion: emu.apiVersion
    });
    return { conn, port: new JsforceSalesforce(conn, { connectorClientId: clientId, apiVersion: emu.apiVersion }) };
}

/** Waits until the bus has handed every retained event to the ingest and the store has it, then runs the engine. */
export async function settle(orgId: string, ingest: PubSubIngest, engine: SyncEngine, store: StorePort): Promise<void> {
    for (let round = 0; round < 40; round += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        await ingest.settled();
        await engine.runUntilIdle();
        const stats = await store.stats(orgId, Date.now());
        if (
            stats.inbox.byStatus.pending + stats.outbox.byStatus.pending + stats.inbox.byStatus.processing === 0 &&
            round > 5
        )
            return;
    }
}

/** Stops what a Pub/Sub suite started, whatever of it started: the bus, the ingest, the store, the org, the folder. */
export async function closeWorld(world: {
    emu?: RunningSalesforceEmulator;
    ingest?: PubSubIngest;
    store?: StorePort;
    dir?: string;
}): Promise<void> {
    world.emu?.eventBus?.closeAll();
    world.ingest?.close();
    await world.store?.close();
    await world.emu?.close();
    if (world.dir) rmSync(world.dir, { recursive: true, force: true });
}
