/**
 * Failures of inbox and outbox items: retried with backoff when time may fix them, quarantined at once when it
 * cannot or after the last attempt, and what the org hears of a quarantine (a Clm_Sync_Error__c, a Quarantined
 * status, the deal's result); a success after a person's retry resolves the error.
 */
import {
    ConnectorError,
    isConnectorError,
    quarantinedErrorRecord,
    statusEventFields,
    syncErrorKey,
    syncErrorStatusRecord,
    syncResultFields
} from '../../domain/index.ts';
import type { InboxItem, OutboxItem, QueueName } from '../../ports/store.ts';
import { DEFAULT_RETRY_POLICY, isRetryable, retryDelayMs } from '../retryPolicy.ts';
import type { EngineContext } from './engineContext.ts';

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
        try {
            if (isRetryable(connectorError)) {
                const retryAt =
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
        if (outcome === 'quarantined' && !isErrorRecordWrite(item)) {
            await ctx.store.commitPlan({
                orgId: ctx.orgId,
                outbox: this.quarantined(queue, item, lastError),
                now: ctx.now()
            });
        }
    }

    /** A success after a person's retry (the item was replayed from quarantine: attempts start over, the error stays). */
    async afterSuccess(queue: QueueName, item: InboxItem | OutboxItem): Promise<void> {
        const { ctx } = this;
        if (item.attempts !== 1 || !item.lastError || isErrorRecordWrite(item)) return;
        const key = syncErrorKey(queue, item.id);
        await ctx.store.commitPlan({
            orgId: ctx.orgId,
            outbox: [
                ctx.recordOutbox(
                    syncErrorStatusRecord(key, 'Resolved'),
                    `error:${key}:resolved`,
                    `error:${key}`,
                    item.correlationId
                )
            ],
            now: ctx.now()
        });
    }

    /**
     * What the org hears of a quarantined item: the Clm_Sync_Error__c row for admins and legal (upserted by a stable
     * key), a Quarantined status (the automation's review Task) and the deal's result. Their keys start with
     * `error:`, so a failure of theirs never makes another.
     */
    private quarantined(queue: QueueName, item: InboxItem | OutboxItem, error: { code: string; message: string }) {
        const { ctx } = this;
        const key = syncErrorKey(queue, item.id);
        const dealId = item.orderingKey.startsWith('opp:') ? item.orderingKey.slice(4) : null;
        // Only a real record id gets the status and the result (a write to anything else would fail for good).
        const recordId = dealId && /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(dealId) ? dealId : null;
        const at = ctx.nowIso();
        const record = quarantinedErrorRecord({
            key,
            code: error.code,
            message: error.message,
            correlationId: item.correlationId,
            attempts: item.attempts,
            objectApiName: item.objectType,
            recordId,
            lastAttemptAt: at
        });
        const orderingKey = `error:${key}`;
        const outbox = [ctx.recordOutbox(record, `error:${key}:${item.attempts}`, orderingKey, item.correlationId)];
        if (recordId) {
            outbox.push(
                ctx.outbox(
                    'salesforce',
                    'sf.publishStatus',
                    `error:${key}:${item.attempts}:status`,
                    orderingKey,
                    item.correlationId,
                    {
                        kind: 'sf.publishStatus',
                        fields: statusEventFields({
                            kind: 'Quarantined',
                            result: 'Quarantined',
                            recordId,
                            objectApiName: 'Opportunity',
                            message: `${error.code}: ${error.message}`,
                            correlationId: item.correlationId,
                            eventKey: `error:${key}:${item.attempts}`
                        })
                    }
                ),
                ctx.outbox(
                    'salesforce',
                    'sf.write',
                    `error:${key}:${item.attempts}:result`,
                    orderingKey,
                    item.correlationId,
                    {
                        kind: 'sf.write',
                        sfObject: 'Opportunity',
                        id: recordId,
                        fields: syncResultFields('Quarantined', at)
                    }
                )
            );
        }
        return outbox;
    }
}

/** An error record that cannot be written must not produce another error record. */
function isErrorRecordWrite(item: InboxItem | OutboxItem): boolean {
    return 'idempotencyKey' in item && item.idempotencyKey.startsWith('error:');
}
