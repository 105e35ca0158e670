/**
 * Canonical CLM types beside the contract itself (research/clm-apis.md §3.3): documents and the
 * events a vendor webhook is normalised into. Webhooks are hints: an event names the contract, and
 * the caller fetches it (notify → fetch).
 */
import { z } from 'zod';
import { ExternalRef, IsoDateTime } from './clm.ts';

export const DOCUMENT_KINDS = ['draft', 'signed', 'attachment', 'certificate'] as const;
export const ClmDocumentKind = z.enum(DOCUMENT_KINDS);
export type ClmDocumentKind = z.infer<typeof ClmDocumentKind>;

export const ClmDocument = z.object({
    id: z.string().min(1),
    kind: ClmDocumentKind,
    name: z.string().min(1),
    mimeType: z.string().min(1),
    versionLabel: z.string().optional(),
    createdAt: IsoDateTime.optional()
});
export type ClmDocument = z.infer<typeof ClmDocument>;

export const CLM_EVENT_TYPES = [
    'contract.created',
    'contract.updated',
    'contract.deleted',
    'contract.status_changed',
    'signature.sent',
    'signature.signer_completed',
    'signature.completed',
    'signature.declined',
    'document.added',
    'approval.changed'
] as const;
export const ClmEventType = z.enum(CLM_EVENT_TYPES);
export type ClmEventType = z.infer<typeof ClmEventType>;

export const ClmEvent = z.object({
    type: ClmEventType,
    /** The contract the event is about, as the vendor names it (fetch it to see the change). */
    contractRef: ExternalRef,
    /** When the vendor says the event happened. */
    at: IsoDateTime,
    /** The vendor's id for this delivery (dedupe key; stable across the vendor's retries). */
    vendorEventId: z.string().min(1),
    /** The vendor's own event name, kept so a mapping can be fixed later. */
    vendorEventType: z.string().min(1),
    receivedAt: IsoDateTime
});
export type ClmEvent = z.infer<typeof ClmEvent>;
