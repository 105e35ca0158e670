/**
 * Field rules as the org stores them: records of the custom metadata type Clm_Field_Mapping__mdt. This module is
 * the one mapping between a FieldRule and a record, used both to generate the package's default records and to
 * read the org's records back at run time.
 */
import { ConnectorError } from './errors.ts';
import { FieldRule, type ConflictPolicy, type Direction, type FieldRuleInput } from './rules.ts';

export const RULE_METADATA_TYPE = 'Clm_Field_Mapping__mdt';

export interface MetadataFieldDefinition {
    name: string;
    label: string;
    type: 'Text' | 'TextArea' | 'LongTextArea' | 'Picklist' | 'Checkbox';
    length?: number;
    required?: boolean;
    values?: readonly { name: string; label: string }[];
    defaultValue?: string;
    description: string;
}

/** The custom metadata type's fields, in the order admins see them. */
export const RULE_METADATA_FIELDS: readonly MetadataFieldDefinition[] = [
    {
        name: 'Object__c',
        label: 'Salesforce Object',
        type: 'Text',
        length: 80,
        required: true,
        description: 'API name of the Salesforce object, e.g. Contract.'
    },
    {
        name: 'Field__c',
        label: 'Salesforce Field',
        type: 'Text',
        length: 80,
        required: true,
        description: 'API name of the field; for an address, the compound field (BillingAddress).'
    },
    {
        name: 'Clm_Field__c',
        label: 'CLM Field',
        type: 'Text',
        length: 120,
        required: true,
        description: 'Canonical CLM field, e.g. status.lifecycle, value, custom.<property>.'
    },
    {
        name: 'Direction__c',
        label: 'Direction',
        type: 'Picklist',
        required: true,
        values: [
            { name: 'SalesforceToClm', label: 'Salesforce to CLM' },
            { name: 'ClmToSalesforce', label: 'CLM to Salesforce' },
            { name: 'Bidirectional', label: 'Both ways' },
            { name: 'None', label: 'Not synced' }
        ],
        description: 'Which system owns the value.'
    },
    {
        name: 'Conflict_Policy__c',
        label: 'Conflict Policy',
        type: 'Picklist',
        values: [
            { name: 'SalesforceWins', label: 'Salesforce wins' },
            { name: 'ClmWins', label: 'CLM wins' },
            { name: 'NewestWins', label: 'Newest change wins' },
            { name: 'Manual', label: 'Manual review' }
        ],
        description: 'For fields synced both ways: what happens when both sides change the value.'
    },
    {
        name: 'Transform__c',
        label: 'Transform',
        type: 'LongTextArea',
        length: 32768,
        description: 'JSON transform, e.g. {"kind":"date","timeZone":"Europe/Berlin"}. Empty means copy.'
    },
    {
        name: 'Enabled__c',
        label: 'Enabled',
        type: 'Checkbox',
        defaultValue: 'true',
        description: 'Switch the rule off without deleting it.'
    },
    { name: 'Description__c', label: 'Description', type: 'TextArea', description: 'Why the rule exists.' }
];

export type RuleRecordValue = string | boolean | null;

/** A rule as a record's field values (plus its DeveloperName and label). */
export function ruleToRecord(input: FieldRuleInput): {
    developerName: string;
    label: string;
    values: Record<string, RuleRecordValue>;
} {
    const rule = FieldRule.parse(input);
    return {
        developerName: rule.name,
        label: rule.name.replace(/_/g, ' ').slice(0, 40),
        values: {
            Object__c: rule.sfObject,
            Field__c: rule.sfField,
            Clm_Field__c: rule.clmField,
            Direction__c: rule.direction,
            Conflict_Policy__c: rule.conflictPolicy ?? null,
            Transform__c: rule.transform.kind === 'copy' ? null : JSON.stringify(rule.transform),
            Enabled__c: rule.enabled,
            Description__c: rule.description ?? null
        }
    };
}

/** A record as queried from the org (`SELECT DeveloperName, Object__c, … FROM Clm_Field_Mapping__mdt`) → a rule. */
export function ruleFromRecord(record: Record<string, unknown>): FieldRuleInput {
    const name = String(record.DeveloperName ?? '');
    let transform: unknown = { kind: 'copy' };
    const rawTransform = record.Transform__c;
    if (typeof rawTransform === 'string' && rawTransform.trim() !== '') {
        try {
            transform = JSON.parse(rawTransform);
        } catch {
            throw new ConnectorError('MAPPING.INVALID_TRANSFORM_JSON', `${name}: Transform__c is not valid JSON`, {
                rule: name,
                field: 'Transform__c'
            });
        }
    }
    const direction = record.Direction__c;
    const policy = record.Conflict_Policy__c;
    return {
        name,
        sfObject: String(record.Object__c ?? ''),
        sfField: String(record.Field__c ?? ''),
        clmField: String(record.Clm_Field__c ?? ''),
        direction: direction as Direction,
        conflictPolicy:
            policy === null || policy === undefined || policy === '' ? undefined : (policy as ConflictPolicy),
        transform: transform as FieldRuleInput['transform'],
        enabled: record.Enabled__c !== false,
        description: typeof record.Description__c === 'string' ? record.Description__c : undefined
    };
}
