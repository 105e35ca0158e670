// The one contract store behind both vendor dialects. A contract lives in one vendor's workspace (the dialect it was
// created through) and moves through one canonical lifecycle; each dialect renders it its own way (Ironclad workflow
// step/status + archived record, SpotDraft contract_status). Every change emits a ContractEvent that the webhook
// dispatcher turns into vendor deliveries.
import { randomBytes, randomUUID } from 'node:crypto';
import type { VirtualClock } from './clock.ts';
import type { TemplateDefinition } from './fields.ts';
import { buildPdf } from './pdf.ts';

export type Vendor = 'ironclad' | 'spotdraft';
export type Stage = 'draft' | 'review' | 'sign' | 'signed' | 'completed' | 'cancelled';

export interface Approval {
    role: string;
    displayName: string;
    email: string;
    status: 'pending' | 'approved';
}

export interface Signer {
    name: string;
    email: string;
    roleName: string;
    side: 'ours' | 'theirs';
    status: 'pending' | 'sent' | 'signed';
    signedAt?: string;
}

export interface StoredDocument {
    key: string;
    kind: 'draft' | 'signed';
    filename: string;
    bytes: Buffer;
    version: number;
    createdAt: string;
}

export interface KeyPointer {
    id: number;
    field: string;
    label: string;
    dataType: string;
}

export interface StoredTemplate {
    id: string;
    definition: TemplateDefinition;
    publishedAt: string;
    /** Superseded templates keep their id for existing contracts but no longer launch. */
    active: boolean;
}

export interface StoredContract {
    vendor: Vendor;
    /** Sequential number per vendor: SpotDraft contract id, Ironclad `IC-<n>`. */
    number: number;
    /** Ironclad workflow id (24 hex). */
    workflowId?: string;
    /** Ironclad record id, minted when the workflow completes (a new id for the same contract). */
    recordId?: string;
    recordUpdatedAt?: string;
    template: StoredTemplate;
    title: string;
    counterparty: { name: string; email?: string; isIndividual?: boolean };
    creatorEmail: string;
    data: Record<string, unknown>;
    externalMetadata: Record<string, string | null>;
    keyPointers: KeyPointer[];
    stage: Stage;
    /** The stage a cancelled contract was in, so Ironclad can keep showing its step. */
    cancelledFrom?: Stage;
    paused: boolean;
    approvalsRequested: boolean;
    approvals: Approval[];
    signers: Signer[];
    sentToCounterparty: boolean;
    documents: StoredDocument[];
    createdAt: string;
    updatedAt: string;
    parentNumber?: number;
    childNumbers: number[];
}

export type ContractEventType =
    | 'created'
    | 'data_updated'
    | 'key_pointer_updated'
    | 'sent_to_counterparty'
    | 'approvals_requested'
    | 'approval_changed'
    | 'approvals_completed'
    | 'sent_for_signature'
    | 'signer_signed'
    | 'fully_signed'
    | 'completed'
    | 'cancelled'
    | 'paused'
    | 'resumed'
    | 'reverted_to_review';

export interface ContractEvent {
    type: ContractEventType;
    contract: StoredContract;
    at: string;
    detail?: Record<string, unknown>;
}

export class TransitionError extends Error {
    constructor(
        readonly code: string,
        message: string,
        readonly field?: string
    ) {
        super(message);
    }
}

export type LifecycleAction =
    | 'request-approvals'
    | 'approve'
    | 'send-for-signature'
    | 'sign'
    | 'complete'
    | 'cancel'
    | 'pause'
    | 'resume'
    | 'revert-to-review'
    | 'amend'
    | 'update-data';

export const LIFECYCLE_ACTIONS: LifecycleAction[] = [
    'request-approvals',
    'approve',
    'send-for-signature',
    'sign',
    'complete',
    'cancel',
    'pause',
    'resume',
    'revert-to-review',
    'amend',
    'update-data'
];

/**
 * Observers of every store's events in this process, for code that cannot reach a store (the benchmark times
 * when a value lands in the CLM). Called after the store's own listeners.
 */
export const contractEventObservers = new Set<(event: ContractEvent) => void>();

export function hexId(): string {
    return randomBytes(12).toString('hex');
}

export class ContractStore {
    private contracts = new Map<Vendor, Map<number, StoredContract>>();
    private templates: StoredTemplate[] = [];
    private counters = new Map<Vendor, number>();
    private keyPointerSeq = 1;
    private listeners: ((event: ContractEvent) => void)[] = [];

    constructor(
        private readonly clock: VirtualClock,
        private readonly seedTemplates: { definition: TemplateDefinition; id: string }[]
    ) {
        this.reset();
    }

    reset(): void {
        this.contracts = new Map([
            ['ironclad', new Map()],
            ['spotdraft', new Map()]
        ]);
        this.counters = new Map([
            ['ironclad', 0],
            ['spotdraft', 0]
        ]);
        this.templates = this.seedTemplates.map(({ definition, id }) => ({
            id,
            definition,
            publishedAt: this.clock.iso(),
            active: true
        }));
    }

    onEvent(listener: (event: ContractEvent) => void): void {
        this.listeners.push(listener);
    }

    listTemplates(vendor: Vendor, options: { includeInactive?: boolean } = {}): StoredTemplate[] {
        return this.templates.filter((t) => t.definition.vendor === vendor && (options.includeInactive || t.active));
    }

    findTemplate(vendor: Vendor, id: string): StoredTemplate | undefined {
        return this.templates.find((t) => t.definition.vendor === vendor && t.id === id);
    }

    /** Ironclad ids change on republish: the old id stops launching, a new id carries the same definition. */
    republishTemplate(vendor: Vendor, name: string, newId: string): StoredTemplate {
        const current = this.templates.find(
            (t) => t.definition.vendor === vendor && t.definition.name === name && t.active
        );
        if (!current)
            throw new TransitionError('admin.template_not_found', `no active ${vendor} template named ${name}`, 'name');
        current.active = false;
        const next: StoredTemplate = {
            id: newId,
            definition: current.definition,
            publishedAt: this.clock.iso(),
            active: true
        };
        this.templates.push(next);
        return next;
    }

    list(vendor: Vendor): StoredContract[] {
        return [...this.contracts.get(vendor)!.values()];
    }

    get(vendor: Vendor, number: number): StoredContract | undefined {
        return this.contracts.get(vendor)!.get(number);
    }

    byWorkflowId(id: string): StoredContract | undefined {
        return this.list('ironclad').find((c) => c.workflowId === id || `IC-${c.number}` === id);
    }

    byRecordId(id: string): StoredContract | undefined {
        return this.list('ironclad').find(
            (c) => c.recordId !== undefined && (c.recordId === id || `IC-${c.number}` === id)
        );
    }

    create(input: {
        vendor: Vendor;
        template: StoredTemplate;
        title: string;
        counterparty: StoredContract['counterparty'];
        creatorEmail: string;
        data: Record<string, unknown>;
        externalMetadata?: Record<string, string | null>;
        signers: Omit<Signer, 'status'>[];
        stage: Stage;
        parentNumber?: number;
    }): StoredContract {
        const number = this.counters.get(input.vendor)! + 1;
        this.counters.set(input.vendor, number);
        const now = this.clock.iso();
        const contract: StoredContract = {
            vendor: input.vendor,
            number,
            workflowId: input.vendor === 'ironclad' ? hexId() : undefined,
            template: input.template,
            title: input.title,
            counterparty: input.counterparty,
            creatorEmail: input.creatorEmail,
            data: structuredClone(input.data),
            externalMetadata: { ...(input.externalMetadata ?? {}) },
            keyPointers: input.template.definition.fields
                .filter((field) => field.keyPointer)
                .map((field) => ({
                    id: this.keyPointerSeq++,
                    field: field.key,
                    label: field.displayName,
                    dataType: field.keyPointer!
                })),
            stage: input.stage,
            paused: false,
            approvalsRequested: false,
            approvals: [],
            signers: input.signers.map((signer) => ({ ...signer, status: 'pending' })),
            sentToCounterparty: false,
            documents: [],
            createdAt: now,
            updatedAt: now,
            parentNumber: input.parentNumber,
            childNumbers: []
        };
        contract.documents.push(this.renderDocument(contract, 'draft'));
        this.contracts.get(input.vendor)!.set(number, contract);
        if (input.parentNumber !== undefined) this.get(input.vendor, input.parentNumber)?.childNumbers.push(number);
        this.emit('created', contract);
        return contract;
    }

    /** Field updates through a vendor API or the admin API; the caller has checked the state rules. */
    updateData(contract: StoredContract, changes: Record<string, unknown>, removals: string[] = []): string[] {
        const changed: string[] = [];
        for (const [key, value] of Object.entries(changes)) {
            if (JSON.stringify(contract.data[key]) !== JSON.stringify(value)) {
                contract.data[key] = structuredClone(value);
                changed.push(key);
            }
        }
        for (const key of removals) {
            if (key in contract.data) {
                delete contract.data[key];
                changed.push(key);
            }
        }
        if (changed.length > 0) {
            if (typeof contract.data.counterpartyName === 'string')
                contract.counterparty.name = contract.data.counterpartyName;
            this.touch(contract);
            this.emit('data_updated', contract, { fields: changed });
        }
        return changed;
    }

    setExternalMetadata(contract: StoredContract, metadata: Record<string, string | null>): void {
        contract.externalMetadata = { ...contract.externalMetadata, ...metadata };
        this.touch(contract);
        this.emit('data_updated', contract, { fields: ['external_metadata'] });
    }

    updateKeyPointer(contract: StoredContract, pointer: KeyPointer, value: unknown): void {
        contract.data[pointer.field] = structuredClone(value);
        this.touch(contract);
        this.emit('key_pointer_updated', contract, { keyPointerId: pointer.id, field: pointer.field });
    }

    markSentToCounterparty(contract: StoredContract): void {
        contract.sentToCounterparty = true;
        if (contract.stage === 'draft') contract.stage = 'review';
        this.touch(contract);
        this.emit('sent_to_counterparty', contract);
    }

    /** Drives the lifecycle (admin API); vendor APIs call the narrower methods above. */
    apply(
        contract: StoredContract,
        action: LifecycleAction,
        args: { role?: string; email?: string; data?: Record<string, unknown> } = {}
    ): StoredContract {
        const live = contract.stage !== 'completed' && contract.stage !== 'cancelled';
        const requireStage = (allowed: Stage[]) => {
            if (!allowed.includes(contract.stage)) {
                throw new TransitionError(
                    'admin.invalid_transition',
                    `cannot ${action} a contract in stage ${contract.stage} (allowed: ${allowed.join(', ')})`,
                    'action'
                );
            }
            if (contract.paused && action !== 'resume' && action !== 'cancel') {
                throw new TransitionError('admin.invalid_transition', `cannot ${action} a paused contract`, 'action');
            }
        };
        switch (action) {
            case 'request-approvals': {
                requireStage(['draft', 'review']);
                contract.approvalsRequested = true;
                contract.approvals = contract.template.definition.approverRoles.map((role) => ({
                    role: role.id,
                    displayName: role.displayName,
                    email: role.email,
                    status: 'pending'
                }));
                this.touch(contract);
                this.emit('approvals_requested', contract, { roles: contract.approvals.map((a) => a.role) });
                return contract;
            }
            case 'approve': {
                requireStage(['draft', 'review']);
                const pending = contract.approvals.filter(
                    (approval) => approval.status === 'pending' && (!args.role || approval.role === args.role)
                );
                if (pending.length === 0) {
                    throw new TransitionError(
                        'admin.nothing_to_approve',
                        `no pending approval${args.role ? ` for role ${args.role}` : ''}`,
                        'role'
                    );
                }
                for (const approval of pending) approval.status = 'approved';
                this.touch(contract);
                this.emit('approval_changed', contract, { roles: pending.map((a) => a.role), status: 'approved' });
                if (contract.approvals.every((approval) => approval.status === 'approved')) {
                    this.emit('approvals_completed', contract);
                }
                return contract;
            }
            case 'send-for-signature': {
                requireStage(['draft', 'review']);
                if (contract.approvals.some((approval) => approval.status !== 'approved')) {
                    throw new TransitionError('admin.approvals_pending', 'approvals are still pending', 'approvals');
                }
                if (contract.signers.length === 0) {
                    throw new TransitionError('admin.no_signers', 'the contract has no signers', 'signers');
                }
                contract.stage = 'sign';
                for (const signer of contract.signers) signer.status = 'sent';
                this.touch(contract);
                this.emit('sent_for_signature', contract);
                return contract;
            }
            case 'sign': {
                requireStage(['sign']);
                const signer = contract.signers.find(
                    (candidate) => candidate.status === 'sent' && (!args.email || candidate.email === args.email)
                );
                if (!signer) {
                    throw new TransitionError(
                        'admin.no_pending_signer',
                        `no pending signer${args.email ? ` ${args.email}` : ''}`,
                        'email'
                    );
                }
                signer.status = 'signed';
                signer.signedAt = this.clock.iso();
                this.touch(contract);
                this.emit('signer_signed', contract, { email: signer.email });
                if (contract.signers.every((candidate) => candidate.status === 'signed')) {
                    contract.stage = 'signed';
                    for (const field of contract.template.definition.fields.filter((f) => f.filledBy === 'executed'))
                        contract.data[field.key] = signer.signedAt.slice(0, 10);
                    contract.documents.push(this.renderDocument(contract, 'signed'));
                    this.emit('fully_signed', contract);
                }
                return contract;
            }
            case 'complete': {
                requireStage(['signed']);
                contract.stage = 'completed';
                if (contract.vendor === 'ironclad') {
                    contract.recordId = randomUUID();
                    contract.recordUpdatedAt = this.clock.iso();
                }
                this.touch(contract);
                this.emit('completed', contract, { recordId: contract.recordId });
                return contract;
            }
            case 'cancel': {
                if (!live)
                    throw new TransitionError(
                        'admin.invalid_transition',
                        `cannot cancel a ${contract.stage} contract`,
                        'action'
                    );
                contract.cancelledFrom = contract.stage;
                contract.stage = 'cancelled';
                contract.paused = false;
                this.touch(contract);
                this.emit('cancelled', contract);
                return contract;
            }
            case 'pause': {
                if (!live || contract.paused) {
                    throw new TransitionError(
                        'admin.invalid_transition',
                        'only a live, running contract can be paused',
                        'action'
                    );
                }
                contract.paused = true;
                this.touch(contract);
                this.emit('paused', contract);
                return contract;
            }
            case 'resume': {
                if (!contract.paused)
                    throw new TransitionError('admin.invalid_transition', 'the contract is not paused', 'action');
                contract.paused = false;
                this.touch(contract);
                this.emit('resumed', contract);
                return contract;
            }
            case 'revert-to-review': {
                requireStage(['sign']);
                contract.stage = 'review';
                for (const signer of contract.signers) {
                    signer.status = 'pending';
                    delete signer.signedAt;
                }
                this.touch(contract);
                this.emit('reverted_to_review', contract);
                return contract;
            }
            case 'update-data': {
                if (!args.data) throw new TransitionError('admin.missing_data', 'update-data needs data', 'data');
                this.updateData(contract, args.data);
                return contract;
            }
            case 'amend': {
                requireStage(['completed']);
                return this.create({
                    vendor: contract.vendor,
                    template: contract.template,
                    title: `Amendment to ${contract.title}`,
                    counterparty: { ...contract.counterparty },
                    creatorEmail: contract.creatorEmail,
                    data: { ...contract.data, ...(args.data ?? {}) },
                    externalMetadata: { ...contract.externalMetadata },
                    signers: contract.signers.map(({ name, email, roleName, side }) => ({
                        name,
                        email,
                        roleName,
                        side
                    })),
                    stage: contract.vendor === 'ironclad' ? 'review' : 'draft',
                    parentNumber: contract.number
                });
            }
        }
    }

    private touch(contract: StoredContract): void {
        // Strictly increasing per contract so lastUpdated polling with ">=" never misses two quick changes.
        const now = this.clock.now();
        const previous = Date.parse(contract.updatedAt);
        contract.updatedAt = new Date(Math.max(now, previous + 1)).toISOString();
        if (contract.recordId) contract.recordUpdatedAt = contract.updatedAt;
    }

    private emit(type: ContractEventType, contract: StoredContract, detail?: Record<string, unknown>): void {
        const event: ContractEvent = { type, contract, at: contract.updatedAt, detail };
        for (const listener of this.listeners) listener(event);
        for (const observer of contractEventObservers) observer(event);
    }

    private renderDocument(contract: StoredContract, kind: StoredDocument['kind']): StoredDocument {
        const version = contract.documents.filter((doc) => doc.kind === kind).length + 1;
        const label = contract.vendor === 'ironclad' ? `IC-${contract.number}` : `T-${contract.number}`;
        const lines = [
            `Contract ${label} (${contract.template.definition.name})`,
            `Counterparty: ${contract.counterparty.name}`,
            ...Object.entries(contract.data)
                .filter(([, value]) => typeof value !== 'object')
                .map(([key, value]) => `${key}: ${String(value)}`),
            kind === 'signed'
                ? `Signed by: ${contract.signers.map((signer) => `${signer.name} <${signer.email}> ${signer.signedAt}`).join('; ')}`
                : 'DRAFT - not for signature'
        ];
        return {
            key: randomBytes(6).toString('base64url'),
            kind,
            filename: `${contract.title} - ${kind === 'signed' ? 'Signed' : 'Draft'}.pdf`.replace(/[/\\]/g, '-'),
            bytes: buildPdf(contract.title, lines),
            version,
            createdAt: this.clock.iso()
        };
    }
}
