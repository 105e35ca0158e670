/**
 * Renders what the org side of the package takes from the org contract (connector-service/src/domain/orgContract.ts):
 * the two platform events, the state and value picklists of the conflict, sync-error and provenance records, and
 * the Apex constants class ClmContract that the package's Apex uses instead of string literals.
 */
import {
    CONFLICT_RECORD,
    CONFLICT_RESOLUTIONS,
    PROVENANCE_RECORD,
    PROVENANCE_WRITERS,
    REQUEST_ACTIONS,
    SENDABLE_OBJECTS,
    STATUS_KINDS,
    SYNC_ERROR_RECORD,
    SYNC_REQUEST_EVENT,
    SYNC_RESULTS,
    SYNC_STATUS_EVENT,
    type EventDefinition,
    type EventField,
    type StateMachine
} from '../connector-service/src/domain/orgContract.ts';
import { CONNECTOR_STATUS_OBJECT, type StatusField } from '../connector-service/src/domain/connectorStatus.ts';

const NS = 'http://soap.sforce.com/2006/04/metadata';
const HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n';
const OBJECTS = 'force-app/main/default/objects';

function escapeXml(value: string): string {
    return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function element(name: string, value: string | number | boolean | undefined): string {
    return value === undefined ? '' : `    <${name}>${escapeXml(String(value))}</${name}>\n`;
}

function eventObject(event: EventDefinition): string {
    return `${HEADER}<CustomObject xmlns="${NS}">\n${element('deploymentStatus', 'Deployed')}${element('description', event.description)}${element('eventType', 'HighVolume')}${element('label', event.label)}${element('pluralLabel', event.pluralLabel)}${element('publishBehavior', event.publishBehavior)}</CustomObject>\n`;
}

function eventField(name: string, field: EventField): string {
    let body = element('fullName', name) + element('description', field.description) + element('label', field.label);
    if (field.type === 'Text') body += element('length', field.length) + element('required', false);
    if (field.type === 'LongTextArea') body += element('length', field.length) + element('visibleLines', 3);
    if (field.type === 'Date' || field.type === 'DateTime') body += element('required', false);
    body += element('isFilteringDisabled', false) + element('isNameField', false) + element('isSortingDisabled', false);
    body += element('type', field.type);
    return `${HEADER}<CustomField xmlns="${NS}">\n${body}</CustomField>\n`;
}

const spaced = (value: string) => value.replace(/([a-z])([A-Z])/g, '$1 $2');

/** A restricted picklist of the contract's values; `withDefault`: the first value is the default. */
function picklistField(name: string, label: string, description: string, values: string[], withDefault: boolean) {
    const items = values
        .map(
            (value, index) =>
                `            <value>\n                <fullName>${escapeXml(value)}</fullName>\n                <default>${withDefault && index === 0}</default>\n                <label>${escapeXml(spaced(value))}</label>\n            </value>\n`
        )
        .join('');
    return `${HEADER}<CustomField xmlns="${NS}">\n${element('fullName', name)}${element('description', description)}${element('label', label)}${element('required', false)}    <valueSet>\n        <restricted>true</restricted>\n        <valueSetDefinition>\n            <sorted>false</sorted>\n${items}        </valueSetDefinition>\n    </valueSet>\n${element('type', 'Picklist')}</CustomField>\n`;
}

function stateDescription(machine: StateMachine<string>): string {
    return Object.entries(machine.states)
        .map(([state, meaning]) => `${state}: ${meaning}`)
        .join(' ');
}

/** `ResolutionRequested` → `RESOLUTION_REQUESTED`. */
function constantName(value: string): string {
    return value
        .replace(/__c$/, '')
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .replace(/__/g, '_')
        .toUpperCase();
}

function apexString(value: string): string {
    return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function apexSet(values: readonly string[]): string {
    return `new Set<String>{ ${values.map(apexString).join(', ')} }`;
}

function renderApexContract(): string {
    const lines: string[] = [];
    const constant = (doc: string, name: string, value: string) =>
        lines.push(`    /** @description ${doc} */`, `    public static final String ${name} = ${apexString(value)};`);
    const set = (doc: string, name: string, values: readonly string[]) =>
        lines.push(
            `    /** @description ${doc} */`,
            `    public static final Set<String> ${name} = ${apexSet(values)};`
        );
    for (const [action, meaning] of Object.entries(REQUEST_ACTIONS))
        constant(meaning, `ACTION_${constantName(action)}`, action);
    for (const [kind, { meaning }] of Object.entries(STATUS_KINDS))
        constant(meaning, `KIND_${constantName(kind)}`, kind);
    set(
        'Status kinds that need a person: the automation makes a review Task.',
        'REVIEW_KINDS',
        Object.entries(STATUS_KINDS)
            .filter(([, kind]) => kind.review)
            .map(([name]) => name)
    );
    for (const [result, meaning] of Object.entries(SYNC_RESULTS))
        constant(meaning, `SYNC_RESULT_${constantName(result)}`, result);
    for (const [resolution, meaning] of Object.entries(CONFLICT_RESOLUTIONS))
        constant(meaning, `RESOLUTION_${constantName(resolution)}`, resolution);
    set('Every conflict resolution.', 'RESOLUTIONS', Object.keys(CONFLICT_RESOLUTIONS));
    for (const [object] of Object.entries(SENDABLE_OBJECTS))
        constant(`A record a rep can send from.`, `SENDABLE_${constantName(object)}`, object);
    for (const [prefix, machine] of [
        ['CONFLICT', CONFLICT_RECORD.status!],
        ['SYNC_ERROR', SYNC_ERROR_RECORD.status!]
    ] as const) {
        for (const [state, meaning] of Object.entries(machine.states))
            constant(meaning, `${prefix}_${constantName(state)}`, state);
        set(
            'The states a record is still open in (the page shows it).',
            `${prefix}_OPEN_STATES`,
            Object.keys(machine.states).filter((state) => !(machine.closed as readonly string[]).includes(state))
        );
        const orgMoves = machine.moves.filter((move) => move.by === 'org' && move.from !== null);
        for (const to of new Set(orgMoves.map((move) => move.to))) {
            set(`The states a person may move a record to ${to} from.`, `${prefix}_${constantName(to)}_FROM`, [
                ...new Set(orgMoves.filter((move) => move.to === to).flatMap((move) => move.from ?? []))
            ]);
        }
    }
    for (const [writer, meaning] of Object.entries(PROVENANCE_WRITERS))
        constant(meaning, `WRITTEN_BY_${constantName(writer)}`, writer);
    return `/**
 * @description The org contract, generated from connector-service/src/domain/orgContract.ts by
 * \`npm run generate:metadata\`: do not edit. The Apex uses these names, the connector the same values; a value
 * one side knows and the other does not fails scripts/orgContract.test.ts.
 * @group Shared
 */
public inherited sharing class ClmContract {
${lines.join('\n')}
}
`;
}

const lwcList = (values: readonly string[]) => `Object.freeze([${values.map((value) => `'${value}'`).join(', ')}])`;
const lwcNames = (values: readonly string[]) =>
    `Object.freeze({\n${values.map((value) => `    ${value}: '${value}'`).join(',\n')}\n})`;

/** The same values for the components (`c/clmContract`). */
function renderLwcContract(): string {
    const conflict = CONFLICT_RECORD.status!;
    const error = SYNC_ERROR_RECORD.status!;
    const openOf = (machine: StateMachine<string>) =>
        Object.keys(machine.states).filter((state) => !machine.closed.includes(state));
    const retryFrom = [
        ...new Set(error.moves.filter((move) => move.to === 'RetryRequested').flatMap((move) => move.from ?? []))
    ];
    return `/**
 * The org contract for the components, generated from connector-service/src/domain/orgContract.ts by
 * \`npm run generate:metadata\`: do not edit.
 */
export const ACTION = ${lwcNames(Object.keys(REQUEST_ACTIONS))};
export const STATUS_KIND = ${lwcNames(Object.keys(STATUS_KINDS))};
export const SYNC_RESULT = ${lwcNames(Object.keys(SYNC_RESULTS))};
export const SYNC_RESULTS = ${lwcList(Object.keys(SYNC_RESULTS))};
export const RESOLUTION = ${lwcNames(Object.keys(CONFLICT_RESOLUTIONS))};
export const CONFLICT_OPEN_STATES = ${lwcList(openOf(conflict))};
export const SYNC_ERROR_STATE = ${lwcNames(Object.keys(error.states))};
export const SYNC_ERROR_OPEN_STATES = ${lwcList(openOf(error))};
export const SYNC_ERROR_RETRYABLE_STATES = ${lwcList(retryFrom)};
`;
}

/** The connector's status record (domain/connectorStatus.ts): a custom object written by the connector only. */
function connectorStatusObject(): string {
    const o = CONNECTOR_STATUS_OBJECT;
    return `${HEADER}<CustomObject xmlns="${NS}">\n${element('allowInChatterGroups', false)}${element('compactLayoutAssignment', 'SYSTEM')}${element('deploymentStatus', 'Deployed')}${element('description', o.description)}${element('enableActivities', false)}${element('enableBulkApi', true)}${element('enableFeeds', false)}${element('enableHistory', false)}${element('enableLicensing', false)}${element('enableReports', true)}${element('enableSearch', false)}${element('enableSharing', true)}${element('enableStreamingApi', true)}${element('externalSharingModel', 'Private')}${element('label', o.label)}    <nameField>\n        <displayFormat>CS-{0000}</displayFormat>\n        <label>Status Number</label>\n        <trackHistory>false</trackHistory>\n        <type>AutoNumber</type>\n    </nameField>\n${element('pluralLabel', o.pluralLabel)}${element('searchLayouts', '')}${element('sharingModel', 'ReadWrite')}${element('visibility', 'Public')}</CustomObject>\n`;
}

function connectorStatusField(name: string, field: StatusField): string {
    let body = element('fullName', name) + element('description', field.description) + element('label', field.label);
    if (field.type === 'Text') body += element('length', field.length) + element('required', false);
    if (field.type === 'LongTextArea') body += element('length', field.length) + element('visibleLines', 3);
    if (field.type === 'Number') body += element('precision', 18) + element('scale', 0) + element('required', false);
    if (field.type === 'Checkbox') body += element('defaultValue', false);
    if (field.type === 'DateTime') body += element('required', false);
    if (name === CONNECTOR_STATUS_OBJECT.key)
        body += element('externalId', true) + element('unique', true) + element('caseSensitive', true);
    body += element('type', field.type);
    return `${HEADER}<CustomField xmlns="${NS}">\n${body}</CustomField>\n`;
}

/** Every file generated from the org contract, keyed by its path relative to the repository root. */
export function renderOrgContract(): Map<string, string> {
    const files = new Map<string, string>();
    for (const event of [SYNC_REQUEST_EVENT, SYNC_STATUS_EVENT]) {
        files.set(`${OBJECTS}/${event.name}/${event.name}.object-meta.xml`, eventObject(event));
        for (const [name, field] of Object.entries(event.fields))
            files.set(`${OBJECTS}/${event.name}/fields/${name}.field-meta.xml`, eventField(name, field));
    }
    const conflict = CONFLICT_RECORD.status!;
    files.set(
        `${OBJECTS}/${CONFLICT_RECORD.name}/fields/${conflict.field}.field-meta.xml`,
        picklistField(conflict.field, 'Status', stateDescription(conflict), Object.keys(conflict.states), true)
    );
    files.set(
        `${OBJECTS}/${CONFLICT_RECORD.name}/fields/Resolution__c.field-meta.xml`,
        picklistField('Resolution__c', 'Resolution', 'Which value won.', Object.keys(CONFLICT_RESOLUTIONS), false)
    );
    const error = SYNC_ERROR_RECORD.status!;
    files.set(
        `${OBJECTS}/${SYNC_ERROR_RECORD.name}/fields/${error.field}.field-meta.xml`,
        picklistField(error.field, 'Status', stateDescription(error), Object.keys(error.states), true)
    );
    files.set(
        `${OBJECTS}/${PROVENANCE_RECORD.name}/fields/Written_By__c.field-meta.xml`,
        picklistField(
            'Written_By__c',
            'Written By',
            'The side whose value the field now holds.',
            Object.keys(PROVENANCE_WRITERS),
            false
        )
    );
    const status = CONNECTOR_STATUS_OBJECT;
    files.set(`${OBJECTS}/${status.name}/${status.name}.object-meta.xml`, connectorStatusObject());
    for (const [name, field] of Object.entries(status.fields))
        files.set(`${OBJECTS}/${status.name}/fields/${name}.field-meta.xml`, connectorStatusField(name, field));
    files.set('force-app/main/default/classes/shared/ClmContract.cls', renderApexContract());
    files.set('force-app/main/default/lwc/clmContract/clmContract.js', renderLwcContract());
    files.set(
        'force-app/main/default/lwc/clmContract/clmContract.js-meta.xml',
        `${HEADER}<LightningComponentBundle xmlns="${NS}">\n    <apiVersion>62.0</apiVersion>\n    <isExposed>false</isExposed>\n</LightningComponentBundle>\n`
    );
    files.set(
        'force-app/main/default/classes/shared/ClmContract.cls-meta.xml',
        `${HEADER}<ApexClass xmlns="${NS}">\n    <apiVersion>62.0</apiVersion>\n    <status>Active</status>\n</ApexClass>\n`
    );
    return files;
}
