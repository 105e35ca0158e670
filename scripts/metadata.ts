/**
 * Renders the package metadata that comes from the domain's single source of truth:
 * - the custom metadata type Clm_Field_Mapping__mdt and its default records (from DEFAULT_RULES),
 * - the package's CLM fields on standard and CPQ objects (from SALESFORCE_OBJECTS entries with `package`),
 * - the org contract's events, record state fields and the Apex constants class ClmContract (scripts/orgContract.ts).
 * `npm run generate:metadata` writes them; test/package/generated-metadata.test.ts fails when they drift.
 */
import path from 'node:path';
import { renderOrgContract } from './orgContract.ts';
import {
    DEFAULT_RULES,
    RULE_METADATA_FIELDS,
    RULE_METADATA_TYPE,
    SALESFORCE_OBJECTS,
    ruleToRecord,
    type MetadataFieldDefinition,
    type RuleRecordValue,
    type SalesforceField
} from '../connector-service/src/domain/index.ts';

const NS = 'http://soap.sforce.com/2006/04/metadata';
const HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n';

function escapeXml(value: string): string {
    return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function element(name: string, value: string | number | boolean | undefined, indent = '    '): string {
    return value === undefined ? '' : `${indent}<${name}>${escapeXml(String(value))}</${name}>\n`;
}

function valueSet(values: readonly { name: string; label: string }[], restricted: boolean): string {
    const items = values
        .map(
            (value) =>
                `            <value>\n                <fullName>${escapeXml(value.name)}</fullName>\n                <default>false</default>\n                <label>${escapeXml(value.label)}</label>\n            </value>\n`
        )
        .join('');
    return `    <valueSet>\n        <restricted>${restricted}</restricted>\n        <valueSetDefinition>\n            <sorted>false</sorted>\n${items}        </valueSetDefinition>\n    </valueSet>\n`;
}

function metadataTypeField(field: MetadataFieldDefinition): string {
    let body =
        element('fullName', field.name) + element('description', field.description) + element('externalId', false);
    body += element('fieldManageability', 'SubscriberControlled');
    body += element('label', field.label);
    if (field.type === 'Checkbox') body += element('defaultValue', field.defaultValue ?? 'false');
    if (field.length !== undefined) body += element('length', field.length);
    if (field.type !== 'Checkbox') body += element('required', field.required ?? false);
    body += element('type', field.type);
    if (field.type === 'Text') body += element('unique', false);
    if (field.type === 'LongTextArea') body += element('visibleLines', 3);
    if (field.values) body += valueSet(field.values, true);
    return `${HEADER}<CustomField xmlns="${NS}">\n${body}</CustomField>\n`;
}

function recordValue(field: string, value: RuleRecordValue): string {
    const typed =
        value === null
            ? '<value xsi:nil="true"/>'
            : typeof value === 'boolean'
              ? `<value xsi:type="xsd:boolean">${value}</value>`
              : `<value xsi:type="xsd:string">${escapeXml(value)}</value>`;
    return `    <values>\n        <field>${field}</field>\n        ${typed}\n    </values>\n`;
}

const FIELD_TYPES: Partial<Record<SalesforceField['type'], string>> = {
    string: 'Text',
    textarea: 'LongTextArea',
    url: 'Url',
    picklist: 'Picklist',
    date: 'Date',
    datetime: 'DateTime',
    currency: 'Currency',
    double: 'Number',
    boolean: 'Checkbox'
};

function customField(name: string, field: SalesforceField): string {
    const type = FIELD_TYPES[field.type];
    if (!type) throw new Error(`No metadata type for ${name} (${field.type})`);
    let body =
        element('fullName', name) +
        element('description', field.description) +
        element('inlineHelpText', field.inlineHelpText);
    if (type === 'Checkbox') body += element('defaultValue', false);
    if (type === 'Text') body += element('externalId', field.externalId ?? false);
    body += element('label', field.label);
    if (type === 'Text' || type === 'LongTextArea') body += element('length', field.length);
    if (type === 'Number' || type === 'Currency')
        body += element('precision', field.precision) + element('scale', field.scale);
    if (type !== 'Checkbox') body += element('required', false);
    body += element('trackHistory', false);
    body += element('type', type);
    if (type === 'Text') {
        body += element('unique', field.unique ?? false);
        if (field.unique) body += element('caseSensitive', false);
    }
    if (type === 'LongTextArea') body += element('visibleLines', 3);
    if (field.picklist) {
        body += valueSet(
            field.picklist.values.map((value) => ({ name: value, label: value.replace(/([a-z])([A-Z])/g, '$1 $2') })),
            field.picklist.restricted
        );
    }
    return `${HEADER}<CustomField xmlns="${NS}">\n${body}</CustomField>\n`;
}

/** Every generated file, keyed by its path relative to the repository root. */
export function renderGeneratedMetadata(): Map<string, string> {
    const files = new Map<string, string>();
    const typeDir = `force-app/main/default/objects/${RULE_METADATA_TYPE}`;
    files.set(
        `${typeDir}/${RULE_METADATA_TYPE}.object-meta.xml`,
        `${HEADER}<CustomObject xmlns="${NS}">\n${element('description', 'Field rules of the CLM connector: per field, which system owns the value, how conflicts resolve and how the value is transformed. Generated defaults; admins change them in Setup.')}${element('label', 'CLM Field Mapping')}${element('pluralLabel', 'CLM Field Mappings')}${element('visibility', 'Public')}</CustomObject>\n`
    );
    for (const field of RULE_METADATA_FIELDS)
        files.set(`${typeDir}/fields/${field.name}.field-meta.xml`, metadataTypeField(field));

    for (const rule of DEFAULT_RULES) {
        const record = ruleToRecord(rule);
        const values = Object.entries(record.values)
            .map(([field, value]) => recordValue(field, value))
            .join('');
        files.set(
            `force-app/main/default/customMetadata/Clm_Field_Mapping.${record.developerName}.md-meta.xml`,
            `${HEADER}<CustomMetadata xmlns="${NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">\n${element('label', record.label)}${element('protected', false)}${values}</CustomMetadata>\n`
        );
    }

    for (const [object, fields] of Object.entries(SALESFORCE_OBJECTS)) {
        for (const [name, field] of Object.entries(fields) as [string, SalesforceField][]) {
            if (!field.package) continue;
            const root = field.package === 'cpq' ? 'force-app-cpq' : 'force-app';
            files.set(
                path.posix.join(root, 'main/default/objects', object, 'fields', `${name}.field-meta.xml`),
                customField(name, field)
            );
        }
    }
    for (const [relative, content] of renderOrgContract()) files.set(relative, content);
    return files;
}
