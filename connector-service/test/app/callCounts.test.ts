// What one change costs at a trickle (issue 18), pinned from the emulators' own counters: the Salesforce org's
// billed API requests and the CLM's requests per operation. Real engine, store and Ironclad adapter; the CLM's
// webhooks (Ironclad sends two per data change: workflow_attribute_updated and workflow_updated) reach the
// connector's webhook server signed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIroncladWorld, type IroncladWorld, type LinkedDeal } from './ironcladWorld.ts';

let world: IroncladWorld;
let deal: LinkedDeal;

beforeAll(async () => {
    world = await startIroncladWorld();
    deal = await world.linkedDeal('Counted', world.engine);
});

afterAll(async () => {
    await world?.close();
});

/** Billed Salesforce requests, CLM reads (GETs) and CLM writes that `act` and the connector's work on it cost. */
async function cost(act: () => Promise<void>) {
    const clmCounters = async () => {
        const counters = (await world.clmAdmin('GET', '/counters')) as {
            ironclad: Record<string, { requests: number }>;
        };
        const sum = (method: string) =>
            Object.entries(counters.ironclad)
                .filter(([operation]) => operation.startsWith(`${method} `))
                .reduce((total, [, counter]) => total + counter.requests, 0);
        return { reads: sum('GET'), writes: sum('PATCH') + sum('POST') };
    };
    const billed = () => world.sfEmu.org.counters.billed;
    await act();
    const salesforceBefore = billed();
    const clmBefore = await clmCounters();
    await world.settle(world.engine);
    const clmAfter = await clmCounters();
    return {
        salesforceCalls: billed() - salesforceBefore,
        clmReads: clmAfter.reads - clmBefore.reads,
        clmWrites: clmAfter.writes - clmBefore.writes
    };
}

describe('one change at a trickle', () => {
    it('CLM → Salesforce: one CLM read for both webhooks of the change, one Composite call for the write, its status and provenance', async () => {
        const spent = await cost(() => world.editInClm(deal, { contractValue: { currency: 'USD', amount: 43_210 } }));
        const contract = world.sfEmu.org.store.get('Contract', deal.contractId);
        expect(contract?.CLM_Contract_Value__c).toBe(43_210);
        expect(spent).toEqual({ salesforceCalls: 1, clmReads: 1, clmWrites: 0 });
    });

    it("Salesforce → CLM: one CLM read (the precondition), one PATCH, and the write's own webhooks cost no read", async () => {
        const spent = await cost(() => world.editTermsInSalesforce(deal, 'Net 60, counted', 'cdc-counted-1'));
        const workflow = (await world.clmAdmin('GET', `/contracts/ironclad/${deal.workflowId}`)) as {
            data: Record<string, unknown>;
        };
        expect(workflow.data.paymentTerms).toBe('Net 60, counted');
        // The Salesforce call is the provenance of Special Terms (last written by Salesforce): nothing else is written.
        expect(spent).toEqual({ salesforceCalls: 1, clmReads: 1, clmWrites: 1 });
    });
});

describe('a wave of changes', () => {
    it('CLM → Salesforce: the contracts are read through one page of GET /workflows, written in one Composite call', async () => {
        const wave = [deal];
        for (const name of ['Wave 1', 'Wave 2', 'Wave 3', 'Wave 4'])
            wave.push(await world.linkedDeal(name, world.engine));
        const spent = await cost(async () => {
            for (const [n, member] of wave.entries())
                await world.editInClm(member, { contractValue: { currency: 'USD', amount: 70_000 + n } });
        });
        for (const [n, member] of wave.entries())
            expect(world.sfEmu.org.store.get('Contract', member.contractId)?.CLM_Contract_Value__c).toBe(70_000 + n);
        expect(spent).toEqual({ salesforceCalls: 1, clmReads: 1, clmWrites: 0 });
    });
});
