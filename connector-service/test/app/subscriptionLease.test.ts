/**
 * Two connector instances on one PostgreSQL store: exactly one holds the Pub/Sub subscriptions (the org sees one
 * subscriber per channel); when the holder dies without letting go, the other takes over after the lease lapses and
 * events keep arriving, stored once.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWithJwt } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import { openPostgresStore } from '../../src/adapters/store/postgres/postgresStore.ts';
import type { StorePort } from '../../src/ports/store.ts';
import { PubSubIngest, SYNC_REQUEST_CHANNEL } from '../../src/adapters/salesforce/pubsub/pubsubIngest.ts';
import { postgresAvailable, startTestPostgres, type TestPostgres } from '../../../test/support/postgres.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';
import { call } from '@clm/emulators/salesforce/helpers';

const CHANNELS = [SYNC_REQUEST_CHANNEL, '/data/OpportunityChangeEvent'];
const LEASE = { ttlMs: 1500, renewEveryMs: 250 };
const silent = { info() {}, warn() {}, error() {} };

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
        if (await check()) return Date.now() - started;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
}

describe.runIf(postgresAvailable())('the Pub/Sub subscription lease', () => {
    let database: TestPostgres;
    let emu: RunningSalesforceEmulator;
    let stores: StorePort[] = [];
    let instances: PubSubIngest[] = [];
    let token: string;
    let repToken: string;

    const openSubscribers = (topic: string) =>
        emu.eventBus!.deliveryCounters().subscribers.filter((s) => s.topic === topic && s.open).length;

    beforeAll(async () => {
        database = await startTestPostgres('lease');
        emu = await startSalesforceEmulator({ pubsub: true });
        const conn = await connectWithJwt({
            loginUrl: emu.loginUrl,
            clientId: emu.jwtConsumerKey,
            username: emu.users.integration.username,
            privateKeyPem: readFileSync(emu.jwtPrivateKeyPath, 'utf8'),
            apiVersion: emu.apiVersion
        });
        token = conn.accessToken!;
        // Reps publish sync requests (through Apex in a real org); the integration user only hears them.
        const rep = await connectWithJwt({
            loginUrl: emu.loginUrl,
            clientId: emu.jwtConsumerKey,
            username: emu.users.salesRep.username,
            privateKeyPem: readFileSync(emu.jwtPrivateKeyPath, 'utf8'),
            apiVersion: emu.apiVersion
        });
        repToken = rep.accessToken!;
        stores = [
            await openPostgresStore({ connectionString: database.url }),
            await openPostgresStore({ connectionString: database.url })
        ];
        instances = stores.map(
            (store, index) =>
                new PubSubIngest({
                    orgId: emu.orgId,
                    store,
                    endpoint: emu.pubsubEndpoint!,
                    instanceUrl: emu.instanceUrl,
                    accessToken: () => token,
                    channels: CHANNELS,
                    logger: silent,
                    allowSelfSignedTls: true,
                    lease: { holder: `instance-${index}`, ...LEASE }
                })
        );
    }, 120_000);

    afterAll(async () => {
        emu?.eventBus?.closeAll();
        instances.forEach((instance) => instance.close());
        await Promise.all(stores.map((store) => store.close()));
        await emu?.close();
        await database?.stop();
    });

    it('gives the subscriptions to exactly one instance, and to the other when the holder dies', async () => {
        await Promise.all(instances.map((instance) => instance.start()));
        await until('one subscriber per channel', () => CHANNELS.every((channel) => openSubscribers(channel) === 1));
        const holder = instances.findIndex((instance) => instance.isSubscribed());
        const other = 1 - holder;
        expect(instances.filter((instance) => instance.isSubscribed())).toHaveLength(1);
        // Stays that way while the holder renews.
        await new Promise((resolve) => setTimeout(resolve, LEASE.ttlMs * 2));
        expect(CHANNELS.map(openSubscribers)).toEqual([1, 1]);
        expect(instances[other]!.isSubscribed()).toBe(false);

        const publish = async (requestId: string) => {
            const sent = await call(emu, 'POST', `/services/data/v${emu.apiVersion}/sobjects/Clm_Sync_Request__e`, {
                token: repToken,
                body: { Action__c: 'Send', Record_Id__c: '0065e000000AbCdAAA', Request_Id__c: requestId }
            });
            expect(sent.status, sent.text).toBe(201);
        };
        const pending = async () => (await stores[0]!.stats(emu.orgId, Date.now())).inbox.byStatus.pending;

        // The holder stores an event (and the channel's replay id with it).
        await publish('before-handover');
        await until('the first request stored', async () => (await pending()) === 1);

        // The holder dies: it stops renewing and never releases. An event comes in before anyone holds the lease.
        const streamsBefore = emu.eventBus!.deliveryCounters().subscribers.length;
        instances[holder]!.close({ release: false });
        await publish('during-handover');
        const tookMs = await until('the other instance to subscribe', () => instances[other]!.isSubscribed());
        expect(tookMs).toBeLessThan(LEASE.ttlMs + LEASE.renewEveryMs * 4 + 5_000);

        // The new holder resumes from the stored replay id: the event of the gap arrives, nothing twice.
        await publish('after-handover');
        await until('all three requests stored', async () => (await pending()) === 3);
        await instances[other]!.settled();
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(await pending()).toBe(3);
        // The new holder opened exactly one stream per channel. (The dead one's streams stay open in the emulator:
        // closing the client in-process does not cancel them, where a killed process's sockets would close.)
        const newStreams = emu.eventBus!.deliveryCounters().subscribers.slice(streamsBefore);
        expect(CHANNELS.map((channel) => newStreams.filter((stream) => stream.topic === channel).length)).toEqual([
            1, 1
        ]);
    }, 90_000);
});
