// Metadata XML reading for the deploy checks. SDR never validates XML (toolchain.md §3), so every file is first
// checked with fast-xml-parser's XMLValidator, then parsed into a tree whose element nodes remember where they
// start, so that a problem found later (an unknown object, a missing label) can still name its line.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export const METADATA_NAMESPACE = 'http://soap.sforce.com/2006/04/metadata';

/** One element: text children are strings, element children are nodes, repeated or not (always arrays). */
export interface XmlNode {
    [child: string]: (XmlNode | string)[] | undefined;
}

export interface XmlPosition {
    line: number;
    column: number;
}

export interface ParsedXml {
    /** The root element's name, e.g. "CustomObject". */
    rootName: string;
    /** The root element's xmlns attribute ('' when absent). */
    namespace: string;
    root: XmlNode;
    text: string;
}

export type XmlParseOutcome = { ok: true; xml: ParsedXml } | { ok: false; problem: string; position: XmlPosition };

const META = XMLParser.getMetaDataSymbol() as unknown as symbol;
const ATTRIBUTES = ':@';
const TEXT = '#text';

const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    attributesGroupName: ATTRIBUTES,
    textNodeName: TEXT,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    isArray: (name) => name !== ATTRIBUTES,
    captureMetaData: true,
    processEntities: true
});

export function parseMetadataXml(text: string): XmlParseOutcome {
    const verdict = XMLValidator.validate(text);
    if (verdict !== true) {
        return {
            ok: false,
            problem: `Error parsing file: ${verdict.err.msg}`,
            position: { line: verdict.err.line, column: verdict.err.col }
        };
    }
    const document = parser.parse(text) as XmlNode;
    const rootName = Object.keys(document).find((key) => key !== '?xml' && key !== ATTRIBUTES);
    const rootValue = rootName === undefined ? undefined : document[rootName]?.[0];
    if (rootName === undefined || rootValue === undefined) {
        return {
            ok: false,
            problem: 'Error parsing file: the document has no root element',
            position: { line: 1, column: 1 }
        };
    }
    const root: XmlNode = typeof rootValue === 'string' ? {} : rootValue;
    const attributes = root[ATTRIBUTES] as unknown as Record<string, string> | undefined;
    return { ok: true, xml: { rootName, namespace: attributes?.xmlns ?? '', root, text } };
}

/** The element children called `name` (never undefined). */
export function children(node: XmlNode, name: string): XmlNode[] {
    return (node[name] ?? []).map((value) => (typeof value === 'string' ? {} : value));
}

/** The text of the first child called `name`, or undefined when it is absent or has element children. */
export function childText(node: XmlNode, name: string): string | undefined {
    const first = node[name]?.[0];
    if (first === undefined) return undefined;
    if (typeof first === 'string') return first;
    // Text with attributes (<value xsi:type="xsd:string">x</value>) keeps its text under #text;
    // an empty element such as <label></label> parses to an object with nothing but attributes.
    const raw: unknown = first[TEXT];
    const text = Array.isArray(raw) ? raw[0] : raw;
    if (typeof text === 'string') return text;
    return Object.keys(first).some((key) => key !== ATTRIBUTES) ? undefined : '';
}

/** Every text value of the children called `name`. */
export function childTexts(node: XmlNode, name: string): string[] {
    return (node[name] ?? []).filter((value): value is string => typeof value === 'string');
}

export function childBoolean(node: XmlNode, name: string): boolean | undefined {
    const text = childText(node, name);
    return text === undefined ? undefined : text === 'true';
}

/** Where an element node starts in the document; the root when the node carries no position. */
export function positionOf(xml: ParsedXml, node: XmlNode): XmlPosition {
    const meta = (node as unknown as Record<symbol, { startIndex?: number } | undefined>)[META];
    return positionAt(xml.text, meta?.startIndex ?? 0);
}

/** The position of the child element `name` inside `node` (its opening tag), else the node's own position. */
export function childPosition(xml: ParsedXml, node: XmlNode, name: string): XmlPosition {
    const meta = (node as unknown as Record<symbol, { startIndex?: number } | undefined>)[META];
    const from = meta?.startIndex ?? 0;
    const at = xml.text.indexOf(`<${name}>`, from);
    return positionAt(xml.text, at >= 0 ? at : from);
}

export function positionAt(text: string, index: number): XmlPosition {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < index && i < text.length; i++) {
        if (text.charCodeAt(i) === 10) {
            line++;
            lineStart = i + 1;
        }
    }
    return { line, column: index - lineStart + 1 };
}
