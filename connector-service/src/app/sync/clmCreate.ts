/**
 * The outbox's `clm.create` (queued by dealRequest.ts): the contract is created in the CLM, idempotent by the
 * Opportunity's natural key so a retry after a lost response finds it; the pair is linked, the Salesforce Contract
 * created or found by the CLM id, the Opportunity stamped, and the contract's first read queued so its values flow
 * back through the planner.
 */
import { clmContractRecord, ConnectorError, linkedDealFields } from '../../domain/index.ts';
import type { CreateContractInput } from '../../ports/clm.ts';
import type { OutboxItem } from '../../ports/store.ts';
import type { OutboxPayload } from '../payloads.ts';
import type { EngineContext } from './engineContext.ts';

export async function createInClm(
    ctx: EngineContext,
    item: OutboxItem,
    payload: Extract<OutboxPayload, { kind: 'clm.create' }>
): Promise<void> {
    const contract = await ctx.options.clm.createContract(payload.input as unknown as CreateContractInput);
    const pair = await ctx.linkVendorRefs((await ctx.store.findPair(ctx.orgId, { pairId: payload.pairId }))!, contract);
    const url = ctx.options.contractUrl?.(contract) ?? null;
    const salesforce = ctx.options.salesforce;
    if (!pair.salesforce.contract && payload.accountId) {
        const record = clmContractRecord({
            clmContractId: contract.id,
            accountId: payload.accountId,
            title: contract.title,
            url
        });
        const [result] = await salesforce.write([{ ref: 'contract', ...record }]);
        if (!result?.success || !result.id)
            throw result?.error ?? new ConnectorError('SF.NO_RESULT', 'the Contract upsert returned nothing', {});
        await ctx.store.linkPair(ctx.orgId, pair.pairId, { salesforce: { contract: result.id } }, ctx.now());
        const [opportunity] = await salesforce.write([
            {
                ref: 'opportunity',
                sfObject: 'Opportunity',
                id: payload.opportunityId,
                fields: linkedDealFields({ contractId: result.id, clmContractId: contract.id, url, at: ctx.nowIso() })
            }
        ]);
        if (!opportunity?.success)
            throw (
                opportunity?.error ?? new ConnectorError('SF.NO_RESULT', 'the Opportunity update returned nothing', {})
            );
    }
    if (payload.sentFrom) {
        // Sent from a CPQ quote: the quote was Pending too.
        await ctx.store.commitPlan({
            orgId: ctx.orgId,
            outbox: [ctx.resultWrite(payload.sentFrom, 'Synced', `created:${contract.id}`, pair.pairId, item)],
            now: ctx.now()
        });
    }
    ctx.milestone('contractCreated', pair, item.correlationId);
    await ctx.store.appendInbox(ctx.orgId, [
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
