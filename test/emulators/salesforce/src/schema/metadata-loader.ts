// Reads package metadata into the schema: SFDX source (objects/<Obj>/<Obj>.object-meta.xml plus
// objects/<Obj>/fields/*.field-meta.xml), metadata-API `.object` files, permission sets in either format,
// custom settings (`customSettingsType`) and custom metadata records. A field added to force-app thereby exists in the emulator without a second definition.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { fieldFromMetadata, metadataFieldSchema, MetadataFieldError } from './metadata-fields.ts';
import { SchemaRegistry } from './registry.ts';
import { systemFields } from './standard-objects.ts';
import { defineField, type FieldDef, type ObjectDef } from './types.ts';

const ARRAY_TAGS = new Set([
    'fields',
    'value',
    'values',
    'objectPermissions',
    'fieldPermissions',
    'userPermissions',
    'customPermissions'
]);
const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseTagValue: false,
    isArray: (name) => ARRAY_TAGS.has(name)
});

export interface ObjectPermission {
    object: string;
    allowRead: boolean;
    allowCreate: boolean;
    allowEdit: boolean;
    allowDelete: boolean;
    viewAllRecords: boolean;
    modifyAllRecords: boolean;
}
export interface FieldPermission {
    field: string;
    readable: boolean;
    editable: boolean;
}
export interface PermissionSetDef {
    name: string;
    label: string;
    description: string;
    objectPermissions: ObjectPermission[];
    fieldPermissions: FieldPermission[];
    userPermissions: string[];
    /** Custom permissions the set enables (FeatureManagement.checkPermission). */
    customPermissions?: string[];
}
export interface CustomMetadataRecord {
    type: string;
    developerName: string;
    label: string;
    values: Record<string, unknown>;
}

export interface LoadedMetadata {
    permissionSets: PermissionSetDef[];
    customMetadataRecords: CustomMetadataRecord[];
    problems: string[];
}

type Xml = Record<string, unknown>;

function text(v: unknown): string | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'object') {
        const t = (v as Xml)['#text'];
        return t === undefined ? undefined : String(t);
    }
    return String(v);
}
const bool = (v: unknown) => text(v) === 'true';

function walk(dir: string, out: string[] = []): string[] {
    for (const name of readdirSync(dir)) {
        if (name === 'node_modules' || name.startsWith('.')) continue;
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) walk(full, out);
        else out.push(full);
    }
    return out;
}

/** Converts a <CustomField> element (already parsed) to the converter's input. */
function metadataFieldOf(xml: Xml, fallbackName: string): unknown {
    const valueSet = xml.valueSet as Xml | undefined;
    const definition = valueSet?.valueSetDefinition as Xml | undefined;
    const values = (definition?.value as Xml[] | undefined)?.map((v) => ({
        fullName: text(v.fullName) ?? '',
        label: text(v.label),
        default: text(v.default)
    }));
    const pick = (k: string) => text(xml[k]);
    const raw: Record<string, unknown> = { fullName: pick('fullName') ?? fallbackName };
    for (const k of [
        'label',
        'type',
        'length',
        'precision',
        'scale',
        'required',
        'unique',
        'externalId',
        'caseSensitive',
        'referenceTo',
        'relationshipName',
        'reparentableMasterDetail',
        'formula',
        'summaryOperation',
        'displayFormat',
        'defaultValue',
        'inlineHelpText'
    ]) {
        const v = pick(k);
        if (v !== undefined) raw[k] = v;
    }
    if (values) raw.values = values;
    if (valueSet && text(valueSet.restricted) !== undefined) raw.restricted = text(valueSet.restricted);
    return raw;
}

function kindOf(name: string): ObjectDef['kind'] {
    if (name.endsWith('__e')) return 'platformEvent';
    if (name.endsWith('__mdt')) return 'customMetadata';
    if (name.endsWith('__c')) return 'custom';
    return 'standard';
}

/** A new custom object, platform event or custom metadata type with its platform fields. */
export function newCustomObject(name: string, xml: Xml, fields: FieldDef[]): ObjectDef {
    const kind = kindOf(name);
    const label = text(xml.label) ?? name;
    const plural = text(xml.pluralLabel) ?? label;
    let head: FieldDef[] = [];
    let tail: FieldDef[] = [];
    const settingsType = text(xml.customSettingsType);
    const customSetting = settingsType === 'Hierarchy' || settingsType === 'List' ? settingsType : undefined;
    if (kind === 'custom' && customSetting) {
        // A custom setting has no owner and no sharing: SetupOwnerId names the org, profile or user a row is for
        // (one row each in a hierarchy setting); a list setting's rows are told apart by their unique Name.
        const sys = systemFields({ owner: false });
        const hierarchy = customSetting === 'Hierarchy';
        head = [
            ...sys.head,
            defineField('Name', 'string', {
                label: 'Name',
                length: 38,
                nameField: true,
                idLookup: true,
                nillable: hierarchy,
                defaultedOnCreate: hierarchy,
                unique: !hierarchy,
                custom: false,
                permissionable: false
            }),
            defineField('SetupOwnerId', 'reference', {
                label: 'Location ID',
                referenceTo: ['Organization', 'Profile', 'User'],
                relationshipName: 'SetupOwner',
                childRelationshipName: null,
                unique: hierarchy,
                custom: false,
                permissionable: false
            })
        ];
        tail = sys.tail;
    } else if (kind === 'custom') {
        const sys = systemFields({ owner: text(xml.sharingModel) !== 'ControlledByParent' });
        const nameXml = (xml.nameField as Xml | undefined) ?? {};
        const autoNumber = text(nameXml.type) === 'AutoNumber';
        const nameField = defineField('Name', 'string', {
            label: text(nameXml.label) ?? `${label} Name`,
            length: 80,
            nameField: true,
            nillable: autoNumber,
            autoNumber,
            displayFormat: text(nameXml.displayFormat),
            custom: false,
            permissionable: false,
            defaultedOnCreate: autoNumber
        });
        head = [...sys.head, nameField];
        tail = sys.tail;
    } else {
        head = SchemaRegistry.platformFieldsFor(kind);
    }
    const customFields = fields.filter((f) => !head.some((h) => h.name === f.name));
    return {
        ...(kind === 'platformEvent'
            ? {
                  publishBehavior:
                      text(xml.publishBehavior) === 'PublishImmediately'
                          ? ('PublishImmediately' as const)
                          : ('PublishAfterCommit' as const)
              }
            : {}),
        ...(customSetting && kind === 'custom' ? { customSetting } : {}),
        ...(kind === 'custom' && text(xml.sharingModel) ? { sharingModel: text(xml.sharingModel)! } : {}),
        name,
        label,
        labelPlural: plural,
        keyPrefix: '',
        custom: true,
        kind,
        createable: kind !== 'customMetadata',
        updateable: kind === 'custom',
        deletable: kind === 'custom',
        queryable: kind !== 'platformEvent',
        fields: [...head, ...customFields, ...tail]
    };
}

function fieldsFrom(elements: Xml[], objectName: string, problems: string[], where: string): FieldDef[] {
    const out: FieldDef[] = [];
    for (const el of elements) {
        try {
            const raw = metadataFieldSchema.parse(metadataFieldOf(el, ''));
            out.push(fieldFromMetadata(raw, objectName));
        } catch (e) {
            problems.push(`${where}: ${e instanceof MetadataFieldError ? e.message : String(e)}`);
        }
    }
    return out;
}

function applyObject(registry: SchemaRegistry, name: string, objXml: Xml | undefined, fields: FieldDef[]): void {
    const existing = registry.get(name);
    if (existing) {
        for (const f of fields) registry.addField(existing.name, f);
        return;
    }
    registry.addObject(newCustomObject(name, objXml ?? {}, fields));
}

/** Loads every object, field, permission set and custom metadata record under `root` into the registry. */
export function loadMetadataDir(root: string, registry: SchemaRegistry): LoadedMetadata {
    const loaded: LoadedMetadata = { permissionSets: [], customMetadataRecords: [], problems: [] };
    if (!existsSync(root)) {
        loaded.problems.push(`${root}: no such directory`);
        return loaded;
    }
    const files = walk(root);
    // SFDX source: group object-meta and field-meta files by object folder.
    const sfdxObjects = new Map<string, { objXml?: Xml; fieldEls: { xml: Xml; file: string }[] }>();
    for (const file of files) {
        const rel = file.split(path.sep);
        const objectsAt = rel.lastIndexOf('objects');
        if (objectsAt < 0) continue;
        if (file.endsWith('.object-meta.xml') || file.endsWith('.field-meta.xml')) {
            const objName = rel[objectsAt + 1];
            if (!objName) continue;
            const slot = sfdxObjects.get(objName) ?? { fieldEls: [] };
            sfdxObjects.set(objName, slot);
            try {
                const doc = parser.parse(readFileSync(file, 'utf8')) as Xml;
                if (file.endsWith('.object-meta.xml')) slot.objXml = (doc.CustomObject as Xml) ?? {};
                else slot.fieldEls.push({ xml: (doc.CustomField as Xml) ?? {}, file });
            } catch (e) {
                loaded.problems.push(`${file}: ${String(e)}`);
            }
        } else if (file.endsWith('.object')) {
            const objName = path.basename(file, '.object');
            try {
                const doc = parser.parse(readFileSync(file, 'utf8')) as Xml;
                const objXml = (doc.CustomObject as Xml) ?? {};
                const fields = fieldsFrom((objXml.fields as Xml[] | undefined) ?? [], objName, loaded.problems, file);
                applyObject(registry, objName, objXml, fields);
            } catch (e) {
                loaded.problems.push(`${file}: ${String(e)}`);
            }
        }
    }
    for (const [objName, slot] of sfdxObjects) {
        const fields: FieldDef[] = [];
        for (const { xml, file } of slot.fieldEls) {
            const fallback = path.basename(file, '.field-meta.xml');
            fields.push(...fieldsFrom([{ fullName: fallback, ...xml }], objName, loaded.problems, file));
        }
        applyObject(registry, objName, slot.objXml, fields);
    }
    for (const file of files) {
        if (file.endsWith('.permissionset-meta.xml') || file.endsWith('.permissionset')) {
            try {
                loaded.permissionSets.push(permissionSetOf(file));
            } catch (e) {
                loaded.problems.push(`${file}: ${String(e)}`);
            }
        } else if (file.endsWith('.md-meta.xml') && file.split(path.sep).includes('customMetadata')) {
            try {
                loaded.customMetadataRecords.push(customMetadataOf(file));
            } catch (e) {
                loaded.problems.push(`${file}: ${String(e)}`);
            }
        }
    }
    return loaded;
}

function permissionSetOf(file: string): PermissionSetDef {
    const doc = parser.parse(readFileSync(file, 'utf8')) as Xml;
    const ps = (doc.PermissionSet as Xml) ?? {};
    // SFDX source (X.permissionset-meta.xml) and metadata-API format (permissionsets/X.permissionset) alike.
    const name = path.basename(path.basename(file, '.permissionset-meta.xml'), '.permissionset');
    return {
        name,
        label: text(ps.label) ?? name,
        description: text(ps.description) ?? '',
        objectPermissions: ((ps.objectPermissions as Xml[] | undefined) ?? []).map((o) => ({
            object: text(o.object) ?? '',
            allowRead: bool(o.allowRead),
            allowCreate: bool(o.allowCreate),
            allowEdit: bool(o.allowEdit),
            allowDelete: bool(o.allowDelete),
            viewAllRecords: bool(o.viewAllRecords),
            modifyAllRecords: bool(o.modifyAllRecords)
        })),
        fieldPermissions: ((ps.fieldPermissions as Xml[] | undefined) ?? []).map((p) => ({
            field: text(p.field) ?? '',
            readable: bool(p.readable),
            editable: bool(p.editable)
        })),
        userPermissions: ((ps.userPermissions as Xml[] | undefined) ?? [])
            .filter((u) => bool(u.enabled))
            .map((u) => text(u.name) ?? ''),
        customPermissions: ((ps.customPermissions as Xml[] | undefined) ?? [])
            .filter((u) => bool(u.enabled))
            .map((u) => text(u.name) ?? '')
    };
}

function customMetadataOf(file: string): CustomMetadataRecord {
    const base = path.basename(file, '.md-meta.xml');
    const dot = base.indexOf('.');
    const type = `${base.slice(0, dot)}__mdt`;
    const doc = parser.parse(readFileSync(file, 'utf8')) as Xml;
    const cm = (doc.CustomMetadata as Xml) ?? {};
    const values: Record<string, unknown> = {};
    for (const v of (cm.values as Xml[] | undefined) ?? []) {
        const field = text(v.field);
        if (!field) continue;
        // <value> is parsed as a list (it is one inside picklist value sets); a record value has one.
        const raw = v.value as (Xml | string)[] | Xml | string | undefined;
        const value = Array.isArray(raw) ? raw[0] : raw;
        const nil = typeof value === 'object' && value !== null && value['@xsi:nil'] === 'true';
        values[field] = nil ? null : (text(value) ?? null);
    }
    return { type, developerName: base.slice(dot + 1), label: text(cm.label) ?? base.slice(dot + 1), values };
}
