/** The backfill's CLM read: every contract, by id and by the Salesforce records its refs name. */
import { isConnectorError, type ClmContract } from '../../domain/index.ts';
import type { ClmPort } from '../../ports/clm.ts';
import type { SalesforceRecord } from '../../ports/salesforce.ts';
import { key15, type BackfillRun } from './backfillRun.ts';

const CLM_PAGE = 500;
/** Bounds the CLM listing: 10,000 pages of 500. */
const MAX_CLM_PAGES = 10_000;

export interface ContractIndex {
    byId: Map<string, ClmContract>;
    /** Salesforce id (first 15 characters) named in a contract's refs → the contract. */
    bySalesforceId: Map<string, ClmContract>;
}

/** Every contract of the CLM, by id and by the Salesforce records its refs name (the change feed, paged). */
export async function contractIndex(run: BackfillRun): Promise<ContractIndex> {
    const index: ContractIndex = { byId: new Map(), bySalesforceId: new Map() };
    await eachContract(run.options.clm, (contract) => {
        index.byId.set(contract.id, contract);
        for (const ref of contract.refs)
            if (ref.system === 'salesforce') index.bySalesforceId.set(key15(ref.id), contract);
    });
    return index;
}
/** The contract a record names (its stamped CLM id, fetched when the listing lacks it), else one whose refs name it. */
export async function contractOf(
    run: BackfillRun,
    record: SalesforceRecord,
    index: ContractIndex
): Promise<ClmContract | null> {
    const stamped = typeof record.CLM_Contract_Id__c === 'string' ? record.CLM_Contract_Id__c : null;
    if (stamped) {
        const listed = index.byId.get(stamped);
        if (listed) return listed;
        try {
            return await run.options.clm.getContract(stamped);
        } catch (error) {
            if (isConnectorError(error, 'CLM.NOT_FOUND')) return null;
            throw error;
        }
    }
    return index.bySalesforceId.get(key15(String(record.Id))) ?? null;
}
/** Every contract of the CLM through its change feed from the beginning, a page of 500 at a time (bounded). */
export async function eachContract(clm: ClmPort, visit: (contract: ClmContract) => void): Promise<void> {
    let cursor: string | null = null;
    for (let page = 0; page < MAX_CLM_PAGES; page += 1) {
        const { items, nextCursor }: { items: ClmContract[]; nextCursor: string } = await clm.listChanges(
            cursor,
            CLM_PAGE
        );
        items.forEach(visit);
        if (items.length === 0 || nextCursor === cursor) break;
        cursor = nextCursor;
    }
}
