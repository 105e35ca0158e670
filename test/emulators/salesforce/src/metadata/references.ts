// Checks of components that point at other components: permission sets (objects, fields, classes, tabs,
// apps), custom metadata records (their type and its fields), tabs, apps, page layouts, Lightning pages,
// quick actions and event channel members. Each reference must resolve in the zip or in the org.
import type { Problem } from './model.ts';
import type { DeployedField } from './model.ts';
import type { ParsedXml, XmlNode } from './xml.ts';
import { childBoolean, childPosition, children, childText, childTexts, positionOf } from './xml.ts';
import { isDeveloperName } from './objects.ts';

/** What the checks may ask about the zip and the org together. */
export interface Resolver {
    objectExists(name: string): boolean;
    fieldExists(object: string, field: string): boolean;
    /** The field's definition when the zip or an earlier deploy defined it (standard fields: undefined). */
    fieldDefinition(object: string, field: string): DeployedField | undefined;
    objectKind(name: string): string;
    componentExists(type: string, fullName: string): boolean;
}

function at(xml: ParsedXml, node: XmlNode, element: string | undefined, problem: string): Problem {
    const position = element ? childPosition(xml, node, element) : positionOf(xml, node);
    return { problem, problemType: 'Error', lineNumber: position.line, columnNumber: position.column };
}

const PERMISSION_FLAGS = [
    'allowCreate',
    'allowRead',
    'allowEdit',
    'allowDelete',
    'viewAllRecords',
    'modifyAllRecords'
] as const;

/** Which permissions each permission needs (Setup refuses, e.g., Edit without Read). */
const PERMISSION_NEEDS: Record<(typeof PERMISSION_FLAGS)[number], readonly (typeof PERMISSION_FLAGS)[number][]> = {
    allowCreate: ['allowRead'],
    allowRead: [],
    allowEdit: ['allowRead'],
    allowDelete: ['allowRead', 'allowEdit'],
    viewAllRecords: ['allowRead'],
    modifyAllRecords: ['allowRead', 'allowEdit', 'allowDelete', 'viewAllRecords']
};

function checkPermissionSet(_fullName: string, xml: ParsedXml, resolve: Resolver): Problem[] {
    const root = xml.root;
    const problems: Problem[] = [];
    if (!childText(root, 'label')) problems.push(at(xml, root, undefined, 'PermissionSet: label is required'));
    for (const node of children(root, 'objectPermissions')) {
        const object = childText(node, 'object') ?? '';
        if (!resolve.objectExists(object)) {
            problems.push(at(xml, node, 'object', `In field: object - no CustomObject named ${object} found`));
            continue;
        }
        const granted = new Set(PERMISSION_FLAGS.filter((flag) => childBoolean(node, flag) === true));
        for (const flag of granted) {
            const missing = PERMISSION_NEEDS[flag].filter((needed) => !granted.has(needed));
            if (missing.length > 0) {
                problems.push(
                    at(
                        xml,
                        node,
                        flag,
                        `Permission ${flag} on ${object} depends on permission(s): ${missing.join(', ')}`
                    )
                );
            }
        }
        if (resolve.objectKind(object) === 'platformEvent') {
            const extra = [...granted].filter((flag) => flag !== 'allowRead' && flag !== 'allowCreate');
            if (extra.length > 0) {
                problems.push(
                    at(
                        xml,
                        node,
                        extra[0],
                        `Platform event ${object} only supports the Read and Create permissions, not ${extra.join(', ')}`
                    )
                );
            }
        }
    }
    for (const node of children(root, 'fieldPermissions')) {
        const qualified = childText(node, 'field') ?? '';
        const dot = qualified.indexOf('.');
        const object = qualified.slice(0, dot);
        const field = qualified.slice(dot + 1);
        if (dot <= 0 || !resolve.fieldExists(object, field)) {
            problems.push(at(xml, node, 'field', `In field: field - no CustomField named ${qualified} found`));
            continue;
        }
        const readable = childBoolean(node, 'readable') === true;
        const editable = childBoolean(node, 'editable') === true;
        if (editable && !readable)
            problems.push(at(xml, node, 'editable', `Field ${qualified}: editable requires readable`));
        const definition = resolve.fieldDefinition(object, field);
        if (definition?.required || definition?.type === 'MasterDetail') {
            problems.push(at(xml, node, 'field', `You cannot deploy to a required field: ${qualified}`));
        } else if (
            editable &&
            (definition?.formula !== undefined || definition?.type === 'AutoNumber' || definition?.type === 'Summary')
        ) {
            problems.push(at(xml, node, 'editable', `Field ${qualified} is calculated and cannot be editable`));
        }
    }
    for (const node of children(root, 'classAccesses')) {
        const name = childText(node, 'apexClass') ?? '';
        if (!resolve.componentExists('ApexClass', name)) {
            problems.push(at(xml, node, 'apexClass', `In field: apexClass - no ApexClass named ${name} found`));
        }
    }
    for (const node of children(root, 'tabSettings')) {
        const tab = childText(node, 'tab') ?? '';
        if (!tabExists(tab, resolve))
            problems.push(at(xml, node, 'tab', `In field: tab - no CustomTab named ${tab} found`));
    }
    for (const node of children(root, 'applicationVisibilities')) {
        const app = childText(node, 'application') ?? '';
        if (!app.startsWith('standard__') && !resolve.componentExists('CustomApplication', app)) {
            problems.push(
                at(xml, node, 'application', `In field: application - no CustomApplication named ${app} found`)
            );
        }
    }
    return problems;
}

const STANDARD_NON_OBJECT_TABS = [
    'home',
    'chatter',
    'report',
    'dashboard',
    'file',
    'feed',
    'forecasting',
    'lightninginstrumentation'
];

function tabExists(tab: string, resolve: Resolver): boolean {
    if (tab.startsWith('standard-')) {
        const rest = tab.slice('standard-'.length);
        return STANDARD_NON_OBJECT_TABS.includes(rest.toLowerCase()) || resolve.objectExists(rest);
    }
    return resolve.componentExists('CustomTab', tab);
}

/** customMetadata/Type.Record.md: the type must exist, every value must name one of its fields and fit it. */
function checkCustomMetadataRecord(fullName: string, xml: ParsedXml, resolve: Resolver): Problem[] {
    const root = xml.root;
    const problems: Problem[] = [];
    const dot = fullName.indexOf('.');
    const typeName = `${fullName.slice(0, dot)}__mdt`;
    const recordName = fullName.slice(dot + 1);
    if (dot <= 0 || !resolve.objectExists(typeName)) {
        return [at(xml, root, undefined, `Custom metadata type ${typeName} does not exist`)];
    }
    if (!isDeveloperName(recordName)) problems.push(at(xml, root, undefined, `Invalid record name ${recordName}`));
    if (!childText(root, 'label')) problems.push(at(xml, root, undefined, `${fullName}: label is required`));
    for (const node of children(root, 'values')) {
        const field = childText(node, 'field') ?? '';
        if (!resolve.fieldExists(typeName, field)) {
            problems.push(at(xml, node, 'field', `Invalid field ${field} for custom metadata type ${typeName}`));
            continue;
        }
        const definition = resolve.fieldDefinition(typeName, field);
        const value = childText(node, 'value');
        if (!definition || value === undefined || value === '') continue;
        const valueProblem = customMetadataValueProblem(definition, value);
        if (valueProblem) problems.push(at(xml, node, 'value', `${fullName}: ${field}: ${valueProblem}`));
    }
    return problems;
}

function customMetadataValueProblem(field: DeployedField, value: string): string | undefined {
    switch (field.type) {
        case 'Checkbox':
            return value === 'true' || value === 'false' ? undefined : `${value} is not a boolean`;
        case 'Number':
        case 'Percent':
            return Number.isFinite(Number(value)) ? undefined : `${value} is not a number`;
        case 'Picklist':
            return field.picklistValues.length === 0 || field.picklistValues.some((v) => v.value === value)
                ? undefined
                : `bad value for restricted picklist field: ${value}`;
        case 'Text':
            return field.length !== undefined && value.length > field.length
                ? `data value too large: ${value.length} characters, the maximum is ${field.length}`
                : undefined;
        default:
            return undefined;
    }
}

function checkCustomTab(fullName: string, xml: ParsedXml, resolve: Resolver): Problem[] {
    const root = xml.root;
    if (childBoolean(root, 'customObject') === true && !resolve.objectExists(fullName)) {
        return [at(xml, root, 'customObject', `The tab ${fullName} is for an object that does not exist`)];
    }
    const lwc = childText(root, 'lwcComponent');
    if (lwc && !resolve.componentExists('LightningComponentBundle', lwc)) {
        return [at(xml, root, 'lwcComponent', `No LightningComponentBundle named ${lwc} found`)];
    }
    const page = childText(root, 'flexiPage');
    if (page && !resolve.componentExists('FlexiPage', page))
        return [at(xml, root, 'flexiPage', `No FlexiPage named ${page} found`)];
    return [];
}

function checkCustomApplication(_fullName: string, xml: ParsedXml, resolve: Resolver): Problem[] {
    const root = xml.root;
    const problems: Problem[] = [];
    if (!childText(root, 'label')) problems.push(at(xml, root, undefined, 'CustomApplication: label is required'));
    const text = xml.text;
    for (const tab of childTexts(root, 'tabs')) {
        if (!tabExists(tab, resolve)) {
            const index = text.indexOf(`<tabs>${tab}</tabs>`);
            problems.push(lineAt(xml, index, `In field: tabs - no CustomTab named ${tab} found`));
        }
    }
    const utilityBar = childText(root, 'utilityBar');
    if (utilityBar && !resolve.componentExists('FlexiPage', utilityBar)) {
        problems.push(at(xml, root, 'utilityBar', `In field: utilityBar - no FlexiPage named ${utilityBar} found`));
    }
    return problems;
}

function lineAt(xml: ParsedXml, index: number, problem: string): Problem {
    const before = xml.text.slice(0, Math.max(index, 0));
    const line = before.split('\n').length;
    return { problem, problemType: 'Error', lineNumber: line, columnNumber: index - before.lastIndexOf('\n') };
}

/** Layout names are `Object-Layout Name`; the fields placed on it must exist on the object. */
function checkLayout(fullName: string, xml: ParsedXml, resolve: Resolver): Problem[] {
    const object = fullName.slice(0, fullName.indexOf('-'));
    if (!object || !resolve.objectExists(object)) {
        return [at(xml, xml.root, undefined, `Layout ${fullName}: the object ${object || '(none)'} does not exist`)];
    }
    const problems: Problem[] = [];
    for (const section of children(xml.root, 'layoutSections')) {
        for (const column of children(section, 'layoutColumns')) {
            for (const item of children(column, 'layoutItems')) {
                const field = childText(item, 'field');
                if (field && !resolve.fieldExists(object, field)) {
                    problems.push(at(xml, item, 'field', `Layout ${fullName}: invalid field ${field} on ${object}`));
                }
            }
        }
    }
    return problems;
}

/** Lightning pages: the record page's object, and every custom component (`c:name`) placed on it. */
function checkFlexiPage(_fullName: string, xml: ParsedXml, resolve: Resolver): Problem[] {
    const root = xml.root;
    const problems: Problem[] = [];
    if (!childText(root, 'masterLabel')) problems.push(at(xml, root, undefined, 'FlexiPage: masterLabel is required'));
    const type = childText(root, 'type');
    const sobjectType = childText(root, 'sobjectType');
    if (type === 'RecordPage' && (!sobjectType || !resolve.objectExists(sobjectType))) {
        problems.push(
            at(xml, root, 'sobjectType', `FlexiPage: sobjectType ${sobjectType ?? '(none)'} is not a valid object`)
        );
    }
    for (const region of children(root, 'flexiPageRegions')) {
        for (const item of children(region, 'itemInstances')) {
            for (const instance of children(item, 'componentInstance')) {
                const name = childText(instance, 'componentName') ?? '';
                if (!name.startsWith('c:')) continue;
                const bundle = name.slice(2);
                if (
                    !resolve.componentExists('LightningComponentBundle', bundle) &&
                    !resolve.componentExists('AuraDefinitionBundle', bundle)
                ) {
                    problems.push(
                        at(xml, instance, 'componentName', `FlexiPage: the component ${name} does not exist`)
                    );
                }
            }
            for (const instance of children(item, 'fieldInstance')) {
                const fieldItem = childText(instance, 'fieldItem') ?? '';
                const field = fieldItem.replace(/^Record\./, '');
                if (sobjectType && fieldItem.startsWith('Record.') && !resolve.fieldExists(sobjectType, field)) {
                    problems.push(
                        at(xml, instance, 'fieldItem', `FlexiPage: invalid field ${fieldItem} on ${sobjectType}`)
                    );
                }
            }
        }
    }
    return problems;
}

/** Quick actions are `Object.Name` (or global); an LWC action must name an existing bundle. */
function checkQuickAction(fullName: string, xml: ParsedXml, resolve: Resolver): Problem[] {
    const problems: Problem[] = [];
    const dot = fullName.indexOf('.');
    if (dot > 0 && !resolve.objectExists(fullName.slice(0, dot))) {
        problems.push(
            at(xml, xml.root, undefined, `QuickAction ${fullName}: the object ${fullName.slice(0, dot)} does not exist`)
        );
    }
    const lwc = childText(xml.root, 'lightningWebComponent');
    if (lwc && !resolve.componentExists('LightningComponentBundle', lwc)) {
        problems.push(
            at(
                xml,
                xml.root,
                'lightningWebComponent',
                `QuickAction ${fullName}: no LightningComponentBundle named ${lwc} found`
            )
        );
    }
    return problems;
}

function checkPlatformEventChannelMember(_fullName: string, xml: ParsedXml, resolve: Resolver): Problem[] {
    const root = xml.root;
    const problems: Problem[] = [];
    const channel = childText(root, 'eventChannel') ?? '';
    if (!channel.startsWith('ChangeEvents') && !resolve.componentExists('PlatformEventChannel', channel)) {
        problems.push(at(xml, root, 'eventChannel', `No PlatformEventChannel named ${channel} found`));
    }
    const entity = childText(root, 'selectedEntity') ?? '';
    const base = entity.endsWith('__ChangeEvent')
        ? entity.replace(/__ChangeEvent$/, '__c')
        : entity.replace(/ChangeEvent$/, '');
    if (!resolve.objectExists(entity) && !resolve.objectExists(base)) {
        problems.push(at(xml, root, 'selectedEntity', `selectedEntity ${entity} is not a valid entity`));
    }
    return problems;
}

export type ReferenceCheck = (fullName: string, xml: ParsedXml, resolve: Resolver) => Problem[];

/** The reference checks by metadata type; each reads the component's parsed XML file. */
export const REFERENCE_CHECKS: Readonly<Record<string, ReferenceCheck>> = {
    PermissionSet: checkPermissionSet,
    CustomMetadata: checkCustomMetadataRecord,
    CustomTab: checkCustomTab,
    CustomApplication: checkCustomApplication,
    Layout: checkLayout,
    FlexiPage: checkFlexiPage,
    QuickAction: checkQuickAction,
    PlatformEventChannelMember: checkPlatformEventChannelMember
};
