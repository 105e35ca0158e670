// SOAP 1.1 as the org speaks it on /services/Soap/*: the request envelope read (namespace prefixes dropped,
// text kept as text), answers written as `soapenv:Envelope` with the service's default namespace, and failures
// as SOAP faults (HTTP 500, `<faultcode>sf:CODE</faultcode>`, faultstring "CODE: message"), which is what
// jsforce's SOAP client and apex-node parse. Used by the Metadata API (…/Soap/m) and the Apex API (…/Soap/s).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { MAX_API_VERSION, MIN_API_VERSION } from '../../context.ts';
import type { Org } from '../../org.ts';

export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** A parsed element: text for leaves, nested objects for elements, arrays when an element repeats. */
export type SoapValue = string | SoapNode | SoapValue[];
export interface SoapNode {
    [name: string]: SoapValue;
}

export interface SoapRequest {
    /** The body's first element: the operation, e.g. "deploy", "executeAnonymous". */
    operation: string;
    /** That element's children. */
    args: SoapNode;
    /** Header elements by local name (SessionHeader, DebuggingHeader, CallOptions…). */
    header: SoapNode;
}

/** A failure answered as a SOAP fault; `code` is the Salesforce exception code (or Client/Server). */
export class SoapFault extends Error {
    constructor(
        readonly code: string,
        message: string,
        /** `sf` for API exception codes, `soapenv` for SOAP-level Client/Server faults. */
        readonly prefix: 'sf' | 'soapenv' = 'sf'
    ) {
        super(message);
    }
}

export const invalidSessionFault = () =>
    new SoapFault(
        'INVALID_SESSION_ID',
        'INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session'
    );

const parser = new XMLParser({
    ignoreAttributes: true,
    removeNSPrefix: true,
    parseTagValue: false,
    trimValues: false,
    processEntities: true
});

const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    suppressEmptyNode: true,
    suppressBooleanAttributes: false
});

/** Reads a SOAP envelope; a malformed one is a soapenv:Client fault, as the org's SOAP stack answers. */
export function parseSoapEnvelope(text: string): SoapRequest {
    if (text.trim() === '') throw new SoapFault('Client', 'Premature end of file.', 'soapenv');
    const verdict = XMLValidator.validate(text);
    if (verdict !== true) {
        throw new SoapFault(
            'Client',
            `${verdict.err.msg} (line ${verdict.err.line}, column ${verdict.err.col})`,
            'soapenv'
        );
    }
    const document = withoutLayout(parser.parse(text) as SoapValue) as SoapNode;
    const envelope = document.Envelope;
    if (!isNode(envelope)) {
        throw new SoapFault('Client', 'The request is not a SOAP envelope: no soapenv:Envelope element', 'soapenv');
    }
    const body = envelope.Body;
    const operation = isNode(body) ? Object.keys(body)[0] : undefined;
    if (!isNode(body) || operation === undefined) {
        throw new SoapFault('Client', 'The SOAP envelope has no Body element with an operation', 'soapenv');
    }
    const args = body[operation];
    return {
        operation,
        args: isNode(args) ? args : {},
        header: isNode(envelope.Header) ? envelope.Header : {}
    };
}

/** Leaf text is kept exactly (an Apex block's first line stays line 1); whitespace between elements is dropped. */
function withoutLayout(value: SoapValue): SoapValue {
    if (Array.isArray(value)) return value.map(withoutLayout);
    if (typeof value === 'string') return value;
    const out: SoapNode = {};
    for (const [name, child] of Object.entries(value)) if (name !== '#text') out[name] = withoutLayout(child);
    return out;
}

export function isNode(value: SoapValue | undefined): value is SoapNode {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text of a leaf child ('' for an empty element, undefined when absent or not a leaf). */
export function textOf(node: SoapNode, name: string): string | undefined {
    const value = node[name];
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
    return isNode(value) && Object.keys(value).length === 0 ? '' : undefined;
}

/** Every text value of a child that may repeat. */
export function textsOf(node: SoapNode, name: string): string[] {
    const value = node[name];
    if (value === undefined) return [];
    return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

/** "62.0" → "62.0"; a version the org does not serve is the UNSUPPORTED_API_VERSION fault. */
export function soapVersion(text: string): string {
    const n = /^(\d{2})\.0$/.test(text) ? Number(text.slice(0, 2)) : NaN;
    if (!(n >= MIN_API_VERSION && n <= MAX_API_VERSION)) {
        throw new SoapFault(
            'UNSUPPORTED_API_VERSION',
            `UNSUPPORTED_API_VERSION: Invalid Api version specified on URL: ${text}`
        );
    }
    return `${n}.0`;
}

/** The session id of the SessionHeader (any namespace prefix). */
export function sessionIdOf(request: SoapRequest): string | undefined {
    const header = request.header.SessionHeader;
    return isNode(header) ? textOf(header, 'sessionId')?.trim() : undefined;
}

/**
 * The user behind the SessionHeader, billed as one API call like every SOAP call; an unknown, expired or
 * inactive session is the INVALID_SESSION_ID fault jsforce recognises (and refreshes on).
 */
export function authenticateSoap(org: Org, request: SoapRequest): { userId: string; token: string } {
    const token = sessionIdOf(request);
    const userId = sessionUser(org, token);
    if (!userId || !token) throw invalidSessionFault();
    if (!org.limits.bill())
        throw new SoapFault('REQUEST_LIMIT_EXCEEDED', 'REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.');
    org.counters.billed += 1;
    return { userId, token };
}

/** The active user behind a live session token (refreshing its inactivity timer), or undefined. */
export function sessionUser(org: Org, token: string | undefined): string | undefined {
    const session = token ? org.sessions.use(token) : undefined;
    const user = session ? org.store.get('User', session.userId) : undefined;
    return session && user && user.IsActive === true ? session.userId : undefined;
}

/** Plain values as SOAP elements: null → xsi:nil, arrays → repeated elements, undefined → left out. */
function toXmlValue(value: unknown): unknown {
    if (value === null) return { '@_xsi:nil': 'true' };
    if (Array.isArray(value)) return value.map(toXmlValue);
    if (typeof value === 'object' && value !== undefined) {
        const out: Record<string, unknown> = {};
        for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
            if (child !== undefined) out[key] = toXmlValue(child);
        }
        return out;
    }
    return String(value);
}

/** A SOAP answer envelope: `<operationResponse>` with `content` in the service namespace, plus header elements. */
export function soapEnvelope(
    namespace: string,
    body: Record<string, unknown>,
    header?: Record<string, unknown>
): string {
    const envelope: Record<string, unknown> = {
        '@_xmlns:soapenv': SOAP_ENV_NS,
        '@_xmlns': namespace,
        '@_xmlns:xsi': XSI_NS
    };
    if (header) envelope['soapenv:Header'] = toXmlValue(header);
    envelope['soapenv:Body'] = toXmlValue(body);
    return `<?xml version="1.0" encoding="UTF-8"?>${builder.build({ 'soapenv:Envelope': envelope }) as string}`;
}

export function faultEnvelope(namespace: string, fault: SoapFault): string {
    const envelope = {
        '@_xmlns:soapenv': SOAP_ENV_NS,
        '@_xmlns:sf': namespace,
        '@_xmlns:xsi': XSI_NS,
        'soapenv:Body': {
            'soapenv:Fault': {
                faultcode: `${fault.prefix}:${fault.code}`,
                faultstring: fault.message
            }
        }
    };
    return `<?xml version="1.0" encoding="UTF-8"?>${builder.build({ 'soapenv:Envelope': envelope }) as string}`;
}

export function sendSoap(reply: FastifyReply, xml: string, status = 200): FastifyReply {
    return reply.code(status).header('content-type', 'text/xml;charset=UTF-8').send(xml);
}

/** SOAP bodies arrive as text/xml (SOAP 1.1) or application/soap+xml; both are read as text. */
export function acceptSoapBodies(app: FastifyInstance): void {
    if (app.hasContentTypeParser('text/xml')) return;
    app.addContentTypeParser(['text/xml', 'application/soap+xml'], { parseAs: 'string' }, (_req, body, done) =>
        done(null, body)
    );
}

/**
 * One SOAP endpoint: parses the envelope, hands it to `handle`, and answers a SoapFault (or anything
 * unexpected, as UNKNOWN_EXCEPTION without a stack trace) as a fault in the service's namespace.
 */
export async function answerSoap(
    reply: FastifyReply,
    namespace: string,
    rawBody: unknown,
    handle: (request: SoapRequest) => Promise<{ body: Record<string, unknown>; header?: Record<string, unknown> }>
): Promise<FastifyReply> {
    try {
        const request = parseSoapEnvelope(typeof rawBody === 'string' ? rawBody : '');
        const { body, header } = await handle(request);
        return sendSoap(reply, soapEnvelope(namespace, body, header));
    } catch (error) {
        if (error instanceof SoapFault) return sendSoap(reply, faultEnvelope(namespace, error), 500);
        process.stderr.write(
            `[salesforce-emulator] unexpected error in a SOAP call: ${error instanceof Error ? error.message : String(error)}\n`
        );
        const fault = new SoapFault(
            'UNKNOWN_EXCEPTION',
            'UNKNOWN_EXCEPTION: An unexpected error occurred. Please include this ErrorId if you contact support: emulator'
        );
        return sendSoap(reply, faultEnvelope(namespace, fault), 500);
    }
}

/** The fault for an operation this endpoint does not have, worded as the org's SOAP stack words it. */
export function noSuchOperation(namespace: string, operation: string): SoapFault {
    return new SoapFault(
        'Client',
        `No operation available for request {${namespace}}${operation}, please check the WSDL for the service.`,
        'soapenv'
    );
}
