/**
 * What every use case of the engine shares (see syncEngine.ts): the options, the store and the org, the clock and
 * this worker's claims, the outbox items the org contract's messages travel in, and the pair lookups.
 */
import { randomUUID } from 'node:crypto';
import {
    isConnectorError,
    planChange,
    sawClmAt,
    statusEventFields,
    syncResultFields,
    type ClmChange,
    type ClmContract,
    type PairState,
    type Plan,
    type RecordUpsert,
    type StatusEvent,
    type SyncResult
} from '../../domain/index.ts';
import type { ClaimRef, InboxItem, LinkedPair, OutboxInput, OutboxItem } from '../../ports/store.ts';
import { systemClock } from '../../clock.ts';
import { canonicalValues } from '../clmFields.ts';
import { asJson, objectOfPayload, type OutboxPayload } from '../payloads.ts';
import type { EngineStore, Milestone, SyncEngineOptions } from '../syncEngine.ts';

/** Where a committed plan came from: its change log and outbox keys, and the inbox claim it completes. */
export interface CommitSource {
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

export class EngineContext {
    /** Identifies this instance's claims. */
    readonly worker: string;
    readonly now: () => number;

    constructor(readonly options: SyncEngineOptions) {
        this.worker = options.worker ?? `engine-${randomUUID().slice(0, 8)}`;
        const clock = options.clock ?? systemClock;
        this.now = () => clock.now();
    }

    get store(): EngineStore {
        return this.options.store;
    }
    get orgId(): string {
        return this.options.orgId;
    }

    /** The connector's clock as the org stores an instant. */
    nowIso(): string {
        return new Date(this.now()).toISOString();
    }

    claimOf(item: InboxItem | OutboxItem): ClaimRef {
        return { id: item.id, worker: this.worker, attempt: item.attempts };
    }

    fromInbox(item: InboxItem): CommitSource {
        return {
            source: item.source,
            eventId: item.eventId,
            correlationId: item.correlationId,
            claim: this.claimOf(item)
        };
    }

    /** The inbox item needs nothing more: done. */
    complete(item: InboxItem): Promise<void> {
        return this.store.complete('inbox', this.orgId, this.claimOf(item), this.now());
    }

    outbox(
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

    /** CLM_Last_Sync_Result__c (and when) on a record the connector syncs. */
    resultWrite(
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
            fields: syncResultFields(result, this.nowIso())
        });
    }

    /**
     * A Clm_Sync_Status__e, built by the org contract. Statuses keep their order in a stream of their own beside
     * the pair's writes (`sideStream`), so a change's status goes out in the same Composite call as its write.
     */
    statusOutbox(key: string, orderingKey: string, status: StatusEvent): OutboxInput {
        const stream = sideStream(orderingKey, 'status');
        return this.outbox('salesforce', 'sf.publishStatus', `status:${key}`, stream, status.correlationId, {
            kind: 'sf.publishStatus',
            fields: statusEventFields(status)
        });
    }

    /** One of the org contract's records (provenance, conflicts), upserted by its key, in their own stream. */
    recordOutbox(record: RecordUpsert, idempotencyKey: string, orderingKey: string, correlationId: string) {
        const stream = sideStream(orderingKey, `record:${record.sfObject}`);
        return this.outbox('salesforce', 'sf.write', idempotencyKey, stream, correlationId, {
            kind: 'sf.write',
            sfObject: record.sfObject,
            externalId: record.externalId,
            fields: record.fields
        });
    }

    /** The contract as the CLM holds it now, planned against the pair; the pair has seen this version since. */
    planFromContract(contract: ClmContract, pair: LinkedPair, eventId: string, correlationId: string): Plan {
        const plan = planChange(
            clmChange(contract, eventId, correlationId),
            pair.state,
            this.options.rules,
            this.options.context
        );
        plan.newState = { ...sawClmAt(plan.newState, contract.updatedAt), clmVersion: contract.version };
        return plan;
    }

    milestone(kind: Milestone['kind'], pair: LinkedPair, correlationId: string): void {
        this.options.onMilestone?.({
            kind,
            pairId: pair.pairId,
            opportunityId: pair.salesforce.opportunity ?? null,
            correlationId,
            at: this.now()
        });
    }

    /** Finds the pair a contract belongs to by any of its vendor ids, or by the Salesforce reference stamped on it. */
    async pairForContract(contract: ClmContract): Promise<LinkedPair | null> {
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

    async linkVendorRefs(pair: LinkedPair, contract: ClmContract): Promise<LinkedPair> {
        const refs = contract.refs
            .filter((ref) => ref.system !== 'salesforce')
            .map((ref) => ({ vendor: ref.system, objectType: ref.objectType, id: ref.id }));
        const known = new Set(pair.clm.map((ref) => `${ref.vendor}:${ref.objectType}:${ref.id}`));
        if (refs.every((ref) => known.has(`${ref.vendor}:${ref.objectType}:${ref.id}`))) return pair;
        return this.store.linkPair(this.orgId, pair.pairId, { clm: refs }, this.now());
    }

    /** Read, change and write a pair's state, again on a concurrent update (bounded). */
    async updatePairState(pairId: string, change: (state: PairState) => PairState | null): Promise<void> {
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
}

/**
 * The store hands out one item per ordering key per round; a pair's status events and org-contract records keep
 * their own order in streams beside the pair's (`<pair>:status`, `<pair>:record:<object>`), so a change's write,
 * its status and its records are claimed in the same round and share one Composite call instead of three.
 */
export function sideStream(orderingKey: string, stream: string): string {
    return `${orderingKey}:${stream}`;
}
