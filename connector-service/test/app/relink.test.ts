/**
 * A refreshed sandbox: the store holds the state of org A, the connector logs in to org B (the Salesforce emulator).
 * It starts refusing — health, readiness (503 ORG_MISMATCH), metrics and the admin API only: no Pub/Sub subscriber,
 * no CLM call, a rep's sync request is not processed — until an admin relinks it by naming org B. Then the sync
 * starts without a restart and the request made while it refused creates the contract.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import { emulatorConnectorConfig } from '../../../test/support/connectorConfig.ts';
import { createLogger, startConnector, type RunningConnector } from '../../src/main.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';
import { connectAs } from '@clm/emulators/salesforce/helpers';
import { startClmEmulator, type ClmEmulator } from '@clm/emulators/clm';
import { seedDeal } from '../../../test/preview/demoData.ts';

const ADMIN_TOKEN = 'relink-admin-token-4d2a91';
const CONNECTOR = 'clm-connector';
/** The org the store's state belongs to: production, or the sandbox before its refresh. */
const ORG_A = '00D000000000001EAA';

let sfEmu: RunningSalesforceEmulator;
let clmEmu: ClmEmulator;
let connector: RunningConnector;
let admin: jsforce.Connection;
let opportunityId: string;
let dir: string;
const logLines: Record<string, unknown>[] = [];

const eventually = <T>(read: () => Promise<T> | T, message: string) =>
    expect.poll(read, { timeout: 30_000, interval: 100, message });

async function call(method: string, route: string, body?: unknown, token: string | null = ADMIN_TOKEN) {
    const response = await fetch(`${connector.url}${route}`, {
        method,
        headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(body === undefined ? {} : { 'content-type': 'application/json' })
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

/** Every request the CLM emulator counted (OAuth tokens, workflows, webhooks …), both vendors. */
async function clmRequests(): Promise<number> {
    const counters = (await (await fetch(`${clmEmu.adminUrl}/counters`)).json()) as Record<
        string,
        Record<string, { requests?: number }>
    >;
    return ['ironclad', 'spotdraft']
        .flatMap((vendor) => Object.values(counters[vendor] ?? {}))
        .reduce((sum, counter) => sum + (counter.requests ?? 0), 0);
}

async function clmWebhooks(): Promise<unknown[]> {
    return ((await (await fetch(`${clmEmu.adminUrl}/webhooks/registrations`)).json()) as { registrations: unknown[] })
        .registrations;
}

const subscribers = () => sfEmu.eventBus!.deliveryCounters().subscribers.filter((subscriber) => subscriber.open);

async function contractIdOnOpportunity(): Promise<string | null> {
    const opportunity = (await admin.sobject('Opportunity').retrieve(opportunityId)) as {
        CLM_Contract_Id__c?: string | null;
    };
    return opportunity.CLM_Contract_Id__c ?? null;
}

beforeAll(async () => {
    sfEmu = await startSalesforceEmulator({ pubsub: true });
    clmEmu = await startClmEmulator({ port: 0, clockScale: 0 });
    dir = mkdtempSync(path.join(os.tmpdir(), 'clm-relink-'));
    admin = await connectAs(sfEmu);
    const deal = await seedDeal(admin, sfEmu.users.salesRep.id);
    opportunityId = deal.opportunityId;
    await admin
        .sobject('Contact')
        .create({ FirstName: 'Greta', LastName: 'Signer', Email: 'greta@acme.example', AccountId: deal.accountId });

    // The state of org A, as the connector left it before the sandbox was refreshed.
    const file = path.join(dir, 'store.db');
    const previous = await openSqliteStore({ file });
    await previous.bindOrg(CONNECTOR, ORG_A, Date.now());
    await previous.close();

    const config = emulatorConnectorConfig(sfEmu, clmEmu, {
        storeFile: file,
        adminToken: ADMIN_TOKEN,
        pubsub: true,
        extra: { name: CONNECTOR }
    });
    const sink = new Writable({
        write(chunk, _encoding, done) {
            for (const line of String(chunk).split('\n').filter(Boolean))
                logLines.push(JSON.parse(line) as Record<string, unknown>);
            done();
        }
    });
    connector = await startConnector(config, createLogger(config, sink));
}, 60_000);

afterAll(async () => {
    await connector?.stop();
    sfEmu?.eventBus?.closeAll();
    await clmEmu?.close();
    await sfEmu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a connector whose store belongs to another org (a refreshed sandbox)', () => {
    it('starts refusing: it serves health, readiness, metrics and the admin API, and logs what to run', async () => {
        const orgB = sfEmu.orgId;
        expect(connector.orgId).toBe(orgB);
        expect(connector.service.state).toBe('refusing');
        expect((await call('GET', '/healthz', undefined, null)).status).toBe(200);
        expect(await call('GET', '/readyz', undefined, null)).toEqual({
            status: 503,
            body: expect.objectContaining({ ready: false, reason: 'ORG_MISMATCH', boundOrgId: ORG_A, orgId: orgB })
        });
        expect((await fetch(`${connector.url}/metrics`)).status).toBe(200);
        expect(await call('GET', '/admin/status')).toMatchObject({ status: 200, body: { orgId: orgB } });
        expect((await call('GET', '/admin/status', undefined, null)).status).toBe(401);
        expect(await call('GET', '/admin/relink')).toEqual({
            status: 200,
            body: { state: 'refusing', boundOrgId: ORG_A, orgId: orgB }
        });

        const refusals = logLines.filter((line) => line.code === 'STORE.ORG_MISMATCH');
        expect(refusals).toHaveLength(1);
        expect(refusals[0]).toMatchObject({ level: 50, boundOrgId: ORG_A, orgId: orgB });
        expect(refusals[0]!.msg).toContain('sf clm org relink');
    });

    it('writes nowhere: no Pub/Sub subscriber, no CLM call, no webhook, no replay or backfill', async () => {
        expect(sfEmu.eventBus!.deliveryCounters().subscribers).toEqual([]);
        expect(await clmWebhooks()).toEqual([]);
        expect(await clmRequests()).toBe(0);
        // A rep asks for a contract; nothing hears it yet.
        await admin.sobject('Clm_Sync_Request__e').create({
            Record_Id__c: opportunityId,
            Object_Api_Name__c: 'Opportunity',
            Action__c: 'Send',
            Request_Id__c: 'relink-request-1'
        });
        expect(await call('POST', '/admin/replay', { all: true })).toMatchObject({
            status: 409,
            body: { code: 'ADMIN.RELINK_REQUIRED' }
        });
        expect(await call('POST', '/admin/backfill', { object: 'Opportunity' })).toMatchObject({
            status: 409,
            body: { code: 'ADMIN.RELINK_REQUIRED' }
        });
        expect((await call('POST', '/webhooks/ironclad', { event: 'workflow_updated' }, null)).status).toBe(503);
        // Many work-loop intervals pass (50 ms each): still nothing stored, sent or linked.
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        const stats = await connector.service['options'].store.stats(connector.orgId, Date.now());
        expect(stats.inbox.byStatus).toMatchObject({ pending: 0, processing: 0, done: 0 });
        expect(await contractIdOnOpportunity()).toBeNull();
        expect(await clmRequests()).toBe(0);
        expect(subscribers()).toEqual([]);
    });

    it('relinks only when the admin names the org it is logged in to', async () => {
        const orgB = sfEmu.orgId;
        expect((await call('POST', '/admin/relink', { orgId: orgB }, null)).status).toBe(401);
        expect(await call('POST', '/admin/relink', {})).toMatchObject({
            status: 400,
            body: { code: 'ADMIN.INVALID_REQUEST', field: 'orgId' }
        });
        expect(await call('POST', '/admin/relink', { orgId: 'not-an-org' })).toMatchObject({
            status: 400,
            body: { code: 'ADMIN.INVALID_REQUEST', field: 'orgId' }
        });
        const wrong = await call('POST', '/admin/relink', { orgId: ORG_A });
        expect(wrong).toMatchObject({ status: 409, body: { code: 'ADMIN.ORG_ID_MISMATCH', expectedOrgId: orgB } });
        expect(wrong.body.message).toContain(orgB);
        expect(connector.service.state).toBe('refusing');
        expect(subscribers()).toEqual([]);
        expect(await clmRequests()).toBe(0);
    });

    it('starts the sync on relink without a restart, and the request made meanwhile creates the contract', async () => {
        const orgB = sfEmu.orgId;
        const relinked = await call('POST', '/admin/relink', { orgId: orgB, requestedBy: 'admin@example.com' });
        expect(relinked).toEqual({ status: 200, body: { previousOrgId: ORG_A, orgId: orgB } });
        expect(await call('GET', '/readyz', undefined, null)).toMatchObject({ status: 200, body: { ready: true } });
        expect(logLines.find((line) => line.code === 'ADMIN.RELINKED')).toMatchObject({
            previousOrgId: ORG_A,
            orgId: orgB,
            requestedBy: 'admin@example.com'
        });
        expect(await clmWebhooks()).toHaveLength(1);
        await eventually(
            () => subscribers().some((subscriber) => subscriber.topic === '/event/Clm_Sync_Request__e'),
            'the sync request subscription'
        ).toBe(true);
        await eventually(contractIdOnOpportunity, 'the contract created for the request').toMatch(/^[0-9a-f]{24}$/);
        const contracts = (await (await fetch(`${clmEmu.adminUrl}/contracts?vendor=ironclad`)).json()) as {
            contracts: { data: Record<string, unknown> }[];
        };
        expect(contracts.contracts.filter((contract) => contract.data.sfOpportunityId === opportunityId)).toHaveLength(
            1
        );
        expect(await call('POST', '/admin/relink', { orgId: orgB })).toMatchObject({
            status: 409,
            body: { code: 'ADMIN.NOT_NEEDED' }
        });
    }, 60_000);
});
