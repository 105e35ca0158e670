import { LightningElement, api } from 'lwc';
import { CloseActionScreenEvent } from 'lightning/actions';
import { ShowToastEvent } from 'lightning/platformShowToastEvent';
import previewSend from '@salesforce/apex/ClmSendController.previewSend';
import sendToClm from '@salesforce/apex/ClmSendController.sendToClm';
import { ACTION } from 'c/clmContract';

/**
 * The rep's "Send to CLM" quick action on an Opportunity or the primary CPQ quote. It first shows
 * what would be sent and every reason it cannot be sent yet (nothing is written anywhere), then
 * sends and shows the outcome. The CLM's answer arrives later as a status event on the page.
 */
export default class ClmSendToClm extends LightningElement {
    @api objectApiName;

    preview;
    error;
    outcome;
    loading = false;
    sending = false;
    _recordId;

    /** Quick actions receive the record id after construction, so loading starts when it arrives. */
    @api
    get recordId() {
        return this._recordId;
    }
    set recordId(value) {
        const changed = value !== this._recordId;
        this._recordId = value;
        if (value && changed) this.loadPreview();
    }

    async loadPreview() {
        this.loading = true;
        this.error = undefined;
        try {
            this.preview = await previewSend({ recordId: this._recordId });
        } catch (error) {
            this.error = error;
        } finally {
            this.loading = false;
        }
    }

    async handleSend() {
        this.sending = true;
        this.error = undefined;
        try {
            const outcome = await sendToClm({ recordId: this._recordId });
            this.outcome = outcome;
            if (outcome.status === 'Sent') {
                this.dispatchEvent(
                    new ShowToastEvent({
                        title: 'Sent to the CLM',
                        message: 'The CLM is creating the contract; its status appears on the record.',
                        variant: 'success'
                    })
                );
            } else {
                this.preview = { ...this.preview, issues: outcome.issues, canSend: false };
            }
        } catch (error) {
            this.error = error;
        } finally {
            this.sending = false;
        }
    }

    handleClose() {
        this.dispatchEvent(new CloseActionScreenEvent());
    }

    get headerLabel() {
        return this.preview && this.preview.action === ACTION.Resync ? 'Send changes to the CLM' : 'Send to CLM';
    }
    get hasError() {
        return Boolean(this.error);
    }
    get showPreview() {
        return Boolean(this.preview) && !this.sent;
    }
    get fields() {
        return ((this.preview && this.preview.fields) || []).map((field) => ({
            ...field,
            key: field.field,
            displayValue: field.value === null || field.value === undefined || field.value === '' ? '—' : field.value
        }));
    }
    get hasFields() {
        return this.fields.length > 0;
    }
    get issues() {
        return ((this.preview && this.preview.issues) || []).map((issue) => ({
            ...issue,
            key: `${issue.code}:${issue.field}`
        }));
    }
    get hasIssues() {
        return this.issues.length > 0;
    }
    get issueCount() {
        return this.issues.length;
    }
    get sent() {
        return Boolean(this.outcome && this.outcome.status === 'Sent');
    }
    get sendDisabled() {
        return this.loading || this.sending || this.sent || !this.preview || !this.preview.canSend;
    }
    get sendLabel() {
        return this.sending ? 'Sending…' : 'Send';
    }
    get isResync() {
        return Boolean(this.preview && this.preview.action === ACTION.Resync);
    }
}
