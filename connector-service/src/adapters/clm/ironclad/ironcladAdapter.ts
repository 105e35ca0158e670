/**
 * The Ironclad adapter: one contract = one workflow (the connector id is the workflow id), followed to
 * its archived record once completed. OAuth client credentials with scopes and expiry; every call names
 * the actor (x-as-user-email). Templates are resolved by name (ids change on republish). Attribute
 * writes are accepted in the Review step only; elsewhere CLM.NOT_WRITABLE_IN_STATE.
 */
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
import { checkCreateInput, checkPatch, refKey, templateNamed } from '../contractInput.ts';
import { downloadGuardFor, type DownloadGuard, type DownloadGuardDeps } from '../downloadGuard.ts';
import type { FetchLike, HttpClient } from '../http.ts';
import { decodeCursor, encodeCursor, takeChanges, type FeedPosition } from '../changeFeed.ts';
import { systemClock, type Clock } from '../../../clock.ts';
import type { BackoffPolicy } from '../rateLimit.ts';
import { parseVendorPayload } from '../vendorPayload.ts';
import { WebhookReplayGuard } from '../webhookGuard.ts';
import { IroncladConfig, type IroncladConfigInput } from './config.ts';
import { IroncladSigners, IroncladWorkflow, IroncladWorkflowPage, mapWorkflowStatus } from './payloads.ts';
import {
    ironcladTemplate,
    IroncladRecordsMetadata,
    IroncladWorkflowSchemaList,
    titleAttribute,
    type IroncladWorkflowSchema
} from './template.ts';
import { IroncladWebhookVerifier } from './webhook.ts';
import { IroncladApi, ironcladUrl } from './ironcladApi.ts';
import { ironcladWebhookEvents } from './webhookEvents.ts';
import { documentRequest, ironcladDocuments } from './documents.ts';
import {
    attributeUpdates,
    ironcladCustomMap,
    launchAttributes,
    lineItemTable,
    toContract,
    VENDOR,
    type AttributeUpdate,
    type IroncladTemplateView
} from './contractMapping.ts';

export interface IroncladAdapterDeps {
    fetch?: FetchLike;
    clock?: Clock;
    random?: () => number;
    backoff?: BackoffPolicy;
    /** DNS, transport and the log for refused downloads (tests replace the first two). */
    downloads?: DownloadGuardDeps;
}

const MAX_CREATE_ATTEMPTS = 3;

export class IroncladAdapter implements ClmPort {
    readonly vendor = VENDOR;
    private readonly config: IroncladConfig;
    private readonly http: HttpClient;
    private readonly downloads: DownloadGuard;
    private readonly clock: Clock;
    private readonly verifier: IroncladWebhookVerifier;
    private readonly api: IroncladApi;
    private readonly template = new AsyncCache(() => this.resolveTemplate());
    /** The template's launch schema once read (the title attribute depends on it). */
    private schema: IroncladWorkflowSchema | undefined;
    private readonly creates = new SingleFlight<ClmContract>();

    constructor(config: IroncladConfigInput, deps: IroncladAdapterDeps = {}) {
        this.config = IroncladConfig.parse(config);
        this.clock = deps.clock ?? systemClock;
        this.api = new IroncladApi(this.config, this.clock, deps);
        this.http = this.api.http;
        this.downloads = downloadGuardFor(VENDOR, this.config, deps.downloads);
        this.verifier = new IroncladWebhookVerifier(
            () => this.api.verificationKey(),
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
                ...Object.keys(ironcladCustomMap(this.view())).map((name) => `custom.${name}`)
            ],
            // Ironclad holds every key term (launch attributes, then the archived record's properties).
            unreadableFields: []
        };
    }

    private view(): IroncladTemplateView {
        return { config: this.config, schema: this.schema };
    }

    private async toContract(workflow: IroncladWorkflow): Promise<ClmContract> {
        const record =
            workflow.status === 'completed' && workflow.recordIds?.[0]
                ? await this.api.getRecord(workflow.recordIds[0])
                : undefined;
        return toContract(this.view(), this.clock, workflow, record);
    }

    // ---- contracts -------------------------------------------------------------------------------

    async findByExternalRef(ref: ExternalRef): Promise<ClmContract | null> {
        if (ref.system === VENDOR) {
            try {
                if (ref.objectType === 'workflow') return await this.getContract(ref.id);
                if (ref.objectType === 'record') {
                    const record = await this.api.getRecord(ref.id);
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
        const workflows = await this.api.listWorkflows({
            filter: equalsFormula(this.config.naturalKey.attribute, ref.id)
        });
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
        const attributes = launchAttributes(this.view(), valid);
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
        return this.toContract(await this.api.getWorkflow(id));
    }

    async updateContract(id: string, patch: ContractPatch, opts: { ifVersion?: string } = {}): Promise<ClmContract> {
        const valid = checkPatch(patch);
        const workflow = await this.writableWorkflow(id, opts.ifVersion);
        return this.patchAttributes(workflow, attributeUpdates(this.view(), valid, workflow.attributes));
    }

    private async writableWorkflow(id: string, ifVersion: string | undefined): Promise<IroncladWorkflow> {
        const workflow = await this.api.getWorkflow(id);
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
        const table = lineItemTable(this.view(), items);
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
        return ironcladDocuments(this.api, id);
    }

    async downloadDocument(id: string, documentId: string): Promise<DownloadedDocument> {
        const documents = await this.listDocuments(id);
        const document = documents.find((candidate) => candidate.id === documentId);
        if (!document)
            throw clmError(CLM_ERROR.NOT_FOUND, `no document ${documentId} on workflow ${id}`, { id, documentId });
        const request = documentRequest(this.config, id, documentId);
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
        const workflows = await this.api.listWorkflows(
            position.workflows.since ? { lastUpdated: position.workflows.since } : {}
        );
        const records = await this.api.listRecords(
            position.records.since ? { lastUpdated: position.records.since } : {}
        );
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
        const workflows = await this.api.allPages(
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
        return ironcladWebhookEvents(req, this.clock);
    }

    async ensureWebhookSubscription(targetUrl: string): Promise<{ id: string }> {
        return this.api.ensureWebhook(targetUrl);
    }

    // ---- Ironclad plumbing -----------------------------------------------------------------------

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

    private url(path: string): string {
        return ironcladUrl(this.config, path);
    }

    private ctx(operation: string) {
        return { vendor: VENDOR, operation };
    }
}

/** Ironclad filter formula; the value is restricted so it cannot break out of the quoted literal. */
function equalsFormula(attribute: string, value: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(value)) {
        throw clmError(CLM_ERROR.VALIDATION, `"${value}" cannot be used in an Ironclad filter`, { field: 'ref.id' });
    }
    return `Equals([${attribute}], '${value}')`;
}
