import { LightningElement } from 'lwc';
import { ShowToastEvent } from 'lightning/platformShowToastEvent';
import getConflictQueue from '@salesforce/apex/ClmAdminController.getConflictQueue';
import resolveConflict from '@salesforce/apex/ClmAdminController.resolveConflict';
import { parseError } from 'c/clmLdsUtils';
import { RESOLUTION } from 'c/clmContract';

/**
 * The conflict queue: each field changed on both sides, the two values side by side with when each
 * changed. Keep one side or enter another value; the decision goes to the connector as a
 * ResolveConflict request and the conflict leaves the queue.
 */
export default class ClmConflictQueue extends LightningElement {
    conflicts;
    error;
    loading = true;
    editingId;
    editedValue = '';
    rowErrors = {};
    busyId;

    connectedCallback() {
        this.load();
    }

    async load() {
        try {
            this.conflicts = await getConflictQueue();
            this.error = undefined;
        } catch (error) {
            this.error = error;
        } finally {
            this.loading = false;
        }
    }

    /** Keep one side's value: the button says which (SalesforceValue or ClmValue). */
    handleKeep(event) {
        this.decide(event.target.dataset.id, event.target.dataset.resolution);
    }
    handleEdit(event) {
        const conflict = this.conflicts.find((row) => row.Id === event.target.dataset.id);
        this.editingId = conflict.Id;
        this.editedValue = conflict.Salesforce_Value__c || '';
    }
    handleEditedValue(event) {
        this.editedValue = event.detail.value;
    }
    handleCancelEdit() {
        this.editingId = undefined;
    }
    handleSaveEdit(event) {
        this.decide(event.target.dataset.id, RESOLUTION.EditedValue, this.editedValue);
    }

    async decide(conflictId, resolution, editedValue = null) {
        this.busyId = conflictId;
        this.rowErrors = { ...this.rowErrors, [conflictId]: undefined };
        try {
            await resolveConflict({ conflictId, resolution, editedValue });
            this.conflicts = this.conflicts.filter((row) => row.Id !== conflictId);
            this.editingId = undefined;
            this.dispatchEvent(new ShowToastEvent({ title: 'Decision sent to the connector', variant: 'success' }));
        } catch (error) {
            this.rowErrors = { ...this.rowErrors, [conflictId]: parseError(error).message };
        } finally {
            this.busyId = undefined;
        }
    }

    get hasError() {
        return !this.loading && Boolean(this.error);
    }
    get ready() {
        return !this.loading && !this.error && Array.isArray(this.conflicts);
    }
    get isEmpty() {
        return this.ready && this.conflicts.length === 0;
    }
    get count() {
        return (this.conflicts || []).length;
    }
    get rows() {
        return (this.conflicts || []).map((conflict) => ({
            ...conflict,
            heading: `${conflict.Name}: ${conflict.Object_Api_Name__c}.${conflict.Field__c}`,
            editing: conflict.Id === this.editingId,
            busy: conflict.Id === this.busyId,
            rowError: this.rowErrors[conflict.Id],
            editLabel: `Value to keep for ${conflict.Field__c}`,
            sides: [
                side(
                    'salesforce',
                    'Salesforce',
                    conflict.Salesforce_Value__c,
                    conflict.Salesforce_Changed_At__c,
                    RESOLUTION.SalesforceValue
                ),
                side('clm', 'CLM', conflict.Clm_Value__c, conflict.Clm_Changed_At__c, RESOLUTION.ClmValue)
            ]
        }));
    }
}

function side(key, label, value, changedAt, resolution) {
    return {
        key,
        label,
        value,
        changedAt,
        resolution,
        keepLabel: `Keep ${label} value`,
        className: `slds-col slds-size_1-of-2 side ${key}-side`,
        buttonClass: `keep-${key} slds-m-top_x-small`
    };
}
