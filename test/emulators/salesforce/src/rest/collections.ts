// sObject Collections (≤200 records; allOrNone) and Composite (≤25 subrequests, ≤5 of them collections or
// queries; @{ref.field} references; allOrNone rollback with PROCESSING_HALTED). A collection or composite
// call is one transaction: one transaction key, one hook notification, nothing announced when rolled back.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { COMPOSITE_HEADER, Services } from '../context.ts';
import type { CallContext, WriteResult } from '../data.ts';
import { SfError } from '../errors.ts';
import { DropConnection } from '../faults.ts';

const MAX_RECORDS = 200;
const MAX_SUBREQUESTS = 25;
const MAX_COLLECTION_OR_QUERY = 5;

const ROLLED_BACK = {
    statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
    message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
    fields: [] as string[]
};

type ItemResult = { id?: string; success: boolean; errors: unknown[]; created?: boolean };
type Req = FastifyRequest<{
    Params: { version: string; sobject: string; field: string };
    Querystring: Record<string, string | undefined>;
}>;

const recordsBody = z.object({
    allOrNone: z.boolean().optional(),
    records: z.array(z.record(z.string(), z.unknown()), { error: 'records must be an array of sObjects' })
});

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
    const r = schema.safeParse(body);
    if (!r.success) {
        const issue = r.error.issues[0];
        throw new SfError(
            400,
            'JSON_PARSER_ERROR',
            `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid request body'}`,
            issue ? [issue.path.join('.')] : []
        );
    }
    return r.data;
}

/**
 * Retrieve takes more ids than a write: up to 2,000 in a POST body, and about 800 in a GET before the URL is too
 * long (REST API Developer Guide, "Get Records Using sObject Collections").
 */
const MAX_RETRIEVE_IDS = { POST: 2000, GET: 800 } as const;

function checkCount(n: number, max: number = MAX_RECORDS): void {
    if (n > max) {
        throw new SfError(
            400,
            'EXCEEDED_ID_LIMIT',
            `record limit reached. cannot submit more than ${max} records into this call`
        );
    }
}

/** A fault that fails the whole HTTP call rather than one record (session, limits, server errors, drops). */
function isCallLevel(e: unknown): boolean {
    return e instanceof DropConnection || (e instanceof SfError && e.status !== 400);
}

function typeOf(rec: Record<string, unknown>): string | undefined {
    const attrs = rec.attributes as { type?: unknown } | undefined;
    return typeof attrs?.type === 'string' ? attrs.type : undefined;
}

export function registerCollectionRoutes(app: FastifyInstance, s: Services): void {
    const { org } = s;

    /** Runs one operation per item in one transaction; per-item failures roll back only that item. */
    async function perItem<T>(
        request: FastifyRequest,
        version: string,
        items: T[],
        allOrNone: boolean,
        operation: 'create' | 'update' | 'upsert' | 'delete',
        sobjectOf: (item: T) => string | undefined,
        run: (ctx: CallContext, item: T) => WriteResult,
        idOf: (item: T) => string | undefined
    ): Promise<ItemResult[]> {
        const scope = s.scopeOf(request);
        const tx = scope?.tx ?? org.begin(s.txContext(request, version));
        const start = tx.savepoint();
        const ctx: CallContext = { access: s.access(request), userId: s.auth(request).userId, tx, version };
        const results: ItemResult[] = [];
        for (const item of items) {
            const sp = tx.savepoint();
            try {
                await org.faults.hit(sobjectOf(item), operation);
                const r = run(ctx, item);
                const out: ItemResult = { id: r.id, success: true, errors: [] };
                if (operation === 'upsert') out.created = r.created;
                results.push(out);
            } catch (e) {
                tx.rollbackTo(sp);
                if (isCallLevel(e) || !(e instanceof SfError)) {
                    tx.rollbackTo(start);
                    if (!scope) tx.done = true;
                    throw e;
                }
                const out: ItemResult = { success: false, errors: [e.toRecordError()] };
                const id = idOf(item);
                if (id) out.id = id;
                if (operation === 'upsert') out.created = false;
                results.push(out);
            }
        }
        org.counters.operation(operation, items.length);
        if (allOrNone && results.some((r) => !r.success)) {
            tx.rollbackTo(start);
            if (!scope) tx.done = true;
            // A rolled-back create or upsert has no id (UpsertResult: "If there was an error, the field is null";
            // the row it made no longer exists) and created false; a rolled-back update or delete keeps its id.
            return results.map((r) =>
                r.success
                    ? {
                          ...(operation === 'create' || operation === 'upsert' ? {} : { id: r.id }),
                          success: false,
                          errors: [ROLLED_BACK],
                          ...(operation === 'upsert' ? { created: false } : {})
                      }
                    : r
            );
        }
        if (!scope) org.commit(tx);
        return results;
    }

    /** Create (POST) and update (PATCH) of mixed-type records: each needs attributes.type. */
    const typedRecords =
        (
            operation: 'create' | 'update',
            run: (ctx: CallContext, type: string, rec: Record<string, unknown>) => WriteResult
        ) =>
        async (request: Req) => {
            const v = Services.version(request.params.version);
            const body = parseBody(recordsBody, request.body);
            checkCount(body.records.length);
            return perItem(
                request,
                v,
                body.records,
                body.allOrNone === true,
                operation,
                typeOf,
                (ctx, rec) => {
                    const type = typeOf(rec);
                    if (!type) throw new SfError(400, 'INVALID_TYPE', 'Must send a concrete entity type.', []);
                    return run(ctx, type, rec);
                },
                (rec) =>
                    operation === 'update' && typeof (rec.id ?? rec.Id) === 'string'
                        ? String(rec.id ?? rec.Id)
                        : undefined
            );
        };

    app.post(
        '/services/data/:version/composite/sobjects',
        typedRecords('create', (ctx, type, rec) => {
            if (rec.id !== undefined || rec.Id !== undefined)
                throw new SfError(
                    400,
                    'INVALID_FIELD',
                    'The Id field should not be specified in the sobject data.',
                    []
                );
            return s.data.create(ctx, type, rec);
        })
    );

    app.patch(
        '/services/data/:version/composite/sobjects',
        typedRecords('update', (ctx, type, rec) => {
            const id = rec.id ?? rec.Id;
            if (typeof id !== 'string')
                throw new SfError(400, 'MISSING_ARGUMENT', 'Id not specified in an update call', []);
            const fields = { ...rec };
            delete fields.id;
            delete fields.Id;
            return s.data.update(ctx, type, id, fields);
        })
    );

    app.delete('/services/data/:version/composite/sobjects', async (request: Req) => {
        const v = Services.version(request.params.version);
        const ids = (request.query.ids ?? '').split(',').filter((x) => x !== '');
        if (ids.length === 0) throw new SfError(400, 'MISSING_ARGUMENT', 'ids parameter is required', ['ids']);
        checkCount(ids.length);
        return perItem(
            request,
            v,
            ids,
            request.query.allOrNone === 'true',
            'delete',
            (id) => org.schema.objectByPrefix(id.slice(0, 3))?.name,
            (ctx, id) => {
                const def = org.schema.objectByPrefix(id.slice(0, 3));
                if (!def || !/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(id))
                    throw new SfError(400, 'MALFORMED_ID', `malformed id ${id}`, []);
                return s.data.delete(ctx, def.name, id);
            },
            (id) => id
        );
    });

    app.patch('/services/data/:version/composite/sobjects/:sobject/:field', async (request: Req) => {
        const v = Services.version(request.params.version);
        const body = parseBody(recordsBody, request.body);
        checkCount(body.records.length);
        const extField = org.schema.field(request.params.sobject, request.params.field);
        if (!org.schema.get(request.params.sobject) || !extField)
            throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
        return perItem(
            request,
            v,
            body.records,
            body.allOrNone === true,
            'upsert',
            () => request.params.sobject,
            (ctx, rec) => {
                const type = typeOf(rec);
                if (type && type.toLowerCase() !== request.params.sobject.toLowerCase()) {
                    throw new SfError(
                        400,
                        'INVALID_TYPE',
                        `Record type ${type} does not match ${request.params.sobject}`,
                        []
                    );
                }
                const key = Object.keys(rec).find((k) => k.toLowerCase() === extField.name.toLowerCase());
                const value = key ? rec[key] : undefined;
                const absent = value === undefined || value === null || value === '';
                if (absent && extField.type !== 'id') {
                    throw new SfError(400, 'MISSING_ARGUMENT', `${extField.name} not specified`, [extField.name]);
                }
                return s.data.upsert(ctx, request.params.sobject, extField.name, absent ? '' : String(value), rec);
            },
            () => undefined
        );
    });

    const retrieveMany = async (request: Req, ids: unknown, fields: unknown, method: 'GET' | 'POST') => {
        const v = Services.version(request.params.version);
        const parsed = z
            .object({ ids: z.array(z.string()).min(1), fields: z.array(z.string()).min(1) })
            .safeParse({ ids, fields });
        if (!parsed.success)
            throw new SfError(400, 'MISSING_ARGUMENT', 'ids and fields are required', ['ids', 'fields']);
        checkCount(parsed.data.ids.length, MAX_RETRIEVE_IDS[method]);
        const ctx = s.read(request, v);
        await org.faults.hit(request.params.sobject, 'retrieve');
        org.counters.operation('retrieve', parsed.data.ids.length);
        return parsed.data.ids.map((id) => {
            try {
                return s.data.retrieve(ctx, request.params.sobject, id, parsed.data.fields);
            } catch (e) {
                if (
                    e instanceof SfError &&
                    (e.errorCode === 'NOT_FOUND' ||
                        e.errorCode === 'ENTITY_IS_DELETED' ||
                        e.errorCode === 'MALFORMED_ID')
                )
                    return null;
                throw e;
            }
        });
    };
    app.post('/services/data/:version/composite/sobjects/:sobject', async (request: Req) => {
        const body = (request.body ?? {}) as { ids?: unknown; fields?: unknown };
        return retrieveMany(request, body.ids, body.fields, 'POST');
    });
    app.get('/services/data/:version/composite/sobjects/:sobject', async (request: Req) =>
        retrieveMany(request, request.query.ids?.split(','), request.query.fields?.split(','), 'GET')
    );

    registerComposite(app, s);
}

const compositeBody = z.object({
    allOrNone: z.boolean().optional(),
    collateSubrequests: z.boolean().optional(),
    compositeRequest: z
        .array(
            z.object({
                method: z.enum(['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'HEAD']),
                url: z.string().min(1),
                referenceId: z.string().regex(/^[A-Za-z0-9_]+$/, 'referenceId must be alphanumeric'),
                body: z.unknown().optional(),
                httpHeaders: z.record(z.string(), z.string()).optional()
            })
        )
        .min(1)
});

const HALTED = {
    errorCode: 'PROCESSING_HALTED',
    message: 'The transaction was rolled back since another operation in the same transaction failed.'
};

function resolvePath(value: unknown, path: string): unknown {
    let current = value;
    for (const part of path.split('.')) {
        const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
        if (!m || current === null || typeof current !== 'object') return undefined;
        current = (current as Record<string, unknown>)[m[1]!];
        for (const idx of m[2]!.match(/\d+/g) ?? []) {
            if (!Array.isArray(current)) return undefined;
            current = current[Number(idx)];
        }
    }
    return current;
}

class UnresolvedReference extends Error {}

function substitute(value: unknown, results: Map<string, unknown>): unknown {
    if (typeof value === 'string') {
        const whole = /^@\{([A-Za-z0-9_]+)\.([^}]+)\}$/.exec(value);
        if (whole) {
            const resolved = results.has(whole[1]!) ? resolvePath(results.get(whole[1]!), whole[2]!) : undefined;
            if (resolved === undefined) throw new UnresolvedReference(`${whole[1]}.${whole[2]}`);
            return resolved;
        }
        return value.replace(/@\{([A-Za-z0-9_]+)\.([^}]+)\}/g, (_m, ref: string, path: string) => {
            const resolved = results.has(ref) ? resolvePath(results.get(ref), path) : undefined;
            if (resolved === undefined) throw new UnresolvedReference(`${ref}.${path}`);
            return String(resolved);
        });
    }
    if (Array.isArray(value)) return value.map((v) => substitute(v, results));
    if (value && typeof value === 'object')
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, results)]));
    return value;
}

function registerComposite(app: FastifyInstance, s: Services): void {
    const { org } = s;
    app.post('/services/data/:version/composite', async (request: Req, reply: FastifyReply) => {
        const v = Services.version(request.params.version);
        const body = parseBody(compositeBody, request.body);
        const subs = body.compositeRequest;
        if (subs.length > MAX_SUBREQUESTS) {
            throw new SfError(
                400,
                'LIMIT_EXCEEDED',
                `The number of subrequests exceeded the limit of ${MAX_SUBREQUESTS}`
            );
        }
        const heavy = subs.filter((r) => /\/(composite\/sobjects|query|queryAll)(\/|\?|$)/.test(r.url)).length;
        if (heavy > MAX_COLLECTION_OR_QUERY) {
            throw new SfError(
                400,
                'LIMIT_EXCEEDED',
                `A composite request may contain at most ${MAX_COLLECTION_OR_QUERY} sObject Collections or query subrequests`
            );
        }
        const ids = new Set<string>();
        for (const r of subs) {
            if (ids.has(r.referenceId))
                throw new SfError(400, 'INVALID_INPUT', `Duplicate referenceId ${r.referenceId}`, ['referenceId']);
            ids.add(r.referenceId);
            if (!/^\/services\/data\/v\d+\.\d\//.test(r.url))
                throw new SfError(
                    400,
                    'INVALID_INPUT',
                    `The subrequest url must begin with /services/data/vXX.X/: ${r.url}`,
                    ['url']
                );
        }
        const tx = org.begin(s.txContext(request, v));
        const scopeKey = s.openScope({ tx, userId: s.auth(request).userId });
        const results = new Map<string, unknown>();
        const out: {
            body: unknown;
            httpHeaders: Record<string, string>;
            httpStatusCode: number;
            referenceId: string;
        }[] = [];
        let failed = false;
        try {
            for (const sub of subs) {
                if (failed && body.allOrNone) {
                    out.push({ body: [HALTED], httpHeaders: {}, httpStatusCode: 400, referenceId: sub.referenceId });
                    continue;
                }
                let url: string;
                let payload: unknown;
                try {
                    url = String(substitute(sub.url, results));
                    payload = substitute(sub.body, results);
                } catch (e) {
                    if (!(e instanceof UnresolvedReference)) throw e;
                    failed = true;
                    out.push({
                        body: [
                            {
                                errorCode: 'PROCESSING_HALTED',
                                message: `Invalid reference specified. No value for ${e.message} found in ${e.message.split('.')[0]}. Provided referenceId ('${e.message.split('.')[0]}') must be a previous subrequest that succeeded.`
                            }
                        ],
                        httpHeaders: {},
                        httpStatusCode: 400,
                        referenceId: sub.referenceId
                    });
                    continue;
                }
                const headers: Record<string, string> = { ...(sub.httpHeaders ?? {}), [COMPOSITE_HEADER]: scopeKey };
                if (request.headers.authorization) headers.authorization = request.headers.authorization;
                if (typeof request.headers['sforce-call-options'] === 'string')
                    headers['sforce-call-options'] = request.headers['sforce-call-options'];
                if (payload !== undefined) headers['content-type'] = 'application/json';
                const res = await app.inject({
                    method: sub.method,
                    url,
                    headers,
                    payload: payload === undefined ? undefined : JSON.stringify(payload)
                });
                const text = res.body;
                const parsed: unknown =
                    text === ''
                        ? null
                        : (() => {
                              try {
                                  return JSON.parse(text);
                              } catch {
                                  return text;
                              }
                          })();
                const httpHeaders: Record<string, string> = {};
                for (const h of ['Location', 'ETag', 'Last-Modified']) {
                    const val = res.headers[h.toLowerCase()];
                    if (typeof val === 'string') httpHeaders[h] = val;
                }
                out.push({
                    body: res.statusCode === 304 ? null : parsed,
                    httpHeaders,
                    httpStatusCode: res.statusCode,
                    referenceId: sub.referenceId
                });
                if (res.statusCode >= 400) failed = true;
                else results.set(sub.referenceId, parsed);
            }
        } finally {
            s.scopes.delete(scopeKey);
        }
        if (failed && body.allOrNone) {
            tx.rollback();
            for (const r of out)
                if (r.httpStatusCode < 400) Object.assign(r, { body: [HALTED], httpHeaders: {}, httpStatusCode: 400 });
        } else org.commit(tx);
        return reply.send({ compositeResponse: out });
    });
}
