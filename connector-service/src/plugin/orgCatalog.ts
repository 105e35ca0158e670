/**
 * The org's live describe, reduced to the domain's FieldCatalog shape, so the pre-flight check runs the domain's
 * own rule checks (checkRules) against the real org instead of a second copy of them.
 */
import { z } from 'zod';
import type { FieldCatalog, SalesforceField, SalesforceFieldType } from '../domain/salesforce.ts';

/** The part of an sObject describe the checks read (describe carries ~50 keys per field; the rest is ignored). */
export const DescribeField = z.object({
    name: z.string(),
    type: z.string(),
    label: z.string().default(''),
    length: z.number().nullish(),
    precision: z.number().nullish(),
    scale: z.number().nullish(),
    calculated: z.boolean().default(false),
    autoNumber: z.boolean().default(false),
    createable: z.boolean().default(false),
    updateable: z.boolean().default(false),
    nillable: z.boolean().default(true),
    defaultedOnCreate: z.boolean().default(false),
    permissionable: z.boolean().default(true),
    restrictedPicklist: z.boolean().default(false),
    picklistValues: z.array(z.object({ value: z.string(), active: z.boolean().default(true) })).nullish(),
    referenceTo: z.array(z.string()).nullish(),
    compoundFieldName: z.string().nullish(),
    externalId: z.boolean().default(false),
    unique: z.boolean().default(false)
});
export type DescribeField = z.infer<typeof DescribeField>;

export const RecordTypeInfo = z.object({
    recordTypeId: z.string(),
    name: z.string().default(''),
    developerName: z.string().nullish(),
    active: z.boolean().default(true),
    master: z.boolean().default(false)
});
export type RecordTypeInfo = z.infer<typeof RecordTypeInfo>;

export const DescribeSObject = z.object({
    name: z.string(),
    fields: z.array(DescribeField),
    recordTypeInfos: z.array(RecordTypeInfo).default([])
});
export type DescribeSObject = z.infer<typeof DescribeSObject>;

/** Describe types the domain knows under another name; types missing here and in the domain are unsupported. */
const TYPE_ALIASES: Readonly<Record<string, SalesforceFieldType>> = {
    combobox: 'picklist',
    long: 'int',
    encryptedstring: 'string'
};
const DOMAIN_TYPES: ReadonlySet<string> = new Set<SalesforceFieldType>([
    'id',
    'string',
    'textarea',
    'picklist',
    'multipicklist',
    'date',
    'datetime',
    'currency',
    'double',
    'percent',
    'int',
    'boolean',
    'reference',
    'url',
    'email',
    'phone',
    'address'
]);

export function domainType(describeType: string): SalesforceFieldType | undefined {
    if (DOMAIN_TYPES.has(describeType)) return describeType as SalesforceFieldType;
    return TYPE_ALIASES[describeType];
}

const COMPONENT_SUFFIX = /(Street|City|State|PostalCode|Country)(__s)?$/;
const COMPONENT_KEY = {
    Street: 'street',
    City: 'city',
    State: 'state',
    PostalCode: 'postalCode',
    Country: 'country'
} as const;

function addressComponents(compound: DescribeField, fields: readonly DescribeField[]): SalesforceField['components'] {
    const parts: Partial<Record<'street' | 'city' | 'state' | 'postalCode' | 'country', string>> = {};
    for (const field of fields) {
        if (field.compoundFieldName !== compound.name) continue;
        const match = COMPONENT_SUFFIX.exec(field.name);
        if (match) parts[COMPONENT_KEY[match[1] as keyof typeof COMPONENT_KEY]] = field.name;
    }
    const { street, city, state, postalCode, country } = parts;
    return street && city && state && postalCode && country ? { street, city, state, postalCode, country } : undefined;
}

function toDomainField(field: DescribeField, all: readonly DescribeField[]): SalesforceField | undefined {
    const type = domainType(field.type);
    if (!type) return undefined;
    const activeValues = (field.picklistValues ?? []).filter((p) => p.active).map((p) => p.value);
    return {
        type,
        label: field.label,
        ...(field.length ? { length: field.length } : {}),
        ...(field.precision ? { precision: field.precision } : {}),
        ...(field.scale !== null && field.scale !== undefined ? { scale: field.scale } : {}),
        calculated: field.calculated,
        autoNumber: field.autoNumber,
        createable: field.createable,
        updateable: field.updateable,
        nillable: field.nillable,
        ...(type === 'picklist' || type === 'multipicklist'
            ? { picklist: { values: activeValues, restricted: field.restrictedPicklist && field.type !== 'combobox' } }
            : {}),
        ...(field.referenceTo?.length ? { referenceTo: field.referenceTo } : {}),
        ...(type === 'address' ? { components: addressComponents(field, all) } : {}),
        externalId: field.externalId,
        unique: field.unique
    };
}

/** Describes → the domain's catalog. Fields of a type the domain cannot sync are left out (see unsupportedType). */
export function catalogFromDescribes(describes: readonly DescribeSObject[]): FieldCatalog {
    const catalog: Record<string, Record<string, SalesforceField>> = {};
    for (const sobject of describes) {
        const fields: Record<string, SalesforceField> = {};
        for (const field of sobject.fields) {
            const converted = toDomainField(field, sobject.fields);
            if (converted) fields[field.name] = converted;
        }
        catalog[sobject.name] = fields;
    }
    return catalog;
}

export function describedField(
    describes: readonly DescribeSObject[],
    object: string,
    field: string
): DescribeField | undefined {
    return describes.find((d) => d.name === object)?.fields.find((f) => f.name === field);
}

/** The org is multi-currency when its records carry CurrencyIsoCode. */
export function isMultiCurrency(describes: readonly DescribeSObject[]): boolean {
    return describes.some((d) => d.fields.some((f) => f.name === 'CurrencyIsoCode'));
}
