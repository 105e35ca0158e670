/**
 * `sf.retryRequest`: a person asked to retry a quarantined item (its Clm_Sync_Error__c key). The item goes back to
 * its queue, and the error shows Retrying (Resolved follows when it succeeds: failures.ts afterSuccess).
 */
import { syncErrorStatusRecord } from '../../domain/index.ts';
import type { InboxItem } from '../../ports/store.ts';
import type { InboxPayload } from '../payloads.ts';
import type { EngineContext } from './engineContext.ts';

export class RetryRequest {
    constructor(private readonly ctx: EngineContext) {}

    async handle(item: InboxItem, payload: Extract<InboxPayload, { kind: 'sf.retryRequest' }>): Promise<void> {
        const { ctx } = this;
        await ctx.store.replay(ctx.orgId, [{ queue: payload.queue, id: payload.id }], ctx.now());
        await ctx.store.commitPlan({
            orgId: ctx.orgId,
            inbox: ctx.claimOf(item),
            outbox: [
                ctx.recordOutbox(
                    syncErrorStatusRecord(payload.errorKey, 'Retrying'),
                    `error:${payload.errorKey}:retrying:${item.eventId}`,
                    `error:${payload.errorKey}`,
                    item.correlationId
                )
            ],
            now: ctx.now()
        });
    }
}
