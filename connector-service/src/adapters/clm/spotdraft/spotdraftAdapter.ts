/**
 * The SpotDraft adapter (V2.1 public API). Contracts are created from a template named in config,
 * stamped with `external_metadata` and found again by it (the idempotent create). SpotDraft has no
 * "get contract" endpoint: a contract is read from its list row (name, counterparty, metadata),
 * `/status` and `/key_pointers`; no modification time: the version is a hash of what it reads, compared by the change
 * feed (no since-filter). 10 requests/s per workspace; 402 (workflow state) → NOT_WRITABLE_IN_STATE, 409 → CONFLICT.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ClmContract, type ClmContact, type ExternalRef, type LineItem, type Money } from '../../../domain/clm.ts';
import type { ClmDocument, ClmEvent, ClmEventType } from '../../../domain/clmEvents.ts';
import { isConnectorError } from '../../../domain/errors.ts';
import {
    CANONICAL_SLOTS,
    CLM_ERROR,
    clmError,
    type ClmCapabilities,
    type ClmPort,
    type ClmTemplate,
    type ContractPatch,
    type CreateContractInput,
    type DownloadedDocument,
    type TransitionAction,
    type WebhookRequest,
    type WebhookVerification
} from '../../../ports/clm.ts';
import { AsyncCache, SingleFlight } from '../asyncCache.ts';
import { checkCreateInput, checkPatch, counterpartySigner, refKey, templateNamed } from '../contractInput.ts';
import { downloadGuardFor, type DownloadGuard, type DownloadGuardDeps } from '../downloadGuard.ts';
import { HttpClient, type FetchLike } from '../http.ts';
import { systemClock, type Clock } from '../../../clock.ts';
import { VersionTimes } from './versionTimes.ts';
import { WindowLimit, type BackoffPolicy } from '../rateLimit.ts';
import {
    addressText,
    counterpartyAddress,
    decimalText,
    deriveFromDates,
    durationDays,
    durationMonths,
    noticeDeadlineFrom,
    vendorBoolean,
    vendorDate
} from '../values.ts';
import { parseVendorJson, parseVendorPayload } from '../vendorPayload.ts';
import { WebhookReplayGuard } from '../webhookGuard.ts';
import { SpotdraftConfig, type SpotdraftConfigInput } from './config.ts';
import {
    CompositeId,
    mapContractStatus,
    SpotdraftContractPage,
    SpotdraftContractRow,
    SpotdraftDelivery,
    SpotdraftDownloadLink,
    SpotdraftHmacKey,
    SpotdraftKeyPointers,
    SpotdraftMoney,
    SpotdraftStatus,
    SpotdraftTemplates,
    SpotdraftWebhook,
    type ContractStatusValue,
    type SpotdraftKeyPointer
} from './payloads.ts';
import {
    spotdraftTemplate,
    SpotdraftTemplateMetadata,
    templateCustomVariables,
    templateVariables,
    type SpotdraftVariable
} from './template.ts';
import { spotdraftEventId, SpotdraftWebhookVerifier } from './webhook.ts';

export interface SpotdraftAdapterDeps {
    fetch?: FetchLike;
    clock?: Clock;
    random?: () => number;
    backoff?: BackoffPolicy;
    /** DNS, transport and the log for refused downloads (tests replace the first two). */
    downloads?: DownloadGuardDeps;
}

const VENDOR = 'spotdraft';
const MAX_CREATE_ATTEMPTS = 3;
const CONTRACT_DOCUMENT_ID = 'contract';

const ACTIVITY_TYPES: Record<string, ClmEventType> = {
    CONTRACT_CREATED: 'contract.created',
    CONTRACT_DATA_UPDATED: 'contract.updated',
    CONTRACT_KEY_POINTER_UPDATION: 'contract.updated',
    CONTRACT_KEY_POINTER_CREATION: 'contract.updated',
    CONTRACT_DELETED: 'contract.deleted',
    CONTRACT_SENT_TO_COUNTERPARTY: 'contract.status_changed',
    CONTRACT_MARK_FOR_EXECUTION: 'contract.status_changed',
    CONTRACT_UNMARK_FOR_EXECUTION: 'contract.status_changed',
    CONTRACT_EXECUTED: 'contract.status_changed',
    CONTRACT_VOIDED: 'contract.status_changed',
    CONTRACT_SIGNATURE_REQUESTED: 'signature.sent',
    CONTRACT_SIGNED: 'signature.signer_completed',
    CONTRACT_SIGNATURE_DECLINED: 'signature.declined',
    CONTRACT_APPROVAL_REQUESTED: 'approval.changed',
    CONTRACT_APPROVAL_COMPLETED: 'approval.changed',
    CONTRACT_VERSION_UPLOADED: 'document.added'
};

const ChangeCursor = z.object({ fingerprints: z.record(z.string(), z.string()) });

export class SpotdraftAdapter implements ClmPort {
    readonly vendor = VENDOR;
    private readonly config: SpotdraftConfig;
    private readonly http: HttpClient;
    private readonly downloads: DownloadGuard;
    private readonly clock: Clock;
    private readonly versionTimes = new VersionTimes(() => this.clock.now());
    private readonly verifier: SpotdraftWebhookVerifier;
    /** List rows seen, by composite id: SpotDraft cannot fetch one contract's header by id. */
    private readonly rows = new Map<string, SpotdraftContractRow>();
    private readonly template = new AsyncCache(() => this.resolveTemplate());
    /** The template's contract_data variables once read (custom fields map to them by name). */
    private variables: SpotdraftVariable[] | undefined;
    private readonly creates = new SingleFlight<ClmContract>();
    private readonly subscriptions = new Map<string, string>();

    constructor(config: SpotdraftConfigInput, deps: SpotdraftAdapterDeps = {}) {
        this.config = SpotdraftConfig.parse(config);
        this.clock = deps.clock ?? systemClock;
        const rate = this.config.requestsPerSecond;
        this.http = new HttpClient({
            vendor: VENDOR,
            timeoutMs: this.config.timeoutMs,
            maxResponseBytes: this.config.maxResponseBytes,
            // SpotDraft counts requests per second per workspace.
            buckets: { workspace: new WindowLimit(Math.max(1, Math.floor(rate)), 1_000, this.clock) },
            authHeaders: async () => ({
                'client-id': this.config.clientId,
                'client-secret': this.config.clientSecret,
                'user-email': this.config.userEmail
            }),
            mapError: ({ status, body, request }) => {
                const detail = (body as { detail?: unknown; code?: unknown } | undefined) ?? {};
                // 402: "the contract's workflow state does not allow this"; SD_PUBLIC_00009: already executed.
                if (status === 402 || (status === 400 && detail.code === 'SD_PUBLIC_00009')) {
                    return clmError(
                        CLM_ERROR.NOT_WRITABLE_IN_STATE,
                        `${request.operation}: ${typeof detail.detail === 'string' ? detail.detail : 'refused in this state'}`,
                        { operation: request.operation, status, state: 'vendor refused' }
                    );
                }
                return undefined;
            },
            ...(deps.fetch ? { fetch: deps.fetch } : {}),
            clock: this.clock,
            ...(deps.random ? { random: deps.random } : {}),
            ...(deps.backoff ? { backoff: deps.backoff } : {})
        });
        this.downloads = downloadGuardFor(VENDOR, this.config, deps.downloads);
        this.verifier = new SpotdraftWebhookVerifier(
            {
                fetchHmacKeyBase64: () => this.fetchHmacKey(),
                ...(this.config.webhookHmacKeyBase64 ? { hmacKeyBase64: this.config.webhookHmacKeyBase64 } : {}),
                ...(this.config.webhookCallbackSecret ? { callbackSecret: this.config.webhookCallbackSecret } : {})
            },
            new WebhookReplayGuard({ toleranceMs: this.config.webhookToleranceMs, clock: this.clock }),
            this.clock,
            this.config.webhookKeyRefreshIntervalMs
        );
    }

    capabilities(): ClmCapabilities {
        return {
            webhooks: 'thin',
            webhookAuth: 'hmac-header',
            changeFeed: 'full-scan',
            lineItems: false,
            lineItemsWritable: false,
            contacts: false,
            documentsUpload: false,
            signatureStatus: true,
            transitions: ['submit'],
            writableStates: ['Draft', 'InReview'],
            rateLimit: { requestsPerSecond: this.config.requestsPerSecond },
            // The public API changes contract data only: no title or counterparty after create.
            writableFields: [
                'value',
                'effectiveDate',
                'expirationDate',
                ...Object.keys(this.customMap()).map((name) => `custom.${name}`)
            ],
            // Key pointers carry every key term; the executed date is SpotDraft's own (system) key pointer.
            unreadableFields: []
        };
    }

    /** Connector custom slots this adapter writes to the template's own variables (the address). */
    private nativeSlots(): Record<string, string> {
        return {
            [CANONICAL_SLOTS.counterpartyAddress]: this.config.dataFields.counterpartyAddress,
            [CANONICAL_SLOTS.dealStage]: this.config.dataFields.dealStage
        };
    }

    // ---- contracts -------------------------------------------------------------------------------

    async findByExternalRef(ref: ExternalRef): Promise<ClmContract | null> {
        if (ref.system === VENDOR) {
            try {
                return await this.getContract(ref.id);
            } catch (error) {
                if (isConnectorError(error, CLM_ERROR.NOT_FOUND) || isConnectorError(error, CLM_ERROR.VALIDATION))
                    return null;
                throw error;
            }
        }
        if (ref.system !== 'salesforce' || ref.objectType !== this.config.naturalKeyObjectType) return null;
        const operation = 'GET /v2.1/public/contracts/by_external_metadata/{external_metadata_id}';
        let body: unknown;
        try {
            body = await this.http.json({
                method: 'GET',
                url: this.url(`/v2.1/public/contracts/by_external_metadata/${encodeURIComponent(ref.id)}`),
                bucket: 'workspace',
                operation
            });
        } catch (error) {
            if (isConnectorError(error, CLM_ERROR.NOT_FOUND)) return null;
            throw error;
        }
        const rows = parseVendorPayload(z.array(SpotdraftContractRow), body, this.ctx(operation)).filter(
            (row) => row.external_metadata?.[this.config.externalMetadataKey] === ref.id
        );
        if (rows.length === 0) return null;
        // Several contracts may carry the id (renewals re-use it): the newest is the current one.
        const newest = rows.reduce((a, b) => (Date.parse(b.created) > Date.parse(a.created) ? b : a));
        this.rows.set(newest.id, newest);
        return this.getContract(newest.id);
    }

    /** Idempotent by natural key; concurrent creates for one key in this process share one attempt. */
    async createContract(input: CreateContractInput): Promise<ClmContract> {
        const valid = checkCreateInput(input);
        return this.creates.run(refKey(valid.naturalKey), () => this.createOnce(valid));
    }

    private async createOnce(valid: CreateContractInput): Promise<ClmContract> {
        if (
            valid.naturalKey.system !== 'salesforce' ||
            valid.naturalKey.objectType !== this.config.naturalKeyObjectType
        ) {
            throw clmError(
                CLM_ERROR.VALIDATION,
                `the natural key must be a Salesforce ${this.config.naturalKeyObjectType}`,
                {
                    field: 'naturalKey.objectType'
                }
            );
        }
        const signer = counterpartySigner(valid.contacts);
        if (!signer) {
            throw clmError(
                CLM_ERROR.VALIDATION,
                'SpotDraft needs a counterparty point of contact (a contact on side "theirs")',
                {
                    field: 'contacts'
                }
            );
        }
        const [firstName, ...rest] = signer.name.trim().split(/\s+/);
        const body = {
            contract_template_id: 0,
            contract_name: valid.title,
            contract_data: this.contractData({
                ...(this.config.dataFields.naturalKey ? { naturalKey: valid.naturalKey.id } : {}),
                ...(valid.counterparty.address ? { counterpartyAddress: addressText(valid.counterparty.address) } : {}),
                value: valid.value,
                effectiveDate: valid.effectiveDate,
                expirationDate: valid.expirationDate,
                custom: valid.custom
            }),
            counter_party_details: [
                {
                    is_individual: false,
                    organization_name: valid.counterparty.name,
                    poc_details: {
                        first_name: firstName || signer.email,
                        last_name: rest.join(' '),
                        email: signer.email
                    }
                }
            ],
            external_metadata: {
                [this.config.externalMetadataKey]: valid.naturalKey.id,
                salesforce_object_type: valid.naturalKey.objectType
            }
        };
        const operation = 'POST /v2.1/public/contracts';
        for (let attempt = 1; ; attempt++) {
            const existing = await this.findByExternalRef(valid.naturalKey);
            if (existing) return existing;
            try {
                body.contract_template_id = (await this.template.get()).id;
                const created = await this.http.json({
                    method: 'POST',
                    url: this.url('/v2.1/public/contracts'),
                    bucket: 'workspace',
                    operation,
                    json: body
                });
                const row = parseVendorPayload(SpotdraftContractRow, created, this.ctx(operation));
                this.rows.set(row.id, row);
                return await this.getContract(row.id);
            } catch (error) {
                // A lost response may hide a created contract, and a 409 means another create with this
                // external id won the race: either way the next pass looks it up before creating again.
                const lost = isConnectorError(error, CLM_ERROR.TRANSIENT) && error.details.responseLost === true;
                const raced = isConnectorError(error, CLM_ERROR.CONFLICT);
                if (!(lost || raced) || attempt >= MAX_CREATE_ATTEMPTS) throw error;
            }
        }
    }

    async getContract(id: string): Promise<ClmContract> {
        const compositeId = this.compositeId(id);
        const status = await this.status(compositeId);
        const [row, keyPointers] = await Promise.all([this.row(compositeId), this.keyPointers(compositeId)]);
        return this.toContract({ ...row, contract_status: status }, keyPointers);
    }

    async updateContract(id: string, patch: ContractPatch, opts: { ifVersion?: string } = {}): Promise<ClmContract> {
        const valid = checkPatch(patch);
        if (valid.title !== undefined || valid.counterpartyName !== undefined) {
            const field = valid.title !== undefined ? 'title' : 'counterpartyName';
            throw clmError(CLM_ERROR.UNSUPPORTED, `SpotDraft's API cannot change a contract's ${field}`, {
                op: `update ${field}`,
                field
            });
        }
        const current = await this.getContract(id);
        if (opts.ifVersion !== undefined && opts.ifVersion !== current.version) {
            throw clmError(CLM_ERROR.CONFLICT, `contract ${current.id} changed since version ${opts.ifVersion}`, {
                id: current.id,
                expectedVersion: opts.ifVersion,
                actualVersion: current.version
            });
        }
        if (!this.capabilities().writableStates!.includes(current.status.lifecycle)) {
            throw clmError(
                CLM_ERROR.NOT_WRITABLE_IN_STATE,
                `contract ${current.id} is ${current.status.rawStatus}: contract data is writable before signing only`,
                {
                    id: current.id,
                    state: current.status.lifecycle,
                    rawStatus: current.status.rawStatus
                }
            );
        }
        const data = this.contractData(valid);
        if (Object.keys(data).length > 0) {
            await this.http.json({
                method: 'PATCH',
                url: this.url(`/v2.1/public/contracts/${encodeURIComponent(current.id)}/contract_data`),
                bucket: 'workspace',
                operation: 'PATCH /v2.1/public/contracts/{contract_id}/contract_data',
                json: { data }
            });
        }
        return this.getContract(current.id);
    }

    async transition(id: string, action: TransitionAction): Promise<ClmContract> {
        if (action !== 'submit') {
            throw clmError(CLM_ERROR.UNSUPPORTED, `SpotDraft's public API has no "${action}" transition`, {
                op: action
            });
        }
        const compositeId = this.compositeId(id);
        const status = await this.status(compositeId);
        if (status !== 'DRAFT') {
            throw clmError(
                CLM_ERROR.NOT_WRITABLE_IN_STATE,
                `contract ${compositeId} is ${status}: only a draft is sent to the counterparty`,
                {
                    id: compositeId,
                    state: mapContractStatus(status).lifecycle,
                    rawStatus: status
                }
            );
        }
        await this.http.send({
            method: 'POST',
            url: this.url(`/v2.1/public/contracts/${encodeURIComponent(compositeId)}/send_to_counterparties`),
            bucket: 'workspace',
            operation: 'POST /v2.1/public/contracts/{composite_id}/send_to_counterparties',
            json: { attachment_formats: ['PDF'] }
        });
        return this.getContract(compositeId);
    }

    // ---- children --------------------------------------------------------------------------------

    async listLineItems(): Promise<LineItem[]> {
        throw clmError(CLM_ERROR.UNSUPPORTED, "SpotDraft's public API has no line items", { op: 'listLineItems' });
    }

    async replaceLineItems(): Promise<ClmContract> {
        throw clmError(CLM_ERROR.UNSUPPORTED, "SpotDraft's public API has no line items", { op: 'replaceLineItems' });
    }

    async listParties(id: string): Promise<{ counterparty: ClmContract['counterparty']; contacts: ClmContact[] }> {
        const contract = await this.getContract(id);
        return { counterparty: contract.counterparty, contacts: [] };
    }

    async listDocuments(id: string): Promise<ClmDocument[]> {
        const compositeId = this.compositeId(id);
        const status = await this.status(compositeId);
        const link = await this.downloadLink(compositeId);
        return [
            {
                id: CONTRACT_DOCUMENT_ID,
                kind: status === 'EXECUTED' ? 'signed' : 'draft',
                name: link.file_name,
                mimeType: link.file_name.toLowerCase().endsWith('.pdf') ? 'application/pdf' : 'application/octet-stream'
            }
        ];
    }

    async downloadDocument(id: string, documentId: string): Promise<DownloadedDocument> {
        const compositeId = this.compositeId(id);
        if (documentId !== CONTRACT_DOCUMENT_ID) {
            throw clmError(CLM_ERROR.NOT_FOUND, `no document ${documentId} on ${compositeId}`, {
                id: compositeId,
                documentId
            });
        }
        const link = await this.downloadLink(compositeId);
        const response = await this.http.download(
            {
                method: 'POST',
                url: this.url(`/v2.1/public/contracts/${encodeURIComponent(compositeId)}/download`),
                bucket: 'workspace',
                operation: 'POST /v2.1/public/contracts/{composite_id}/download',
                headers: { accept: 'application/pdf, application/octet-stream' }
            },
            this.downloads
        );
        return {
            name: link.file_name,
            mimeType: response.headers.get('content-type')?.split(';')[0] ?? 'application/octet-stream',
            bytes: response.bytes
        };
    }

    async uploadDocument(): Promise<ClmDocument> {
        throw clmError(CLM_ERROR.UNSUPPORTED, 'uploading documents to SpotDraft is not part of this connector', {
            op: 'uploadDocument'
        });
    }

    // ---- change detection ------------------------------------------------------------------------

    /**
     * A full scan (SpotDraft has no since-filter): every list row plus its key pointers, compared by
     * version hash with the hashes in the cursor. Costs one list call per 100 contracts plus one call
     * per contract; webhooks are the fast path, this is the reconciliation.
     */
    async listChanges(cursor: string | null, limit: number): Promise<{ items: ClmContract[]; nextCursor: string }> {
        const fingerprints = cursor === null ? {} : decodeFingerprints(cursor);
        const rows = await this.allRows();
        const items: ClmContract[] = [];
        const next = { ...fingerprints };
        for (const row of rows.sort((a, b) => Date.parse(a.created) - Date.parse(b.created))) {
            if (items.length >= limit) break;
            const contract = this.toContract(row, await this.keyPointers(row.id));
            if (fingerprints[row.id] === contract.version) continue;
            items.push(contract);
            next[row.id] = contract.version;
        }
        return { items, nextCursor: Buffer.from(JSON.stringify({ fingerprints: next })).toString('base64url') };
    }

    verifyWebhook(req: WebhookRequest): Promise<WebhookVerification> {
        return this.verifier.verify(req);
    }

    parseWebhook(req: WebhookRequest): ClmEvent[] {
        const delivery = parseVendorJson(SpotdraftDelivery, req.rawBody, this.ctx('webhook'));
        const at = new Date(Date.parse(delivery.activity_data.timestamp));
        if (Number.isNaN(at.getTime())) {
            throw clmError(CLM_ERROR.VALIDATION, 'SpotDraft webhook activity_data.timestamp is not a date-time', {
                field: 'activity_data.timestamp'
            });
        }
        return [
            {
                type: ACTIVITY_TYPES[delivery.activity] ?? 'contract.updated',
                contractRef: { system: VENDOR, objectType: 'contract', id: delivery.contract_id },
                at: at.toISOString(),
                vendorEventId: spotdraftEventId(req.rawBody),
                vendorEventType: delivery.activity,
                receivedAt: new Date(this.clock.now()).toISOString()
            }
        ];
    }

    /** SpotDraft lists no webhooks, so a registration made by this process is remembered per target. */
    async ensureWebhookSubscription(targetUrl: string): Promise<{ id: string }> {
        const known = this.subscriptions.get(targetUrl);
        if (known) return { id: known };
        const operation = 'POST /v2.1/public/webhooks/';
        const created = await this.http.json({
            method: 'POST',
            url: this.url('/v2.1/public/webhooks/'),
            bucket: 'workspace',
            operation,
            json: {
                title: 'Salesforce CLM connector',
                url: targetUrl,
                ...(this.config.webhookActivities ? { only_for_activities: this.config.webhookActivities } : {})
            }
        });
        const { id } = parseVendorPayload(SpotdraftWebhook, created, this.ctx(operation));
        this.subscriptions.set(targetUrl, id);
        return { id };
    }

    // ---- SpotDraft plumbing ----------------------------------------------------------------------

    private compositeId(id: string): string {
        const parsed = CompositeId.safeParse(/^\d+$/.test(id) ? Number(id) : id);
        if (!parsed.success)
            throw clmError(CLM_ERROR.VALIDATION, `"${id}" is not a SpotDraft contract id`, { field: 'id' });
        return parsed.data;
    }

    private async status(compositeId: string): Promise<ContractStatusValue> {
        const { contract_status } = await this.http.parsed(SpotdraftStatus, {
            method: 'GET',
            url: this.url(`/v2.1/public/contracts/${encodeURIComponent(compositeId)}/status`),
            bucket: 'workspace',
            operation: 'GET /v2.1/public/contracts/{contract_id}/status'
        });
        return contract_status;
    }

    private keyPointers(compositeId: string): Promise<SpotdraftKeyPointer[]> {
        const request = {
            method: 'GET',
            url: this.url(`/v2.1/public/contracts/${encodeURIComponent(compositeId)}/key_pointers`),
            bucket: 'workspace',
            operation: 'GET /v2.1/public/contracts/{contract_id}/key_pointers'
        } as const;
        return this.http.parsed(SpotdraftKeyPointers, request, 'key_pointers');
    }

    private downloadLink(compositeId: string): Promise<z.infer<typeof SpotdraftDownloadLink>> {
        return this.http.parsed(SpotdraftDownloadLink, {
            method: 'POST',
            url: this.url(`/v2.1/public/contracts/${encodeURIComponent(compositeId)}/download_link`),
            bucket: 'workspace',
            operation: 'POST /v2.1/public/contracts/{composite_id}/download_link'
        });
    }

    /** The list row for a contract: remembered from earlier answers, else found by paging the list. */
    private async row(compositeId: string): Promise<SpotdraftContractRow> {
        const known = this.rows.get(compositeId);
        if (known) return known;
        await this.allRows(compositeId);
        const found = this.rows.get(compositeId);
        if (!found)
            throw clmError(CLM_ERROR.NOT_FOUND, `SpotDraft has no contract ${compositeId}`, { id: compositeId });
        return found;
    }

    /** Pages through GET /contracts (1-based), remembering rows; stops early once `until` is seen. */
    private async allRows(until?: string): Promise<SpotdraftContractRow[]> {
        const operation = 'GET /v2.1/public/contracts';
        const rows: SpotdraftContractRow[] = [];
        for (let page = 1; page <= this.config.maxPages; page++) {
            const body = await this.http.json({
                method: 'GET',
                url: this.url('/v2.1/public/contracts'),
                bucket: 'workspace',
                operation,
                query: { page, limit: this.config.pageSize }
            });
            const result = parseVendorPayload(SpotdraftContractPage, body, this.ctx(operation));
            for (const row of result.results) this.rows.set(row.id, row);
            rows.push(...result.results);
            if (until && this.rows.has(until)) return rows;
            if (result.results.length === 0 || rows.length >= result.total_results) return rows;
        }
        throw clmError(CLM_ERROR.TRANSIENT, `${operation}: more than ${this.config.maxPages} pages`, {
            operation,
            maxPages: this.config.maxPages
        });
    }

    private async resolveTemplate(): Promise<{ id: number; name: string; variables: SpotdraftVariable[] }> {
        const { items } = await this.http.parsed(SpotdraftTemplates, {
            method: 'GET',
            url: this.url('/v2.1/public/templates'),
            bucket: 'workspace',
            operation: 'GET /v2.1/public/templates'
        });
        const { id, name } = templateNamed(VENDOR, items, this.config.templateName);
        const metadata = await this.http.parsed(SpotdraftTemplateMetadata, {
            method: 'GET',
            url: this.url(`/v2.1/public/templates/${id}/metadata`),
            bucket: 'workspace',
            operation: 'GET /v2.1/public/templates/{template_id}/metadata'
        });
        this.variables = templateVariables(metadata);
        return { id, name, variables: this.variables };
    }

    async describeTemplate(): Promise<ClmTemplate> {
        this.template.invalidate(); // read it fresh: an admin may just have changed it
        const template = await this.template.get();
        return spotdraftTemplate(this.config, template, template.variables);
    }

    /** Custom field → variable: configured, else a connector slot the template has a home for, else by name. */
    private customMap(): Record<string, string> {
        return {
            ...Object.fromEntries(templateCustomVariables(this.config, this.variables)),
            ...this.nativeSlots(),
            ...this.config.customFields
        };
    }

    private async fetchHmacKey(): Promise<string> {
        const { hmac_key } = await this.http.parsed(SpotdraftHmacKey, {
            method: 'GET',
            url: this.url('/v2.1/public/webhooks/hmac_key/'),
            bucket: 'workspace',
            operation: 'GET /v2.1/public/webhooks/hmac_key/'
        });
        return hmac_key;
    }

    private contractData(values: {
        naturalKey?: string;
        counterpartyAddress?: string;
        value?: Money | null;
        effectiveDate?: string | null;
        expirationDate?: string | null;
        custom?: Record<string, string | number | boolean | null>;
    }): Record<string, unknown> {
        const fields = this.config.dataFields;
        const data: Record<string, unknown> = {};
        if (values.naturalKey !== undefined && fields.naturalKey) data[fields.naturalKey] = values.naturalKey;
        if (values.counterpartyAddress !== undefined) data[fields.counterpartyAddress] = values.counterpartyAddress;
        if (values.value !== undefined) {
            data[fields.value] =
                values.value === null ? null : { type: values.value.currency, value: Number(values.value.amount) };
        }
        if (values.effectiveDate !== undefined) data[fields.effectiveDate] = values.effectiveDate;
        if (values.expirationDate !== undefined) data[fields.expirationDate] = values.expirationDate;
        for (const [name, value] of Object.entries(values.custom ?? {})) {
            const variable = this.customMap()[name];
            if (!variable) {
                throw clmError(CLM_ERROR.VALIDATION, `no SpotDraft variable is configured for custom field "${name}"`, {
                    field: `custom.${name}`
                });
            }
            data[variable] = value;
        }
        // Absent values are left out at create (null means "clear" only on update).
        return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== undefined));
    }

    private toContract(row: SpotdraftContractRow, keyPointers: SpotdraftKeyPointer[]): ClmContract {
        const fields = this.config.dataFields;
        const pointer = (name: string) => {
            const index = keyPointers.findIndex((candidate) => candidate.field_name === name);
            return index < 0 ? undefined : { value: keyPointers[index]!.value, field: `key_pointers.${index}.value` };
        };
        const date = (name: string) => {
            const found = pointer(name);
            return found && found.value !== null && found.value !== '' ? vendorDate(found.value, found.field) : null;
        };
        const money = (() => {
            const found = pointer(fields.value);
            if (!found || found.value === null || found.value === undefined) return null;
            const parsed = parseVendorPayload(SpotdraftMoney, found.value, {
                ...this.ctx('key pointers'),
                fieldPrefix: found.field
            });
            if (!/^[A-Z]{3}$/.test(parsed.type)) {
                throw clmError(CLM_ERROR.VALIDATION, `vendor field "${found.field}.type" is not a currency code`, {
                    field: `${found.field}.type`
                });
            }
            return { currency: parsed.type, amount: decimalText(parsed.value, `${found.field}.value`) };
        })();
        const effectiveDate = date(fields.effectiveDate);
        const expirationDate = date(fields.expirationDate);
        const present = (name: string) => {
            const found = pointer(name);
            return found && found.value !== null && found.value !== undefined && found.value !== '' ? found : null;
        };
        const read = <T>(name: string, parse: (raw: unknown, at: string) => T): T | null => {
            const found = present(name);
            return found ? parse(found.value, found.field) : null;
        };
        const noticeDays = read(fields.noticePeriod, durationDays);
        const keyTerms = {
            executedDate: date(fields.executedDate),
            noticeDeadline: date(fields.noticeDeadline) ?? noticeDeadlineFrom(expirationDate, noticeDays),
            termMonths: read(fields.term, durationMonths),
            autoRenew: read(fields.autoRenew, vendorBoolean),
            renewalTermMonths: read(fields.renewalTerm, durationMonths),
            noticeDays
        };
        const address = read(fields.counterpartyAddress, counterpartyAddress);
        const today = new Date(this.clock.now()).toISOString().slice(0, 10);
        const status = deriveFromDates(mapContractStatus(row.contract_status), effectiveDate, expirationDate, today);
        const refs: ExternalRef[] = [{ system: VENDOR, objectType: 'contract', id: row.id }];
        const naturalKey = row.external_metadata?.[this.config.externalMetadataKey];
        if (naturalKey)
            refs.push({ system: 'salesforce', objectType: this.config.naturalKeyObjectType, id: naturalKey });
        const custom: Record<string, unknown> = {};
        for (const [name, variable] of Object.entries(this.customMap())) {
            // The address is read into the counterparty, not as a custom value.
            if (variable === fields.counterpartyAddress && !(name in this.config.customFields)) continue;
            const found = pointer(variable);
            if (found !== undefined) custom[name] = found.value;
        }
        const created = new Date(Date.parse(row.created));
        if (Number.isNaN(created.getTime())) {
            throw clmError(CLM_ERROR.VALIDATION, 'SpotDraft contract "created" is not a date-time', {
                field: 'created'
            });
        }
        const version = createHash('sha256')
            .update(
                JSON.stringify([
                    row.contract_status,
                    row.contract_name,
                    row.counter_party_name ?? null,
                    row.external_metadata ?? null,
                    keyPointers.map((kp) => [kp.field_name, kp.value])
                ])
            )
            .digest('hex')
            .slice(0, 20);
        const candidate = {
            id: row.id,
            vendor: VENDOR,
            refs,
            title: row.contract_name,
            status,
            counterparty: row.counter_party_name
                ? { name: row.counter_party_name, ...(address ? { address } : {}) }
                : null,
            effectiveDate,
            expirationDate,
            value: money,
            ...keyTerms,
            contacts: [],
            lineItems: [],
            custom,
            version,
            updatedAt: this.versionTimes.seenAt(row.id, version, created)
        };
        return parseVendorPayload(ClmContract, candidate, {
            vendor: VENDOR,
            operation: 'map contract',
            fieldPrefix: 'contract'
        });
    }

    private url(path: string): string {
        return `${this.config.baseUrl.replace(/\/$/, '')}${path}`;
    }

    private ctx(operation: string) {
        return { vendor: VENDOR, operation };
    }
}

function decodeFingerprints(cursor: string): Record<string, string> {
    try {
        return ChangeCursor.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).fingerprints;
    } catch {
        throw clmError(CLM_ERROR.VALIDATION, 'the change cursor is not one this adapter issued', { field: 'cursor' });
    }
}
