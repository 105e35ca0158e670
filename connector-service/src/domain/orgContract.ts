/**
 * The org contract: every event, record and value the package's Apex and LWC exchange with the connector, and what
 * each means. The single source: `npm run generate:metadata` writes the event and state-field XML and the Apex
 * constants class `ClmContract` from it (scripts/orgContract.ts); the connector builds and parses the messages
 * with orgMessages.ts; the default CDC channels and the entities `sf clm org setup` enables come from
 * CHANGE_CHANNELS. scripts/orgContract.test.ts fails when a value is known to one side only.
 */

/** Who moves a record from one state to the next. */
export type Mover = 'org' | 'connector';

export type ContractFieldType = 'Text' | 'LongTextArea' | 'Date' | 'DateTime';

export interface EventField {
    label: string;
    type: ContractFieldType;
    /** Characters, for Text and LongTextArea: builders cut longer values to it. */
    length?: number;
    description: string;
}

export interface EventDefinition {
    name: string;
    label: string;
    pluralLabel: string;
    publishBehavior: 'PublishAfterCommit' | 'PublishImmediately';
    description: string;
    fields: Readonly<Record<string, EventField>>;
}

/** What the org asks of the connector (Clm_Sync_Request__e.Action__c). */
export const REQUEST_ACTIONS = {
    Send: 'A rep sends an Opportunity or a primary CPQ quote not yet linked: the connector creates the contract in the CLM.',
    Resync: 'A rep sends a linked record again: the connector reads the contract from the CLM and plans it again.',
    ResolveConflict:
        'A person decided a conflict: Subject_Key__c is its Conflict_Key__c, Payload__c {resolution, value, field}.',
    RetryItem: 'A person asks to retry a quarantined item: Subject_Key__c is the Clm_Sync_Error__c Error_Key__c.'
} as const;
export type RequestAction = keyof typeof REQUEST_ACTIONS;

/** What the connector tells the org (Clm_Sync_Status__e.Kind__c); `review`: the in-org automation makes a Task. */
export const STATUS_KINDS = {
    RequestRejected: { review: false, meaning: 'A send was refused before anything was written; Message__c says why.' },
    Applied: { review: false, meaning: "The CLM's values were written to the record; lifecycle and signature stayed." },
    LifecycleChanged: {
        review: false,
        meaning: "The contract's lifecycle or signature moved (Lifecycle__c, Signature_Status__c, dates)."
    },
    Conflict: { review: true, meaning: 'A field changed on both sides: a Clm_Conflict__c waits for a person.' },
    Quarantined: { review: true, meaning: 'An item failed for good: a Clm_Sync_Error__c says why.' }
} as const;
export type StatusKind = keyof typeof STATUS_KINDS;

/** CLM_Last_Sync_Result__c on the linked records and Sync_Result__c on status events: all set by the connector. */
export const SYNC_RESULTS = {
    Synced: 'The last change was applied.',
    Pending: 'A send was accepted; the contract is being created.',
    Conflict: 'A field waits for a person to decide a conflict.',
    Error: 'The last send was refused (see the status message).',
    Quarantined: 'An item for this record failed for good (see the sync error).'
} as const;
export type SyncResult = keyof typeof SYNC_RESULTS;
export const SYNC_RESULT_VALUES = Object.keys(SYNC_RESULTS) as SyncResult[];

/** A person's decision on a conflict (Clm_Conflict__c.Resolution__c, and the request's Payload__c.resolution). */
export const CONFLICT_RESOLUTIONS = {
    SalesforceValue: "Keep Salesforce's value: it is written to the CLM.",
    ClmValue: "Keep the CLM's value: it is written to Salesforce.",
    EditedValue: 'Write a value the person entered to both sides.'
} as const;
export type ConflictResolutionChoice = keyof typeof CONFLICT_RESOLUTIONS;

/** The objects a rep can send from, and the field that names their Opportunity. */
export const SENDABLE_OBJECTS = {
    Opportunity: { opportunityField: 'Id', package: 'core' },
    SBQQ__Quote__c: { opportunityField: 'SBQQ__Opportunity2__c', package: 'cpq' }
} as const;
export type SendableObject = keyof typeof SENDABLE_OBJECTS;

export interface StateMachine<S extends string> {
    /** The field that holds the state. */
    field: string;
    /** Every state, with its meaning; the first is the picklist's default. */
    states: Readonly<Record<S, string>>;
    /** The states nothing moves on from: the record is done (the page stops showing it). */
    closed: readonly S[];
    /** Each move: from which states (null: the record is created in it), by whom, and where in the code. */
    moves: readonly { from: readonly S[] | null; to: S; by: Mover; where: string }[];
}

const CONFLICT_STATES = {
    Open: 'Both sides changed the field; the connector wrote the record and waits for a person.',
    ResolutionRequested: 'A person decided; the decision is on its way to the connector.',
    Resolved: 'The connector applied the decision.',
    Dismissed: 'A person closed it without a decision (the values stay as they are).'
} as const;
export type ConflictState = keyof typeof CONFLICT_STATES;

const SYNC_ERROR_STATES = {
    Retrying:
        'The item failed and the connector tries it again: by itself (Attempts__c, Next_Retry_At__c), or because a person asked.',
    Quarantined: 'The item failed for good or cannot succeed by retrying; it waits for a person (Next_Step__c).',
    RetryRequested: 'A person asked for a retry; the request is on its way to the connector.',
    Resolved: 'The item went through after failing (an automatic or a requested retry).'
} as const;
export type SyncErrorState = keyof typeof SYNC_ERROR_STATES;

export interface RecordDefinition<S extends string> {
    name: string;
    /** The external id the connector upserts by. */
    key: string;
    /** The fields the connector writes. */
    fields: readonly string[];
    status?: StateMachine<S>;
}

export const CONFLICT_RECORD: RecordDefinition<ConflictState> = {
    name: 'Clm_Conflict__c',
    key: 'Conflict_Key__c',
    fields: [
        'Rule__c',
        'Object_Api_Name__c',
        'Field__c',
        'Clm_Field__c',
        'Salesforce_Value__c',
        'Clm_Value__c',
        'Salesforce_Changed_At__c',
        'Clm_Changed_At__c',
        'Record_Id__c',
        'Opportunity__c',
        'Status__c',
        'Correlation_Id__c'
    ],
    status: {
        field: 'Status__c',
        states: CONFLICT_STATES,
        closed: ['Resolved', 'Dismissed'],
        moves: [
            { from: null, to: 'Open', by: 'connector', where: 'app conflict records (plan.conflicts)' },
            {
                from: ['Open'],
                to: 'ResolutionRequested',
                by: 'org',
                where: 'ClmSyncRequestService.requestConflictResolution'
            },
            {
                from: ['Open'],
                to: 'Dismissed',
                by: 'org',
                where: 'a person, on the record (ClmConflictTriggerHandler stamps it)'
            },
            { from: ['ResolutionRequested'], to: 'Resolved', by: 'connector', where: 'conflict resolution use case' }
        ]
    }
};

export const SYNC_ERROR_RECORD: RecordDefinition<SyncErrorState> = {
    name: 'Clm_Sync_Error__c',
    key: 'Error_Key__c',
    fields: [
        'Code__c',
        'Message__c',
        'Correlation_Id__c',
        'Attempts__c',
        'Status__c',
        'Object_Api_Name__c',
        'Record_Id__c',
        'Opportunity__c',
        'Last_Attempt_At__c',
        'Next_Retry_At__c',
        'Next_Step__c'
    ],
    status: {
        field: 'Status__c',
        states: SYNC_ERROR_STATES,
        closed: ['Resolved'],
        moves: [
            {
                from: null,
                to: 'Retrying',
                by: 'connector',
                where: 'app failureReports (a failure a later attempt may fix; every attempt updates it)'
            },
            { from: null, to: 'Quarantined', by: 'connector', where: 'app failItem (an item quarantined)' },
            { from: null, to: 'Quarantined', by: 'org', where: 'ClmSyncStatusTriggerHandler (automation gave up)' },
            {
                from: ['Quarantined', 'Retrying'],
                to: 'RetryRequested',
                by: 'org',
                where: 'ClmSyncRequestService.requestRetry'
            },
            { from: ['RetryRequested'], to: 'Retrying', by: 'connector', where: 'retry use case (item replayed)' },
            {
                from: ['Retrying', 'RetryRequested'],
                to: 'Resolved',
                by: 'connector',
                where: 'app failureReports: the failed item completed'
            },
            {
                from: ['Retrying', 'RetryRequested'],
                to: 'Quarantined',
                by: 'connector',
                where: 'the item failed for good (again)'
            }
        ]
    }
};

export const PROVENANCE_WRITERS = {
    Salesforce: "The field holds Salesforce's value (it went to the CLM).",
    Clm: "The field holds the CLM's value (the connector wrote it to Salesforce)."
} as const;
export type ProvenanceWriter = keyof typeof PROVENANCE_WRITERS;

export const PROVENANCE_RECORD: RecordDefinition<never> = {
    name: 'Clm_Field_Provenance__c',
    key: 'Provenance_Key__c',
    fields: [
        'Record_Id__c',
        'Object_Api_Name__c',
        'Field__c',
        'Written_By__c',
        'Written_At__c',
        'Correlation_Id__c',
        'Opportunity__c',
        'Contract__c'
    ]
};

/** The objects whose changes the rules and use cases need, each with why; `cpq` ones only where CPQ is installed. */
export const CHANGE_CHANNELS = [
    { sfObject: 'Opportunity', package: 'core', why: 'deal fields the rules send; the stage' },
    { sfObject: 'Contract', package: 'core', why: 'contract terms the rules send' },
    { sfObject: 'Account', package: 'core', why: 'the counterparty; fanned out to its linked deals' },
    { sfObject: 'Contact', package: 'core', why: 'the signer; fanned out to its account’s linked deals' },
    {
        sfObject: 'SBQQ__Quote__c',
        package: 'cpq',
        why: 'line items: the CPQ calculator touches the quote on every line change, deletes included'
    }
] as const;

/** The change event entity of an object: ContractChangeEvent, SBQQ__Quote__ChangeEvent. */
export function changeEventEntity(sfObject: string): string {
    return sfObject.endsWith('__c') ? sfObject.replace(/__c$/, '__ChangeEvent') : `${sfObject}ChangeEvent`;
}

/** The objects whose change events the connector hears, with or without CPQ. */
export function changeObjects(options: { cpq: boolean }): string[] {
    return CHANGE_CHANNELS.filter((channel) => options.cpq || channel.package === 'core').map(
        (channel) => channel.sfObject
    );
}

/** The Pub/Sub channels of those objects: `/data/OpportunityChangeEvent`. */
export function defaultChangeChannels(options: { cpq: boolean }): string[] {
    return changeObjects(options).map((sfObject) => `/data/${changeEventEntity(sfObject)}`);
}

const text = (label: string, length: number, description: string): EventField => ({
    label,
    type: 'Text',
    length,
    description
});
/** The names of a set of values, for descriptions and messages. */
export const valueNames = (record: Readonly<Record<string, unknown>>) => Object.keys(record).join(', ');

export const SYNC_REQUEST_EVENT: EventDefinition = {
    name: 'Clm_Sync_Request__e',
    label: 'CLM Sync Request',
    pluralLabel: 'CLM Sync Requests',
    publishBehavior: 'PublishAfterCommit',
    description:
        'Published by Apex when a rep sends a deal to the CLM, a conflict is resolved or a quarantined item is retried; the connector subscribes over the Pub/Sub API. PublishAfterCommit on purpose: the request names records and decisions written in the same transaction (conflict status, error status), so the connector must never see a request whose transaction rolled back.',
    fields: {
        Action__c: text('Action', 40, `One of ${valueNames(REQUEST_ACTIONS)}.`),
        Object_Api_Name__c: text('Object', 80, 'API name of the object of Record_Id__c.'),
        Payload__c: {
            label: 'Payload',
            type: 'LongTextArea',
            length: 32768,
            description: 'JSON details: for ResolveConflict {resolution, value, field}.'
        },
        Record_Id__c: text(
            'Record ID',
            18,
            `The record the request is about: ${valueNames(SENDABLE_OBJECTS)}, or a Contract.`
        ),
        Request_Id__c: text(
            'Request ID',
            64,
            'Idempotency key of the request; the connector ignores a request id it has already processed.'
        ),
        Requested_By__c: text('Requested By', 18, 'Id of the user who asked.'),
        Subject_Id__c: text(
            'Subject ID',
            18,
            'For ResolveConflict and RetryItem: the Clm_Conflict__c or Clm_Sync_Error__c record.'
        ),
        Subject_Key__c: text('Subject Key', 128, "The subject's connector key (Conflict_Key__c or Error_Key__c).")
    }
};

export const SYNC_STATUS_EVENT: EventDefinition = {
    name: 'Clm_Sync_Status__e',
    label: 'CLM Sync Status',
    pluralLabel: 'CLM Sync Status Events',
    publishBehavior: 'PublishImmediately',
    description:
        "Published by the connector when a sync request is rejected, values are applied, a contract's lifecycle moves, a conflict needs review or an item is quarantined. Heard by the legal status card (empApi) and by the in-org automation trigger. PublishImmediately on purpose: the connector publishes through the API outside any Apex transaction, and if Apex ever publishes a status it reports something already true elsewhere (log-like), which must not vanish with a rollback.",
    fields: {
        Clm_Contract_Id__c: text('CLM Contract ID', 64, "The CLM's contract id."),
        Correlation_Id__c: text('Correlation ID', 64, "The connector's correlation id."),
        Event_Key__c: text(
            'Event Key',
            64,
            'Unique per state change; the in-org automation uses it to stay idempotent when the event is delivered again.'
        ),
        Expiration_Date__c: {
            label: 'Expiration Date',
            type: 'Date',
            description: 'The contract expiration date, when known.'
        },
        Kind__c: text('Kind', 40, `One of ${valueNames(STATUS_KINDS)}.`),
        Lifecycle__c: text('Lifecycle', 40, 'Canonical lifecycle after the change.'),
        Message__c: text('Message', 255, 'Short text for a person; never a secret.'),
        Notice_Deadline__c: {
            label: 'Notice Deadline',
            type: 'Date',
            description: 'The contract notice deadline, when known.'
        },
        Object_Api_Name__c: text('Object', 80, 'API name of the object of Record_Id__c.'),
        Occurred_At__c: {
            label: 'Occurred At',
            type: 'DateTime',
            description: 'When the change happened at its source.'
        },
        Record_Id__c: text('Record ID', 18, 'The Salesforce record the status is about.'),
        Request_Id__c: text('Request ID', 64, 'The Clm_Sync_Request__e request this answers, when it answers one.'),
        Signature_Status__c: text('Signature Status', 40, 'Signature status after the change.'),
        Sync_Result__c: text('Sync Result', 40, `One of ${valueNames(SYNC_RESULTS)}.`)
    }
};
