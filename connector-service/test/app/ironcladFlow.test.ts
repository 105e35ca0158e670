/**
 * End to end over both emulators: a deal sent from Salesforce becomes an Ironclad workflow; Ironclad's signed
 * webhooks come in through the connector's endpoint and move the Opportunity to Signed, then the completed record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import type { StorePort } from '../../src/ports/store.ts';
import type { SyncEngine } from '../../src/app/syncEngine.ts';
import { ORG, startIroncladWorld, type IroncladWorld } from './ironcladWorld.ts';

let world: IroncladWorld;
let admin: JsforceSalesforce;
let store: StorePort;
let engine: SyncEngine;
let webhookUrl: string;
let opportunityId: string;

function clmAdmin(method: string, route: string, body?: unknown): Promise<unknown> {
    return world.clmAdmin(method, route, body);
}

async function opportunity(fields: string[]) {
    const [row] = await admin.readByIds('Opportunity', fields, [opportunityId]);
    return row!;
}

beforeAll(async () => {
    world = await startIroncladWorld({ clockScale: 0 });
    ({ admin, store, engine, webhookUrl } = world);
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
                // Next year's: the signed contract's term runs from it, and one already past would read Expired.
                CloseDate: `${new Date().getUTCFullYear() + 1}-01-31`,
                Amount: 48000,
                AccountId: account!.id!
            }
        }
    ]);
    opportunityId = created!.id!;
});

afterAll(async () => {
    await world?.close();
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

    it('an admin switches on "close the deal when the contract is fully signed" (the package setting)', async () => {
        // What an admin does in Setup: the org's custom metadata record, which the package's Apex reads.
        const setting = world.sfEmu.org.store
            .rows('Clm_Automation_Setting__mdt')
            .find((row) => row.DeveloperName === 'Default');
        expect(setting).toBeDefined();
        setting!.Close_Won_On_Signature__c = true;
        expect(await opportunity(['StageName'])).toMatchObject({ StageName: 'Negotiation/Review' });
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

    it("the connector's own status event runs the package's real Apex trigger, which closes the deal as won", async () => {
        // The engine published Clm_Sync_Status__e (LifecycleChanged, FullySigned) through the emulator's REST
        // write path; the org delivers it after commit to ClmSyncStatusTrigger as the Automated Process user.
        await expect
            .poll(async () => (await opportunity(['StageName'])).StageName, { timeout: 15_000, interval: 100 })
            .toBe('Closed Won');
        const runs = world.sfEmu.org.store
            .rows('Clm_Automation_Run__c')
            .filter((row) => row.Record_Id__c === opportunityId);
        expect(runs).toEqual([
            expect.objectContaining({ Automation__c: 'CloseWon', Event_Key__c: expect.stringMatching(/\S/) })
        ]);
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
