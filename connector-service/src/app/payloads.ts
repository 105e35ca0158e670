/**
 * What the pipeline stores in its inbox and outbox, validated on the way in and on the way out so a malformed
 * row becomes a coded error on that row, never a crash of the loop.
 */
import { z } from 'zod';
import {
    ClmChange,
    ConnectorError,
    LineItem,
    SENDABLE_OBJECTS,
    SalesforceChange,
    type Json,
    type SendableObject
} from '../domain/index.ts';

const SENDABLE = Object.keys(SENDABLE_OBJECTS) as [SendableObject, ...SendableObject[]];

const JsonRecord = z.record(z.string(), z.unknown());

/** Who asked (the event's CreatedById), which request, and the record it is about: a refusal answers with them. */
const ORG_REQUEST = {
    requestedBy: z.string().optional(),
    requestId: z.string().optional(),
    recordId: z.string().optional(),
    objectApiName: z.string().optional()
};

export const InboxPayload = z.discriminatedUnion('kind', [
    /** A Salesforce record change (CDC, or the SystemModstamp reconcile). */
    /** `pairId` is set when an Account or Contact change was fanned out to the deals it belongs to. */
    z.object({ kind: z.literal('sf.change'), change: SalesforceChange, pairId: z.string().optional() }),
    /** A rep asked to send an Opportunity or a CPQ quote to the CLM (Clm_Sync_Request__e Send or Resync). */
    z.object({
        kind: z.literal('sf.syncRequest'),
        /** The record the rep sent from; `opportunityId` is how items queued before the org contract named it. */
        recordId: z.string().min(15).optional(),
        opportunityId: z.string().min(15).optional(),
        objectApiName: z.enum(SENDABLE).default('Opportunity'),
        requestId: z.string().min(1),
        /** The event's CreatedById (set by Salesforce from the publishing session): whose access is checked. */
        requestedBy: z.string().optional()
    }),
    /** The CLM says a contract changed (a verified webhook, the change feed, or our own create). */
    z.object({
        kind: z.literal('clm.event'),
        contractId: z.string().min(1),
        vendorEventId: z.string().min(1),
        /** The vendor's time of the change (webhooks say it): how an edit our own write overwrote is recognised. */
        at: z.string().optional()
    }),
    /** A person decided a Manual conflict in the org; `conflictKey` names the Clm_Conflict__c to close. */
    z.object({
        kind: z.literal('sf.conflictResolution'),
        pairId: z.string().min(1),
        rule: z.string().min(1),
        conflictKey: z.string().optional(),
        resolution: z.union([z.object({ take: z.enum(['salesforce', 'clm']) }), z.object({ value: z.unknown() })]),
        ...ORG_REQUEST
    }),
    /** An audit found these rules differing on the pair (sf clm audit --repair): both sides as it read them. */
    z.object({
        kind: z.literal('audit.repair'),
        pairId: z.string().min(1),
        rules: z.array(z.string().min(1)).min(1),
        salesforce: z.array(SalesforceChange),
        clm: ClmChange.nullable(),
        clmVersion: z.string().optional()
    }),
    /** A person asked to retry a quarantined item (its Clm_Sync_Error__c key). */
    z.object({
        kind: z.literal('sf.retryRequest'),
        errorKey: z.string().min(1),
        queue: z.enum(['inbox', 'outbox']),
        id: z.number().int().positive(),
        ...ORG_REQUEST
    })
]);
export type InboxPayload = z.infer<typeof InboxPayload>;

const SalesforceValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const OutboxPayload = z.discriminatedUnion('kind', [
    /** One record write to Salesforce; after success, optionally link the record to the pair. */
    z.object({
        kind: z.literal('sf.write'),
        sfObject: z.string(),
        id: z.string().optional(),
        externalId: z.object({ field: z.string(), value: z.string() }).optional(),
        fields: z.record(z.string(), SalesforceValue),
        pairId: z.string().optional(),
        linkAs: z.enum(['opportunity', 'contract', 'quote']).optional()
    }),
    z.object({
        kind: z.literal('clm.create'),
        pairId: z.string(),
        opportunityId: z.string(),
        accountId: z.string().nullable(),
        input: JsonRecord,
        /** The record the rep sent from when it was not the Opportunity (a CPQ quote): it is marked Synced too. */
        sentFrom: z.object({ sfObject: z.string(), id: z.string() }).optional()
    }),
    z.object({
        kind: z.literal('clm.update'),
        pairId: z.string(),
        contractId: z.string(),
        fields: JsonRecord,
        ifVersion: z.string().optional()
    }),
    z.object({ kind: z.literal('sf.publishStatus'), fields: z.record(z.string(), SalesforceValue) }),
    /** The primary quote's lines, as read when the quote changed, replacing the contract's line items. */
    z.object({
        kind: z.literal('clm.replaceLineItems'),
        pairId: z.string(),
        contractId: z.string(),
        lineItems: z.array(LineItem)
    }),
    /** Copy a signed document from the CLM onto the Opportunity as a file. */
    z.object({
        kind: z.literal('clm.attachSigned'),
        contractId: z.string(),
        documentId: z.string(),
        recordId: z.string()
    })
]);
export type OutboxPayload = z.infer<typeof OutboxPayload>;

export function parsePayload<T>(schema: z.ZodType<T>, payload: unknown, queue: 'inbox' | 'outbox'): T {
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ConnectorError(
            `PIPELINE.INVALID_${queue.toUpperCase()}_PAYLOAD`,
            `${queue} payload: ${issue?.path.join('.') || 'payload'} — ${issue?.message}`,
            {
                field: issue?.path.join('.'),
                retryable: false
            }
        );
    }
    return parsed.data;
}

export function asJson(value: unknown): Json {
    return JSON.parse(JSON.stringify(value)) as Json;
}

/** The object a queue item concerns, for metrics and stats, when it was stored without one. */
export function objectOfPayload(payload: unknown): string {
    const inbox = InboxPayload.safeParse(payload);
    if (inbox.success) {
        switch (inbox.data.kind) {
            case 'sf.change':
                return inbox.data.change.sfObject;
            case 'sf.syncRequest':
                return 'Clm_Sync_Request__e';
            case 'sf.conflictResolution':
                return 'Clm_Conflict__c';
            case 'clm.event':
                return 'contract';
            case 'audit.repair':
                return inbox.data.salesforce[0]?.sfObject ?? 'contract';
        }
    }
    const outbox = OutboxPayload.safeParse(payload);
    if (!outbox.success) return 'malformed';
    switch (outbox.data.kind) {
        case 'sf.write':
            return outbox.data.sfObject;
        case 'sf.publishStatus':
            return 'Clm_Sync_Status__e';
        default:
            return 'contract';
    }
}
