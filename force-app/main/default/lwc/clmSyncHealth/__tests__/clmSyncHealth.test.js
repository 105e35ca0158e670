import { createElement } from 'lwc';
import { afterEach, describe, expect, it, vi } from 'vitest';
import ClmSyncHealth from 'c/clmSyncHealth';
import getSyncHealth from '@salesforce/apex/ClmAdminController.getSyncHealth';
import retryItem from '@salesforce/apex/ClmAdminController.retryItem';
import { all, expectAccessible, flushPromises, resetDom, text } from '../../../../../test/lwc/testUtils.js';

vi.mock('@salesforce/apex/ClmAdminController.getSyncHealth', () => ({ default: vi.fn() }));
vi.mock('@salesforce/apex/ClmAdminController.retryItem', () => ({ default: vi.fn() }));

const QUARANTINED = {
    Id: 'a02000000000001AAA',
    Name: 'SE-00001',
    Error_Key__c: 'outbox:7',
    Opportunity__r: { Name: 'Initech TPS' },
    Status__c: 'Quarantined',
    Code__c: 'MAPPING.PICKLIST_VALUE_REJECTED',
    Message__c: 'Stage "Closed Won" has no CLM value.',
    Attempts__c: 5,
    Correlation_Id__c: 'c-1'
};
const RETRY_REQUESTED = {
    ...QUARANTINED,
    Id: 'a02000000000002AAA',
    Name: 'SE-00002',
    Error_Key__c: 'inbox:3',
    Opportunity__r: undefined,
    Record_Id__c: '006000000000003AAA',
    Status__c: 'RetryRequested'
};
const HEALTH = {
    linkedByResult: { Opportunity: { Synced: 10, Error: 1 }, Contract: { Synced: 4, Pending: 2 } },
    errorsByStatus: { Quarantined: 1, RetryRequested: 1 },
    openConflicts: 3,
    errors: [QUARANTINED, RETRY_REQUESTED],
    canManage: true
};

async function mount() {
    const element = createElement('c-clm-sync-health', { is: ClmSyncHealth });
    document.body.appendChild(element);
    await flushPromises();
    return element;
}

describe('c-clm-sync-health', () => {
    afterEach(() => {
        resetDom();
        vi.clearAllMocks();
    });

    it('names the retrying count only while something is being retried', async () => {
        getSyncHealth.mockResolvedValue({ ...HEALTH, errorsByStatus: { Quarantined: 1 } });
        const element = await mount();
        expect(text(element, '.summary')).toBe('3 conflicts wait for review; 1 items are quarantined.');
    });

    it('adds up linked records per result across objects and lists the errors', async () => {
        getSyncHealth.mockResolvedValue(HEALTH);
        const element = await mount();
        const tiles = all(element, '.tiles li').map((li) => [
            li.querySelector('.label').textContent,
            li.querySelector('.count').textContent
        ]);
        expect(tiles).toEqual([
            ['Synced', '14'],
            ['Pending', '2'],
            ['Conflict', '0'],
            ['Error', '1'],
            ['Quarantined', '0']
        ]);
        expect(text(element, '.summary')).toBe(
            '3 conflicts wait for review; 1 items are quarantined; 1 are being retried.'
        );
        expect(text(element, '.connector-unknown')).toBe('The connector has not reported to this org yet.');
        const table = element.shadowRoot.querySelector('lightning-datatable.errors');
        // One id with `sf clm sync errors` (queue:id), and the record's name where the item is about a deal.
        expect(table.data.map((row) => [row.itemId, row.recordName, row.retryDisabled])).toEqual([
            ['outbox:7', 'Initech TPS', false],
            ['inbox:3', '006000000000003AAA', true]
        ]);
        expect(table.columns.slice(0, 2).map((column) => column.fieldName)).toEqual(['itemId', 'recordName']);
        expect(table.columns.at(-1).typeAttributes.name).toBe('retry');
        await expectAccessible(element);
    });

    it('shows what the connector last reported about itself, problems marked', async () => {
        getSyncHealth.mockResolvedValue({
            ...HEALTH,
            connector: {
                running: true,
                heartbeatAt: '2026-12-08T00:40:00.000Z',
                subscriptions: [
                    { channel: '/event/Clm_Sync_Request__e', state: 'subscribed', lastEventAt: null },
                    { channel: '/data/OpportunityChangeEvent', state: 'error', lastEventAt: null }
                ],
                lastEventAt: '2026-12-08T00:39:00.000Z',
                apiUsed: 120,
                apiMax: 15000,
                apiPaused: false,
                clmVendor: 'ironclad',
                clmReachable: false,
                clmFailingSince: '2026-12-08T00:30:00.000Z',
                clmLastError: 'CLM.TRANSIENT'
            }
        });
        const element = await mount();
        const facts = all(element, '.connector-health dd').map((dd) => [
            dd.textContent,
            dd.classList.contains('slds-text-color_error')
        ]);
        expect(facts).toEqual([
            ['Running; last heard Dec 8, 2026, 12:40 AM UTC', false],
            ['1 of 2 channels subscribed', true],
            ['Dec 8, 2026, 12:39 AM UTC', false],
            ['120 of 15000 requests used today', false],
            ['ironclad: not reachable since Dec 8, 2026, 12:30 AM UTC (CLM.TRANSIENT)', true]
        ]);
        await expectAccessible(element);
    });

    it('offers no retry without the manage permission', async () => {
        getSyncHealth.mockResolvedValue({ ...HEALTH, canManage: false });
        const element = await mount();
        const table = element.shadowRoot.querySelector('lightning-datatable.errors');
        expect(table.columns.some((column) => column.type === 'button')).toBe(false);
    });

    it('retries a quarantined item, says so and reloads', async () => {
        getSyncHealth.mockResolvedValue(HEALTH);
        retryItem.mockResolvedValue('req-9');
        const element = await mount();
        const toast = vi.fn();
        element.addEventListener('lightning__showtoast', toast);
        const table = element.shadowRoot.querySelector('lightning-datatable.errors');
        table.dispatchEvent(
            new CustomEvent('rowaction', { detail: { action: { name: 'retry' }, row: table.data[0] } })
        );
        await flushPromises();
        expect(retryItem).toHaveBeenCalledWith({ errorId: QUARANTINED.Id });
        expect(toast.mock.calls[0][0].detail).toMatchObject({
            title: 'Retry requested for outbox:7',
            variant: 'success'
        });
        expect(getSyncHealth).toHaveBeenCalledTimes(2);
    });

    it('shows why a retry was refused', async () => {
        getSyncHealth.mockResolvedValue(HEALTH);
        retryItem.mockRejectedValue({
            body: {
                message:
                    '{"code":"CLM.ACCESS_DENIED","field":"Clm_Manage_Sync","message":"Retrying items needs the admin permission set."}'
            }
        });
        const element = await mount();
        const toast = vi.fn();
        element.addEventListener('lightning__showtoast', toast);
        element.shadowRoot
            .querySelector('lightning-datatable.errors')
            .dispatchEvent(new CustomEvent('rowaction', { detail: { action: { name: 'retry' }, row: QUARANTINED } }));
        await flushPromises();
        expect(toast.mock.calls[0][0].detail).toMatchObject({
            variant: 'error',
            message: 'Retrying items needs the admin permission set.'
        });
    });

    it('says there are no errors when there are none', async () => {
        getSyncHealth.mockResolvedValue({ ...HEALTH, errors: [], errorsByStatus: {}, openConflicts: 0 });
        const element = await mount();
        expect(text(element, '.no-errors')).toBe('No sync errors.');
        expect(element.shadowRoot.querySelector('lightning-datatable')).toBeNull();
        await expectAccessible(element);
    });

    it('shows a load error through the error panel', async () => {
        getSyncHealth.mockRejectedValue(new Error('Network down'));
        const element = await mount();
        expect(text(element.shadowRoot.querySelector('c-clm-error-panel'), '.reason')).toBe('Network down');
        await expectAccessible(element);
    });
});
