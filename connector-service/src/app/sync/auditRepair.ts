/**
 * `audit.repair`: an audit's differences on one pair (sf clm audit --repair), re-planned by the rules
 * (domain/audit.ts planRepair) and committed like any other change.
 */
import { planRepair } from '../../domain/index.ts';
import type { InboxItem } from '../../ports/store.ts';
import type { InboxPayload } from '../payloads.ts';
import type { EngineContext } from './engineContext.ts';
import { commitPlan } from './planCommit.ts';

export class AuditRepair {
    constructor(private readonly ctx: EngineContext) {}

    async handle(item: InboxItem, payload: Extract<InboxPayload, { kind: 'audit.repair' }>): Promise<void> {
        const { ctx } = this;
        const pair = await ctx.store.findPair(ctx.orgId, { pairId: payload.pairId });
        if (!pair) return ctx.complete(item);
        const { rules, salesforce, clm } = payload;
        const at = ctx.nowIso();
        const input = { rules, salesforce, clm, eventId: item.eventId, correlationId: item.correlationId, at };
        const plan = planRepair(input, pair.state, ctx.options.rules, ctx.options.context);
        if (payload.clmVersion) plan.newState.clmVersion = payload.clmVersion;
        await commitPlan(ctx, ctx.fromInbox(item), pair, plan, []);
    }
}
