/**
 * What the connector tells the org about itself, on both sides' real code (journeyWorld.ts): its status record
 * reaches the admin console truthfully (running, subscriptions, last event, API budget, CLM reachable), in the
 * Composite calls the connector makes anyway; and the send preview in the org lists exactly what a send writes — the
 * connector's own write set (app/sendWriteSet.ts) — and does not offer "Send changes" where the CLM refuses changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJourneyWorld, type JourneyWorld } from './journeyWorld.ts';

interface ConnectorHealth {
    running: boolean;
    subscriptions: { channel: string; state: string; lastEventAt: string | null }[];
    lastEventAt: string | null;
    apiUsed: number | null;
    apiMax: number | null;
    clmVendor: string;
    clmReachable: boolean;
    clmLastError: string | null;
}
interface Preview {
    action: string;
    canSend: boolean;
    fields: { field: string; clmField: string; value: string | null }[];
    issues: { code: string }[];
}

let world: JourneyWorld;

const health = async () =>
    ((await world.aura('admin', 'ClmAdminController', 'getSyncHealth')) as { connector: ConnectorHealth | null })
        .connector;
const preview = async (recordId: string) =>
    (await world.aura('rep', 'ClmSendController', 'previewSend', { recordId })) as Preview;
const billed = async () =>
    ((await world.sfAdmin('GET', '/counters')) as { billedApiRequests: number }).billedApiRequests;

beforeAll(async () => {
    world = await startJourneyWorld();
});

afterAll(async () => {
    await world?.close();
});

describe("the connector's health in the admin console", () => {
    it('says nothing about a connector that has not reported, rather than guessing', async () => {
        expect(await health()).toBeNull();
    });

    it('shows it running, its subscriptions, the API budget and the CLM reachable once it reported', async () => {
        // An event heard first, so the last event is known.
        const opportunityId = await world.deal('Heard');
        await world.aura('rep', 'ClmSendController', 'sendToClm', { recordId: opportunityId });
        await world.settle();
        expect(await world.reporter.report()).toBe(true);
        await world.settle();
        const connector = await health();
        expect(connector).toMatchObject({
            running: true,
            clmVendor: 'ironclad',
            clmReachable: true,
            clmLastError: null
        });
        expect(connector!.subscriptions.map((subscription) => [subscription.channel, subscription.state])).toEqual([
            ['/event/Clm_Sync_Request__e', 'subscribed'],
            ['/data/OpportunityChangeEvent', 'subscribed'],
            ['/data/ContractChangeEvent', 'subscribed']
        ]);
        expect(connector!.lastEventAt).toEqual(expect.any(String));
        expect(connector!.apiMax).toBeGreaterThan(0);
        expect(connector!.apiUsed).toBeGreaterThan(0);
    });

    it('writes its status in the Composite call of the round, not in a call of its own', async () => {
        const sendAndCount = async (name: string, withStatus: boolean) => {
            const opportunityId = await world.deal(name);
            await world.settle();
            await world.aura('rep', 'ClmSendController', 'sendToClm', { recordId: opportunityId });
            await world.until(
                async () => (await world.store.stats(world.sfEmu.orgId, world.clock.now())).inbox.byStatus.pending > 0,
                'the request in the inbox'
            );
            world.advance(5 * 60_000); // the heartbeat is due again
            if (withStatus) expect(await world.reporter.report()).toBe(true);
            const before = await billed();
            await world.engine.runUntilIdle();
            return (await billed()) - before;
        };
        const without = await sendAndCount('Quiet', false);
        const withStatus = await sendAndCount('Beating', true);
        expect(withStatus).toBe(without);
        await world.settle();
    });

    it('says the CLM is unreachable as soon as the connector sees it, and why', async () => {
        await world.clmAdmin('POST', '/faults', { vendor: 'ironclad', kind: 'status', status: 503 });
        try {
            const opportunityId = await world.deal('Unreachable');
            await world.aura('rep', 'ClmSendController', 'sendToClm', { recordId: opportunityId });
            await world.settle();
            world.advance(31_000);
            await world.settle();
            // Not due by time: reported because the CLM stopped answering.
            expect(await world.reporter.report()).toBe(true);
            await world.settle();
            expect(await health()).toMatchObject({
                running: true,
                clmReachable: false,
                clmLastError: 'CLM.TRANSIENT'
            });
        } finally {
            await world.clmAdmin('DELETE', '/faults');
        }
    });

    it('says the connector is not running once its heartbeat is old', async () => {
        // The org's clock moves past the heartbeat (written on the connector's clock, which ran ahead here).
        await world.sfAdmin('POST', '/clock', { advanceMs: 30 * 60_000 });
        expect(await health()).toMatchObject({ running: false });
    });
});

describe('the send preview is what a send writes', () => {
    it("lists the connector's write set, with the value and the signer, and the CLM gets exactly those values", async () => {
        const opportunityId = await world.deal('Previewed');
        const shown = await preview(opportunityId);
        expect(shown).toMatchObject({ action: 'Send', canSend: true, issues: [] });
        expect(shown.fields.map((field) => field.clmField)).toEqual(world.sendFields.map((field) => field.clmField));
        const value = (clmField: string) => shown.fields.find((field) => field.clmField === clmField)?.value;
        expect(value('value')).toBe('12000');
        expect(value('primaryContact.email')).toBe('signer@previewed.example');
        await world.aura('rep', 'ClmSendController', 'sendToClm', { recordId: opportunityId });
        await world.settle();
        const workflowId = String(
            (await world.read('Opportunity', opportunityId, ['CLM_Contract_Id__c'])).CLM_Contract_Id__c
        );
        const workflow = (await world.clmAdmin('GET', `/contracts/ironclad/${workflowId}`)) as {
            data: Record<string, unknown>;
        };
        expect(workflow.data).toMatchObject({
            counterpartySignerEmail: value('primaryContact.email'),
            counterpartyName: value('counterparty.name'),
            contractTitle: value('title')
        });
        expect(JSON.stringify(workflow.data.contractValue)).toContain('12000');
    });

    it('does not offer "Send changes" on a contract out for signature, and a send of it is refused', async () => {
        const opportunityId = await world.deal('Signed');
        await world.aura('rep', 'ClmSendController', 'sendToClm', { recordId: opportunityId });
        await world.settle();
        expect(await preview(opportunityId)).toMatchObject({ action: 'Resync', canSend: true });
        const workflowId = String(
            (await world.read('Opportunity', opportunityId, ['CLM_Contract_Id__c'])).CLM_Contract_Id__c
        );
        for (const action of ['request-approvals', 'approve', 'send-for-signature'])
            await world.clmAdmin('POST', `/contracts/ironclad/${workflowId}/actions`, { action });
        await world.settle();
        const shown = await preview(opportunityId);
        expect(shown).toMatchObject({ action: 'Resync', canSend: false });
        expect(shown.issues.map((issue) => issue.code)).toEqual(['CLM.NOT_WRITABLE_IN_STATE']);
        expect(await world.aura('rep', 'ClmSendController', 'sendToClm', { recordId: opportunityId })).toMatchObject({
            status: 'Invalid'
        });
    });
});
