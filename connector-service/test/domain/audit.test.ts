import { describe, expect, it } from 'vitest';
import {
    AuditTally,
    compareRule,
    DEFAULT_RULES,
    loadRuleSet,
    planRepair,
    type PairState,
    type PlanContext
} from '../../src/domain/index.ts';

const ruleSet = loadRuleSet(DEFAULT_RULES);
const context: PlanContext = { connectorClientId: 'clm-connector', transform: { orgCurrency: 'USD' } };
const rule = (name: string) => ruleSet.byName.get(name)!;
const at = (second: number) => ({ at: new Date(Date.UTC(2026, 5, 1, 12, 0, second)).toISOString(), seq: 0 });

/** Both sides as last seen by the pipeline, agreeing on `value` for the rule. */
function agreed(ruleName: string, value: unknown): PairState {
    return {
        pairId: 'p',
        fields: {
            [ruleName]: {
                synced: { value: value as never, at: at(1).at, by: 'salesforce' },
                salesforce: { value: value as never, version: at(1) },
                clm: { value: value as never, version: at(1) }
            }
        }
    };
}

function repair(ruleName: string, sf: Record<string, unknown>, clm: Record<string, unknown>, state: PairState) {
    return planRepair(
        {
            rules: [ruleName],
            salesforce: [
                {
                    source: 'salesforce',
                    sfObject: rule(ruleName).sfObject,
                    recordId: '006000000000001AAA',
                    eventId: 'sf',
                    correlationId: 'audit-1',
                    version: at(5),
                    values: sf
                }
            ],
            clm: {
                source: 'clm',
                contractId: 'K-1',
                eventId: 'clm',
                correlationId: 'audit-1',
                version: at(3),
                values: clm
            },
            eventId: 'audit-1:p',
            correlationId: 'audit-1',
            at: at(9).at
        },
        state,
        ruleSet,
        context
    );
}

describe('audit comparison', () => {
    it('compares as the written side holds values: amounts by value, lifecycles through the picklist', () => {
        expect(
            compareRule(
                rule('Opportunity_Lifecycle'),
                { CLM_Lifecycle__c: 'Draft' },
                { 'status.lifecycle': 'Draft' },
                context
            )
        ).toEqual({ agree: true });
        expect(compareRule(rule('Opportunity_Title'), { Name: 'Deal 1' }, { title: 'Deal one' }, context)).toEqual({
            agree: false,
            salesforceValue: 'Deal 1',
            clmValue: 'Deal one'
        });
        const value = compareRule(
            rule('Contract_Value'),
            { CLM_Contract_Value__c: 1200, CLM_Currency__c: 'EUR' },
            { value: { amount: '1200.00', currency: 'EUR' } },
            context
        );
        expect(value).toEqual({ agree: true });
    });

    it('tallies per object and field, the accuracy rate agreeing over compared', () => {
        const tally = new AuditTally();
        const title = rule('Opportunity_Title');
        tally.record('Opportunity', [{ rule: title, verdict: { agree: true } }]);
        tally.record('Opportunity', [{ rule: title, verdict: { agree: false, salesforceValue: 'a', clmValue: 'b' } }]);
        tally.missing('Opportunity', 'clm');
        const result = tally.result();
        expect(result.objects).toEqual([
            {
                object: 'Opportunity',
                compared: 2,
                agreeing: 1,
                differing: 1,
                missingInSalesforce: 0,
                missingInClm: 1,
                accuracy: 0.5
            }
        ]);
        expect(result.fields[0]).toMatchObject({ rule: 'Opportunity_Title', compared: 2, differing: 1, accuracy: 0.5 });
    });
});

describe('planRepair', () => {
    it("puts the owner's value back on the side that drifted (a one-way rule)", () => {
        const plan = repair(
            'Opportunity_Title',
            { Name: 'Deal 1' },
            { title: 'Renamed' },
            agreed('Opportunity_Title', 'Deal 1')
        );
        expect(plan.writes.clm).toEqual({ fields: { title: 'Deal 1' }, rules: ['Opportunity_Title'] });
        expect(plan.writes.salesforce).toEqual([]);
        expect(plan.changeLog.some((entry) => entry.outcome === 'applied')).toBe(true);
    });

    it('a newer change the connector missed applies as any change would (the owner edited it)', () => {
        const plan = repair(
            'Opportunity_Title',
            { Name: 'Deal renamed' },
            { title: 'Deal 1' },
            agreed('Opportunity_Title', 'Deal 1')
        );
        expect(plan.writes.clm).toEqual({ fields: { title: 'Deal renamed' }, rules: ['Opportunity_Title'] });
    });

    it('a bidirectional Manual rule opens a conflict instead of choosing', () => {
        const state = agreed('Contract_Special_Terms', 'net 30');
        state.fields.Contract_Special_Terms!.clm = { value: 'net 45', version: at(3) };
        // Salesforce reports its value at an older version than seen: nothing newer, the rule's policy decides.
        const plan = planRepair(
            {
                rules: ['Contract_Special_Terms'],
                salesforce: [],
                clm: null,
                eventId: 'audit-1:p',
                correlationId: 'audit-1',
                at: at(9).at
            },
            state,
            ruleSet,
            context
        );
        expect(plan.conflicts).toHaveLength(1);
        expect(plan.conflicts[0]).toMatchObject({
            rule: 'Contract_Special_Terms',
            salesforceValue: 'net 30',
            clmValue: 'net 45'
        });
        expect(plan.writes.clm).toBeNull();
    });
});
