// The browser preview, end to end: the package's components compiled with the real
// lightning-base-components, served on a local page against the Salesforce emulator's data, driven in
// headless Chromium. A rep sends the deal to the CLM (the emulator receives the Clm_Sync_Request__e the
// way the connector will read it), then — as the connector will — the test writes the contract back and
// publishes Clm_Sync_Status__e, and the legal status card changes without a reload. Screenshots of each
// component go to test-results/preview/.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type jsforce from 'jsforce';
import type { Browser, Page } from 'playwright-core';
import { chromiumPresent as browserPresent, launchChromium } from '../support/chromium.ts';
import { repoRoot } from '../support/requirements.ts';
import {
    startSalesforceEmulator,
    type PublishedEvent,
    type RunningSalesforceEmulator
} from '../emulators/salesforce/src/index.ts';
import { connectAs } from '../emulators/salesforce/test/helpers.ts';
import { ensurePreviewBuilt } from './build.ts';
import { seedAdminItems, seedDeal } from './demoData.ts';
import { startPreview, type RunningPreview } from './server.ts';

const chromiumPresent = browserPresent();
const SHOTS = path.join(repoRoot, 'test-results', 'preview');
const AXE = path.join(repoRoot, 'node_modules/axe-core/axe.min.js');
/** Waits for the page to catch up; generous, because CI machines run several suites at once. */
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 15_000, interval: 100 });

describe.runIf(chromiumPresent)('browser preview of the Opportunity page and the admin console', () => {
    let emulator: RunningSalesforceEmulator;
    let preview: RunningPreview;
    let browser: Browser;
    let page: Page;
    let integration: jsforce.Connection;
    let opportunityId: string;
    let accountId: string;
    const published: PublishedEvent[] = [];

    beforeAll(async () => {
        mkdirSync(SHOTS, { recursive: true });
        await ensurePreviewBuilt();
        emulator = await startSalesforceEmulator();
        emulator.hook.subscribe((transaction) => published.push(...transaction.events));
        const admin = await connectAs(emulator, emulator.users.admin.username);
        integration = await connectAs(emulator, emulator.users.integration.username);
        ({ accountId, opportunityId } = await seedDeal(admin, emulator.users.salesRep.id));
        preview = await startPreview({ emulator, opportunityId });
        browser = await launchChromium();
        page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        page.setDefaultTimeout(15_000);
    }, 300_000);

    afterAll(async () => {
        await browser?.close();
        await preview?.close();
        await emulator?.close();
    });

    async function axeViolations(selector: string): Promise<string[]> {
        await page.addScriptTag({ path: AXE });
        return page.evaluate(async (include) => {
            const axe = (
                window as unknown as {
                    axe: {
                        run: (
                            context: unknown,
                            options: unknown
                        ) => Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }>;
                    };
                }
            ).axe;
            const result = await axe.run(
                { include: [[include]] },
                { runOnly: ['wcag2a', 'wcag2aa'], resultTypes: ['violations'] }
            );
            return result.violations
                .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                .map((v) => `${v.id} (${v.nodes.length})`);
        }, selector);
    }

    it('renders the record page with the real base components; the status card says the deal is not sent yet', async () => {
        await page.goto(preview.url);
        const card = page.locator('c-clm-contract-status');
        await eventually(() => card.locator('.not-linked').textContent()).toBe(
            'This deal has not been sent to the CLM yet.'
        );
        // Real lightning-card markup (SLDS), not a stub: its title is a heading inside the card's shadow tree.
        await eventually(() => card.locator('lightning-card .slds-card__header-title').textContent()).toContain(
            'Contract status'
        );
        await eventually(() => card.locator('.live-badge').count()).toBe(1);
        await card.screenshot({ path: path.join(SHOTS, 'contract-status-not-linked.png') });
        expect(await axeViolations('c-clm-contract-status')).toEqual([]);
    });

    it('Send to CLM shows what will be sent, sends, and the emulator receives the sync request', async () => {
        await page.locator('#send-to-clm').click();
        const action = page.locator('c-clm-send-to-clm');
        await eventually(() => action.locator('.field-row').count()).toBeGreaterThan(1);
        const fields = await action.locator('.field-row td.field-value').allTextContents();
        expect(fields).toEqual(expect.arrayContaining(['Acme platform renewal', 'Negotiation/Review', 'Acme GmbH']));
        expect(await action.locator('.field-row th').allTextContents()).toContain('Stage');
        expect(await action.locator('.issue').count()).toBe(0);
        await action.screenshot({ path: path.join(SHOTS, 'send-to-clm-preview.png') });
        expect(await axeViolations('c-clm-send-to-clm')).toEqual([]);

        await action.locator('lightning-button.send-button button').click();
        await eventually(() => action.locator('.outcome').textContent()).toMatch(
            /^\s*Sent\. The CLM will create the contract; request [0-9a-f-]{36}\.\s*$/
        );
        await action.screenshot({ path: path.join(SHOTS, 'send-to-clm-sent.png') });

        const requests = published.filter((event) => event.sobject === 'Clm_Sync_Request__e');
        expect(requests).toHaveLength(1);
        expect(requests[0]?.fields).toMatchObject({
            Record_Id__c: opportunityId,
            Object_Api_Name__c: 'Opportunity',
            Action__c: 'Send',
            Requested_By__c: emulator.users.salesRep.id
        });
        await action.locator('lightning-button.close-button button').click();
        await eventually(() => page.locator('c-clm-send-to-clm').count()).toBe(0);
    });

    it('a status event published the way the connector will changes the status card live', async () => {
        const request = published.find((event) => event.sobject === 'Clm_Sync_Request__e');
        // The connector, as the integration user: create the contract, link the deal, record provenance, announce it.
        const contractId = (
            await integration.sobject('Contract').create({
                AccountId: accountId,
                StartDate: '2027-01-01',
                ContractTerm: 12,
                CLM_Contract_Id__c: 'IC-1001',
                CLM_Contract_Url__c: 'https://clm.example.test/contracts/IC-1001',
                CLM_Lifecycle__c: 'InReview',
                CLM_Signature_Status__c: 'None',
                CLM_Expiration_Date__c: '2027-12-31',
                CLM_Notice_Deadline__c: '2027-10-01',
                CLM_Contract_Value__c: 120000,
                CLM_Currency__c: 'EUR',
                CLM_Auto_Renew__c: true,
                CLM_Renewal_Term_Months__c: 12,
                CLM_Last_Sync_Result__c: 'Synced'
            })
        ).id as string;
        await integration.sobject('Opportunity').update({
            Id: opportunityId,
            ContractId: contractId,
            CLM_Contract_Id__c: 'IC-1001',
            CLM_Contract_Url__c: 'https://clm.example.test/contracts/IC-1001',
            CLM_Lifecycle__c: 'InReview',
            CLM_Signature_Status__c: 'None',
            CLM_Last_Sync__c: '2026-11-23T09:00:00.000Z',
            CLM_Last_Sync_Result__c: 'Synced'
        });
        await integration.sobject('Clm_Field_Provenance__c').create({
            Provenance_Key__c: `${contractId}:CLM_Notice_Deadline__c`,
            Record_Id__c: contractId,
            Object_Api_Name__c: 'Contract',
            Field__c: 'CLM_Notice_Deadline__c',
            Written_By__c: 'Clm',
            Written_At__c: '2026-11-23T09:00:00.000Z'
        });
        await integration.sobject('Clm_Sync_Status__e').create({
            Event_Key__c: 'IC-1001:v1',
            Kind__c: 'RequestAccepted',
            Record_Id__c: opportunityId,
            Object_Api_Name__c: 'Opportunity',
            Request_Id__c: request?.fields.Request_Id__c,
            Clm_Contract_Id__c: 'IC-1001',
            Lifecycle__c: 'InReview',
            Signature_Status__c: 'None',
            Sync_Result__c: 'Synced',
            Message__c: 'Contract IC-1001 created in the CLM.',
            Occurred_At__c: '2026-11-23T09:00:00.000Z'
        });

        const card = page.locator('c-clm-contract-status');
        await eventually(() => card.locator('.lifecycle').textContent()).toBe('Lifecycle: Review');
        await eventually(() => card.locator('.last-event').textContent()).toContain(
            'Contract IC-1001 created in the CLM.'
        );
        const shadowText = (selector: string) => () =>
            card.locator(selector).evaluate((element) => element.shadowRoot?.textContent ?? '');
        await eventually(shadowText('.contract-value lightning-formatted-number')).toMatch(/EUR\s*120,000\.00/);
        await eventually(shadowText('.notice-deadline lightning-formatted-date-time')).toMatch(/Oct\w* 1, 2027/);
        await eventually(() => card.locator('.provenance-entry').first().textContent()).toMatch(
            /Notice deadline: by CLM at/
        );
        expect(await card.locator('a.clm-link').getAttribute('href')).toBe(
            'https://clm.example.test/contracts/IC-1001'
        );
        expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
        await card.screenshot({ path: path.join(SHOTS, 'contract-status-in-review.png') });

        // Signature completes: the connector writes the records first, then announces the change.
        await integration.sobject('Contract').update({
            Id: contractId,
            CLM_Lifecycle__c: 'Signed',
            CLM_Signature_Status__c: 'FullySigned',
            CLM_Executed_Date__c: '2026-11-24'
        });
        await integration
            .sobject('Opportunity')
            .update({ Id: opportunityId, CLM_Lifecycle__c: 'Signed', CLM_Signature_Status__c: 'FullySigned' });
        await integration.sobject('Clm_Sync_Status__e').create({
            Event_Key__c: 'IC-1001:v2',
            Kind__c: 'SignatureChanged',
            Record_Id__c: contractId,
            Object_Api_Name__c: 'Contract',
            Lifecycle__c: 'Signed',
            Signature_Status__c: 'FullySigned',
            Sync_Result__c: 'Synced',
            Message__c: 'Signed by both parties.'
        });
        await eventually(() => card.locator('.signature').textContent()).toBe('Signature: Fully signed');
        await eventually(() => card.locator('.lifecycle').textContent()).toBe('Lifecycle: Signed');
        // The reload that follows the event brings the executed date the event did not carry.
        await eventually(shadowText('.executed-date lightning-formatted-date-time')).toMatch(/Nov\w* 24, 2026/);
        expect(await card.locator('.signature').textContent()).toBe('Signature: Fully signed');
        await card.screenshot({ path: path.join(SHOTS, 'contract-status-signed.png') });
        expect(await axeViolations('c-clm-contract-status')).toEqual([]);
    });

    it('the admin console shows sync health, the conflict queue and the field rules from the emulator, and retries', async () => {
        const admin = await connectAs(emulator, emulator.users.admin.username);
        const { errorId } = await seedAdminItems(integration, opportunityId);

        await page.goto(`${preview.url}/admin`);
        const health = page.locator('c-clm-sync-health');
        await eventually(() => health.locator('.summary').textContent()).toBe(
            '1 conflicts wait for review; 1 items are quarantined.'
        );
        await eventually(() => health.locator('lightning-datatable tbody tr').count()).toBe(1);
        await health.screenshot({ path: path.join(SHOTS, 'sync-health.png') });

        const queue = page.locator('c-clm-conflict-queue');
        await eventually(() => queue.locator('li.conflict .salesforce-side .value').textContent()).toBe('Net 30');
        expect(await queue.locator('li.conflict .clm-side .value').textContent()).toBe('Net 45');
        await queue.screenshot({ path: path.join(SHOTS, 'conflict-queue.png') });

        const rules = page.locator('c-clm-rule-matrix');
        await eventually(() => rules.locator('lightning-datatable tbody tr').count()).toBeGreaterThan(10);
        await rules.screenshot({ path: path.join(SHOTS, 'rule-matrix.png') });

        const before = published.length;
        await health.locator('lightning-datatable tbody tr button').filter({ hasText: 'Retry' }).click();
        await eventually(
            () => published.slice(before).filter((event) => event.sobject === 'Clm_Sync_Request__e').length
        ).toBe(1);
        expect(published.slice(before).find((event) => event.sobject === 'Clm_Sync_Request__e')?.fields).toMatchObject({
            Action__c: 'RetryItem',
            Subject_Id__c: errorId,
            Subject_Key__c: 'evt-77:Opportunity'
        });
        const [error] = (
            await admin.query<{ Status__c: string }>(`SELECT Status__c FROM Clm_Sync_Error__c WHERE Id = '${errorId}'`)
        ).records;
        expect(error?.Status__c).toBe('RetryRequested');
    });

    it('answers bad Apex input as the org does: the error the LWC receives names the field, no stack trace', async () => {
        const call = (params: unknown) =>
            fetch(`${preview.url}/apex/ClmStatusController/getStatus`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify(params)
            });
        for (const params of [{ recordId: "006' OR Name != '" }, {}]) {
            const response = await call(params);
            expect(response.status).toBe(500);
            const error = (await response.json()) as { errorType: string; body: { message: string } };
            expect(error).toMatchObject({
                errorType: 'fetchResponse',
                status: 500,
                ok: false,
                statusText: 'Server Error'
            });
            expect(error.body.message).toContain('recordId');
            expect(JSON.stringify(error)).not.toMatch(/\bat [\w.]+ \(/);
        }
        const missing = (await (await call({})).json()) as { body: { message: string } };
        expect(JSON.parse(missing.body.message)).toEqual({
            code: 'CLM.RECORD_ID_REQUIRED',
            field: 'recordId',
            message: 'A record id is required.'
        });
    });
});
