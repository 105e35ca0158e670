/**
 * Journeys 4 and 6 of issue 16. 4: both sides edit a Manual field — a conflict on the card and in the queue, a Task;
 * resolving it applies the value on both sides and the badge clears. 6: the admin console shows the connector's
 * health (running, subscriptions, last event, API budget, CLM reachable). The console's failed and retrying items and
 * its Retry are journey 3 (failures.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPresent } from '../support/chromium.ts';
import { arrival, eventually, seen, startJourneys, type JourneyWorld } from './harness.ts';

describe.runIf(chromiumPresent())('journeys: conflicts and the admin console', () => {
    let world: JourneyWorld;

    beforeAll(async () => {
        world = await startJourneys('admin', { retry: { maxAttempts: 3, baseDelayMs: 30_000 } });
        const setting = world.stack.salesforce.org.store
            .rows('Clm_Automation_Setting__mdt')
            .find((row) => row.DeveloperName === 'Default')!;
        setting.Create_Review_Tasks__c = true;
    }, 300_000);
    afterAll(async () => world?.stop());

    const card = () => world.page.locator('c-clm-contract-status');

    it('4. both sides edit a Manual field: conflict on the card, in the queue and a Task; resolved on both sides', async () => {
        const { page, stack } = world;
        const dealId = await world.createDeal('Terms deal', 20000);
        await world.openRecord(dealId);
        await page.locator('#send-to-clm').click();
        const action = page.locator('c-clm-send-to-clm');
        await action.locator('lightning-button.send-button button:not([disabled])').click();
        await action.locator('lightning-button.close-button button').click();
        await eventually(() => seen(card().locator('.lifecycle'))).toBe('Lifecycle: Review');
        const { ContractId, CLM_Contract_Id__c: workflowId } = (await stack.admin
            .sobject('Opportunity')
            .retrieve(dealId, { fields: ['ContractId', 'CLM_Contract_Id__c'] })) as unknown as Record<string, string>;
        // Legal edits the special terms in Salesforce while the counterparty's edit lands in the CLM.
        await Promise.all([
            stack.admin.sobject('Contract').update({ Id: ContractId!, SpecialTerms: 'Net 30' }),
            world.clmAdmin('POST', `/contracts/ironclad/${workflowId}/actions`, {
                action: 'update-data',
                data: { paymentTerms: 'Net 45' }
            })
        ]);
        await world.clmAdmin('POST', '/webhooks/settle');
        await eventually(async () => {
            await world.openRecord(dealId);
            return card().locator('.conflict').count();
        }).toBe(1);
        expect(await seen(card().locator('.conflict'))).toMatch(/Salesforce "Net 30" vs CLM "Net 45"/);
        await world.shoot('4-conflict', '1-card');
        // The review Task is the deal owner's, on the record whose field is in conflict (here the Contract).
        await eventually(
            async () =>
                (await stack.admin.query(`SELECT Id FROM Task WHERE WhatId IN ('${dealId}', '${ContractId}')`)).records
                    .length
        ).toBe(1);

        await world.openAdmin();
        const queue = page.locator('c-clm-conflict-queue');
        await eventually(() => queue.locator('li.conflict').count()).toBe(1);
        await world.shoot('4-conflict', '2-queue');
        await queue.locator('li.conflict button', { hasText: /CLM/ }).first().click();
        await eventually(() => queue.locator('li.conflict').count()).toBe(0);
        await arrival(async () => {
            const contract = (await stack.admin
                .sobject('Contract')
                .retrieve(ContractId!, { fields: ['SpecialTerms'] })) as unknown as { SpecialTerms: string };
            return contract.SpecialTerms === 'Net 45' ? contract : undefined;
        });
        const workflow = await world.clmAdmin<{ data: Record<string, unknown> }>(
            'GET',
            `/contracts/ironclad/${workflowId}`
        );
        expect(workflow.data.paymentTerms).toBe('Net 45');
        await world.openRecord(dealId);
        await eventually(() => card().locator('.conflict').count()).toBe(0);
        await eventually(() => seen(card().locator('.health'))).toBe('In sync');
        await world.shoot('4-conflict', '3-resolved');
    }, 240_000);

    it("6. the console shows the connector's health: running, subscriptions, last event, API budget, CLM reachable", async () => {
        const { page } = world;
        await world.openAdmin();
        const health = page.locator('c-clm-sync-health');
        const text = await seen(health);
        for (const fact of ['Running', 'channels subscribed', 'Last event', 'API budget', 'reachable'])
            expect(text, fact).toContain(fact);
        await world.shoot('6-admin', '1-health');
    }, 120_000);
});
