/**
 * Linked pairs: the connector's pair id with its Salesforce ids and CLM refs and its `PairState` under a version,
 * and the commit of a plan (inbox item done, pair state, change log, outbox, conflicts in one transaction).
 */
import type { ChangeLogEntry, Conflict } from '../../domain/planner.ts';
import type { PairState } from '../../domain/syncState.ts';
import type { Millis } from './millis.ts';
import type { ClaimRef, OutboxInput } from './queues.ts';

export const SALESFORCE_LINK_KINDS = ['opportunity', 'contract', 'quote'] as const;
export type SalesforceLinkKind = (typeof SALESFORCE_LINK_KINDS)[number];
export type SalesforceLinks = Partial<Record<SalesforceLinkKind, string>>;

export interface ClmRef {
    vendor: string;
    objectType: string;
    id: string;
}

export interface PairLinks {
    salesforce?: SalesforceLinks;
    /** Added to the pair's set; refs already linked to the pair are ignored, none is ever removed. */
    clm?: ClmRef[];
}

export interface LinkedPair {
    orgId: string;
    pairId: string;
    salesforce: SalesforceLinks;
    clm: ClmRef[];
    state: PairState;
    /** Starts at 0; each commitPlan that writes the state increments it. */
    version: number;
    createdAt: Millis;
    updatedAt: Millis;
}

export type PairLookup = { pairId: string } | { salesforceId: string } | { clm: ClmRef };

export interface ChangeLogInput extends ChangeLogEntry {
    pairId: string;
}

export interface ConflictInput extends Conflict {
    pairId: string;
}

export interface PlanCommit {
    orgId: string;
    /** The inbox item the plan answers: marked done in the same transaction (STORE.CLAIM_LOST if not held). */
    inbox?: ClaimRef;
    /** The pair's new state; `expectedVersion` is the version read before planning (STORE.CONCURRENT_UPDATE if moved). */
    pair?: { pairId: string; expectedVersion: number; state: PairState };
    changeLog?: ChangeLogInput[];
    outbox?: OutboxInput[];
    conflicts?: ConflictInput[];
    /** Open conflicts this plan settles (a person's resolution applied): closed in the same transaction. */
    resolvedConflicts?: { pairId: string; rule: string }[];
    now: Millis;
}

export interface CommitResult {
    /** The pair's version after the commit (absent when the commit carried no pair state). */
    pairVersion?: number;
    /** Outbox rows written; items whose idempotency key already existed are left out. */
    outboxIds: number[];
    outboxDuplicates: number;
    /** Change-log sequence numbers appended (an entry whose idempotency key exists is skipped). */
    changeLogSeqs: number[];
    conflictIds: number[];
}

/** Creates, links and finds pairs. */
export interface PairStore {
    createPair(orgId: string, pairId: string, links: PairLinks, now: Millis): Promise<LinkedPair>;
    linkPair(orgId: string, pairId: string, links: PairLinks, now: Millis): Promise<LinkedPair>;
    findPair(orgId: string, lookup: PairLookup): Promise<LinkedPair | null>;
    /** Pairs in pair id order, a page at a time (the audit reads every pair). */
    listPairs(orgId: string, opts: { afterPairId?: string; limit: number }): Promise<LinkedPair[]>;
}

/** Commits a plan in one transaction. */
export interface PlanCommitter {
    commitPlan(commit: PlanCommit): Promise<CommitResult>;
}
