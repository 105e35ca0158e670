/**
 * Journey 3 of issue 16 in Chromium over the stack `npm start` runs: the CLM is down while a rep sends. The card
 * says "Sending…", then that the request waits and why, then a failure with the reason and what to do (and a review
 * Task for the owner); once the CLM is back an admin's Retry in the console goes through, says so, the error record
 * is Resolved and the card clears. The connector retries three times, 30 s apart on the org's clock, which the test
 * moves. Screenshots at 1366 and 390 px go to .tmp/journeys/3-clm-down/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPresent } from '../support/chromium.ts';
import { eventually, seen, startJourneys, type JourneyWorld } from './harness.ts';

describe.runIf(chromiumPresent())('journeys: when the CLM is down', () => {
    let world: JourneyWorld;

    beforeAll(async () => {
        world = await startJourneys('failures', { retry: { maxAttempts: 3, baseDelayMs: 30_000 } });
        // What an admin turns on in Setup: review Tasks for what needs a person.
        const setting = world.stack.salesforce.org.store
            .rows('Clm_Automation_Setting__mdt')
            .find((row) => row.DeveloperName === 'Default')!;
        setting.Create_Review_Tasks__c = true;
    }, 300_000);
    afterAll(async () => world?.stop());

    const card = () => world.page.locator('c-clm-contract-status');
    /** The card after a reload, until `read` gives what is expected (the page a person opens again). */
    const shownAfterReload = (recordId: string, read: () => Promise<string>) =>
        eventually(async () => {
            await world.openRecord(recordId);
            await card().locator('.lifecycle, .not-linked, .sending, .retrying-item, .failed-item').first().waitFor();
            return read();
        });
    const errorsOf = async (recordId: string) =>
        (
            await world.stack.admin.query<{ Id: string; Status__c: string; Code__c: string; Attempts__c: number }>(
                `SELECT Id, Status__c, Code__c, Attempts__c FROM Clm_Sync_Error__c WHERE Record_Id__c = '${recordId}'`
            )
        ).records;

    it('3. a send while the CLM is down: Sending…, waiting and why, failed with what to do, then cleared by Retry', async () => {
        const { page } = world;
        const dealId = await world.createDeal('Outage deal', 30000);
        await world.clmAdmin('POST', '/faults', { vendor: 'ironclad', kind: 'status', status: 503 });
        await world.openRecord(dealId);
        await page.locator('#send-to-clm').click();
        const action = page.locator('c-clm-send-to-clm');
        await action.locator('lightning-button.send-button button:not([disabled])').click();
        await eventually(() => seen(card().locator('.health'))).toBe('Sending…');
        await action.locator('lightning-button.close-button button').click();

        // The first attempt failed: the request waits, the card says why and when it tries again.
        await shownAfterReload(dealId, () => seen(card().locator('.health'))).toBe('Waiting to retry');
        expect(await seen(card().locator('.retrying-item'))).toMatch(
            /^Waiting for the CLM: attempt 1 failed\. .+ Next try: /
        );
        expect(await errorsOf(dealId)).toEqual([
            expect.objectContaining({ Status__c: 'Retrying', Code__c: 'CLM.TRANSIENT', Attempts__c: 1 })
        ]);
        await world.shoot('3-clm-down', '1-waiting');

        // Retries run out on the org's clock: a failure with the reason and what to do, and a Task for the owner.
        for (let attempt = 2; attempt <= 3; attempt += 1) {
            await world.advanceOrgClock(31_000 * attempt);
            await eventually(async () => (await errorsOf(dealId))[0]?.Attempts__c).toBe(attempt);
        }
        await shownAfterReload(dealId, () => seen(card().locator('.health'))).toBe('Sync failing');
        expect(await seen(card().locator('.failed-item'))).toMatch(/^The change could not be synced \(outbox:\d+\)\. /);
        expect(await seen(card().locator('.failed-item .next-step'))).not.toBe('');
        const [failed] = await errorsOf(dealId);
        expect(failed).toMatchObject({ Status__c: 'Quarantined', Attempts__c: 3 });
        await eventually(
            async () =>
                (
                    await world.stack.admin.query<{ OwnerId: string }>(
                        `SELECT OwnerId FROM Task WHERE WhatId = '${dealId}'`
                    )
                ).records
        ).toEqual([expect.objectContaining({ OwnerId: world.stack.salesforce.users.salesRep.id })]);
        await world.shoot('3-clm-down', '2-failed');

        // The CLM is back; the admin retries from the console, which says so truthfully.
        await world.clmAdmin('DELETE', '/faults');
        await world.openAdmin();
        const health = page.locator('c-clm-sync-health');
        const row = health.locator('lightning-datatable tbody tr', { hasText: 'Outage deal' });
        await row.locator('button', { hasText: 'Retry' }).click();
        await eventually(() => seen(page.locator('#toast'))).toMatch(/^Retry requested for /);
        expect(await page.locator('#toast').getAttribute('data-variant')).toBe('success');
        await world.shoot('3-clm-down', '3-retried');
        await eventually(async () => (await errorsOf(dealId))[0]?.Status__c).toBe('Resolved');
        await shownAfterReload(dealId, () => seen(card().locator('.health'))).toBe('In sync');
        expect(await card().locator('.failed-item, .retrying-item').count()).toBe(0);
        await eventually(() => seen(card().locator('.lifecycle'))).toBe('Lifecycle: Review');
        await world.shoot('3-clm-down', '4-cleared');
    }, 240_000);
});
