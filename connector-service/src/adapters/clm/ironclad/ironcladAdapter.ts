/**
 * The Ironclad adapter: one contract = one workflow (the connector id is the workflow id), followed to
 * its archived record once completed. OAuth client credentials with scopes and expiry; every call names
 * the actor (x-as-user-email). Templates are resolved by name (ids change on republish). Attribute
 * writes are accepted in the Review step only; elsewhere CLM.NOT_WRITABLE_IN_STATE.
 */
import { z } from 'zod';
import { ClmContract, type ClmContact, type ExternalRef, type LineItem } from '../../../domain/clm.ts';
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
import { HttpClient, type FetchLike, type HttpRequest } from '../http.ts';
import { decodeCursor, encodeCursor, takeChanges, type FeedPosition } from '../changeFeed.ts';
import { systemClock, type Clock } from '../../../clock.ts';
import { WindowLimit, type BackoffPolicy } from '../rateLimit.ts';
import {
    addressText,
    counterpartyAddress,
    decimalText,
    deriveFromDates,
    noticeDeadlineFrom,
    optionalString,
    vendorBoolean,
    vendorDate,
    vendorInteger,
    vendorMoney
} from '../values.ts';
import { parseVendorJson, parseVendorPayload } from '../vendorPayload.ts';
import { headerValue, WebhookReplayGuard } from '../webhookGuard.ts';
import { IroncladConfig, type IroncladConfigInput } from './config.ts';
import {
    IroncladDelivery,
    IroncladDocumentEntry,
    IroncladRecord,
    IroncladRecordPage,
    IroncladSigners,
    IroncladToken,
    IroncladWebhook,
    IroncladWebhookPage,
    IroncladWorkflow,
    IroncladWorkflowPage,
    mapWorkflowStatus,
    WORKFLOW_STATUSES
} from './payloads.ts';
import {
    ironcladTemplate,
    IroncladRecordsMetadata,
    IroncladWorkflowSchemaList,
    templateCustomAttributes,
    titleAttribute,
    type IroncladWorkflowSchema
} from './template.ts';
import { EVENT_ID_HEADER, IroncladWebhookVerifier } from './webhook.ts';

export interface IroncladAdapterDeps {
    fetch?: FetchLike;
    clock?: Clock;
    random?: () => number;
    backoff?: BackoffPolicy;
    /** DNS, transport and the log for refused downloads (tests replace the first two). */
    downloads?: DownloadGuardDeps;
}

const VENDOR = 'ironclad';
const MAX_CREATE_ATTEMPTS = 3;

/** Ironclad event → canonical event type (research/clm-apis.md §2). */
const EVENT_TYPES: Record<string, ClmEventType> = {
    workflow_launched: 'contract.created',
    workflow_updated: 'contract.updated',
    workflow_attribute_updated: 'contract.updated',
    workflow_completed: 'contract.status_changed',
    workflow_cancelled: 'contract.status_changed',
    workflow_paused: 'contract.status_changed',
    workflow_resumed: 'contract.status_changed',
    workflow_step_updated: 'contract.status_changed',
    workflow_approval_status_changed: 'approval.changed',
    workflow_signature_packet_sent: 'signature.sent',
    workflow_signature_packet_fully_signed: 'signature.completed',
    workflow_signature_packet_cancelled: 'signature.declined',
    workflow_signer_added: 'signature.sent',
    workflow_documents_added: 'document.added',
    workflow_signature_packet_uploaded: 'document.added'
};

export class IroncladAdapter implements ClmPort {
    readonly vendor = VENDOR;
    private readonly config: IroncladConfig;
    private readonly http: HttpClient;
    private readonly downloads: DownloadGuard;
    private readonly clock: Clock;
    private readonly verifier: IroncladWebhookVerifier;
    private readonly token = new AsyncCache(() => this.requestToken());
    private readonly template = new AsyncCache(() => this.resolveTemplate());
    /** The template's launch schema once read (the title attribute depends on it). */
    private schema: IroncladWorkflowSchema | undefined;
    private readonly creates = new SingleFlight<ClmContract>();

    constructor(config: IroncladConfigInput, deps: IroncladAdapterDeps = {}) {
        this.config = IroncladConfig.parse(config);
        this.clock = deps.clock ?? systemClock;
        const perMinute = this.config.rateLimitsPerMinute;
        // Ironclad counts each bucket per minute: at most that many in any minute, never a 429 of ours.
        const bucket = (rpm: number) => new WindowLimit(Math.max(1, Math.floor(rpm)), 60_000, this.clock);
        this.http = new HttpClient({
            vendor: VENDOR,
            timeoutMs: this.config.timeoutMs,
            maxResponseBytes: this.config.maxResponseBytes,
            buckets: {
                auth: bucket(perMinute.auth),
                workflowsRead: bucket(perMinute.workflowsRead),
                workflowsWrite: bucket(perMinute.workflowsWrite),
                signatures: bucket(perMinute.signatures),
                recordsRead: bucket(perMinute.recordsRead),
                webhooks: bucket(perMinute.webhooks)
            },
            authHeaders: async () => ({
                authorization: `Bearer ${await this.accessToken()}`,
                'x-as-user-email': this.config.actorEmail
            }),
            invalidateAuth: () => {
                this.token.invalidate();
            },
            mapError: ({ status, body, request }) => {
                const code = (body as { code?: unknown } | undefined)?.code;
                // PATCH attributes outside Review: Ironclad answers 400 with code INVALID_STATE.
                if (status === 400 && code === 'INVALID_STATE') {
                    return clmError(CLM_ERROR.NOT_WRITABLE_IN_STATE, `${request.operation}: ${messageText(body)}`, {
                        operation: request.operation,
                        state: 'not Review'
                    });
                }
                return undefined;
            },
            ...(deps.fetch ? { fetch: deps.fetch } : {}),
            clock: this.clock,
            ...(deps.random ? { random: deps.random } : {}),
            ...(deps.backoff ? { backoff: deps.backoff } : {})
        });
        this.downloads = downloadGuardFor(VENDOR, this.config, deps.downloads);
        this.verifier = new IroncladWebhookVerifier(
            () => this.verificationKey(),
            new WebhookReplayGuard({ toleranceMs: this.config.webhookToleranceMs, clock: this.clock }),
            this.clock,
            this.config.webhookKeyRefreshIntervalMs
        );
    }

    capabilities(): ClmCapabilities {
        return {
            webhooks: 'thin',
            webhookAuth: 'rsa',
            changeFeed: 'updated-since',
            lineItems: true,
            // In Review, like every attribute (the table goes as JSON text: the spec types `value` as a string).
            lineItemsWritable: true,
            contacts: true,
            documentsUpload: false,
            signatureStatus: true,
            transitions: [],
            writableStates: ['InReview', 'PendingApproval', 'Approved'],
            rateLimit: { perBucket: { ...this.config.rateLimitsPerMinute } },
            // A title attribute only when the template has one (many derive the workflow title themselves).
            writableFields: [
                ...(this.titleAttribute() ? ['title'] : []),
                'counterpartyName',
                'value',
                'effectiveDate',
                'expirationDate',
                ...Object.keys(this.customMap()).map((name) => `custom.${name}`)
            ],
            // Ironclad holds every key term (launch attributes, then the archived record's properties).
            unreadableFields: []
        };
    }

    /** Custom field → attribute: configured, else a connector slot the template has a home for, else by name. */
    private customMap(): Record<string, string> {
        return {
            ...Object.fromEntries(templateCustomAttributes(this.config, this.schema)),
            ...this.nativeSlots(),
            ...this.config.customAttributes
        };
    }

    /** Connector custom slots this adapter writes to the template's own attributes (signer, address). */
    private nativeSlots(): Record<string, string> {
        const names = this.config.attributes;
        return {
            [CANONICAL_SLOTS.counterpartyAddress]: names.counterpartyAddress,
            [CANONICAL_SLOTS.primaryContactEmail]: names.counterpartySignerEmail,
            [CANONICAL_SLOTS.primaryContactName]: names.counterpartySignerName,
            [CANONICAL_SLOTS.dealStage]: names.dealStage
        };
    }

    // ---- contracts -------------------------------------------------------------------------------

    async findByExternalRef(ref: ExternalRef): Promise<ClmContract | null> {
        if (ref.system === VENDOR) {
            try {
                if (ref.objectType === 'workflow') return await this.getContract(ref.id);
                if (ref.objectType === 'record') {
                    const record = await this.getRecord(ref.id);
                    const workflowId = record.source?.workflowId;
                    return workflowId ? await this.getContract(workflowId) : null;
                }
            } catch (error) {
                if (isConnectorError(error, CLM_ERROR.NOT_FOUND)) return null;
                throw error;
            }
            return null;
        }
        if (ref.system !== 'salesforce' || ref.objectType !== this.config.naturalKey.objectType) return null;
        const workflows = await this.listWorkflows({ filter: equalsFormula(this.config.naturalKey.attribute, ref.id) });
        if (workflows.length === 0) return null;
        // Amendments copy the launch attributes, so several workflows may carry the key: the newest is current.
        const newest = workflows.reduce((a, b) => (Date.parse(b.created) > Date.parse(a.created) ? b : a));
        return this.toContract(newest);
    }

    /** Idempotent by natural key; concurrent creates for one key in this process share one attempt. */
    async createContract(input: CreateContractInput): Promise<ClmContract> {
        const valid = checkCreateInput(input);
        return this.creates.run(refKey(valid.naturalKey), () => this.createOnce(valid));
    }

    private async createOnce(valid: CreateContractInput): Promise<ClmContract> {
        if (
            valid.naturalKey.system !== 'salesforce' ||
            valid.naturalKey.objectType !== this.config.naturalKey.objectType
        ) {
            throw clmError(
                CLM_ERROR.VALIDATION,
                `the natural key must be a Salesforce ${this.config.naturalKey.objectType}`,
                {
                    field: 'naturalKey.objectType'
                }
            );
        }
        const attributes = this.launchAttributes(valid);
        for (let attempt = 1; ; attempt++) {
            const existing = await this.findByExternalRef(valid.naturalKey);
            if (existing) return existing;
            try {
                const launched = await this.http.json({
                    method: 'POST',
                    url: this.url('/workflows'),
                    bucket: 'workflowsWrite',
                    operation: 'POST /workflows',
                    json: {
                        template: (await this.template.get()).id,
                        creator: { type: 'email', email: this.config.actorEmail },
                        attributes
                    }
                });
                const workflow = parseVendorPayload(IroncladWorkflow, launched, this.ctx('POST /workflows'));
                return await this.toContract(workflow);
            } catch (error) {
                // A lost response may hide a launched workflow: the next pass looks it up before relaunching.
                const lost = isConnectorError(error, CLM_ERROR.TRANSIENT) && error.details.responseLost === true;
                const staleTemplate =
                    isConnectorError(error, CLM_ERROR.VALIDATION) && error.details.field === 'template';
                if (staleTemplate) this.template.invalidate(); // republished: resolve by name again
                if (!(lost || staleTemplate) || attempt >= MAX_CREATE_ATTEMPTS) throw error;
            }
        }
    }

    async getContract(id: string): Promise<ClmContract> {
        return this.toContract(await this.getWorkflow(id));
    }

    async updateContract(id: string, patch: ContractPatch, opts: { ifVersion?: string } = {}): Promise<ClmContract> {
        const valid = checkPatch(patch);
        const workflow = await this.writableWorkflow(id, opts.ifVersion);
        return this.patchAttributes(workflow, this.attributeUpdates(valid, workflow.attributes));
    }

    private async writableWorkflow(id: string, ifVersion: string | undefined): Promise<IroncladWorkflow> {
        const workflow = await this.getWorkflow(id);
        if (ifVersion !== undefined && ifVersion !== workflow.lastUpdated) {
            throw clmError(CLM_ERROR.CONFLICT, `workflow ${id} changed since ${ifVersion}`, {
                id,
                expectedVersion: ifVersion,
                actualVersion: workflow.lastUpdated
            });
        }
        if (workflow.status !== 'active' || workflow.step !== 'Review') {
            throw clmError(
                CLM_ERROR.NOT_WRITABLE_IN_STATE,
                `workflow ${id} is ${workflow.status}/${workflow.step}: attributes are writable in Review only`,
                {
                    id,
                    state: mapWorkflowStatus(workflow).lifecycle,
                    rawStatus: workflow.status,
                    rawStage: workflow.step
                }
            );
        }
        return workflow;
    }

    /**
     * Writes changed attributes only: Ironclad answers 400 when a PATCH changes nothing. Its answer is the updated
     * workflow, so the write costs no read after it.
     */
    private async patchAttributes(workflow: IroncladWorkflow, updates: AttributeUpdate[]): Promise<ClmContract> {
        if (updates.length === 0) return this.toContract(workflow);
        const updated = await this.http.parsed(IroncladWorkflow, {
            method: 'PATCH',
            url: this.url(`/workflows/${encodeURIComponent(workflow.id)}/attributes`),
            bucket: 'workflowsWrite',
            operation: 'PATCH /workflows/{id}/attributes',
            json: { updates, comment: 'Updated from Salesforce by the CLM connector' }
        });
        return this.toContract(updated);
    }

    async transition(_id: string, action: TransitionAction): Promise<ClmContract> {
        throw clmError(
            CLM_ERROR.UNSUPPORTED,
            `Ironclad's public API has no "${action}" transition; workflows move in Ironclad`,
            {
                op: action
            }
        );
    }

    // ---- children --------------------------------------------------------------------------------

    async listLineItems(id: string): Promise<LineItem[]> {
        return (await this.getContract(id)).lineItems;
    }

    async replaceLineItems(id: string, items: LineItem[]): Promise<ClmContract> {
        const workflow = await this.writableWorkflow(id, undefined);
        const path = this.config.attributes.lineItems;
        const table = this.lineItemTable(items);
        if (JSON.stringify(workflow.attributes[path] ?? []) === JSON.stringify(table)) return this.toContract(workflow);
        const update: AttributeUpdate =
            table.length === 0 ? { action: 'remove', path } : { action: 'set', path, value: JSON.stringify(table) };
        return this.patchAttributes(workflow, [update]);
    }

    async listParties(id: string): Promise<{ counterparty: ClmContract['counterparty']; contacts: ClmContact[] }> {
        const contract = await this.getContract(id);
        // There is no signature packet before the Sign step (Ironclad answers 400 INVALID_STATE).
        const signers =
            contract.status.rawStage === 'Review' || contract.status.rawStatus === 'cancelled'
                ? []
                : await this.signers(id);
        const counterpartyEmail = contract.contacts.find((contact) => contact.side === 'theirs')?.email;
        const contacts: ClmContact[] = signers
            .filter((signer) => signer.email.includes('@'))
            .map((signer) => ({
                name: signer.name,
                email: signer.email,
                role: 'signer',
                side:
                    signer.email === counterpartyEmail || /counterparty/i.test(signer.roleName ?? '')
                        ? 'theirs'
                        : 'ours'
            }));
        // The launch form's counterparty signer is a contact even before the signature packet exists.
        for (const contact of contract.contacts) {
            if (!contacts.some((known) => known.email === contact.email)) contacts.push(contact);
        }
        return { counterparty: contract.counterparty, contacts };
    }

    private async signers(id: string) {
        const { signers } = await this.http.parsed(IroncladSigners, {
            method: 'GET',
            url: this.url(`/workflows/${encodeURIComponent(id)}/signatures`),
            bucket: 'signatures',
            operation: 'GET /workflows/{id}/signatures'
        });
        return signers;
    }

    async listDocuments(id: string): Promise<ClmDocument[]> {
        const workflow = await this.getWorkflow(id);
        const documents: ClmDocument[] = [];
        for (const attribute of ['draft', 'signed'] as const) {
            const files = parseVendorPayload(z.array(IroncladDocumentEntry), workflow.attributes[attribute] ?? [], {
                ...this.ctx('GET /workflows/{id}'),
                fieldPrefix: `attributes.${attribute}`
            });
            for (const file of files) {
                const key = /\/document\/([^/]+)\/download$/.exec(file.download)![1]!;
                documents.push({
                    id: `workflow:${decodeURIComponent(key)}`,
                    kind: attribute,
                    name: file.filename,
                    mimeType: mimeTypeOf(file.filename)
                });
            }
        }
        for (const recordId of workflow.recordIds ?? []) {
            const record = await this.getRecord(recordId);
            for (const [key, attachment] of Object.entries(record.attachments ?? {})) {
                documents.push({
                    id: `record:${recordId}:${key}`,
                    kind: key === 'signedCopy' ? 'signed' : 'attachment',
                    name: attachment.filename,
                    mimeType: attachment.contentType ?? mimeTypeOf(attachment.filename)
                });
            }
        }
        return documents;
    }

    async downloadDocument(id: string, documentId: string): Promise<DownloadedDocument> {
        const documents = await this.listDocuments(id);
        const document = documents.find((candidate) => candidate.id === documentId);
        if (!document)
            throw clmError(CLM_ERROR.NOT_FOUND, `no document ${documentId} on workflow ${id}`, { id, documentId });
        const [source, first, second] = documentId.split(':');
        const request: HttpRequest =
            source === 'record'
                ? {
                      method: 'GET',
                      url: this.url(
                          `/records/${encodeURIComponent(first!)}/attachments/${encodeURIComponent(second!)}`
                      ),
                      bucket: 'recordsRead',
                      operation: 'GET /records/{id}/attachments/{key}'
                  }
                : {
                      method: 'GET',
                      url: this.url(
                          `/workflows/${encodeURIComponent(id)}/document/${encodeURIComponent(first!)}/download`
                      ),
                      bucket: 'workflowsRead',
                      operation: 'GET /workflows/{id}/document/{key}/download'
                  };
        const response = await this.http.download(request, this.downloads);
        return {
            name: document.name,
            mimeType: response.headers.get('content-type')?.split(';')[0] ?? document.mimeType,
            bytes: response.bytes
        };
    }

    async uploadDocument(): Promise<ClmDocument> {
        throw clmError(CLM_ERROR.UNSUPPORTED, 'uploading documents to Ironclad is not part of this connector', {
            op: 'uploadDocument'
        });
    }

    // ---- change detection ------------------------------------------------------------------------

    /**
     * Workflows by lastUpdated (covers launches, edits, step changes, completion) plus records by
     * lastUpdated (edits to a completed contract's record), merged per workflow.
     */
    async listChanges(cursor: string | null, limit: number): Promise<{ items: ClmContract[]; nextCursor: string }> {
        const position = decodeCursor(cursor, ['workflows', 'records']);
        const workflows = await this.listWorkflows(
            position.workflows.since ? { lastUpdated: position.workflows.since } : {}
        );
        const records = await this.listRecords(position.records.since ? { lastUpdated: position.records.since } : {});
        const workflowChanges = takeChanges(
            position.workflows,
            workflows.map((workflow) => ({ key: workflow.id, version: workflow.lastUpdated, item: workflow })),
            limit
        );
        const recordChanges = takeChanges(
            position.records,
            records
                .filter((record) => record.source?.workflowId)
                .map((record) => ({ key: record.id, version: record.lastUpdated, item: record })),
            Math.max(0, limit - workflowChanges.items.length)
        );
        const byId = new Map<string, ClmContract>();
        for (const workflow of workflowChanges.items) byId.set(workflow.id, await this.toContract(workflow));
        for (const record of recordChanges.items) {
            const workflowId = record.source!.workflowId!;
            if (!byId.has(workflowId)) byId.set(workflowId, await this.getContract(workflowId));
        }
        const next: Record<string, FeedPosition> = {
            workflows: workflowChanges.position,
            records: recordChanges.position
        };
        return { items: [...byId.values()], nextCursor: encodeCursor(next) };
    }

    /**
     * Active workflows updated at or after `since`, all pages: a wave of webhooks read in pages of 100. Completed
     * workflows (whose values live on their record) are left to a read each.
     */
    async listChangedSince(since: string): Promise<ClmContract[]> {
        const workflows = await this.allPages(
            '/workflows',
            'workflowsRead',
            { lastUpdated: since, status: 'active' },
            (body, operation) => parseVendorPayload(IroncladWorkflowPage, body, this.ctx(operation))
        );
        const contracts: ClmContract[] = [];
        for (const workflow of workflows) contracts.push(await this.toContract(workflow));
        return contracts;
    }

    verifyWebhook(req: WebhookRequest): Promise<WebhookVerification> {
        return this.verifier.verify(req);
    }

    parseWebhook(req: WebhookRequest): ClmEvent[] {
        const delivery = parseVendorJson(IroncladDelivery, req.rawBody, this.ctx('webhook'));
        const eventId = headerValue(req.headers, EVENT_ID_HEADER);
        if (!eventId) throw clmError(CLM_ERROR.VALIDATION, `missing ${EVENT_ID_HEADER}`, { field: EVENT_ID_HEADER });
        const event = delivery.payload.event;
        return [
            {
                type: EVENT_TYPES[event] ?? 'contract.updated',
                contractRef: { system: VENDOR, objectType: 'workflow', id: delivery.payload.workflowID },
                at: delivery.timestamp,
                vendorEventId: eventId,
                vendorEventType: event,
                receivedAt: new Date(this.clock.now()).toISOString()
            }
        ];
    }

    async ensureWebhookSubscription(targetUrl: string): Promise<{ id: string }> {
        const wanted = this.config.webhookEvents;
        for (let page = 0; page < this.config.maxPages; page++) {
            const body = await this.http.json({
                method: 'GET',
                url: this.url('/webhooks'),
                bucket: 'webhooks',
                operation: 'GET /webhooks',
                query: { page, pageSize: this.config.pageSize }
            });
            const { list } = parseVendorPayload(IroncladWebhookPage, body, this.ctx('GET /webhooks'));
            const existing = list.find((hook) => hook.targetURL === targetUrl);
            if (existing) {
                const covers =
                    existing.events.includes('*') || wanted.every((event) => existing.events.includes(event));
                if (covers) return { id: existing.id };
                // One registration per target URL: replace it with one that covers every event we need.
                await this.http.send({
                    method: 'DELETE',
                    url: this.url(`/webhooks/${encodeURIComponent(existing.id)}`),
                    bucket: 'webhooks',
                    operation: 'DELETE /webhooks/{id}'
                });
                break;
            }
            if (list.length < this.config.pageSize) break;
        }
        const created = await this.http.json({
            method: 'POST',
            url: this.url('/webhooks'),
            bucket: 'webhooks',
            operation: 'POST /webhooks',
            json: { events: wanted, targetURL: targetUrl }
        });
        return { id: parseVendorPayload(IroncladWebhook, created, this.ctx('POST /webhooks')).id };
    }

    // ---- Ironclad plumbing -----------------------------------------------------------------------

    private async accessToken(): Promise<string> {
        const token = await this.token.get();
        // Refresh a minute early so a token does not expire mid-request.
        if (token.expiresAt - 60_000 > this.clock.now()) return token.value;
        this.token.invalidate();
        return (await this.token.get()).value;
    }

    private async requestToken(): Promise<{ value: string; expiresAt: number }> {
        const body = await this.http
            .json({
                method: 'POST',
                url: this.config.tokenUrl,
                bucket: 'auth',
                operation: 'POST /oauth/token',
                anonymous: true,
                form: {
                    grant_type: 'client_credentials',
                    client_id: this.config.clientId,
                    client_secret: this.config.clientSecret,
                    scope: this.config.scopes.join(' ')
                }
            })
            .catch((error: unknown) => {
                // A refused token request (invalid_client, invalid_scope …) is an authorisation problem.
                if (isConnectorError(error, CLM_ERROR.VALIDATION)) {
                    throw clmError(CLM_ERROR.AUTH, 'Ironclad refused the token request', {
                        operation: 'POST /oauth/token',
                        vendorMessage: error.details.vendorMessage
                    });
                }
                throw error;
            });
        const token = parseVendorPayload(IroncladToken, body, this.ctx('POST /oauth/token'));
        return { value: token.access_token, expiresAt: this.clock.now() + token.expires_in * 1000 };
    }

    private async verificationKey(): Promise<string> {
        const response = await this.http.send({
            method: 'GET',
            url: this.url('/webhooks/verification-key'),
            bucket: 'webhooks',
            operation: 'GET /webhooks/verification-key',
            headers: { accept: 'text/plain' }
        });
        return response.bytes.toString('utf8');
    }

    private async resolveTemplate(): Promise<IroncladWorkflowSchema> {
        const { list } = await this.http.parsed(IroncladWorkflowSchemaList, {
            method: 'GET',
            url: this.url('/workflow-schemas'),
            bucket: 'workflowsRead',
            operation: 'GET /workflow-schemas',
            query: { form: 'launch' }
        });
        this.schema = templateNamed(VENDOR, list, this.config.templateName);
        return this.schema;
    }

    async describeTemplate(): Promise<ClmTemplate> {
        this.template.invalidate(); // read it fresh: an admin may just have republished it
        const schema = await this.template.get();
        const metadata = await this.http.parsed(IroncladRecordsMetadata, {
            method: 'GET',
            url: this.url('/records/metadata'),
            bucket: 'recordsRead',
            operation: 'GET /records/metadata'
        });
        return ironcladTemplate(this.config, schema, metadata);
    }

    private titleAttribute(): string | null {
        return titleAttribute(this.config, this.schema);
    }

    private getWorkflow(id: string): Promise<IroncladWorkflow> {
        return this.http.parsed(IroncladWorkflow, {
            method: 'GET',
            url: this.url(`/workflows/${encodeURIComponent(id)}`),
            bucket: 'workflowsRead',
            operation: 'GET /workflows/{id}'
        });
    }

    private getRecord(id: string): Promise<IroncladRecord> {
        return this.http.parsed(IroncladRecord, {
            method: 'GET',
            url: this.url(`/records/${encodeURIComponent(id)}`),
            bucket: 'recordsRead',
            operation: 'GET /records/{id}'
        });
    }

    /** GET /workflows for every status (Ironclad lists `active` unless told otherwise), all pages (0-based). */
    private async listWorkflows(query: { filter?: string; lastUpdated?: string }): Promise<IroncladWorkflow[]> {
        const all: IroncladWorkflow[] = [];
        for (const status of WORKFLOW_STATUSES) {
            const page = await this.allPages('/workflows', 'workflowsRead', { ...query, status }, (body, operation) =>
                parseVendorPayload(IroncladWorkflowPage, body, this.ctx(operation))
            );
            all.push(...page);
        }
        return all;
    }

    private async listRecords(query: { lastUpdated?: string }): Promise<IroncladRecord[]> {
        return this.allPages('/records', 'recordsRead', query, (body, operation) =>
            parseVendorPayload(IroncladRecordPage, body, this.ctx(operation))
        );
    }

    private async allPages<T>(
        path: string,
        bucket: string,
        query: Record<string, string | undefined>,
        parse: (body: unknown, operation: string) => { count: number; list: T[] }
    ): Promise<T[]> {
        const items: T[] = [];
        const operation = `GET ${path}`;
        for (let page = 0; page < this.config.maxPages; page++) {
            const body = await this.http.json({
                method: 'GET',
                url: this.url(path),
                bucket,
                operation,
                query: { ...query, page, pageSize: this.config.pageSize }
            });
            const result = parse(body, operation);
            items.push(...result.list);
            if (result.list.length === 0 || items.length >= result.count) return items;
        }
        throw clmError(CLM_ERROR.TRANSIENT, `${operation}: more than ${this.config.maxPages} pages`, {
            operation,
            maxPages: this.config.maxPages
        });
    }

    private launchAttributes(input: CreateContractInput): Record<string, unknown> {
        const names = this.config.attributes;
        const signer = counterpartySigner(input.contacts);
        const attributes: Record<string, unknown> = {
            [names.counterpartyName]: input.counterparty.name,
            [this.config.naturalKey.attribute]: input.naturalKey.id
        };
        const title = this.titleAttribute();
        if (title) attributes[title] = input.title;
        if (signer) {
            attributes[names.counterpartySignerName] = signer.name;
            attributes[names.counterpartySignerEmail] = signer.email;
        }
        if (input.counterparty.address) attributes[names.counterpartyAddress] = addressText(input.counterparty.address);
        if (input.value) attributes[names.value] = ironcladMoney(input.value);
        if (input.effectiveDate) attributes[names.effectiveDate] = input.effectiveDate;
        if (input.expirationDate) attributes[names.expirationDate] = input.expirationDate;
        if (input.lineItems && input.lineItems.length > 0)
            attributes[names.lineItems] = this.lineItemTable(input.lineItems);
        Object.assign(attributes, this.customAttributes(input.custom ?? {}));
        return attributes;
    }

    private lineItemTable(items: readonly LineItem[]): Record<string, unknown>[] {
        const columns = this.config.lineItemColumns;
        return items.map((item) => ({
            [columns.key]: item.sfQuoteLineId ?? item.key,
            [columns.product]: item.product,
            [columns.quantity]: Number(item.quantity),
            ...(item.unitPrice ? { [columns.unitPrice]: ironcladMoney(item.unitPrice) } : {}),
            ...(item.total ? { [columns.total]: ironcladMoney(item.total) } : {})
        }));
    }

    private customAttributes(custom: Record<string, string | number | boolean | null>): Record<string, unknown> {
        const out: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(custom)) {
            const attribute = this.customMap()[name];
            if (!attribute) {
                throw clmError(CLM_ERROR.VALIDATION, `no Ironclad attribute is configured for custom field "${name}"`, {
                    field: `custom.${name}`
                });
            }
            out[attribute] = value;
        }
        return out;
    }

    /**
     * A checked patch as attribute updates, leaving out values that would not change. The spec types
     * `value` as a string, so structured values (money) travel as JSON text.
     */
    private attributeUpdates(patch: ContractPatch, current: Record<string, unknown>): AttributeUpdate[] {
        const names = this.config.attributes;
        const wanted: [string, unknown][] = [];
        const title = this.titleAttribute();
        if (patch.title !== undefined) {
            if (!title) {
                throw clmError(CLM_ERROR.UNSUPPORTED, 'no Ironclad title attribute is configured', {
                    op: 'update title',
                    field: 'title'
                });
            }
            wanted.push([title, patch.title]);
        }
        if (patch.counterpartyName !== undefined) wanted.push([names.counterpartyName, patch.counterpartyName]);
        if (patch.value !== undefined)
            wanted.push([names.value, patch.value === null ? null : ironcladMoney(patch.value)]);
        if (patch.effectiveDate !== undefined) wanted.push([names.effectiveDate, patch.effectiveDate]);
        if (patch.expirationDate !== undefined) wanted.push([names.expirationDate, patch.expirationDate]);
        wanted.push(...Object.entries(this.customAttributes(patch.custom ?? {})));
        const updates: AttributeUpdate[] = [];
        for (const [path, value] of wanted) {
            if (value === null) {
                if (current[path] !== undefined && current[path] !== null) updates.push({ action: 'remove', path });
                continue;
            }
            if (JSON.stringify(current[path]) === JSON.stringify(value)) continue;
            updates.push({ action: 'set', path, value: typeof value === 'string' ? value : JSON.stringify(value) });
        }
        return updates;
    }

    private async toContract(workflow: IroncladWorkflow): Promise<ClmContract> {
        const names = this.config.attributes;
        const attrs = workflow.attributes;
        const field = (name: string) => `attributes.${name}`;
        const record =
            workflow.status === 'completed' && workflow.recordIds?.[0]
                ? await this.getRecord(workflow.recordIds[0])
                : undefined;
        const property = (name: string) => record?.properties[name]?.value;
        const props = this.config.recordProperties;

        const valueSource = property(props.value) ?? attrs[names.value];
        const value =
            valueSource === undefined || valueSource === null
                ? null
                : vendorMoney(valueSource, record ? `properties.${props.value}.value` : field(names.value));
        // The archived record's typed property wins over the launch attribute once the workflow completed.
        const read = <T>(
            recordName: string | undefined,
            attribute: string | undefined,
            parse: (raw: unknown, at: string) => T
        ) => {
            const fromRecord = recordName === undefined ? undefined : property(recordName);
            const raw = fromRecord ?? (attribute === undefined ? undefined : attrs[attribute]);
            if (raw === undefined || raw === null || raw === '') return null;
            return parse(raw, fromRecord !== undefined ? `properties.${recordName}.value` : field(attribute!));
        };
        const effectiveDate = read(props.effectiveDate, names.effectiveDate, vendorDate);
        const expirationDate = read(props.expirationDate, names.expirationDate, vendorDate);
        const noticeDays = read(props.noticeDays, names.noticeDays, vendorInteger);
        const keyTerms = {
            executedDate: read(props.executedDate, undefined, vendorDate),
            noticeDeadline:
                read(props.noticeDeadline, names.noticeDeadline, vendorDate) ??
                noticeDeadlineFrom(expirationDate, noticeDays),
            termMonths: read(props.termMonths, names.termMonths, vendorInteger),
            autoRenew: read(props.autoRenew, names.autoRenew, vendorBoolean),
            renewalTermMonths: read(props.renewalTermMonths, names.renewalTermMonths, vendorInteger),
            noticeDays
        };
        const address = read(undefined, names.counterpartyAddress, counterpartyAddress);
        const today = new Date(this.clock.now()).toISOString().slice(0, 10);
        const status = deriveFromDates(mapWorkflowStatus(workflow), effectiveDate, expirationDate, today);

        const refs: ExternalRef[] = [{ system: VENDOR, objectType: 'workflow', id: workflow.id }];
        for (const recordId of workflow.recordIds ?? [])
            refs.push({ system: VENDOR, objectType: 'record', id: recordId });
        const naturalKey = optionalString(
            attrs[this.config.naturalKey.attribute],
            field(this.config.naturalKey.attribute)
        );
        if (naturalKey)
            refs.push({ system: 'salesforce', objectType: this.config.naturalKey.objectType, id: naturalKey });

        const signerEmail = optionalString(attrs[names.counterpartySignerEmail], field(names.counterpartySignerEmail));
        const contacts: ClmContact[] = signerEmail
            ? [
                  {
                      name:
                          optionalString(attrs[names.counterpartySignerName], field(names.counterpartySignerName)) ??
                          signerEmail,
                      email: signerEmail,
                      role: 'signer',
                      side: 'theirs'
                  }
              ]
            : [];
        const counterpartyName = optionalString(attrs[names.counterpartyName], field(names.counterpartyName));
        const title = this.titleAttribute();
        const custom: Record<string, unknown> = {};
        // The signer and address are read into their canonical places (contacts, counterparty), not as custom.
        const homed = new Set([names.counterpartyAddress, names.counterpartySignerEmail, names.counterpartySignerName]);
        for (const [name, attribute] of Object.entries(this.customMap())) {
            if (attrs[attribute] !== undefined && (!homed.has(attribute) || name in this.config.customAttributes))
                custom[name] = attrs[attribute];
        }
        const candidate = {
            id: workflow.id,
            vendor: VENDOR,
            refs,
            title: (title ? optionalString(attrs[title], field(title)) : null) ?? workflow.title,
            status,
            counterparty: counterpartyName ? { name: counterpartyName, ...(address ? { address } : {}) } : null,
            effectiveDate,
            expirationDate,
            value,
            ...keyTerms,
            contacts,
            lineItems: this.lineItems(attrs[names.lineItems], field(names.lineItems)),
            custom,
            version: workflow.lastUpdated,
            updatedAt: record && record.lastUpdated > workflow.lastUpdated ? record.lastUpdated : workflow.lastUpdated
        };
        return parseVendorPayload(ClmContract, candidate, {
            vendor: VENDOR,
            operation: 'map workflow',
            fieldPrefix: 'contract'
        });
    }

    private lineItems(table: unknown, field: string): LineItem[] {
        if (table === undefined || table === null) return [];
        if (!Array.isArray(table))
            throw clmError(CLM_ERROR.VALIDATION, `vendor field "${field}" is not a table`, { field });
        const columns = this.config.lineItemColumns;
        return table.map((row: unknown, index) => {
            const at = `${field}.${index}`;
            if (!row || typeof row !== 'object')
                throw clmError(CLM_ERROR.VALIDATION, `vendor field "${at}" is not a row`, { field: at });
            const cells = row as Record<string, unknown>;
            const key = optionalString(cells[columns.key], `${at}.${columns.key}`);
            const product = optionalString(cells[columns.product], `${at}.${columns.product}`);
            if (!product)
                throw clmError(CLM_ERROR.VALIDATION, `vendor field "${at}.${columns.product}" is missing`, {
                    field: `${at}.${columns.product}`
                });
            const money = (column: string) =>
                cells[column] === undefined || cells[column] === null
                    ? undefined
                    : vendorMoney(cells[column], `${at}.${column}`);
            const unitPrice = money(columns.unitPrice);
            const total = money(columns.total);
            return {
                key: key ?? String(index),
                ...(key ? { sfQuoteLineId: key } : {}),
                product,
                quantity: decimalText(cells[columns.quantity], `${at}.${columns.quantity}`),
                ...(unitPrice ? { unitPrice } : {}),
                ...(total ? { total } : {}),
                extra: {}
            };
        });
    }

    private url(path: string): string {
        return `${this.config.baseUrl.replace(/\/$/, '')}${path}`;
    }

    private ctx(operation: string) {
        return { vendor: VENDOR, operation };
    }
}

type AttributeUpdate = { action: 'set' | 'remove'; path: string; value?: string };

/** Ironclad monetary values: `{currency, amount}` with a JSON number amount. */
function ironcladMoney(money: { amount: string; currency: string }): { currency: string; amount: number } {
    return { currency: money.currency, amount: Number(money.amount) };
}

/** Ironclad filter formula; the value is restricted so it cannot break out of the quoted literal. */
function equalsFormula(attribute: string, value: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(value)) {
        throw clmError(CLM_ERROR.VALIDATION, `"${value}" cannot be used in an Ironclad filter`, { field: 'ref.id' });
    }
    return `Equals([${attribute}], '${value}')`;
}

function mimeTypeOf(filename: string): string {
    const lower = filename.toLowerCase();
    if (lower.endsWith('.pdf')) return 'application/pdf';
    if (lower.endsWith('.docx')) return 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
    return 'application/octet-stream';
}

function messageText(body: unknown): string {
    const message = (body as { message?: unknown } | undefined)?.message;
    return typeof message === 'string' ? message.slice(0, 200) : 'refused';
}
