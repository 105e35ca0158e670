import { createElement } from 'lwc';
import { afterEach, describe, expect, it, vi } from 'vitest';
import ClmConflictQueue from 'c/clmConflictQueue';
import getConflictQueue from '@salesforce/apex/ClmAdminController.getConflictQueue';
import resolveConflict from '@salesforce/apex/ClmAdminController.resolveConflict';
import { all, expectAccessible, flushPromises, resetDom, text } from '../../../../../test/lwc/testUtils.js';

vi.mock('@salesforce/apex/ClmAdminController.getConflictQueue', () => ({ default: vi.fn() }));
vi.mock('@salesforce/apex/ClmAdminController.resolveConflict', () => ({ default: vi.fn() }));

const CONFLICTS = [
    {
        Id: 'a01000000000001AAA',
        Name: 'CC-00001',
        Object_Api_Name__c: 'Contract',
        Field__c: 'SpecialTerms',
        Salesforce_Value__c: 'Net 30',
        Clm_Value__c: 'Net 45',
        Salesforce_Changed_At__c: '2026-11-20T10:00:00.000Z',
        Clm_Changed_At__c: '2026-11-20T10:05:00.000Z',
        Rule__c: 'Contract_Special_Terms',
        Conflict_Policy__c: 'Manual',
        Status__c: 'Open'
    },
    {
        Id: 'a01000000000002AAA',
        Name: 'CC-00002',
        Object_Api_Name__c: 'Contract',
        Field__c: 'Description',
        Salesforce_Value__c: 'A',
        Clm_Value__c: 'B',
        Rule__c: 'Contract_Description',
        Conflict_Policy__c: 'Manual',
        Status__c: 'Open'
    }
];

async function mount() {
    const element = createElement('c-clm-conflict-queue', { is: ClmConflictQueue });
    document.body.appendChild(element);
    await flushPromises();
    return element;
}
const first = (element, selector) =>
    element.shadowRoot.querySelector(`li.conflict[data-id="${CONFLICTS[0].Id}"] ${selector}`);

describe('c-clm-conflict-queue', () => {
    afterEach(() => {
        resetDom();
        vi.clearAllMocks();
    });

    it('shows both values side by side', async () => {
        getConflictQueue.mockResolvedValue(CONFLICTS);
        const element = await mount();
        expect(all(element, 'li.conflict .heading').map((h) => h.textContent)).toEqual([
            'CC-00001: Contract.SpecialTerms',
            'CC-00002: Contract.Description'
        ]);
        expect(first(element, '.salesforce-side .value').textContent).toBe('Net 30');
        expect(first(element, '.clm-side .value').textContent).toBe('Net 45');
        await expectAccessible(element);
    });

    it('keeps the CLM value and removes the conflict from the queue', async () => {
        getConflictQueue.mockResolvedValue(CONFLICTS);
        resolveConflict.mockResolvedValue('req-1');
        const element = await mount();
        first(element, 'lightning-button.keep-clm').click();
        await flushPromises();
        expect(resolveConflict).toHaveBeenCalledWith({
            conflictId: CONFLICTS[0].Id,
            resolution: 'ClmValue',
            editedValue: null
        });
        expect(all(element, 'li.conflict')).toHaveLength(1);
    });

    it('keeps the Salesforce value', async () => {
        getConflictQueue.mockResolvedValue(CONFLICTS);
        resolveConflict.mockResolvedValue('req-2');
        const element = await mount();
        first(element, 'lightning-button.keep-salesforce').click();
        await flushPromises();
        expect(resolveConflict).toHaveBeenCalledWith({
            conflictId: CONFLICTS[0].Id,
            resolution: 'SalesforceValue',
            editedValue: null
        });
    });

    it('sends an edited value', async () => {
        getConflictQueue.mockResolvedValue(CONFLICTS);
        resolveConflict.mockResolvedValue('req-3');
        const element = await mount();
        first(element, 'lightning-button.edit').click();
        await flushPromises();
        const textarea = first(element, 'lightning-textarea.edited-value');
        expect(textarea.value).toBe('Net 30');
        expect(textarea.label).toBe('Value to keep for SpecialTerms');
        textarea.dispatchEvent(new CustomEvent('change', { detail: { value: 'Net 40' } }));
        await flushPromises();
        first(element, 'lightning-button.save-edit').click();
        await flushPromises();
        expect(resolveConflict).toHaveBeenCalledWith({
            conflictId: CONFLICTS[0].Id,
            resolution: 'EditedValue',
            editedValue: 'Net 40'
        });
        expect(all(element, 'li.conflict')).toHaveLength(1);
    });

    it('shows the refusal on the conflict it concerns and keeps it in the queue', async () => {
        getConflictQueue.mockResolvedValue(CONFLICTS);
        resolveConflict.mockRejectedValue({
            body: {
                message:
                    '{"code":"CLM.CONFLICT_NOT_OPEN","field":"Status__c","message":"This conflict is already Resolved."}'
            }
        });
        const element = await mount();
        first(element, 'lightning-button.keep-clm').click();
        await flushPromises();
        expect(first(element, '.row-error').textContent).toBe('This conflict is already Resolved.');
        expect(all(element, 'li.conflict')).toHaveLength(2);
        await expectAccessible(element);
    });

    it('says the queue is empty', async () => {
        getConflictQueue.mockResolvedValue([]);
        const element = await mount();
        expect(text(element, '.empty')).toBe('No conflicts wait for review.');
        await expectAccessible(element);
    });

    it('shows a load error', async () => {
        getConflictQueue.mockRejectedValue({
            body: {
                message:
                    '{"code":"CLM.ACCESS_DENIED","field":null,"message":"You do not have access to this CLM data."}'
            }
        });
        const element = await mount();
        expect(text(element.shadowRoot.querySelector('c-clm-error-panel'), '.reason')).toBe(
            'You do not have access to this CLM data.'
        );
        await expectAccessible(element);
    });
});
