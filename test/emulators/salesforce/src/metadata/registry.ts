// Which metadata type a file in a metadata-format zip belongs to. The type names, directories and suffixes
// come from SDR's metadata registry (the table the sf CLI itself converts with), so the emulator knows every
// type the CLI can send without a second hand-kept list. The registry module is a plain JSON table; it is
// imported on its own because the package's main entry also loads @salesforce/core (slow to start).
import { registry } from '@salesforce/source-deploy-retrieve/lib/src/registry/registry.js';

export interface RegistryType {
    name: string;
    directoryName: string;
    suffix?: string;
    inFolder?: boolean;
    adapter: string;
    /** Child types (CustomField, ValidationRule, …) by the XML element that holds them in the parent file. */
    childrenByElement: Map<string, string>;
}

export interface ClassifiedFile {
    type: RegistryType;
    fullName: string;
    /** content: the component's main file; meta: its -meta.xml; bundle: any file inside a bundle folder. */
    role: 'content' | 'meta' | 'bundle';
}

interface SdrType {
    name: string;
    directoryName: string;
    suffix?: string;
    inFolder?: boolean;
    strategies?: { adapter?: string };
    children?: { types: Record<string, { name: string; xmlElementName?: string; directoryName: string }> };
}

const typesByName = new Map<string, RegistryType>();
const childTypeNames = new Set<string>();
const typesByDirectory = new Map<string, RegistryType[]>();

for (const raw of Object.values(registry.types) as SdrType[]) {
    const childrenByElement = new Map<string, string>();
    for (const child of Object.values(raw.children?.types ?? {})) {
        childrenByElement.set(child.xmlElementName ?? child.directoryName, child.name);
        childTypeNames.add(child.name);
    }
    const type: RegistryType = {
        name: raw.name,
        directoryName: raw.directoryName,
        suffix: raw.suffix,
        inFolder: raw.inFolder,
        adapter: raw.strategies?.adapter ?? 'default',
        childrenByElement
    };
    typesByName.set(type.name, type);
    typesByDirectory.set(type.directoryName, [...(typesByDirectory.get(type.directoryName) ?? []), type]);
}

export function registryType(name: string): RegistryType | undefined {
    return typesByName.get(name);
}

/** True for every type name a package.xml may list: top-level types and child types such as CustomField. */
export function isKnownTypeName(name: string): boolean {
    return typesByName.has(name) || childTypeNames.has(name);
}

const META_SUFFIX = '-meta.xml';

/** Maps a zip path such as `classes/Foo.cls-meta.xml` or `lwc/card/card.js` to its type and component. */
export function classifyPath(path: string): ClassifiedFile | undefined {
    const slash = path.indexOf('/');
    if (slash <= 0) return undefined;
    const candidates = typesByDirectory.get(path.slice(0, slash)) ?? [];
    const rest = path.slice(slash + 1);
    for (const type of candidates) {
        if (type.adapter === 'bundle') {
            const [bundleName, ...inner] = rest.split('/');
            if (!bundleName || inner.length === 0) continue;
            const isMeta =
                inner.length === 1 && inner[0]?.startsWith(`${bundleName}.`) && inner[0].endsWith(META_SUFFIX);
            return { type, fullName: bundleName, role: isMeta ? 'meta' : 'bundle' };
        }
        const isMeta = rest.endsWith(META_SUFFIX);
        const name = isMeta ? rest.slice(0, -META_SUFFIX.length) : rest;
        // Folders of in-folder types (reports/Sales-meta.xml) carry no suffix: their meta file names the folder.
        if (type.inFolder && isMeta && !name.includes('/') && !name.includes('.')) {
            return { type, fullName: name, role: 'meta' };
        }
        if (type.suffix && name.endsWith(`.${type.suffix}`)) {
            const fullName = name.slice(0, -(type.suffix.length + 1));
            if (fullName.length === 0 || (!type.inFolder && fullName.includes('/'))) continue;
            return { type, fullName, role: isMeta ? 'meta' : 'content' };
        }
    }
    return undefined;
}

/** Whether the type's component has a -meta.xml beside a non-XML content file (classes, triggers, resources). */
export function hasSeparateMetaFile(type: RegistryType): boolean {
    return type.adapter === 'matchingContentFile' || type.adapter === 'mixedContent' || type.adapter === 'bundle';
}
