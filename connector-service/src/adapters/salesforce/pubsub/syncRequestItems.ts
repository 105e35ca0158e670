/**
 * A Clm_Sync_Request__e event as the inbox item the engine takes up (the org contract's parser decides what it
 * asks), keyed so one record's requests are handled in order; a request the contract does not know is logged with
 * its code and field, never a crash of the stream.
 */
import { asJson, type InboxPayload } from '../../../app/payloads.ts';
import type { Logger } from '../../../ports/logger.ts';
import type { InboxInput } from '../../../ports/store.ts';
import { payloadFromSyncRequest, type DecodedEvent } from './changeEvents.ts';

export function syncRequestItems(channel: string, event: DecodedEvent, logger: Logger): InboxInput[] {
    let payload: InboxPayload | null;
    try {
        payload = payloadFromSyncRequest(event);
    } catch (error) {
        // A request the org contract does not know: logged with its code and field, never a crash of the stream.
        const coded = error as { code?: string; field?: string; message?: string };
        logger.warn(
            { channel, replayId: String(event.replayId), code: coded.code, field: coded.field },
            coded.message ?? 'invalid sync request'
        );
        return [];
    }
    if (!payload) return [];
    const key =
        payload.kind === 'sf.syncRequest'
            ? payload.objectApiName === 'Opportunity'
                ? `opp:${payload.recordId}`
                : `${payload.objectApiName}:${payload.recordId}`
            : payload.kind === 'sf.conflictResolution'
              ? payload.pairId
              : payload.kind === 'sf.retryRequest'
                ? payload.errorKey
                : channel;
    return [
        {
            source: `salesforce:${channel}`,
            eventId: String(event.replayId),
            orderingKey: key,
            objectType: 'Clm_Sync_Request__e',
            payload: asJson(payload),
            correlationId: `req-${String(event.payload.Request_Id__c ?? event.replayId)}`.slice(0, 64)
        }
    ];
}
