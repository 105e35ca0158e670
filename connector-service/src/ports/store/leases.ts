/**
 * Leases (one holder per name) and the org binding (a refreshed sandbox never writes into production state).
 */
import type { Millis } from './millis.ts';

export interface Lease {
    name: string;
    holder: string;
    expiresAt: Millis;
    /** Increases each time the lease changes hands: a fencing token. */
    generation: number;
}

export type LeaseResult = { acquired: true; lease: Lease } | { acquired: false; current: Lease | null };

/** Named leases: one holder at a time, until it lapses. */
export interface LeaseStore {
    acquireLease(name: string, holder: string, ttlMs: number, now: Millis): Promise<LeaseResult>;
    /** Extends a lease this holder still has; false when it lapsed and someone else took it. */
    renewLease(name: string, holder: string, ttlMs: number, now: Millis): Promise<boolean>;
    releaseLease(name: string, holder: string): Promise<boolean>;
}

/** Which org the connector's state belongs to. */
export interface OrgBindingStore {
    /** Remembers the org for this connector; STORE.ORG_MISMATCH when it is bound to another one. */
    bindOrg(connector: string, orgId: string, now: Millis): Promise<void>;
    /** An admin's decision: the connector's state now belongs to `orgId`. */
    relinkOrg(connector: string, orgId: string, now: Millis): Promise<{ previousOrgId: string | null }>;
    boundOrg(connector: string): Promise<string | null>;
}
