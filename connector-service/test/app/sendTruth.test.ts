/**
 * Journey 3, the behaviour under the page, on both sides' real code (journeyWorld.ts): a rep's send while the CLM is
 * down says "Sending…" at once, then that the request waits and why (attempts, next retry), then a failure with the
 * reason and what to do and a review Task; once the CLM is back an admin's Retry goes through, the error record is
 * Resolved and the card clears. An error no retry can fix (the CLM refuses changes to a contract out for signature)
 * goes straight to a person, with a Task, and an admin's Retry of it is tried once, not re-queued.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncErrorKey } from '../../src/domain/index.ts';
import { startJourneyWorld, type JourneyWorld } from './journeyWorld.ts';

interface CardError {
    Id: string;
    Error_Key__c: string;
    Status__c: string;
    Code__c: string;
    Attempts__c: number;
    Next_Retry_At__c?: string;
    Next_Step__c?: string;
    Opportunity__r?: { Name: string };
}
interface Card {
    health: string;
    lastSyncResult: string | null;
    clmContractId: string | null;
    openErrors: CardError[];
}

let world: JourneyWorld;

const card = async (recordId: string) =>
    (await world.aura('rep', 'ClmStatusController', 'getStatus', { recordId })) as Card;
const consoleErrors = async () =>
    ((await world.aura('admin', 'ClmAdminController', 'getSyncHealth')) as { errors: CardError[] }).errors;
const reviewTasks = (opportunityId: string) =>
    world.query('Task', ['Id', 'Subject', 'OwnerId'], 'WhatId', opportunityId);
/** What `sf clm sync errors` lists: the admin route's ids are syncErrorKey of the store's failed items. */
const cliIds = async () =>
    (await world.store.listQuarantined(world.sfEmu.orgId, { statuses: ['failed', 'quarantined'] })).map((item) =>
        syncErrorKey(item.queue, item.id)
    );

beforeAll(async () => {
    world = await startJourneyWorld({ maxAttempts: 3 });
    // What an admin turns on in Setup: review Tasks for what needs a person.
    const setting = world.sfEmu.org.store
        .rows('Clm_Automation_Setting__mdt')
        .find((row) => row.DeveloperName === 'Default');
    setting!.Create_Review_Tasks__c = true;
});

afterAll(async () => {
    await world?.close();
});

describe('a send tells the truth while the CLM is down', () => {
    let opportunityId: string;
    let errorId: string;

    it('says "Sending…" at once after the rep sends', async () => {
        opportunityId = await world.deal('Outage');
        await world.clmAdmin('POST', '/faults', { vendor: 'ironclad', kind: 'status', status: 503 });
        const outcome = (await world.aura('rep', 'ClmSendController', 'sendToClm', { recordId: opportunityId })) as {
            status: string;
        };
        expect(outcome.status).toBe('Sent');
        // Before the connector has heard anything: the card is no longer "not sent", it is sending.
        expect(await card(opportunityId)).toMatchObject({ health: 'Pending', lastSyncResult: 'Pending' });
    });

    it('shows that the request waits, why, and until when; never "In sync"', async () => {
        await world.settle();
        const shown = await card(opportunityId);
        expect(shown.health).toBe('Waiting');
        expect(shown.openErrors).toEqual([
            expect.objectContaining({
                Status__c: 'Retrying',
                Code__c: 'CLM.TRANSIENT',
                Attempts__c: 1,
                Next_Retry_At__c: expect.any(String),
                Next_Step__c: expect.stringContaining('keeps trying')
            })
        ]);
        // The console lists the retrying item with the deal's name and the id the CLI shows.
        const listed = await consoleErrors();
        expect(listed.map((error) => [error.Error_Key__c, error.Opportunity__r?.Name, error.Status__c])).toEqual([
            [shown.openErrors[0]!.Error_Key__c, 'Outage deal', 'Retrying']
        ]);
        expect(await cliIds()).toEqual([shown.openErrors[0]!.Error_Key__c]);
    });

    it('after the last attempt: a failure with the reason and what to do, and a review Task for the owner', async () => {
        for (let attempt = 2; attempt <= 3; attempt += 1) {
            world.advance(31_000);
            await world.settle();
        }
        const shown = await card(opportunityId);
        expect(shown.health).toBe('Failing');
        expect(shown.openErrors).toEqual([
            expect.objectContaining({ Status__c: 'Quarantined', Code__c: 'CLM.TRANSIENT', Attempts__c: 3 })
        ]);
        errorId = shown.openErrors[0]!.Id;
        const tasks = await world.until(async () => {
            const found = await reviewTasks(opportunityId);
            return found.length > 0 ? found : null;
        }, 'the review Task');
        expect(tasks).toEqual([
            expect.objectContaining({
                Subject: 'Review a quarantined CLM sync item',
                OwnerId: world.sfEmu.users.salesRep.id
            })
        ]);
    });

    it("once the CLM is back, the admin's Retry goes through: the error is Resolved and the card clears", async () => {
        await world.clmAdmin('DELETE', '/faults');
        const requestId = await world.aura('admin', 'ClmAdminController', 'retryItem', { errorId });
        expect(requestId).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
        await world.settle();
        expect((await world.read('Clm_Sync_Error__c', errorId, ['Status__c'])).Status__c).toBe('Resolved');
        const shown = await card(opportunityId);
        expect(shown).toMatchObject({ health: 'Healthy', lastSyncResult: 'Synced', openErrors: [] });
        expect(shown.clmContractId).toEqual(expect.any(String));
        expect(await consoleErrors()).toEqual([]);
    });
});

describe('an error no retry can fix goes straight to a person', () => {
    it('quarantines a change the CLM refuses in its state at the first attempt, with the reason and a Task', async () => {
        const opportunityId = await world.deal('Signing');
        await world.aura('rep', 'ClmSendController', 'sendToClm', { recordId: opportunityId });
        await world.settle();
        const linked = await world.read('Opportunity', opportunityId, ['CLM_Contract_Id__c', 'ContractId']);
        const workflowId = String(linked.CLM_Contract_Id__c);
        for (const action of ['request-approvals', 'approve', 'send-for-signature'])
            await world.clmAdmin('POST', `/contracts/ironclad/${workflowId}/actions`, { action });
        await world.settle();
        // Legal edits the terms in Salesforce while the contract is out for signature.
        await world.admin.write([
            { ref: 'k', sfObject: 'Contract', id: String(linked.ContractId), fields: { SpecialTerms: 'Net 15' } }
        ]);
        await world.settle();
        const [error] = await world.query(
            'Clm_Sync_Error__c',
            ['Id', 'Status__c', 'Code__c', 'Attempts__c', 'Next_Step__c', 'Error_Key__c'],
            'Record_Id__c',
            opportunityId
        );
        expect(error).toMatchObject({
            Status__c: 'Quarantined',
            Code__c: 'CLM.NOT_WRITABLE_IN_STATE',
            Attempts__c: 1,
            Next_Step__c: expect.stringContaining('Retrying will not help')
        });
        expect((await card(opportunityId)).health).toBe('Failing');
        await world.until(async () => (await reviewTasks(opportunityId)).length === 1, 'one review Task');

        // An admin retries anyway: one more attempt, quarantined again at once, not re-queued.
        await world.aura('admin', 'ClmAdminController', 'retryItem', { errorId: error!.Id });
        await world.settle();
        world.advance(61_000);
        await world.settle();
        const ref = (
            await world.store.listQuarantined(world.sfEmu.orgId, { statuses: ['failed', 'quarantined'] })
        ).find((item) => syncErrorKey(item.queue, item.id) === error!.Error_Key__c);
        expect(ref).toMatchObject({ status: 'quarantined', attempts: 1 });
        expect(await world.read('Clm_Sync_Error__c', String(error!.Id), ['Status__c', 'Attempts__c'])).toMatchObject({
            Status__c: 'Quarantined',
            Attempts__c: 1
        });
    });
});
