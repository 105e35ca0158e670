import { describe, expect, it } from 'vitest';
import {
    DEFAULT_RULES,
    emptyPairState,
    type PairState,
    loadRuleSet,
    MAX_PENDING_ECHOES,
    planChange,
    resolveConflict,
    type Change,
    type ConflictPolicy,
    type PlanContext
} from '../../src/domain/index.ts';

const ruleSet = loadRuleSet(DEFAULT_RULES);
const context: PlanContext = { connectorClientId: 'clm-connector', transform: {} };
function policyRules(conflictPolicy: ConflictPolicy) {
    return loadRuleSet([
        {
            name: 'Terms',
            sfObject: 'Contract',
            sfField: 'SpecialTerms',
            clmField: 'custom.specialTerms',
            direction: 'Bidirectional',
            conflictPolicy
        }
    ]);
}
const at = (second: number) => ({ at: new Date(Date.UTC(2026, 5, 1, 12, 0, second)).toISOString(), seq: 0 });

function clmChange(second: number, values: Record<string, unknown>): Change {
    return {
        source: 'clm',
        contractId: 'K-1',
        eventId: `clm-${second}`,
        correlationId: `corr-${second}`,
        version: at(second),
        values
    };
}
function sfChange(second: number, sfObject: string, values: Record<string, unknown>, origin?: string): Change {
    return {
        source: 'salesforce',
        sfObject,
        recordId: '800000000000001AAA',
        eventId: `sf-${second}`,
        correlationId: `corr-${second}`,
        version: at(second),
        values,
        origin
    };
}

describe('planner', () => {
    it('writes CLM-owned values to Contract and Opportunity in one write per object', () => {
        const plan = planChange(
            clmChange(1, {
                'status.lifecycle': 'OutForSignature',
                'status.signature': 'Sent',
                value: { amount: '120000', currency: 'EUR' }
            }),
            emptyPairState('p'),
            ruleSet,
            context
        );
        expect(plan.writes.salesforce).toEqual([
            {
                sfObject: 'Contract',
                fields: {
                    CLM_Lifecycle__c: 'OutForSignature',
                    CLM_Signature_Status__c: 'Sent',
                    CLM_Contract_Value__c: 120000,
                    CLM_Currency__c: 'EUR'
                },
                rules: ['Contract_Lifecycle', 'Contract_Signature', 'Contract_Value']
            },
            {
                sfObject: 'Opportunity',
                fields: { CLM_Lifecycle__c: 'OutForSignature', CLM_Signature_Status__c: 'Sent' },
                rules: ['Opportunity_Lifecycle', 'Opportunity_Signature']
            }
        ]);
        expect(plan.writes.clm).toBeNull();
        expect(
            plan.changeLog.every(
                (entry) => entry.outcome === 'applied' && entry.idempotencyKey.startsWith('clm:clm-1:')
            )
        ).toBe(true);
        expect(plan.newState.fields.Contract_Value?.synced).toMatchObject({
            by: 'clm',
            value: { amount: '120000', currency: 'EUR' }
        });
    });

    it('recognises the echo of its own Salesforce write by changeOrigin', () => {
        const first = planChange(clmChange(1, { 'status.lifecycle': 'Signed' }), emptyPairState('p'), ruleSet, context);
        const echo = planChange(
            sfChange(
                2,
                'Contract',
                { CLM_Lifecycle__c: 'Signed' },
                'com/salesforce/api/rest/62.0;client=clm-connector'
            ),
            first.newState,
            ruleSet,
            context
        );
        expect(echo.writes).toEqual({ salesforce: [], clm: null });
        expect(echo.changeLog.map((entry) => entry.outcome)).toEqual(['echo']);
    });

    it('records a change to a field the source does not own and writes nothing', () => {
        const plan = planChange(
            sfChange(1, 'Contract', { CLM_Lifecycle__c: 'Active' }),
            emptyPairState('p'),
            ruleSet,
            context
        );
        expect(plan.writes).toEqual({ salesforce: [], clm: null });
        expect(plan.changeLog).toEqual([
            expect.objectContaining({ rule: 'Contract_Lifecycle', outcome: 'notOwned', value: 'Active' })
        ]);
    });

    it('sends Salesforce-owned values to the CLM, the billing address as one canonical address', () => {
        const plan = planChange(
            sfChange(1, 'Account', {
                Name: 'Acme',
                BillingStreet: '1 Main',
                BillingCity: 'Boston',
                BillingState: 'MA',
                BillingPostalCode: '02110',
                BillingCountry: 'US'
            }),
            emptyPairState('p'),
            ruleSet,
            context
        );
        expect(plan.writes.clm?.fields).toEqual({
            'counterparty.name': 'Acme',
            'counterparty.address': {
                street: '1 Main',
                city: 'Boston',
                state: 'MA',
                postalCode: '02110',
                country: 'US'
            }
        });
    });

    it('turns concurrent edits of a Manual field into a conflict, and applies the resolution to both sides', () => {
        let state = planChange(
            sfChange(1, 'Contract', { SpecialTerms: 'Net 30' }),
            emptyPairState('p'),
            ruleSet,
            context
        ).newState;
        // The CLM edits the same field before our write lands there.
        const conflict = planChange(clmChange(2, { 'custom.specialTerms': 'Net 45' }), state, ruleSet, context);
        expect(conflict.writes).toEqual({ salesforce: [], clm: null });
        expect(conflict.conflicts).toEqual([
            expect.objectContaining({
                rule: 'Contract_Special_Terms',
                salesforceValue: 'Net 30',
                clmValue: 'Net 45',
                sfField: 'SpecialTerms'
            })
        ]);
        state = conflict.newState;
        const resolved = resolveConflict(
            state,
            ruleSet,
            'Contract_Special_Terms',
            { take: 'clm' },
            { eventId: 'res-1', correlationId: 'c', at: at(3).at },
            context
        );
        expect(resolved.writes.salesforce).toEqual([
            { sfObject: 'Contract', fields: { SpecialTerms: 'Net 45' }, rules: ['Contract_Special_Terms'] }
        ]);
        expect(resolved.newState.fields.Contract_Special_Terms?.conflict).toBeUndefined();
        expect(resolved.newState.fields.Contract_Special_Terms?.synced?.value).toBe('Net 45');
    });

    it('keeps the rest of a record when one value is malformed, with a coded error naming the field', () => {
        const plan = planChange(
            clmChange(1, {
                'status.lifecycle': 'Archived',
                effectiveDate: '2026-07-01',
                value: { amount: '10', currency: 'euro' }
            }),
            emptyPairState('p'),
            ruleSet,
            context
        );
        expect(plan.writes.salesforce).toEqual([
            { sfObject: 'Contract', fields: { StartDate: '2026-07-01' }, rules: ['Contract_Start_Date'] }
        ]);
        expect(plan.errors.map((error) => [error.code, error.details.field])).toEqual([
            ['TRANSFORM.INVALID_CLM_VALUE', 'status.lifecycle'],
            ['TRANSFORM.INVALID_CLM_VALUE', 'status.lifecycle'],
            ['TRANSFORM.INVALID_CLM_VALUE', 'value']
        ]);
    });

    it('asks for the whole record when a change lacks a field a rule needs', () => {
        const plan = planChange(
            sfChange(1, 'Account', { BillingCity: 'Boston' }),
            emptyPairState('p'),
            ruleSet,
            context
        );
        expect(plan.errors.map((error) => error.code)).toEqual(['MAPPING.MISSING_SOURCE_FIELD']);
    });

    describe('conflict policies on a bidirectional field', () => {
        // Salesforce edits at second 5 while its value goes to the CLM; the CLM's own edit (second 4 or 6) arrives next.
        function race(conflictPolicy: 'SalesforceWins' | 'ClmWins' | 'NewestWins', clmSecond: number) {
            const rules = policyRules(conflictPolicy);
            const first = planChange(
                sfChange(5, 'Contract', { SpecialTerms: 'SF terms' }),
                emptyPairState('p'),
                rules,
                context
            );
            return planChange(
                clmChange(clmSecond, { 'custom.specialTerms': 'CLM terms' }),
                first.newState,
                rules,
                context
            );
        }

        it('SalesforceWins writes the Salesforce value back over the CLM edit', () => {
            const plan = race('SalesforceWins', 6);
            expect(plan.writes.clm?.fields).toEqual({ 'custom.specialTerms': 'SF terms' });
            expect(plan.newState.fields.Terms?.synced).toMatchObject({ value: 'SF terms', by: 'salesforce' });
        });

        it('ClmWins takes the CLM edit into Salesforce', () => {
            const plan = race('ClmWins', 6);
            expect(plan.writes.salesforce).toEqual([
                { sfObject: 'Contract', fields: { SpecialTerms: 'CLM terms' }, rules: ['Terms'] }
            ]);
            expect(plan.newState.fields.Terms?.synced).toMatchObject({ value: 'CLM terms', by: 'clm' });
        });

        it('NewestWins takes whichever edit has the later version', () => {
            expect(race('NewestWins', 6).newState.fields.Terms?.synced).toMatchObject({
                value: 'CLM terms',
                by: 'clm'
            });
            expect(race('NewestWins', 4).newState.fields.Terms?.synced).toMatchObject({
                value: 'SF terms',
                by: 'salesforce'
            });
        });
    });
});

describe('unconfirmed writes', () => {
    it('keeps at most MAX_PENDING_ECHOES per field and side, the newest', () => {
        let state = emptyPairState('opp:x');
        for (let n = 1; n <= MAX_PENDING_ECHOES + 5; n += 1) {
            state = planChange(
                {
                    source: 'salesforce',
                    sfObject: 'Account',
                    recordId: '001000000000001AAA',
                    eventId: `e${n}`,
                    correlationId: `c${n}`,
                    version: { at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(), seq: n },
                    values: { Name: `Name ${n}` }
                },
                state,
                ruleSet,
                context
            ).newState;
        }
        const pending = state.fields.Account_Name?.pending?.clm ?? [];
        expect(pending).toHaveLength(MAX_PENDING_ECHOES);
        expect(pending.at(-1)).toBe(`Name ${MAX_PENDING_ECHOES + 5}`);
        expect(pending[0]).toBe('Name 6');
    });
});

describe('a CLM event that reports the value it reported before', () => {
    // Found by the deterministic simulation (connector-service/test/simulation, seed 20): Salesforce's edit is on its
    // way to the CLM when a webhook for another field of the contract arrives; the CLM still shows this field's old
    // value. That is no CLM edit: under ClmWins or NewestWins it used to win and revert the Salesforce edit.
    for (const policy of ['ClmWins', 'NewestWins', 'Manual'] as const) {
        it(`${policy}: is not a contender for the Salesforce edit still in flight`, () => {
            const ruleSet = policyRules(policy);
            // Both sides agree on Net 30.
            const agreed: PairState = {
                pairId: 'p',
                fields: {
                    Terms: {
                        synced: { value: 'Net 30', at: at(1).at, by: 'clm' },
                        salesforce: { value: 'Net 30', version: at(0) },
                        clm: { value: 'Net 30', version: at(1) }
                    }
                }
            };
            const edited = planChange(sfChange(5, 'Contract', { SpecialTerms: 'Net 45' }), agreed, ruleSet, context);
            expect(edited.writes.clm?.fields).toEqual({ 'custom.specialTerms': 'Net 45' });
            const otherField = planChange(
                clmChange(9, { 'custom.specialTerms': 'Net 30', title: 'Renamed' }),
                edited.newState,
                ruleSet,
                context
            );
            expect(otherField.writes.salesforce).toEqual([]);
            expect(otherField.conflicts).toEqual([]);
            expect(otherField.newState.fields.Terms?.synced).toMatchObject({ value: 'Net 45', by: 'salesforce' });
        });
    }
});
