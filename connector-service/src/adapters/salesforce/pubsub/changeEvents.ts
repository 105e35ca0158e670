/**
 * Change Data Capture and platform events, as the Pub/Sub client decodes them, turned into inbox items. Pure:
 * the subscription (pubsubIngest.ts) feeds it and stores what it returns.
 */
import {
    ConnectorError,
    DEFAULT_FIELD_CATALOG,
    parseConflictKey,
    parseSyncErrorKey,
    parseSyncRequest,
    SYNC_REQUEST_EVENT,
    type FieldCatalog,
    type SalesforceChange
} from '../../../domain/index.ts';
import type { InboxPayload } from '../../../app/payloads.ts';

export interface DecodedEvent {
    replayId: number | bigint | string;
    payload: Record<string, unknown>;
}

interface ChangeEventHeader {
    entityName: string;
    recordIds: string[];
    changeType: string;
    changeOrigin?: string;
    transactionKey?: string;
    sequenceNumber?: number;
    commitTimestamp: number | string;
    commitNumber?: number | string;
    changedFields?: string[];
    nulledFields?: string[];
}

/** `BillingAddress.City` → `BillingCity`; `Name.FirstName` → `FirstName`. */
function flatName(path: string): string {
    const [parent, child] = path.split('.');
    if (!child) return path;
    if (parent?.endsWith('Address')) return `${parent.slice(0, -'Address'.length)}${child}`;
    return child;
}

/** An Avro value as the REST API would show it: dates as YYYY-MM-DD, date-times as ISO instants. */
function restValue(type: string | undefined, value: unknown): unknown {
    if (value === null || value === undefined) return null;
    const epoch = typeof value === 'bigint' ? Number(value) : value;
    if (type === 'datetime' && typeof epoch === 'number') return new Date(epoch).toISOString();
    if (type === 'date' && typeof epoch === 'number') return new Date(epoch).toISOString().slice(0, 10);
    return epoch;
}

function flatten(payload: Record<string, unknown>, sfObject: string, catalog: FieldCatalog): Record<string, unknown> {
    const fields = catalog[sfObject] ?? {};
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(payload)) {
        if (key === 'ChangeEventHeader') continue;
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
            for (const [part, partValue] of Object.entries(value as Record<string, unknown>)) {
                const name = flatName(`${key}.${part}`);
                out[name] = restValue(fields[name]?.type, partValue);
            }
        } else {
            out[key] = restValue(fields[key]?.type, value);
        }
    }
    return out;
}

function headerOf(event: DecodedEvent): ChangeEventHeader | null {
    const header = event.payload.ChangeEventHeader as ChangeEventHeader | undefined;
    return header && header.entityName && Array.isArray(header.recordIds) ? header : null;
}

/** When the change event's transaction committed (Salesforce's clock), or null for an event without a header. */
export function commitTimeOf(event: DecodedEvent): number | null {
    const at = Number(headerOf(event)?.commitTimestamp);
    return Number.isFinite(at) && at > 0 ? at : null;
}

/**
 * A gap event (GAP_CREATE … GAP_UNDELETE: the platform could not send the change itself, only which records it
 * touched) or an overflow (GAP_OVERFLOW: too many changes in one transaction; no record ids). Its body is empty,
 * so it carries no values: the records must be read again (reconcile.ts).
 */
export interface GapNotice {
    sfObject: string;
    changeType: string;
    recordIds: string[];
    overflow: boolean;
}

export function gapFromCdcEvent(event: DecodedEvent): GapNotice | null {
    const header = headerOf(event);
    if (!header || !header.changeType.startsWith('GAP_')) return null;
    return {
        sfObject: header.entityName,
        changeType: header.changeType,
        recordIds: header.recordIds.filter((recordId) => !recordId.includes('*')),
        overflow: header.changeType === 'GAP_OVERFLOW'
    };
}

/**
 * One change per record the event names; update events carry only the changed and nulled fields. Gap events give
 * none (their body is empty): see `gapFromCdcEvent`.
 */
export function changesFromCdcEvent(
    channel: string,
    event: DecodedEvent,
    catalog: FieldCatalog = DEFAULT_FIELD_CATALOG
): SalesforceChange[] {
    const header = headerOf(event);
    if (!header || header.changeType.startsWith('GAP_')) return [];
    const sfObject = header.entityName;
    const all = flatten(event.payload, sfObject, catalog);
    const isUpdate = header.changeType === 'UPDATE';
    const touched = isUpdate
        ? [...(header.changedFields ?? []), ...(header.nulledFields ?? [])]
              .map(flatName)
              .filter((field) => field !== 'LastModifiedDate')
        : Object.keys(all).filter((field) => all[field] !== null);
    const values: Record<string, unknown> = {};
    for (const field of touched) values[field] = all[field] ?? null;
    const at = new Date(Number(header.commitTimestamp)).toISOString();
    const replayId = String(event.replayId);
    return header.recordIds
        .filter((recordId) => !recordId.includes('*'))
        .map((recordId) => ({
            source: 'salesforce' as const,
            sfObject,
            recordId,
            eventId: `${channel}:${replayId}:${recordId}`,
            correlationId: `cdc-${header.transactionKey ?? replayId}`.slice(0, 64),
            version: { at, seq: Number(header.commitNumber ?? 0) || 0 },
            ...(header.changeOrigin ? { origin: header.changeOrigin } : {}),
            values,
            changedFields: touched
        }));
}

/**
 * What a Clm_Sync_Request__e asks the connector to do, read with the org contract's parser. A request the contract
 * does not know throws a coded error naming the field; a retry of an error the org's own automation recorded (its
 * key names no queue item here) asks nothing of the connector.
 */
export function payloadFromSyncRequest(event: DecodedEvent): InboxPayload | null {
    const request = parseSyncRequest(event.payload, String(event.replayId));
    // The requester is who published the event, as Salesforce recorded it; Requested_By__c is the publisher's word.
    const createdBy = event.payload.CreatedById;
    if (typeof createdBy !== 'string' || createdBy === '')
        throw new ConnectorError('ORG.INVALID_REQUEST', `${SYNC_REQUEST_EVENT.name}.CreatedById: missing`, {
            field: 'CreatedById',
            retryable: false
        });
    const recordId = typeof event.payload.Record_Id__c === 'string' ? event.payload.Record_Id__c : undefined;
    const objectApiName =
        typeof event.payload.Object_Api_Name__c === 'string' ? event.payload.Object_Api_Name__c : undefined;
    const asked = {
        requestedBy: createdBy,
        requestId: request.requestId,
        ...(recordId ? { recordId } : {}),
        ...(objectApiName ? { objectApiName } : {})
    };
    switch (request.action) {
        case 'Send':
        case 'Resync':
            return {
                kind: 'sf.syncRequest',
                recordId: request.recordId,
                objectApiName: request.objectApiName,
                requestId: request.requestId,
                requestedBy: createdBy
            };
        case 'ResolveConflict': {
            const subject = parseConflictKey(request.conflictKey);
            if (!subject)
                throw new ConnectorError('ORG.INVALID_REQUEST', `Subject_Key__c: not a conflict key`, {
                    field: 'Subject_Key__c',
                    retryable: false
                });
            const resolution =
                request.resolution === 'SalesforceValue'
                    ? { take: 'salesforce' as const }
                    : request.resolution === 'ClmValue'
                      ? { take: 'clm' as const }
                      : { value: request.value };
            return {
                kind: 'sf.conflictResolution',
                ...subject,
                conflictKey: request.conflictKey,
                resolution,
                ...asked
            };
        }
        case 'RetryItem': {
            const item = parseSyncErrorKey(request.errorKey);
            return item ? { kind: 'sf.retryRequest', errorKey: request.errorKey, ...item, ...asked } : null;
        }
    }
}
