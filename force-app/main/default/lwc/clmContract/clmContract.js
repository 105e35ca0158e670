/**
 * The org contract for the components, generated from connector-service/src/domain/orgContract.ts by
 * `npm run generate:metadata`: do not edit.
 */
export const ACTION = Object.freeze({
    Send: 'Send',
    Resync: 'Resync',
    ResolveConflict: 'ResolveConflict',
    RetryItem: 'RetryItem'
});
export const STATUS_KIND = Object.freeze({
    RequestRejected: 'RequestRejected',
    Applied: 'Applied',
    LifecycleChanged: 'LifecycleChanged',
    Conflict: 'Conflict',
    Quarantined: 'Quarantined'
});
export const SYNC_RESULT = Object.freeze({
    Synced: 'Synced',
    Pending: 'Pending',
    Conflict: 'Conflict',
    Error: 'Error',
    Quarantined: 'Quarantined'
});
export const SYNC_RESULTS = Object.freeze(['Synced', 'Pending', 'Conflict', 'Error', 'Quarantined']);
export const RESOLUTION = Object.freeze({
    SalesforceValue: 'SalesforceValue',
    ClmValue: 'ClmValue',
    EditedValue: 'EditedValue'
});
export const CONFLICT_OPEN_STATES = Object.freeze(['Open', 'ResolutionRequested']);
export const SYNC_ERROR_STATE = Object.freeze({
    Retrying: 'Retrying',
    Quarantined: 'Quarantined',
    RetryRequested: 'RetryRequested',
    Resolved: 'Resolved'
});
export const SYNC_ERROR_OPEN_STATES = Object.freeze(['Retrying', 'Quarantined', 'RetryRequested']);
export const SYNC_ERROR_RETRYABLE_STATES = Object.freeze(['Quarantined', 'Retrying']);
