// The body of POST …/metadata/deployRequest: multipart/form-data with a JSON part (`entity_content`,
// `{"deployOptions": {…}}`) and the zip (`file`), as jsforce's `metadata.deployRest` sends it for the sf CLI.
// The service answers synchronously, and the platform's only multipart parser (`Response.formData()`) is
// asynchronous, so the parts are split here directly from the buffered body (RFC 7578 / RFC 2046 §5.1).
import { z } from 'zod';
import { SfError } from '../errors.ts';

/** The documented deployOptions (Metadata API Developer Guide, "Deploy Metadata with Apex Testing Using REST"). */
export const DeployOptionsSchema = z
    .object({
        allowMissingFiles: z.boolean().default(false),
        autoUpdatePackage: z.boolean().default(false),
        checkOnly: z.boolean().default(false),
        ignoreWarnings: z.boolean().default(false),
        performRetrieve: z.boolean().default(false),
        purgeOnDelete: z.boolean().default(false),
        rollbackOnError: z.boolean().default(true),
        runAllTests: z.boolean().default(false),
        runTests: z.array(z.string()).default([]),
        singlePackage: z.boolean().default(false),
        testLevel: z.enum(['NoTestRun', 'RunSpecifiedTests', 'RunLocalTests', 'RunAllTestsInOrg']).optional()
    })
    .strict();

export type DeployOptions = z.infer<typeof DeployOptionsSchema>;

const EntityContentSchema = z
    .object({ deployOptions: DeployOptionsSchema.default(DeployOptionsSchema.parse({})) })
    .strict();

export interface DeployRequest {
    options: DeployOptions;
    zip: Buffer;
}

interface Part {
    name: string;
    contentType: string;
    body: Buffer;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

function badRequest(errorCode: string, message: string, field: string): SfError {
    return new SfError(400, errorCode, message, [field]);
}

function boundaryOf(contentType: string): string {
    const [mediaType, ...params] = contentType.split(';').map((s) => s.trim());
    if (mediaType?.toLowerCase() !== 'multipart/form-data') {
        throw new SfError(
            415,
            'UNSUPPORTED_MEDIA_TYPE',
            `Content-Type '${contentType || '(none)'}' is not supported; deployRequest expects multipart/form-data`,
            ['Content-Type']
        );
    }
    for (const param of params) {
        const eq = param.indexOf('=');
        if (eq > 0 && param.slice(0, eq).trim().toLowerCase() === 'boundary') {
            const value = param
                .slice(eq + 1)
                .trim()
                .replace(/^"(.*)"$/, '$1');
            if (value.length > 0 && value.length <= 70) return value;
        }
    }
    throw badRequest(
        'INVALID_MULTIPART_REQUEST',
        'The multipart Content-Type has no valid boundary parameter',
        'Content-Type'
    );
}

function parseParts(body: Buffer, boundary: string): Part[] {
    const delimiter = Buffer.from(`--${boundary}`);
    const parts: Part[] = [];
    let at = body.indexOf(delimiter);
    if (at < 0)
        throw badRequest('INVALID_MULTIPART_REQUEST', 'The body does not contain the multipart boundary', 'body');
    for (;;) {
        const afterDelimiter = at + delimiter.length;
        if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') return parts;
        const headerStart = afterDelimiter + CRLF.length;
        const headerEnd = body.indexOf(HEADER_END, headerStart);
        const next = body.indexOf(Buffer.concat([CRLF, delimiter]), headerStart);
        if (headerEnd < 0 || next < 0 || headerEnd > next) {
            throw badRequest('INVALID_MULTIPART_REQUEST', 'A multipart part is truncated or has no headers', 'body');
        }
        const headers = new Map<string, string>();
        for (const line of body.subarray(headerStart, headerEnd).toString('utf8').split('\r\n')) {
            const colon = line.indexOf(':');
            if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        }
        const name = /(?:^|;)\s*name="([^"]*)"/i.exec(headers.get('content-disposition') ?? '')?.[1];
        if (name === undefined) {
            throw badRequest('INVALID_MULTIPART_REQUEST', 'A multipart part has no Content-Disposition name', 'body');
        }
        parts.push({
            name,
            contentType: headers.get('content-type') ?? 'text/plain',
            body: body.subarray(headerEnd + HEADER_END.length, next)
        });
        at = next + CRLF.length;
    }
}

function describeIssue(issue: z.core.$ZodIssue): { message: string; field: string } {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
        const key = issue.keys[0] ?? '';
        const field = path ? `${path}.${key}` : key;
        return { message: `Unrecognized field "${key}" in ${path || 'the request body'}`, field };
    }
    return {
        message: `Cannot deserialize ${path || 'the request body'}: ${issue.message}`,
        field: path || 'entity_content'
    };
}

/** Reads the multipart deploy request, or throws an SfError naming the offending part or option. */
export function parseDeployRequest(body: Buffer, contentType: string): DeployRequest {
    const parts = parseParts(body, boundaryOf(contentType));
    const json = parts.find((p) => p.name === 'entity_content' || p.name === 'json');
    const zip = parts.find((p) => p.name === 'file');
    if (!json) {
        throw badRequest(
            'INVALID_MULTIPART_REQUEST',
            'The request has no entity_content part with the deployOptions',
            'entity_content'
        );
    }
    if (!zip || zip.body.length === 0) {
        throw badRequest('INVALID_MULTIPART_REQUEST', 'The request has no file part with the zip to deploy', 'file');
    }
    let raw: unknown;
    try {
        raw = JSON.parse(json.body.toString('utf8'));
    } catch (error) {
        throw badRequest(
            'JSON_PARSER_ERROR',
            `The entity_content part is not valid JSON: ${(error as Error).message}`,
            'entity_content'
        );
    }
    const parsed = EntityContentSchema.safeParse(raw);
    if (!parsed.success) {
        const first = parsed.error.issues[0];
        const { message, field } = first
            ? describeIssue(first)
            : { message: 'Invalid deployOptions', field: 'deployOptions' };
        throw badRequest('JSON_PARSER_ERROR', message, field);
    }
    return { options: parsed.data.deployOptions, zip: zip.body };
}
