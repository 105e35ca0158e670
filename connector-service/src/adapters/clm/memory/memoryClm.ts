/**
 * An in-memory CLM that honours the port's contract: the fast fake the sync engine's tests use, and the
 * reference the port kit holds the vendor adapters to. Lifecycle: Draft →submit→ InReview →
 * requestSignature→ OutForSignature → (vendor side: signed) Signed; cancel from any open state.
 * Header fields are writable in Draft and InReview only.
 */
import { createHash } from 'node:crypto';
import {
    CLM_FIELDS,
    ClmContract,
    type ClmContact,
    type ExternalRef,
    type LineItem,
    type Lifecycle,
    type SignatureState
} from '../../../domain/clm.ts';
import type { ClmDocument, ClmDocumentKind, ClmEvent } from '../../../domain/clmEvents.ts';
import {
    CLM_ERROR,
    clmError,
    type ClmCapabilities,
    type ClmTemplate,
    type ClmPort,
    type ContractPatch,
    type CreateContractInput,
    type DownloadedDocument,
    type TransitionAction,
    type WebhookRequest,
    type WebhookVerification
} from '../../../ports/clm.ts';
import { SingleFlight } from '../asyncCache.ts';
import { applyPatch, checkCreateInput, refKey, sameRef } from '../contractInput.ts';
import { systemClock, type Clock } from '../../../clock.ts';

interface StoredDocument extends ClmDocument {
    bytes: Buffer;
}

interface StoredContract {
    contract: ClmContract;
    documents: StoredDocument[];
    /** Position in the change feed (monotonic over the whole store). */
    changeSeq: number;
}

const WRITABLE: readonly Lifecycle[] = ['Draft', 'InReview'];
const OPEN: readonly Lifecycle[] = ['Draft', 'InReview', 'PendingApproval', 'Approved', 'OutForSignature'];

export class MemoryClm implements ClmPort {
    readonly vendor = 'memory' as const;
    private readonly contracts = new Map<string, StoredContract>();
    private readonly subscriptions = new Map<string, string>();
    private readonly creates = new SingleFlight<ClmContract>();
    private seq = 0;
    private nextId = 1;
    /** Test hook: the next create is stored but its "response" is lost, as after a dropped connection. */
    private dropNextCreateResponse = false;

    constructor(private readonly clock: Clock = systemClock) {}

    capabilities(): ClmCapabilities {
        return {
            webhooks: 'none',
            webhookAuth: 'none',
            changeFeed: 'cursor',
            lineItems: true,
            lineItemsWritable: true,
            contacts: true,
            documentsUpload: true,
            signatureStatus: true,
            transitions: ['submit', 'requestSignature', 'cancel'],
            writableStates: WRITABLE,
            rateLimit: {}
        };
    }

    /** Every canonical field, each writable where the port's patch can write it; any custom field. */
    async describeTemplate(): Promise<ClmTemplate> {
        // Header fields, and the canonical fields the connector keeps in custom slots (kept here like any custom).
        const patchable = new Set([
            'title',
            'counterparty.name',
            'value',
            'effectiveDate',
            'expirationDate',
            'counterparty.address',
            'primaryContact.email',
            'primaryContact.name',
            'dealStage',
            'products'
        ]);
        return {
            vendor: 'memory',
            id: 'memory',
            name: 'In-memory CLM',
            anyCustom: true,
            fields: Object.entries(CLM_FIELDS).map(([path, definition]) => {
                const writable = !('readOnly' in definition) && patchable.has(path);
                return {
                    name: path,
                    label: definition.description,
                    vendorType: definition.kind,
                    kind: definition.kind,
                    clmField: path,
                    writable,
                    setAtCreate: writable
                };
            })
        };
    }

    async findByExternalRef(ref: ExternalRef): Promise<ClmContract | null> {
        for (const stored of this.contracts.values()) {
            if (stored.contract.refs.some((candidate) => sameRef(candidate, ref)))
                return structuredClone(stored.contract);
        }
        return null;
    }

    async createContract(input: CreateContractInput): Promise<ClmContract> {
        const valid = checkCreateInput(input);
        return this.creates.run(refKey(valid.naturalKey), () => this.createOnce(valid));
    }

    private async createOnce(input: CreateContractInput): Promise<ClmContract> {
        const existing = await this.findByExternalRef(input.naturalKey);
        if (existing) return existing;
        const id = `M-${this.nextId++}`;
        const at = this.timestamp();
        const contract = ClmContract.parse({
            id,
            vendor: this.vendor,
            refs: [{ system: 'memory', objectType: 'contract', id }, input.naturalKey],
            title: input.title,
            status: status('Draft', 'None', 'DRAFT'),
            counterparty: { name: input.counterparty.name, address: input.counterparty.address ?? null },
            effectiveDate: input.effectiveDate ?? null,
            expirationDate: input.expirationDate ?? null,
            executedDate: null,
            noticeDeadline: null,
            value: input.value ?? null,
            termMonths: null,
            autoRenew: null,
            renewalTermMonths: null,
            noticeDays: null,
            contacts: input.contacts,
            lineItems: input.lineItems ?? [],
            custom: { ...(input.custom ?? {}) },
            version: '1',
            updatedAt: at
        });
        this.contracts.set(id, { contract, documents: [], changeSeq: ++this.seq });
        if (this.dropNextCreateResponse) {
            // The store acted but the caller never heard: recover the way the adapters do, by natural key.
            this.dropNextCreateResponse = false;
            const found = await this.findByExternalRef(input.naturalKey);
            if (found) return found;
        }
        return structuredClone(contract);
    }

    async getContract(id: string): Promise<ClmContract> {
        return structuredClone(this.stored(id).contract);
    }

    async updateContract(id: string, patch: ContractPatch, opts: { ifVersion?: string } = {}): Promise<ClmContract> {
        const stored = this.stored(id);
        if (opts.ifVersion !== undefined && opts.ifVersion !== stored.contract.version) {
            throw clmError(CLM_ERROR.CONFLICT, `contract ${id} changed since version ${opts.ifVersion}`, {
                id,
                expectedVersion: opts.ifVersion,
                actualVersion: stored.contract.version
            });
        }
        this.requireWritable(stored.contract);
        stored.contract = applyPatch(stored.contract, patch);
        return this.touch(stored);
    }

    async transition(id: string, action: TransitionAction): Promise<ClmContract> {
        const stored = this.stored(id);
        const lifecycle = stored.contract.status.lifecycle;
        const next: Partial<Record<TransitionAction, () => void>> = {
            submit: () => {
                if (lifecycle !== 'Draft') throw notWritable(id, lifecycle, action);
                stored.contract.status = status('InReview', 'None', 'IN_REVIEW');
            },
            requestSignature: () => {
                if (lifecycle !== 'InReview' && lifecycle !== 'Approved') throw notWritable(id, lifecycle, action);
                stored.contract.status = status('OutForSignature', 'Sent', 'OUT_FOR_SIGNATURE');
            },
            cancel: () => {
                if (!OPEN.includes(lifecycle)) throw notWritable(id, lifecycle, action);
                stored.contract.status = status('Cancelled', stored.contract.status.signature, 'CANCELLED');
            }
        };
        const step = next[action];
        if (!step) throw clmError(CLM_ERROR.UNSUPPORTED, `memory CLM has no "${action}" transition`, { op: action });
        step();
        return this.touch(stored);
    }

    /** Test hook (the counterparty signs): OutForSignature → Signed, with the signed document. */
    completeSignature(id: string): ClmContract {
        const stored = this.stored(id);
        if (stored.contract.status.lifecycle !== 'OutForSignature') {
            throw notWritable(id, stored.contract.status.lifecycle, 'completeSignature');
        }
        stored.contract.status = status('Signed', 'FullySigned', 'SIGNED');
        stored.contract.executedDate = this.timestamp().slice(0, 10);
        const bytes = Buffer.from(`%PDF-1.4\n% signed copy of ${id}\n`);
        stored.documents.push({
            id: `D-${stored.documents.length + 1}`,
            kind: 'signed',
            name: `${stored.contract.title ?? id}.pdf`,
            mimeType: 'application/pdf',
            createdAt: this.timestamp(),
            bytes
        });
        return this.touch(stored);
    }

    /** Test hook: lose the response of the next create (the contract is still stored). */
    loseNextCreateResponse(): void {
        this.dropNextCreateResponse = true;
    }

    /** Test hook: how many contracts carry this reference. */
    countByRef(ref: ExternalRef): number {
        return [...this.contracts.values()].filter((stored) => stored.contract.refs.some((r) => sameRef(r, ref)))
            .length;
    }

    async listLineItems(id: string): Promise<LineItem[]> {
        return structuredClone(this.stored(id).contract.lineItems);
    }

    async replaceLineItems(id: string, items: LineItem[]): Promise<ClmContract> {
        const stored = this.stored(id);
        this.requireWritable(stored.contract);
        stored.contract.lineItems = structuredClone(items);
        return this.touch(stored);
    }

    async listParties(id: string): Promise<{ counterparty: ClmContract['counterparty']; contacts: ClmContact[] }> {
        const { counterparty, contacts } = this.stored(id).contract;
        return structuredClone({ counterparty, contacts });
    }

    async listDocuments(id: string): Promise<ClmDocument[]> {
        return this.stored(id).documents.map(({ bytes: _bytes, ...document }) => document);
    }

    async downloadDocument(id: string, documentId: string): Promise<DownloadedDocument> {
        const document = this.stored(id).documents.find((candidate) => candidate.id === documentId);
        if (!document) throw clmError(CLM_ERROR.NOT_FOUND, `no document ${documentId} on ${id}`, { id, documentId });
        return { name: document.name, mimeType: document.mimeType, bytes: Buffer.from(document.bytes) };
    }

    async uploadDocument(
        id: string,
        file: { name: string; bytes: Buffer; kind: ClmDocumentKind }
    ): Promise<ClmDocument> {
        const stored = this.stored(id);
        const document: StoredDocument = {
            id: `D-${stored.documents.length + 1}`,
            kind: file.kind,
            name: file.name,
            mimeType: file.name.toLowerCase().endsWith('.pdf') ? 'application/pdf' : 'application/octet-stream',
            createdAt: this.timestamp(),
            bytes: Buffer.from(file.bytes)
        };
        stored.documents.push(document);
        this.touch(stored);
        const { bytes: _bytes, ...metadata } = document;
        return metadata;
    }

    async listChanges(cursor: string | null, limit: number): Promise<{ items: ClmContract[]; nextCursor: string }> {
        const after = cursor === null ? 0 : Number(cursor);
        if (!Number.isInteger(after) || after < 0) {
            throw clmError(CLM_ERROR.VALIDATION, `not a memory CLM cursor: ${cursor}`, { field: 'cursor' });
        }
        const changed = [...this.contracts.values()]
            .filter((stored) => stored.changeSeq > after)
            .sort((a, b) => a.changeSeq - b.changeSeq)
            .slice(0, Math.max(1, limit));
        const last = changed.at(-1);
        return {
            items: changed.map((stored) => structuredClone(stored.contract)),
            nextCursor: String(last ? last.changeSeq : after)
        };
    }

    async verifyWebhook(_req: WebhookRequest): Promise<WebhookVerification> {
        return { ok: false, reason: 'missing-signature' };
    }

    parseWebhook(_req: WebhookRequest): ClmEvent[] {
        throw clmError(CLM_ERROR.UNSUPPORTED, 'memory CLM sends no webhooks', { op: 'parseWebhook' });
    }

    async ensureWebhookSubscription(targetUrl: string): Promise<{ id: string }> {
        let id = this.subscriptions.get(targetUrl);
        if (!id) {
            id = `W-${createHash('sha256').update(targetUrl).digest('hex').slice(0, 12)}`;
            this.subscriptions.set(targetUrl, id);
        }
        return { id };
    }

    private stored(id: string): StoredContract {
        const stored = this.contracts.get(id);
        if (!stored) throw clmError(CLM_ERROR.NOT_FOUND, `no contract ${id}`, { id });
        return stored;
    }

    private requireWritable(contract: ClmContract): void {
        if (!WRITABLE.includes(contract.status.lifecycle)) {
            throw notWritable(contract.id, contract.status.lifecycle, 'update');
        }
    }

    private touch(stored: StoredContract): ClmContract {
        stored.contract.version = String(Number(stored.contract.version) + 1);
        stored.contract.updatedAt = this.timestamp();
        stored.changeSeq = ++this.seq;
        stored.contract = ClmContract.parse(stored.contract);
        return structuredClone(stored.contract);
    }

    private timestamp(): string {
        return new Date(this.clock.now()).toISOString();
    }
}

function status(lifecycle: Lifecycle, signature: SignatureState, rawStatus: string): ClmContract['status'] {
    return { lifecycle, signature, rawStatus, derivedFrom: 'vendor' };
}

function notWritable(id: string, state: string, op: string) {
    return clmError(CLM_ERROR.NOT_WRITABLE_IN_STATE, `contract ${id} is ${state}: "${op}" is not allowed`, {
        id,
        state,
        op
    });
}
