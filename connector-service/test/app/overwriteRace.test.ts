// The lost Special Terms race (issue 22), reproduced deterministically and closed. Special Terms is Bidirectional
// with the Manual policy. A rep edits it in Salesforce; the connector reads the Ironclad workflow (its version
// matches), and while the attribute PATCH is on its way (the CLM answers in ~300 ms here, a latency fault on
// PATCH /workflows/{id}/attributes) a person edits the same attribute in Ironclad. The PATCH — which takes no
// precondition — lands and replaces the CLM edit. The workflow itself keeps no trace; the CLM's change event for
// the edit does: it is stamped between the version the connector read and the version its write made. The
// connector must raise a conflict from it (never lose the edit silently). Real engine, store and adapter; both
// emulators; the CLM's webhooks reach the connector's webhook server signed as Ironclad signs them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORG, startIroncladWorld, type IroncladWorld } from './ironcladWorld.ts';

const PATCH = 'PATCH /workflows/{id}/attributes';
let world: IroncladWorld;

async function patchRequests(): Promise<number> {
    const counters = (await world.clmAdmin('GET', '/counters')) as { ironclad: Record<string, { requests: number }> };
    return counters.ironclad[PATCH]?.requests ?? 0;
}

async function settle(): Promise<void> {
    await world.clmAdmin('POST', '/webhooks/settle');
    await world.engine.runUntilIdle();
}

beforeAll(async () => {
    // The CLM's clock runs (scale 1): its change events carry real times, inside or outside the connector's write.
    world = await startIroncladWorld();
});

afterAll(async () => {
    await world?.close();
});

describe('a CLM edit that lands while the connector writes the same Manual field', () => {
    it('becomes a conflict, not a silent loss', async () => {
        const { admin, store, engine, clmAdmin } = world;
        const [account] = await admin.write([
            { ref: 'a', sfObject: 'Account', fields: { Name: 'Initech', BillingCountry: 'US' } }
        ]);
        await admin.write([
            {
                ref: 'c',
                sfObject: 'Contact',
                fields: { LastName: 'Lumbergh', Email: 'bill@initech.example', AccountId: account!.id! }
            }
        ]);
        const [opportunity] = await admin.write([
            {
                ref: 'o',
                sfObject: 'Opportunity',
                fields: {
                    Name: 'Initech TPS',
                    StageName: 'Negotiation/Review',
                    CloseDate: '2027-03-31',
                    Amount: 12000,
                    AccountId: account!.id!
                }
            }
        ]);
        const opportunityId = opportunity!.id!;
        await store.appendInbox(ORG, [
            {
                source: 'salesforce:/event/Clm_Sync_Request__e',
                eventId: 'req-race',
                orderingKey: `opp:${opportunityId}`,
                payload: { kind: 'sf.syncRequest', opportunityId, requestId: 'req-race' },
                correlationId: 'corr-req-race'
            }
        ]);
        await settle();
        const pair = await store.findPair(ORG, { salesforceId: opportunityId });
        expect(pair).not.toBeNull();
        const contractId = pair!.salesforce.contract!;
        const workflowId = pair!.clm.find((ref) => ref.vendor === 'ironclad')!.id;
        expect(contractId).toBeTruthy();

        // The rep's edit in Salesforce, as CDC reports it.
        await admin.write([
            { ref: 'k', sfObject: 'Contract', id: contractId, fields: { SpecialTerms: 'Net 45, rep' } }
        ]);
        await store.appendInbox(ORG, [
            {
                source: 'salesforce:/data/ContractChangeEvent',
                eventId: 'cdc-terms-1',
                orderingKey: pair!.pairId,
                payload: {
                    kind: 'sf.change',
                    pairId: pair!.pairId,
                    change: {
                        source: 'salesforce',
                        sfObject: 'Contract',
                        recordId: contractId,
                        eventId: 'cdc-terms-1',
                        correlationId: 'corr-cdc-terms-1',
                        version: { at: new Date().toISOString(), seq: 1 },
                        origin: 'com/salesforce/api/rest/62.0',
                        values: { SpecialTerms: 'Net 45, rep' },
                        changedFields: ['SpecialTerms']
                    }
                },
                correlationId: 'corr-cdc-terms-1'
            }
        ]);

        // The connector's PATCH is slow; the CLM edit lands after its read and before its write.
        await clmAdmin('POST', '/faults', {
            vendor: 'ironclad',
            operation: PATCH,
            kind: 'latency',
            latencyMs: 400,
            count: 1
        });
        const before = await patchRequests();
        const writing = engine.runUntilIdle();
        for (let wait = 0; (await patchRequests()) === before; wait++) {
            if (wait > 500) throw new Error('the connector never sent its PATCH');
            await new Promise((resolve) => setTimeout(resolve, 5));
        }
        await clmAdmin('POST', `/contracts/ironclad/${workflowId}/actions`, {
            action: 'update-data',
            data: { paymentTerms: 'Net 30, legal' }
        });
        await writing;
        await settle();

        // The PATCH replaced the CLM's edit in the workflow (the race happened) …
        const workflow = (await clmAdmin('GET', `/contracts/ironclad/${workflowId}`)) as {
            data: Record<string, unknown>;
        };
        expect(workflow.data.paymentTerms).toBe('Net 45, rep');
        // … and the connector noticed: an open conflict on Special Terms, with what it still knows.
        const conflicts = await store.listConflicts(ORG, { status: 'open' });
        expect(conflicts).toEqual([
            expect.objectContaining({
                pairId: pair!.pairId,
                rule: 'Contract_Special_Terms',
                salesforceValue: 'Net 45, rep',
                clmValue: null
            })
        ]);
        expect(await store.listQuarantined(ORG)).toEqual([]);
    });
});
