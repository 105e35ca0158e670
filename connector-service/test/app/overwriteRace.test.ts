// The lost Special Terms race (issue 22), reproduced deterministically and closed. Special Terms is Bidirectional
// with the Manual policy. A rep edits it in Salesforce; the connector reads the Ironclad workflow (its version
// matches), and while the attribute PATCH is on its way (held 400 ms here by a latency fault on
// PATCH /workflows/{id}/attributes) a person edits the same attribute in Ironclad. The PATCH — which takes no
// precondition — lands and replaces the CLM edit. The workflow itself keeps no trace; the CLM's change event for
// the edit does: it is stamped between the version the connector read and the version its write made. The
// connector must raise a conflict from it (never lose the edit silently). Real engine, store and adapter; both
// emulators; the CLM's webhooks reach the connector's webhook server signed as Ironclad signs them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORG, startIroncladWorld, type IroncladWorld } from './ironcladWorld.ts';

let world: IroncladWorld;

beforeAll(async () => {
    // The CLM's clock runs (scale 1): its change events carry real times, inside or outside the connector's write.
    world = await startIroncladWorld();
});

afterAll(async () => {
    await world?.close();
});

describe('a CLM edit that lands while the connector writes the same Manual field', () => {
    it('becomes a conflict, not a silent loss', async () => {
        const { store, engine, clmAdmin } = world;
        const deal = await world.linkedDeal('Initech', engine);
        const { pairId, workflowId } = deal;
        await world.editTermsInSalesforce(deal, 'Net 45, rep', 'cdc-terms-1');

        // The connector's PATCH is slow; the CLM edit lands after its read and before its write.
        await world.editInsideWrite(engine, () => world.editInClm(deal, { paymentTerms: 'Net 30, legal' }));
        await world.settle(engine);

        // The PATCH replaced the CLM's edit in the workflow (the race happened) …
        const workflow = (await clmAdmin('GET', `/contracts/ironclad/${workflowId}`)) as {
            data: Record<string, unknown>;
        };
        expect(workflow.data.paymentTerms).toBe('Net 45, rep');
        // … and the connector noticed: an open conflict on Special Terms, with what it still knows.
        const conflicts = await store.listConflicts(ORG, { status: 'open' });
        expect(conflicts).toEqual([
            expect.objectContaining({
                pairId,
                rule: 'Contract_Special_Terms',
                salesforceValue: 'Net 45, rep',
                clmValue: null
            })
        ]);
        expect(await store.listQuarantined(ORG)).toEqual([]);
    });
});
