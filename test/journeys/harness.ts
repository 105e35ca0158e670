// The journeys' harness: the stack `npm start` runs (scripts/demoStack.ts: both emulators, the connector, the
// preview with the real Apex and the org's SLDS), headless Chromium over it, and the checks every journey makes on
// what the person sees — screenshots at a desktop and a phone width, no horizontal scroll on the phone, nothing for
// axe to report. Everything listens on 127.0.0.1 with port 0 and stops in `stop()`.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { approveSignAndArchive, clmAdminClient, fillTerm, type ClmAdmin } from '../../scripts/clmDemoActions.ts';
import { startDemoStack, type DemoStack } from '../../scripts/demoStack.ts';
import { connectAs } from '@clm/emulators/salesforce/helpers';
import { launchChromium } from '../support/chromium.ts';
import { repoRoot } from '../support/requirements.ts';

export const JOURNEY_SHOTS = path.join(repoRoot, '.tmp', 'journeys');
const AXE = path.join(repoRoot, 'node_modules/axe-core/axe.min.js');
/** The widths every key state is looked at: a laptop and a phone. */
export const WIDTHS = [1366, 390] as const;

/** Waits for the page (or a system) to catch up; generous, because CI runs several suites on 2 cores. */
export const eventually = <T>(read: () => Promise<T> | T, timeout = 30_000) =>
    expect.poll(read, { timeout, interval: 150 });

/** Polls `read` until it gives something (not undefined), and returns it. */
export async function arrival<T>(read: () => Promise<T | undefined>, timeout = 30_000): Promise<T> {
    let value: T | undefined;
    await eventually(async () => (value = await read()), timeout).toBeDefined();
    return value!;
}

export interface JourneyWorld {
    stack: DemoStack;
    browser: Browser;
    page: Page;
    /** Another deal on the demo's account, owned by the rep, in negotiation; its id. */
    createDeal(name: string, amount: number): Promise<string>;
    /** The record page of a record (the stack's demo deal when none is given). */
    openRecord(recordId?: string, object?: 'Opportunity' | 'SBQQ__Quote__c' | 'Contract'): Promise<void>;
    openAdmin(): Promise<void>;
    /** Moves the org's clock (Apex's today, the connector's now) forward; the test's admin signs in again. */
    advanceOrgClock(ms: number): Promise<void>;
    /** Full-page screenshots of the state at each width, into .tmp/journeys/<journey>/<state>-<width>.png. */
    shoot(journey: string, state: string): Promise<void>;
    /** axe's serious and critical WCAG 2 A/AA findings inside `selector` (SLDS loaded, as in the org). */
    axe(selector: string): Promise<string[]>;
    clmAdmin: ClmAdmin;
    connectorAdmin<T = unknown>(method: string, route: string, body?: unknown): Promise<T>;
    stop(): Promise<void>;
}

export async function startJourneys(
    name: string,
    options: { retry?: { maxAttempts: number; baseDelayMs: number } } = {}
): Promise<JourneyWorld> {
    const dir = path.join(repoRoot, '.tmp', 'journeys', `stack-${name}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const stack = await startDemoStack({
        dir,
        salesforceMetadataDirs: [path.join(import.meta.dirname, 'org')],
        ...(options.retry ? { retry: options.retry } : {})
    });
    // The rep works with CPQ quotes, as reps in a CPQ org do (the CPQ package's user permission set).
    const assigned = await fetch(`${stack.salesforce.adminUrl}/assignments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
            username: stack.salesforce.users.salesRep.username,
            permissionSet: 'Journeys_Cpq_Quote_Reader'
        })
    });
    if (!assigned.ok) throw new Error(`assigning the CPQ permission set: ${assigned.status} ${await assigned.text()}`);
    const browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: WIDTHS[0], height: 900 } });
    page.setDefaultTimeout(30_000);

    const clmAdmin = clmAdminClient(stack.clm.adminUrl);
    async function connectorAdmin<T>(method: string, route: string, body?: unknown): Promise<T> {
        const response = await fetch(`${stack.connector.url}${route}`, {
            method,
            headers: {
                authorization: `Bearer ${stack.adminToken}`,
                ...(body === undefined ? {} : { 'content-type': 'application/json' })
            },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(15_000)
        });
        const text = await response.text();
        if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
        return (text ? JSON.parse(text) : undefined) as T;
    }

    const world: JourneyWorld = {
        stack,
        browser,
        page,
        async openRecord(recordId = stack.opportunityId, object = 'Opportunity') {
            await page.goto(`${stack.preview.url}/?recordId=${recordId}&object=${object}`);
            await page.locator('c-clm-contract-status lightning-card').waitFor();
        },
        async openAdmin() {
            await page.goto(`${stack.preview.url}/admin`);
            await page.locator('c-clm-sync-health lightning-card').waitFor();
        },
        async createDeal(name, amount) {
            const deal = await stack.admin.sobject('Opportunity').create({
                Name: name,
                StageName: 'Negotiation/Review',
                CloseDate: '2026-12-31',
                Amount: amount,
                AccountId: stack.accountId,
                OwnerId: stack.salesforce.users.salesRep.id
            });
            return String(deal.id);
        },
        async advanceOrgClock(ms) {
            stack.salesforce.org.clock.advance(ms);
            stack.admin = await connectAs(stack.salesforce, stack.salesforce.users.admin.username);
        },
        async shoot(journey, state) {
            const folder = path.join(JOURNEY_SHOTS, journey);
            mkdirSync(folder, { recursive: true });
            const { width, height } = page.viewportSize() ?? { width: WIDTHS[0], height: 900 };
            for (const shotWidth of WIDTHS) {
                await page.setViewportSize({ width: shotWidth, height: shotWidth < 600 ? 844 : 900 });
                await page.screenshot({ path: path.join(folder, `${state}-${shotWidth}.png`), fullPage: true });
                // Nothing on the page is wider than the screen: no sideways scrolling on a phone.
                const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
                expect(overflow, `${journey}/${state} scrolls sideways at ${shotWidth} px`).toBeLessThanOrEqual(0);
                // Text meant for screen readers only stays out of sight.
                const shownHelpers = await page.evaluate(() =>
                    [...document.querySelectorAll('.slds-assistive-text')]
                        .filter((element) => element.getBoundingClientRect().width > 1)
                        .map((element) => element.textContent?.trim())
                );
                expect(shownHelpers, `${journey}/${state}: assistive text on screen`).toEqual([]);
            }
            await page.setViewportSize({ width, height });
            // Every one of the package's components on the page, as the org renders it, passes axe.
            const components = await page.evaluate(() => [
                ...new Set(
                    [...document.querySelectorAll('*')].map((e) => e.localName).filter((n) => n.startsWith('c-clm-'))
                )
            ]);
            for (const component of components)
                expect(await world.axe(component), `${journey}/${state}: axe in ${component}`).toEqual([]);
        },
        async axe(selector) {
            await page.addScriptTag({ path: AXE });
            return page.evaluate(async (include) => {
                type Axe = {
                    run: (
                        context: unknown,
                        options: unknown
                    ) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }>;
                };
                const result = await (window as unknown as { axe: Axe }).axe.run(
                    { include: [[include]] },
                    { runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa'], resultTypes: ['violations'] }
                );
                return result.violations.map(
                    (v) => `${v.id} (${v.impact}): ${v.nodes.map((node) => node.target.join(' ')).join(', ')}`
                );
            }, selector);
        },
        clmAdmin,
        connectorAdmin,
        async stop() {
            await browser?.close();
            await stack?.stop();
        }
    };
    return world;
}

/** The text a person reads in an element: its visible text, whitespace folded. */
export async function seen(locator: Locator): Promise<string> {
    return ((await locator.innerText()) ?? '').replace(/\s+/g, ' ').trim();
}

/** `npm run demo:sign`'s CLM side: legal fills in the term, approval, every signature, the archive step. */
export async function signInClm(world: JourneyWorld, workflowId: string): Promise<void> {
    await fillTerm(world.clmAdmin, workflowId);
    await approveSignAndArchive(world.clmAdmin, workflowId);
}
