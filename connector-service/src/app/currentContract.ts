import type { ClmRef } from '../ports/store.ts';

/**
 * The id the CLM's contract calls take for a linked pair: its newest vendor id that names a contract or workflow.
 * A pair collects every id the CLM gave the deal over its life; an Ironclad workflow gains a record id when it is
 * archived, and that id is read through its workflow (a call with it answers 404), so records never count. An
 * amendment's workflow is newer than the original's, so it is current once linked.
 */
export function currentContractId(pair: { clm: readonly ClmRef[] }): string | undefined {
    return pair.clm.findLast((ref) => ref.objectType !== 'record')?.id;
}
