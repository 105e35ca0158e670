import { describe, expect, it } from 'vitest';
import {
    DEFAULT_RULES,
    emptyPairState,
    loadRuleSet,
    ownEchoFields,
    planChange,
    type PlanContext,
    type SalesforceChange
} from '../../src/domain/index.ts';

const ruleSet = loadRuleSet(DEFAULT_RULES);
const context: PlanContext = { connectorClientId: 'clm-connector', transform: {} };
const version = { at: '2026-06-01T12:00:05.000Z', seq: 0 };
const OURS = 'com/salesforce/api/rest/62.0;client=clm-connector';

// The pair after the connector planned a CLM value of 120,000 EUR for the Contract (its echo now awaited).
const waiting = planChange(
    {
        source: 'clm',
        contractId: 'K-1',
        eventId: 'clm-1',
        correlationId: 'corr-1',
        version: { at: '2026-06-01T12:00:01.000Z', seq: 0 },
        values: { value: { amount: '120000', currency: 'EUR' } }
    },
    emptyPairState('p'),
    ruleSet,
    context
).newState;

/** CDC for the Contract: the amount changed; the currency (unchanged) is not carried. */
function amountChanged(amount: number, origin: string | undefined): SalesforceChange {
    return {
        source: 'salesforce',
        sfObject: 'Contract',
        recordId: '800000000000001AAA',
        eventId: 'cdc-1',
        correlationId: 'corr-cdc',
        version,
        values: { CLM_Contract_Value__c: amount },
        changedFields: ['CLM_Contract_Value__c'],
        ...(origin ? { origin } : {})
    };
}

describe('our own write seen back through CDC', () => {
    it('takes what the event lacks from the write it carries: no read', () => {
        expect(ownEchoFields(amountChanged(120000, OURS), waiting, ruleSet, context)).toEqual({
            CLM_Currency__c: 'EUR'
        });
    });

    it('reads when the event is a person’s, or carries no value the pair waits for', () => {
        expect(ownEchoFields(amountChanged(120000, 'com/salesforce/api/rest/62.0'), waiting, ruleSet, context)).toBe(
            null
        );
        expect(ownEchoFields(amountChanged(99, OURS), waiting, ruleSet, context)).toBe(null);
        expect(ownEchoFields(amountChanged(120000, OURS), emptyPairState('p'), ruleSet, context)).toBe(null);
    });
});
