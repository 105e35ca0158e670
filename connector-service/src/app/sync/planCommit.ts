/**
 * The commit of a plan, shared by every use case that plans: one store transaction with the inbox item done, the
 * pair's new state, the change log, the conflicts, and the outbox — the planned writes on both sides, the deal's
 * result, "last written by" for each moved field, and each conflict's record and status for a person.
 */
import {
    conflictKey,
    openConflictRecord,
    provenanceRecord,
    syncResultFields,
    type Conflict,
    type Json,
    type Plan,
    type SyncResult
} from '../../domain/index.ts';
import type { LinkedPair, OutboxInput, SalesforceLinkKind } from '../../ports/store.ts';
import type { CommitSource, EngineContext } from './engineContext.ts';
import { currentContractId } from '../currentContract.ts';

const LINK_KIND: Readonly<Record<string, SalesforceLinkKind>> = {
    Opportunity: 'opportunity',
    Contract: 'contract',
    SBQQ__Quote__c: 'quote'
};

/** One transaction: the inbox item done, the pair's new state, the change log, conflicts and the outbox. */
export async function commitPlan(
    ctx: EngineContext,
    item: CommitSource,
    pair: LinkedPair,
    plan: Plan,
    extra: OutboxInput[],
    resolvedConflicts: { pairId: string; rule: string }[] = []
): Promise<void> {
    const outbox: OutboxInput[] = [];
    // Conflict while one waits for a person; a decision applied brings the deal back to Synced.
    const result: SyncResult = plan.conflicts.length > 0 ? 'Conflict' : 'Synced';
    let resultWritten = false;
    for (const write of plan.writes.salesforce) {
        const kind = LINK_KIND[write.sfObject];
        const id = kind ? pair.salesforce[kind] : undefined;
        if (!id) {
            ctx.options.log?.('warn', 'no linked record for a planned write', {
                object: write.sfObject,
                pairId: pair.pairId,
                correlationId: item.correlationId
            });
            continue;
        }
        outbox.push(
            ctx.outbox(
                'salesforce',
                'sf.write',
                `${item.source}:${item.eventId}:${write.sfObject}`,
                pair.pairId,
                item.correlationId,
                {
                    kind: 'sf.write',
                    sfObject: write.sfObject,
                    id,
                    fields: { ...write.fields, ...syncResultFields(result, ctx.nowIso()) }
                }
            )
        );
        if (write.sfObject === 'Opportunity') resultWritten = true;
    }
    const opportunityId = pair.salesforce.opportunity;
    if (!resultWritten && opportunityId && (plan.conflicts.length > 0 || resolvedConflicts.length > 0))
        outbox.push(
            ctx.resultWrite(
                { sfObject: 'Opportunity', id: opportunityId },
                result,
                `${item.source}:${item.eventId}`,
                pair.pairId,
                item
            )
        );
    outbox.push(...provenance(ctx, item, pair, plan));
    if (plan.writes.clm) {
        const contractId = currentContractId(pair);
        if (contractId) {
            outbox.push(
                ctx.outbox('clm', 'clm.update', `${item.source}:${item.eventId}:clm`, pair.pairId, item.correlationId, {
                    kind: 'clm.update',
                    pairId: pair.pairId,
                    contractId,
                    fields: plan.writes.clm.fields,
                    ...(plan.newState.clmVersion ? { ifVersion: plan.newState.clmVersion } : {})
                })
            );
        }
    }
    for (const conflict of plan.conflicts) outbox.push(...conflictRecord(ctx, pair, conflict));
    for (const error of plan.errors) {
        ctx.options.log?.('warn', error.message, {
            code: error.code,
            pairId: pair.pairId,
            correlationId: item.correlationId
        });
    }
    await ctx.store.commitPlan({
        orgId: ctx.orgId,
        ...(item.claim ? { inbox: item.claim } : {}),
        pair: { pairId: pair.pairId, expectedVersion: pair.version, state: plan.newState },
        changeLog: plan.changeLog.map((entry) => ({ ...entry, pairId: pair.pairId })),
        conflicts: plan.conflicts.map((conflict) => ({ ...conflict, pairId: pair.pairId })),
        outbox: [...outbox, ...extra],
        ...(resolvedConflicts.length > 0 ? { resolvedConflicts } : {}),
        now: ctx.now()
    });
}

/** The conflict for a person (Open), and a Conflict status the org's automation makes a review Task from. */
function conflictRecord(ctx: EngineContext, pair: LinkedPair, conflict: Conflict): OutboxInput[] {
    const key = conflictKey(pair.pairId, conflict.rule, conflict.eventId);
    const recordId = pair.salesforce[LINK_KIND[conflict.sfObject] ?? 'opportunity'] ?? null;
    const record = openConflictRecord({
        key,
        rule: conflict.rule,
        sfObject: conflict.sfObject,
        sfField: conflict.sfField,
        clmField: conflict.clmField,
        salesforceValue: display(conflict.salesforceValue),
        clmValue: display(conflict.clmValue),
        salesforceChangedAt: conflict.salesforceVersion?.at ?? null,
        clmChangedAt: conflict.clmVersion?.at ?? null,
        recordId,
        opportunityId: pair.salesforce.opportunity ?? null,
        correlationId: conflict.correlationId
    });
    return [
        ctx.recordOutbox(record, `conflict:${key}`, pair.pairId, conflict.correlationId),
        ctx.statusOutbox(`conflict:${key}`, pair.pairId, {
            kind: 'Conflict',
            result: 'Conflict',
            recordId,
            objectApiName: recordId ? conflict.sfObject : null,
            message: `${conflict.sfField} changed in Salesforce and in the CLM: choose the value to keep`,
            correlationId: conflict.correlationId,
            eventKey: `conflict:${key}`
        })
    ];
}

/** "Last written by" for each linked field a plan moved: the side whose value the field now holds. */
function provenance(ctx: EngineContext, item: CommitSource, pair: LinkedPair, plan: Plan): OutboxInput[] {
    const out: OutboxInput[] = [];
    for (const entry of plan.changeLog) {
        if (entry.outcome !== 'applied' && entry.outcome !== 'resolved') continue;
        const rule = ctx.options.rules.byName.get(entry.rule);
        const kind = rule ? LINK_KIND[rule.sfObject] : undefined;
        const recordId = kind ? pair.salesforce[kind] : undefined;
        if (!rule || !recordId) continue;
        const record = provenanceRecord({
            recordId,
            sfObject: rule.sfObject,
            field: rule.sfField,
            writtenBy: entry.source === 'clm' ? 'Clm' : 'Salesforce',
            writtenAt: ctx.nowIso(),
            correlationId: item.correlationId
        });
        out.push(
            ctx.recordOutbox(
                record,
                `provenance:${item.source}:${item.eventId}:${record.externalId.value}`,
                pair.pairId,
                item.correlationId
            )
        );
    }
    return out;
}

function display(value: Json): string | null {
    if (value === null) return null;
    return (typeof value === 'string' ? value : JSON.stringify(value)).slice(0, 32768);
}
