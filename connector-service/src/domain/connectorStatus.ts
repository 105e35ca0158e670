/**
 * The connector's status in the org, part of the org contract: one Clm_Connector_Status__c record per connector,
 * upserted by the connector (its heartbeat), read by the package's Apex. It carries the connector's health for the
 * admin console (running, subscriptions, last event, API budget, CLM reachable) and what a send will write to the
 * CLM (the rules narrowed by the vendor's template, the connector's own function), so the send preview shows exactly
 * that and offers no action the CLM would refuse. `npm run generate:metadata` writes the object from this definition.
 */
import { ConnectorError } from './errors.ts';
import type { RecordUpsert, RecordValue } from './orgMessages.ts';

export interface StatusField {
    label: string;
    type: 'Text' | 'LongTextArea' | 'DateTime' | 'Number' | 'Checkbox';
    length?: number;
    description: string;
}

export const CONNECTOR_STATUS_OBJECT = {
    name: 'Clm_Connector_Status__c',
    label: 'CLM Connector Status',
    pluralLabel: 'CLM Connector Statuses',
    description:
        'What the connector last said about itself: written by the connector (upsert by Connector_Key__c) every few minutes and when the CLM stops or starts answering, in the Composite calls it makes anyway when it has other writes. The admin console shows its health; the send preview shows the fields a send writes and refuses actions the CLM would refuse.',
    key: 'Connector_Key__c',
    fields: {
        Connector_Key__c: {
            label: 'Connector',
            type: 'Text',
            length: 80,
            description: "The connector's name (its config); the connector upserts by it."
        },
        Heartbeat_At__c: {
            label: 'Heartbeat At',
            type: 'DateTime',
            description: 'When the connector wrote this record: it was running then.'
        },
        Started_At__c: { label: 'Started At', type: 'DateTime', description: 'When this connector process started.' },
        Subscriptions__c: {
            label: 'Subscriptions',
            type: 'LongTextArea',
            length: 32768,
            description: 'JSON: the Pub/Sub channels heard, each {channel, state, lastEventAt}.'
        },
        Last_Event_At__c: {
            label: 'Last Event At',
            type: 'DateTime',
            description: 'When the newest event the connector heard was committed in the org.'
        },
        Api_Used__c: { label: 'API Requests Used', type: 'Number', description: "The org's daily API requests used." },
        Api_Max__c: { label: 'API Requests Max', type: 'Number', description: "The org's daily API allocation." },
        Api_Paused__c: {
            label: 'Paused for API Budget',
            type: 'Checkbox',
            description: 'The connector stopped taking work to spare the org’s last API calls.'
        },
        Clm_Vendor__c: { label: 'CLM', type: 'Text', length: 40, description: 'The CLM the connector talks to.' },
        Clm_Reachable__c: {
            label: 'CLM Reachable',
            type: 'Checkbox',
            description: 'Whether the CLM answered the connector’s last calls.'
        },
        Clm_Failing_Since__c: {
            label: 'CLM Failing Since',
            type: 'DateTime',
            description: 'When the CLM stopped answering; blank while it answers.'
        },
        Clm_Last_Error__c: {
            label: 'CLM Last Error',
            type: 'Text',
            length: 80,
            description: 'The code of the last failure that counted against reachability.'
        },
        Send_Fields__c: {
            label: 'Send Fields',
            type: 'LongTextArea',
            length: 32768,
            description:
                'JSON: what a send writes to the CLM, each {clmField, label, from} (from: a field path of the Opportunity, or "signer"), the rules narrowed by the CLM template.'
        },
        Writable_Lifecycles__c: {
            label: 'Writable Lifecycles',
            type: 'Text',
            length: 255,
            description:
                'The lifecycles in which the CLM takes changes, semicolon-separated; blank: any. Elsewhere "Send changes" is not offered.'
        }
    } satisfies Record<string, StatusField>
} as const;

export type ConnectorStatusField = keyof typeof CONNECTOR_STATUS_OBJECT.fields;

/** One field a send writes to the CLM, and where its value comes from on the Opportunity. */
export interface SendField {
    clmField: string;
    /** For a person: what the CLM gets. */
    label: string;
    /** A field path from the Opportunity (`Amount`, `Account.Name`), or `signer`: the deal's signer (contact roles). */
    from: string;
}

export interface ConnectorStatus {
    connectorKey: string;
    heartbeatAt: string;
    startedAt: string;
    subscriptions: readonly { channel: string; state: string; lastEventAt: string | null }[];
    apiBudget: { used: number; max: number; paused: boolean } | null;
    clm: { vendor: string; reachable: boolean; failingSince: string | null; lastErrorCode: string | null };
    sendFields: readonly SendField[];
    writableLifecycles: readonly string[] | null;
}

/** The connector's upsert of its status record. */
export function connectorStatusRecord(status: ConnectorStatus): RecordUpsert {
    const lastEvent = status.subscriptions
        .map((subscription) => subscription.lastEventAt)
        .filter((at): at is string => at !== null)
        .sort()
        .at(-1);
    const fields: Partial<Record<ConnectorStatusField, RecordValue>> = {
        Heartbeat_At__c: status.heartbeatAt,
        Started_At__c: status.startedAt,
        Subscriptions__c: JSON.stringify(status.subscriptions),
        Last_Event_At__c: lastEvent ?? null,
        Api_Used__c: status.apiBudget?.used ?? null,
        Api_Max__c: status.apiBudget?.max ?? null,
        Api_Paused__c: status.apiBudget?.paused ?? false,
        Clm_Vendor__c: status.clm.vendor,
        Clm_Reachable__c: status.clm.reachable,
        Clm_Failing_Since__c: status.clm.failingSince,
        Clm_Last_Error__c: status.clm.lastErrorCode,
        Send_Fields__c: JSON.stringify(status.sendFields),
        Writable_Lifecycles__c: status.writableLifecycles ? status.writableLifecycles.join(';') : null
    };
    for (const [name, value] of Object.entries(fields)) {
        const field: StatusField = CONNECTOR_STATUS_OBJECT.fields[name as ConnectorStatusField];
        if (typeof value === 'string' && field.length !== undefined && value.length > field.length)
            throw new ConnectorError('ORG.VALUE_TOO_LONG', `${CONNECTOR_STATUS_OBJECT.name}.${name} is too long`, {
                field: name
            });
    }
    return {
        sfObject: CONNECTOR_STATUS_OBJECT.name,
        externalId: { field: CONNECTOR_STATUS_OBJECT.key, value: status.connectorKey.slice(0, 80) },
        fields: fields as Record<string, RecordValue>
    };
}
