// The shapes the deploy checks share: the components found in the zip, the problems found in them, and the
// objects and fields a successful deploy adds to the org (handed to the emulator's schema).

export interface OrgSchema {
    objectExists(name: string): boolean;
    fieldExists(object: string, field: string): boolean;
}

export interface Problem {
    problem: string;
    problemType: 'Error' | 'Warning';
    lineNumber?: number;
    columnNumber?: number;
    /** The file the problem is in, when it is not the component's main file (a bundle's template). */
    fileName?: string;
}

/** One component of the deploy as the result reports it (a CustomField is its own component). */
export interface CheckedComponent {
    componentType: string;
    fullName: string;
    fileName: string;
    /** Text the component was deployed with; two deploys of the same text report it unchanged. */
    fingerprint: string;
    problems: Problem[];
    /** package.xml or a destructiveChanges manifest: reported, but not a component of the org. */
    isManifest?: boolean;
    /** ApexClass / ApexTrigger: the source text the org compiles. */
    apexSource?: string;
}

export type ObjectKind = 'standard' | 'custom' | 'platformEvent' | 'customMetadata' | 'bigObject' | 'external';

export interface PicklistEntry {
    value: string;
    label: string;
    isDefault: boolean;
}

/** A field as its metadata XML defines it (metadata-API names and types, e.g. type "Text", length 64). */
export interface DeployedField {
    fullName: string;
    label?: string;
    type?: string;
    length?: number;
    precision?: number;
    scale?: number;
    visibleLines?: number;
    required: boolean;
    unique: boolean;
    externalId: boolean;
    caseSensitive: boolean;
    formula?: string;
    defaultValue?: string;
    referenceTo?: string;
    relationshipName?: string;
    deleteConstraint?: string;
    displayFormat?: string;
    restrictedPicklist: boolean;
    picklistValues: PicklistEntry[];
    description?: string;
    inlineHelpText?: string;
}

export interface DeployedObject {
    name: string;
    kind: ObjectKind;
    /** Present when the deploy defined the object itself (not only fields on it). */
    label?: string;
    pluralLabel?: string;
    nameField?: { label?: string; type?: string; displayFormat?: string };
    eventType?: string;
    publishBehavior?: string;
    sharingModel?: string;
    fields: DeployedField[];
    /** The object's metadata-API file as deployed (objects/Name.object), for readers that parse XML themselves. */
    fileName: string;
    xml: string;
}

export interface DeployedPermissionSet {
    name: string;
    label?: string;
    objectPermissions: {
        object: string;
        allowCreate: boolean;
        allowRead: boolean;
        allowEdit: boolean;
        allowDelete: boolean;
        viewAllRecords: boolean;
        modifyAllRecords: boolean;
    }[];
    fieldPermissions: { field: string; readable: boolean; editable: boolean }[];
    /** Custom permissions the set enables (SetupEntityAccess rows once deployed). */
    customPermissions?: string[];
    classAccesses: string[];
    fileName: string;
    xml: string;
}

/** What a successful deploy that was not checkOnly changed in the org. */
export interface DeployedComponents {
    deployId: string;
    objects: DeployedObject[];
    permissionSets: DeployedPermissionSet[];
    /** Every component deployed, as `{type, fullName}`. */
    components: { type: string; fullName: string }[];
}

const CUSTOM_SUFFIXES: [string, ObjectKind][] = [
    ['__c', 'custom'],
    ['__e', 'platformEvent'],
    ['__mdt', 'customMetadata'],
    ['__b', 'bigObject'],
    ['__x', 'external']
];

export function objectKindOf(name: string): ObjectKind {
    return CUSTOM_SUFFIXES.find(([suffix]) => name.endsWith(suffix))?.[1] ?? 'standard';
}
