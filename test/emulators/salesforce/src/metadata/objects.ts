// CustomObject files (objects/Name.object in a metadata-format zip): the object and its fields, read into the
// shapes a deploy hands to the schema, and checked with the rules Setup enforces on save — name formats,
// required attributes per field type, the field types each kind of object allows, and that lookups point
// at objects that exist in the zip or in the org.
import type { DeployedField, DeployedObject, ObjectKind, PicklistEntry, Problem } from './model.ts';
import { objectKindOf } from './model.ts';
import type { ParsedXml, XmlNode } from './xml.ts';
import { childBoolean, childPosition, children, childText, positionOf } from './xml.ts';

export interface FieldEntry {
    field: DeployedField;
    node: XmlNode;
}

export interface ObjectEntry {
    object: DeployedObject;
    parsed: ParsedXml;
    fields: FieldEntry[];
}

function numberOf(node: XmlNode, name: string): number | undefined {
    const text = childText(node, name);
    if (text === undefined || text === '') return undefined;
    const value = Number(text);
    return Number.isFinite(value) ? value : Number.NaN;
}

function picklistOf(node: XmlNode): { restricted: boolean; values: PicklistEntry[] } {
    const valueSet = children(node, 'valueSet')[0];
    if (!valueSet) return { restricted: false, values: [] };
    const definition = children(valueSet, 'valueSetDefinition')[0];
    const values = definition
        ? children(definition, 'value').map((v) => ({
              value: childText(v, 'fullName') ?? '',
              label: childText(v, 'label') ?? childText(v, 'fullName') ?? '',
              isDefault: childBoolean(v, 'default') ?? false
          }))
        : [];
    return { restricted: childBoolean(valueSet, 'restricted') ?? false, values };
}

export function readField(node: XmlNode): DeployedField {
    const picklist = picklistOf(node);
    return {
        fullName: childText(node, 'fullName') ?? '',
        label: childText(node, 'label'),
        type: childText(node, 'type'),
        length: numberOf(node, 'length'),
        precision: numberOf(node, 'precision'),
        scale: numberOf(node, 'scale'),
        visibleLines: numberOf(node, 'visibleLines'),
        required: childBoolean(node, 'required') ?? false,
        unique: childBoolean(node, 'unique') ?? false,
        externalId: childBoolean(node, 'externalId') ?? false,
        caseSensitive: childBoolean(node, 'caseSensitive') ?? false,
        formula: childText(node, 'formula'),
        defaultValue: childText(node, 'defaultValue'),
        referenceTo: childText(node, 'referenceTo'),
        relationshipName: childText(node, 'relationshipName'),
        deleteConstraint: childText(node, 'deleteConstraint'),
        displayFormat: childText(node, 'displayFormat'),
        restrictedPicklist: picklist.restricted,
        picklistValues: picklist.values,
        description: childText(node, 'description'),
        inlineHelpText: childText(node, 'inlineHelpText')
    };
}

export function readObject(name: string, fileName: string, parsed: ParsedXml): ObjectEntry {
    const root = parsed.root;
    const nameFieldNode = children(root, 'nameField')[0];
    const fields = children(root, 'fields').map((node) => ({ field: readField(node), node }));
    const object: DeployedObject = {
        name,
        kind: objectKindOf(name),
        label: childText(root, 'label'),
        pluralLabel: childText(root, 'pluralLabel'),
        nameField: nameFieldNode
            ? {
                  label: childText(nameFieldNode, 'label'),
                  type: childText(nameFieldNode, 'type'),
                  displayFormat: childText(nameFieldNode, 'displayFormat')
              }
            : undefined,
        eventType: childText(root, 'eventType'),
        publishBehavior: childText(root, 'publishBehavior'),
        sharingModel: childText(root, 'sharingModel'),
        fields: fields.map((f) => f.field),
        fileName,
        xml: parsed.text
    };
    return { object, parsed, fields };
}

// Developer names: a letter first, letters/digits/single underscores, no trailing underscore.
const DEVELOPER_NAME = /^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*(?<!_)$/;

/** Checks a custom API name such as Clm_Id__c or Clm_Sync_Status__e (base at most 40 characters). */
export function apiNameProblem(name: string, suffix: string, what: string): string | undefined {
    if (!name.endsWith(suffix)) return `${what} name ${name} must end with ${suffix}`;
    const base = name.slice(0, -suffix.length);
    if (!DEVELOPER_NAME.test(base)) {
        return `${what} name ${name} is invalid: it must begin with a letter, contain only letters, digits and single underscores, and not end with an underscore`;
    }
    if (base.length > 40) return `${what} name ${name} is longer than 40 characters`;
    return undefined;
}

export function isDeveloperName(name: string): boolean {
    return DEVELOPER_NAME.test(name) && name.length <= 40;
}

const ALL_FIELD_TYPES = [
    'AutoNumber',
    'Checkbox',
    'Currency',
    'Date',
    'DateTime',
    'Email',
    'EncryptedText',
    'ExternalLookup',
    'Hierarchy',
    'Html',
    'IndirectLookup',
    'Location',
    'LongTextArea',
    'Lookup',
    'MasterDetail',
    'MetadataRelationship',
    'MultiselectPicklist',
    'Number',
    'Percent',
    'Phone',
    'Picklist',
    'Summary',
    'Text',
    'TextArea',
    'Time',
    'Url'
] as const;

/** Field types each kind of object accepts (Platform Events and Custom Metadata Types developer guides). */
const FIELD_TYPES_BY_KIND: Partial<Record<ObjectKind, readonly string[]>> = {
    platformEvent: ['Checkbox', 'Date', 'DateTime', 'Number', 'Text', 'LongTextArea'],
    customMetadata: [
        'Checkbox',
        'Date',
        'DateTime',
        'Email',
        'MetadataRelationship',
        'Number',
        'Percent',
        'Phone',
        'Picklist',
        'Text',
        'TextArea',
        'LongTextArea',
        'Url'
    ]
};

const FORMULA_RESULT_TYPES = ['Checkbox', 'Currency', 'Date', 'DateTime', 'Number', 'Percent', 'Text', 'Time'];

type ExistsFn = (objectName: string) => boolean;

function problemAt(xml: ParsedXml, node: XmlNode, element: string | undefined, problem: string): Problem {
    const at = element ? childPosition(xml, node, element) : positionOf(xml, node);
    return { problem, problemType: 'Error', lineNumber: at.line, columnNumber: at.column };
}

/** The rules for one field; `existsObject` answers for the zip and the org together. */
export function checkField(
    entry: ObjectEntry,
    fieldEntry: FieldEntry,
    existsObject: ExistsFn,
    existsStandardField: (object: string, field: string) => boolean
): Problem[] {
    const { field, node } = fieldEntry;
    const xml = entry.parsed;
    const kind = entry.object.kind;
    const problems: Problem[] = [];
    const fail = (element: string | undefined, problem: string) =>
        problems.push(problemAt(xml, node, element, problem));
    if (!field.fullName) {
        fail(undefined, 'Field has no fullName');
        return problems;
    }
    if (!field.fullName.endsWith('__c')) {
        // A standard field customised in a standard object's file (picklist values, help text): it must exist.
        if (kind !== 'standard' || !existsStandardField(entry.object.name, field.fullName)) {
            fail('fullName', `Custom field name ${field.fullName} must end with __c`);
        }
        return problems;
    }
    const nameProblem = apiNameProblem(field.fullName, '__c', 'Field');
    if (nameProblem) fail('fullName', nameProblem);
    if (!field.label) fail(undefined, `Field ${field.fullName}: label is required`);
    else if (field.label.length > 40) fail('label', `Field ${field.fullName}: label is longer than 40 characters`);
    const type = field.type;
    if (!type) {
        fail(undefined, `Field ${field.fullName}: type is required`);
        return problems;
    }
    if (!(ALL_FIELD_TYPES as readonly string[]).includes(type)) {
        fail('type', `Field ${field.fullName}: bad value for field type: ${type}`);
        return problems;
    }
    const allowed = FIELD_TYPES_BY_KIND[kind];
    if (allowed && !allowed.includes(type)) {
        fail('type', `Field ${field.fullName}: the field type ${type} is not allowed on ${entry.object.name}`);
    }
    if (type === 'MetadataRelationship' && kind !== 'customMetadata') {
        fail('type', `Field ${field.fullName}: MetadataRelationship fields are only allowed on custom metadata types`);
    }
    const isFormula = field.formula !== undefined;
    if (isFormula && !FORMULA_RESULT_TYPES.includes(type)) {
        fail('formula', `Field ${field.fullName}: a formula cannot return ${type}`);
    }
    const length = field.length;
    const needLength = (min: number, max: number) => {
        if (length === undefined) fail(undefined, `Field ${field.fullName}: length is required for ${type}`);
        else if (!Number.isInteger(length) || length < min || length > max) {
            fail('length', `Field ${field.fullName}: length must be between ${min} and ${max}, was ${length}`);
        }
    };
    const needPrecision = () => {
        const { precision, scale } = field;
        if (precision === undefined) fail(undefined, `Field ${field.fullName}: precision is required for ${type}`);
        else if (!Number.isInteger(precision) || precision < 1 || precision > 18) {
            fail('precision', `Field ${field.fullName}: precision must be between 1 and 18, was ${precision}`);
        } else if (scale !== undefined && (!Number.isInteger(scale) || scale < 0 || scale > precision)) {
            fail(
                'scale',
                `Field ${field.fullName}: scale must be between 0 and the precision (${precision}), was ${scale}`
            );
        }
    };
    switch (type) {
        case 'Text':
            if (!isFormula) needLength(1, 255);
            break;
        case 'EncryptedText':
            needLength(1, 175);
            break;
        case 'LongTextArea':
        case 'Html':
            needLength(256, 131072);
            if (field.visibleLines === undefined)
                fail(undefined, `Field ${field.fullName}: visibleLines is required for ${type}`);
            break;
        case 'Number':
        case 'Currency':
        case 'Percent':
            needPrecision();
            break;
        case 'Checkbox':
            if (!isFormula && field.defaultValue !== 'true' && field.defaultValue !== 'false') {
                fail('defaultValue', `Field ${field.fullName}: a Checkbox needs defaultValue true or false`);
            }
            break;
        case 'Picklist':
        case 'MultiselectPicklist': {
            const valueSet = children(node, 'valueSet')[0];
            const named = valueSet ? childText(valueSet, 'valueSetName') : undefined;
            if (!valueSet) fail(undefined, `Field ${field.fullName}: a ${type} needs a valueSet`);
            else if (!named && field.picklistValues.length === 0) {
                fail('valueSet', `Field ${field.fullName}: the valueSet has no values`);
            }
            const seen = new Set<string>();
            for (const v of field.picklistValues) {
                if (!v.value) fail('valueSet', `Field ${field.fullName}: a picklist value has no fullName`);
                else if (seen.has(v.value.toLowerCase())) {
                    fail('valueSet', `Field ${field.fullName}: duplicate picklist value ${v.value}`);
                }
                seen.add(v.value.toLowerCase());
            }
            if (type === 'Picklist' && field.picklistValues.filter((v) => v.isDefault).length > 1) {
                fail('valueSet', `Field ${field.fullName}: only one picklist value can be the default`);
            }
            if (type === 'MultiselectPicklist' && field.visibleLines === undefined) {
                fail(undefined, `Field ${field.fullName}: visibleLines is required for MultiselectPicklist`);
            }
            break;
        }
        case 'Lookup':
        case 'MasterDetail':
        case 'MetadataRelationship':
        case 'Hierarchy': {
            const target = type === 'Hierarchy' ? 'User' : field.referenceTo;
            if (!target) fail(undefined, `Field ${field.fullName}: referenceTo is required for ${type}`);
            else if (!existsObject(target)) {
                fail(
                    'referenceTo',
                    `Field ${field.fullName}: referenceTo value of '${target}' does not resolve to a valid sObject type`
                );
            }
            if (type !== 'MetadataRelationship') {
                if (!field.relationshipName)
                    fail(undefined, `Field ${field.fullName}: relationshipName is required for ${type}`);
                else if (!DEVELOPER_NAME.test(field.relationshipName)) {
                    fail(
                        'relationshipName',
                        `Field ${field.fullName}: relationshipName ${field.relationshipName} is not a valid name`
                    );
                }
            }
            if (
                type === 'MasterDetail' &&
                entry.object.label !== undefined &&
                entry.object.sharingModel !== 'ControlledByParent'
            ) {
                fail(
                    'type',
                    `Field ${field.fullName}: an object with a master-detail field must have sharingModel ControlledByParent`
                );
            }
            if (
                type === 'Lookup' &&
                field.deleteConstraint &&
                !['SetNull', 'Restrict', 'Cascade'].includes(field.deleteConstraint)
            ) {
                fail(
                    'deleteConstraint',
                    `Field ${field.fullName}: bad value for deleteConstraint: ${field.deleteConstraint}`
                );
            }
            break;
        }
        case 'AutoNumber':
            if (!field.displayFormat || !/\{0+\}/.test(field.displayFormat)) {
                fail(
                    field.displayFormat ? 'displayFormat' : undefined,
                    `Field ${field.fullName}: an AutoNumber needs a displayFormat with {0…}`
                );
            }
            break;
        case 'Summary':
            if (kind !== 'custom' && kind !== 'standard')
                fail('type', `Field ${field.fullName}: roll-up summaries need a master object`);
            break;
        default:
            break;
    }
    if (field.externalId && !['Text', 'Number', 'Email', 'AutoNumber'].includes(type)) {
        fail(
            'externalId',
            `Field ${field.fullName}: only Text, Number, Email and AutoNumber fields can be external ids`
        );
    }
    if (field.unique && !['Text', 'Number', 'Email'].includes(type)) {
        fail('unique', `Field ${field.fullName}: only Text, Number and Email fields can be unique`);
    }
    if (field.required && isFormula) fail('required', `Field ${field.fullName}: a formula field cannot be required`);
    return problems;
}

const SHARING_MODELS = [
    'Private',
    'Read',
    'ReadWrite',
    'ReadWriteTransfer',
    'FullAccess',
    'ControlledByParent',
    'ReadSelect'
];

/** Rules for the object itself when the deploy defines it (it is named as a CustomObject in package.xml). */
export function checkObjectDefinition(entry: ObjectEntry, existsInOrg: boolean): Problem[] {
    const { object, parsed } = entry;
    const problems: Problem[] = [];
    const root = parsed.root;
    const fail = (element: string | undefined, problem: string) =>
        problems.push(problemAt(parsed, root, element, problem));
    if (object.kind === 'standard') {
        if (!existsInOrg)
            fail(
                undefined,
                `Cannot create the object ${object.name}: custom object names must end with __c, __e or __mdt`
            );
        return problems;
    }
    const suffix = object.name.slice(object.name.lastIndexOf('__'));
    const nameProblem = apiNameProblem(object.name, suffix, 'Object');
    if (nameProblem) fail(undefined, nameProblem);
    if (!object.label) fail(undefined, `${object.name}: label is required`);
    if (!object.pluralLabel) fail(undefined, `${object.name}: pluralLabel is required`);
    const deploymentStatus = childText(root, 'deploymentStatus');
    if (deploymentStatus !== undefined && !['Deployed', 'InDevelopment'].includes(deploymentStatus)) {
        fail('deploymentStatus', `${object.name}: bad value for deploymentStatus: ${deploymentStatus}`);
    }
    switch (object.kind) {
        case 'custom': {
            if (!object.nameField) fail(undefined, `${object.name}: nameField is required`);
            else {
                const { type, label, displayFormat } = object.nameField;
                if (!label) fail('nameField', `${object.name}: nameField needs a label`);
                if (type !== 'Text' && type !== 'AutoNumber')
                    fail('nameField', `${object.name}: nameField type must be Text or AutoNumber`);
                if (type === 'AutoNumber' && !/\{0+\}/.test(displayFormat ?? '')) {
                    fail('nameField', `${object.name}: an AutoNumber name field needs a displayFormat with {0…}`);
                }
            }
            if (object.sharingModel !== undefined && !SHARING_MODELS.includes(object.sharingModel)) {
                fail('sharingModel', `${object.name}: bad value for sharingModel: ${object.sharingModel}`);
            }
            break;
        }
        case 'platformEvent':
            if (object.eventType !== undefined && !['HighVolume', 'StandardVolume'].includes(object.eventType)) {
                fail('eventType', `${object.name}: bad value for eventType: ${object.eventType}`);
            }
            if (
                object.publishBehavior !== undefined &&
                !['PublishAfterCommit', 'PublishImmediately'].includes(object.publishBehavior)
            ) {
                fail('publishBehavior', `${object.name}: bad value for publishBehavior: ${object.publishBehavior}`);
            }
            break;
        default:
            break;
    }
    const seen = new Set<string>();
    for (const { field, node } of entry.fields) {
        const key = field.fullName.toLowerCase();
        if (seen.has(key))
            problems.push(problemAt(parsed, node, 'fullName', `${object.name}: duplicate field ${field.fullName}`));
        seen.add(key);
    }
    return problems;
}
