// The Special Terms race when no webhook reaches the connector and only the CLM poller sees the contract: the person's
// CLM edit lands between the connector's read and its attribute PATCH (Ironclad's PATCH takes no precondition), and
// the feed then shows only the connector's value. The history is taken from the emulators' own streams (the org's
// transaction hook, the CLM's change events), so the checker sees the edit whether or not a webhook carried it — the
// gap a review found in the webhook-fed check. The connector has no event time for the edit on this path
// (clmPoller.ts queues items without one, and a feed of current states cannot show an overwritten value), so the edit
// is lost without a conflict: an open hole. This test pins what the checker finds today (that edit, lost without a
// conflict); the day the connector raises the conflict, it fails, and its expectation becomes "nothing found".
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ClmPoller } from '../../src/app/clmPoller.ts';
import { DEFAULT_RULES, loadRuleSet } from '../../src/domain/index.ts';
import { ORG, startIroncladWorld, type IroncladWorld } from '../app/ironcladWorld.ts';
import { History } from './history.ts';

let world: IroncladWorld;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
    world = await startIroncladWorld();
});

afterAll(async () => {
    await world?.close();
});

it(
    'the checker names a CLM edit our PATCH replaced that only the poller could have seen (lost today: open)',
    { timeout: 120_000 },
    async () => {
        const engine = world.engineWith(loadRuleSet(DEFAULT_RULES));
        const deal = await world.linkedDeal('Poller race', engine);
        const poller = new ClmPoller({ orgId: ORG, store: world.store, clm: world.ironclad, logger: silent });
        await poller.poll();
        // From here no webhook is delivered (held for a virtual week); the poller is the connector's only view.
        await world.clmAdmin('PUT', '/webhooks/config/ironclad', { delayMs: 7 * 24 * 3_600_000 });

        const history = new History([{ rule: 'Contract_Special_Terms', direction: 'Bidirectional', policy: 'Manual' }]);
        history.initial('salesforce', 0, 'Contract_Special_Terms', null);
        history.initial('clm', 0, 'Contract_Special_Terms', null);
        const stopHook = world.sfEmu.hook.subscribe((tx) => {
            for (const change of tx.changes) {
                // A conflict as people see it: the record the connector creates in the org.
                if (change.sobject === 'Clm_Conflict__c' && change.changeType === 'CREATE')
                    history.conflict(0, String(change.record.Rule__c), null, null);
                if (change.id === deal.contractId && 'SpecialTerms' in change.fields)
                    history.observe(
                        'salesforce',
                        tx.clientId === 'clm-connector' ? 'connector' : 'person',
                        0,
                        'Contract_Special_Terms',
                        (change.fields.SpecialTerms!.new as string | null) ?? null,
                        tx.commitTimestamp
                    );
            }
        });
        const personValues = new Set(['CLM terms (poller race)']);
        const stopEvents = world.clmEmu.onContractEvent((event) => {
            if (event.contract.workflowId !== deal.workflowId || event.type !== 'data_updated') return;
            if (!((event.detail?.fields as string[] | undefined) ?? []).includes('paymentTerms')) return;
            const value = (event.contract.data.paymentTerms as string | undefined) ?? null;
            const byPerson = value !== null && personValues.delete(value);
            history.observe(
                'clm',
                byPerson ? 'person' : 'connector',
                0,
                'Contract_Special_Terms',
                value,
                Date.parse(event.at)
            );
        });
        try {
            await world.editTermsInSalesforce(deal, 'SF terms (poller race)', 'cdc-poller-race');
            await world.editInsideWrite(engine, () =>
                world.editInClm(deal, { paymentTerms: 'CLM terms (poller race)' })
            );
            for (let round = 0; round < 3; round++) {
                await poller.poll();
                await engine.runUntilIdle();
            }
            const [contract] = await world.admin.readByIds('Contract', ['SpecialTerms'], [deal.contractId]);
            const conflicts = await world.store.listConflicts(ORG, { status: 'open' });
            const verdict = history.check([0]);
            console.log(
                `poller-only race: Salesforce ${String(contract?.SpecialTerms)}, conflicts ${conflicts.length}; ` +
                    `checker: ${JSON.stringify({ lost: verdict.lost, conflictsMissed: verdict.conflictsMissed })}`
            );
            // The CLM edit was replaced by our write and no conflict was raised: the checker names it. (The rep's
            // Salesforce edit here goes through the connector's own client id, so the checker counts it as lost
            // rather than as a missed conflict.)
            const found = [...verdict.lost, ...verdict.conflictsMissed];
            expect(found).toHaveLength(1);
            expect(found[0]).toContain('clm edit CLM terms (poller race) lost');
            expect(conflicts).toEqual([]);
        } finally {
            stopHook();
            stopEvents();
        }
    }
);
