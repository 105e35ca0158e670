/**
 * `clm.event`: the CLM says a contract changed (a verified webhook, the change feed, our own create, a resend). The
 * contract is read and planned against its pair; an edit our own write overwrote becomes a conflict; a signed
 * contract's documents are queued for the deal; the org hears a status (Applied or LifecycleChanged).
 */
import { overwrittenClmEdits, seenInClm } from '../../domain/index.ts';
import type { InboxItem, OutboxInput } from '../../ports/store.ts';
import { InboxPayload } from '../payloads.ts';
import { ClmReads, type ContractHint } from './clmReads.ts';
import type { EngineContext } from './engineContext.ts';
import { commitPlan } from './planCommit.ts';

export class ClmEventUseCase {
    private readonly reads: ClmReads;

    constructor(private readonly ctx: EngineContext) {
        this.reads = new ClmReads(ctx.options.clm, ctx.options.log);
    }

    /** The round's events that will read their contract: read together through the vendor's list when several. */
    async prepareRound(items: readonly InboxItem[]): Promise<void> {
        const hints: ContractHint[] = [];
        for (const item of items) {
            const parsed = InboxPayload.safeParse(item.payload);
            if (!parsed.success || parsed.data.kind !== 'clm.event' || !parsed.data.at) continue;
            const { contractId, vendorEventId, at } = parsed.data;
            if (!(await this.alreadySeen(item, contractId, vendorEventId, at))) hints.push({ contractId, at });
        }
        await this.reads.prepare(hints);
    }

    async handle(item: InboxItem, contractId: string, vendorEventId: string, at?: string): Promise<void> {
        const { ctx } = this;
        const clm = ctx.options.clm;
        if (at && (await this.alreadySeen(item, contractId, vendorEventId, at))) return ctx.complete(item);
        const contract = await this.reads.contract(contractId, at);
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

    /** The pair has taken in the contract as it was at `at` or later, and the event is no edit inside our write. */
    private async alreadySeen(item: InboxItem, contractId: string, eventId: string, at: string): Promise<boolean> {
        const { ctx } = this;
        if (!item.objectType) return false;
        const pair = await ctx.store.findPair(ctx.orgId, {
            clm: { vendor: ctx.options.clm.vendor, objectType: item.objectType, id: contractId }
        });
        if (!pair) return false;
        const check = { eventId, at, correlationId: item.correlationId, detectedAt: ctx.nowIso() };
        return seenInClm(pair.state, ctx.options.rules, check);
    }
}
