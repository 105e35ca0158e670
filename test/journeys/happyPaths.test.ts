/**
 * Journeys 1, 2 and 5 of issue 16, in Chromium over the stack `npm start` runs (both emulators, the connector, the
 * package's real LWC and Apex, the org's SLDS): what the rep and legal see, and the records in both systems. One
 * stack for the file; each journey has its own deal. Screenshots of each key state at 1366 and 390 px go to
 * .tmp/journeys/<journey>/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPresent } from '../support/chromium.ts';
import { arrival, eventually, seen, signInClm, startJourneys, type JourneyWorld } from './harness.ts';

interface ClmContractView {
    ids: { workflowId: string };
    stage: string;
    title: string;
    parentNumber: number | null;
    number: number;
    signers: { status: string }[];
    documents: { kind: string }[];
    data: Record<string, unknown>;
}

describe.runIf(chromiumPresent())('journeys: send, sign, automate', () => {
    let world: JourneyWorld;

    beforeAll(async () => {
        world = await startJourneys('happy');
    }, 300_000);
    afterAll(async () => world?.stop());

    const card = () => world.page.locator('c-clm-contract-status');
    const clmContracts = async () =>
        (await world.clmAdmin<{ contracts: ClmContractView[] }>('GET', '/contracts?vendor=ironclad')).contracts;
    const opportunity = async (id: string, fields: string[]) =>
        (await world.stack.admin.sobject('Opportunity').retrieve(id, { fields })) as unknown as Record<string, unknown>;

    it('1. the rep sends from the Opportunity: Sending… at once, then the CLM state; signed: link, dates, value', async () => {
        const { page, stack } = world;
        await world.openRecord();
        await eventually(() => seen(card().locator('.not-linked'))).toBe('This deal has not been sent to the CLM yet.');
        await world.shoot('1-send', '1-not-sent');

        // The send modal takes focus, keeps Tab inside, closes on Escape and gives focus back to the button.
        const opener = page.locator('#send-to-clm');
        const focusInDialog = () =>
            page.evaluate(() => Boolean(document.activeElement?.closest('#action-modal [role="dialog"]')));
        await opener.click();
        const action = page.locator('c-clm-send-to-clm');
        await eventually(() => action.locator('.field-row').count()).toBeGreaterThan(1);
        expect(await focusInDialog()).toBe(true);
        for (let tab = 0; tab < 6; tab += 1) {
            await page.keyboard.press(tab % 2 ? 'Shift+Tab' : 'Tab');
            await page.keyboard.press('Tab');
            expect(await focusInDialog(), `focus left the dialog after ${tab + 1} tabs`).toBe(true);
        }
        await page.keyboard.press('Escape');
        await eventually(() => action.count()).toBe(0);
        expect(await page.evaluate(() => document.activeElement?.id)).toBe('send-to-clm');
        await opener.click();
        await eventually(() => action.locator('.field-row').count()).toBeGreaterThan(1);
        // The footer's buttons keep their distance (SLDS spacing), at both widths.
        const [close, send] = await Promise.all(
            ['close-button', 'send-button'].map((name) =>
                action.locator(`lightning-button.${name} button`).boundingBox()
            )
        );
        expect(send!.x - (close!.x + close!.width)).toBeGreaterThanOrEqual(4);
        await world.shoot('1-send', '2-preview');
        await action.locator('lightning-button.send-button button').click();
        await eventually(() => seen(card().locator('.health'))).toMatch(/Sending/);
        await world.shoot('1-send', '3-sending');
        await action.locator('lightning-button.close-button button').click();

        await eventually(async () => (await clmContracts()).length).toBe(1);
        const [contract] = await clmContracts();
        expect(contract!.data.sfOpportunityId).toBe(stack.opportunityId);
        await eventually(() => seen(card().locator('.lifecycle'))).toBe('Lifecycle: Review');
        await world.shoot('1-send', '4-in-review');

        await signInClm(world, contract!.ids.workflowId);
        // Signed, and archived with today's agreement date: Active on the path (Signed behind it).
        await eventually(() => seen(card().locator('.lifecycle'))).toMatch(/^Lifecycle: (Signed|Active)$/);
        await eventually(() => seen(card().locator('.signature'))).toBe('Signature: Fully signed');
        await eventually(() => card().locator('a.signed-document').count()).toBe(1);
        await world.shoot('1-send', '5-signed');
        // The records in both systems: the CLM's signed workflow, and its dates, value and file in Salesforce.
        const [signed] = await clmContracts();
        expect(signed).toMatchObject({ stage: 'completed' });
        expect(signed!.signers.map((signer) => signer.status)).toEqual(signed!.signers.map(() => 'signed'));
        const deal = await opportunity(stack.opportunityId, ['ContractId', 'CLM_Signature_Status__c']);
        expect(deal.CLM_Signature_Status__c).toBe('FullySigned');
        const contractRecord = (await stack.admin
            .sobject('Contract')
            .retrieve(String(deal.ContractId))) as unknown as Record<string, unknown>;
        expect(contractRecord).toMatchObject({
            CLM_Contract_Id__c: signed!.ids.workflowId,
            CLM_Signature_Status__c: 'FullySigned',
            CLM_Executed_Date__c: signed!.data.executedDate,
            CLM_Expiration_Date__c: signed!.data.expirationDate,
            CLM_Contract_Value__c: 120000,
            CLM_Currency__c: 'USD'
        });
        // What legal reads: the same dates and value, formatted, and a link that opens the signed PDF.
        const facts = await seen(card().locator('.key-facts'));
        const day = (iso: unknown) =>
            new Date(`${String(iso)}T00:00:00Z`).toLocaleDateString('en-US', {
                month: 'short',
                day: 'numeric',
                year: 'numeric',
                timeZone: 'UTC'
            });
        expect(facts).toContain('USD 120,000.00');
        expect(facts).toContain(`Executed ${day(contractRecord.CLM_Executed_Date__c)}`);
        expect(facts).toContain(`Expires ${day(contractRecord.CLM_Expiration_Date__c)}`);
        expect(facts).toContain(`Notice deadline ${day(contractRecord.CLM_Notice_Deadline__c)}`);
        const href = await card().locator('a.signed-document').getAttribute('href');
        const file = await page.request.get(new URL(href!, stack.preview.url).toString());
        expect(file.status()).toBe(200);
        expect(file.headers()['content-type']).toBe('application/pdf');
        expect((await file.body()).subarray(0, 5).toString()).toBe('%PDF-');
        expect(signed!.documents.map((document) => document.kind)).toContain('signed');
    }, 180_000);

    it('2. the rep sends from the primary CPQ quote: the contract carries the quote lines, and the card shows them', async () => {
        const { page, stack } = world;
        const products = await Promise.all(
            ['Platform licence', 'Premium support', 'Onboarding'].map(async (Name) =>
                String((await stack.admin.sobject('Product2').create({ Name, IsActive: true })).id)
            )
        );
        const dealId = await world.createDeal('Acme CPQ expansion', 65000);
        const quote = await stack.admin.sobject('SBQQ__Quote__c').create({
            SBQQ__Opportunity2__c: dealId,
            SBQQ__Account__c: stack.accountId,
            SBQQ__Primary__c: true,
            OwnerId: stack.salesforce.users.salesRep.id
        });
        const quoteId = String(quote.id);
        const lines = [
            { product: products[0], quantity: 50, price: 1000 },
            { product: products[1], quantity: 1, price: 12000 },
            { product: products[2], quantity: 1, price: 3000 }
        ];
        for (const [index, line] of lines.entries())
            await stack.admin.sobject('SBQQ__QuoteLine__c').create({
                SBQQ__Quote__c: quoteId,
                SBQQ__Number__c: index + 1,
                SBQQ__Product__c: line.product,
                SBQQ__Quantity__c: line.quantity,
                SBQQ__NetPrice__c: line.price
            });

        await world.openRecord(quoteId, 'SBQQ__Quote__c');
        await eventually(() => seen(card().locator('.not-linked'))).toBe('This deal has not been sent to the CLM yet.');
        await page.locator('#send-to-clm').click();
        const action = page.locator('c-clm-send-to-clm');
        await action.locator('lightning-button.send-button button:not([disabled])').click();
        await eventually(() => seen(action.locator('.outcome'))).toMatch(/^Sent\./);
        await action.locator('lightning-button.close-button button').click();

        // The CLM's contract carries the quote's lines (Ironclad's table has no group column, so none are sent).
        const sent = await arrival(async () =>
            (await clmContracts()).find((candidate) => candidate.data.sfOpportunityId === dealId)
        );
        expect(sent.data.sfQuoteId ?? quoteId).toBe(quoteId);
        const table = sent.data.lineItems as { product: string; quantity: number; unitPrice: { amount: number } }[];
        expect(table.map((row) => [row.product, row.quantity, row.unitPrice.amount])).toEqual([
            ['Platform licence', 50, 1000],
            ['Premium support', 1, 12000],
            ['Onboarding', 1, 3000]
        ]);
        // The card on the quote's page follows the deal, and lists the lines the contract was sent with.
        await eventually(() => seen(card().locator('.lifecycle'))).toBe('Lifecycle: Review');
        const rows = async () =>
            (await card().locator('.quote-line').allInnerTexts()).map((row) => row.replace(/\s+/g, ' ').trim());
        await eventually(rows).toEqual([
            'Platform licence 50 USD 1,000.00',
            'Premium support 1 USD 12,000.00',
            'Onboarding 1 USD 3,000.00'
        ]);
        await world.shoot('2-quote', '1-sent-with-lines');
    }, 180_000);

    it('5. signature runs the automations the admin turned on: Closed Won, the renewal before the notice deadline', async () => {
        const { page } = world;
        const stack = world.stack;
        // What an admin does in Setup: the org's custom metadata record, which the package's Apex reads.
        const setting = stack.salesforce.org.store
            .rows('Clm_Automation_Setting__mdt')
            .find((row) => row.DeveloperName === 'Default')!;
        Object.assign(setting, { Close_Won_On_Signature__c: true, Create_Renewal__c: true, Renewal_Lead_Days__c: 90 });
        // ... and the daily renewal job, scheduled once as the package's docs say.
        await stack.admin.tooling.executeAnonymous(
            "System.schedule('CLM renewals', '0 0 6 * * ?', new ClmRenewalJob());"
        );
        const dealId = await world.createDeal('Acme support extension', 48000);
        await world.openRecord(dealId);
        await page.locator('#send-to-clm').click();
        const action = page.locator('c-clm-send-to-clm');
        await action.locator('lightning-button.send-button button:not([disabled])').click();
        await action.locator('lightning-button.close-button button').click();
        const sent = await arrival(async () =>
            (await clmContracts()).find((candidate) => candidate.data.sfOpportunityId === dealId)
        );
        await signInClm(world, sent.ids.workflowId);

        // Closed Won by the package's trigger on the connector's status event.
        await eventually(async () => (await opportunity(dealId, ['StageName'])).StageName).toBe('Closed Won');
        await eventually(() => seen(card().locator('.signature'))).toBe('Signature: Fully signed');
        const contractId = String((await opportunity(dealId, ['ContractId'])).ContractId);
        const { CLM_Notice_Deadline__c: deadline } = (await stack.admin
            .sobject('Contract')
            .retrieve(contractId)) as unknown as { CLM_Notice_Deadline__c: string };
        expect(deadline).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        const renewals = async () =>
            (
                await stack.admin.query<{ Id: string; Name: string; CloseDate: string; CreatedDate: string }>(
                    `SELECT Id, Name, CloseDate, CreatedDate FROM Opportunity WHERE Name = 'Acme support extension - Renewal'`
                )
            ).records;
        // Signed ten months before the notice deadline: too early for a renewal.
        expect(await renewals()).toEqual([]);

        // The emulator's clock moves to 05:59 UTC, 30 days before the deadline; the daily job's 06:00 run creates it.
        const target = Date.parse(`${deadline}T05:59:00Z`) - 30 * 86_400_000;
        await world.advanceOrgClock(target - stack.salesforce.org.clock.peekMs());
        const renewal = await arrival(async () => (await renewals())[0], 20_000);
        expect(await renewals()).toHaveLength(1);
        expect(renewal).toMatchObject({ CloseDate: deadline });
        expect(renewal!.CreatedDate.slice(0, 10) < deadline).toBe(true);

        await world.openRecord(dealId);
        await eventually(() => seen(page.locator('#record-stage'))).toBe('Closed Won');
        await eventually(() => seen(card().locator('.automations'))).toContain('Acme support extension - Renewal');
        await world.shoot('5-automations', '1-closed-won-renewal');
    }, 180_000);
});
