/**
 * The outbox's `clm.update` (a plan's CLM write, planCommit.ts): planned values written to the contract under a
 * version precondition, again after a concurrent edit was taken in by the planner.
 */
import {
    clmWriteWindow,
    ConnectorError,
    isConnectorError,
    rememberClmWrite,
    sameValue,
    type ClmWriteWindow,
    type ClmContract,
    type Json,
    type PairState
} from '../../domain/index.ts';
import type { LinkedPair, OutboxItem } from '../../ports/store.ts';
import { contractPatch } from '../clmFields.ts';
import type { OutboxPayload } from '../payloads.ts';
import type { EngineContext } from './engineContext.ts';
import { commitPlan } from './planCommit.ts';

/**
 * Writes planned values to the contract under a version precondition: the contract version the connector has
 * seen last, read at dispatch (writes queued behind each other each move it). Only values the pair still
 * expects to land are sent: one that already landed, was superseded or is in conflict is not sent again. When
 * the contract moved anyway, someone else changed it: it is read again and the planner takes in what changed
 * (a concurrent edit of a bidirectional field becomes a conflict), then what is still ours to send goes out.
 */
export async function updateInClm(
    ctx: EngineContext,
    item: OutboxItem,
    payload: Extract<OutboxPayload, { kind: 'clm.update' }>
): Promise<void> {
    for (let round = 0; ; round += 1) {
        const pair = await ctx.store.findPair(ctx.orgId, { pairId: payload.pairId });
        if (!pair)
            throw new ConnectorError('PIPELINE.UNKNOWN_PAIR', `No linked pair ${payload.pairId}`, {
                pairId: payload.pairId,
                retryable: false
            });
        const fields = stillExpected(ctx, pair.state, payload.fields as Record<string, Json>);
        if (Object.keys(fields).length === 0) return;
        const ifVersion = pair.state.clmVersion ?? payload.ifVersion;
        try {
            const updated = await ctx.options.clm.updateContract(payload.contractId, contractPatch(fields), {
                ...(ifVersion ? { ifVersion } : {})
            });
            const window = ifVersion && clmWriteWindow(ctx.options.rules, ifVersion, updated.updatedAt, fields);
            await takeInWriteAnswer(ctx, item, pair, updated, window || undefined);
            return;
        } catch (error) {
            if (!isConnectorError(error, 'CLM.CONFLICT') || round >= 2) throw error;
            const contract = await ctx.options.clm.getContract(payload.contractId);
            const eventId = `refetch:${item.id}:${item.attempts}:${round}`;
            const plan = ctx.planFromContract(contract, pair, eventId, item.correlationId);
            await commitPlan(
                ctx,
                { source: 'connector:refetch', eventId, correlationId: item.correlationId },
                pair,
                plan,
                []
            );
        }
    }
}

/** The values of a CLM write the pair still waits to see land (not landed, superseded or in conflict). */
function stillExpected(ctx: EngineContext, state: PairState, fields: Record<string, Json>): Record<string, Json> {
    const rules = ctx.options.rules.rules;
    return Object.fromEntries(
        Object.entries(fields).filter(([clmField, value]) =>
            rules.some((rule) => {
                const field = rule.clmField === clmField ? state.fields[rule.name] : undefined;
                return (
                    field !== undefined &&
                    !field.conflict &&
                    (field.pending?.clm ?? []).some((expected) => sameValue(expected, value)) &&
                    // A value the pair has since decided against (the other side won) is not sent: its echo is
                    // still expected, in case an earlier attempt landed, but it goes out no more.
                    (!field.synced || sameValue(field.synced.value, value))
                );
            })
        )
    );
}

/**
 * The vendor's answer to our write is the contract as it now is: planned like a read (our values are the echoes
 * the pair waits for; anything else that moved is taken in), so the write's own change events cost no read later
 * (`seenInClm`), and the next write's precondition names the new version. The write's window is remembered first:
 * a CLM edit stamped inside it is still raised as a conflict when its event comes.
 */
async function takeInWriteAnswer(
    ctx: EngineContext,
    item: OutboxItem,
    pair: LinkedPair,
    updated: ClmContract,
    window?: ClmWriteWindow
): Promise<void> {
    const state = window ? rememberClmWrite(pair.state, window) : pair.state;
    const eventId = `write:${item.id}:${item.attempts}`;
    const plan = ctx.planFromContract(updated, { ...pair, state }, eventId, item.correlationId);
    await commitPlan(ctx, { source: 'connector:write', eventId, correlationId: item.correlationId }, pair, plan, []);
}
