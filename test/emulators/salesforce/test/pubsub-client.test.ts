// The real salesforce-pubsub-api-client, unmodified (user-supplied auth, `localhost`, rejectUnauthorizedSsl
// false), against the emulator's Pub/Sub API: CDC for a record jsforce created, echo marking through
// Sforce-Call-Options, resume after a forced disconnect, platform events both ways, expired replay ids.
// Shutdown order matters (toolchain.md §8): the server ends the streams, then the client closes, then the server stops.
import jsforce from 'jsforce';
import PubSubApiClient from 'salesforce-pubsub-api-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSalesforceEmulator } from '../src/index.ts';
import { API_VERSION, call, connectAs, startFixtureOrg } from './helpers.ts';

interface Parsed {
    id: string;
    replayId: number;
    payload: Record<string, unknown> & { ChangeEventHeader?: Record<string, unknown> };
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let emu: RunningSalesforceEmulator;
let conn: jsforce.Connection;
const clients: PubSubApiClient[] = [];

async function newClient(accessToken = conn.accessToken!): Promise<PubSubApiClient> {
    const client = new PubSubApiClient(
        {
            authType: 'user-supplied',
            accessToken,
            instanceUrl: 'https://localhost',
            organizationId: emu.orgId,
            pubSubEndpoint: emu.pubsubEndpoint!,
            rejectUnauthorizedSsl: false
        } as never,
        quiet as never
    );
    await client.connect();
    clients.push(client);
    return client;
}

/** Collects what a subscription's callback reports. */
function recorder() {
    const events: Parsed[] = [];
    const errors: { code: number; details: string; metadata?: { get(k: string): unknown[] } }[] = [];
    let ended = false;
    const callback = (_info: unknown, type: string, data: unknown) => {
        if (type === 'event') events.push(data as Parsed);
        if (type === 'error') errors.push(data as (typeof errors)[number]);
        if (type === 'end') ended = true;
    };
    return { events, errors, callback, ended: () => ended };
}

async function until(what: string, check: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
    if (!check()) throw new Error(`timed out waiting for ${what}`);
}

/** Subscribes and waits until the emulator has registered the new stream (so LATEST starts before the writes). */
async function subscribed(topic: string, start: () => void): Promise<void> {
    const count = () => emu.eventBus!.deliveryCounters().subscribers.filter((s) => s.topic === topic).length;
    const before = count();
    start();
    await until(`the subscription to ${topic}`, () => count() > before);
}

const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${emu.adminUrl}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body)
    });

beforeAll(async () => {
    emu = await startFixtureOrg({ includePackage: true, pubsub: { keepaliveMs: 5_000 } });
    conn = await connectAs(emu);
});

afterAll(async () => {
    // End every stream server-side first, then close the clients, then stop the server.
    emu.eventBus?.closeAll();
    await admin('POST', '/eventbus/disconnect');
    for (const c of clients) c.close();
    await emu.close();
});

describe('salesforce-pubsub-api-client against the emulator', () => {
    it('receives the CDC event of a record jsforce created, with the header and fields decoded, marked as the connector', async () => {
        const client = await newClient();
        const rec = recorder();
        await subscribed('/data/OpportunityChangeEvent', () =>
            client.subscribe('/data/OpportunityChangeEvent', rec.callback, 2)
        );
        const marked = new jsforce.Connection({
            instanceUrl: emu.instanceUrl,
            accessToken: conn.accessToken!,
            version: API_VERSION,
            callOptions: { client: 'clm-connector' }
        });
        const created = (await marked.sobject('Opportunity').create({
            Name: 'Pub/Sub deal',
            StageName: 'Prospecting',
            CloseDate: '2026-12-31',
            Amount: 1000
        })) as { id: string };
        await conn.sobject('Opportunity').update({ Id: created.id, Amount: 2500 });
        await until('two change events', () => rec.events.length === 2);

        const [create, update] = rec.events as [Parsed, Parsed];
        expect(create.payload.ChangeEventHeader).toMatchObject({
            entityName: 'Opportunity',
            recordIds: [created.id],
            changeType: 'CREATE',
            changeOrigin: `com/salesforce/api/rest/${API_VERSION};client=clm-connector`,
            sequenceNumber: 1,
            commitUser: emu.userId,
            changedFields: [],
            nulledFields: [],
            diffFields: []
        });
        expect(create.payload).toMatchObject({
            Name: 'Pub/Sub deal',
            StageName: 'Prospecting',
            Amount: 1000,
            CloseDate: Date.parse('2026-12-31T00:00:00Z'),
            OwnerId: emu.userId
        });
        expect(typeof create.payload.CreatedDate).toBe('number');

        // An update carries only what changed; the bitmap decodes (with the served schema) to field names.
        const header = update.payload.ChangeEventHeader!;
        expect(header.changeType).toBe('UPDATE');
        expect(header.changeOrigin).toBe(`com/salesforce/api/rest/${API_VERSION}`);
        expect(header.changedFields).toEqual(['Amount', 'LastModifiedDate']);
        expect(header.transactionKey).not.toBe(create.payload.ChangeEventHeader!.transactionKey);
        expect(Number(header.commitNumber)).toBeGreaterThan(Number(create.payload.ChangeEventHeader!.commitNumber));
        expect(update.payload.Amount).toBe(2500);
        expect(update.payload.Name).toBeNull();
        expect(update.payload.StageName).toBeNull();
        expect(update.replayId).toBeGreaterThan(create.replayId);
    });

    it('resumes after a forced disconnect from its last replay id without loss or duplicates', async () => {
        const first = await newClient();
        const rec = recorder();
        await subscribed('/data/OpportunityChangeEvent', () =>
            first.subscribe('/data/OpportunityChangeEvent', rec.callback, 50)
        );
        const make = (name: string) =>
            conn
                .sobject('Opportunity')
                .create({ Name: name, StageName: 'Prospecting', CloseDate: '2026-12-31' }) as Promise<{ id: string }>;
        const before = [await make('Resume 1'), await make('Resume 2')];
        await until('the first two', () => rec.events.length === 2);

        expect((await (await admin('POST', '/eventbus/disconnect')).json()) as { closed: number }).toMatchObject({
            closed: expect.any(Number)
        });
        await until('the stream error', () => rec.errors.length > 0);
        expect(rec.errors[0]!.code).toBe(14); // UNAVAILABLE
        const during = [await make('Resume 3'), await make('Resume 4')];

        const lastReplayId = rec.events.at(-1)!.replayId;
        const second = await newClient();
        const again = recorder();
        second.subscribeFromReplayId('/data/OpportunityChangeEvent', again.callback, 50, lastReplayId);
        await until('the missed two', () => again.events.length === 2);
        const after = await make('Resume 5');
        await until('the live one', () => again.events.length === 3);

        const ids = (evs: Parsed[]) => evs.map((e) => (e.payload.ChangeEventHeader!.recordIds as string[])[0]);
        expect(ids(rec.events)).toEqual(before.map((r) => r.id));
        expect(ids(again.events)).toEqual([...during, after].map((r) => r.id));
        const replayIds = [...rec.events, ...again.events].map((e) => e.replayId);
        expect(new Set(replayIds).size).toBe(replayIds.length);
    });

    it('publishes a platform event and receives it, with EventUuid as the event id; REST publishes arrive too', async () => {
        const client = await newClient();
        const rec = recorder();
        await subscribed('/event/Clm_Sync_Status__e', () =>
            client.subscribe('/event/Clm_Sync_Status__e', rec.callback, 5)
        );
        const published = await client.publish('/event/Clm_Sync_Status__e', {
            CreatedDate: 0,
            CreatedById: emu.userId,
            Kind__c: { string: 'Applied' },
            Record_Id__c: { string: '0065e0000000001AAA' }
        });
        const rest = await call(emu, 'POST', `/services/data/v${API_VERSION}/sobjects/Clm_Sync_Status__e`, {
            token: conn.accessToken!,
            body: { Kind__c: 'Quarantined' }
        });
        expect(rest.status).toBe(201);
        const uuid = (rest.json as { errors: { statusCode: string; message: string }[] }).errors[0]!;
        expect(uuid.statusCode).toBe('OPERATION_ENQUEUED');
        await until('both events', () => rec.events.length === 2);

        const [viaGrpc, viaRest] = rec.events as [Parsed, Parsed];
        expect(viaGrpc.replayId).toBe(published.replayId);
        expect(viaGrpc.payload).toMatchObject({
            Kind__c: 'Applied',
            Record_Id__c: '0065e0000000001AAA',
            CreatedById: emu.userId
        });
        expect(viaGrpc.payload.CreatedDate).toBeGreaterThan(0); // set by the server, not the publisher's 0
        expect(viaGrpc.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        expect(viaRest.id).toBe(uuid.message);
        expect(viaRest.payload).toMatchObject({ Kind__c: 'Quarantined', CreatedById: emu.userId });
    });

    it("sets CreatedById from the publisher's session: a value the publisher fills in is ignored (gRPC) or refused (REST)", async () => {
        const listener = await newClient();
        const rec = recorder();
        await subscribed('/event/Clm_Sync_Status__e', () =>
            listener.subscribe('/event/Clm_Sync_Status__e', rec.callback, 5)
        );
        // The integration user may publish status events (granted here: the fixture's set is its own); it names the
        // admin as their creator.
        const set = await conn.query<{ PermissionSetId: string }>(
            `SELECT PermissionSetId FROM PermissionSetAssignment WHERE AssigneeId = '${emu.users.integration.id}' LIMIT 1`
        );
        await conn.sobject('ObjectPermissions').create({
            ParentId: set.records[0]!.PermissionSetId,
            SobjectType: 'Clm_Sync_Status__e',
            PermissionsRead: true,
            PermissionsCreate: true
        });
        const integrationConn = await connectAs(emu, emu.users.integration.username);
        const integration = await newClient(integrationConn.accessToken!);
        await integration.publish('/event/Clm_Sync_Status__e', {
            CreatedDate: 0,
            CreatedById: emu.userId,
            Kind__c: { string: 'Applied' }
        });
        await until('the event', () => rec.events.length === 1);
        expect(rec.events[0]!.payload).toMatchObject({ Kind__c: 'Applied', CreatedById: emu.users.integration.id });
        const rest = await call(emu, 'POST', `/services/data/v${API_VERSION}/sobjects/Clm_Sync_Status__e`, {
            token: integrationConn.accessToken!,
            body: { Kind__c: 'Applied', CreatedById: emu.userId }
        });
        expect(rest.status).toBe(400);
        expect(rest.json).toEqual([
            expect.objectContaining({ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['CreatedById'] })
        ]);
    });

    it('gets the documented error-code for a replay id past the 72-hour retention', async () => {
        const client = await newClient();
        const rec = recorder();
        await subscribed('/data/OpportunityChangeEvent', () =>
            client.subscribe('/data/OpportunityChangeEvent', rec.callback, 1)
        );
        await conn
            .sobject('Opportunity')
            .create({ Name: 'Old news', StageName: 'Prospecting', CloseDate: '2026-12-31' });
        await until('the event', () => rec.events.length === 1);
        const old = rec.events[0]!.replayId;
        expect((await admin('POST', '/clock', { advanceMs: 73 * 60 * 60 * 1000 })).status).toBe(200);
        conn = await connectAs(emu); // the old session expired with the clock

        const late = await newClient();
        const failed = recorder();
        late.subscribeFromReplayId('/data/OpportunityChangeEvent', failed.callback, 1, old);
        await until('the refusal', () => failed.errors.length > 0);
        expect(failed.errors[0]!.code).toBe(3); // INVALID_ARGUMENT
        expect(failed.errors[0]!.metadata!.get('error-code')).toEqual([
            'sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted'
        ]);
        expect(failed.errors[0]!.details).toMatch(/rpcId: [0-9a-f-]{36}$/);
    });
});
