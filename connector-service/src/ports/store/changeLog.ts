/**
 * The change log (append-only, hash-chained per org; appended only through commitPlan) and the conflicts.
 */
import type { Millis } from './millis.ts';
import type { ChangeLogInput, ConflictInput } from './pairs.ts';

export interface ChangeLogRecord extends ChangeLogInput {
    orgId: string;
    /** 1, 2, 3… per org. */
    seq: number;
    at: Millis;
    prevHash: string;
    /** sha256(prevHash + canonical JSON of the entry), hex. */
    hash: string;
}

export type ChainVerification =
    | { ok: true; count: number; headHash: string }
    | { ok: false; count: number; brokenAt: number; reason: 'hash' | 'link' | 'sequence' | 'head' };

export interface ConflictRecord extends ConflictInput {
    id: number;
    orgId: string;
    status: 'open' | 'resolved';
    createdAt: Millis;
    resolvedAt: Millis | null;
}

/** Reads the change log and the conflicts. */
export interface ChangeLogReader {
    readChangeLog(
        orgId: string,
        opts?: { afterSeq?: number; limit?: number; pairId?: string }
    ): Promise<ChangeLogRecord[]>;
    verifyChangeLog(orgId: string): Promise<ChainVerification>;
    listConflicts(
        orgId: string,
        opts?: { pairId?: string; status?: 'open' | 'resolved'; limit?: number }
    ): Promise<ConflictRecord[]>;
}
