/**
 * End to end over both emulators: a deal sent from Salesforce becomes an Ironclad workflow; Ironclad's signed
 * webhooks come in through the connector's endpoint and move the Opportunity to Signed, then the completed record.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_RULES, loadRuleSet } from '../../src/domain/index.ts';
import { IroncladAdapter } from '../../src/adapters/clm/ironclad/ironcladAdapter.ts';
import { connectWithJwt, JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import type { StorePort } from '../../src/ports/store.ts';
import { SyncEngine } from '../../src/app/syncEngine.ts';
import { buildWebhookServer } from '../../src/app/webhookServer.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';
import { startClmEmulator, type ClmEmulator } from '@clm/emulators/clm';

const ORG = '00D000000000001AAA';
let sfEmu: RunningSalesforceEmulator;
let clmEmu: ClmEmulator;
let admin: JsforceSalesforce;
let store: StorePort;
let ironclad: IroncladAdapter;
let engine: SyncEngine;
let webhooks: FastifyInstance;
let webhookUrl: string;
let dir: string;
let opportunityId: string;

async function connect(username: string): Promise<JsforceSalesforce> {
    const conn = await connectWithJwt({
        loginUrl: sfEmu.loginUrl,
        clientId: sfEmu.jwtConsumerKey,
        username,
        privateKeyPem: readFileSync(sfEmu.jwtPrivateKeyPath, 'utf8'),
        apiVersion: sfEmu.apiVersion
    });
    return new JsforceSalesforce(conn, { connectorClientId: 'clm-connector', apiVersion: sfEmu.apiVersion });
}

async function clmAdmin(method: string, route: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${clmEmu.adminUrl}${route}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body)
    });
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
    const text = await response.text();
    return text ? JSON.parse(text) : undefined;
}

async function opportunity(fields: string[]) {
    const [row] = await admin.readByIds('Opportunity', fields, [opportunityId]);
    return row!;
}

beforeAll(async () => {
    sfEmu = await startSalesforceEmulator();
    clmEmu = await startClmEmulator({ port: 0, clockScale: 0 });
    dir = mkdtempSync(path.join(os.tmpdir(), 'clm-e2e-'));
    store = await openSqliteStore({ file: path.join(dir, 'store.db') });
    admin = await connect(sfEmu.username);
    ironclad = new IroncladAdapter(
        {
            baseUrl: clmEmu.ironcladBaseUrl,
            tokenUrl: clmEmu.ironcladTokenUrl,
            clientId: clmEmu.ironcladClientId,
            clientSecret: clmEmu.ironcladClientSecret,
            actorEmail: clmEmu.ironcladUserEmail,
            templateName: clmEmu.ironcladTemplateName,
            customAttributes: { specialTerms: 'paymentTerms' }
        },
        { backoff: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 200 } }
    );
    engine = new SyncEngine({
        orgId: ORG,
        store,
        salesforce: await connect(sfEmu.users.integration.username),
        clm: ironclad,
        rules: loadRuleSet(DEFAULT_RULES),
        context: { connectorClientId: 'clm-connector', transform: { orgCurrency: 'USD' } },
        orgCurrency: 'USD',
        clmCustomFields: ['specialTerms']
    });
    webhooks = buildWebhookServer({ orgId: ORG, store, clm: ironclad });
    await webhooks.listen({ port: 0, host: '127.0.0.1' });
    const address = webhooks.server.address();
    webhookUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/webhooks/ironclad`;
    await ironclad.ensureWebhookSubscription(webhookUrl);

    const [account] = await admin.write([
        { ref: 'a', sfObject: 'Account', fields: { Name: 'Globex', BillingCity: 'Springfield', BillingCountry: 'US' } }
    ]);
    await admin.write([
        {
            ref: 'c',
            sfObject: 'Contact',
            fields: { LastName: 'Scorpio', FirstName: 'Hank', Email: 'hank@globex.example', AccountId: account!.id! }
        }
    ]);
    const [created] = await admin.write([
        {
            ref: 'o',
            sfObject: 'Opportunity',
            fields: {
                Name: 'Globex renewal',
                StageName: 'Negotiation/Review',
                CloseDate: '2027-01-31',
                Amount: 48000,
                AccountId: account!.id!
            }
        }
    ]);
    opportunityId = created!.id!;
});

afterAll(async () => {
    await webhooks?.close();
    await store?.close();
    await clmEmu?.close();
    await sfEmu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Salesforce → Ironclad → Salesforce', () => {
    let workflowId: string;

    it('launches an Ironclad workflow from the deal and links it to the Opportunity', async () => {
        await store.appendInbox(ORG, [
            {
                source: 'salesforce:/event/Clm_Sync_Request__e',
                eventId: 'req-1',
                orderingKey: `opp:${opportunityId}`,
                payload: { kind: 'sf.syncRequest', opportunityId, requestId: 'req-1' },
                correlationId: 'corr-req-1'
            }
        ]);
        await engine.runUntilIdle();
        const linked = await opportunity(['CLM_Contract_Id__c', 'CLM_Lifecycle__c']);
        workflowId = String(linked.CLM_Contract_Id__c);
        expect(workflowId).not.toBe('undefined');
        expect(linked.CLM_Lifecycle__c).toBe('InReview');
        const workflow = (await clmAdmin('GET', `/contracts/ironclad/${workflowId}`)) as {
            data: Record<string, unknown>;
        };
        expect(workflow.data).toMatchObject({
            counterpartyName: 'Globex',
            counterpartySignerEmail: 'hank@globex.example',
            sfOpportunityId: opportunityId
        });
    });

    it('hears signed webhooks and moves the Opportunity through signature to Signed', async () => {
        await clmAdmin('POST', `/contracts/ironclad/${workflowId}/actions`, { action: 'request-approvals' });
        await clmAdmin('POST', `/contracts/ironclad/${workflowId}/actions`, { action: 'approve' });
        await clmAdmin('POST', `/contracts/ironclad/${workflowId}/actions`, { action: 'send-for-signature' });
        for (let signer = 0; signer < 5; signer += 1) {
            const state = (await clmAdmin('POST', `/contracts/ironclad/${workflowId}/actions`, { action: 'sign' })) as {
                signers: { status: string }[];
            };
            if (state.signers.every((candidate) => candidate.status === 'signed')) break;
        }
        await clmAdmin('POST', '/webhooks/settle');
        const { deliveries } = (await clmAdmin('GET', '/webhooks/log')) as { deliveries: { outcome: string }[] };
        expect(deliveries.length).toBeGreaterThan(0);
        expect(deliveries.map((attempt) => attempt.outcome)).toEqual(deliveries.map(() => 'delivered'));
        await engine.runUntilIdle();
        expect(await opportunity(['CLM_Lifecycle__c', 'CLM_Signature_Status__c'])).toMatchObject({
            CLM_Lifecycle__c: 'Signed',
            CLM_Signature_Status__c: 'FullySigned'
        });
        // Nothing failed on the way: status events published, the signed copy attached.
        expect(await store.listQuarantined(ORG)).toEqual([]);
    });

    it('refuses a delivery whose body was tampered with, and stores nothing', async () => {
        const before = (await store.stats(ORG, Date.now())).inbox.byStatus;
        const response = await fetch(webhookUrl, {
            method: 'POST',
            headers: {
                'content-type': 'application/json',
                'x-ironclad-webhook-event-id': 'evt-forged',
                'x-ironclad-webhook-verification': JSON.stringify({
                    nonce: 'n',
                    signAlgorithm: 'sha256',
                    signature: 'AAAA',
                    encoding: 'base64'
                })
            },
            body: JSON.stringify({
                payload: { event: 'workflow_completed', workflowID: workflowId },
                timestamp: new Date().toISOString(),
                webhookID: 'x'
            })
        });
        expect(response.status).toBe(401);
        expect(((await response.json()) as { code: string }).code).toBe('WEBHOOK.BAD_SIGNATURE');
        const after = (await store.stats(ORG, Date.now())).inbox.byStatus;
        expect(after).toEqual(before);
    });
});
