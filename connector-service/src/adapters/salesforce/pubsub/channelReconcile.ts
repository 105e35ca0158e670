/**
 * Reading back what a channel's stream could not deliver (a refused replay id, a gap or an overflow event): each
 * object's records modified since the watermark, or the records a gap names, queued as ordinary changes
 * (app/reconcile.ts); a gap's checkpoint is committed with the last of them.
 */
import { RECONCILE_LOG_CODE, reconcile, reconcileFieldsFromRules } from '../../../app/reconcile.ts';
import type { ChannelState, PendingReconcile, PubSubIngestOptions } from './pubsubTypes.ts';

export interface ChannelReconcileDeps {
    options: PubSubIngestOptions;
    now: () => number;
    /** The channel's state: its replay id moves to a gap's checkpoint once it is committed. */
    state: ChannelState;
    /** Records were queued for the channel (counted, and the work loop woken). */
    onQueued: (queued: number) => void;
    /** Everything modified up to this commit time is queued: the watermark may move there. */
    advanceWatermark: (at: number) => Promise<void>;
}

/** Reads back and queues the records; a gap's checkpoint is committed with the last of them. */
export async function reconcileChannel(
    deps: ChannelReconcileDeps,
    channel: string,
    pending: PendingReconcile
): Promise<void> {
    const { orgId, store, logger } = deps.options;
    const options = deps.options.reconcile;
    const state = deps.state;
    if (!options) {
        logger.error(
            { channel, code: 'INGEST.RECONCILE_UNAVAILABLE', reason: pending.reason },
            'no reconcile is configured; the records of this fault are not read back'
        );
        if (pending.checkpoint) await store.appendInbox(orgId, [], pending.checkpoint);
        return;
    }
    const fields = reconcileFieldsFromRules(options.rules);
    const correlationId = `reconcile-${pending.reason}-${deps.now().toString(36)}`;
    const byWatermark = pending.recordIds === undefined;
    let newest: number | null = null;
    let checkpointPending = pending.checkpoint;
    for (const [index, sfObject] of pending.sfObjects.entries()) {
        const objectFields = fields[sfObject] ?? [];
        const base = { code: RECONCILE_LOG_CODE, reason: pending.reason, channel, sfObject, correlationId };
        if (objectFields.length === 0) {
            logger.info(base, 'reconcile: no rule reads this object, nothing to read back');
            continue;
        }
        logger.warn(
            {
                ...base,
                since: byWatermark
                    ? pending.since === null
                        ? null
                        : new Date(pending.since).toISOString()
                    : undefined,
                recordIds: pending.recordIds?.length
            },
            'reconcile: reading back what the stream did not deliver'
        );
        const last = index === pending.sfObjects.length - 1;
        const result = await reconcile(
            { store, salesforce: options.salesforce },
            {
                orgId,
                channel,
                sfObject,
                fields: objectFields,
                reason: pending.reason,
                ...(byWatermark ? { since: pending.since } : { recordIds: pending.recordIds }),
                ...(last && checkpointPending ? { checkpoint: checkpointPending } : {}),
                correlationId,
                ...(options.batchSize ? { batchSize: options.batchSize } : {})
            }
        );
        if (last) checkpointPending = undefined;
        if (result.newestModstamp !== null && (newest === null || result.newestModstamp > newest))
            newest = result.newestModstamp;
        logger.info(
            { ...base, read: result.read, queued: result.queued, duplicates: result.duplicates },
            'reconcile: records queued'
        );
        deps.onQueued(result.queued);
    }
    if (checkpointPending) await store.appendInbox(orgId, [], checkpointPending);
    if (pending.checkpoint) state.replayId = pending.checkpoint.replayId;
    // Everything modified up to the newest row read is queued: the watermark may move there.
    if (byWatermark && newest !== null) await deps.advanceWatermark(newest);
}
