/**
 * Requests are acted on only for what their requester may see and do. The requester is the event's CreatedById,
 * which Salesforce sets from the publishing session (a publisher cannot choose it; Requested_By__c, which it can
 * fill in, is never trusted). Before the connector acts, it asks the org, as of now:
 * - a send or resync: can the requester see the record (UserRecordAccess.HasReadAccess: sharing and object
 *   permissions) and may they send (Create on Clm_Sync_Request__e, what Clm_Connector_User grants and the package's
 *   send checks)?
 * - a conflict decision or a retry: does the requester hold the admin permission (custom permission
 *   Clm_Manage_Sync, Clm_Connector_Admin), and is the record in the state the org contract says the org moved it to
 *   before asking (a conflict ResolutionRequested with that decision, an error RetryRequested)? A rep who publishes
 *   the event by hand passes neither.
 */
import {
    statusEventFields,
    CONFLICT_RECORD,
    SYNC_ERROR_RECORD,
    SYNC_REQUEST_EVENT,
    select,
    where,
    type ConflictResolutionChoice,
    type StateMachine
} from '../domain/index.ts';
import type { SalesforcePort } from '../ports/salesforce.ts';
import type { ClaimRef, InboxItem, PlanCommitter } from '../ports/store.ts';
import type { Log } from '../ports/logger.ts';
import { asJson, objectOfPayload, type InboxPayload, type OutboxPayload } from './payloads.ts';

/** The package's custom permission for deciding conflicts and retrying quarantined items. */
export const ADMIN_PERMISSION = 'Clm_Manage_Sync';

export type OrgRequest = Extract<
    InboxPayload,
    { kind: 'sf.syncRequest' } | { kind: 'sf.conflictResolution' } | { kind: 'sf.retryRequest' }
>;

export interface RequestRefusal {
    code:
        | 'REQUEST.RECORD_NOT_VISIBLE'
        | 'REQUEST.SEND_NOT_PERMITTED'
        | 'REQUEST.ADMIN_PERMISSION_MISSING'
        | 'REQUEST.STATE_MISMATCH';
    /** For the person who asked: never a secret, never another user's data. */
    message: string;
    requestedBy: string;
}

export function isOrgRequest(payload: InboxPayload): payload is OrgRequest {
    return (
        payload.kind === 'sf.syncRequest' ||
        payload.kind === 'sf.conflictResolution' ||
        payload.kind === 'sf.retryRequest'
    );
}

/** The states from which the connector makes its move to `to`: what a request for that move assumes. */
function statesBefore<S extends string>(machine: StateMachine<S>, to: S): readonly S[] {
    // Every state the connector moves the record on from to `to` (a move from nothing creates it: not a request's).
    return machine.moves.filter((move) => move.by === 'connector' && move.to === to).flatMap((move) => move.from ?? []);
}

/**
 * Why the request must not be acted on, or null. A request without a requester is the connector's own inbox item
 * (the Pub/Sub ingest gives every org request its CreatedById and drops one without): nothing to check.
 */
export async function requesterRefusal(
    salesforce: SalesforcePort,
    request: OrgRequest
): Promise<RequestRefusal | null> {
    const requestedBy = request.requestedBy;
    if (!requestedBy) return null;
    const refuse = (code: RequestRefusal['code'], message: string): RequestRefusal => ({ code, message, requestedBy });
    if (request.kind === 'sf.syncRequest') {
        const recordId = request.recordId ?? request.opportunityId;
        if (!recordId || !(await canRead(salesforce, requestedBy, recordId)))
            return refuse('REQUEST.RECORD_NOT_VISIBLE', 'The record does not exist or is not shared with you.');
        if (!(await maySend(salesforce, requestedBy)))
            return refuse('REQUEST.SEND_NOT_PERMITTED', 'You do not have permission to send records to the CLM.');
        return null;
    }
    if (!(await holdsCustomPermission(salesforce, requestedBy, ADMIN_PERMISSION)))
        return refuse(
            'REQUEST.ADMIN_PERMISSION_MISSING',
            `Deciding conflicts and retrying items takes the ${ADMIN_PERMISSION} permission (CLM Connector Admin).`
        );
    if (request.kind === 'sf.conflictResolution') {
        if (!request.conflictKey) return refuse('REQUEST.STATE_MISMATCH', 'The decision names no conflict record.');
        const [conflict] = await salesforce.query(
            select(['Status__c', 'Resolution__c', 'Resolved_Value__c'], CONFLICT_RECORD.name, {
                where: where.eq(CONFLICT_RECORD.key, request.conflictKey)
            })
        );
        const expected = statesBefore(CONFLICT_RECORD.status!, 'Resolved');
        if (!conflict || !expected.includes(String(conflict.Status__c) as (typeof expected)[number]))
            return refuse(
                'REQUEST.STATE_MISMATCH',
                `The conflict is not waiting for a decision (${String(conflict?.Status__c ?? 'not found')}).`
            );
        const choice = resolutionChoice(request.resolution);
        const value = 'value' in request.resolution ? request.resolution.value : undefined;
        if (
            conflict.Resolution__c !== choice ||
            (choice === 'EditedValue' && String(conflict.Resolved_Value__c ?? '') !== String(value ?? ''))
        )
            return refuse('REQUEST.STATE_MISMATCH', 'The decision differs from the one recorded on the conflict.');
        return null;
    }
    const [error] = await salesforce.query(
        select(['Status__c'], SYNC_ERROR_RECORD.name, { where: where.eq(SYNC_ERROR_RECORD.key, request.errorKey) })
    );
    const expected = statesBefore(SYNC_ERROR_RECORD.status!, 'Retrying');
    if (!error || !expected.includes(String(error.Status__c) as (typeof expected)[number]))
        return refuse(
            'REQUEST.STATE_MISMATCH',
            `The item is not waiting for a retry (${String(error?.Status__c ?? 'not found')}).`
        );
    return null;
}

/** The org's name for the decision the payload carries (Clm_Conflict__c.Resolution__c). */
function resolutionChoice(
    resolution: Extract<OrgRequest, { kind: 'sf.conflictResolution' }>['resolution']
): ConflictResolutionChoice {
    if ('take' in resolution) return resolution.take === 'salesforce' ? 'SalesforceValue' : 'ClmValue';
    return 'EditedValue';
}

/** UserRecordAccess: the user's read access to the record, by sharing and object permissions. */
async function canRead(salesforce: SalesforcePort, userId: string, recordId: string): Promise<boolean> {
    const rows = await salesforce.query(
        select(['RecordId', 'HasReadAccess'], 'UserRecordAccess', {
            where: where.and(where.eq('UserId', userId), where.eq('RecordId', recordId))
        })
    );
    return rows.some((row) => row.HasReadAccess === true);
}

async function permissionSetsOf(salesforce: SalesforcePort, userId: string): Promise<string[]> {
    const rows = await salesforce.query(
        select(['PermissionSetId'], 'PermissionSetAssignment', { where: where.eq('AssigneeId', userId) })
    );
    return [...new Set(rows.map((row) => String(row.PermissionSetId)))];
}

/** Create on the request event (Modify All Data includes it), as the package's send checks it. */
async function maySend(salesforce: SalesforcePort, userId: string): Promise<boolean> {
    const sets = await permissionSetsOf(salesforce, userId);
    if (sets.length === 0) return false;
    const [all, grants] = await Promise.all([
        salesforce.query(
            select(['Id'], 'PermissionSet', {
                where: where.and(where.in('Id', sets), where.eq('PermissionsModifyAllData', true))
            })
        ),
        salesforce.query(
            select(['Id'], 'ObjectPermissions', {
                where: where.and(
                    where.in('ParentId', sets),
                    where.eq('SobjectType', SYNC_REQUEST_EVENT.name),
                    where.eq('PermissionsCreate', true)
                )
            })
        )
    ]);
    return all.length > 0 || grants.length > 0;
}

/** A custom permission is granted by a SetupEntityAccess row under one of the user's permission sets. */
async function holdsCustomPermission(salesforce: SalesforcePort, userId: string, name: string): Promise<boolean> {
    const sets = await permissionSetsOf(salesforce, userId);
    if (sets.length === 0) return false;
    const [permission] = await salesforce.query(
        select(['Id'], 'CustomPermission', { where: where.eq('DeveloperName', name) })
    );
    if (!permission) return false;
    const grants = await salesforce.query(
        select(['Id'], 'SetupEntityAccess', {
            where: where.and(where.in('ParentId', sets), where.eq('SetupEntityId', String(permission.Id)))
        })
    );
    return grants.length > 0;
}

export interface RequestGate {
    orgId: string;
    salesforce: SalesforcePort;
    store: PlanCommitter;
    now: () => number;
    claim: ClaimRef;
    log?: Log;
}

/**
 * Checks the request's requester; when refused, the item completes with nothing done but a RequestRejected status
 * event the org hears (the status card, the automation), and a warning logged with the code. True when refused.
 */
export async function refusedRequest(gate: RequestGate, item: InboxItem, request: OrgRequest): Promise<boolean> {
    const refusal = await requesterRefusal(gate.salesforce, request);
    if (!refusal) return false;
    const requestId = request.requestId ?? item.eventId;
    const recordId = request.recordId ?? (request.kind === 'sf.syncRequest' ? request.opportunityId : undefined);
    gate.log?.('warn', `request refused: ${refusal.message}`, {
        code: refusal.code,
        action: request.kind,
        requestId,
        requestedBy: refusal.requestedBy,
        recordId: recordId ?? null,
        correlationId: item.correlationId
    });
    const key = `refused:${requestId}`;
    const status: OutboxPayload = {
        kind: 'sf.publishStatus',
        fields: statusEventFields({
            kind: 'RequestRejected',
            result: 'Error',
            recordId: recordId ?? null,
            objectApiName: request.objectApiName ?? null,
            requestId,
            message: `${refusal.code}: ${refusal.message}`,
            correlationId: item.correlationId,
            eventKey: key
        })
    };
    await gate.store.commitPlan({
        orgId: gate.orgId,
        inbox: gate.claim,
        outbox: [
            {
                target: 'salesforce',
                operation: 'sf.publishStatus',
                idempotencyKey: `status:${key}`,
                orderingKey: item.orderingKey,
                correlationId: item.correlationId,
                payload: asJson(status),
                objectType: objectOfPayload(status)
            }
        ],
        now: gate.now()
    });
    return true;
}
