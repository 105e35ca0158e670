// Object and field definitions in describe shape: one source of truth from which describe, validation,
// SOQL and FLS all read. Standard objects are written in standard-objects.ts; package objects come from
// SFDX/metadata-API XML (metadata-loader.ts); the admin API adds more at run time.

export type FieldType =
    | 'id'
    | 'string'
    | 'textarea'
    | 'picklist'
    | 'multipicklist'
    | 'combobox'
    | 'reference'
    | 'currency'
    | 'double'
    | 'percent'
    | 'int'
    | 'long'
    | 'boolean'
    | 'date'
    | 'datetime'
    | 'time'
    | 'email'
    | 'phone'
    | 'url'
    | 'address'
    | 'location'
    | 'base64'
    | 'encryptedstring';

export interface PicklistValue {
    active: boolean;
    defaultValue: boolean;
    label: string;
    value: string;
    validFor: string | null;
}

export interface FieldDef {
    name: string;
    label: string;
    type: FieldType;
    length: number;
    precision: number;
    scale: number;
    digits: number;
    createable: boolean;
    updateable: boolean;
    nillable: boolean;
    calculated: boolean;
    calculatedFormula: string | null;
    autoNumber: boolean;
    defaultedOnCreate: boolean;
    defaultValue: unknown;
    externalId: boolean;
    idLookup: boolean;
    unique: boolean;
    caseSensitive: boolean;
    custom: boolean;
    nameField: boolean;
    picklistValues: PicklistValue[];
    restrictedPicklist: boolean;
    dependentPicklist: boolean;
    controllerName: string | null;
    referenceTo: string[];
    relationshipName: string | null;
    relationshipOrder: number | null;
    cascadeDelete: boolean;
    compoundFieldName: string | null;
    extraTypeInfo: string | null;
    htmlFormatted: boolean;
    filterable: boolean;
    sortable: boolean;
    groupable: boolean;
    inlineHelpText: string | null;
    /** Internal: name of the child relationship on the referenced object (e.g. "Contacts"). */
    childRelationshipName?: string | null;
    /** Internal: field-level security applies (custom fields, optional standard fields). */
    permissionable: boolean;
    /** Internal: autonumber display format such as "Q-{00000}". */
    displayFormat?: string;
}

export type ObjectKind = 'standard' | 'custom' | 'platformEvent' | 'customMetadata' | 'setup';

export interface ObjectDef {
    name: string;
    label: string;
    labelPlural: string;
    keyPrefix: string;
    custom: boolean;
    kind: ObjectKind;
    createable: boolean;
    updateable: boolean;
    deletable: boolean;
    queryable: boolean;
    /** Internal: lower-cased field name → definition; kept in step with `fields` by the registry. */
    fields: FieldDef[];
    /** Internal: standard objects whose access comes with a profile rather than a permission set. */
    ownedBy?: 'User' | null;
    /** Custom settings (`customSettingsType` in the object's metadata): no owner, `SetupOwnerId` instead. */
    customSetting?: 'Hierarchy' | 'List';
    /** Custom objects: the organization-wide default their metadata sets (sharing.ts reads it). */
    sharingModel?: string;
    /** Platform events: published when the transaction commits (default) or at once, surviving a rollback. */
    publishBehavior?: 'PublishAfterCommit' | 'PublishImmediately';
}

const DEFAULT_LENGTH: Partial<Record<FieldType, number>> = {
    id: 18,
    reference: 18,
    string: 255,
    textarea: 255,
    picklist: 255,
    multipicklist: 4099,
    combobox: 255,
    email: 80,
    phone: 40,
    url: 255,
    encryptedstring: 175
};

function labelFromName(name: string): string {
    const bare = name.replace(/__c$/, '').replace(/^[A-Za-z0-9]+__/, '');
    return bare
        .replace(/_/g, ' ')
        .replace(/([a-z])([A-Z])/g, '$1 $2')
        .replace(/\bId$/, 'ID')
        .trim();
}

/** Builds a field with describe defaults for its type; `overrides` sets anything that differs. */
export function defineField(name: string, type: FieldType, overrides: Partial<FieldDef> = {}): FieldDef {
    const isNumber = type === 'currency' || type === 'double' || type === 'percent';
    const isBoolean = type === 'boolean';
    const base: FieldDef = {
        name,
        label: labelFromName(name),
        type,
        length: DEFAULT_LENGTH[type] ?? 0,
        precision: isNumber ? 18 : 0,
        scale: type === 'currency' ? 2 : 0,
        digits: type === 'int' ? 9 : type === 'long' ? 18 : 0,
        createable: true,
        updateable: true,
        nillable: !isBoolean,
        calculated: false,
        calculatedFormula: null,
        autoNumber: false,
        defaultedOnCreate: isBoolean,
        defaultValue: isBoolean ? false : null,
        externalId: false,
        idLookup: false,
        unique: false,
        caseSensitive: false,
        custom: name.endsWith('__c'),
        nameField: false,
        picklistValues: [],
        restrictedPicklist: false,
        dependentPicklist: false,
        controllerName: null,
        referenceTo: [],
        relationshipName: null,
        relationshipOrder: null,
        cascadeDelete: false,
        compoundFieldName: null,
        extraTypeInfo: null,
        htmlFormatted: false,
        filterable: type !== 'textarea' || (overrides.length ?? 255) <= 255,
        sortable: type !== 'multipicklist' && type !== 'address' && type !== 'location',
        groupable: !isNumber && type !== 'datetime' && type !== 'textarea' && type !== 'address',
        inlineHelpText: null,
        permissionable: true
    };
    const field = { ...base, ...overrides };
    if (field.calculated || field.autoNumber) {
        field.createable = false;
        field.updateable = false;
    }
    return field;
}

export function picklistValues(values: readonly string[], defaultValue?: string): PicklistValue[] {
    return values.map((v) => ({ active: true, defaultValue: v === defaultValue, label: v, value: v, validFor: null }));
}

const SOAP_TYPES: Record<FieldType, string> = {
    id: 'tns:ID',
    reference: 'tns:ID',
    string: 'xsd:string',
    textarea: 'xsd:string',
    picklist: 'xsd:string',
    multipicklist: 'xsd:string',
    combobox: 'xsd:string',
    email: 'xsd:string',
    phone: 'xsd:string',
    url: 'xsd:string',
    encryptedstring: 'xsd:string',
    currency: 'xsd:double',
    double: 'xsd:double',
    percent: 'xsd:double',
    int: 'xsd:int',
    long: 'xsd:long',
    boolean: 'xsd:boolean',
    date: 'xsd:date',
    datetime: 'xsd:dateTime',
    time: 'xsd:time',
    address: 'urn:address',
    location: 'urn:location',
    base64: 'xsd:base64Binary'
};

/** The field as describe answers it (the 50-odd keys real orgs send; internal properties removed). */
export function describeField(f: FieldDef): Record<string, unknown> {
    return {
        aggregatable:
            f.groupable || ['currency', 'double', 'percent', 'int', 'long', 'date', 'datetime'].includes(f.type),
        aiPredictionField: false,
        autoNumber: f.autoNumber,
        byteLength: f.length * 3,
        calculated: f.calculated,
        calculatedFormula: f.calculatedFormula,
        cascadeDelete: f.cascadeDelete,
        caseSensitive: f.caseSensitive,
        compoundFieldName: f.compoundFieldName,
        controllerName: f.controllerName,
        createable: f.createable,
        custom: f.custom,
        defaultValue: f.defaultValue,
        defaultValueFormula: null,
        defaultedOnCreate: f.defaultedOnCreate,
        dependentPicklist: f.dependentPicklist,
        deprecatedAndHidden: false,
        digits: f.digits,
        displayLocationInDecimal: false,
        encrypted: f.type === 'encryptedstring',
        externalId: f.externalId,
        extraTypeInfo: f.extraTypeInfo,
        filterable: f.filterable,
        filteredLookupInfo: null,
        formulaTreatNullNumberAsZero: false,
        groupable: f.groupable,
        highScaleNumber: false,
        htmlFormatted: f.htmlFormatted,
        idLookup: f.idLookup,
        inlineHelpText: f.inlineHelpText,
        label: f.label,
        length: f.length,
        mask: null,
        maskType: null,
        name: f.name,
        nameField: f.nameField,
        namePointing: false,
        nillable: f.nillable,
        permissionable: f.permissionable,
        picklistValues: f.picklistValues,
        polymorphicForeignKey: f.referenceTo.length > 1,
        precision: f.precision,
        queryByDistance: false,
        referenceTargetField: null,
        referenceTo: f.referenceTo,
        relationshipName: f.relationshipName,
        relationshipOrder: f.relationshipOrder,
        restrictedDelete: false,
        restrictedPicklist: f.restrictedPicklist,
        scale: f.scale,
        searchPrefilterable: false,
        soapType: SOAP_TYPES[f.type],
        sortable: f.sortable,
        type: f.type,
        unique: f.unique,
        updateable: f.updateable,
        writeRequiresMasterRead: f.cascadeDelete
    };
}
