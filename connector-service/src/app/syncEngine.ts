/**
 * The sync engine: claims inbox items (one per record at a time, others flow), plans each with the domain, and
 * commits the new pair state, change log, conflicts and outbox items in one store transaction; then dispatches the
 * outbox — Salesforce writes batched into Composite calls, CLM writes through the port — with retries, backoff
 * and quarantine. Ingest (Pub/Sub, webhooks, polling) only appends to the inbox; see docs/architecture.md.
 */
import { currentContractId } from './currentContract.ts';
import { randomUUID } from 'node:crypto';
import {
    ConnectorError,
    isConnectorError,
    planChange,
    planRepair,
    resolveConflict,
    sameSalesforceValue,
    sameValue,
    select,
    where,
    type ClmChange,
    type ClmContract,
    type Conflict,
    type Json,
    type Plan,
    type PairState,
    type PlanContext,
    type RuleSet,
    type SalesforceChange,
    conflictKey,
    openConflictRecord,
    provenanceRecord,
    quarantinedErrorRecord,
    resolvedConflictRecord,
    statusEventFields,
    syncErrorKey,
    syncErrorStatusRecord,
    type RecordUpsert,
    type StatusEvent,
    type SyncResult
} from '../domain/index.ts';
import type { ClmPort, CreateContractInput } from '../ports/clm.ts';
import type { RecordWrite, SalesforcePort, SalesforceRecord } from '../ports/salesforce.ts';
import type {
    ClaimRef,
    InboxInput,
    InboxItem,
    LinkedPair,
    OutboxInput,
    OutboxItem,
    QueueName,
    SalesforceLinkKind,
    StorePort
} from '../ports/store.ts';
import { canonicalValues, contractPatch } from './clmFields.ts';
import { clmWriteWindow, overwrittenClmEdits, rememberClmWrite, type ClmWriteWindow } from '../domain/index.ts';
import { dealCurrency, dealSigner, dealValue, readDeal } from './dealParties.ts';
import { asJson, InboxPayload, objectOfPayload, OutboxPayload, parsePayload } from './payloads.ts';
import { DEFAULT_RETRY_POLICY, isRetryable, retryDelayMs, type RetryPolicy } from './retryPolicy.ts';
import { systemClock, type Clock } from '../clock.ts';

const LINK_KIND: Readonly<Record<string, SalesforceLinkKind>> = {
    Opportunity: 'opportunity',
    Contract: 'contract',
    SBQQ__Quote__c: 'quote'
};

/** Where a committed plan came from: its change log and outbox keys, and the inbox claim it completes. */
interface CommitSource {
    source: string;
    eventId: string;
    correlationId: string;
    claim?: ClaimRef;
}

/** A contract as the CLM returned it, as a change for the planner (the vendor's version orders it). */
function clmChange(contract: ClmContract, eventId: string, correlationId: string): ClmChange {
    return {
        source: 'clm',
        contractId: contract.id,
        eventId,
        correlationId,
        version: { at: contract.updatedAt, seq: Number.parseInt(contract.version, 10) || 0 },
        values: canonicalValues(contract)
    };
}

export interface SyncEngineOptions {
    orgId: string;
    store: StorePort;
    salesforce: SalesforcePort;
    clm: ClmPort;
    rules: RuleSet;
    context: PlanContext;
    /** Identifies this instance's claims. */
    worker?: string;
    /** The connector's clock (one for the whole process: store stamps, leases and metrics use the same). */
    clock?: Clock;
    retry?: RetryPolicy;
    random?: () => number;
    /** The currency of amounts in a single-currency org (sent with the deal value). */
    orgCurrency?: string;
    /** Custom properties the CLM's template has (the adapter's field map); others are left out of a create. */
    clmCustomFields?: readonly string[];
    /** Link to a contract in the CLM's UI, stored on the Opportunity and Contract. */
    contractUrl?: (contract: ClmContract) => string | null;
    log?: (level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown>) => void;
    /**
     * Stop taking work while the org's daily API usage is at or above this share of its allocation, so the
     * connector never spends the org's last calls; the figure is re-read every `recheckMs` while paused.
     */
    apiBudget?: {
        pauseAtShare: number;
        recheckMs: number;
        /** From this share on (below the pause), work is slowed: rounds of at most `slowBatch` items. */
        slowAtShare?: number;
        slowBatch?: number;
    };
    /** Told when a deal reaches a milestone the business measures (metrics), after the change is committed. */
    onMilestone?: (milestone: Milestone) => void;
}

/** A deal's contract was created in the CLM, or was signed (the lifecycle reached Signed). */
export interface Milestone {
    kind: 'contractCreated' | 'signed';
    pairId: string;
    opportunityId: string | null;
    correlationId: string;
    /** Epoch ms on the connector's clock. */
    at: number;
}

export class SyncEngine {
    private readonly worker: string;
    private readonly now: () => number;

    constructor(private readonly options: SyncEngineOptions) {
        this.worker = options.worker ?? `engine-${randomUUID().slice(0, 8)}`;
        const clock = options.clock ?? systemClock;
        this.now = () => clock.now();
    }

    private get store(): StorePort {
        return this.options.store;
    }
    private get orgId(): string {
        return this.options.orgId;
    }

    private paused = false;
    private budgetCheckedAt = 0;

    /** True while work is paused to spare the org's API allocation. */
    isPaused(): boolean {
        return this.paused;
    }

    /**
     * True while the org's daily API usage is past the slow-down share: rounds are small and the work loop waits
     * between them, so the allocation lasts (the pause comes later, at `pauseAtShare`).
     */
    isSlowed(): boolean {
        const limit = this.options.apiBudget;
        const budget = this.options.salesforce.apiBudget();
        if (!limit?.slowAtShare || !budget || budget.max === 0) return false;
        return budget.used / budget.max >= limit.slowAtShare;
    }

    /** Items per round: fewer while slowed. */
    private roundSize(limit: number): number {
        return this.isSlowed() ? Math.min(limit, this.options.apiBudget?.slowBatch ?? 5) : limit;
    }

    private async budgetAllowsWork(): Promise<boolean> {
        const limit = this.options.apiBudget;
        if (!limit) return true;
        const underLimit = (budget: { used: number; max: number } | undefined) =>
            !budget || budget.max === 0 || budget.used / budget.max < limit.pauseAtShare;
        if (underLimit(this.options.salesforce.apiBudget())) return this.setPaused(false);
        // While paused nothing else calls Salesforce, so the figure only moves when we read it again.
        if (this.now() - this.budgetCheckedAt >= limit.recheckMs) {
            this.budgetCheckedAt = this.now();
            if (underLimit(await this.options.salesforce.refreshApiBudget())) return this.setPaused(false);
        }
        this.setPaused(true);
        return false;
    }

    private setPaused(paused: boolean): boolean {
        if (paused !== this.paused)
            this.options.log?.(
                paused ? 'warn' : 'info',
                paused ? 'paused: the org API allocation is nearly spent' : 'resumed',
                { budget: this.options.salesforce.apiBudget() }
            );
        this.paused = paused;
        return !paused;
    }

    /** Processes up to `limit` due inbox items; returns how many it claimed. */
    async processInbox(limit = 50): Promise<number> {
        if (!(await this.budgetAllowsWork())) return 0;
        const items = await this.store.claimInbox(this.orgId, this.worker, this.roundSize(limit), this.now());
        this.enrichment = await this.readForEnrichment(items);
        this.linkedDeals = await this.readForFanOut(items);
        try {
            for (const item of items) await this.handleInbox(item);
        } finally {
            this.enrichment = new Map();
            this.linkedDeals = { accountOf: new Map(), dealsOf: new Map() };
        }
        return items.length;
    }

    /** Dispatches up to `limit` due outbox items; returns how many it claimed. */
    async dispatchOutbox(limit = 1000): Promise<number> {
        if (!(await this.budgetAllowsWork())) return 0;
        // Outbox rounds stay whole while slowed: batched writes are the cheap ones.
        const items = await this.store.claimOutbox(this.orgId, this.worker, limit, this.now());
        const toSalesforce = (item: OutboxItem) =>
            item.operation === 'sf.write' || item.operation === 'sf.publishStatus';
        const sfWrites = items.filter(toSalesforce);
        if (sfWrites.length > 0) await this.dispatchSalesforceWrites(sfWrites);
        for (const item of items.filter((candidate) => !toSalesforce(candidate))) await this.dispatchOne(item);
        return items.length;
    }

    /** Alternates processing and dispatching until nothing is due (bounded). */
    async runUntilIdle(maxRounds = 100): Promise<void> {
        for (let round = 0; round < maxRounds; round += 1) {
            const moved = (await this.processInbox()) + (await this.dispatchOutbox());
            if (moved === 0) return;
        }
    }

    // ------------------------------------------------------------------------------------------------ inbox

    private claimOf(item: InboxItem | OutboxItem): ClaimRef {
        return { id: item.id, worker: this.worker, attempt: item.attempts };
    }

    private fromInbox(item: InboxItem): CommitSource {
        return {
            source: item.source,
            eventId: item.eventId,
            correlationId: item.correlationId,
            claim: this.claimOf(item)
        };
    }

    private async handleInbox(item: InboxItem): Promise<void> {
        try {
            const payload = parsePayload(InboxPayload, item.payload, 'inbox');
            switch (payload.kind) {
                case 'sf.change':
                    await this.onSalesforceChange(item, payload.change, payload.pairId);
                    break;
                case 'sf.syncRequest':
                    await this.onSyncRequest(item, payload);
                    break;
                case 'clm.event':
                    await this.onClmEvent(item, payload.contractId, payload.vendorEventId, payload.at);
                    break;
                case 'sf.conflictResolution':
                    await this.onConflictResolution(item, payload);
                    break;
                case 'sf.retryRequest':
                    await this.onRetryRequest(item, payload);
                    break;
                case 'audit.repair':
                    await this.onAuditRepair(item, payload);
                    break;
            }
            await this.afterSuccess('inbox', item);
        } catch (error) {
            await this.failItem('inbox', item, error);
        }
    }

    private async onSalesforceChange(item: InboxItem, change: SalesforceChange, pairId?: string): Promise<void> {
        if (change.sfObject === 'SBQQ__Quote__c') return this.onQuoteChange(item, change.recordId);
        const pair = await this.store.findPair(this.orgId, pairId ? { pairId } : { salesforceId: change.recordId });
        if (!pair) {
            if (!pairId && (change.sfObject === 'Account' || change.sfObject === 'Contact'))
                return this.fanOut(item, change);
            return this.store.complete('inbox', this.orgId, this.claimOf(item), this.now());
        }
        const enriched = await this.enrich(change);
        const plan = planChange(enriched, pair.state, this.options.rules, this.options.context);
        await this.commit(this.fromInbox(item), pair, plan, []);
    }

    /**
     * An Account or Contact belongs to no single pair: its change is queued once for each linked deal of the
     * account (in one transaction with completing this item), each then planned against that deal's state.
     */
    private async fanOut(item: InboxItem, change: SalesforceChange): Promise<void> {
        let accountId: string | null = change.recordId;
        if (change.sfObject === 'Contact') {
            accountId = this.linkedDeals.accountOf.has(change.recordId)
                ? this.linkedDeals.accountOf.get(change.recordId)!
                : await this.accountsOf([change.recordId]).then((map) => map.get(change.recordId) ?? null);
        }
        const deals = !accountId
            ? []
            : (
                  this.linkedDeals.dealsOf.get(accountId) ??
                  (await this.linkedDealsOf([accountId])).get(accountId) ??
                  []
              ).map((Id) => ({ Id }));
        const items: InboxInput[] = [];
        for (const deal of deals) {
            const pair = await this.store.findPair(this.orgId, { salesforceId: String(deal.Id) });
            if (!pair) continue;
            items.push({
                source: `${item.source}:fanout`,
                eventId: `${item.eventId}:${pair.pairId}`,
                orderingKey: pair.pairId,
                objectType: change.sfObject,
                payload: asJson({ kind: 'sf.change', change, pairId: pair.pairId }),
                correlationId: item.correlationId
            });
        }
        if (items.length > 0) await this.store.appendInbox(this.orgId, items);
        await this.store.complete('inbox', this.orgId, this.claimOf(item), this.now());
    }

    /** The fields the touched rules need but the change event did not carry (CDC sends changed fields only). */
    private fieldsToRead(change: SalesforceChange): Set<string> {
        const changed = new Set(change.changedFields ?? Object.keys(change.values));
        const needed = new Set<string>();
        for (const rule of this.options.rules.rules) {
            if (rule.sfObject !== change.sfObject || !rule.sourceFields.some((field) => changed.has(field))) continue;
            rule.sourceFields.filter((field) => !(field in change.values)).forEach((field) => needed.add(field));
        }
        return needed;
    }

    /** Records read for this round's changes, by `<object>:<id>`. */
    private enrichment = new Map<string, SalesforceRecord>();

    /**
     * One read per object for every change claimed in this round (up to 2,000 ids a call), instead of one per
     * change. A change whose item turns out not to need it (no pair) costs nothing extra.
     */
    private async readForEnrichment(items: readonly InboxItem[]): Promise<Map<string, SalesforceRecord>> {
        const wanted = new Map<string, { fields: Set<string>; ids: Set<string> }>();
        for (const item of items) {
            const parsed = InboxPayload.safeParse(item.payload);
            if (!parsed.success || parsed.data.kind !== 'sf.change') continue;
            const change = parsed.data.change;
            const fields = this.fieldsToRead(change);
            if (fields.size === 0) continue;
            const entry = wanted.get(change.sfObject) ?? { fields: new Set(), ids: new Set() };
            fields.forEach((field) => entry.fields.add(field));
            entry.ids.add(change.recordId);
            wanted.set(change.sfObject, entry);
        }
        const records = new Map<string, SalesforceRecord>();
        for (const [sfObject, { fields, ids }] of wanted) {
            try {
                const rows = await this.options.salesforce.readByIds(sfObject, [...fields], [...ids]);
                for (const row of rows) records.set(`${sfObject}:${String(row.Id)}`, row);
            } catch (error) {
                // Each change reads for itself then, and fails (and retries) on its own.
                this.options.log?.('warn', 'batched enrichment read failed', {
                    object: sfObject,
                    code: isConnectorError(error) ? error.code : 'PIPELINE.UNEXPECTED'
                });
            }
        }
        return records;
    }

    /** Linked deals of the accounts an Account or Contact change of this round concerns, read once for the round. */
    private linkedDeals: { accountOf: Map<string, string | null>; dealsOf: Map<string, string[]> } = {
        accountOf: new Map(),
        dealsOf: new Map()
    };

    private async readForFanOut(items: readonly InboxItem[]): Promise<typeof this.linkedDeals> {
        const accounts = new Set<string>();
        const contacts = new Set<string>();
        for (const item of items) {
            const parsed = InboxPayload.safeParse(item.payload);
            if (!parsed.success || parsed.data.kind !== 'sf.change' || parsed.data.pairId) continue;
            const { sfObject, recordId } = parsed.data.change;
            if (sfObject === 'Account') accounts.add(recordId);
            if (sfObject === 'Contact') contacts.add(recordId);
        }
        try {
            const accountOf =
                contacts.size > 0 ? await this.accountsOf([...contacts]) : new Map<string, string | null>();
            for (const accountId of accountOf.values()) if (accountId) accounts.add(accountId);
            const dealsOf = accounts.size > 0 ? await this.linkedDealsOf([...accounts]) : new Map<string, string[]>();
            return { accountOf, dealsOf };
        } catch (error) {
            // Each change reads for itself then, and fails (and retries) on its own.
            this.options.log?.('warn', 'batched fan-out read failed', {
                code: isConnectorError(error) ? error.code : 'PIPELINE.UNEXPECTED'
            });
            return { accountOf: new Map(), dealsOf: new Map() };
        }
    }

    private async accountsOf(contactIds: readonly string[]): Promise<Map<string, string | null>> {
        const rows = await this.options.salesforce.readByIds('Contact', ['AccountId'], contactIds);
        const accountOf = new Map<string, string | null>(contactIds.map((id) => [id, null]));
        for (const row of rows) accountOf.set(String(row.Id), typeof row.AccountId === 'string' ? row.AccountId : null);
        return accountOf;
    }

    /** The deals linked to a CLM contract, per account: one query for every account given. */
    private async linkedDealsOf(accountIds: readonly string[]): Promise<Map<string, string[]>> {
        const rows = await this.options.salesforce.query(
            select(['Id', 'AccountId'], 'Opportunity', {
                where: where.and(where.idIn('AccountId', accountIds, 'Account'), where.ne('CLM_Contract_Id__c', null))
            })
        );
        const dealsOf = new Map<string, string[]>(accountIds.map((id) => [id, []]));
        for (const row of rows) dealsOf.get(String(row.AccountId))?.push(String(row.Id));
        return dealsOf;
    }

    private async enrich(change: SalesforceChange): Promise<SalesforceChange> {
        const needed = this.fieldsToRead(change);
        if (needed.size === 0) return change;
        const prefetched = this.enrichment.get(`${change.sfObject}:${change.recordId}`);
        const [record] =
            prefetched && [...needed].every((field) => field in prefetched)
                ? [prefetched]
                : await this.options.salesforce.readByIds(change.sfObject, [...needed], [change.recordId]);
        if (!record) return change;
        const values = { ...change.values };
        for (const field of needed) values[field] = record[field] ?? null;
        return { ...change, values };
    }

    private async onClmEvent(item: InboxItem, contractId: string, vendorEventId: string, at?: string): Promise<void> {
        const clm = this.options.clm;
        const contract = await clm.getContract(contractId);
        const pair = await this.pairForContract(contract);
        if (!pair) return this.store.complete('inbox', this.orgId, this.claimOf(item), this.now());
        const plan = this.planFromContract(contract, pair, vendorEventId, item.correlationId);
        // An edit stamped inside one of our writes was overwritten by it: a conflict, never a silent loss.
        if (at) {
            const detectedAt = new Date(this.now()).toISOString();
            const check = { eventId: vendorEventId, at, correlationId: item.correlationId, detectedAt };
            const overwritten = overwrittenClmEdits(plan.newState, this.options.rules, check);
            plan.newState = overwritten.state;
            plan.conflicts.push(...overwritten.conflicts);
        }
        const extra: OutboxInput[] = [];
        const opportunityId = pair.salesforce.opportunity;
        if (opportunityId && ['Signed', 'Active'].includes(contract.status.lifecycle)) {
            for (const document of await clm.listDocuments(contractId)) {
                if (document.kind !== 'signed') continue;
                extra.push(
                    this.outbox(
                        'clm',
                        'clm.attachSigned',
                        `attach:${contractId}:${document.id}`,
                        pair.pairId,
                        item.correlationId,
                        {
                            kind: 'clm.attachSigned',
                            contractId,
                            documentId: document.id,
                            recordId: opportunityId
                        }
                    )
                );
            }
        }
        if (plan.writes.salesforce.length > 0 && opportunityId) {
            const moved = plan.changeLog.some(
                (entry) =>
                    entry.outcome === 'applied' &&
                    ['status.lifecycle', 'status.signature'].includes(
                        this.options.rules.byName.get(entry.rule)?.clmField ?? ''
                    )
            );
            const key = `${vendorEventId}:${contract.version}`;
            extra.push(
                this.statusOutbox(key, pair.pairId, {
                    kind: moved ? 'LifecycleChanged' : 'Applied',
                    result: plan.conflicts.length > 0 ? 'Conflict' : 'Synced',
                    recordId: opportunityId,
                    objectApiName: 'Opportunity',
                    clmContractId: contract.id,
                    lifecycle: contract.status.lifecycle,
                    signatureStatus: contract.status.signature,
                    expirationDate: contract.expirationDate,
                    noticeDeadline: contract.noticeDeadline,
                    occurredAt: contract.updatedAt,
                    correlationId: item.correlationId,
                    eventKey: key
                })
            );
        }
        await this.commit(this.fromInbox(item), pair, plan, extra);
        const signed = plan.changeLog.some(
            (entry) =>
                entry.outcome === 'applied' &&
                entry.value === 'Signed' &&
                this.options.rules.byName.get(entry.rule)?.clmField === 'status.lifecycle'
        );
        if (signed) this.milestone('signed', pair, item.correlationId);
    }

    /** The contract as the CLM holds it now, planned against the pair; the pair has seen this version since. */
    private planFromContract(contract: ClmContract, pair: LinkedPair, eventId: string, correlationId: string): Plan {
        const plan = planChange(
            clmChange(contract, eventId, correlationId),
            pair.state,
            this.options.rules,
            this.options.context
        );
        plan.newState.clmVersion = contract.version;
        return plan;
    }

    private milestone(kind: Milestone['kind'], pair: LinkedPair, correlationId: string): void {
        this.options.onMilestone?.({
            kind,
            pairId: pair.pairId,
            opportunityId: pair.salesforce.opportunity ?? null,
            correlationId,
            at: this.now()
        });
    }

    /** Finds the pair a contract belongs to by any of its vendor ids, or by the Salesforce reference stamped on it. */
    private async pairForContract(contract: ClmContract): Promise<LinkedPair | null> {
        const vendorRefs = contract.refs.filter((ref) => ref.system !== 'salesforce');
        for (const ref of vendorRefs) {
            const pair = await this.store.findPair(this.orgId, {
                clm: { vendor: ref.system, objectType: ref.objectType, id: ref.id }
            });
            if (pair) return this.linkVendorRefs(pair, contract);
        }
        for (const ref of contract.refs.filter((candidate) => candidate.system === 'salesforce')) {
            const pair = await this.store.findPair(this.orgId, { salesforceId: ref.id });
            if (pair) return this.linkVendorRefs(pair, contract);
        }
        return null;
    }

    private async linkVendorRefs(pair: LinkedPair, contract: ClmContract): Promise<LinkedPair> {
        const refs = contract.refs
            .filter((ref) => ref.system !== 'salesforce')
            .map((ref) => ({ vendor: ref.system, objectType: ref.objectType, id: ref.id }));
        const known = new Set(pair.clm.map((ref) => `${ref.vendor}:${ref.objectType}:${ref.id}`));
        if (refs.every((ref) => known.has(`${ref.vendor}:${ref.objectType}:${ref.id}`))) return pair;
        return this.store.linkPair(this.orgId, pair.pairId, { clm: refs }, this.now());
    }

    /**
     * A rep sent an Opportunity or its primary CPQ quote: the deal is the Opportunity (the quote's, when sent from a
     * quote). Refused before anything is written when the CLM could not take it; else the pair is created and the
     * contract's create queued, the sent record marked Pending until the create lands.
     */
    private async onSyncRequest(
        item: InboxItem,
        payload: Extract<InboxPayload, { kind: 'sf.syncRequest' }>
    ): Promise<void> {
        const salesforce = this.options.salesforce;
        const requestId = payload.requestId;
        const sent = { sfObject: payload.objectApiName, id: payload.recordId ?? payload.opportunityId ?? '' };
        if (!sent.id)
            throw new ConnectorError('PIPELINE.INVALID_INBOX_PAYLOAD', 'inbox payload: recordId — required', {
                field: 'recordId',
                retryable: false
            });
        const problems: string[] = [];
        let opportunityId: string | null = sent.id;
        let quoteFound = false;
        if (sent.sfObject === 'SBQQ__Quote__c') {
            const [quote] = await salesforce.readByIds(
                'SBQQ__Quote__c',
                ['SBQQ__Opportunity2__c', 'SBQQ__Primary__c'],
                [sent.id]
            );
            opportunityId = typeof quote?.SBQQ__Opportunity2__c === 'string' ? quote.SBQQ__Opportunity2__c : null;
            quoteFound = quote !== undefined;
            if (!quote) problems.push(`Quote ${sent.id} was not found or is not visible to the integration user`);
            else if (!opportunityId) problems.push('The quote has no Opportunity: the CLM contract belongs to a deal');
            else if (quote.SBQQ__Primary__c !== true) problems.push('Only the primary quote of an Opportunity is sent');
        }
        const existing = opportunityId ? await this.store.findPair(this.orgId, { salesforceId: opportunityId }) : null;
        if (existing?.clm.length && problems.length === 0) {
            // Already linked: a resend refreshes from the CLM.
            const contractId = currentContractId(existing)!;
            await this.store.appendInbox(this.orgId, [
                {
                    source: 'connector:resync',
                    eventId: `resync:${requestId}`,
                    orderingKey: existing.pairId,
                    objectType: 'contract',
                    payload: { kind: 'clm.event', contractId, vendorEventId: `resync:${requestId}` },
                    correlationId: item.correlationId
                }
            ]);
            return this.store.complete('inbox', this.orgId, this.claimOf(item), this.now());
        }
        const opportunity =
            opportunityId && problems.length === 0 ? await readDeal(salesforce, opportunityId) : undefined;
        if (!opportunity && problems.length === 0)
            problems.push(`Opportunity ${opportunityId} was not found or is not visible to the integration user`);
        const accountId = typeof opportunity?.AccountId === 'string' ? opportunity.AccountId : null;
        const [account] = accountId
            ? await salesforce.readByIds(
                  'Account',
                  ['Name', 'BillingStreet', 'BillingCity', 'BillingState', 'BillingPostalCode', 'BillingCountry'],
                  [accountId]
              )
            : [];
        if (opportunity && !account) problems.push('The Opportunity has no Account: the CLM needs a counterparty');
        const signer = opportunity && opportunityId ? await dealSigner(salesforce, opportunityId, accountId) : null;
        if (account && !signer)
            problems.push(
                `Neither the Opportunity's contact roles nor Account ${String(account.Name)} have a contact with an email to sign`
            );
        const pairId = `opp:${opportunityId ?? sent.id}`;
        // The records that carry the result: the one sent and the deal, where they exist (a write to a missing one
        // would fail for good).
        const sentRecords = [
            ...((sent.sfObject === 'Opportunity' ? opportunity : quoteFound) ? [sent] : []),
            ...(opportunity && opportunityId !== sent.id ? [{ sfObject: 'Opportunity', id: opportunityId! }] : [])
        ];
        if (problems.length > 0 || !opportunity || !account || !opportunityId) {
            // Refused before anything is written anywhere; the rep sees why on the page.
            const rejected = this.statusOutbox(`rejected:${requestId}`, pairId, {
                kind: 'RequestRejected',
                result: 'Error',
                recordId: sent.id,
                objectApiName: sent.sfObject,
                requestId,
                message: problems.join('; '),
                correlationId: item.correlationId,
                eventKey: `rejected:${requestId}`
            });
            await this.store.commitPlan({
                orgId: this.orgId,
                inbox: this.claimOf(item),
                outbox: [
                    rejected,
                    ...sentRecords.map((record) =>
                        this.resultWrite(record, 'Error', `rejected:${requestId}`, pairId, item)
                    )
                ],
                now: this.now()
            });
            return;
        }
        const currency = dealCurrency(opportunity, this.options.orgCurrency);
        const input: CreateContractInput = {
            naturalKey: { system: 'salesforce', objectType: 'Opportunity', id: opportunityId },
            title: String(opportunity.Name),
            counterparty: { name: String(account.Name), address: addressOf(account) },
            contacts: signer ? [{ name: signer.name, email: signer.email, role: 'signer', side: 'theirs' }] : [],
            value: dealValue(opportunity, currency),
            lineItems: await this.quoteLines(opportunityId, currency),
            custom: this.customForCreate({
                dealStage: typeof opportunity.StageName === 'string' ? opportunity.StageName : null
            })
        };
        if (!existing)
            await this.store.createPair(this.orgId, pairId, { salesforce: { opportunity: opportunityId } }, this.now());
        await this.store.commitPlan({
            orgId: this.orgId,
            inbox: this.claimOf(item),
            outbox: [
                ...sentRecords.map((record) =>
                    this.resultWrite(record, 'Pending', `accepted:${requestId}`, pairId, item)
                ),
                this.outbox('clm', 'clm.create', `create:${opportunityId}`, pairId, item.correlationId, {
                    kind: 'clm.create',
                    pairId,
                    opportunityId,
                    accountId,
                    input: asJson(input) as Record<string, unknown>,
                    ...(sent.sfObject !== 'Opportunity' ? { sentFrom: sent } : {})
                })
            ],
            now: this.now()
        });
    }

    /** CLM_Last_Sync_Result__c (and when) on a record the connector syncs. */
    private resultWrite(
        record: { sfObject: string; id: string },
        result: SyncResult,
        key: string,
        orderingKey: string,
        item: { correlationId: string }
    ): OutboxInput {
        return this.outbox('salesforce', 'sf.write', `result:${key}:${record.id}`, orderingKey, item.correlationId, {
            kind: 'sf.write',
            sfObject: record.sfObject,
            id: record.id,
            fields: { CLM_Last_Sync__c: new Date(this.now()).toISOString(), CLM_Last_Sync_Result__c: result }
        });
    }

    /** A Clm_Sync_Status__e, built by the org contract. */
    private statusOutbox(key: string, orderingKey: string, status: StatusEvent): OutboxInput {
        return this.outbox('salesforce', 'sf.publishStatus', `status:${key}`, orderingKey, status.correlationId, {
            kind: 'sf.publishStatus',
            fields: statusEventFields(status)
        });
    }

    /** One of the org contract's records, upserted by its key. */
    private recordOutbox(record: RecordUpsert, idempotencyKey: string, orderingKey: string, correlationId: string) {
        return this.outbox('salesforce', 'sf.write', idempotencyKey, orderingKey, correlationId, {
            kind: 'sf.write',
            sfObject: record.sfObject,
            externalId: record.externalId,
            fields: record.fields
        });
    }

    /**
     * A CPQ quote changed (the calculator touches the quote whenever its lines change, deletes included): when it
     * is the primary quote of a linked deal, its lines replace the contract's line items, where the CLM takes them.
     */
    private async onQuoteChange(item: InboxItem, quoteId: string): Promise<void> {
        const done = () => this.store.complete('inbox', this.orgId, this.claimOf(item), this.now());
        if (!this.options.clm.capabilities().lineItemsWritable) return done();
        const [quote] = await this.options.salesforce.readByIds(
            'SBQQ__Quote__c',
            ['SBQQ__Opportunity2__c', 'SBQQ__Primary__c'],
            [quoteId]
        );
        const opportunityId = typeof quote?.SBQQ__Opportunity2__c === 'string' ? quote.SBQQ__Opportunity2__c : null;
        if (!quote || quote.SBQQ__Primary__c !== true || !opportunityId) return done();
        const pair = await this.store.findPair(this.orgId, { salesforceId: opportunityId });
        const contractId = pair ? currentContractId(pair) : undefined;
        if (!pair || !contractId) return done();
        await this.store.commitPlan({
            orgId: this.orgId,
            inbox: this.claimOf(item),
            outbox: [
                this.outbox(
                    'clm',
                    'clm.replaceLineItems',
                    `${item.source}:${item.eventId}:lines`,
                    pair.pairId,
                    item.correlationId,
                    {
                        kind: 'clm.replaceLineItems',
                        pairId: pair.pairId,
                        contractId,
                        lineItems:
                            (await this.quoteLines(opportunityId, await this.dealCurrencyOf(opportunityId))) ?? []
                    }
                )
            ],
            now: this.now()
        });
    }

    /** The custom values a create carries: those the config maps, and those the adapter has a native home for. */
    private customForCreate(values: Record<string, string | null>): Record<string, string | null> {
        const allowed = this.options.clmCustomFields;
        if (!allowed) return values;
        const native = this.options.clm.capabilities().writableFields ?? [];
        return Object.fromEntries(
            Object.entries(values).filter(([name]) => allowed.includes(name) || native.includes(`custom.${name}`))
        );
    }

    private async dealCurrencyOf(opportunityId: string): Promise<string | null> {
        const deal = await readDeal(this.options.salesforce, opportunityId);
        return deal ? dealCurrency(deal, this.options.orgCurrency) : (this.options.orgCurrency ?? null);
    }

    /** The primary CPQ quote's lines, when CPQ is installed; prices are in the deal's currency. */
    private async quoteLines(
        opportunityId: string,
        currency: string | null
    ): Promise<CreateContractInput['lineItems']> {
        try {
            const quotes = await this.options.salesforce.query(
                select(['Id'], 'SBQQ__Quote__c', {
                    where: where.and(
                        where.eq('SBQQ__Opportunity2__c', opportunityId),
                        where.eq('SBQQ__Primary__c', true)
                    ),
                    limit: 1
                })
            );
            if (quotes.length === 0) return [];
            const lines = await this.options.salesforce.query(
                select(
                    ['Id', 'SBQQ__Product__c', 'SBQQ__ProductName__c', 'SBQQ__Quantity__c', 'SBQQ__NetPrice__c'],
                    'SBQQ__QuoteLine__c',
                    { where: where.eq('SBQQ__Quote__c', String(quotes[0]!.Id)) }
                )
            );
            return lines.map((line) => ({
                key: String(line.Id),
                sfQuoteLineId: String(line.Id),
                // The product's name, as people read it in the CLM (its id when the name is not readable).
                product: String(line.SBQQ__ProductName__c ?? line.SBQQ__Product__c ?? ''),
                quantity: String(line.SBQQ__Quantity__c ?? 0),
                ...(typeof line.SBQQ__NetPrice__c === 'number' && currency
                    ? { unitPrice: { amount: String(line.SBQQ__NetPrice__c), currency } }
                    : {}),
                extra: {}
            }));
        } catch (error) {
            if (isConnectorError(error, 'SF.INVALID_TYPE')) return []; // no CPQ in this org
            throw error;
        }
    }

    private async onConflictResolution(
        item: InboxItem,
        payload: Extract<InboxPayload, { kind: 'sf.conflictResolution' }>
    ): Promise<void> {
        const pair = await this.store.findPair(this.orgId, { pairId: payload.pairId });
        if (!pair)
            throw new ConnectorError('PIPELINE.UNKNOWN_PAIR', `No linked pair ${payload.pairId}`, {
                pairId: payload.pairId,
                retryable: false
            });
        const plan = resolveConflict(
            pair.state,
            this.options.rules,
            payload.rule,
            'take' in payload.resolution
                ? { take: payload.resolution.take }
                : { value: payload.resolution.value as Json },
            { eventId: item.eventId, correlationId: item.correlationId, at: new Date(this.now()).toISOString() },
            this.options.context
        );
        const closed = payload.conflictKey
            ? [
                  this.recordOutbox(
                      resolvedConflictRecord(payload.conflictKey),
                      `conflict:resolved:${payload.conflictKey}`,
                      pair.pairId,
                      item.correlationId
                  )
              ]
            : [];
        await this.commit(this.fromInbox(item), pair, plan, closed, [{ pairId: pair.pairId, rule: payload.rule }]);
    }

    /** An audit's differences on one pair, re-planned by the rules (domain/audit.ts planRepair). */
    private async onAuditRepair(item: InboxItem, payload: Extract<InboxPayload, { kind: 'audit.repair' }>) {
        const pair = await this.store.findPair(this.orgId, { pairId: payload.pairId });
        if (!pair) return this.store.complete('inbox', this.orgId, this.claimOf(item), this.now());
        const { rules, salesforce, clm } = payload;
        const at = new Date(this.now()).toISOString();
        const input = { rules, salesforce, clm, eventId: item.eventId, correlationId: item.correlationId, at };
        const plan = planRepair(input, pair.state, this.options.rules, this.options.context);
        if (payload.clmVersion) plan.newState.clmVersion = payload.clmVersion;
        await this.commit(this.fromInbox(item), pair, plan, []);
    }

    /** One transaction: the inbox item done, the pair's new state, the change log, conflicts and the outbox. */
    private async commit(
        item: CommitSource,
        pair: LinkedPair,
        plan: Plan,
        extra: OutboxInput[],
        resolvedConflicts: { pairId: string; rule: string }[] = []
    ): Promise<void> {
        const outbox: OutboxInput[] = [];
        // Conflict while one waits for a person; a decision applied brings the deal back to Synced.
        const result: SyncResult = plan.conflicts.length > 0 ? 'Conflict' : 'Synced';
        let resultWritten = false;
        for (const write of plan.writes.salesforce) {
            const kind = LINK_KIND[write.sfObject];
            const id = kind ? pair.salesforce[kind] : undefined;
            if (!id) {
                this.options.log?.('warn', 'no linked record for a planned write', {
                    object: write.sfObject,
                    pairId: pair.pairId,
                    correlationId: item.correlationId
                });
                continue;
            }
            outbox.push(
                this.outbox(
                    'salesforce',
                    'sf.write',
                    `${item.source}:${item.eventId}:${write.sfObject}`,
                    pair.pairId,
                    item.correlationId,
                    {
                        kind: 'sf.write',
                        sfObject: write.sfObject,
                        id,
                        fields: {
                            ...write.fields,
                            CLM_Last_Sync__c: new Date(this.now()).toISOString(),
                            CLM_Last_Sync_Result__c: result
                        }
                    }
                )
            );
            if (write.sfObject === 'Opportunity') resultWritten = true;
        }
        const opportunityId = pair.salesforce.opportunity;
        if (!resultWritten && opportunityId && (plan.conflicts.length > 0 || resolvedConflicts.length > 0))
            outbox.push(
                this.resultWrite(
                    { sfObject: 'Opportunity', id: opportunityId },
                    result,
                    `${item.source}:${item.eventId}`,
                    pair.pairId,
                    item
                )
            );
        outbox.push(...this.provenance(item, pair, plan));
        if (plan.writes.clm) {
            const contractId = currentContractId(pair);
            if (contractId) {
                outbox.push(
                    this.outbox(
                        'clm',
                        'clm.update',
                        `${item.source}:${item.eventId}:clm`,
                        pair.pairId,
                        item.correlationId,
                        {
                            kind: 'clm.update',
                            pairId: pair.pairId,
                            contractId,
                            fields: plan.writes.clm.fields,
                            ...(plan.newState.clmVersion ? { ifVersion: plan.newState.clmVersion } : {})
                        }
                    )
                );
            }
        }
        for (const conflict of plan.conflicts) outbox.push(...this.conflictRecord(pair, conflict));
        for (const error of plan.errors) {
            this.options.log?.('warn', error.message, {
                code: error.code,
                pairId: pair.pairId,
                correlationId: item.correlationId
            });
        }
        await this.store.commitPlan({
            orgId: this.orgId,
            ...(item.claim ? { inbox: item.claim } : {}),
            pair: { pairId: pair.pairId, expectedVersion: pair.version, state: plan.newState },
            changeLog: plan.changeLog.map((entry) => ({ ...entry, pairId: pair.pairId })),
            conflicts: plan.conflicts.map((conflict) => ({ ...conflict, pairId: pair.pairId })),
            outbox: [...outbox, ...extra],
            ...(resolvedConflicts.length > 0 ? { resolvedConflicts } : {}),
            now: this.now()
        });
    }

    /** The conflict for a person (Open), and a Conflict status the org's automation makes a review Task from. */
    private conflictRecord(pair: LinkedPair, conflict: Conflict): OutboxInput[] {
        const key = conflictKey(pair.pairId, conflict.rule, conflict.eventId);
        const recordId = pair.salesforce[LINK_KIND[conflict.sfObject] ?? 'opportunity'] ?? null;
        const record = openConflictRecord({
            key,
            rule: conflict.rule,
            sfObject: conflict.sfObject,
            sfField: conflict.sfField,
            clmField: conflict.clmField,
            salesforceValue: display(conflict.salesforceValue),
            clmValue: display(conflict.clmValue),
            salesforceChangedAt: conflict.salesforceVersion?.at ?? null,
            clmChangedAt: conflict.clmVersion?.at ?? null,
            recordId,
            opportunityId: pair.salesforce.opportunity ?? null,
            correlationId: conflict.correlationId
        });
        return [
            this.recordOutbox(record, `conflict:${key}`, pair.pairId, conflict.correlationId),
            this.statusOutbox(`conflict:${key}`, pair.pairId, {
                kind: 'Conflict',
                result: 'Conflict',
                recordId,
                objectApiName: recordId ? conflict.sfObject : null,
                message: `${conflict.sfField} changed in Salesforce and in the CLM: choose the value to keep`,
                correlationId: conflict.correlationId,
                eventKey: `conflict:${key}`
            })
        ];
    }

    /** "Last written by" for each linked field a plan moved: the side whose value the field now holds. */
    private provenance(item: CommitSource, pair: LinkedPair, plan: Plan): OutboxInput[] {
        const out: OutboxInput[] = [];
        for (const entry of plan.changeLog) {
            if (entry.outcome !== 'applied' && entry.outcome !== 'resolved') continue;
            const rule = this.options.rules.byName.get(entry.rule);
            const kind = rule ? LINK_KIND[rule.sfObject] : undefined;
            const recordId = kind ? pair.salesforce[kind] : undefined;
            if (!rule || !recordId) continue;
            const record = provenanceRecord({
                recordId,
                sfObject: rule.sfObject,
                field: rule.sfField,
                writtenBy: entry.source === 'clm' ? 'Clm' : 'Salesforce',
                writtenAt: new Date(this.now()).toISOString(),
                correlationId: item.correlationId
            });
            out.push(
                this.recordOutbox(
                    record,
                    `provenance:${item.source}:${item.eventId}:${record.externalId.value}`,
                    pair.pairId,
                    item.correlationId
                )
            );
        }
        return out;
    }

    private outbox(
        target: 'salesforce' | 'clm',
        operation: string,
        idempotencyKey: string,
        orderingKey: string,
        correlationId: string,
        payload: OutboxPayload
    ): OutboxInput {
        return {
            target,
            operation,
            idempotencyKey,
            orderingKey,
            correlationId,
            payload: asJson(payload),
            objectType: objectOfPayload(payload)
        };
    }

    // ----------------------------------------------------------------------------------------------- outbox

    /**
     * All claimed Salesforce writes go out together, status events among them (a platform event is published by
     * inserting it): Composite batches them up to 5×200 records per call.
     */
    private async dispatchSalesforceWrites(items: OutboxItem[]): Promise<void> {
        const parsed: { item: OutboxItem; payload: Extract<OutboxPayload, { kind: 'sf.write' }> }[] = [];
        for (const item of items) {
            try {
                const payload = parsePayload(OutboxPayload, item.payload, 'outbox');
                if (payload.kind === 'sf.publishStatus')
                    parsed.push({
                        item,
                        payload: { kind: 'sf.write', sfObject: 'Clm_Sync_Status__e', fields: payload.fields }
                    });
                else if (payload.kind === 'sf.write') parsed.push({ item, payload });
                else
                    throw new ConnectorError('PIPELINE.INVALID_OUTBOX_PAYLOAD', 'not a Salesforce write', {
                        retryable: false
                    });
            } catch (error) {
                await this.failItem('outbox', item, error);
            }
        }
        if (parsed.length === 0) return;
        const landed = await this.alreadyApplied(parsed);
        for (const entry of parsed.filter((candidate) => landed.has(candidate.item.id))) {
            await this.completeSalesforceWrite(entry.item, entry.payload, entry.payload.id ?? null);
        }
        parsed.splice(0, parsed.length, ...parsed.filter((candidate) => !landed.has(candidate.item.id)));
        if (parsed.length === 0) return;
        const writes: RecordWrite[] = parsed.map(({ item, payload }) => ({
            ref: String(item.id),
            sfObject: payload.sfObject,
            id: payload.id,
            externalId: payload.externalId,
            fields: payload.fields
        }));
        let results;
        try {
            results = await this.options.salesforce.write(writes);
        } catch (error) {
            for (const { item } of parsed) await this.failItem('outbox', item, error);
            return;
        }
        const byRef = new Map(results.map((result) => [result.ref, result]));
        for (const { item, payload } of parsed) {
            const result = byRef.get(String(item.id));
            if (result?.success) {
                await this.completeSalesforceWrite(item, payload, result.id ?? null);
            } else {
                await this.failItem(
                    'outbox',
                    item,
                    result?.error ?? new ConnectorError('SF.NO_RESULT', 'no result for the write', { ref: item.id })
                );
            }
        }
    }

    private async completeSalesforceWrite(
        item: OutboxItem,
        payload: Extract<OutboxPayload, { kind: 'sf.write' }>,
        recordId: string | null
    ): Promise<void> {
        if (payload.linkAs && payload.pairId && recordId) {
            await this.store.linkPair(
                this.orgId,
                payload.pairId,
                { salesforce: { [payload.linkAs]: recordId } },
                this.now()
            );
        }
        await this.store.complete('outbox', this.orgId, this.claimOf(item), this.now());
        await this.afterSuccess('outbox', item);
    }

    /**
     * A write claimed again after an attempt that may have reached Salesforce (the process died before it recorded
     * the outcome, or the answer was lost) is read back first: when the record already holds every value of the
     * write, it landed, and sending it again would apply it twice. One query per object for the whole batch.
     */
    private async alreadyApplied(
        parsed: readonly { item: OutboxItem; payload: Extract<OutboxPayload, { kind: 'sf.write' }> }[]
    ): Promise<Set<number>> {
        const landed = new Set<number>();
        const retried = parsed.filter(({ item, payload }) => item.attempts > 1 && payload.id);
        const byObject = new Map<string, typeof retried>();
        for (const entry of retried)
            byObject.set(entry.payload.sfObject, [...(byObject.get(entry.payload.sfObject) ?? []), entry]);
        for (const [sfObject, entries] of byObject) {
            const fields = [...new Set(entries.flatMap(({ payload }) => Object.keys(payload.fields)))];
            const records = await this.options.salesforce.readByIds(
                sfObject,
                fields,
                entries.map(({ payload }) => payload.id!)
            );
            const byId = new Map(records.map((record) => [String(record.Id), record]));
            for (const { item, payload } of entries) {
                const current = byId.get(payload.id!);
                if (
                    current &&
                    Object.entries(payload.fields).every(([field, value]) => sameSalesforceValue(value, current[field]))
                )
                    landed.add(item.id);
            }
        }
        return landed;
    }

    private async dispatchOne(item: OutboxItem): Promise<void> {
        try {
            const payload = parsePayload(OutboxPayload, item.payload, 'outbox');
            switch (payload.kind) {
                case 'clm.create':
                    await this.createInClm(item, payload);
                    break;
                case 'clm.update':
                    await this.updateInClm(item, payload);
                    break;
                case 'clm.replaceLineItems':
                    // Outside the states the CLM takes line items in (Ironclad: Review), this fails retryably: held
                    // and retried, then reported as a sync error if it never becomes writable.
                    await this.options.clm.replaceLineItems(payload.contractId, payload.lineItems);
                    break;
                case 'clm.attachSigned': {
                    const document = await this.options.clm.downloadDocument(payload.contractId, payload.documentId);
                    const file = {
                        title: document.name.replace(/\.[^.]+$/, ''),
                        fileName: document.name,
                        bytes: document.bytes
                    };
                    // An attempt that may have attached it already (the process died before recording the outcome)
                    // looks first: the signed PDF is on the Opportunity once.
                    if (item.attempts > 1 && (await this.fileAttached(payload.recordId, file))) break;
                    await this.options.salesforce.attachFile(payload.recordId, file);
                    break;
                }
                case 'sf.write':
                case 'sf.publishStatus':
                    throw new ConnectorError(
                        'PIPELINE.INVALID_OUTBOX_PAYLOAD',
                        'Salesforce writes are dispatched in batches',
                        { retryable: false }
                    );
            }
            await this.store.complete('outbox', this.orgId, this.claimOf(item), this.now());
            await this.afterSuccess('outbox', item);
        } catch (error) {
            await this.failItem('outbox', item, error);
        }
    }

    /**
     * Writes planned values to the contract under a version precondition: the contract version the connector has
     * seen last, read at dispatch (writes queued behind each other each move it). Only values the pair still
     * expects to land are sent: one that already landed, was superseded or is in conflict is not sent again. When
     * the contract moved anyway, someone else changed it: it is read again and the planner takes in what changed
     * (a concurrent edit of a bidirectional field becomes a conflict), then what is still ours to send goes out.
     */
    private async updateInClm(
        item: OutboxItem,
        payload: Extract<OutboxPayload, { kind: 'clm.update' }>
    ): Promise<void> {
        for (let round = 0; ; round += 1) {
            const pair = await this.store.findPair(this.orgId, { pairId: payload.pairId });
            if (!pair)
                throw new ConnectorError('PIPELINE.UNKNOWN_PAIR', `No linked pair ${payload.pairId}`, {
                    pairId: payload.pairId,
                    retryable: false
                });
            const fields = this.stillExpected(pair.state, payload.fields as Record<string, Json>);
            if (Object.keys(fields).length === 0) return;
            const ifVersion = pair.state.clmVersion ?? payload.ifVersion;
            try {
                const updated = await this.options.clm.updateContract(payload.contractId, contractPatch(fields), {
                    ...(ifVersion ? { ifVersion } : {})
                });
                const window = ifVersion && clmWriteWindow(this.options.rules, ifVersion, updated.updatedAt, fields);
                await this.rememberClmVersion(payload.pairId, updated.version, window || undefined);
                return;
            } catch (error) {
                if (!isConnectorError(error, 'CLM.CONFLICT') || round >= 2) throw error;
                const contract = await this.options.clm.getContract(payload.contractId);
                const eventId = `refetch:${item.id}:${item.attempts}:${round}`;
                const plan = this.planFromContract(contract, pair, eventId, item.correlationId);
                await this.commit(
                    { source: 'connector:refetch', eventId, correlationId: item.correlationId },
                    pair,
                    plan,
                    []
                );
            }
        }
    }

    /** The values of a CLM write the pair still waits to see land (not landed, superseded or in conflict). */
    private stillExpected(state: PairState, fields: Record<string, Json>): Record<string, Json> {
        const rules = this.options.rules.rules;
        return Object.fromEntries(
            Object.entries(fields).filter(([clmField, value]) =>
                rules.some((rule) => {
                    const field = rule.clmField === clmField ? state.fields[rule.name] : undefined;
                    return (
                        field !== undefined &&
                        !field.conflict &&
                        (field.pending?.clm ?? []).some((expected) => sameValue(expected, value))
                    );
                })
            )
        );
    }

    /** Read, change and write a pair's state, again on a concurrent update (bounded). */
    private async updatePairState(pairId: string, change: (state: PairState) => PairState | null): Promise<void> {
        for (let attempt = 0; attempt < 5; attempt += 1) {
            const pair = await this.store.findPair(this.orgId, { pairId });
            if (!pair) return;
            const state = change(pair.state);
            if (!state) return;
            try {
                await this.store.commitPlan({
                    orgId: this.orgId,
                    pair: { pairId, expectedVersion: pair.version, state },
                    now: this.now()
                });
                return;
            } catch (error) {
                if (!isConnectorError(error, 'STORE.CONCURRENT_UPDATE')) throw error;
            }
        }
    }

    private async fileAttached(recordId: string, file: { title: string; fileName: string }): Promise<boolean> {
        const rows = await this.options.salesforce.query(
            select(['Id'], 'ContentVersion', {
                where: where.and(
                    where.eq('FirstPublishLocationId', recordId),
                    where.eq('PathOnClient', file.fileName),
                    where.eq('Title', file.title)
                ),
                limit: 1
            })
        );
        return rows.length > 0;
    }

    /** Our own write moved the contract's version: the next write's precondition must name the new one. */
    private async rememberClmVersion(pairId: string, version: string, window?: ClmWriteWindow): Promise<void> {
        await this.updatePairState(pairId, (state) => {
            const next = window ? rememberClmWrite(state, window) : state;
            return next.clmVersion === version && next === state ? null : { ...next, clmVersion: version };
        });
    }

    /**
     * Creates the contract (idempotent by the Opportunity's natural key, so a retry after a lost response finds it),
     * links the pair, creates or finds the Salesforce Contract by the CLM id, stamps the Opportunity, and queues the
     * contract's first read so its values flow back through the planner.
     */
    private async createInClm(
        item: OutboxItem,
        payload: Extract<OutboxPayload, { kind: 'clm.create' }>
    ): Promise<void> {
        const contract = await this.options.clm.createContract(payload.input as unknown as CreateContractInput);
        const pair = await this.linkVendorRefs(
            (await this.store.findPair(this.orgId, { pairId: payload.pairId }))!,
            contract
        );
        const url = this.options.contractUrl?.(contract) ?? null;
        const salesforce = this.options.salesforce;
        if (!pair.salesforce.contract && payload.accountId) {
            const [result] = await salesforce.write([
                {
                    ref: 'contract',
                    sfObject: 'Contract',
                    externalId: { field: 'CLM_Contract_Id__c', value: contract.id },
                    fields: {
                        AccountId: payload.accountId,
                        Status: 'Draft',
                        Name: (contract.title ?? 'Contract').slice(0, 80),
                        CLM_Contract_Url__c: url
                    }
                }
            ]);
            if (!result?.success || !result.id)
                throw result?.error ?? new ConnectorError('SF.NO_RESULT', 'the Contract upsert returned nothing', {});
            await this.store.linkPair(this.orgId, pair.pairId, { salesforce: { contract: result.id } }, this.now());
            const [opportunity] = await salesforce.write([
                {
                    ref: 'opportunity',
                    sfObject: 'Opportunity',
                    id: payload.opportunityId,
                    fields: {
                        ContractId: result.id,
                        CLM_Contract_Id__c: contract.id,
                        CLM_Contract_Url__c: url,
                        CLM_Last_Sync__c: new Date(this.now()).toISOString(),
                        CLM_Last_Sync_Result__c: 'Synced'
                    }
                }
            ]);
            if (!opportunity?.success)
                throw (
                    opportunity?.error ??
                    new ConnectorError('SF.NO_RESULT', 'the Opportunity update returned nothing', {})
                );
        }
        if (payload.sentFrom) {
            // Sent from a CPQ quote: the quote was Pending too.
            await this.store.commitPlan({
                orgId: this.orgId,
                outbox: [this.resultWrite(payload.sentFrom, 'Synced', `created:${contract.id}`, pair.pairId, item)],
                now: this.now()
            });
        }
        this.milestone('contractCreated', pair, item.correlationId);
        await this.store.appendInbox(this.orgId, [
            {
                source: 'connector:created',
                eventId: `created:${contract.id}`,
                orderingKey: pair.pairId,
                objectType: 'contract',
                payload: { kind: 'clm.event', contractId: contract.id, vendorEventId: `created:${contract.id}` },
                correlationId: item.correlationId
            }
        ]);
    }

    // ---------------------------------------------------------------------------------------------- failures

    /** Retries with backoff what time may fix; quarantines at once what it cannot, or after the last attempt. */
    private async failItem(queue: QueueName, item: InboxItem | OutboxItem, error: unknown): Promise<void> {
        const connectorError = isConnectorError(error)
            ? error
            : new ConnectorError(
                  'PIPELINE.UNEXPECTED',
                  error instanceof Error ? error.message : String(error),
                  {},
                  { cause: error }
              );
        const lastError = { code: connectorError.code, message: connectorError.message.slice(0, 1000) };
        const claim = this.claimOf(item);
        this.options.log?.('warn', 'item failed', {
            queue,
            id: item.id,
            code: lastError.code,
            reason: lastError.message.slice(0, 300),
            attempt: item.attempts,
            correlationId: item.correlationId
        });
        let outcome: 'failed' | 'quarantined';
        try {
            if (isRetryable(connectorError)) {
                const retryAt =
                    this.now() +
                    retryDelayMs(
                        item.attempts,
                        connectorError,
                        this.options.retry ?? DEFAULT_RETRY_POLICY,
                        this.options.random
                    );
                outcome = await this.store.fail(queue, this.orgId, claim, { error: lastError, retryAt }, this.now());
            } else {
                await this.store.quarantine(queue, this.orgId, claim, lastError, this.now());
                outcome = 'quarantined';
            }
        } catch (storeError) {
            // The claim was lost (another worker has it now): that worker owns the outcome.
            if (isConnectorError(storeError, 'STORE.CLAIM_LOST')) return;
            throw storeError;
        }
        if (outcome === 'quarantined' && !isErrorRecordWrite(item)) {
            await this.store.commitPlan({
                orgId: this.orgId,
                outbox: this.quarantined(queue, item, lastError),
                now: this.now()
            });
        }
    }

    /** A success after a person's retry (the item was replayed from quarantine: attempts start over, the error stays). */
    private async afterSuccess(queue: QueueName, item: InboxItem | OutboxItem): Promise<void> {
        if (item.attempts !== 1 || !item.lastError || isErrorRecordWrite(item)) return;
        const key = syncErrorKey(queue, item.id);
        await this.store.commitPlan({
            orgId: this.orgId,
            outbox: [
                this.recordOutbox(
                    syncErrorStatusRecord(key, 'Resolved'),
                    `error:${key}:resolved`,
                    `error:${key}`,
                    item.correlationId
                )
            ],
            now: this.now()
        });
    }

    /** A person asked to retry a quarantined item: it goes back to its queue, and the error shows Retrying. */
    private async onRetryRequest(
        item: InboxItem,
        payload: Extract<InboxPayload, { kind: 'sf.retryRequest' }>
    ): Promise<void> {
        await this.store.replay(this.orgId, [{ queue: payload.queue, id: payload.id }], this.now());
        await this.store.commitPlan({
            orgId: this.orgId,
            inbox: this.claimOf(item),
            outbox: [
                this.recordOutbox(
                    syncErrorStatusRecord(payload.errorKey, 'Retrying'),
                    `error:${payload.errorKey}:retrying:${item.eventId}`,
                    `error:${payload.errorKey}`,
                    item.correlationId
                )
            ],
            now: this.now()
        });
    }

    /**
     * What the org hears of a quarantined item: the Clm_Sync_Error__c row for admins and legal (upserted by a stable
     * key), a Quarantined status (the automation's review Task) and the deal's result. Their keys start with
     * `error:`, so a failure of theirs never makes another.
     */
    private quarantined(queue: QueueName, item: InboxItem | OutboxItem, error: { code: string; message: string }) {
        const key = syncErrorKey(queue, item.id);
        const dealId = item.orderingKey.startsWith('opp:') ? item.orderingKey.slice(4) : null;
        // Only a real record id gets the status and the result (a write to anything else would fail for good).
        const recordId = dealId && /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(dealId) ? dealId : null;
        const at = new Date(this.now()).toISOString();
        const record = quarantinedErrorRecord({
            key,
            code: error.code,
            message: error.message,
            correlationId: item.correlationId,
            attempts: item.attempts,
            objectApiName: item.objectType,
            recordId,
            lastAttemptAt: at
        });
        const orderingKey = `error:${key}`;
        const outbox = [this.recordOutbox(record, `error:${key}:${item.attempts}`, orderingKey, item.correlationId)];
        if (recordId) {
            outbox.push(
                this.outbox(
                    'salesforce',
                    'sf.publishStatus',
                    `error:${key}:${item.attempts}:status`,
                    orderingKey,
                    item.correlationId,
                    {
                        kind: 'sf.publishStatus',
                        fields: statusEventFields({
                            kind: 'Quarantined',
                            result: 'Quarantined',
                            recordId,
                            objectApiName: 'Opportunity',
                            message: `${error.code}: ${error.message}`,
                            correlationId: item.correlationId,
                            eventKey: `error:${key}:${item.attempts}`
                        })
                    }
                ),
                this.outbox(
                    'salesforce',
                    'sf.write',
                    `error:${key}:${item.attempts}:result`,
                    orderingKey,
                    item.correlationId,
                    {
                        kind: 'sf.write',
                        sfObject: 'Opportunity',
                        id: recordId,
                        fields: { CLM_Last_Sync__c: at, CLM_Last_Sync_Result__c: 'Quarantined' }
                    }
                )
            );
        }
        return outbox;
    }
}

/** An error record that cannot be written must not produce another error record. */
function isErrorRecordWrite(item: InboxItem | OutboxItem): boolean {
    return 'idempotencyKey' in item && item.idempotencyKey.startsWith('error:');
}

function addressOf(account: SalesforceRecord) {
    const part = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : null);
    const address = {
        street: part(account.BillingStreet),
        city: part(account.BillingCity),
        state: part(account.BillingState),
        postalCode: part(account.BillingPostalCode),
        country: part(account.BillingCountry)
    };
    return Object.values(address).some((value) => value !== null) ? address : null;
}

function display(value: Json): string | null {
    if (value === null) return null;
    return (typeof value === 'string' ? value : JSON.stringify(value)).slice(0, 32768);
}
