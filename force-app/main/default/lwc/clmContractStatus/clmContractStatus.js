import { LightningElement, api } from 'lwc';
import { subscribe, unsubscribe, onError, isEmpEnabled } from 'lightning/empApi';
import getStatus from '@salesforce/apex/ClmStatusController.getStatus';
import { ACTION, SYNC_ERROR_STATE, SYNC_RESULT } from 'c/clmContract';

/** The connector's status event; every change it applies or every lifecycle move is announced here. */
export const STATUS_CHANNEL = '/event/Clm_Sync_Status__e';
/** The rep's request to the connector: the card says "Sending…" the moment one about this record is published. */
export const REQUEST_CHANNEL = '/event/Clm_Sync_Request__e';
const SENDING_ACTIONS = [ACTION.Send, ACTION.Resync];

/** The lifecycle path a contract normally walks; other stages are shown as a badge beside it. */
export const LIFECYCLE_PATH = [
    { value: 'Draft', label: 'Draft' },
    { value: 'InReview', label: 'Review' },
    { value: 'PendingApproval', label: 'Approval' },
    { value: 'Approved', label: 'Approved' },
    { value: 'OutForSignature', label: 'Signature' },
    { value: 'Signed', label: 'Signed' },
    { value: 'Active', label: 'Active' }
];
export const OFF_PATH = {
    Amended: 'Amended',
    Expired: 'Expired',
    Terminated: 'Terminated',
    Cancelled: 'Cancelled',
    OnHold: 'On hold',
    Unknown: 'Unknown'
};
export const SIGNATURE = {
    None: { percent: 0, label: 'Not sent for signature' },
    Sent: { percent: 33, label: 'Sent for signature' },
    PartiallySigned: { percent: 66, label: 'Partially signed' },
    FullySigned: { percent: 100, label: 'Fully signed' },
    Declined: { percent: 0, label: 'Signature declined', problem: true },
    Voided: { percent: 0, label: 'Signature voided', problem: true }
};
const HEALTH = {
    NotLinked: { label: 'Not sent to the CLM', className: 'slds-badge' },
    Healthy: { label: 'In sync', className: 'slds-badge slds-theme_success' },
    Pending: { label: 'Sending…', className: 'slds-badge slds-theme_info' },
    Waiting: { label: 'Waiting to retry', className: 'slds-badge slds-theme_warning' },
    Attention: { label: 'Needs review', className: 'slds-badge slds-theme_warning' },
    Failing: { label: 'Sync failing', className: 'slds-badge slds-theme_error' }
};
const AUTOMATION_LABELS = {
    CloseWon: 'Moved to Closed Won on signature.',
    Renewal: 'Renewal opportunity created:'
};
const FIELD_LABELS = {
    CLM_Lifecycle__c: 'Lifecycle',
    CLM_Signature_Status__c: 'Signature',
    CLM_Expiration_Date__c: 'Expiration date',
    CLM_Executed_Date__c: 'Executed date',
    CLM_Notice_Deadline__c: 'Notice deadline',
    CLM_Contract_Value__c: 'Contract value',
    CLM_Auto_Renew__c: 'Auto-renew',
    CLM_Renewal_Term_Months__c: 'Renewal term',
    StartDate: 'Start date',
    ContractTerm: 'Term',
    EndDate: 'End date',
    StageName: 'Stage',
    SpecialTerms: 'Special terms'
};

/**
 * Legal's view of the contract on an Opportunity or Contract page. It loads through
 * ClmStatusController.getStatus and then follows the connector's status events live (empApi):
 * subscribe when shown, unsubscribe when removed, ignore events about other records, and say so
 * plainly when live updates are unavailable.
 */
export default class ClmContractStatus extends LightningElement {
    @api recordId;
    @api objectApiName;

    status;
    error;
    loading = true;
    liveState = 'connecting';
    liveProblem;
    lastEventAt;
    lastEventMessage;
    subscriptions = [];
    /** A Send or Resync about this record is on its way and the connector has not answered yet. */
    sending = false;
    removed = false;

    connectedCallback() {
        this.removed = false;
        this.load();
        this.startLiveUpdates();
    }

    disconnectedCallback() {
        this.removed = true;
        this.subscriptions.forEach((subscription) => unsubscribe(subscription));
        this.subscriptions = [];
    }

    /**
     * Loads the status; `announced` holds what a status event just said, kept where the reload does not have it yet
     * (an event may be delivered before the write it announces is visible to a query).
     */
    async load(announced = {}) {
        try {
            const loaded = await getStatus({ recordId: this.recordId });
            this.status = loaded && {
                ...loaded,
                clmContractId: announced.clmContractId || loaded.clmContractId,
                lifecycle: announced.lifecycle || loaded.lifecycle,
                signatureStatus: announced.signatureStatus || loaded.signatureStatus
            };
            this.error = undefined;
        } catch (error) {
            this.error = error;
        } finally {
            this.loading = false;
        }
    }

    async startLiveUpdates() {
        try {
            const enabled = await isEmpEnabled();
            if (!enabled) {
                this.liveState = 'unavailable';
                this.liveProblem = 'The streaming API is not available here.';
                return;
            }
            onError((error) => {
                this.liveState = 'unavailable';
                this.liveProblem = (error && (error.error || error.message)) || 'The streaming connection failed.';
            });
            const subscriptions = await Promise.all([
                subscribe(STATUS_CHANNEL, -1, (message) => this.handleStatusEvent(message)),
                subscribe(REQUEST_CHANNEL, -1, (message) => this.handleRequestEvent(message))
            ]);
            if (this.removed) {
                subscriptions.forEach((subscription) => unsubscribe(subscription));
                return;
            }
            this.subscriptions = subscriptions;
            this.liveState = 'live';
        } catch (error) {
            this.liveState = 'unavailable';
            this.liveProblem = (error && (error.message || error.error)) || 'Subscribing to status events failed.';
        }
    }

    /** A send or resync of this record was published: say so at once, until the connector answers. */
    handleRequestEvent(message) {
        const payload = message && message.data && message.data.payload;
        if (!payload || !this.isAboutThisRecord(payload.Record_Id__c)) return;
        if (SENDING_ACTIONS.includes(payload.Action__c)) this.sending = true;
    }

    /** Applies an event about this record (or its Contract) at once, then reloads the details. */
    handleStatusEvent(message) {
        const payload = message && message.data && message.data.payload;
        if (!payload || !this.isAboutThisRecord(payload.Record_Id__c)) return;
        this.sending = false;
        const current = this.status || {};
        this.status = {
            ...current,
            clmContractId: payload.Clm_Contract_Id__c || current.clmContractId,
            lifecycle: payload.Lifecycle__c || current.lifecycle,
            signatureStatus: payload.Signature_Status__c || current.signatureStatus,
            lastSyncResult: payload.Sync_Result__c || current.lastSyncResult,
            noticeDeadline: payload.Notice_Deadline__c || current.noticeDeadline,
            expirationDate: payload.Expiration_Date__c || current.expirationDate,
            lastSync: payload.Occurred_At__c || current.lastSync,
            health: healthAfter(payload.Sync_Result__c, current.health)
        };
        this.lastEventAt = payload.Occurred_At__c || new Date().toISOString();
        this.lastEventMessage = payload.Message__c;
        const announced = {
            clmContractId: payload.Clm_Contract_Id__c,
            lifecycle: payload.Lifecycle__c,
            signatureStatus: payload.Signature_Status__c
        };
        this.load(announced);
        // The connector announces a change in the same call as its writes: read once more for what they bring.
        // eslint-disable-next-line @lwc/lwc/no-async-operation
        setTimeout(() => {
            if (!this.removed) this.load(announced);
        }, 2000);
    }

    isAboutThisRecord(recordId) {
        if (!recordId) return false;
        // On a quote's page the status is its deal's: events about the deal, its Contract or the quote all count.
        const ids = [this.recordId, this.status && this.status.recordId, this.status && this.status.contractId]
            .filter(Boolean)
            .map((id) => id.slice(0, 15));
        return ids.includes(String(recordId).slice(0, 15));
    }

    get hasError() {
        return !this.loading && Boolean(this.error);
    }
    get isLinked() {
        return Boolean(this.status && (this.status.clmContractId || this.status.lastSyncResult));
    }
    get notLinked() {
        return !this.loading && !this.error && !this.isLinked && !this.sending;
    }
    /** Sent for the first time: nothing to show yet but that it is on its way. */
    get sendingFirstTime() {
        return !this.loading && !this.error && !this.isLinked && this.sending;
    }
    get showDetails() {
        return !this.loading && !this.error && this.isLinked;
    }
    get pathSteps() {
        return LIFECYCLE_PATH;
    }
    get currentStep() {
        return this.status && LIFECYCLE_PATH.some((step) => step.value === this.status.lifecycle)
            ? this.status.lifecycle
            : undefined;
    }
    get lifecycleLabel() {
        const lifecycle = this.status && this.status.lifecycle;
        if (!lifecycle) return 'Unknown';
        const step = LIFECYCLE_PATH.find((entry) => entry.value === lifecycle);
        return step ? step.label : OFF_PATH[lifecycle] || lifecycle;
    }
    get offPathLifecycle() {
        const lifecycle = this.status && this.status.lifecycle;
        return lifecycle && !LIFECYCLE_PATH.some((step) => step.value === lifecycle)
            ? OFF_PATH[lifecycle] || lifecycle
            : undefined;
    }
    get signature() {
        return SIGNATURE[(this.status && this.status.signatureStatus) || 'None'] || SIGNATURE.None;
    }
    get signaturePercent() {
        return this.signature.percent;
    }
    get signatureLabel() {
        return this.signature.label;
    }
    get signatureProblem() {
        return Boolean(this.signature.problem);
    }
    get health() {
        if (this.sending) return HEALTH.Pending;
        return HEALTH[(this.status && this.status.health) || 'NotLinked'] || HEALTH.NotLinked;
    }
    get healthLabel() {
        return this.health.label;
    }
    get healthClass() {
        return this.health.className;
    }
    get provenance() {
        return ((this.status && this.status.provenance) || []).map((entry) => ({
            key: entry.field,
            label: FIELD_LABELS[entry.field] || entry.field,
            side: entry.writtenBy === 'Clm' ? 'CLM' : 'Salesforce',
            writtenAt: entry.writtenAt
        }));
    }
    get hasProvenance() {
        return this.provenance.length > 0;
    }
    get quoteLines() {
        return ((this.status && this.status.quoteLines) || []).map((line, index) => ({
            ...line,
            key: `line-${index}`
        }));
    }
    get hasQuoteLines() {
        return this.quoteLines.length > 0;
    }
    get automations() {
        return ((this.status && this.status.automations) || []).map((run, index) => ({
            key: `${run.automation}:${run.resultId || index}`,
            label: AUTOMATION_LABELS[run.automation] || run.automation,
            resultName: run.resultName,
            url:
                run.automation === 'Renewal' && run.resultId && run.resultName
                    ? `/lightning/r/Opportunity/${run.resultId}/view`
                    : undefined
        }));
    }
    get hasAutomations() {
        return this.automations.length > 0;
    }
    get conflicts() {
        return ((this.status && this.status.openConflicts) || []).map((conflict) => ({
            id: conflict.Id,
            label: `${FIELD_LABELS[conflict.Field__c] || conflict.Field__c}: Salesforce "${conflict.Salesforce_Value__c ?? ''}" vs CLM "${conflict.Clm_Value__c ?? ''}"`
        }));
    }
    get conflictCount() {
        return this.conflicts.length;
    }
    get hasConflicts() {
        return this.conflictCount > 0;
    }
    get errorCount() {
        return ((this.status && this.status.openErrors) || []).length;
    }
    get hasOpenErrors() {
        return this.errorCount > 0;
    }
    /** Items the connector tries again: that the request waits, why, and until when. */
    get retryingItems() {
        return this.openErrorsIn([SYNC_ERROR_STATE.Retrying, SYNC_ERROR_STATE.RetryRequested]).map((error) => ({
            key: error.Id || error.Error_Key__c,
            summary:
                error.Status__c === SYNC_ERROR_STATE.RetryRequested
                    ? 'A retry was requested; the connector picks it up shortly.'
                    : `Waiting for the CLM: attempt ${error.Attempts__c || 1} failed.`,
            reason: reasonOf(error),
            nextRetryAt: error.Next_Retry_At__c
        }));
    }
    /** Items that failed for good or that no retry can fix: the reason and what to do. */
    get failedItems() {
        return this.openErrorsIn([SYNC_ERROR_STATE.Quarantined]).map((error) => ({
            key: error.Id || error.Error_Key__c,
            summary: `The change could not be synced (${error.Error_Key__c}).`,
            reason: reasonOf(error),
            nextStep: error.Next_Step__c || 'An admin retries it from CLM Sync once its cause is fixed.'
        }));
    }
    openErrorsIn(states) {
        return ((this.status && this.status.openErrors) || []).filter((error) => states.includes(error.Status__c));
    }
    get isLive() {
        return this.liveState === 'live';
    }
    get liveUnavailable() {
        return this.liveState === 'unavailable';
    }
    get keyDates() {
        const status = this.status || {};
        return [
            { key: 'executed-date', label: 'Executed', value: status.executedDate },
            { key: 'expiration-date', label: 'Expires', value: status.expirationDate },
            { key: 'notice-deadline', label: 'Notice deadline', value: status.noticeDeadline }
        ].map((entry) => ({
            ...entry,
            labelKey: `${entry.key}-label`,
            className: `slds-dl_horizontal__detail ${entry.key}`
        }));
    }
    get hasValue() {
        return this.status && this.status.contractValue !== null && this.status.contractValue !== undefined;
    }
    get autoRenewLabel() {
        if (!this.status || this.status.autoRenew === null || this.status.autoRenew === undefined) return '—';
        return this.status.autoRenew
            ? `Yes${this.status.renewalTermMonths ? `, ${this.status.renewalTermMonths} months` : ''}`
            : 'No';
    }
}

function reasonOf(error) {
    return [error.Code__c, error.Message__c].filter(Boolean).join(': ');
}

function healthAfter(syncResult, previous) {
    switch (syncResult) {
        case SYNC_RESULT.Synced:
            // A problem clears when the reload says so (its error or conflict record closed), not on any success.
            return previous === 'Failing' || previous === 'Attention' || previous === 'Waiting' ? previous : 'Healthy';
        case SYNC_RESULT.Pending:
            return 'Pending';
        case SYNC_RESULT.Conflict:
            return 'Attention';
        case SYNC_RESULT.Error:
        case SYNC_RESULT.Quarantined:
            return 'Failing';
        default:
            return previous;
    }
}
