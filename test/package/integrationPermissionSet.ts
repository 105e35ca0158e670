// Clm_Connector_Integration, derived: the integration user gets exactly the fields the field rules map
// (read for Salesforce → CLM, read and edit for CLM → Salesforce and two-way), the CLM link fields the
// connector stamps, View All Records on the objects whose change events it hears, Modify All Records on the objects
// whose records others own and it edits (a Private sharing model), the event objects, and the connector-written
// records (conflicts, sync errors, provenance). The rules come from the package's own custom metadata records, the field facts
// (required, calculated, compound) from the domain's field catalog.
//
// `npx tsx test/package/integrationPermissionSet.ts` rewrites the XML; integrationPermissionSet.test.ts
// fails when the committed file differs, so a changed rule set cannot leave the permission set behind.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { DEFAULT_FIELD_CATALOG, salesforceField } from '../../connector-service/src/domain/salesforce.ts';
import { repoRoot } from '../support/requirements.ts';

const DEFAULT_DIR = path.join(repoRoot, 'force-app/main/default');
export const INTEGRATION_PERMISSION_SET = path.join(
    DEFAULT_DIR,
    'permissionsets/Clm_Connector_Integration.permissionset-meta.xml'
);

/** Fields the connector writes on each linked object, whatever the rules say (ContractId links the deal). */
const LINK_FIELDS: Record<string, string[]> = {
    Contract: ['CLM_Contract_Id__c', 'CLM_Contract_Url__c', 'CLM_Last_Sync__c', 'CLM_Last_Sync_Result__c'],
    Opportunity: [
        'CLM_Contract_Id__c',
        'CLM_Contract_Url__c',
        'CLM_Last_Sync__c',
        'CLM_Last_Sync_Result__c',
        'ContractId'
    ]
};
/** The CLM originates contracts: the connector creates the Salesforce Contract when the CLM creates one. */
const CREATED_FROM_CLM = ['Contract'];
/** Records the connector upserts, and the events it hears and publishes. */
const CONNECTOR_RECORDS = [
    'Clm_Conflict__c',
    'Clm_Connector_Status__c',
    'Clm_Field_Provenance__c',
    'Clm_Sync_Error__c'
];

export interface FieldRuleRecord {
    name: string;
    object: string;
    field: string;
    direction: string;
    transform: { kind?: string; currencyField?: string };
}

export function readFieldRules(): FieldRuleRecord[] {
    const parser = new XMLParser({
        ignoreAttributes: true,
        parseTagValue: false,
        isArray: (name) => name === 'values'
    });
    const dir = path.join(DEFAULT_DIR, 'customMetadata');
    return readdirSync(dir)
        .filter((file) => file.startsWith('Clm_Field_Mapping.') && file.endsWith('.md-meta.xml'))
        .sort()
        .map((file) => {
            const values: { field: string; value: unknown }[] = parser.parse(readFileSync(path.join(dir, file), 'utf8'))
                .CustomMetadata.values;
            const get = (field: string): string => {
                const value = values.find((entry) => entry.field === field)?.value;
                return typeof value === 'string' ? value : '';
            };
            const transform = get('Transform__c');
            return {
                name: file.slice('Clm_Field_Mapping.'.length, -'.md-meta.xml'.length),
                object: get('Object__c'),
                field: get('Field__c'),
                direction: get('Direction__c'),
                transform: transform ? (JSON.parse(transform) as FieldRuleRecord['transform']) : {}
            };
        });
}

type Access = 'read' | 'edit';

/** Field → access the integration user needs, e.g. "Contract.SpecialTerms" → "edit". */
export function integrationFieldAccess(rules: FieldRuleRecord[]): Map<string, Access> {
    const access = new Map<string, Access>();
    const grant = (object: string, field: string, wanted: Access): void => {
        const facts = salesforceField(DEFAULT_FIELD_CATALOG, object, field);
        if (facts?.components) {
            for (const part of Object.values(facts.components)) grant(object, part, wanted);
            return;
        }
        // Required fields (a checkbox is never null, yet not required) have no field-level security; nor do system fields.
        if (facts && ((!facts.nillable && facts.type !== 'boolean') || field === 'Id' || field === 'OwnerId')) return;
        const editable = wanted === 'edit' && (!facts || (facts.updateable && !facts.calculated));
        const key = `${object}.${field}`;
        if (access.get(key) !== 'edit') access.set(key, editable ? 'edit' : 'read');
    };
    for (const rule of rules) {
        if (rule.direction === 'None') continue;
        const wanted: Access = rule.direction === 'SalesforceToClm' ? 'read' : 'edit';
        grant(rule.object, rule.field, wanted);
        if (rule.transform.currencyField) grant(rule.object, rule.transform.currencyField, wanted);
    }
    for (const [object, fields] of Object.entries(LINK_FIELDS))
        for (const field of fields) grant(object, field, 'edit');
    for (const object of CONNECTOR_RECORDS) {
        for (const file of readdirSync(path.join(DEFAULT_DIR, 'objects', object, 'fields'))) {
            access.set(`${object}.${file.replace('.field-meta.xml', '')}`, 'edit');
        }
    }
    return access;
}

/**
 * Objects whose change events the connector hears: those the rules read from Salesforce. A change event
 * subscriber needs View All Records on the object (Change Data Capture ignores sharing), and under a Private
 * sharing model the connector must see every deal anyway, whoever owns it.
 */
export function changeEventObjects(rules: FieldRuleRecord[]): string[] {
    const objects = rules
        .filter((rule) => rule.direction === 'SalesforceToClm' || rule.direction === 'Bidirectional')
        .map((rule) => rule.object);
    return [...new Set(objects)].sort();
}

/**
 * Objects whose records other users own and the connector edits (the deal's link and result fields, the CLM's terms):
 * under a Private sharing model only Modify All Records lets it, as a permission set can ship it (a Read/Write
 * sharing rule to a group holding the integration user is the org's alternative). Salesforce ties Delete to it; the
 * connector never deletes. The connector's own records (conflicts, errors, provenance) it owns, so they need none.
 */
export function modifyAllObjects(rules: FieldRuleRecord[]): string[] {
    const access = integrationFieldAccess(rules);
    const edited = [...access.entries()]
        .filter(([, wanted]) => wanted === 'edit')
        .map(([key]) => key.split('.')[0] ?? key)
        .filter((object) => !CONNECTOR_RECORDS.includes(object));
    return [...new Set(edited)].sort();
}

function objectPermission(
    object: string,
    create: boolean,
    edit: boolean,
    viewAll: boolean,
    modifyAll: boolean
): string {
    return [
        '    <objectPermissions>',
        `        <allowCreate>${create}</allowCreate>`,
        `        <allowDelete>${modifyAll}</allowDelete>`,
        `        <allowEdit>${edit}</allowEdit>`,
        '        <allowRead>true</allowRead>',
        `        <modifyAllRecords>${modifyAll}</modifyAllRecords>`,
        `        <object>${object}</object>`,
        `        <viewAllRecords>${viewAll || modifyAll}</viewAllRecords>`,
        '    </objectPermissions>'
    ].join('\n');
}

export function renderIntegrationPermissionSet(rules: FieldRuleRecord[]): string {
    const access = integrationFieldAccess(rules);
    const viewAll = new Set(changeEventObjects(rules));
    const modifyAll = new Set(modifyAllObjects(rules));
    const fields = [...access.keys()].sort();
    const objects = new Map<string, { create: boolean; edit: boolean }>();
    for (const key of fields) {
        const object = key.split('.')[0] ?? key;
        const current = objects.get(object) ?? { create: false, edit: false };
        const creates = CONNECTOR_RECORDS.includes(object) || CREATED_FROM_CLM.includes(object);
        objects.set(object, { create: creates, edit: current.edit || access.get(key) === 'edit' });
    }
    for (const rule of rules) if (!objects.has(rule.object)) objects.set(rule.object, { create: false, edit: false });
    objects.set('Clm_Sync_Request__e', { create: false, edit: false });
    objects.set('Clm_Sync_Status__e', { create: true, edit: false });
    const lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">',
        '    <customMetadataTypeAccesses>',
        '        <enabled>true</enabled>',
        '        <name>Clm_Field_Mapping__mdt</name>',
        '    </customMetadataTypeAccesses>',
        "    <description>For the connector's integration user only: exactly the fields the CLM field rules map (read for Salesforce to CLM, edit for CLM to Salesforce and two-way), the CLM link fields it stamps, View All Records on the objects whose changes it hears and Modify All Records on those whose records others own and it edits (under a Private sharing model; the connector never deletes), the sync request (subscribe) and status (publish) events, and the conflict, sync error and provenance records it upserts. Generated by test/package/integrationPermissionSet.ts from the rule records.</description>",
        ...fields.map((field) =>
            [
                '    <fieldPermissions>',
                `        <editable>${access.get(field) === 'edit'}</editable>`,
                `        <field>${field}</field>`,
                '        <readable>true</readable>',
                '    </fieldPermissions>'
            ].join('\n')
        ),
        '    <hasActivationRequired>false</hasActivationRequired>',
        '    <label>CLM Connector Integration</label>',
        ...[...objects.keys()].sort().map((object) => {
            const grant = objects.get(object) ?? { create: false, edit: false };
            return objectPermission(object, grant.create, grant.edit, viewAll.has(object), modifyAll.has(object));
        }),
        '    <userPermissions>',
        '        <enabled>true</enabled>',
        '        <name>ApiEnabled</name>',
        '    </userPermissions>',
        '</PermissionSet>',
        ''
    ];
    return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    writeFileSync(INTEGRATION_PERMISSION_SET, renderIntegrationPermissionSet(readFieldRules()));
    console.log(`wrote ${path.relative(repoRoot, INTEGRATION_PERMISSION_SET)}`);
}
