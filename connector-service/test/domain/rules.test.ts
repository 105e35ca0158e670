import { describe, expect, it } from 'vitest';
import {
    ConnectorError,
    DEFAULT_RULES,
    loadRuleSet,
    narrowToWritable,
    type FieldRuleInput,
    type RuleProblem
} from '../../src/domain/index.ts';

function problemsOf(rules: unknown): RuleProblem[] {
    try {
        loadRuleSet(rules);
    } catch (error) {
        if (error instanceof ConnectorError && error.code === 'MAPPING.INVALID_RULE_SET')
            return error.details.problems as RuleProblem[];
        throw error;
    }
    return [];
}

const base: FieldRuleInput = {
    name: 'Stage',
    sfObject: 'Opportunity',
    sfField: 'StageName',
    clmField: 'dealStage',
    direction: 'SalesforceToClm'
};

describe('rule set validation', () => {
    it('accepts the default rule set, with a manual bidirectional field among CLM- and Salesforce-owned ones', () => {
        const ruleSet = loadRuleSet(DEFAULT_RULES);
        const directions = new Set(ruleSet.rules.map((rule) => rule.direction));
        expect(directions).toEqual(new Set(['ClmToSalesforce', 'SalesforceToClm', 'Bidirectional']));
        expect(ruleSet.rules.find((rule) => rule.direction === 'Bidirectional')?.conflictPolicy).toBe('Manual');
        expect(ruleSet.byName.get('Account_Billing_Address')?.sourceFields).toEqual([
            'BillingStreet',
            'BillingCity',
            'BillingState',
            'BillingPostalCode',
            'BillingCountry'
        ]);
    });

    it('requires a conflict policy for a field owned by both sides', () => {
        expect(problemsOf([{ ...base, direction: 'Bidirectional' }])).toEqual([
            expect.objectContaining({ code: 'MAPPING.MISSING_CONFLICT_POLICY', rule: 'Stage' })
        ]);
    });

    it('refuses a CLM field written from Salesforce by one rule and to Salesforce by another', () => {
        const problems = problemsOf([
            base,
            {
                name: 'Stage_Back',
                sfObject: 'Opportunity',
                sfField: 'NextStep',
                clmField: 'dealStage',
                direction: 'ClmToSalesforce'
            }
        ]);
        expect(problems.map((problem) => problem.code)).toEqual(['MAPPING.OWNED_BY_BOTH_SIDES']);
        expect(problems[0]?.message).toContain('Stage_Back');
    });

    it('refuses CLM→Salesforce rules that target formula, roll-up, auto-number or computed fields', () => {
        const problems = problemsOf([
            {
                name: 'Quote_Net',
                sfObject: 'SBQQ__Quote__c',
                sfField: 'SBQQ__NetAmount__c',
                clmField: 'value',
                direction: 'ClmToSalesforce',
                transform: { kind: 'money' }
            },
            {
                name: 'End',
                sfObject: 'Contract',
                sfField: 'EndDate',
                clmField: 'expirationDate',
                direction: 'ClmToSalesforce',
                transform: { kind: 'date' }
            },
            {
                name: 'Number',
                sfObject: 'Contract',
                sfField: 'ContractNumber',
                clmField: 'title',
                direction: 'ClmToSalesforce'
            }
        ]);
        expect(problems.map((problem) => [problem.rule, problem.code])).toEqual([
            ['Quote_Net', 'MAPPING.READ_ONLY_TARGET'],
            ['End', 'MAPPING.READ_ONLY_TARGET'],
            ['Number', 'MAPPING.READ_ONLY_TARGET']
        ]);
        expect(problems[0]?.message).toContain('formula or roll-up');
        expect(problems[2]?.message).toContain('auto-number');
    });

    it('refuses a transform that cannot produce the target type', () => {
        const problems = problemsOf([
            { ...base, name: 'Stage_As_Date', clmField: 'effectiveDate', transform: { kind: 'date' } }
        ]);
        expect(problems).toEqual([
            expect.objectContaining({ code: 'MAPPING.TRANSFORM_TYPE_MISMATCH', rule: 'Stage_As_Date' })
        ]);
    });

    it('refuses Salesforce→CLM rules onto fields only the CLM sets', () => {
        expect(
            problemsOf([
                { ...base, name: 'Push_Status', clmField: 'status.lifecycle', transform: { kind: 'statusMap' } }
            ])
        ).toEqual([
            expect.objectContaining({
                code: 'MAPPING.READ_ONLY_TARGET',
                rule: 'Push_Status',
                field: 'status.lifecycle'
            })
        ]);
    });

    it('names unknown fields, unknown CLM fields, bad picklist targets and malformed rules', () => {
        const problems = problemsOf([
            { ...base, name: 'Ghost', sfField: 'Ghost__c' },
            { ...base, name: 'Nowhere', clmField: 'nowhere' },
            {
                name: 'Status_Map',
                sfObject: 'Contract',
                sfField: 'CLM_Lifecycle__c',
                clmField: 'status.lifecycle',
                direction: 'ClmToSalesforce',
                transform: { kind: 'statusMap', map: { Signed: 'Done' } }
            }
        ]);
        expect(problems.map((problem) => [problem.rule, problem.code])).toEqual([
            ['Ghost', 'MAPPING.UNKNOWN_FIELD'],
            ['Nowhere', 'MAPPING.UNKNOWN_CLM_FIELD'],
            ['Status_Map', 'MAPPING.PICKLIST_VALUE_REJECTED']
        ]);
        const malformed = problemsOf([{ ...base, direction: 'Sideways' }, { name: 'x y' }]);
        expect(malformed[0]).toMatchObject({ code: 'MAPPING.INVALID_RULE', rule: 'Stage', field: 'direction' });
        expect(malformed.some((problem) => problem.rule === 'x y' && problem.field === 'name')).toBe(true);
    });

    it('lets an admin disable a broken rule so the rest load', () => {
        const ruleSet = loadRuleSet([base, { ...base, name: 'Ghost', sfField: 'Ghost__c', enabled: false }]);
        expect(ruleSet.rules.map((rule) => rule.name)).toEqual(['Stage']);
    });
});

describe('narrowToWritable', () => {
    it('stops writing CLM fields the CLM has no place for: Salesforce → CLM left out, Bidirectional one way', () => {
        const ruleSet = loadRuleSet(DEFAULT_RULES);
        const { rules, narrowed } = narrowToWritable(
            ruleSet,
            (clmField) => clmField !== 'title' && clmField !== 'custom.specialTerms'
        );
        expect(narrowed).toEqual([
            { rule: 'Opportunity_Title', clmField: 'title', direction: 'None' },
            { rule: 'Contract_Special_Terms', clmField: 'custom.specialTerms', direction: 'ClmToSalesforce' }
        ]);
        expect(rules.byName.has('Opportunity_Title')).toBe(false);
        expect(rules.byName.get('Contract_Special_Terms')?.direction).toBe('ClmToSalesforce');
        expect(rules.rules).toHaveLength(ruleSet.rules.length - 1);
        expect(narrowToWritable(ruleSet, () => true).narrowed).toEqual([]);
    });
});
