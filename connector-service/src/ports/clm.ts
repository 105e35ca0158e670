/**
 * The CLM port (research/clm-apis.md §3.4): what the sync engine needs from any contract-lifecycle
 * product. It is narrow and capability-flagged: the engine asks `capabilities()` before using line items,
 * transitions, uploads or webhooks, and never assumes a vendor has them.
 *
 * Every failure is a `ConnectorError` with one of the `CLM.*` codes below; callers branch on the code.
 */
import type {
    ClmContact,
    ClmContract,
    ClmValueKind,
    ExternalRef,
    LineItem,
    Lifecycle,
    Money,
    VendorId
} from '../domain/clm.ts';
import type { Address } from '../domain/clm.ts';
import type { ClmDocument, ClmDocumentKind, ClmEvent } from '../domain/clmEvents.ts';
import { ConnectorError } from '../domain/errors.ts';

export const CLM_ERROR = {
    /** The vendor throttled us and retries ran out. details.retryAfterMs says when to try again. */
    RATE_LIMITED: 'CLM.RATE_LIMITED',
    NOT_FOUND: 'CLM.NOT_FOUND',
    /** A version precondition failed, or the vendor reported a conflicting write. */
    CONFLICT: 'CLM.CONFLICT',
    /** The vendor refuses this write in the contract's current state (details.state). */
    NOT_WRITABLE_IN_STATE: 'CLM.NOT_WRITABLE_IN_STATE',
    /** Bad input or a malformed vendor payload; details.field names the offending field. */
    VALIDATION: 'CLM.VALIDATION',
    AUTH: 'CLM.AUTH',
    /** The vendor (or its public API) has no such operation; details.op names it. */
    UNSUPPORTED: 'CLM.UNSUPPORTED',
    /** Network failure, timeout or 5xx after retries; safe to try again later. */
    TRANSIENT: 'CLM.TRANSIENT'
} as const;
export type ClmErrorCode = (typeof CLM_ERROR)[keyof typeof CLM_ERROR];

export function clmError(
    code: ClmErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    cause?: unknown
): ConnectorError {
    return new ConnectorError(code, message, details, cause === undefined ? undefined : { cause });
}

export const TRANSITION_ACTIONS = ['submit', 'requestSignature', 'activate', 'cancel', 'terminate', 'expire'] as const;
export type TransitionAction = (typeof TRANSITION_ACTIONS)[number];

export interface ClmCapabilities {
    webhooks: 'none' | 'thin' | 'fat';
    webhookAuth: 'rsa' | 'hmac-header' | 'hmac-query' | 'shared-secret' | 'none';
    changeFeed: 'updated-since' | 'cursor' | 'status-filter' | 'full-scan';
    /** Line items can be read (and given at create). */
    lineItems: boolean;
    /** Line items can be replaced after create. */
    lineItemsWritable: boolean;
    /** The vendor's API returns the contract's people (signers, counterparty contacts). */
    contacts: boolean;
    documentsUpload: boolean;
    signatureStatus: boolean;
    transitions: readonly TransitionAction[];
    /** Header fields may be written only in these lifecycle states (absent: any state the vendor accepts). */
    writableStates?: readonly Lifecycle[];
    rateLimit: { requestsPerSecond?: number; perBucket?: Record<string, number> };
    /**
     * The ContractPatch fields this adapter, as configured, can write (`title`, `counterpartyName`, `value`,
     * `effectiveDate`, `expirationDate`, `custom.<name>`); absent: every one. A rule writing anything else cannot be
     * honoured and is narrowed at start (see `narrowToWritable`).
     */
    writableFields?: readonly string[];
    /**
     * Canonical fields (CLM_FIELDS paths) the vendor's API has no such value for: they always read null, and
     * `sf clm rules validate` says so for a rule that reads one. Absent: every field may carry a value.
     */
    unreadableFields?: readonly string[];
}

/**
 * Custom property names under which the connector writes canonical fields the patch has no slot for (see
 * app/clmFields.ts). An adapter whose template has a native home for one (a signer or address attribute) writes
 * it there and lists `custom.<name>` in `writableFields`.
 */
export const CANONICAL_SLOTS = {
    dealStage: 'dealStage',
    products: 'products',
    counterpartyAddress: 'counterpartyAddress',
    primaryContactEmail: 'primaryContactEmail',
    primaryContactName: 'primaryContactName'
} as const;

/** One field of the configured template, as the vendor's own schema describes it. */
export interface ClmTemplateField {
    /** The vendor's id: an Ironclad attribute or record property, a SpotDraft variable or key pointer. */
    name: string;
    label: string;
    /** The vendor's type as it names it (`monetaryAmount`, `CURRENCY`, `date` …). */
    vendorType: string;
    /** The canonical kind that type holds; null for what the connector does not map (documents, tables). */
    kind: ClmValueKind | null;
    /** The canonical field (CLM_FIELDS path or `custom.<name>`) the adapter reads and writes through it, if any. */
    clmField: string | null;
    /** The connector can change it after create (false: filled by the vendor, or fixed once created). */
    writable: boolean;
    /** Given when the contract is created (a send carries it) even where it cannot change afterwards. */
    setAtCreate: boolean;
}

/** The configured template (Ironclad workflow schema + record properties, SpotDraft template metadata). */
export interface ClmTemplate {
    vendor: VendorId;
    id: string;
    name: string;
    fields: ClmTemplateField[];
    /** Any `custom.<name>` is accepted and kept (the in-memory CLM); a vendor template has only its own fields. */
    anyCustom?: boolean;
}

/** What the connector asks a CLM to create. `naturalKey` (a Salesforce ref) makes the create idempotent. */
export interface CreateContractInput {
    naturalKey: ExternalRef;
    title: string;
    counterparty: { name: string; address?: Address | null };
    contacts: ClmContact[];
    value?: Money | null;
    effectiveDate?: string | null;
    expirationDate?: string | null;
    lineItems?: LineItem[];
    /** Vendor custom properties by canonical name (the adapter's field map says where each goes). */
    custom?: Record<string, string | number | boolean | null>;
}

/** A partial header write. Only the fields present are written. */
export interface ContractPatch {
    title?: string;
    counterpartyName?: string;
    value?: Money | null;
    effectiveDate?: string | null;
    expirationDate?: string | null;
    custom?: Record<string, string | number | boolean | null>;
}

export interface WebhookRequest {
    headers: Record<string, string | string[] | undefined>;
    /** The exact bytes received: signatures are computed over these, never over re-serialised JSON. */
    rawBody: Buffer;
}

export type WebhookVerification =
    | { ok: true; eventId: string }
    | { ok: false; reason: 'missing-signature' | 'bad-signature' | 'replayed' | 'stale' | 'malformed' };

export interface DownloadedDocument {
    name: string;
    mimeType: string;
    bytes: Buffer;
}

export interface ClmPort {
    readonly vendor: VendorId;
    capabilities(): ClmCapabilities;
    /** The configured template's fields, read from the vendor (checked by `sf clm rules validate` and at start). */
    describeTemplate(): Promise<ClmTemplate>;

    findByExternalRef(ref: ExternalRef): Promise<ClmContract | null>;
    /** Idempotent by `input.naturalKey`: looks up first, creates, and stamps the reference on the contract. */
    createContract(input: CreateContractInput): Promise<ClmContract>;
    getContract(id: string): Promise<ClmContract>;
    /** Throws CLM.CONFLICT when `ifVersion` is stale, CLM.NOT_WRITABLE_IN_STATE where the vendor refuses. */
    updateContract(id: string, patch: ContractPatch, opts?: { ifVersion?: string }): Promise<ClmContract>;
    /** Throws CLM.UNSUPPORTED for an action not in `capabilities().transitions`. */
    transition(id: string, action: TransitionAction): Promise<ClmContract>;

    listLineItems(id: string): Promise<LineItem[]>;
    replaceLineItems(id: string, items: LineItem[]): Promise<ClmContract>;
    listParties(id: string): Promise<{ counterparty: ClmContract['counterparty']; contacts: ClmContact[] }>;
    listDocuments(id: string): Promise<ClmDocument[]>;
    downloadDocument(id: string, documentId: string): Promise<DownloadedDocument>;
    uploadDocument(id: string, file: { name: string; bytes: Buffer; kind: ClmDocumentKind }): Promise<ClmDocument>;

    /**
     * Contracts changed since `cursor` (null = from the beginning), oldest first, at most `limit`.
     * Pass `nextCursor` back to continue; a contract may repeat (at-least-once), never be skipped.
     */
    listChanges(cursor: string | null, limit: number): Promise<{ items: ClmContract[]; nextCursor: string }>;
    /**
     * Contracts changed at or after `since` (the vendor's time), through its list endpoint (Ironclad: GET /workflows
     * with lastUpdated, 100 a page): how a wave of change events is read with one call per page instead of one per
     * event. It may leave contracts out (a status the list does not carry); their events read them one by one.
     * Absent: every event reads its contract by itself.
     */
    listChangedSince?(since: string): Promise<ClmContract[]>;
    /** Checks the signature over the raw bytes, the event's age and that its id was not seen before. */
    verifyWebhook(req: WebhookRequest): Promise<WebhookVerification>;
    /** Normalises a verified delivery; a malformed one throws CLM.VALIDATION naming the field. */
    parseWebhook(req: WebhookRequest): ClmEvent[];
    ensureWebhookSubscription(targetUrl: string): Promise<{ id: string }>;
}
