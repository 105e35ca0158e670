/**
 * The SpotDraft adapter (V2.1 public API). Contracts are created from a template named in config,
 * stamped with `external_metadata` and found again by it (the idempotent create). SpotDraft has no
 * "get contract" endpoint: a contract is read from its list row (name, counterparty, metadata),
 * `/status` and `/key_pointers`; no modification time: the version is a hash of what it reads, compared by the change
 * feed (no since-filter). 10 requests/s per workspace; 402 (workflow state) → NOT_WRITABLE_IN_STATE, 409 → CONFLICT.
 */
import { z } from 'zod';
import type { ClmContract, ClmContact, ExternalRef, LineItem } from '../../../domain/clm.ts';
import type { ClmDocument, ClmEvent } from '../../../domain/clmEvents.ts';
import { isConnectorError } from '../../../domain/errors.ts';
import {
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
import type { FetchLike, HttpClient } from '../http.ts';
import { systemClock, type Clock } from '../../../clock.ts';
import { VersionTimes } from './versionTimes.ts';
import type { BackoffPolicy } from '../rateLimit.ts';
import { addressText } from '../values.ts';
import { parseVendorPayload } from '../vendorPayload.ts';
import { WebhookReplayGuard } from '../webhookGuard.ts';
import { SpotdraftConfig, type SpotdraftConfigInput } from './config.ts';
import {
    CompositeId,
    mapContractStatus,
    SpotdraftContractRow,
    SpotdraftTemplates,
    SpotdraftWebhook
} from './payloads.ts';
import { spotdraftTemplate, SpotdraftTemplateMetadata, templateVariables, type SpotdraftVariable } from './template.ts';
import { SpotdraftWebhookVerifier } from './webhook.ts';
import { contractData, spotdraftCustomMap, toContract, VENDOR } from './contractMapping.ts';
import { decodeFingerprints, encodeFingerprints } from './changeCursor.ts';
import { SpotdraftReads } from './contractReads.ts';
import { spotdraftHttpClient, spotdraftUrl } from './spotdraftHttp.ts';
import { spotdraftWebhookEvents } from './webhookEvents.ts';

export interface SpotdraftAdapterDeps {
    fetch?: FetchLike;
    clock?: Clock;
    random?: () => number;
    backoff?: BackoffPolicy;
    /** DNS, transport and the log for refused downloads (tests replace the first two). */
    downloads?: DownloadGuardDeps;
}

const MAX_CREATE_ATTEMPTS = 3;
const CONTRACT_DOCUMENT_ID = 'contract';

export class SpotdraftAdapter implements ClmPort {
    readonly vendor = VENDOR;
    private readonly config: SpotdraftConfig;
    private readonly http: HttpClient;
    private readonly downloads: DownloadGuard;
    private readonly clock: Clock;
    private readonly versionTimes = new VersionTimes(() => this.clock.now());
    private readonly verifier: SpotdraftWebhookVerifier;
    private readonly reads: SpotdraftReads;
    private readonly template = new AsyncCache(() => this.resolveTemplate());
    /** The template's contract_data variables once read (custom fields map to them by name). */
    private variables: SpotdraftVariable[] | undefined;
    private readonly creates = new SingleFlight<ClmContract>();
    private readonly subscriptions = new Map<string, string>();

    constructor(config: SpotdraftConfigInput, deps: SpotdraftAdapterDeps = {}) {
        this.config = SpotdraftConfig.parse(config);
        this.clock = deps.clock ?? systemClock;
        this.http = spotdraftHttpClient(this.config, this.clock, deps);
        this.reads = new SpotdraftReads(this.config, this.http);
        this.downloads = downloadGuardFor(VENDOR, this.config, deps.downloads);
        this.verifier = new SpotdraftWebhookVerifier(
            {
                fetchHmacKeyBase64: () => this.reads.fetchHmacKey(),
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
        this.reads.rows.set(newest.id, newest);
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
            contract_data: contractData(this.config, this.customMap(), {
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
                this.reads.rows.set(row.id, row);
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
        const status = await this.reads.status(compositeId);
        const [row, keyPointers] = await Promise.all([
            this.reads.row(compositeId),
            this.reads.keyPointers(compositeId)
        ]);
        return toContract(
            this.config,
            this.customMap(),
            this.clock,
            this.versionTimes,
            { ...row, contract_status: status },
            keyPointers
        );
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
        const data = contractData(this.config, this.customMap(), valid);
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
        const status = await this.reads.status(compositeId);
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
        const status = await this.reads.status(compositeId);
        const link = await this.reads.downloadLink(compositeId);
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
        const link = await this.reads.downloadLink(compositeId);
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
        const rows = await this.reads.allRows();
        const items: ClmContract[] = [];
        const next = { ...fingerprints };
        for (const row of rows.sort((a, b) => Date.parse(a.created) - Date.parse(b.created))) {
            if (items.length >= limit) break;
            const contract = toContract(
                this.config,
                this.customMap(),
                this.clock,
                this.versionTimes,
                row,
                await this.reads.keyPointers(row.id)
            );
            if (fingerprints[row.id] === contract.version) continue;
            items.push(contract);
            next[row.id] = contract.version;
        }
        return { items, nextCursor: encodeFingerprints(next) };
    }

    verifyWebhook(req: WebhookRequest): Promise<WebhookVerification> {
        return this.verifier.verify(req);
    }

    parseWebhook(req: WebhookRequest): ClmEvent[] {
        return spotdraftWebhookEvents(req.rawBody, this.clock);
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

    /** Custom field → variable (`contractMapping.ts`). */
    private customMap(): Record<string, string> {
        return spotdraftCustomMap(this.config, this.variables);
    }

    // ---- SpotDraft plumbing ----------------------------------------------------------------------

    private compositeId(id: string): string {
        const parsed = CompositeId.safeParse(/^\d+$/.test(id) ? Number(id) : id);
        if (!parsed.success)
            throw clmError(CLM_ERROR.VALIDATION, `"${id}" is not a SpotDraft contract id`, { field: 'id' });
        return parsed.data;
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

    private url(path: string): string {
        return spotdraftUrl(this.config, path);
    }

    private ctx(operation: string) {
        return { vendor: VENDOR, operation };
    }
}
