/** SpotDraft webhook deliveries as connector events: the activity names the event type (thin: the contract is read after). */
import type { Clock } from '../../../clock.ts';
import type { ClmEvent, ClmEventType } from '../../../domain/clmEvents.ts';
import { CLM_ERROR, clmError } from '../../../ports/clm.ts';
import { parseVendorJson } from '../vendorPayload.ts';
import { VENDOR } from './contractMapping.ts';
import { SpotdraftDelivery } from './payloads.ts';
import { spotdraftEventId } from './webhook.ts';

const ACTIVITY_TYPES: Record<string, ClmEventType> = {
    CONTRACT_CREATED: 'contract.created',
    CONTRACT_DATA_UPDATED: 'contract.updated',
    CONTRACT_KEY_POINTER_UPDATION: 'contract.updated',
    CONTRACT_KEY_POINTER_CREATION: 'contract.updated',
    CONTRACT_DELETED: 'contract.deleted',
    CONTRACT_SENT_TO_COUNTERPARTY: 'contract.status_changed',
    CONTRACT_MARK_FOR_EXECUTION: 'contract.status_changed',
    CONTRACT_UNMARK_FOR_EXECUTION: 'contract.status_changed',
    CONTRACT_EXECUTED: 'contract.status_changed',
    CONTRACT_VOIDED: 'contract.status_changed',
    CONTRACT_SIGNATURE_REQUESTED: 'signature.sent',
    CONTRACT_SIGNED: 'signature.signer_completed',
    CONTRACT_SIGNATURE_DECLINED: 'signature.declined',
    CONTRACT_APPROVAL_REQUESTED: 'approval.changed',
    CONTRACT_APPROVAL_COMPLETED: 'approval.changed',
    CONTRACT_VERSION_UPLOADED: 'document.added'
};

export function spotdraftWebhookEvents(rawBody: Buffer, clock: Clock): ClmEvent[] {
    const delivery = parseVendorJson(SpotdraftDelivery, rawBody, { vendor: VENDOR, operation: 'webhook' });
    const at = new Date(Date.parse(delivery.activity_data.timestamp));
    if (Number.isNaN(at.getTime())) {
        throw clmError(CLM_ERROR.VALIDATION, 'SpotDraft webhook activity_data.timestamp is not a date-time', {
            field: 'activity_data.timestamp'
        });
    }
    return [
        {
            type: ACTIVITY_TYPES[delivery.activity] ?? 'contract.updated',
            contractRef: { system: VENDOR, objectType: 'contract', id: delivery.contract_id },
            at: at.toISOString(),
            vendorEventId: spotdraftEventId(rawBody),
            vendorEventType: delivery.activity,
            receivedAt: new Date(clock.now()).toISOString()
        }
    ];
}
