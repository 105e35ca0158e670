import { createElement } from 'lwc';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import ClmContractStatus, {
    LIFECYCLE_PATH,
    OFF_PATH,
    REQUEST_CHANNEL,
    SIGNATURE,
    STATUS_CHANNEL
} from 'c/clmContractStatus';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import getStatus from '@salesforce/apex/ClmStatusController.getStatus';
import { empApiMock, subscribe, unsubscribe } from 'lightning/empApi';
import { all, expectAccessible, flushPromises, resetDom, text } from '../../../../../test/lwc/testUtils.js';
import STATUS from './data/getStatus.json';

vi.mock('@salesforce/apex/ClmStatusController.getStatus', () => ({ default: vi.fn() }));

const OPPORTUNITY_ID = '006000000000001AAA';

function mount() {
    const element = createElement('c-clm-contract-status', { is: ClmContractStatus });
    element.recordId = OPPORTUNITY_ID;
    element.objectApiName = 'Opportunity';
    document.body.appendChild(element);
    return element;
}

function statusEvent(overrides = {}) {
    return {
        Record_Id__c: OPPORTUNITY_ID,
        Kind__c: 'SignatureChanged',
        Clm_Contract_Id__c: 'K-42',
        Lifecycle__c: 'Signed',
        Signature_Status__c: 'FullySigned',
        Sync_Result__c: 'Synced',
        Occurred_At__c: '2026-11-21T09:00:00.000Z',
        Message__c: 'Signed by both parties.',
        ...overrides
    };
}

/** The values a restricted picklist of the package allows, read from its field definition. */
function picklistValues(object, field) {
    const file = path.join(
        process.cwd(),
        'force-app/main/default/objects',
        object,
        'fields',
        `${field}.field-meta.xml`
    );
    const xml = readFileSync(file, 'utf8');
    return [...xml.matchAll(/<value>\s*<fullName>([^<]+)<\/fullName>/g)].map((match) => match[1]).sort();
}

describe('c-clm-contract-status', () => {
    it('has a place for every lifecycle and signature value the fields allow', () => {
        const shown = [...LIFECYCLE_PATH.map((step) => step.value), ...Object.keys(OFF_PATH)].sort();
        expect(shown).toEqual(picklistValues('Opportunity', 'CLM_Lifecycle__c'));
        expect(Object.keys(SIGNATURE).sort()).toEqual(picklistValues('Opportunity', 'CLM_Signature_Status__c'));
    });

    beforeEach(() => {
        empApiMock.reset();
    });
    afterEach(() => {
        resetDom();
        vi.clearAllMocks();
    });

    describe('data', () => {
        it('shows lifecycle, signature, dates, value, link, provenance and conflicts', async () => {
            getStatus.mockResolvedValue(STATUS);
            const element = mount();
            await flushPromises();

            expect(getStatus).toHaveBeenCalledWith({ recordId: OPPORTUNITY_ID });
            expect(text(element, '.lifecycle')).toBe('Lifecycle: Review');
            expect(element.shadowRoot.querySelector('lightning-progress-indicator').currentStep).toBe('InReview');
            expect(all(element, 'lightning-progress-step').map((step) => step.value)).toEqual([
                'Draft',
                'InReview',
                'PendingApproval',
                'Approved',
                'OutForSignature',
                'Signed',
                'Active'
            ]);
            expect(text(element, '.signature')).toBe('Signature: Not sent for signature');
            expect(element.shadowRoot.querySelector('lightning-progress-bar').value).toBe(0);
            const value = element.shadowRoot.querySelector('.contract-value lightning-formatted-number');
            expect(value.value).toBe(120000);
            expect(value.currencyCode).toBe('EUR');
            expect(element.shadowRoot.querySelector('.notice-deadline lightning-formatted-date-time').value).toBe(
                '2027-10-01'
            );
            expect(text(element, '.auto-renew')).toBe('Yes, 12 months');
            expect(element.shadowRoot.querySelector('a.clm-link').href).toBe('https://clm.example.test/contracts/K-42');
            expect(all(element, '.provenance-entry').map((li) => li.textContent.replace(/\s+/g, ' ').trim())).toEqual([
                'Lifecycle: by CLM at',
                'Stage: by Salesforce at'
            ]);
            expect(text(element, '.conflict')).toBe('Special terms: Salesforce "Net 30" vs CLM "Net 45"');
            expect(text(element, '.health')).toBe('Needs review');
        });

        it('is accessible with data', async () => {
            getStatus.mockResolvedValue(STATUS);
            const element = mount();
            await flushPromises();
            await expectAccessible(element);
        });
    });

    describe('empty', () => {
        it('says the deal has not been sent when there is no CLM link', async () => {
            getStatus.mockResolvedValue({ ...STATUS, clmContractId: null, lastSyncResult: null, health: 'NotLinked' });
            const element = mount();
            await flushPromises();
            expect(text(element, '.not-linked')).toBe('This deal has not been sent to the CLM yet.');
            expect(element.shadowRoot.querySelector('.lifecycle')).toBeNull();
            await expectAccessible(element);
        });
    });

    describe('error', () => {
        it('shows the reason from the Apex error through the shared error panel', async () => {
            getStatus.mockRejectedValue({
                body: {
                    message:
                        '{"code":"CLM.RECORD_NOT_FOUND","field":"recordId","message":"The record does not exist or is not shared with you."}'
                }
            });
            const element = mount();
            await flushPromises();
            const panel = element.shadowRoot.querySelector('c-clm-error-panel');
            expect(panel).not.toBeNull();
            expect(panel.friendlyMessage).toBe('The contract status could not be loaded.');
            expect(text(panel, '.reason')).toBe('The record does not exist or is not shared with you.');
            await expectAccessible(element);
        });
    });

    describe('empApi', () => {
        it('subscribes on connect and unsubscribes on disconnect', async () => {
            getStatus.mockResolvedValue(STATUS);
            const element = mount();
            await flushPromises();
            expect(subscribe).toHaveBeenCalledWith(STATUS_CHANNEL, -1, expect.any(Function));
            expect(subscribe).toHaveBeenCalledWith(REQUEST_CHANNEL, -1, expect.any(Function));
            expect(empApiMock.isSubscribed(STATUS_CHANNEL)).toBe(true);
            expect(element.shadowRoot.querySelector('.live-badge')).not.toBeNull();

            document.body.removeChild(element);
            expect(unsubscribe).toHaveBeenCalledTimes(2);
            expect(empApiMock.isSubscribed(STATUS_CHANNEL)).toBe(false);
            expect(empApiMock.isSubscribed(REQUEST_CHANNEL)).toBe(false);
        });

        it('says "Sending…" the moment a send of this record is published, until the connector answers', async () => {
            getStatus.mockResolvedValue({ ...STATUS, clmContractId: null, lastSyncResult: null, health: 'NotLinked' });
            const element = mount();
            await flushPromises();
            expect(element.shadowRoot.querySelector('.not-linked')).not.toBeNull();
            empApiMock.fireEvent(REQUEST_CHANNEL, { Record_Id__c: '006000000000999AAA', Action__c: 'Send' });
            await flushPromises();
            expect(element.shadowRoot.querySelector('.sending')).toBeNull();
            empApiMock.fireEvent(REQUEST_CHANNEL, { Record_Id__c: OPPORTUNITY_ID, Action__c: 'Send' });
            await flushPromises();
            expect(element.shadowRoot.querySelector('.not-linked')).toBeNull();
            expect(text(element, '.sending .health')).toBe('Sending…');

            getStatus.mockResolvedValue(STATUS);
            empApiMock.fireEvent(STATUS_CHANNEL, statusEvent({}));
            await flushPromises();
            expect(element.shadowRoot.querySelector('.sending')).toBeNull();
            // The event's lifecycle stands even if the reload does not see the connector's write yet.
            expect(text(element, '.lifecycle')).toBe('Lifecycle: Signed');
        });

        it('updates live when the status event is about this record, then reloads', async () => {
            getStatus.mockResolvedValue(STATUS);
            const element = mount();
            await flushPromises();
            getStatus.mockResolvedValue({
                ...STATUS,
                lifecycle: 'Signed',
                signatureStatus: 'FullySigned',
                health: 'Healthy',
                openConflicts: []
            });

            expect(empApiMock.fireEvent(STATUS_CHANNEL, statusEvent())).toBe(true);
            await flushPromises();

            expect(text(element, '.lifecycle')).toBe('Lifecycle: Signed');
            expect(text(element, '.signature')).toBe('Signature: Fully signed');
            expect(element.shadowRoot.querySelector('lightning-progress-bar').value).toBe(100);
            expect(text(element, '.last-event')).toBe('Updated live from the CLM. Signed by both parties.');
            expect(getStatus).toHaveBeenCalledTimes(2);
            await expectAccessible(element);
        });

        it('also follows events about the linked Contract', async () => {
            getStatus.mockResolvedValue(STATUS);
            const element = mount();
            await flushPromises();
            // The reload never answers: what shows comes from the event itself (a 15-character id).
            getStatus.mockReturnValueOnce(new Promise(() => {}));
            empApiMock.fireEvent(
                STATUS_CHANNEL,
                statusEvent({ Record_Id__c: '800000000000001', Lifecycle__c: 'Active' })
            );
            await flushPromises();
            expect(text(element, '.lifecycle')).toBe('Lifecycle: Active');
            expect(getStatus).toHaveBeenCalledTimes(2);
        });

        it('ignores an event for another record', async () => {
            getStatus.mockResolvedValue(STATUS);
            const element = mount();
            await flushPromises();
            empApiMock.fireEvent(STATUS_CHANNEL, statusEvent({ Record_Id__c: '006000000000999AAA' }));
            await flushPromises();
            expect(text(element, '.lifecycle')).toBe('Lifecycle: Review');
            expect(element.shadowRoot.querySelector('.last-event')).toBeNull();
            expect(getStatus).toHaveBeenCalledTimes(1);
        });

        it('says live updates are unavailable when empApi is disabled, and still shows the data', async () => {
            getStatus.mockResolvedValue(STATUS);
            empApiMock.setEnabled(false);
            const element = mount();
            await flushPromises();
            expect(subscribe).not.toHaveBeenCalled();
            expect(text(element, '.live-unavailable')).toBe(
                'Live updates are unavailable: The streaming API is not available here. Reload the page to see changes.'
            );
            expect(text(element, '.lifecycle')).toBe('Lifecycle: Review');
            await expectAccessible(element);
        });

        it('says live updates are unavailable when subscribing fails', async () => {
            getStatus.mockResolvedValue(STATUS);
            empApiMock.setSubscribeError(new Error('Handshake denied'));
            const element = mount();
            await flushPromises();
            expect(text(element, '.live-unavailable')).toContain('Handshake denied');
            expect(element.shadowRoot.querySelector('.live-badge')).toBeNull();
        });

        it('says live updates stopped when the streaming connection reports an error', async () => {
            getStatus.mockResolvedValue(STATUS);
            const element = mount();
            await flushPromises();
            empApiMock.fireError({ error: '403::Unknown client' });
            await flushPromises();
            expect(text(element, '.live-unavailable')).toContain('403::Unknown client');
        });
    });
});
