/**
 * `sf.conflictResolution`: a person decided a Manual conflict in the org. The decision is planned (the domain's
 * resolveConflict), the Clm_Conflict__c closed as Resolved, and the conflict marked resolved in the store.
 */
import { ConnectorError, resolveConflict, resolvedConflictRecord, type Json } from '../../domain/index.ts';
import type { InboxItem } from '../../ports/store.ts';
import type { InboxPayload } from '../payloads.ts';
import type { EngineContext } from './engineContext.ts';
import { commitPlan } from './planCommit.ts';

export class ConflictResolution {
    constructor(private readonly ctx: EngineContext) {}

    async handle(item: InboxItem, payload: Extract<InboxPayload, { kind: 'sf.conflictResolution' }>): Promise<void> {
        const { ctx } = this;
        const pair = await ctx.store.findPair(ctx.orgId, { pairId: payload.pairId });
        if (!pair)
            throw new ConnectorError('PIPELINE.UNKNOWN_PAIR', `No linked pair ${payload.pairId}`, {
                pairId: payload.pairId,
                retryable: false
            });
        const plan = resolveConflict(
            pair.state,
            ctx.options.rules,
            payload.rule,
            'take' in payload.resolution
                ? { take: payload.resolution.take }
                : { value: payload.resolution.value as Json },
            { eventId: item.eventId, correlationId: item.correlationId, at: ctx.nowIso() },
            ctx.options.context
        );
        const closed = payload.conflictKey
            ? [
                  ctx.recordOutbox(
                      resolvedConflictRecord(payload.conflictKey),
                      `conflict:resolved:${payload.conflictKey}`,
                      pair.pairId,
                      item.correlationId
                  )
              ]
            : [];
        await commitPlan(ctx, ctx.fromInbox(item), pair, plan, closed, [{ pairId: pair.pairId, rule: payload.rule }]);
    }
}
