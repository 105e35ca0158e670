// Converts a field as written in package metadata (CustomField XML: Text, Lookup, Summary, …) to its describe
// form. One converter for SFDX source, metadata-API `.object` files, the CPQ definitions and the admin API.
import { z } from 'zod';
import { defineField, picklistValues, type FieldDef, type FieldType, type PicklistValue } from './types.ts';

const boolish = z
    .union([z.boolean(), z.string()])
    .transform((v) => v === true || v === 'true')
    .optional();
const numish = z.union([z.number(), z.string()]).transform(Number).optional();

export const metadataFieldSchema = z.object({
    fullName: z.string().min(1),
    label: z.string().optional(),
    type: z.string().optional(),
    length: numish,
    precision: numish,
    scale: numish,
    required: boolish,
    unique: boolish,
    externalId: boolish,
    caseSensitive: boolish,
    referenceTo: z.string().optional(),
    relationshipName: z.string().optional(),
    reparentableMasterDetail: boolish,
    formula: z.string().optional(),
    summaryOperation: z.string().optional(),
    displayFormat: z.string().optional(),
    defaultValue: z.union([z.string(), z.boolean(), z.number()]).optional(),
    inlineHelpText: z.string().optional(),
    restricted: boolish,
    values: z.array(z.object({ fullName: z.string(), label: z.string().optional(), default: boolish })).optional()
});
export type MetadataField = z.infer<typeof metadataFieldSchema>;

const TYPE_MAP: Record<string, FieldType> = {
    Text: 'string',
    TextArea: 'textarea',
    LongTextArea: 'textarea',
    Html: 'textarea',
    Number: 'double',
    Currency: 'currency',
    Percent: 'percent',
    Checkbox: 'boolean',
    Date: 'date',
    DateTime: 'datetime',
    Time: 'time',
    Email: 'email',
    Phone: 'phone',
    Url: 'url',
    Picklist: 'picklist',
    MultiselectPicklist: 'multipicklist',
    Lookup: 'reference',
    MasterDetail: 'reference',
    MetadataRelationship: 'string',
    AutoNumber: 'string',
    Summary: 'double',
    EncryptedText: 'encryptedstring',
    Location: 'location'
};

export class MetadataFieldError extends Error {}

/** The relationship name a reference field gets on its own object (Foo__c → Foo__r, AccountId → Account). */
export function parentRelationshipName(fieldName: string): string {
    return fieldName.endsWith('__c') ? fieldName.replace(/__c$/, '__r') : fieldName.replace(/Id$/, '');
}

export function fieldFromMetadata(raw: MetadataField, objectName: string): FieldDef {
    const m = metadataFieldSchema.parse(raw);
    const mdType = m.type ?? (m.formula ? 'Text' : undefined);
    if (!mdType) throw new MetadataFieldError(`${objectName}.${m.fullName}: field has no <type>`);
    const type = TYPE_MAP[mdType];
    if (!type) throw new MetadataFieldError(`${objectName}.${m.fullName}: unknown field type '${mdType}'`);
    const overrides: Partial<FieldDef> = { label: m.label ?? m.fullName, custom: m.fullName.endsWith('__c') };
    if (m.inlineHelpText) overrides.inlineHelpText = m.inlineHelpText;
    switch (mdType) {
        case 'Text':
        case 'EncryptedText':
            overrides.length = m.length ?? 255;
            break;
        case 'TextArea':
            overrides.length = 255;
            break;
        case 'LongTextArea':
        case 'Html':
            overrides.length = m.length ?? 32768;
            overrides.filterable = false;
            overrides.sortable = false;
            overrides.htmlFormatted = mdType === 'Html';
            overrides.extraTypeInfo = mdType === 'Html' ? 'richtextarea' : 'plaintextarea';
            break;
        case 'Number':
        case 'Currency':
        case 'Percent':
            overrides.precision = m.precision ?? 18;
            overrides.scale = m.scale ?? 0;
            break;
        case 'AutoNumber':
            overrides.autoNumber = true;
            overrides.length = 30;
            overrides.displayFormat = m.displayFormat ?? 'A-{0000}';
            break;
        case 'Summary':
            overrides.calculated = true;
            overrides.calculatedFormula = null;
            overrides.precision = 18;
            overrides.scale = 2;
            break;
        case 'Lookup':
        case 'MasterDetail': {
            if (!m.referenceTo)
                throw new MetadataFieldError(`${objectName}.${m.fullName}: ${mdType} needs <referenceTo>`);
            overrides.referenceTo = [m.referenceTo];
            overrides.relationshipName = parentRelationshipName(m.fullName);
            overrides.childRelationshipName = m.relationshipName ? `${m.relationshipName}__r` : null;
            if (mdType === 'MasterDetail') {
                overrides.nillable = false;
                overrides.cascadeDelete = true;
                overrides.updateable = m.reparentableMasterDetail === true;
                overrides.relationshipOrder = 0;
                // Field-level security does not apply to a master-detail field: it is visible with its object.
                overrides.permissionable = false;
            }
            break;
        }
        case 'Picklist':
        case 'MultiselectPicklist': {
            const values: PicklistValue[] = (m.values ?? []).map((v) => ({
                active: true,
                defaultValue: v.default === true,
                label: v.label ?? v.fullName,
                value: v.fullName,
                validFor: null
            }));
            overrides.picklistValues = values;
            overrides.restrictedPicklist = m.restricted === true;
            const dflt = values.find((v) => v.defaultValue);
            if (dflt) {
                overrides.defaultValue = dflt.value;
                overrides.defaultedOnCreate = true;
            }
            break;
        }
        case 'Checkbox':
            overrides.defaultValue = m.defaultValue === true || m.defaultValue === 'true';
            break;
    }
    if (m.formula !== undefined) {
        overrides.calculated = true;
        overrides.calculatedFormula = m.formula.trim();
    }
    // A universally required field has no field-level security either (deploying it in a permission set fails).
    if (m.required && mdType !== 'Checkbox') {
        overrides.nillable = false;
        overrides.permissionable = false;
    }
    if (m.unique) overrides.unique = true;
    if (m.caseSensitive) overrides.caseSensitive = true;
    if (m.externalId) {
        overrides.externalId = true;
        overrides.idLookup = true;
    }
    return defineField(m.fullName, type, overrides);
}

export { picklistValues };
