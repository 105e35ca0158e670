// Checks one deploy zip the way the org does before it commits anything: package.xml is present and agrees
// with the zip, every XML file is well formed and has the right root element, every file belongs to a known
// type, and each component passes its type's rules and resolves its references in the zip or in the org.
import JSZip from 'jszip';
import { checkApexClass, checkApexTrigger } from './apex.ts';
import { checkLwcBundle } from './lwc.ts';
import { checkAgainstSchema } from './schema-check.ts';
import { checkInlineSoql } from './soql.ts';
import type { CheckedComponent, DeployedObject, DeployedPermissionSet, ObjectKind, Problem } from './model.ts';
import { objectKindOf } from './model.ts';
import type { ObjectEntry } from './objects.ts';
import { checkField, checkObjectDefinition, readObject } from './objects.ts';
import type { Resolver } from './references.ts';
import { REFERENCE_CHECKS } from './references.ts';
import type { RegistryType } from './registry.ts';
import { classifyPath, hasSeparateMetaFile, isKnownTypeName, registryType } from './registry.ts';
import type { ParsedXml } from './xml.ts';
import { METADATA_NAMESPACE, childBoolean, children, childText, childTexts, parseMetadataXml } from './xml.ts';

/** What the org knew before this deploy: its schema and the components earlier deploys added. */
export interface OrgView {
    objectExists(name: string): boolean;
    fieldExists(object: string, field: string): boolean;
    deployedObject(name: string): DeployedObject | undefined;
    componentExists(type: string, fullName: string): boolean;
}

export interface CheckOptions {
    allowMissingFiles: boolean;
}

export interface CheckOutcome {
    /** package.xml first, then every component in the zip. */
    components: CheckedComponent[];
    objects: DeployedObject[];
    permissionSets: DeployedPermissionSet[];
}

/** A zip the org refuses as a whole (the deploy fails with this errorStatusCode and no component results). */
export class ZipRejectedError extends Error {
    constructor(
        readonly errorStatusCode: string,
        message: string
    ) {
        super(message);
    }
}

// Documented Metadata API limits ("Deploy Metadata with Apex Testing Using REST"): 10,000 files, a 39 MB zip,
// 600 MB uncompressed.
const MAX_FILES = 10_000;
const MAX_ZIP_BYTES = 39 * 1024 * 1024;
const MAX_UNCOMPRESSED_BYTES = 600 * 1024 * 1024;

interface ZipComponent {
    type: RegistryType;
    fullName: string;
    files: Map<string, string>;
    contentPath?: string;
    metaPath?: string;
}

const PACKAGE_XML = 'package.xml';
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Manifests of components to delete; the emulator checks them but does not model deletions. */
const DESTRUCTIVE_MANIFESTS = ['destructiveChanges.xml', 'destructiveChangesPre.xml', 'destructiveChangesPost.xml'];
const BINARY_SUFFIXES = /\.(resource|png|jpe?g|gif|svg|zip|pdf|woff2?|ttf|ico|docx?|xlsx?)$/i;

function problem(text: string, line?: number, column?: number): Problem {
    return { problem: text, problemType: 'Error', lineNumber: line, columnNumber: column };
}

async function readZip(bytes: Buffer): Promise<Map<string, string>> {
    if (bytes.length > MAX_ZIP_BYTES) {
        throw new ZipRejectedError('LIMIT_EXCEEDED', `The zip is ${bytes.length} bytes; the limit is 39 MB`);
    }
    let zip: JSZip;
    try {
        zip = await JSZip.loadAsync(bytes);
    } catch (error) {
        throw new ZipRejectedError(
            'INVALID_ZIP_FILE',
            `The file part is not a readable zip archive: ${(error as Error).message}`
        );
    }
    const entries = Object.values(zip.files).filter((entry) => !entry.dir);
    if (entries.length > MAX_FILES) {
        throw new ZipRejectedError(
            'LIMIT_EXCEEDED',
            `The zip holds ${entries.length} files; the limit is ${MAX_FILES}`
        );
    }
    const files = new Map<string, string>();
    let uncompressed = 0;
    for (const entry of entries) {
        const text = BINARY_SUFFIXES.test(entry.name) ? '' : await entry.async('string');
        uncompressed += text.length;
        if (uncompressed > MAX_UNCOMPRESSED_BYTES) {
            throw new ZipRejectedError('LIMIT_EXCEEDED', 'The zip holds more than 600 MB uncompressed');
        }
        files.set(entry.name, text);
    }
    // A zip may wrap everything in one folder (unpackaged/package.xml); paths are relative to package.xml.
    if (!files.has(PACKAGE_XML)) {
        const nested = [...files.keys()].filter((p) => p.endsWith(`/${PACKAGE_XML}`) && p.split('/').length === 2);
        const prefix = nested.length === 1 ? nested[0]!.slice(0, -PACKAGE_XML.length) : undefined;
        if (prefix)
            return new Map(
                [...files].filter(([p]) => p.startsWith(prefix)).map(([p, t]) => [p.slice(prefix.length), t])
            );
    }
    return files;
}

interface Manifest {
    /** type name → members ('*' for a wildcard), as written. */
    members: Map<string, string[]>;
}

function readManifest(text: string | undefined, into: CheckedComponent): Manifest {
    const members = new Map<string, string[]>();
    if (text === undefined) {
        into.problems.push(problem('No package.xml found'));
        return { members };
    }
    const parsed = parseMetadataXml(text);
    if (!parsed.ok) {
        into.problems.push(problem(parsed.problem, parsed.position.line, parsed.position.column));
        return { members };
    }
    if (parsed.xml.rootName !== 'Package') {
        into.problems.push(
            problem(`${into.fileName}: the root element must be Package, not ${parsed.xml.rootName}`, 1, 1)
        );
        return { members };
    }
    for (const node of children(parsed.xml.root, 'types')) {
        const name = childText(node, 'name') ?? '';
        if (!isKnownTypeName(name)) {
            into.problems.push(problem(`Unknown type name '${name}' specified in ${into.fileName}`));
            continue;
        }
        members.set(name, [...(members.get(name) ?? []), ...childTexts(node, 'members')]);
    }
    const version = childText(parsed.xml.root, 'version');
    if (version !== undefined && !/^\d{2}\.0$/.test(version)) {
        into.problems.push(problem(`${into.fileName}: invalid API version ${version}`));
    }
    return { members };
}

function isNamed(manifest: Manifest, type: string, fullName: string): boolean {
    const members = manifest.members.get(type) ?? [];
    return members.includes('*') || members.some((m) => m.toLowerCase() === fullName.toLowerCase());
}

function groupComponents(files: Map<string, string>, stray: CheckedComponent[]): Map<string, ZipComponent> {
    const components = new Map<string, ZipComponent>();
    for (const [path, text] of files) {
        if (path === PACKAGE_XML || DESTRUCTIVE_MANIFESTS.includes(path)) continue;
        const classified = classifyPath(path);
        if (!classified) {
            stray.push({
                componentType: '',
                fullName: path,
                fileName: path,
                fingerprint: text,
                problems: [problem(`The file ${path} does not belong to any known metadata type`)]
            });
            continue;
        }
        const key = `${classified.type.name}#${classified.fullName}`;
        const component: ZipComponent = components.get(key) ?? {
            type: classified.type,
            fullName: classified.fullName,
            files: new Map<string, string>()
        };
        component.files.set(path, text);
        if (classified.role === 'content') component.contentPath = path;
        if (classified.role === 'meta') component.metaPath = path;
        components.set(key, component);
    }
    return components;
}

/** The file the result names for a component: the content file when there is one, else its meta file. */
function mainFile(component: ZipComponent): string {
    return component.contentPath ?? component.metaPath ?? [...component.files.keys()][0] ?? '';
}

function parseXmlFile(component: ZipComponent, path: string | undefined, problems: Problem[]): ParsedXml | undefined {
    if (!path) return undefined;
    const parsed = parseMetadataXml(component.files.get(path) ?? '');
    if (!parsed.ok) {
        problems.push(problem(`${path}: ${parsed.problem}`, parsed.position.line, parsed.position.column));
        return undefined;
    }
    const expectedRoot =
        component.type.inFolder && !path.slice(0, -'-meta.xml'.length).includes('.') ? undefined : component.type.name;
    if (expectedRoot && parsed.xml.rootName !== expectedRoot) {
        problems.push(
            problem(
                `${path}: Error parsing file: the root element must be ${expectedRoot}, not ${parsed.xml.rootName}`,
                1,
                1
            )
        );
        return undefined;
    }
    if (parsed.xml.namespace !== METADATA_NAMESPACE) {
        problems.push(
            problem(
                `${path}: Error parsing file: the root element must be in the namespace ${METADATA_NAMESPACE}`,
                1,
                1
            )
        );
        return undefined;
    }
    const schemaProblem = checkAgainstSchema(parsed.xml, component.type.name);
    if (schemaProblem) {
        problems.push({ ...schemaProblem, problem: `${path}: ${schemaProblem.problem}` });
        return undefined;
    }
    return parsed.xml;
}

function checkApexMeta(meta: ParsedXml | undefined, path: string | undefined): Problem[] {
    if (!meta) return [];
    const version = childText(meta.root, 'apiVersion');
    const problems: Problem[] = [];
    if (!version || !/^\d{2}\.0$/.test(version))
        problems.push(problem(`${path}: apiVersion is required and must look like 62.0`));
    const status = childText(meta.root, 'status');
    if (status !== undefined && !['Active', 'Inactive', 'Deleted'].includes(status)) {
        problems.push(problem(`${path}: bad value for status: ${status}`));
    }
    return problems;
}

/** Fields the org adds to every object of a kind (Object Reference: "System Fields"), in lower case. */
const IMPLICIT_FIELDS: Partial<Record<ObjectKind, readonly string[]>> = {
    custom: [
        'id',
        'name',
        'ownerid',
        'createdbyid',
        'createddate',
        'lastmodifiedbyid',
        'lastmodifieddate',
        'systemmodstamp',
        'isdeleted',
        'recordtypeid',
        'lastactivitydate',
        'lastvieweddate',
        'lastreferenceddate'
    ],
    platformEvent: ['replayid', 'eventuuid', 'createddate', 'createdbyid'],
    customMetadata: [
        'id',
        'developername',
        'masterlabel',
        'label',
        'language',
        'namespaceprefix',
        'qualifiedapiname',
        'systemmodstamp'
    ]
};

function isImplicitField(object: string, field: string): boolean {
    return IMPLICIT_FIELDS[objectKindOf(object)]?.includes(field.toLowerCase()) === true;
}

/** Builds the resolver over the zip's own components and objects, falling back to the org. */
function makeResolver(
    components: Map<string, ZipComponent>,
    objects: Map<string, ObjectEntry>,
    unreadableObjects: Set<string>,
    org: OrgView
): Resolver {
    const names = new Set([...components.values()].map((c) => `${c.type.name}#${c.fullName}`.toLowerCase()));
    const zipObject = (name: string) => objects.get(name.toLowerCase());
    const zipField = (object: string, field: string) =>
        zipObject(object)?.object.fields.find((f) => f.fullName.toLowerCase() === field.toLowerCase());
    return {
        objectExists: (name) =>
            (zipObject(name) !== undefined && objectKindOf(name) !== 'standard') ||
            unreadableObjects.has(name.toLowerCase()) ||
            org.objectExists(name),
        fieldExists: (object, field) =>
            zipField(object, field) !== undefined ||
            unreadableObjects.has(object.toLowerCase()) ||
            (zipObject(object) !== undefined && isImplicitField(object, field)) ||
            org.fieldExists(object, field) ||
            org.deployedObject(object)?.fields.some((f) => f.fullName.toLowerCase() === field.toLowerCase()) === true,
        fieldDefinition: (object, field) =>
            zipField(object, field) ??
            org.deployedObject(object)?.fields.find((f) => f.fullName.toLowerCase() === field.toLowerCase()),
        objectKind: (name) => objectKindOf(name),
        componentExists: (type, fullName) =>
            names.has(`${type}#${fullName}`.toLowerCase()) || org.componentExists(type, fullName)
    };
}

export async function checkDeployZip(bytes: Buffer, options: CheckOptions, org: OrgView): Promise<CheckOutcome> {
    const files = await readZip(bytes);
    const packageComponent: CheckedComponent = {
        componentType: '',
        fullName: PACKAGE_XML,
        fileName: PACKAGE_XML,
        fingerprint: files.get(PACKAGE_XML) ?? '',
        problems: [],
        isManifest: true
    };
    const manifest = readManifest(files.get(PACKAGE_XML), packageComponent);
    const results: CheckedComponent[] = [packageComponent];
    for (const fileName of DESTRUCTIVE_MANIFESTS.filter((name) => files.has(name))) {
        const destructive: CheckedComponent = {
            componentType: '',
            fullName: fileName,
            fileName,
            fingerprint: '',
            problems: [],
            isManifest: true
        };
        readManifest(files.get(fileName), destructive);
        results.push(destructive);
    }
    const components = groupComponents(files, results);

    // First pass: files present and XML readable; objects read so that references can resolve against them.
    const parsed = new Map<string, { meta?: ParsedXml; content?: ParsedXml; problems: Problem[] }>();
    const objects = new Map<string, ObjectEntry>();
    // Objects whose file is in the zip but unreadable: that failure is reported once, and references to the
    // object or its children are not failed a second time.
    const unreadableObjects = new Set<string>();
    for (const [key, component] of components) {
        const problems: Problem[] = [];
        const { type } = component;
        if (type.adapter !== 'bundle' && !component.contentPath && !(type.inFolder && component.metaPath)) {
            problems.push(
                problem(`The file ${component.metaPath ?? component.fullName} has no content file beside it`)
            );
        }
        if (hasSeparateMetaFile(type) && !component.metaPath) {
            const expected =
                type.adapter === 'bundle'
                    ? `${type.directoryName}/${component.fullName}/${component.fullName}.js-meta.xml`
                    : `${component.contentPath}-meta.xml`;
            problems.push(problem(`The metadata file ${expected} is missing`));
        }
        const meta = parseXmlFile(component, component.metaPath, problems);
        const contentIsXml = !hasSeparateMetaFile(type);
        const content = contentIsXml ? parseXmlFile(component, component.contentPath, problems) : undefined;
        parsed.set(key, { meta, content, problems });
        if (type.name === 'CustomObject' && content && component.contentPath) {
            objects.set(
                component.fullName.toLowerCase(),
                readObject(component.fullName, component.contentPath, content)
            );
        } else if (type.name === 'CustomObject') {
            unreadableObjects.add(component.fullName.toLowerCase());
        }
    }

    const resolve = makeResolver(components, objects, unreadableObjects, org);
    const permissionSets: DeployedPermissionSet[] = [];

    for (const [key, component] of components) {
        // Parsing and compiling are synchronous; yield between components so the org keeps answering other calls.
        await yieldToEventLoop();
        const { meta, content, problems } = parsed.get(key)!;
        const fileName = mainFile(component);
        const typeName = component.type.name;
        const fingerprint = [...component.files.values()].join('\u0000');
        const base = { componentType: typeName, fullName: component.fullName, fileName, fingerprint };
        if (typeName === 'CustomObject') {
            results.push(...checkObjectFile(component, objects, manifest, problems, resolve, org));
            continue;
        }
        if (problems.length === 0) {
            const source = component.contentPath ? (component.files.get(component.contentPath) ?? '') : '';
            switch (typeName) {
                case 'ApexClass': {
                    const apex = checkApexClass(component.fullName, source);
                    problems.push(...checkApexMeta(meta, component.metaPath), ...apex.problems);
                    problems.push(...apex.soql.flatMap((query) => checkInlineSoql(query, resolve)));
                    break;
                }
                case 'ApexTrigger': {
                    problems.push(...checkApexMeta(meta, component.metaPath));
                    const trigger = checkApexTrigger(component.fullName, source);
                    problems.push(...trigger.problems);
                    problems.push(...trigger.soql.flatMap((query) => checkInlineSoql(query, resolve)));
                    if (trigger.objectName && !resolve.objectExists(trigger.objectName)) {
                        const at = trigger.objectPosition;
                        problems.push(
                            problem(`Invalid SObject type name: ${trigger.objectName}`, at?.line, at?.column)
                        );
                    }
                    break;
                }
                case 'LightningComponentBundle':
                    problems.push(...checkLwcBundle(component.fullName, component.files, meta));
                    break;
                default:
                    break;
            }
        }
        const referenceCheck = REFERENCE_CHECKS[typeName];
        if (problems.length === 0 && referenceCheck && content) {
            problems.push(...referenceCheck(component.fullName, content, resolve));
        }
        if (typeName === 'PermissionSet' && content) {
            permissionSets.push(readPermissionSet(component.fullName, fileName, content));
        }
        if (!isNamed(manifest, typeName, component.fullName)) {
            problems.push(problem(`${typeName} ${component.fullName} is in the zip but not named in package.xml`));
        }
        const apexSource =
            (typeName === 'ApexClass' || typeName === 'ApexTrigger') && component.contentPath
                ? component.files.get(component.contentPath)
                : undefined;
        results.push({ ...base, problems, ...(apexSource !== undefined ? { apexSource } : {}) });
    }

    checkManifestMembersPresent(manifest, components, objects, unreadableObjects, options, packageComponent);
    return {
        components: results,
        // Every object read; the service keeps only the objects and fields that passed when it commits.
        objects: [...objects.values()].map((o) => o.object),
        permissionSets
    };
}

/** An object file yields the CustomObject (when named) and one component per child (fields, rules, views…). */
function checkObjectFile(
    component: ZipComponent,
    objects: Map<string, ObjectEntry>,
    manifest: Manifest,
    fileProblems: Problem[],
    resolve: Resolver,
    org: OrgView
): CheckedComponent[] {
    const name = component.fullName;
    const fileName = mainFile(component);
    const entry = objects.get(name.toLowerCase());
    const objectNamed = isNamed(manifest, 'CustomObject', name);
    const results: CheckedComponent[] = [];
    const objectResult: CheckedComponent = {
        componentType: 'CustomObject',
        fullName: name,
        fileName,
        fingerprint: component.files.get(fileName) ?? '',
        problems: [...fileProblems]
    };
    if (!entry) return [objectResult];
    if (objectNamed) objectResult.problems.push(...checkObjectDefinition(entry, org.objectExists(name)));
    const definedHere = objectNamed && objectKindOf(name) !== 'standard';
    if (!definedHere && !org.objectExists(name) && !org.deployedObject(name)) {
        objectResult.problems.push(
            problem(`The object ${name} does not exist in the org and the deploy does not define it`)
        );
    }
    const childNamedByObject = objectNamed;
    let anyChildNamed = false;
    for (const fieldEntry of entry.fields) {
        const fullName = `${name}.${fieldEntry.field.fullName}`;
        const named = childNamedByObject || isNamed(manifest, 'CustomField', fullName);
        anyChildNamed ||= named;
        const problems = objectResult.problems.length > 0 && !objectNamed ? [...objectResult.problems] : [];
        problems.push(...checkField(entry, fieldEntry, resolve.objectExists, (o, f) => org.fieldExists(o, f)));
        if (!named) problems.push(problem(`CustomField ${fullName} is in the zip but not named in package.xml`));
        results.push({
            componentType: 'CustomField',
            fullName,
            fileName,
            fingerprint: JSON.stringify(fieldEntry.field),
            problems
        });
    }
    for (const [element, childType] of component.type.childrenByElement) {
        if (element === 'fields') continue;
        for (const node of children(entry.parsed.root, element)) {
            const childName = childText(node, 'fullName') ?? '';
            const fullName = `${name}.${childName}`;
            const named = childNamedByObject || isNamed(manifest, childType, fullName);
            anyChildNamed ||= named;
            const problems: Problem[] = [];
            if (!childName) problems.push(problem(`A ${childType} in ${name} has no fullName`));
            if (!named) problems.push(problem(`${childType} ${fullName} is in the zip but not named in package.xml`));
            results.push({ componentType: childType, fullName, fileName, fingerprint: JSON.stringify(node), problems });
        }
    }
    if (!objectNamed && !anyChildNamed) {
        objectResult.problems.push(problem(`CustomObject ${name} is in the zip but not named in package.xml`));
    }
    // The object itself is reported when it is deployed as a whole or when its file could not be read.
    return objectNamed || objectResult.problems.length > 0 ? [objectResult, ...results] : results;
}

function checkManifestMembersPresent(
    manifest: Manifest,
    components: Map<string, ZipComponent>,
    objects: Map<string, ObjectEntry>,
    unreadableObjects: Set<string>,
    options: CheckOptions,
    into: CheckedComponent
): void {
    if (options.allowMissingFiles) return;
    const present = new Set([...components.values()].map((c) => `${c.type.name}#${c.fullName}`.toLowerCase()));
    for (const entry of objects.values()) {
        const root = entry.parsed.root;
        const objectType = registryType('CustomObject');
        for (const [element, childType] of objectType?.childrenByElement ?? []) {
            for (const node of children(root, element))
                present.add(`${childType}#${entry.object.name}.${childText(node, 'fullName') ?? ''}`.toLowerCase());
        }
    }
    for (const [type, members] of manifest.members) {
        for (const member of members) {
            if (member === '*' || present.has(`${type}#${member}`.toLowerCase())) continue;
            if (unreadableObjects.has(member.split('.')[0]!.toLowerCase())) continue;
            into.problems.push(
                problem(
                    `An object '${member}' of type ${type} was named in package.xml, but was not found in zipped directory`
                )
            );
        }
    }
}

function readPermissionSet(name: string, fileName: string, xml: ParsedXml): DeployedPermissionSet {
    const root = xml.root;
    const flag = (node: Parameters<typeof childBoolean>[0], key: string) => childBoolean(node, key) === true;
    return {
        name,
        label: childText(root, 'label'),
        objectPermissions: children(root, 'objectPermissions').map((n) => ({
            object: childText(n, 'object') ?? '',
            allowCreate: flag(n, 'allowCreate'),
            allowRead: flag(n, 'allowRead'),
            allowEdit: flag(n, 'allowEdit'),
            allowDelete: flag(n, 'allowDelete'),
            viewAllRecords: flag(n, 'viewAllRecords'),
            modifyAllRecords: flag(n, 'modifyAllRecords')
        })),
        fieldPermissions: children(root, 'fieldPermissions').map((n) => ({
            field: childText(n, 'field') ?? '',
            readable: flag(n, 'readable'),
            editable: flag(n, 'editable')
        })),
        classAccesses: children(root, 'classAccesses')
            .filter((n) => flag(n, 'enabled'))
            .map((n) => childText(n, 'apexClass') ?? ''),
        customPermissions: children(root, 'customPermissions')
            .filter((n) => flag(n, 'enabled'))
            .map((n) => childText(n, 'name') ?? ''),
        fileName,
        xml: xml.text
    };
}
