/**
 * The sync engine: claims inbox items (one per record at a time, others flow), hands each to the use case of its
 * kind, which plans it with the domain and commits the new pair state, change log, conflicts and outbox items in one
 * store transaction; then dispatches the outbox — Salesforce writes batched into Composite calls, CLM writes through
 * the port — with retries, backoff and quarantine. Ingest (Pub/Sub, webhooks, polling) only appends to the inbox;
 * see docs/architecture.md. The pieces, in app/sync/:
 * - one use case per kind of inbox item: `sf.change` → salesforceChange.ts (a CPQ quote's → quoteChange.ts),
 *   `sf.syncRequest` → dealRequest.ts, `clm.event` → clmEvent.ts, `sf.conflictResolution` → conflictResolution.ts,
 *   `sf.retryRequest` → retryRequest.ts, `audit.repair` → auditRepair.ts;
 * - the outbox's CLM operations: clmCreate.ts (the deal's contract), clmUpdate.ts (a plan's CLM write);
 * - roundRunner.ts (rounds and the API allocation), inboxDispatcher.ts (each item to its use case),
 *   outboxDispatcher.ts (batched Salesforce writes, CLM operations), failures.ts (backoff, quarantine, what the org
 *   hears of it), planCommit.ts (a plan's one transaction) and engineContext.ts (what they share).
 */
import type { ClmContract, PlanContext, RuleSet, SendField } from '../domain/index.ts';
import type { ClmPort } from '../ports/clm.ts';
import type { SalesforcePort } from '../ports/salesforce.ts';
import type { InboxAppender, PairStore, PlanCommitter, QuarantineQueue, QueueClaims } from '../ports/store.ts';
import type { Clock } from '../clock.ts';
import type { Log } from '../ports/logger.ts';
import type { RetryPolicy } from './retryPolicy.ts';
import { EngineContext } from './sync/engineContext.ts';
import { Failures } from './sync/failures.ts';
import { InboxDispatcher } from './sync/inboxDispatcher.ts';
import { OutboxDispatcher } from './sync/outboxDispatcher.ts';
import { RoundRunner } from './sync/roundRunner.ts';

/** What the engine needs of the store: it claims and settles items, appends follow-ups, and plans pairs. */
export type EngineStore = InboxAppender & QueueClaims & Pick<QuarantineQueue, 'replay'> & PairStore & PlanCommitter;

export interface SyncEngineOptions {
    orgId: string;
    /** The store roles the engine uses (ports/store.ts). */
    store: EngineStore;
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
    /** What a send writes (app/sendWriteSet.ts): the create leaves out what the CLM does not take. */
    sendFields?: readonly SendField[];
    /** Link to a contract in the CLM's UI, stored on the Opportunity and Contract. */
    contractUrl?: (contract: ClmContract) => string | null;
    log?: Log;
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
    private readonly runner: RoundRunner;

    constructor(options: SyncEngineOptions) {
        const ctx = new EngineContext(options);
        const failures = new Failures(ctx);
        this.runner = new RoundRunner(ctx, new InboxDispatcher(ctx, failures), new OutboxDispatcher(ctx, failures));
    }

    /** True while work is paused to spare the org's API allocation. */
    isPaused(): boolean {
        return this.runner.isPaused();
    }

    /**
     * True while the org's daily API usage is past the slow-down share: rounds are small and the work loop waits
     * between them, so the allocation lasts (the pause comes later, at `pauseAtShare`).
     */
    isSlowed(): boolean {
        return this.runner.isSlowed();
    }

    /** Processes up to `limit` due inbox items; returns how many it claimed. */
    processInbox(limit?: number): Promise<number> {
        return this.runner.processInbox(limit);
    }

    /** Dispatches up to `limit` due outbox items; returns how many it claimed. */
    dispatchOutbox(limit?: number): Promise<number> {
        return this.runner.dispatchOutbox(limit);
    }

    /** Alternates processing and dispatching until nothing is due (bounded). */
    runUntilIdle(maxRounds?: number): Promise<void> {
        return this.runner.runUntilIdle(maxRounds);
    }
}
