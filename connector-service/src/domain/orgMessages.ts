/**
 * The connector's side of the org contract (orgContract.ts): the keys of its records, and the builders and parsers
 * of the request and status events and of the records it upserts. Every value comes from the contract's definitions.
 */
import { ConnectorError } from './errors.ts';
import {
    CONFLICT_RECORD,
    CONFLICT_RESOLUTIONS,
    type ConflictResolutionChoice,
    type ConflictState,
    type EventDefinition,
    PROVENANCE_RECORD,
    type ProvenanceWriter,
    type RecordDefinition,
    REQUEST_ACTIONS,
    SENDABLE_OBJECTS,
    type SendableObject,
    STATUS_KINDS,
    type StatusKind,
    SYNC_ERROR_RECORD,
    SYNC_REQUEST_EVENT,
    SYNC_RESULTS,
    SYNC_STATUS_EVENT,
    type SyncErrorState,
    type SyncResult,
    valueNames
} from './orgContract.ts';

// ------------------------------------------------------------------------------------------ keys

/** `pairId/rule/eventId`: the org sends it back with a decision (a pair id holds a colon, so the separator is /). */
export function conflictKey(pairId: string, rule: string, eventId: string): string {
    return `${pairId}/${rule}/${eventId}`.slice(0, 128);
}

export function parseConflictKey(key: string): { pairId: string; rule: string } | null {
    const [pairId, rule] = key.split('/');
    return pairId && rule ? { pairId, rule } : null;
}

/** `inbox:12` / `outbox:7`: the queue item a sync error is about. */
export function syncErrorKey(queue: 'inbox' | 'outbox', id: number): string {
    return `${queue}:${id}`;
}

export function parseSyncErrorKey(key: string): { queue: 'inbox' | 'outbox'; id: number } | null {
    const match = /^(inbox|outbox):(\d+)$/.exec(key);
    return match ? { queue: match[1] as 'inbox' | 'outbox', id: Number(match[2]) } : null;
}

export function provenanceKey(recordId: string, field: string): string {
    return `${recordId}:${field}`.slice(0, 128);
}

// ------------------------------------------------------------------------------------------ requests

export type SyncRequest =
    | {
          action: 'Send' | 'Resync';
          requestId: string;
          recordId: string;
          objectApiName: SendableObject;
          requestedBy?: string;
      }
    | {
          action: 'ResolveConflict';
          requestId: string;
          conflictKey: string;
          conflictId?: string;
          resolution: ConflictResolutionChoice;
          value: string | null;
          field?: string;
          requestedBy?: string;
      }
    | { action: 'RetryItem'; requestId: string; errorKey: string; errorId?: string; requestedBy?: string };

export type EventFields = Record<string, string | null>;

function invalid(field: string, message: string): ConnectorError {
    return new ConnectorError('ORG.INVALID_REQUEST', `${SYNC_REQUEST_EVENT.name}.${field}: ${message}`, {
        field,
        retryable: false
    });
}

function fit(definition: EventDefinition, fields: Record<string, string | null | undefined>): EventFields {
    const out: EventFields = {};
    for (const [name, value] of Object.entries(fields)) {
        const field = definition.fields[name];
        if (!field)
            throw new ConnectorError('ORG.UNKNOWN_FIELD', `${definition.name} has no field ${name}`, { field: name });
        if (value === undefined) continue;
        out[name] = value !== null && field.length !== undefined ? value.slice(0, field.length) : value;
    }
    return out;
}

/** The event the org publishes for a request (the Apex builds the same with ClmContract's names). */
export function syncRequestFields(request: SyncRequest): EventFields {
    const common = {
        Action__c: request.action,
        Request_Id__c: request.requestId,
        Requested_By__c: request.requestedBy
    };
    switch (request.action) {
        case 'Send':
        case 'Resync':
            return fit(SYNC_REQUEST_EVENT, {
                ...common,
                Record_Id__c: request.recordId,
                Object_Api_Name__c: request.objectApiName
            });
        case 'ResolveConflict':
            return fit(SYNC_REQUEST_EVENT, {
                ...common,
                Subject_Id__c: request.conflictId,
                Subject_Key__c: request.conflictKey,
                Payload__c: JSON.stringify({
                    resolution: request.resolution,
                    value: request.value,
                    field: request.field
                })
            });
        case 'RetryItem':
            return fit(SYNC_REQUEST_EVENT, {
                ...common,
                Subject_Id__c: request.errorId,
                Subject_Key__c: request.errorKey
            });
    }
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** A Clm_Sync_Request__e as the org published it; a request the contract does not know is a coded error. */
export function parseSyncRequest(fields: Record<string, unknown>, fallbackRequestId: string): SyncRequest {
    const action = str(fields.Action__c);
    if (!action || !(action in REQUEST_ACTIONS)) throw invalid('Action__c', `unknown action ${String(action)}`);
    const requestId = str(fields.Request_Id__c) ?? fallbackRequestId;
    const requestedBy = str(fields.Requested_By__c);
    const by = requestedBy ? { requestedBy } : {};
    if (action === 'Send' || action === 'Resync') {
        const recordId = str(fields.Record_Id__c);
        if (!recordId || recordId.length < 15) throw invalid('Record_Id__c', 'a record id is required');
        const objectApiName = str(fields.Object_Api_Name__c) ?? 'Opportunity';
        if (!(objectApiName in SENDABLE_OBJECTS))
            throw invalid('Object_Api_Name__c', `${objectApiName} records cannot be sent`);
        return { action, requestId, recordId, objectApiName: objectApiName as SendableObject, ...by };
    }
    const subjectKey = str(fields.Subject_Key__c);
    if (!subjectKey) throw invalid('Subject_Key__c', 'the subject key is required');
    const subjectId = str(fields.Subject_Id__c);
    if (action === 'RetryItem')
        return { action, requestId, errorKey: subjectKey, ...(subjectId ? { errorId: subjectId } : {}), ...by };
    let decision: { resolution?: unknown; value?: unknown; field?: unknown };
    try {
        decision = JSON.parse(str(fields.Payload__c) ?? '{}') as typeof decision;
    } catch {
        throw invalid('Payload__c', 'not JSON');
    }
    const resolution = typeof decision.resolution === 'string' ? decision.resolution : '';
    if (!(resolution in CONFLICT_RESOLUTIONS))
        throw invalid('Payload__c', `resolution must be one of ${valueNames(CONFLICT_RESOLUTIONS)}`);
    return {
        action: 'ResolveConflict',
        requestId,
        conflictKey: subjectKey,
        ...(subjectId ? { conflictId: subjectId } : {}),
        resolution: resolution as ConflictResolutionChoice,
        value: decision.value === undefined || decision.value === null ? null : String(decision.value),
        ...(typeof decision.field === 'string' ? { field: decision.field } : {}),
        ...by
    };
}

// ------------------------------------------------------------------------------------------ status events

export interface StatusEvent {
    kind: StatusKind;
    result: SyncResult;
    recordId: string | null;
    objectApiName: string | null;
    correlationId: string;
    eventKey: string;
    requestId?: string;
    message?: string;
    clmContractId?: string;
    lifecycle?: string | null;
    signatureStatus?: string | null;
    expirationDate?: string | null;
    noticeDeadline?: string | null;
    occurredAt?: string | null;
}

export function statusEventFields(status: StatusEvent): EventFields {
    return fit(SYNC_STATUS_EVENT, {
        Kind__c: status.kind,
        Sync_Result__c: status.result,
        Record_Id__c: status.recordId,
        Object_Api_Name__c: status.objectApiName,
        Correlation_Id__c: status.correlationId,
        Event_Key__c: status.eventKey,
        Request_Id__c: status.requestId,
        Message__c: status.message,
        Clm_Contract_Id__c: status.clmContractId,
        Lifecycle__c: status.lifecycle,
        Signature_Status__c: status.signatureStatus,
        Expiration_Date__c: status.expirationDate,
        Notice_Deadline__c: status.noticeDeadline,
        Occurred_At__c: status.occurredAt
    });
}

/** A status event as the org receives it (tests of the org's listeners read what the connector published). */
export function parseStatusEvent(fields: Record<string, unknown>): StatusEvent {
    const kind = str(fields.Kind__c);
    const result = str(fields.Sync_Result__c);
    if (!kind || !(kind in STATUS_KINDS))
        throw new ConnectorError('ORG.INVALID_STATUS', `Kind__c: unknown kind ${String(kind)}`, { field: 'Kind__c' });
    if (!result || !(result in SYNC_RESULTS))
        throw new ConnectorError('ORG.INVALID_STATUS', `Sync_Result__c: unknown result ${String(result)}`, {
            field: 'Sync_Result__c'
        });
    const opt = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : null);
    return {
        kind: kind as StatusKind,
        result: result as SyncResult,
        recordId: opt('Record_Id__c'),
        objectApiName: opt('Object_Api_Name__c'),
        correlationId: opt('Correlation_Id__c') ?? '',
        eventKey: opt('Event_Key__c') ?? '',
        ...(opt('Request_Id__c') ? { requestId: opt('Request_Id__c')! } : {}),
        ...(opt('Message__c') ? { message: opt('Message__c')! } : {}),
        ...(opt('Clm_Contract_Id__c') ? { clmContractId: opt('Clm_Contract_Id__c')! } : {}),
        lifecycle: opt('Lifecycle__c'),
        signatureStatus: opt('Signature_Status__c'),
        expirationDate: opt('Expiration_Date__c'),
        noticeDeadline: opt('Notice_Deadline__c'),
        occurredAt: opt('Occurred_At__c')
    };
}

// ------------------------------------------------------------------------------------------ records

export type RecordValue = string | number | boolean | null;

/** An upsert of one of the contract's records by its key. */
export interface RecordUpsert {
    sfObject: string;
    externalId: { field: string; value: string };
    fields: Record<string, RecordValue>;
}

function upsert(definition: RecordDefinition<string>, key: string, fields: Record<string, RecordValue>): RecordUpsert {
    for (const name of Object.keys(fields)) {
        if (!definition.fields.includes(name))
            throw new ConnectorError('ORG.UNKNOWN_FIELD', `${definition.name} has no field ${name} in the contract`, {
                field: name
            });
    }
    return { sfObject: definition.name, externalId: { field: definition.key, value: key }, fields };
}

export interface ConflictRecordInput {
    key: string;
    rule: string;
    sfObject: string;
    sfField: string;
    clmField: string;
    salesforceValue: string | null;
    clmValue: string | null;
    salesforceChangedAt: string | null;
    clmChangedAt: string | null;
    recordId: string | null;
    opportunityId: string | null;
    correlationId: string;
}

/** A new conflict, Open (the connector's move). */
export function openConflictRecord(conflict: ConflictRecordInput): RecordUpsert {
    return upsert(CONFLICT_RECORD, conflict.key, {
        Rule__c: conflict.rule,
        Object_Api_Name__c: conflict.sfObject,
        Field__c: conflict.sfField,
        Clm_Field__c: conflict.clmField,
        Salesforce_Value__c: conflict.salesforceValue,
        Clm_Value__c: conflict.clmValue,
        Salesforce_Changed_At__c: conflict.salesforceChangedAt,
        Clm_Changed_At__c: conflict.clmChangedAt,
        Record_Id__c: conflict.recordId,
        Opportunity__c: conflict.opportunityId,
        Status__c: 'Open' satisfies ConflictState,
        Correlation_Id__c: conflict.correlationId
    });
}

/** The connector applied a person's decision. */
export function resolvedConflictRecord(key: string): RecordUpsert {
    return upsert(CONFLICT_RECORD, key, { Status__c: 'Resolved' satisfies ConflictState });
}

export interface SyncErrorInput {
    key: string;
    code: string;
    message: string;
    correlationId: string;
    attempts: number;
    objectApiName: string | null;
    recordId: string | null;
    /** The deal the item is about, when it is one (the console and the card show its name). */
    opportunityId?: string | null;
    lastAttemptAt: string;
    /** What a person should do, in a sentence. */
    nextStep?: string;
}

function errorFields(error: SyncErrorInput, status: SyncErrorState, nextRetryAt: string | null) {
    return upsert(SYNC_ERROR_RECORD, error.key, {
        Code__c: error.code.slice(0, 80),
        Message__c: error.message.slice(0, 4000),
        Correlation_Id__c: error.correlationId.slice(0, 64),
        Attempts__c: error.attempts,
        Status__c: status,
        Object_Api_Name__c: error.objectApiName,
        Record_Id__c: error.recordId,
        Opportunity__c: error.opportunityId ?? null,
        Last_Attempt_At__c: error.lastAttemptAt,
        Next_Retry_At__c: nextRetryAt,
        Next_Step__c: error.nextStep ? error.nextStep.slice(0, 255) : null
    });
}

/** The item failed for good (or no retry can fix it): it waits for a person. */
export function quarantinedErrorRecord(error: SyncErrorInput): RecordUpsert {
    return errorFields(error, 'Quarantined', null);
}

/** The item failed and the connector tries again at `nextRetryAt` by itself. */
export function retryingErrorRecord(error: SyncErrorInput & { nextRetryAt: string }): RecordUpsert {
    return errorFields(error, 'Retrying', error.nextRetryAt);
}

/** The connector's moves of a sync error after a person asked for a retry, or once the item went through. */
export function syncErrorStatusRecord(key: string, status: 'Retrying' | 'Resolved'): RecordUpsert {
    return upsert(SYNC_ERROR_RECORD, key, {
        Status__c: status satisfies SyncErrorState,
        ...(status === 'Resolved' ? { Next_Retry_At__c: null } : {})
    });
}

export interface ProvenanceInput {
    recordId: string;
    sfObject: string;
    field: string;
    writtenBy: ProvenanceWriter;
    writtenAt: string;
    correlationId: string;
}

/** "Last written by" for one field of a linked record. */
export function provenanceRecord(entry: ProvenanceInput): RecordUpsert {
    return upsert(PROVENANCE_RECORD, provenanceKey(entry.recordId, entry.field), {
        Record_Id__c: entry.recordId,
        Object_Api_Name__c: entry.sfObject,
        Field__c: entry.field,
        Written_By__c: entry.writtenBy,
        Written_At__c: entry.writtenAt,
        Correlation_Id__c: entry.correlationId.slice(0, 64),
        ...(entry.sfObject === 'Opportunity' ? { Opportunity__c: entry.recordId } : {}),
        ...(entry.sfObject === 'Contract' ? { Contract__c: entry.recordId } : {})
    });
}

// ----------------------------------------------------------------------------------- the linked records

/** The connector's stamp on a record it syncs (Opportunity, Contract, CPQ quote): the last result, and when. */
export function syncResultFields(result: SyncResult, at: string): Record<string, RecordValue> {
    return { CLM_Last_Sync__c: at, CLM_Last_Sync_Result__c: result };
}

/** The Salesforce Contract of a CLM contract, upserted by the CLM id (a retry finds the one it made), as a Draft. */
export function clmContractRecord(contract: {
    clmContractId: string;
    accountId: string;
    title: string | null;
    url: string | null;
}): RecordUpsert {
    return {
        sfObject: 'Contract',
        externalId: { field: 'CLM_Contract_Id__c', value: contract.clmContractId },
        fields: {
            AccountId: contract.accountId,
            Status: 'Draft',
            Name: (contract.title ?? 'Contract').slice(0, 80),
            CLM_Contract_Url__c: contract.url
        }
    };
}

/** The deal stamped with its contract: the Salesforce Contract, the CLM's id and link, and its first result. */
export function linkedDealFields(link: {
    contractId: string;
    clmContractId: string;
    url: string | null;
    at: string;
}): Record<string, RecordValue> {
    return {
        ContractId: link.contractId,
        CLM_Contract_Id__c: link.clmContractId,
        CLM_Contract_Url__c: link.url,
        ...syncResultFields('Synced', link.at)
    };
}
