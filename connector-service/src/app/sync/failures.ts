/**
 * Failures of inbox and outbox items: retried with backoff when time may fix them, quarantined at once when it
 * cannot or after the last attempt. The org hears of each failure (a Clm_Sync_Error__c, Retrying then Quarantined,
 * see ../failureReports.ts), of a quarantine also a Quarantined status and the deal's result; a success after any
 * failure resolves the error.
 */
import {
    ConnectorError,
    isConnectorError,
    statusEventFields,
    syncErrorKey,
    syncResultFields,
    type RecordUpsert
} from '../../domain/index.ts';
import type { InboxItem, OutboxItem, QueueName } from '../../ports/store.ts';
import { DEFAULT_RETRY_POLICY, isRetryable, retryDelayMs } from '../retryPolicy.ts';
import type { EngineContext } from './engineContext.ts';
import { dealOf, isFailureReport, quarantinedReport, resolvedReport, retryingReport } from '../failureReports.ts';

export class Failures {
    constructor(private readonly ctx: EngineContext) {}

    /** Retries with backoff what time may fix; quarantines at once what it cannot, or after the last attempt. */
    async failItem(queue: QueueName, item: InboxItem | OutboxItem, error: unknown): Promise<void> {
        const { ctx } = this;
        const connectorError = isConnectorError(error)
            ? error
            : new ConnectorError(
                  'PIPELINE.UNEXPECTED',
                  error instanceof Error ? error.message : String(error),
                  {},
                  { cause: error }
              );
        const lastError = { code: connectorError.code, message: connectorError.message.slice(0, 1000) };
        const claim = ctx.claimOf(item);
        ctx.options.log?.('warn', 'item failed', {
            queue,
            id: item.id,
            code: lastError.code,
            reason: lastError.message.slice(0, 300),
            attempt: item.attempts,
            correlationId: item.correlationId
        });
        let outcome: 'failed' | 'quarantined';
        let retryAt: number | null = null;
        const retryable = isRetryable(connectorError);
        try {
            if (retryable) {
                retryAt =
                    ctx.now() +
                    retryDelayMs(
                        item.attempts,
                        connectorError,
                        ctx.options.retry ?? DEFAULT_RETRY_POLICY,
                        ctx.options.random
                    );
                outcome = await ctx.store.fail(queue, ctx.orgId, claim, { error: lastError, retryAt }, ctx.now());
            } else {
                await ctx.store.quarantine(queue, ctx.orgId, claim, lastError, ctx.now());
                outcome = 'quarantined';
            }
        } catch (storeError) {
            // The claim was lost (another worker has it now): that worker owns the outcome.
            if (isConnectorError(storeError, 'STORE.CLAIM_LOST')) return;
            throw storeError;
        }
        if (isFailureReport(item)) return;
        // The org hears of every failure, not only the last: the page says the item waits, why, and until when.
        const failure = { queue, item, error: connectorError, at: ctx.nowIso() };
        const key = syncErrorKey(queue, item.id);
        await ctx.store.commitPlan({
            orgId: ctx.orgId,
            outbox:
                outcome === 'quarantined'
                    ? this.quarantined(queue, item, lastError, quarantinedReport(failure, retryable))
                    : [
                          ctx.recordOutbox(
                              retryingReport({ ...failure, nextRetryAt: new Date(retryAt!).toISOString() }),
                              `error:${key}:retrying:${item.attempts}:${ctx.now()}`,
                              `error:${key}`,
                              item.correlationId
                          )
                      ],
            now: ctx.now()
        });
    }

    /**
     * An item that had failed went through: its error row is Resolved; after a person's retry (replayed from
     * quarantine: attempts start over, the error stays) the deal's result, Quarantined until now, is Synced again.
     */
    async afterSuccess(queue: QueueName, item: InboxItem | OutboxItem): Promise<void> {
        const { ctx } = this;
        if (!item.lastError || isFailureReport(item)) return;
        const key = syncErrorKey(queue, item.id);
        const dealId = dealOf(item);
        const replayed = item.attempts === 1 && dealId !== null;
        await ctx.store.commitPlan({
            orgId: ctx.orgId,
            outbox: [
                ctx.recordOutbox(
                    resolvedReport(queue, item),
                    `error:${key}:resolved`,
                    `error:${key}`,
                    item.correlationId
                ),
                ...(replayed
                    ? [ctx.resultWrite({ sfObject: 'Opportunity', id: dealId }, 'Synced', key, `error:${key}`, item)]
                    : [])
            ],
            now: ctx.now()
        });
    }

    /**
     * What the org hears of a quarantined item: the Clm_Sync_Error__c row for admins and legal (upserted by a stable
     * key), a Quarantined status (the automation's review Task) and the deal's result. Their keys start with
     * `error:`, so a failure of theirs never makes another.
     */
    private quarantined(
        queue: QueueName,
        item: InboxItem | OutboxItem,
        error: { code: string; message: string },
        record: RecordUpsert
    ) {
        const { ctx } = this;
        const key = syncErrorKey(queue, item.id);
        // Only a real record id gets the status and the result (a write to anything else would fail for good).
        const recordId = dealOf(item);
        const at = ctx.nowIso();
        const orderingKey = `error:${key}`;
        // A replayed item starts its attempts over: the time keeps a second quarantine apart from the first.
        const failure = `error:${key}:${item.attempts}:${ctx.now()}`;
        const outbox = [ctx.recordOutbox(record, failure, orderingKey, item.correlationId)];
        if (recordId) {
            outbox.push(
                ctx.outbox('salesforce', 'sf.publishStatus', `${failure}:status`, orderingKey, item.correlationId, {
                    kind: 'sf.publishStatus',
                    fields: statusEventFields({
                        kind: 'Quarantined',
                        result: 'Quarantined',
                        recordId,
                        objectApiName: 'Opportunity',
                        message: `${error.code}: ${error.message}`,
                        correlationId: item.correlationId,
                        eventKey: failure
                    })
                }),
                ctx.outbox('salesforce', 'sf.write', `${failure}:result`, orderingKey, item.correlationId, {
                    kind: 'sf.write',
                    sfObject: 'Opportunity',
                    id: recordId,
                    fields: syncResultFields('Quarantined', at)
                })
            );
        }
        return outbox;
    }
}
