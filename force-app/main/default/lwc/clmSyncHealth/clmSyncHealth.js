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
    get retryingCount() {
        const byStatus = (this.health && this.health.errorsByStatus) || {};
        return (byStatus.Retrying || 0) + (byStatus.RetryRequested || 0);
    }
    /** The counts a person acts on; the retrying count only while something is being retried. */
    get summary() {
        const parts = [
            `${this.openConflicts} conflicts wait for review`,
            `${this.quarantinedCount} items are quarantined`
        ];
        if (this.retryingCount > 0) {
            parts.push(`${this.retryingCount} are being retried`);
        }
        return `${parts.join('; ')}.`;
    }
    get hasConnector() {
        return Boolean(this.health && this.health.connector);
    }
    /** What the connector last reported (its status record), each fact as a person reads it. */
    get connectorFacts() {
        const connector = (this.health && this.health.connector) || {};
        const subscriptions = connector.subscriptions || [];
        const subscribed = subscriptions.filter((subscription) => subscription.state === 'subscribed').length;
        const facts = [
            {
                key: 'running',
                label: 'Connector',
                value: connector.running
                    ? `Running; last heard ${instant(connector.heartbeatAt)}`
                    : `Not running: last heard ${instant(connector.heartbeatAt)}`,
                problem: !connector.running
            },
            {
                key: 'subscriptions',
                label: 'Subscriptions',
                value: `${subscribed} of ${subscriptions.length} channels subscribed`,
                problem: subscribed < subscriptions.length
            },
            { key: 'last-event', label: 'Last event', value: instant(connector.lastEventAt) },
            {
                key: 'api-budget',
                label: 'API budget',
                value:
                    connector.apiMax > 0
                        ? `${connector.apiUsed} of ${connector.apiMax} requests used today${connector.apiPaused ? '; paused to spare the rest' : ''}`
                        : 'Not known yet',
                problem: Boolean(connector.apiPaused)
            },
            {
                key: 'clm',
                label: 'CLM',
                value: connector.clmReachable
                    ? `${connector.clmVendor}: reachable`
                    : `${connector.clmVendor}: not reachable since ${instant(connector.clmFailingSince)} (${connector.clmLastError})`,
                problem: !connector.clmReachable
            }
        ];
        return facts.map((fact) => ({
            ...fact,
            labelKey: `${fact.key}-label`,
            className: `slds-dl_horizontal__detail ${fact.key}${fact.problem ? ' slds-text-color_error' : ''}`
        }));
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

const INSTANT = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

function instant(iso) {
    return iso ? `${INSTANT.format(new Date(iso))} UTC` : 'never';
}
