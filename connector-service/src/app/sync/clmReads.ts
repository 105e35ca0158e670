/**
 * Reads of CLM contracts for change events, coalesced. A change event is a hint stamped with the vendor's time of
 * the change (`at`); any state of the contract at or after that time answers it. When a round holds several events
 * the pair has not taken in yet, the contracts changed since the oldest of them are read through the vendor's list
 * endpoint (Ironclad: GET /workflows?lastUpdated=, 100 a page) and kept until their event comes; at a trickle (one
 * event) the contract is read by itself, as is any contract the list did not carry.
 */
import type { ClmContract } from '../../domain/index.ts';
import type { ClmPort } from '../../ports/clm.ts';

/** Contracts listed ahead of their events, at most this many (oldest dropped first): a wave is read once. */
export const LISTED_CONTRACTS_KEPT = 5000;

/** Fewer unread events than this in a round are read one by one (a trickle costs at most one read per change). */
export const LIST_FROM_EVENTS = 2;

export interface ContractHint {
    contractId: string;
    /** The vendor's time of the change the event reports. */
    at: string;
}

export class ClmReads {
    /** Contracts read through the list endpoint whose events have not come yet, by id. */
    private readonly listed = new Map<string, ClmContract>();

    constructor(
        private readonly clm: ClmPort,
        private readonly log?: (level: 'warn', message: string, fields: Record<string, unknown>) => void
    ) {}

    /** Reads ahead through the vendor's list endpoint when a round holds several events not answered yet. */
    async prepare(hints: readonly ContractHint[]): Promise<void> {
        const unanswered = hints.filter((hint) => !this.answers(hint));
        if (unanswered.length < LIST_FROM_EVENTS || !this.clm.listChangedSince) return;
        const since = unanswered.map((hint) => hint.at).reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
        try {
            for (const contract of await this.clm.listChangedSince(since)) this.keep(contract);
        } catch (error) {
            // Each event reads its contract by itself then.
            this.log?.('warn', 'coalesced CLM read failed', {
                code: (error as { code?: unknown }).code ?? 'PIPELINE.UNEXPECTED'
            });
        }
    }

    /** The contract as of `at` or later: the one listed ahead when it is that recent, else read now. */
    async contract(contractId: string, at: string | undefined): Promise<ClmContract> {
        const listed = at ? this.listed.get(contractId) : undefined;
        if (listed && at && this.answers({ contractId, at })) {
            this.listed.delete(contractId);
            return listed;
        }
        return this.clm.getContract(contractId);
    }

    private answers(hint: ContractHint): boolean {
        const listed = this.listed.get(hint.contractId);
        return listed !== undefined && Date.parse(listed.updatedAt) >= Date.parse(hint.at);
    }

    private keep(contract: ClmContract): void {
        this.listed.delete(contract.id);
        this.listed.set(contract.id, contract);
        if (this.listed.size > LISTED_CONTRACTS_KEPT) this.listed.delete(this.listed.keys().next().value!);
    }
}
