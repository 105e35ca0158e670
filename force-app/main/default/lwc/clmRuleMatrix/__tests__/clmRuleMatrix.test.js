import { createElement } from 'lwc';
import { afterEach, describe, expect, it, vi } from 'vitest';
import ClmRuleMatrix from 'c/clmRuleMatrix';
import getFieldRules from '@salesforce/apex/ClmAdminController.getFieldRules';
import { expectAccessible, flushPromises, resetDom, text } from '../../../../../test/lwc/testUtils.js';

vi.mock('@salesforce/apex/ClmAdminController.getFieldRules', () => ({ default: vi.fn() }));

const RULES = [
    {
        name: 'Contract_Lifecycle',
        objectApiName: 'Contract',
        field: 'CLM_Lifecycle__c',
        clmField: 'status.lifecycle',
        direction: 'ClmToSalesforce',
        conflictPolicy: null,
        transformKind: 'statusMap',
        enabled: true
    },
    {
        name: 'Contract_Special_Terms',
        objectApiName: 'Contract',
        field: 'SpecialTerms',
        clmField: 'custom.specialTerms',
        direction: 'Bidirectional',
        conflictPolicy: 'Manual',
        transformKind: 'copy',
        enabled: true
    },
    {
        name: 'Opportunity_Stage',
        objectApiName: 'Opportunity',
        field: 'StageName',
        clmField: 'dealStage',
        direction: 'SalesforceToClm',
        conflictPolicy: null,
        transformKind: 'copy',
        enabled: false
    }
];

async function mount() {
    const element = createElement('c-clm-rule-matrix', { is: ClmRuleMatrix });
    document.body.appendChild(element);
    await flushPromises();
    return element;
}

describe('c-clm-rule-matrix', () => {
    afterEach(() => {
        resetDom();
        vi.clearAllMocks();
    });

    it('shows each rule with its direction and, for two-way rules only, the policy', async () => {
        getFieldRules.mockResolvedValue(RULES);
        const element = await mount();
        const table = element.shadowRoot.querySelector('lightning-datatable.rules');
        expect(table.data.map((row) => [row.name, row.directionLabel, row.policyLabel, row.enabled])).toEqual([
            ['Contract_Lifecycle', 'CLM → Salesforce', '—', true],
            ['Contract_Special_Terms', 'Both ways', 'Manual review', true],
            ['Opportunity_Stage', 'Salesforce → CLM', '—', false]
        ]);
        expect(table.columns.map((column) => column.label)).toEqual([
            'Object',
            'Salesforce field',
            'CLM field',
            'Direction',
            'Conflict policy',
            'Transform',
            'Enabled'
        ]);
        await expectAccessible(element);
    });

    it('filters by object', async () => {
        getFieldRules.mockResolvedValue(RULES);
        const element = await mount();
        const filter = element.shadowRoot.querySelector('lightning-combobox.object-filter');
        expect(filter.options.map((option) => option.value)).toEqual(['', 'Contract', 'Opportunity']);
        filter.dispatchEvent(new CustomEvent('change', { detail: { value: 'Opportunity' } }));
        await flushPromises();
        expect(element.shadowRoot.querySelector('lightning-datatable.rules').data.map((row) => row.name)).toEqual([
            'Opportunity_Stage'
        ]);
    });

    it('says when no rules exist', async () => {
        getFieldRules.mockResolvedValue([]);
        const element = await mount();
        expect(text(element, '.empty')).toBe('No field rules are defined. Add Clm Field Mapping records in Setup.');
        await expectAccessible(element);
    });

    it('shows a load error', async () => {
        getFieldRules.mockRejectedValue({ body: { message: 'Insufficient privileges' } });
        const element = await mount();
        expect(text(element.shadowRoot.querySelector('c-clm-error-panel'), '.reason')).toBe('Insufficient privileges');
        await expectAccessible(element);
    });
});
