/**
 * What the org hears of a failing item, so the page tells the truth while it fails: the Clm_Sync_Error__c row is
 * written at the first failure (Retrying, with the attempts, the next retry and the reason), updated at each
 * attempt, moved to Quarantined when retries run out or no retry can fix the error (with what a person should do),
 * and to Resolved when the item goes through. One row per queue item, keyed by `syncErrorKey` (the id
 * `sf clm sync errors` shows).
 */
import {
    quarantinedErrorRecord,
    retryingErrorRecord,
    syncErrorKey,
    syncErrorStatusRecord,
    type ConnectorError,
    type RecordUpsert
} from '../domain/index.ts';
import type { InboxItem, OutboxItem, QueueName } from '../ports/store.ts';

const SALESFORCE_ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

/** The deal a queue item is about (its ordering key is `opp:<Opportunity id>`), when it is one. */
export function dealOf(item: InboxItem | OutboxItem): string | null {
    const id = item.orderingKey.startsWith('opp:') ? item.orderingKey.slice(4) : null;
    return id && SALESFORCE_ID.test(id) ? id : null;
}

/** What a person should do about an error, by its code (never by its text). */
export function nextStepFor(error: Pick<ConnectorError, 'code' | 'details'>, retryable: boolean): string {
    const state = typeof error.details.state === 'string' ? error.details.state : null;
    const field = typeof error.details.field === 'string' ? error.details.field : null;
    if (error.code === 'CLM.NOT_WRITABLE_IN_STATE')
        return `The CLM refuses changes while the contract is ${state ?? 'in its current state'}: make the change in the CLM (or start an amendment there). Retrying will not help.`;
    if (error.code.startsWith('CLM.VALIDATION') || error.code.startsWith('TRANSFORM.'))
        return `The CLM refused the value${field ? ` of ${field}` : ''}: correct it on the record and send again.`;
    if (error.code.startsWith('SF.'))
        return 'Salesforce refused the write (a validation rule, access or a required field): fix the record or the rule, then Retry.';
    if (error.code === 'CLM.AUTH')
        return 'The CLM refused the connector’s credentials: an admin renews them, then Retry.';
    if (retryable)
        return 'The CLM did not answer in time. The connector keeps trying; once the CLM is reachable again, Retry.';
    return 'An admin looks at the error and Retries once its cause is fixed.';
}

interface Failure {
    queue: QueueName;
    item: InboxItem | OutboxItem;
    error: ConnectorError;
    /** ISO instant of the attempt. */
    at: string;
}

function errorInput(failure: Failure, retryable: boolean) {
    const { queue, item, error } = failure;
    const dealId = dealOf(item);
    return {
        key: syncErrorKey(queue, item.id),
        code: error.code,
        message: error.message,
        correlationId: item.correlationId,
        attempts: item.attempts,
        objectApiName: item.objectType,
        recordId: dealId,
        opportunityId: dealId,
        lastAttemptAt: failure.at,
        nextStep: nextStepFor(error, retryable)
    };
}

/** The error row while the connector retries by itself: attempts so far, the next retry (ISO) and why. */
export function retryingReport(failure: Failure & { nextRetryAt: string }): RecordUpsert {
    return retryingErrorRecord({ ...errorInput(failure, true), nextRetryAt: failure.nextRetryAt });
}

/** The error row once the item waits for a person. */
export function quarantinedReport(failure: Failure, retryable: boolean): RecordUpsert {
    return quarantinedErrorRecord(errorInput(failure, retryable));
}

/** The item went through after failing: its error row is Resolved. */
export function resolvedReport(queue: QueueName, item: InboxItem | OutboxItem): RecordUpsert {
    return syncErrorStatusRecord(syncErrorKey(queue, item.id), 'Resolved');
}

/** A write of one of these reports, or of what goes with them: its failure must not make another report. */
export function isFailureReport(item: InboxItem | OutboxItem): boolean {
    return 'idempotencyKey' in item && item.idempotencyKey.startsWith('error:');
}
