// The event bus through a plain gRPC client (the official proto over TLS): CDC headers and bodies decoded with
// the served schema, bitmaps, compound fields, merging, gaps, flow control, keepalives, metadata checks, the
// delivery allocation, delivery faults, Publish/PublishStream and the admin API.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import avro from 'avsc';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pubSubClient } from '../conformance/grpc.ts';
import type { RunningSalesforceEmulator } from '../src/index.ts';
import { API_VERSION, call, startFixtureOrg, tokenFor } from './helpers.ts';

interface ConsumerEvent {
    event: { id: string; schemaId: string; payload: Buffer };
    replayId: Buffer;
}
interface FetchResponse {
    events: ConsumerEvent[];
    latestReplayId: Buffer;
    rpcId: string;
    pendingNumRequested: number;
}
type Client = ReturnType<typeof pubSubClient>;
interface Header {
    entityName: string;
    recordIds: string[];
    changeType: string;
    transactionKey: string;
    sequenceNumber: number;
    commitUser: string;
    changedFields: string[];
    nulledFields: string[];
}
type Decoded = { ChangeEventHeader: Header } & Record<string, unknown>;
interface AdminError {
    errorCode: string;
    fields: string[];
}

let emu: RunningSalesforceEmulator;
let client: Client;
let token: string;
const streams: grpc.ClientDuplexStream<unknown, unknown>[] = [];

const meta = (overrides: Record<string, string | undefined> = {}) => {
    const m = new grpc.Metadata();
    const values = { accesstoken: token, instanceurl: emu.instanceUrl, tenantid: emu.orgId, ...overrides };
    for (const [k, v] of Object.entries(values)) if (v !== undefined) m.set(k, v);
    return m;
};

function unary<T>(rpc: string, body: unknown, metadata = meta()): Promise<T> {
    return new Promise((resolve, reject) =>
        client[rpc]!(body, metadata, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)))
    );
}

async function until(what: string, check: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
    if (!check()) throw new Error(`timed out waiting for ${what}`);
}

/** A Subscribe stream that records every response and its final error. */
async function subscribe(first: Record<string, unknown>, metadata = meta()) {
    const counters = () => emu.eventBus!.deliveryCounters().subscribers.length;
    const before = counters();
    const stream = client.Subscribe!(metadata) as grpc.ClientDuplexStream<unknown, FetchResponse>;
    streams.push(stream);
    const state = { responses: [] as FetchResponse[], error: undefined as grpc.ServiceError | undefined };
    stream.on('data', (r: FetchResponse) => state.responses.push(r));
    stream.on('error', (e: grpc.ServiceError) => (state.error = e));
    stream.write(first);
    const events = () => state.responses.flatMap((r) => r.events);
    await until('the subscription or its refusal', () => counters() > before || state.error !== undefined);
    return { stream, state, events };
}

const schemas = new Map<string, avro.Type>();
async function decode(e: ConsumerEvent): Promise<Decoded> {
    let type = schemas.get(e.event.schemaId);
    if (!type) {
        const info = await unary<{ schemaJson: string }>('GetSchema', { schemaId: e.event.schemaId });
        type = avro.Type.forSchema(JSON.parse(info.schemaJson) as avro.Schema);
        schemas.set(e.event.schemaId, type);
    }
    return type.fromBuffer(e.event.payload) as Decoded;
}

const rest = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    call(emu, method, `/services/data/v${API_VERSION}${path}`, { token, body, headers });
const admin = async <T = unknown>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${emu.adminUrl}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body)
    });
    return { status: res.status, json: (await res.json()) as T };
};
const accounts = (names: string[], extra: Record<string, unknown> = {}) =>
    rest('POST', '/composite/sobjects', {
        allOrNone: true,
        records: names.map((Name) => ({ attributes: { type: 'Account' }, Name, ...extra }))
    });

/** An allOrNone collection whose second record fails, so `first` is rolled back. */
async function rolledBack(first: Record<string, unknown>): Promise<void> {
    const res = await rest('POST', '/composite/sobjects', {
        allOrNone: true,
        records: [first, { attributes: { type: 'Account' }, Bogus__c: 'x' }]
    });
    expect(res.status).toBe(200);
    expect((res.json as { success: boolean }[]).every((r) => !r.success)).toBe(true);
}

beforeAll(async () => {
    emu = await startFixtureOrg({ includePackage: true, pubsub: { keepaliveMs: 300 } });
    client = pubSubClient(emu.pubsubEndpoint!, readFileSync(emu.tlsCertPath!, 'utf8'), false);
    token = await tokenFor(emu);
});

beforeEach(async () => {
    // Each test starts with no open stream: deliveries, the allocation and faults are shared by all subscribers.
    for (const s of streams.splice(0)) s.cancel();
    await until('the streams to close', () => emu.eventBus!.deliveryCounters().subscribers.every((s) => !s.open));
    await admin('PUT', '/eventbus/settings', { deliveryAllocation: 10_000, mergeIdenticalChanges: true });
});

afterAll(async () => {
    for (const s of streams) s.cancel();
    client.close();
    await emu.close();
});

describe('change events', () => {
    it('one event per record of a collection, sharing the transaction key with rising sequence numbers', async () => {
        const sub = await subscribe({ topicName: '/data/AccountChangeEvent', numRequested: 10 });
        const res = await accounts(['Tx A', 'Tx B', 'Tx C']);
        expect(res.status).toBe(200);
        await until('three events', () => sub.events().length === 3);
        const decoded = await Promise.all(sub.events().map(decode));
        const headers = decoded.map((d) => d.ChangeEventHeader);
        expect(new Set(headers.map((h) => h.transactionKey)).size).toBe(1);
        expect(headers.map((h) => h.sequenceNumber)).toEqual([1, 2, 3]);
        expect(headers.map((h) => h.recordIds[0])).toEqual((res.json as { id: string }[]).map((r) => r.id));
        expect(headers.every((h) => h.changeType === 'CREATE' && h.commitUser === emu.userId)).toBe(true);
        const replayIds = sub.events().map((e) => e.replayId);
        expect(replayIds.every((r) => r.length === 8)).toBe(true);
        const asNumbers = replayIds.map((r) => r.readBigUInt64BE());
        expect([...asNumbers].sort((a, b) => (a < b ? -1 : 1))).toEqual(asNumbers);
    });

    it('nests compound fields and marks changed and nulled components in child bitmaps', async () => {
        const sub = await subscribe({ topicName: '/data/AccountChangeEvent', numRequested: 10 });
        const created = await rest('POST', '/sobjects/Account', {
            Name: 'Compound',
            BillingCity: 'Lyon',
            BillingCountry: 'France',
            Description: 'to be cleared'
        });
        const id = (created.json as { id: string }).id;
        await rest('PATCH', `/sobjects/Account/${id}`, { BillingCity: 'Paris', Description: null });
        await until('two events', () => sub.events().length === 2);
        const [create, update] = await Promise.all(sub.events().map(decode));
        expect(create!.BillingAddress).toMatchObject({ City: 'Lyon', Country: 'France', Street: null });
        expect(create!.ShippingAddress).toBeNull();

        const type = schemas.get(sub.events()[1]!.event.schemaId)!;
        const fields = (type as avro.types.RecordType).fields;
        const pos = fields.findIndex((f) => f.name === 'BillingAddress');
        const child = ((fields[pos]!.type as avro.types.UnwrappedUnionType).types[1] as avro.types.RecordType).fields;
        const header = update!.ChangeEventHeader;
        const expectedTop =
            (1n << BigInt(fields.findIndex((f) => f.name === 'Description'))) |
            (1n << BigInt(fields.findIndex((f) => f.name === 'LastModifiedDate')));
        const hex = (n: bigint) =>
            `0x${n
                .toString(16)
                .toUpperCase()
                .padStart(n.toString(16).length + (n.toString(16).length % 2), '0')}`;
        expect(header.changedFields).toEqual([
            hex(expectedTop),
            `${pos}-${hex(1n << BigInt(child.findIndex((f) => f.name === 'City')))}`
        ]);
        expect(header.nulledFields).toEqual([hex(1n << BigInt(fields.findIndex((f) => f.name === 'Description')))]);
        expect(update!.BillingAddress).toMatchObject({ City: 'Paris', Country: null });
        expect(update!.Name).toBeNull();
    });

    it('merges identical deletes into one event with every record id; separate events when merging is off', async () => {
        const ids = ((await accounts(['Del 1', 'Del 2'])).json as { id: string }[]).map((r) => r.id);
        const more = ((await accounts(['Del 3', 'Del 4'])).json as { id: string }[]).map((r) => r.id);
        const sub = await subscribe({ topicName: '/data/AccountChangeEvent', numRequested: 10 });
        await rest('DELETE', `/composite/sobjects?ids=${ids.join(',')}`);
        await until('the merged event', () => sub.events().length === 1);
        expect((await decode(sub.events()[0]!)).ChangeEventHeader).toMatchObject({
            changeType: 'DELETE',
            recordIds: ids
        });
        await admin('PUT', '/eventbus/settings', { mergeIdenticalChanges: false });
        await rest('DELETE', `/composite/sobjects?ids=${more.join(',')}`);
        await until('two more events', () => sub.events().length === 3);
        const last = await Promise.all(sub.events().slice(1).map(decode));
        expect(last.map((d) => d.ChangeEventHeader.recordIds)).toEqual([[more[0]], [more[1]]]);
    });

    it('announces nothing for a rolled-back collection', async () => {
        const sub = await subscribe({ topicName: '/data/AccountChangeEvent', numRequested: 10 });
        await rolledBack({ attributes: { type: 'Account' }, Name: 'Kept?' });
        await accounts(['After rollback']);
        await until('the later event', () => sub.events().length === 1);
        expect((await decode(sub.events()[0]!)).Name).toBe('After rollback');
    });

    it('injects gap and overflow events through the admin API', async () => {
        const sub = await subscribe({ topicName: '/data/ChangeEvents', numRequested: 10 });
        const gap = await admin('POST', '/eventbus/gap', {
            entity: 'Contract',
            changeType: 'GAP_UPDATE',
            recordIds: ['8005e0000000001AAA']
        });
        expect(gap.status).toBe(201);
        expect(
            (await admin('POST', '/eventbus/gap', { entity: 'Opportunity', changeType: 'GAP_OVERFLOW' })).status
        ).toBe(201);
        await until('both', () => sub.events().length === 2);
        const [g, o] = await Promise.all(sub.events().map(decode));
        expect(g!.ChangeEventHeader).toMatchObject({
            entityName: 'Contract',
            changeType: 'GAP_UPDATE',
            recordIds: ['8005e0000000001AAA']
        });
        const { ChangeEventHeader: _h, ...body } = g!;
        expect(Object.values(body).every((v) => v === null)).toBe(true);
        expect(o!.ChangeEventHeader).toMatchObject({
            entityName: 'Opportunity',
            changeType: 'GAP_OVERFLOW',
            recordIds: []
        });
        const bad = await admin<AdminError[]>('POST', '/eventbus/gap', { entity: 'Contract', changeType: 'UPDATE' });
        expect(bad.status).toBe(400);
        expect(bad.json[0]).toMatchObject({ errorCode: 'INVALID_INPUT', fields: ['changeType'] });
    });
});

describe('Subscribe', () => {
    it('caps outstanding requests at 100 and reports pending_num_requested', async () => {
        await rest('POST', '/composite/sobjects', {
            allOrNone: true,
            records: Array.from({ length: 150 }, (_, i) => ({
                attributes: { type: 'Opportunity' },
                Name: `Cap ${i}`,
                StageName: 'Prospecting',
                CloseDate: '2026-12-31'
            }))
        });
        const sub = await subscribe({
            topicName: '/data/OpportunityChangeEvent',
            replayPreset: 'EARLIEST',
            numRequested: 250
        });
        await until('a hundred', () => sub.events().length >= 100);
        await new Promise((r) => setTimeout(r, 100));
        expect(sub.events().length).toBe(100);
        expect(sub.state.responses.at(-1)!.pendingNumRequested).toBe(0);
        sub.stream.write({ numRequested: 30 });
        await until('thirty more', () => sub.events().length === 130);
        expect(sub.state.responses.at(-1)!.pendingNumRequested).toBe(0);
        expect(sub.state.responses.at(-1)!.latestReplayId).toEqual(sub.events().at(-1)!.replayId);

        sub.stream.write({ topicName: '/data/AccountChangeEvent', numRequested: 1 });
        await until('the refusal', () => sub.state.error !== undefined);
        expect(sub.state.error!.code).toBe(grpc.status.INVALID_ARGUMENT);
    });

    it('sends keepalives with the latest replay id and the pending count while idle', async () => {
        const sub = await subscribe({ topicName: '/data/ContractChangeEvent', numRequested: 5 });
        await until('a keepalive', () => sub.state.responses.length > 0);
        const keepalive = sub.state.responses[0]!;
        expect(keepalive.events).toEqual([]);
        expect(keepalive.pendingNumRequested).toBe(5);
        expect(keepalive.latestReplayId.length).toBe(8);
        expect(keepalive.rpcId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('checks the metadata of every call', async () => {
        const noToken = await subscribe(
            { topicName: '/data/AccountChangeEvent', numRequested: 1 },
            meta({ accesstoken: undefined })
        );
        expect(noToken.state.error!.code).toBe(grpc.status.UNAUTHENTICATED);
        expect(noToken.state.error!.metadata.get('error-code')).toEqual([
            'sfdc.platform.eventbus.grpc.service.auth.error'
        ]);
        await expect(
            unary('GetTopic', { topicName: '/data/AccountChangeEvent' }, meta({ tenantid: '00D000000000000' }))
        ).rejects.toMatchObject({
            code: grpc.status.UNAUTHENTICATED
        });
        await expect(
            unary('GetSchema', { schemaId: 'x' }, meta({ accesstoken: `${emu.orgId.slice(0, 15)}!nope` }))
        ).rejects.toMatchObject({
            code: grpc.status.UNAUTHENTICATED
        });
        await expect(unary('GetTopic', { topicName: '/data/LeadChangeEvent' })).rejects.toMatchObject({
            code: grpc.status.NOT_FOUND
        });
    });

    it('disconnects a subscriber past the delivery allocation with the documented error, counting per subscriber', async () => {
        await admin('PUT', '/eventbus/settings', {
            deliveryAllocation: emu.eventBus!.deliveryCounters().deliveredLast24h + 3
        });
        const sub = await subscribe({ topicName: '/data/AccountChangeEvent', numRequested: 10 });
        await accounts(['Alloc 1', 'Alloc 2', 'Alloc 3', 'Alloc 4', 'Alloc 5']);
        await until('the disconnect', () => sub.state.error !== undefined);
        expect(sub.events().length).toBe(3);
        expect(sub.state.error!.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
        expect(sub.state.error!.details).toMatch(/^You have exceeded the event delivery limit for your org\. rpcId: /);
        expect(sub.state.error!.metadata.get('error-code')).toEqual([
            'sfdc.platform.eventbus.grpc.subscription.limit.exceeded'
        ]);
        const counters = await admin<{ subscribers: unknown[] }>('GET', '/eventbus/deliveries');
        const mine = counters.json.subscribers.at(-1);
        expect(mine).toMatchObject({
            topic: '/data/AccountChangeEvent',
            delivered: 3,
            open: false,
            userId: emu.userId
        });
    });

    it('drops or duplicates a delivery on request', async () => {
        const sub = await subscribe({ topicName: '/data/AccountChangeEvent', numRequested: 10 });
        expect(
            (await admin('POST', '/eventbus/faults', { action: 'drop', topic: '/data/AccountChangeEvent' })).status
        ).toBe(201);
        await accounts(['Lost']);
        await accounts(['Seen']);
        await until('one', () => sub.events().length === 1);
        expect((await decode(sub.events()[0]!)).Name).toBe('Seen');
        await admin('POST', '/eventbus/faults', { action: 'duplicate' });
        await accounts(['Twice']);
        await until('the duplicate', () => sub.events().length === 3);
        expect(sub.events()[1]!.replayId).toEqual(sub.events()[2]!.replayId);
    });
});

describe('topics, schemas and publishing', () => {
    it('serves stable Avro schemas by fingerprint id', async () => {
        const topic = await unary<{ schemaId: string; canPublish: boolean; canSubscribe: boolean; tenantGuid: string }>(
            'GetTopic',
            {
                topicName: '/data/OpportunityChangeEvent'
            }
        );
        expect(topic).toMatchObject({ canPublish: false, canSubscribe: true, tenantGuid: emu.orgId });
        const schema = await unary<{ schemaJson: string; schemaId: string }>('GetSchema', { schemaId: topic.schemaId });
        const json = JSON.parse(schema.schemaJson);
        expect(json).toMatchObject({
            name: 'OpportunityChangeEvent',
            namespace: 'com.sforce.eventbus',
            uuid: topic.schemaId
        });
        expect(json.fields[0].name).toBe('ChangeEventHeader');
        expect(topic.schemaId).toMatch(/^[A-Za-z0-9_-]{22}$/);
        const other = await startFixtureOrg({ includePackage: true, pubsub: true });
        try {
            expect(other.eventBus!.topic('/data/OpportunityChangeEvent')!.schema!.id).toBe(topic.schemaId);
        } finally {
            await other.close();
        }
        await expect(unary('GetSchema', { schemaId: 'unknown' })).rejects.toMatchObject({
            code: grpc.status.NOT_FOUND
        });

        // A field added at run time: a new schema (and id) with the field; the old id stays servable.
        expect(
            (await admin('POST', '/schema/Opportunity/fields', { name: 'Bus_Probe__c', type: 'string' })).status
        ).toBe(201);
        const changed = await unary<{ schemaId: string }>('GetTopic', { topicName: '/data/OpportunityChangeEvent' });
        expect(changed.schemaId).not.toBe(topic.schemaId);
        const fresh = JSON.parse((await unary<{ schemaJson: string }>('GetSchema', changed)).schemaJson);
        expect(fresh.fields.map((f: { name: string }) => f.name)).toContain('Bus_Probe__c');
        expect((await unary<{ schemaId: string }>('GetSchema', { schemaId: topic.schemaId })).schemaId).toBe(
            topic.schemaId
        );
    });

    it('Publish rejects a wrong schema id per event and refuses change-event topics', async () => {
        const topic = await unary<{ schemaId: string }>('GetTopic', { topicName: '/event/Clm_Sync_Request__e' });
        const res = await unary<{ results: { error: { code: string; msg: string } | null; correlationKey: string }[] }>(
            'Publish',
            {
                topicName: '/event/Clm_Sync_Request__e',
                events: [{ id: 'k1', schemaId: 'not-it', payload: Buffer.from([0]) }]
            }
        );
        expect(res.results[0]).toMatchObject({ correlationKey: 'k1', error: { code: 'PUBLISH' } });
        expect(topic.schemaId).not.toBe('not-it');
        await expect(unary('Publish', { topicName: '/data/AccountChangeEvent', events: [] })).rejects.toMatchObject({
            code: grpc.status.PERMISSION_DENIED
        });
    });

    // Clm_Sync_Request__e is PublishAfterCommit; PublishImmediately is eventbus-publish-behavior.test.ts.
    it('platform events published by a collection arrive once the call commits', async () => {
        const sub = await subscribe({ topicName: '/event/Clm_Sync_Request__e', numRequested: 5 });
        const res = await rest('POST', '/composite/sobjects', {
            allOrNone: true,
            records: ['First', 'Second'].map((Action__c) => ({
                attributes: { type: 'Clm_Sync_Request__e' },
                Action__c
            }))
        });
        expect(res.status).toBe(200);
        await until('two events', () => sub.events().length === 2);
        expect((await Promise.all(sub.events().map(decode))).map((d) => d.Action__c)).toEqual(['First', 'Second']);
        await rolledBack({ attributes: { type: 'Clm_Sync_Request__e' }, Action__c: 'Never' });
        await rest('POST', '/sobjects/Clm_Sync_Request__e', { Action__c: 'Third' });
        await until('the third', () => sub.events().length === 3);
        expect((await decode(sub.events()[2]!)).Action__c).toBe('Third');
    });

    it('PublishStream answers each request and keeps its first topic', async () => {
        const topic = await unary<{ schemaId: string }>('GetTopic', { topicName: '/event/Clm_Sync_Request__e' });
        const type = avro.Type.forSchema(
            JSON.parse((await unary<{ schemaJson: string }>('GetSchema', topic)).schemaJson)
        );
        const payload = (action: string) =>
            type.toBuffer({
                ...Object.fromEntries((type as avro.types.RecordType).fields.map((f) => [f.name, null])),
                CreatedDate: 0,
                CreatedById: emu.userId,
                Action__c: action
            });
        const sub = await subscribe({ topicName: '/event/Clm_Sync_Request__e', numRequested: 5 });
        const stream = client.PublishStream!(meta()) as grpc.ClientDuplexStream<
            unknown,
            { results: { replayId: Buffer }[] }
        >;
        streams.push(stream);
        const answers: { results: { replayId: Buffer }[] }[] = [];
        let error: grpc.ServiceError | undefined;
        stream.on('data', (a) => answers.push(a));
        stream.on('error', (e: grpc.ServiceError) => (error = e));
        stream.write({
            topicName: '/event/Clm_Sync_Request__e',
            events: [{ id: 'a', schemaId: topic.schemaId, payload: payload('Send') }]
        });
        stream.write({ events: [{ id: 'b', schemaId: topic.schemaId, payload: payload('Retry') }] });
        await until('two answers', () => answers.length === 2);
        await until('two events', () => sub.events().length === 2);
        expect((await Promise.all(sub.events().map(decode))).map((d) => d.Action__c)).toEqual(['Send', 'Retry']);
        expect(sub.events().map((e) => e.replayId)).toEqual(answers.map((a) => a.results[0]!.replayId));
        stream.write({ topicName: '/event/Clm_Sync_Status__e', events: [] });
        await until('the refusal', () => error !== undefined);
        expect(error!.code).toBe(grpc.status.INVALID_ARGUMENT);
    });
});

describe('admin API', () => {
    it('lists topics and retained events, and refuses more CDC entities than the allocation', async () => {
        const topics = await admin<{ topicName: string }[]>('GET', '/eventbus/topics');
        const names = topics.json.map((t) => t.topicName);
        expect(names).toEqual(
            expect.arrayContaining([
                '/data/ChangeEvents',
                '/data/OpportunityChangeEvent',
                '/data/SBQQ__Quote__ChangeEvent',
                '/event/Clm_Sync_Status__e'
            ])
        );
        const events = await admin<unknown[]>('GET', '/eventbus/events?topic=/data/AccountChangeEvent');
        expect(events.json.length).toBeGreaterThan(0);
        expect(events.json[0]).toMatchObject({
            channel: '/data/AccountChangeEvent',
            payload: { ChangeEventHeader: { entityName: 'Account' } }
        });

        const six = ['Account', 'Contact', 'Opportunity', 'Contract', 'SBQQ__Quote__c', 'SBQQ__QuoteLine__c'];
        const refused = await admin<AdminError[]>('PUT', '/eventbus/cdc', { entities: six });
        expect(refused.status).toBe(400);
        expect(refused.json[0]).toMatchObject({ errorCode: 'CDC_ENTITY_LIMIT_EXCEEDED', fields: ['entities'] });
        expect((await admin<{ entities: string[] }>('GET', '/eventbus/cdc')).json.entities).toHaveLength(5);
        const unknown = await admin<AdminError[]>('PUT', '/eventbus/cdc', { entities: ['Nope__c'] });
        expect(unknown.json[0]).toMatchObject({ errorCode: 'UNKNOWN_ENTITY', fields: ['entities'] });
        expect((await admin('PUT', '/eventbus/cdc', { entities: six, allocation: 6 })).status).toBe(200);
        expect(
            (await unary<{ canSubscribe: boolean }>('GetTopic', { topicName: '/data/ContactChangeEvent' })).canSubscribe
        ).toBe(true);
    });

    it('reset empties the bus; replay ids from before it are refused as expired', async () => {
        const before = await admin<{ replayId: string }[]>('GET', '/eventbus/events');
        expect(before.json.length).toBeGreaterThan(0);
        const old = Buffer.alloc(8);
        old.writeBigUInt64BE(BigInt(before.json.at(-1)!.replayId));
        expect((await admin('POST', '/reset')).status).toBe(200);
        expect((await admin<unknown[]>('GET', '/eventbus/events')).json).toEqual([]);
        expect((await admin<{ entities: string[] }>('GET', '/eventbus/cdc')).json.entities).toHaveLength(5);
        const sub = await subscribe({
            topicName: '/data/AccountChangeEvent',
            replayPreset: 'CUSTOM',
            replayId: old,
            numRequested: 1
        });
        expect(sub.state.error!.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(sub.state.error!.metadata.get('error-code')).toEqual([
            'sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted'
        ]);
    });
});
