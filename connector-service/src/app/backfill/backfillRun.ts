/** What a backfill job's phases share: the options, the store, the clock, the lease holder and the stop flag. */
import type { SalesforceLinkKind } from '../../ports/store.ts';
import type { BackfillOptions, BackfillStore } from '../backfill.ts';

/** The objects a backfill can link: each is one side of a pair. */
export const LINKABLE: Readonly<Record<string, { kind: SalesforceLinkKind; pairPrefix: string }>> = {
    Opportunity: { kind: 'opportunity', pairPrefix: 'opp' },
    Contract: { kind: 'contract', pairPrefix: 'ctr' }
};

/** One runner per job; the lease is renewed per batch and per Bulk job. */
export const LEASE_TTL_MS = 2 * 60_000;

/** One job's run as its phases (read, plan, write) see it. */
export interface BackfillRun {
    readonly options: BackfillOptions;
    readonly store: BackfillStore;
    readonly orgId: string;
    /** Holds the job's lease. */
    readonly worker: string;
    now(): number;
    /** True once the instance is stopping: a phase returns after its current batch. */
    stopping(): boolean;
}

export const key15 = (id: string) => id.slice(0, 15);

export function rulesOf(run: Pick<BackfillRun, 'options'>, object: string) {
    return run.options.rules.rules.filter((rule) => rule.enabled !== false && rule.sfObject === object);
}
