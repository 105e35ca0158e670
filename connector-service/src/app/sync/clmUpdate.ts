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
    type Json,
    type PairState
} from '../../domain/index.ts';
import type { OutboxItem } from '../../ports/store.ts';
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
            await rememberClmVersion(ctx, payload.pairId, updated.version, window || undefined);
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
                    (field.pending?.clm ?? []).some((expected) => sameValue(expected, value))
                );
            })
        )
    );
}

/** Our own write moved the contract's version: the next write's precondition must name the new one. */
async function rememberClmVersion(
    ctx: EngineContext,
    pairId: string,
    version: string,
    window?: ClmWriteWindow
): Promise<void> {
    await ctx.updatePairState(pairId, (state) => {
        const next = window ? rememberClmWrite(state, window) : state;
        return next.clmVersion === version && next === state ? null : { ...next, clmVersion: version };
    });
}
