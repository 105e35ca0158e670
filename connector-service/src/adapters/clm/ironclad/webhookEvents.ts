/** Ironclad webhook deliveries as connector events: the event names the type, the delivery header its id. */
import type { Clock } from '../../../clock.ts';
import type { ClmEvent, ClmEventType } from '../../../domain/clmEvents.ts';
import { CLM_ERROR, clmError, type WebhookRequest } from '../../../ports/clm.ts';
import { parseVendorJson } from '../vendorPayload.ts';
import { headerValue } from '../webhookGuard.ts';
import { VENDOR } from './contractMapping.ts';
import { IroncladDelivery } from './payloads.ts';
import { EVENT_ID_HEADER } from './webhook.ts';

/** Ironclad event → canonical event type (research/clm-apis.md §2). */
const EVENT_TYPES: Record<string, ClmEventType> = {
    workflow_launched: 'contract.created',
    workflow_updated: 'contract.updated',
    workflow_attribute_updated: 'contract.updated',
    workflow_completed: 'contract.status_changed',
    workflow_cancelled: 'contract.status_changed',
    workflow_paused: 'contract.status_changed',
    workflow_resumed: 'contract.status_changed',
    workflow_step_updated: 'contract.status_changed',
    workflow_approval_status_changed: 'approval.changed',
    workflow_signature_packet_sent: 'signature.sent',
    workflow_signature_packet_fully_signed: 'signature.completed',
    workflow_signature_packet_cancelled: 'signature.declined',
    workflow_signer_added: 'signature.sent',
    workflow_documents_added: 'document.added',
    workflow_signature_packet_uploaded: 'document.added'
};

export function ironcladWebhookEvents(req: WebhookRequest, clock: Clock): ClmEvent[] {
    const delivery = parseVendorJson(IroncladDelivery, req.rawBody, { vendor: VENDOR, operation: 'webhook' });
    const eventId = headerValue(req.headers, EVENT_ID_HEADER);
    if (!eventId) throw clmError(CLM_ERROR.VALIDATION, `missing ${EVENT_ID_HEADER}`, { field: EVENT_ID_HEADER });
    const event = delivery.payload.event;
    return [
        {
            type: EVENT_TYPES[event] ?? 'contract.updated',
            contractRef: { system: VENDOR, objectType: 'workflow', id: delivery.payload.workflowID },
            at: delivery.timestamp,
            vendorEventId: eventId,
            vendorEventType: event,
            receivedAt: new Date(clock.now()).toISOString()
        }
    ];
}
