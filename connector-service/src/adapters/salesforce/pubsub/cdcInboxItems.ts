/**
 * A change event as the inbox items the engine takes up: one `sf.change` per record it names, keyed by the record's
 * pair (or the record while it has none) so one deal's changes are handled in order.
 */
import { asJson } from '../../../app/payloads.ts';
import type { InboxInput, PairStore } from '../../../ports/store.ts';
import { changesFromCdcEvent, type DecodedEvent } from './changeEvents.ts';

export async function cdcInboxItems(
    store: Pick<PairStore, 'findPair'>,
    orgId: string,
    channel: string,
    event: DecodedEvent
): Promise<InboxInput[]> {
    const items: InboxInput[] = [];
    for (const change of changesFromCdcEvent(channel, event)) {
        const pair = await store.findPair(orgId, { salesforceId: change.recordId });
        items.push({
            source: `salesforce:${channel}`,
            eventId: change.eventId,
            orderingKey: pair?.pairId ?? `sf:${change.recordId}`,
            objectType: change.sfObject,
            payload: asJson({ kind: 'sf.change', change }),
            correlationId: change.correlationId
        });
    }
    return items;
}
