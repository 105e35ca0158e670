// The org validates every metadata file against the Metadata API schema (WSDL/XSD): an element the type does not
// have, or a boolean or number that is not one, fails the file ("Element … invalid at this location in type …").
// No XSD ships offline, but jsforce carries the type table generated from the Metadata WSDL (its ApiSchemas), so
// the files of the types below are walked against it.
import { ApiSchemas } from 'jsforce/lib/api/metadata/schema.js';
import type { Problem } from './model.ts';
import type { ParsedXml, XmlNode } from './xml.ts';
import { METADATA_NAMESPACE, childPosition, positionOf } from './xml.ts';

type PropSpec = string | string[];
interface TypeSpec {
    props?: Record<string, PropSpec>;
    extends?: string;
}

const SCHEMAS = ApiSchemas as unknown as Record<string, TypeSpec>;

/**
 * Types whose files are walked element by element: those whose elements in jsforce's WSDL copy match what the
 * sf CLI writes today. Left out because that copy predates elements in current use: FlexiPage (regions'
 * itemInstances), CustomApplication (isNavAutomaticRefresh), QuickAction (actionSubtype), LightningComponentBundle.
 */
export const SCHEMA_CHECKED_TYPES = new Set([
    'ApexClass',
    'ApexTrigger',
    'CustomMetadata',
    'CustomObject',
    'CustomTab',
    'Layout',
    'PermissionSet',
    'PlatformEventChannel',
    'PlatformEventChannelMember'
]);

const NON_ELEMENT_KEYS = new Set([':@', '#text']);
const propsCache = new Map<string, Record<string, PropSpec>>();

function propsOf(typeName: string): Record<string, PropSpec> | undefined {
    const cached = propsCache.get(typeName);
    if (cached) return cached;
    const spec = SCHEMAS[typeName];
    if (!spec) return undefined;
    const inherited = spec.extends ? (propsOf(spec.extends) ?? {}) : {};
    const props = { ...inherited, ...(spec.props ?? {}) };
    propsCache.set(typeName, props);
    return props;
}

function textOf(value: XmlNode | string): string | undefined {
    if (typeof value === 'string') return value;
    const raw: unknown = value['#text'];
    const text = Array.isArray(raw) ? raw[0] : raw;
    if (typeof text === 'string') return text;
    return Object.keys(value).some((key) => !NON_ELEMENT_KEYS.has(key)) ? undefined : '';
}

const PRIMITIVE_FORMATS: Record<string, { xsd: string; valid: (text: string) => boolean }> = {
    boolean: { xsd: 'xsd:boolean', valid: (t) => t === 'true' || t === 'false' },
    number: { xsd: 'xsd:double', valid: (t) => t.trim() !== '' && Number.isFinite(Number(t)) }
};

function walk(xml: ParsedXml, node: XmlNode, typeName: string): Problem | undefined {
    const props = propsOf(typeName);
    if (!props) return undefined;
    for (const [element, values] of Object.entries(node)) {
        if (NON_ELEMENT_KEYS.has(element) || values === undefined) continue;
        const spec = props[element];
        if (spec === undefined) {
            const at = childPosition(xml, node, element);
            return {
                problem: `Error parsing file: Element {${METADATA_NAMESPACE}}${element} invalid at this location in type ${typeName}`,
                problemType: 'Error',
                lineNumber: at.line,
                columnNumber: at.column
            };
        }
        const elementType = (Array.isArray(spec) ? (spec[0] ?? 'string') : spec).replace(/^\?/, '');
        const format = PRIMITIVE_FORMATS[elementType];
        for (const value of values) {
            if (format) {
                const text = textOf(value);
                if (text !== undefined && text !== '' && format.valid(text)) continue;
                const at = typeof value === 'string' ? childPosition(xml, node, element) : positionOf(xml, value);
                return {
                    problem: `Error parsing file: '${text ?? '(elements)'}' is not a valid value for the type ${format.xsd} (${typeName}.${element})`,
                    problemType: 'Error',
                    lineNumber: at.line,
                    columnNumber: at.column
                };
            }
            // Strings may hold anything (some are XML blobs, e.g. LWC targetConfigs); complex types are walked.
            if (typeof value !== 'string' && SCHEMAS[elementType]) {
                const problem = walk(xml, value, elementType);
                if (problem) return problem;
            }
        }
    }
    return undefined;
}

/** The first schema problem of a parsed metadata file of the given type, if the type is schema-checked. */
export function checkAgainstSchema(xml: ParsedXml, typeName: string): Problem | undefined {
    if (!SCHEMA_CHECKED_TYPES.has(typeName)) return undefined;
    return walk(xml, xml.root, typeName);
}
