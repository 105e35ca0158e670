// Contract checks against the vendors' OpenAPI specs (../shared/specs), shared by the CLM emulator suite and the
// CLM adapter suites. Test-only: the product and the emulators never read ../shared at run time.
//
//   const problems = await validateRequest('ironclad', { method, path, query, headers, body });
//   const problems = await validateResponse('spotdraft', { method, path, status, body, contentType });
//   const problems = await validateComponent('spotdraft', 'V1WebhooksCreateWebhookSampleRequest', payload);
//
// All return a list of human-readable problems (empty = conforms). Paths may be given relative to the API base
// (`/workflows/abc`) or with any prefix up to and including the base (`/ironclad/public/api/v1/workflows/abc`,
// `http://127.0.0.1:4010/spotdraft/api/v2.1/public/contracts`); a query string in `path` is merged into `query`.
//
// Rules beyond plain schema checks (each one a choice the specs leave open, kept in one place here):
// - A path or method the spec does not define is a problem, except the named EXTRAS below (SpotDraft's webhook
//   subscription + HMAC-key endpoints from the newer developer playbooks, and Ironclad's OAuth token endpoint, which
//   lives outside the `/public/api/v1` base and is documented in Ironclad's OAuth guide, not in the OpenAPI file).
// - Unknown query parameters are problems (a typo like `page_size` would otherwise pass silently).
// - Path parameters an operation declares but its path template lacks are ignored (the SpotDraft copy declares
//   `contract_id` on `/{composite_id}/download_link` and `key_pointer_id` on `/notes/{note_id}`).
// - `readOnly` properties are not required in requests and `writeOnly` ones not in responses (OpenAPI 3.0 §4.7.25).
// - A response status the operation does not declare is accepted only if the vendor documents it API-wide
//   (GENERAL_STATUSES: SpotDraft's "HTTP Status Code Summary", Ironclad's auth and rate-limit pages); its body must
//   then have the vendor's error shape.
// - SPEC_CORRECTIONS below patch a few schemas the Konfig copies got wrong, each with the reason; nothing else is
//   changed.
// - A non-JSON body (a PDF) passes where the spec declares `format: binary` or the Konfig placeholder for an
//   untyped body (`type: object` with no properties); anywhere else it is a problem.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { sharedDir } from './requirements.ts';

export type Vendor = 'ironclad' | 'spotdraft';

export const specFiles: Record<Vendor, string> = {
    ironclad: path.join(sharedDir, 'specs', 'ironclad-openapi.yaml'),
    spotdraft: path.join(sharedDir, 'specs', 'spotdraft-openapi.yaml')
};

type Json = unknown;
type Schema = Record<string, unknown>;
type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

interface Parameter {
    name: string;
    in: 'path' | 'query' | 'header' | 'cookie';
    required?: boolean;
    schema?: Schema;
    style?: string;
    explode?: boolean;
}

interface MediaType {
    schema?: Schema;
}

interface Operation {
    operationId?: string;
    parameters?: Parameter[];
    requestBody?: { required?: boolean; content?: Record<string, MediaType> };
    responses?: Record<string, { content?: Record<string, MediaType> }>;
}

interface PathItem {
    parameters?: Parameter[];
    [method: string]: Operation | Parameter[] | undefined;
}

interface RouteTemplate {
    template: string;
    regex: RegExp;
    paramNames: string[];
    literalSegments: number;
    item: PathItem;
    /** Set for the named extras that are not in the vendor's OpenAPI file. */
    extra?: string;
}

export interface LoadedSpec {
    vendor: Vendor;
    /** The dereferenced OpenAPI document. */
    document: Record<string, unknown>;
    /** Path of the API base inside the server URL, e.g. `/public/api/v1`. */
    basePath: string;
    routes: RouteTemplate[];
    /** Structural findings in the vendor file that the loader tolerated (the SpotDraft copy has some). */
    specWarnings: string[];
}

export interface RequestToCheck {
    method: string;
    path: string;
    query?: Record<string, string | string[] | number | boolean | undefined>;
    headers?: Record<string, string | string[] | undefined>;
    /** Parsed JSON body, a form object (`application/x-www-form-urlencoded`), or undefined for none. */
    body?: Json;
}

export interface ResponseToCheck {
    method: string;
    path: string;
    status: number;
    /** Parsed JSON, a string (text), a Buffer (binary), or undefined for no body. */
    body?: Json;
    /** Response Content-Type; defaults to JSON when the body is neither string nor Buffer. */
    contentType?: string;
}

// The vendors' API-wide statuses that individual operations do not repeat.
const GENERAL_STATUSES: Record<Vendor, number[]> = {
    // SpotDraft's description: "HTTP Status Code Summary" (400, 401, 402, 403, 404, 409, 429, 500, 502, 503, 504).
    spotdraft: [400, 401, 402, 403, 404, 409, 429, 500, 502, 503, 504],
    // Ironclad: bad parameters answered as {code,message,param} (400), OAuth/bearer failures (401/403), unknown ids
    // (404, shaped like the spec's WorkflowNotFound), the rate-limit page (429), generic server errors.
    ironclad: [400, 401, 403, 404, 429, 500, 502, 503, 504]
};

// The error shapes the vendors use in their declared error responses, applied to GENERAL_STATUSES bodies.
const ERROR_SHAPES: Record<Vendor, Schema> = {
    ironclad: {
        type: 'object',
        required: ['code', 'message'],
        properties: { code: { type: 'string' }, message: { type: 'string' }, param: { type: 'string' } }
    },
    spotdraft: {
        type: 'object',
        required: ['detail'],
        properties: { detail: { type: 'string' }, code: { type: 'string' } }
    }
};

// RFC 6749 §5.2 error answer of the token endpoint.
const OAUTH_ERROR = {
    content: {
        'application/json': {
            schema: {
                type: 'object',
                required: ['error'],
                properties: { error: { type: 'string' }, error_description: { type: 'string' } }
            }
        }
    }
};

// Endpoints outside the OpenAPI files that the connector may call, by name, with their own shapes.
const EXTRAS: Record<Vendor, { template: string; reason: string; item: PathItem }[]> = {
    spotdraft: [
        {
            template: '/v2.1/public/webhooks/',
            reason: 'SpotDraft developer playbook: register a webhook',
            item: {
                post: {
                    operationId: 'extra_createWebhook',
                    requestBody: {
                        required: true,
                        content: {
                            'application/json': {
                                schema: {
                                    type: 'object',
                                    required: ['url'],
                                    properties: {
                                        title: { type: 'string' },
                                        url: { type: 'string', minLength: 1 },
                                        only_for_activities: { type: 'array', items: { type: 'string' } }
                                    }
                                }
                            }
                        }
                    },
                    responses: {
                        '201': {
                            content: {
                                'application/json': {
                                    schema: {
                                        type: 'object',
                                        required: ['id', 'url'],
                                        properties: { id: { type: ['integer', 'string'] }, url: { type: 'string' } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
        // The playbook writes the delete path without the trailing slash, the wire contract with it: accept both.
        ...['/v2.1/public/webhooks/{webhook_id}/', '/v2.1/public/webhooks/{webhook_id}'].map((template) => ({
            template,
            reason: 'SpotDraft developer playbook: delete a webhook',
            item: {
                parameters: [{ name: 'webhook_id', in: 'path' as const, required: true, schema: { type: 'string' } }],
                delete: { operationId: 'extra_deleteWebhook', responses: { '204': {} } }
            }
        })),
        {
            template: '/v2.1/public/webhooks/hmac_key/',
            reason: 'SpotDraft developer playbook: fetch the base64 HMAC key',
            item: {
                get: {
                    operationId: 'extra_getHmacKey',
                    responses: {
                        '200': {
                            content: {
                                'application/json': {
                                    schema: {
                                        type: 'object',
                                        required: ['hmac_key'],
                                        properties: { hmac_key: { type: 'string', minLength: 1 } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    ],
    ironclad: [
        {
            template: '/oauth/token',
            reason: 'Ironclad OAuth guide: client-credentials token endpoint (outside /public/api/v1)',
            item: {
                post: {
                    operationId: 'extra_oauthToken',
                    requestBody: {
                        required: true,
                        content: {
                            'application/x-www-form-urlencoded': {
                                schema: {
                                    type: 'object',
                                    required: ['grant_type', 'client_id', 'client_secret'],
                                    properties: {
                                        grant_type: { type: 'string', enum: ['client_credentials'] },
                                        client_id: { type: 'string', minLength: 1 },
                                        client_secret: { type: 'string', minLength: 1 },
                                        scope: { type: 'string' }
                                    }
                                }
                            }
                        }
                    },
                    responses: {
                        '200': {
                            content: {
                                'application/json': {
                                    schema: {
                                        type: 'object',
                                        required: ['access_token', 'token_type', 'expires_in'],
                                        properties: {
                                            access_token: { type: 'string', minLength: 1 },
                                            token_type: { type: 'string' },
                                            expires_in: { type: 'integer', minimum: 1 },
                                            scope: { type: 'string' }
                                        }
                                    }
                                }
                            }
                        },
                        '400': OAUTH_ERROR,
                        '401': OAUTH_ERROR
                    }
                }
            }
        }
    ]
};

/** Schemas in the copied specs that contradict their own descriptions, replaced before validation. */
export const SPEC_CORRECTIONS: Record<Vendor, { pointer: string[]; value: Schema; reason: string }[]> = {
    ironclad: [
        {
            pointer: ['components', 'schemas', 'LaunchedWorkflowModel', 'properties', 'schema'],
            value: { type: 'object' },
            reason:
                "the launch response's `schema` is the attribute schema (as in WorkflowResponseModel), but the copy " +
                'references AttributesModel, the launch *input* (which would require schema.counterpartyName to be a string)'
        },
        {
            pointer: [
                'components',
                'schemas',
                'WorkflowsUpdateMetadataRequest',
                'properties',
                'updates',
                'items',
                'properties',
                'value'
            ],
            value: {},
            reason:
                "the field's description says the value must conform to the attribute type (true/false for booleans, " +
                'numbers, objects for monetary amounts and tables); the copy types it as string only'
        },
        {
            pointer: ['components', 'schemas', 'WebhooksCreateNew400Response'],
            value: {
                anyOf: [
                    { $ref: '#/components/schemas/webhookInvalidEventTypeBadRequestResponse' },
                    { $ref: '#/components/schemas/webhookTargetURLExistsBadRequestResponse' }
                ]
            },
            reason:
                'the two error shapes in its oneOf are structurally identical ({code, message, param}, nothing required), ' +
                'so no body can match exactly one of them; anyOf keeps the intended check'
        }
    ],
    spotdraft: [
        {
            pointer: ['components', 'schemas', 'V21ContractApIsUpdateKeyPointerValueRequest', 'properties', 'value'],
            value: {},
            reason:
                'key pointer values are strings, numbers, booleans, arrays or objects by data type (the response schema ' +
                'ContractKeyPointerMinimalResponse.value says so); the copy types the request value as object only'
        }
    ]
};

function applyCorrections(vendor: Vendor, document: Record<string, unknown>, warnings: string[]): void {
    for (const correction of SPEC_CORRECTIONS[vendor]) {
        let node: Record<string, unknown> | undefined = document;
        for (const key of correction.pointer.slice(0, -1)) node = node?.[key] as Record<string, unknown> | undefined;
        const last = correction.pointer.at(-1)!;
        if (!node || !(last in node)) {
            warnings.push(`correction target missing: ${correction.pointer.join('/')}`);
            continue;
        }
        node[last] = correction.value;
    }
}

const METHODS: HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false, validateFormats: true }));
const compiled = new WeakMap<object, ValidateFunction>();
const adjusted = new WeakMap<object, { request?: Schema; response?: Schema }>();

const loading = new Map<Vendor, Promise<LoadedSpec>>();

/** Loads, validates (structure) and dereferences a vendor spec once per process. */
export function loadSpec(vendor: Vendor): Promise<LoadedSpec> {
    let pending = loading.get(vendor);
    if (!pending) {
        pending = readSpec(vendor);
        loading.set(vendor, pending);
    }
    return pending;
}

async function readSpec(vendor: Vendor): Promise<LoadedSpec> {
    const file = specFiles[vendor];
    const raw = parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const specWarnings: string[] = [];
    applyCorrections(vendor, raw, specWarnings);
    let document: Record<string, unknown>;
    try {
        document = (await SwaggerParser.validate(structuredClone(raw) as never)) as unknown as Record<string, unknown>;
    } catch (error) {
        // The SpotDraft copy fails the OpenAPI meta-schema in a few unrelated operations (roles/members);
        // keep the semantic checks and dereference anyway, recording what was tolerated.
        specWarnings.push(
            String((error as Error).message)
                .split('\n')
                .slice(0, 4)
                .join(' | ')
        );
        document = (await SwaggerParser.validate(structuredClone(raw) as never, {
            validate: { schema: false, spec: true }
        })) as unknown as Record<string, unknown>;
    }
    const servers = (document.servers as { url: string }[] | undefined) ?? [];
    const basePath = servers[0] ? new URL(servers[0].url).pathname.replace(/\/$/, '') : '';
    const routes: RouteTemplate[] = [];
    for (const [template, item] of Object.entries(document.paths as Record<string, PathItem>)) {
        routes.push(compileRoute(template, item));
    }
    for (const extra of EXTRAS[vendor])
        routes.push({ ...compileRoute(extra.template, extra.item), extra: extra.reason });
    // Prefer the most literal template: `/webhooks/verification-key` over `/webhooks/{id}`.
    routes.sort((a, b) => b.literalSegments - a.literalSegments);
    return { vendor, document, basePath, routes, specWarnings };
}

function compileRoute(template: string, item: PathItem): RouteTemplate {
    const paramNames: string[] = [];
    const segments = template.split('/');
    let literalSegments = 0;
    const pattern = segments
        .map((segment) => {
            const match = /^\{([^}]+)\}$/.exec(segment);
            if (match) {
                paramNames.push(match[1]!);
                return '([^/]+)';
            }
            if (segment) literalSegments += 1;
            return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        })
        .join('/');
    return { template, regex: new RegExp(`^${pattern}$`), paramNames, literalSegments, item };
}

interface Located {
    spec: LoadedSpec;
    route: RouteTemplate;
    operation: Operation;
    pathParams: Record<string, string>;
    label: string;
    query: Record<string, string | string[]>;
}

/** Strips everything up to the API base and splits off a query string. */
function splitPath(spec: LoadedSpec, rawPath: string): { apiPath: string; query: Record<string, string[]> } {
    let pathPart = rawPath;
    if (/^https?:\/\//.test(pathPart)) {
        const url = new URL(pathPart);
        pathPart = url.pathname + url.search;
    }
    const [pathOnly = '', search = ''] = pathPart.split('?', 2);
    let apiPath = pathOnly;
    const baseIndex = spec.basePath ? apiPath.indexOf(`${spec.basePath}/`) : -1;
    if (baseIndex >= 0) apiPath = apiPath.slice(baseIndex + spec.basePath.length);
    else if (spec.vendor === 'ironclad' && apiPath.endsWith('/oauth/token')) apiPath = '/oauth/token';
    const query: Record<string, string[]> = {};
    for (const [key, value] of new URLSearchParams(search)) (query[key] ??= []).push(value);
    return { apiPath, query };
}

function locate(
    spec: LoadedSpec,
    method: string,
    rawPath: string,
    extraQuery: RequestToCheck['query'],
    problems: string[]
): Located | undefined {
    const { apiPath, query: pathQuery } = splitPath(spec, rawPath);
    const lower = method.toLowerCase() as HttpMethod;
    const label = `${method.toUpperCase()} ${apiPath}`;
    const candidates = spec.routes.filter((route) => route.regex.test(apiPath));
    if (candidates.length === 0) {
        problems.push(`${label}: path is not in the ${spec.vendor} spec`);
        return undefined;
    }
    const route = candidates.find((candidate) => METHODS.includes(lower) && candidate.item[lower]);
    if (!route) {
        problems.push(`${label}: method not defined for ${candidates[0]!.template} in the ${spec.vendor} spec`);
        return undefined;
    }
    const values = route.regex.exec(apiPath)!.slice(1);
    const pathParams = Object.fromEntries(
        route.paramNames.map((name, index) => [name, decodeURIComponent(values[index]!)])
    );
    const query: Record<string, string | string[]> = { ...pathQuery };
    for (const [key, value] of Object.entries(extraQuery ?? {})) {
        if (value === undefined) continue;
        query[key] = Array.isArray(value) ? value.map(String) : String(value);
    }
    return {
        spec,
        route,
        operation: route.item[lower] as Operation,
        pathParams,
        label: `${method.toUpperCase()} ${route.template}`,
        query
    };
}

function mergedParameters(route: RouteTemplate, operation: Operation): Parameter[] {
    const byKey = new Map<string, Parameter>();
    for (const parameter of [...(route.item.parameters ?? []), ...(operation.parameters ?? [])]) {
        byKey.set(`${parameter.in}:${parameter.name}`, parameter);
    }
    return [...byKey.values()];
}

/** Turns a query/path/header string into the type its schema asks for, so Ajv checks the value, not the string. */
function coerce(value: string | string[], schema: Schema | undefined, parameter: Parameter): unknown {
    const type = schema?.type;
    if (type === 'array') {
        const list = Array.isArray(value)
            ? value
            : parameter.explode === false || parameter.style === 'form'
              ? value.split(',')
              : [value];
        return list.map((item) => coerce(item, schema?.items as Schema | undefined, parameter));
    }
    const single = Array.isArray(value) ? value[value.length - 1]! : value;
    if (type === 'integer' || type === 'number') {
        return single.trim() !== '' && !Number.isNaN(Number(single)) ? Number(single) : single;
    }
    if (type === 'boolean') return single === 'true' ? true : single === 'false' ? false : single;
    return single;
}

/** Removes `required` entries for properties marked readOnly (requests) or writeOnly (responses). */
function adjustForDirection(schema: Schema, direction: 'request' | 'response'): Schema {
    const cached = adjusted.get(schema)?.[direction];
    if (cached) return cached;
    const seen = new Map<object, unknown>();
    const skip = direction === 'request' ? 'readOnly' : 'writeOnly';
    const walk = (node: unknown): unknown => {
        if (Array.isArray(node)) return node.map(walk);
        if (!node || typeof node !== 'object') return node;
        if (seen.has(node)) return seen.get(node);
        const copy: Record<string, unknown> = {};
        seen.set(node, copy);
        for (const [key, value] of Object.entries(node)) copy[key] = walk(value);
        const properties = copy.properties as Record<string, Schema> | undefined;
        if (Array.isArray(copy.required) && properties) {
            copy.required = (copy.required as string[]).filter((name) => !properties[name]?.[skip]);
        }
        return copy;
    };
    const result = walk(schema) as Schema;
    adjusted.set(schema, { ...adjusted.get(schema), [direction]: result });
    return result;
}

function schemaProblems(schema: Schema, value: unknown, where: string): string[] {
    let validate = compiled.get(schema);
    if (!validate) {
        validate = ajv.compile(schema);
        compiled.set(schema, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
        (error) => `${where}${error.instancePath || ''}: ${error.message ?? 'invalid'}${paramsText(error.params)}`
    );
}

function paramsText(params: Record<string, unknown> | undefined): string {
    if (!params) return '';
    if ('allowedValues' in params) return ` (${(params.allowedValues as unknown[]).join(', ')})`;
    if ('additionalProperty' in params) return ` (${String(params.additionalProperty)})`;
    return '';
}

function headerValue(headers: RequestToCheck['headers'], name: string): string | undefined {
    for (const [key, value] of Object.entries(headers ?? {})) {
        if (key.toLowerCase() === name.toLowerCase() && value !== undefined) {
            return Array.isArray(value) ? value.join(', ') : value;
        }
    }
    return undefined;
}

function mediaKey(contentType: string | undefined): string {
    return (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
}

function isBinary(body: unknown): boolean {
    return Buffer.isBuffer(body) || body instanceof Uint8Array || body instanceof ArrayBuffer;
}

/** Whether a declared schema admits an opaque binary body (see the rules at the top). */
function acceptsBinary(schema: Schema | undefined): boolean {
    if (!schema) return true;
    if (schema.format === 'binary') return true;
    const properties = schema.properties as Record<string, unknown> | undefined;
    return schema.type === 'object' && (!properties || Object.keys(properties).length === 0) && !schema.required;
}

/** Checks one request against the vendor spec: path, method, parameters, security headers and body. */
export async function validateRequest(vendor: Vendor, request: RequestToCheck): Promise<string[]> {
    const spec = await loadSpec(vendor);
    const problems: string[] = [];
    const located = locate(spec, request.method, request.path, request.query, problems);
    if (!located) return problems;
    const { route, operation, label, query, pathParams } = located;
    const parameters = mergedParameters(route, operation);

    for (const parameter of parameters) {
        const where = `${label}: ${parameter.in} parameter '${parameter.name}'`;
        if (parameter.in === 'path') {
            if (!route.paramNames.includes(parameter.name)) continue;
            problems.push(
                ...schemaProblems(
                    parameter.schema ?? {},
                    coerce(pathParams[parameter.name]!, parameter.schema, parameter),
                    where
                )
            );
        } else if (parameter.in === 'query') {
            const value = query[parameter.name];
            if (value === undefined) {
                if (parameter.required) problems.push(`${where} is required`);
                continue;
            }
            problems.push(...schemaProblems(parameter.schema ?? {}, coerce(value, parameter.schema, parameter), where));
        } else if (parameter.in === 'header') {
            const value = headerValue(request.headers, parameter.name);
            if (value === undefined) {
                if (parameter.required) problems.push(`${where} is required`);
                continue;
            }
            problems.push(...schemaProblems(parameter.schema ?? {}, coerce(value, parameter.schema, parameter), where));
        }
    }
    const declaredQuery = new Set(parameters.filter((parameter) => parameter.in === 'query').map((p) => p.name));
    for (const name of Object.keys(query)) {
        if (!declaredQuery.has(name)) problems.push(`${label}: query parameter '${name}' is not defined by the spec`);
    }

    if (!route.extra || vendor === 'spotdraft') {
        // Ironclad: bearer token in Authorization (securitySchemes.sec0). SpotDraft: the description's client-id and
        // client-secret headers (its securitySchemes entry names Authorization, which the narrative contradicts).
        const required = vendor === 'ironclad' ? ['authorization'] : ['client-id', 'client-secret'];
        for (const name of required) {
            if (!headerValue(request.headers, name)) problems.push(`${label}: header '${name}' is required`);
        }
        if (
            vendor === 'ironclad' &&
            !/^Bearer\s+\S+/i.test(headerValue(request.headers, 'authorization') ?? 'Bearer x')
        ) {
            problems.push(`${label}: Authorization must be 'Bearer <token>'`);
        }
    }

    const bodyPresent = request.body !== undefined && request.body !== null && request.body !== '';
    const requestBody = operation.requestBody;
    if (!requestBody) {
        if (bodyPresent) problems.push(`${label}: the spec defines no request body`);
        return problems;
    }
    if (!bodyPresent) {
        if (requestBody.required) problems.push(`${label}: request body is required`);
        return problems;
    }
    const contentType = mediaKey(headerValue(request.headers, 'content-type'));
    const media = requestBody.content?.[contentType];
    if (!media) {
        problems.push(
            `${label}: content type ${contentType} not accepted (${Object.keys(requestBody.content ?? {}).join(', ')})`
        );
        return problems;
    }
    if (media.schema)
        problems.push(...schemaProblems(adjustForDirection(media.schema, 'request'), request.body, `${label}: body`));
    return problems;
}

/** Checks one response against the vendor spec: declared status, content type and body schema. */
export async function validateResponse(vendor: Vendor, response: ResponseToCheck): Promise<string[]> {
    const spec = await loadSpec(vendor);
    const problems: string[] = [];
    const located = locate(spec, response.method, response.path, undefined, problems);
    if (!located) return problems;
    const { operation, label } = located;
    const where = `${label} → ${response.status}`;
    const declared = operation.responses?.[String(response.status)] ?? operation.responses?.default;
    const bodyPresent =
        response.body !== undefined &&
        response.body !== null &&
        !(typeof response.body === 'string' && response.body === '') &&
        !(isBinary(response.body) && (response.body as Buffer).length === 0);

    if (!declared) {
        if (!GENERAL_STATUSES[vendor].includes(response.status)) {
            problems.push(`${where}: status not declared by the spec`);
            return problems;
        }
        if (response.status === 401 && vendor === 'ironclad' && !bodyPresent) return problems;
        problems.push(...schemaProblems(ERROR_SHAPES[vendor], response.body, `${where}: error body`));
        return problems;
    }
    const content = declared.content;
    if (!content || Object.keys(content).length === 0) {
        if (bodyPresent) problems.push(`${where}: the spec declares no body`);
        return problems;
    }
    const binary = isBinary(response.body);
    const contentType = mediaKey(
        response.contentType ??
            (binary ? 'application/octet-stream' : typeof response.body === 'string' ? 'text/plain' : undefined)
    );
    if (
        binary ||
        (contentType !== 'application/json' && !contentType.endsWith('+json') && contentType !== 'text/plain')
    ) {
        const schemas = Object.values(content).map((media) => media.schema);
        if (!schemas.some((schema) => acceptsBinary(schema)))
            problems.push(`${where}: binary body where the spec declares JSON`);
        return problems;
    }
    const media = content[contentType];
    if (!media) {
        problems.push(`${where}: content type ${contentType} not declared (${Object.keys(content).join(', ')})`);
        return problems;
    }
    if (contentType === 'text/plain') {
        if (typeof response.body !== 'string') problems.push(`${where}: text/plain body must be a string`);
        return problems;
    }
    if (media.schema) {
        problems.push(...schemaProblems(adjustForDirection(media.schema, 'response'), response.body, `${where}: body`));
    }
    return problems;
}

/** Checks a value against a named component schema (e.g. a webhook payload: `V1WebhooksCreateWebhookSampleRequest`). */
export async function validateComponent(vendor: Vendor, component: string, value: unknown): Promise<string[]> {
    const spec = await loadSpec(vendor);
    const schemas = (spec.document.components as { schemas?: Record<string, Schema> } | undefined)?.schemas ?? {};
    const schema = schemas[component];
    if (!schema) return [`${vendor} spec has no component schema ${component}`];
    return schemaProblems(adjustForDirection(schema, 'response'), value, component);
}
