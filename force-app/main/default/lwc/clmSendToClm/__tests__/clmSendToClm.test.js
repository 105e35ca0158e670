import { createElement } from 'lwc';
import { afterEach, describe, expect, it, vi } from 'vitest';
import ClmSendToClm from 'c/clmSendToClm';
import previewSend from '@salesforce/apex/ClmSendController.previewSend';
import sendToClm from '@salesforce/apex/ClmSendController.sendToClm';
import { all, expectAccessible, flushPromises, resetDom, text } from '../../../../../test/lwc/testUtils.js';

vi.mock('@salesforce/apex/ClmSendController.previewSend', () => ({ default: vi.fn() }));
vi.mock('@salesforce/apex/ClmSendController.sendToClm', () => ({ default: vi.fn() }));

const OPPORTUNITY_ID = '006000000000001AAA';
const VALID = {
    recordId: OPPORTUNITY_ID,
    objectApiName: 'Opportunity',
    action: 'Send',
    clmContractId: null,
    canSend: true,
    issues: [],
    fields: [
        { field: 'Name', label: 'Opportunity Name', clmField: 'title', value: 'Acme renewal' },
        { field: 'StageName', label: 'Stage', clmField: 'dealStage', value: 'Negotiation/Review' },
        { field: 'Account.BillingAddress', label: 'Billing Address', clmField: 'counterparty.address', value: null }
    ]
};
const INVALID = {
    ...VALID,
    canSend: false,
    issues: [
        {
            code: 'CLM.REQUIRED_VALUE_MISSING',
            field: 'AccountId',
            message: 'The CLM needs the counterparty: set the Account.'
        },
        {
            code: 'TRANSFORM.UNKNOWN_PICKLIST_VALUE',
            field: 'Payment_Terms__c',
            message: 'Payment Terms: the CLM does not take the value "Net 90".'
        }
    ]
};

async function mount() {
    const element = createElement('c-clm-send-to-clm', { is: ClmSendToClm });
    element.recordId = OPPORTUNITY_ID;
    element.objectApiName = 'Opportunity';
    document.body.appendChild(element);
    await flushPromises();
    return element;
}

const sendButton = (element) => element.shadowRoot.querySelector('lightning-button.send-button');

describe('c-clm-send-to-clm', () => {
    afterEach(() => {
        resetDom();
        vi.clearAllMocks();
    });

    it('shows what will be sent and enables Send when the record is valid', async () => {
        previewSend.mockResolvedValue(VALID);
        const element = await mount();
        expect(previewSend).toHaveBeenCalledWith({ recordId: OPPORTUNITY_ID });
        const cells = all(element, '.field-row').map((row) => [...row.children].map((cell) => cell.textContent.trim()));
        expect(cells).toEqual([
            ['Opportunity Name', 'title', 'Acme renewal'],
            ['Stage', 'dealStage', 'Negotiation/Review'],
            ['Billing Address', 'counterparty.address', '—']
        ]);
        expect(element.shadowRoot.querySelector('.issues')).toBeNull();
        expect(sendButton(element).disabled).toBe(false);
        expect(element.shadowRoot.querySelector('lightning-quick-action-panel').header).toBe('Send to CLM');
        await expectAccessible(element);
    });

    it('lists every validation error with its code and field, and keeps Send disabled', async () => {
        previewSend.mockResolvedValue(INVALID);
        const element = await mount();
        const issues = all(element, '.issue');
        expect(issues.map((li) => [li.dataset.code, li.dataset.field])).toEqual([
            ['CLM.REQUIRED_VALUE_MISSING', 'AccountId'],
            ['TRANSFORM.UNKNOWN_PICKLIST_VALUE', 'Payment_Terms__c']
        ]);
        expect(text(element, '.issues h2')).toBe('Fix 2 issue(s) before sending');
        expect(sendButton(element).disabled).toBe(true);
        await expectAccessible(element);
    });

    it('sends, shows the outcome with the request id and a success toast', async () => {
        previewSend.mockResolvedValue(VALID);
        sendToClm.mockResolvedValue({ status: 'Sent', requestId: 'req-123', action: 'Send', issues: [] });
        const element = await mount();
        const toast = vi.fn();
        element.addEventListener('lightning__showtoast', toast);

        sendButton(element).click();
        await flushPromises();

        expect(sendToClm).toHaveBeenCalledWith({ recordId: OPPORTUNITY_ID });
        expect(text(element, '.outcome')).toBe('Sent. The CLM will create the contract; request req-123.');
        expect(toast).toHaveBeenCalledTimes(1);
        expect(toast.mock.calls[0][0].detail.variant).toBe('success');
        expect(sendButton(element).disabled).toBe(true);
        expect(element.shadowRoot.querySelector('.fields')).toBeNull();
        await expectAccessible(element);
    });

    it('shows the issues the server found at send time (the record changed meanwhile)', async () => {
        previewSend.mockResolvedValue(VALID);
        sendToClm.mockResolvedValue({ status: 'Invalid', action: 'Send', issues: INVALID.issues });
        const element = await mount();
        sendButton(element).click();
        await flushPromises();
        expect(all(element, '.issue')).toHaveLength(2);
        expect(element.shadowRoot.querySelector('.outcome')).toBeNull();
        expect(sendButton(element).disabled).toBe(true);
    });

    it('shows an error from the preview through the error panel', async () => {
        previewSend.mockRejectedValue({
            body: {
                message:
                    '{"code":"CLM.OBJECT_NOT_SUPPORTED","field":"recordId","message":"Account records cannot be sent to the CLM."}'
            }
        });
        const element = await mount();
        const panel = element.shadowRoot.querySelector('c-clm-error-panel');
        expect(text(panel, '.reason')).toBe('Account records cannot be sent to the CLM.');
        expect(sendButton(element).disabled).toBe(true);
        await expectAccessible(element);
    });

    it('says it will update the linked contract when already linked', async () => {
        previewSend.mockResolvedValue({ ...VALID, action: 'Resync', clmContractId: 'K-42' });
        const element = await mount();
        expect(text(element, '.resync')).toBe('Already linked to CLM contract K-42: these values will update it.');
        expect(element.shadowRoot.querySelector('lightning-quick-action-panel').header).toBe('Send changes to the CLM');
    });

    it('closes the action screen on Close', async () => {
        previewSend.mockResolvedValue(VALID);
        const element = await mount();
        const close = vi.fn();
        element.addEventListener('close', close);
        element.shadowRoot.querySelector('lightning-button.close-button').click();
        expect(close).toHaveBeenCalledTimes(1);
    });
});
