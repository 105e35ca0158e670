import { LightningElement } from 'lwc';
import { ShowToastEvent } from 'lightning/platformShowToastEvent';
import getSyncHealth from '@salesforce/apex/ClmAdminController.getSyncHealth';
import retryItem from '@salesforce/apex/ClmAdminController.retryItem';
import { reduceErrors } from 'c/clmLdsUtils';
import { SYNC_ERROR_RETRYABLE_STATES, SYNC_RESULTS } from 'c/clmContract';

const RETRYABLE = new Set(SYNC_ERROR_RETRYABLE_STATES);

/**
 * Admin view of sync health: linked records by last result, conflicts waiting, and the unresolved
 * errors with the quarantined ones first. Admins with the manage permission retry an item, which
 * publishes a RetryItem request to the connector.
 */
export default class ClmSyncHealth extends LightningElement {
    health;
    error;
    loading = true;
    retrying = new Set();

    connectedCallback() {
        this.load();
    }

    async load() {
        try {
            this.health = await getSyncHealth();
            this.error = undefined;
        } catch (error) {
            this.error = error;
        } finally {
            this.loading = false;
        }
    }

    handleRefresh() {
        this.loading = true;
        this.load();
    }

    async handleRowAction(event) {
        const { action, row } = event.detail;
        if (action.name !== 'retry') return;
        await this.retry(row.Id, row.itemId);
    }

    async retry(errorId, name) {
        this.retrying = new Set([...this.retrying, errorId]);
        try {
            await retryItem({ errorId });
            this.dispatchEvent(
                new ShowToastEvent({
                    title: `Retry requested for ${name}`,
                    message: 'The connector puts the item back in its queue; its state below follows.',
                    variant: 'success'
                })
            );
            await this.load();
        } catch (error) {
            this.dispatchEvent(
                new ShowToastEvent({
                    title: `Could not retry ${name}`,
                    message: reduceErrors(error).join(', '),
                    variant: 'error'
                })
            );
        } finally {
            const remaining = new Set(this.retrying);
            remaining.delete(errorId);
            this.retrying = remaining;
        }
    }

    get hasError() {
        return !this.loading && Boolean(this.error);
    }
    get ready() {
        return !this.loading && !this.error && Boolean(this.health);
    }
    get tiles() {
        const linked = (this.health && this.health.linkedByResult) || {};
        return SYNC_RESULTS.map((result) => {
            const count = ['Opportunity', 'Contract'].reduce(
                (sum, object) => sum + ((linked[object] || {})[result] || 0),
                0
            );
            return {
                key: result,
                label: result,
                count,
                className: `tile tile-${result.toLowerCase()} slds-box slds-box_x-small slds-text-align_center`
            };
        });
    }
    get openConflicts() {
        return (this.health && this.health.openConflicts) || 0;
    }
    get quarantinedCount() {
        return ((this.health && this.health.errorsByStatus) || {}).Quarantined || 0;
    }
    get canManage() {
        return Boolean(this.health && this.health.canManage);
    }
    get rows() {
        return ((this.health && this.health.errors) || []).map((row) => ({
            ...row,
            // The id `sf clm sync errors` shows for the same item (queue:id), and the record it is about.
            itemId: row.Error_Key__c || row.Name,
            recordName: (row.Opportunity__r && row.Opportunity__r.Name) || row.Record_Id__c || '—',
            attempts: row.Attempts__c ?? 0
        }));
    }
    get hasRows() {
        return this.rows.length > 0;
    }
    get columns() {
        const columns = [
            { label: 'Item', fieldName: 'itemId' },
            { label: 'Record', fieldName: 'recordName' },
            { label: 'Status', fieldName: 'Status__c' },
            { label: 'Code', fieldName: 'Code__c' },
            { label: 'Message', fieldName: 'Message__c', wrapText: true },
            { label: 'What to do', fieldName: 'Next_Step__c', wrapText: true },
            { label: 'Attempts', fieldName: 'attempts', type: 'number' },
            {
                label: 'Next retry',
                fieldName: 'Next_Retry_At__c',
                type: 'date',
                typeAttributes: { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }
            },
            { label: 'Correlation id', fieldName: 'Correlation_Id__c' }
        ];
        if (this.canManage) {
            columns.push({
                type: 'button',
                typeAttributes: {
                    label: 'Retry',
                    name: 'retry',
                    variant: 'neutral',
                    disabled: { fieldName: 'retryDisabled' }
                }
            });
        }
        return columns;
    }
    get tableRows() {
        return this.rows.map((row) => ({
            ...row,
            retryDisabled: !RETRYABLE.has(row.Status__c) || this.retrying.has(row.Id)
        }));
    }
}
