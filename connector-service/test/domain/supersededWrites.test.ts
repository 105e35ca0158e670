// A planned Salesforce write whose value the pair has since decided against is not sent (Salesforce's update takes
// no precondition): found by the deterministic simulation (connector-service/test/simulation), where the CLM's value
// planned for Salesforce landed after a person's newer Salesforce edit had won (SalesforceWins), and the echo then
// put the winner back — a value flapping in front of people.
import { describe, expect, it } from 'vitest';
import { loadRuleSet, withoutSupersededFields, type PairState } from '../../src/domain/index.ts';

const rules = loadRuleSet([
    {
        name: 'Next_Step',
        sfObject: 'Opportunity',
        sfField: 'NextStep',
        clmField: 'custom.nextStep',
        direction: 'Bidirectional',
        conflictPolicy: 'SalesforceWins'
    }
]);
const AT = '2027-02-01T09:00:00.000Z';

function state(synced: string, pending: string[], conflict = false): PairState {
    return {
        pairId: 'p',
        fields: {
            Next_Step: {
                synced: { value: synced, at: AT, by: 'salesforce' },
                pending: { salesforce: pending },
                ...(conflict ? { conflict: { salesforce: 'a', clm: 'b', detectedAt: AT } } : {})
            }
        }
    };
}

describe('Salesforce writes the pair has since decided against', () => {
    it('drops a planned value the other side has since won over, and forgets its expected echo', () => {
        const result = withoutSupersededFields(
            state('SF edit', ['CLM edit']),
            rules,
            'Opportunity',
            { NextStep: 'CLM edit', CLM_Last_Sync__c: AT },
            {}
        );
        expect(result.fields).toEqual({ CLM_Last_Sync__c: AT });
        expect(result.dropped).toEqual(['Next_Step']);
        expect(result.state.fields.Next_Step?.pending?.salesforce).toEqual([]);
    });

    it('drops a planned value while a conflict is open', () => {
        const result = withoutSupersededFields(
            state('x', ['CLM edit'], true),
            rules,
            'Opportunity',
            { NextStep: 'CLM edit' },
            {}
        );
        expect(result.fields).toEqual({});
    });

    it('sends the value the pair stands by, and what the planner never sent', () => {
        const current = state('CLM edit', ['CLM edit']);
        const kept = withoutSupersededFields(current, rules, 'Opportunity', { NextStep: 'CLM edit' }, {});
        expect(kept.fields).toEqual({ NextStep: 'CLM edit' });
        expect(kept.state).toBe(current);
        const foreign = withoutSupersededFields(state('SF edit', []), rules, 'Opportunity', { NextStep: 'other' }, {});
        expect(foreign.fields).toEqual({ NextStep: 'other' });
    });
});
