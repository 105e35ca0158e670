/**
 * `clm.event`: the CLM says a contract changed (a verified webhook, the change feed, our own create, a resend). The
 * contract is read and planned against its pair; an edit our own write overwrote becomes a conflict; a signed
 * contract's documents are queued for the deal; the org hears a status (Applied or LifecycleChanged).
 */
import { overwrittenClmEdits } from '../../domain/index.ts';
import type { InboxItem, OutboxInput } from '../../ports/store.ts';
import type { EngineContext } from './engineContext.ts';
import { commitPlan } from './planCommit.ts';

export class ClmEventUseCase {
    constructor(private readonly ctx: EngineContext) {}

    async handle(item: InboxItem, contractId: string, vendorEventId: string, at?: string): Promise<void> {
        const { ctx } = this;
        const clm = ctx.options.clm;
        const contract = await clm.getContract(contractId);
        const pair = await ctx.pairForContract(contract);
        if (!pair) return ctx.complete(item);
        const plan = ctx.planFromContract(contract, pair, vendorEventId, item.correlationId);
        // An edit stamped inside one of our writes was overwritten by it: a conflict, never a silent loss.
        if (at) {
            const detectedAt = ctx.nowIso();
            const check = { eventId: vendorEventId, at, correlationId: item.correlationId, detectedAt };
            const overwritten = overwrittenClmEdits(plan.newState, ctx.options.rules, check);
            plan.newState = overwritten.state;
            plan.conflicts.push(...overwritten.conflicts);
        }
        const extra: OutboxInput[] = [];
        const opportunityId = pair.salesforce.opportunity;
        if (opportunityId && ['Signed', 'Active'].includes(contract.status.lifecycle)) {
            for (const document of await clm.listDocuments(contractId)) {
                if (document.kind !== 'signed') continue;
                extra.push(
                    ctx.outbox(
                        'clm',
                        'clm.attachSigned',
                        `attach:${contractId}:${document.id}`,
                        pair.pairId,
                        item.correlationId,
                        {
                            kind: 'clm.attachSigned',
                            contractId,
                            documentId: document.id,
                            recordId: opportunityId
                        }
                    )
                );
            }
        }
        if (plan.writes.salesforce.length > 0 && opportunityId) {
            const moved = plan.changeLog.some(
                (entry) =>
                    entry.outcome === 'applied' &&
                    ['status.lifecycle', 'status.signature'].includes(
                        ctx.options.rules.byName.get(entry.rule)?.clmField ?? ''
                    )
            );
            const key = `${vendorEventId}:${contract.version}`;
            extra.push(
                ctx.statusOutbox(key, pair.pairId, {
                    kind: moved ? 'LifecycleChanged' : 'Applied',
                    result: plan.conflicts.length > 0 ? 'Conflict' : 'Synced',
                    recordId: opportunityId,
                    objectApiName: 'Opportunity',
                    clmContractId: contract.id,
                    lifecycle: contract.status.lifecycle,
                    signatureStatus: contract.status.signature,
                    expirationDate: contract.expirationDate,
                    noticeDeadline: contract.noticeDeadline,
                    occurredAt: contract.updatedAt,
                    correlationId: item.correlationId,
                    eventKey: key
                })
            );
        }
        await commitPlan(ctx, ctx.fromInbox(item), pair, plan, extra);
        const signed = plan.changeLog.some(
            (entry) =>
                entry.outcome === 'applied' &&
                entry.value === 'Signed' &&
                ctx.options.rules.byName.get(entry.rule)?.clmField === 'status.lifecycle'
        );
        if (signed) ctx.milestone('signed', pair, item.correlationId);
    }
}
