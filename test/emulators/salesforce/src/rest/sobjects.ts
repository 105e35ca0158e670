// sObject resources: versions, resource directory, describeGlobal, describe, CRUD, upsert by external id,
// conditional requests (If-Modified-Since / If-Unmodified-Since, ETag on Account) and /limits.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_API_VERSION, Services } from '../context.ts';
import { SfError } from '../errors.ts';
import { MultipleChoices } from '../data.ts';
import type { SfRecord } from '../store.ts';
import { formatDateTime, parseDateTime } from '../clock.ts';

type Params = { version: string; sobject: string; id: string; field: string; value: string };
type Req = FastifyRequest<{ Params: Params; Querystring: Record<string, string | undefined> }>;

function httpDate(header: string | string[] | undefined, name: string): number | undefined {
    if (typeof header !== 'string') return undefined;
    const ms = Date.parse(header);
    if (Number.isNaN(ms))
        throw new SfError(400, 'INVALID_HEADER_VALUE', `${name} header value is not a valid HTTP date: ${header}`);
    return ms;
}

const seconds = (ms: number) => Math.floor(ms / 1000);
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export function etagOf(rec: SfRecord): string {
    return `"${createHash('sha1')
        .update(`${String(rec.Id)}|${String(rec.SystemModstamp)}`)
        .digest('base64')}--gzip"`;
}

/** Applies conditional headers to a row; returns 'not-modified' when a GET should answer 304. */
function conditional(
    request: FastifyRequest,
    rec: SfRecord | undefined,
    modifiedMs: number | undefined,
    isRead: boolean,
    etagSupported: boolean
): 'not-modified' | undefined {
    const since = httpDate(request.headers['if-modified-since'], 'If-Modified-Since');
    const unmodifiedSince = httpDate(request.headers['if-unmodified-since'], 'If-Unmodified-Since');
    if (unmodifiedSince !== undefined && modifiedMs !== undefined && seconds(modifiedMs) > seconds(unmodifiedSince)) {
        throw new SfError(
            412,
            'PRECONDITION_FAILED',
            'The requested resource has been modified since the If-Unmodified-Since date'
        );
    }
    if (etagSupported && rec) {
        const tag = etagOf(rec);
        const ifMatch = request.headers['if-match'];
        if (
            typeof ifMatch === 'string' &&
            !ifMatch
                .split(',')
                .map((s) => s.trim())
                .includes(tag)
        ) {
            throw new SfError(412, 'PRECONDITION_FAILED', 'The If-Match header does not match the resource ETag');
        }
        const ifNoneMatch = request.headers['if-none-match'];
        if (
            typeof ifNoneMatch === 'string' &&
            ifNoneMatch
                .split(',')
                .map((s) => s.trim())
                .includes(tag)
        ) {
            if (isRead) return 'not-modified';
            throw new SfError(412, 'PRECONDITION_FAILED', 'The If-None-Match header matches the resource ETag');
        }
    }
    if (isRead && since !== undefined && modifiedMs !== undefined && seconds(modifiedMs) <= seconds(since))
        return 'not-modified';
    return undefined;
}

function modifiedOf(rec: SfRecord | undefined): number | undefined {
    const stamp = rec?.SystemModstamp ?? rec?.LastModifiedDate;
    return typeof stamp === 'string' ? parseDateTime(stamp) : undefined;
}

const RESOURCES_BY_VERSION = [
    'tooling',
    'metadata',
    'eclair',
    'folders',
    'prechatForms',
    'contact-tracing',
    'jsonxform',
    'chatter',
    'payments',
    'tabs',
    'appMenu',
    'quickActions',
    'queryAll',
    'commerce',
    'wave',
    'iot',
    'analytics',
    'search',
    'smartdatadiscovery',
    'identity',
    'composite',
    'parameterizedSearch',
    'fingerprint',
    'theme',
    'nouns',
    'domino',
    'event',
    'serviceTemplates',
    'recent',
    'connect',
    'licensing',
    'limits',
    'process',
    'dedupe',
    'async-queries',
    'query',
    'jobs',
    'match',
    'localizedvalue',
    'mobile',
    'emailConnect',
    'consent',
    'tokenizer',
    'compactLayouts',
    'knowledgeManagement',
    'sobjects',
    'actions',
    'support'
] as const;

export function registerSObjectRoutes(app: FastifyInstance, s: Services): void {
    const { org } = s;

    app.get('/services/data', async () =>
        Array.from({ length: MAX_API_VERSION - 30 + 1 }, (_, i) => {
            const v = `${30 + i}.0`;
            return { label: `API ${v}`, url: `/services/data/v${v}`, version: v };
        })
    );

    app.get('/services/data/:version', async (request: Req) => {
        const v = Services.version(request.params.version);
        const base = `/services/data/v${v}`;
        // Every entry of the documented example ("List Available REST Resources"), in its order; `identity` is the
        // caller's identity URL. The README's REST table says which of them the emulator serves.
        return Object.fromEntries(
            RESOURCES_BY_VERSION.map((k) => [
                k,
                k === 'identity' ? `${s.info.instanceUrl}/id/${org.orgId}/${s.auth(request).userId}` : `${base}/${k}`
            ])
        );
    });

    app.get('/services/data/:version/limits', async (request: Req) => {
        Services.version(request.params.version);
        s.auth(request);
        org.counters.operation('limits');
        return org.limits.values;
    });

    app.get('/services/data/:version/sobjects', async (request: Req, reply: FastifyReply) => {
        const v = Services.version(request.params.version);
        const access = s.access(request);
        if (conditional(request, undefined, org.schema.lastModifiedMs, true, false) === 'not-modified')
            return reply.code(304).send();
        org.counters.operation('describeGlobal');
        return {
            encoding: 'UTF-8',
            maxBatchSize: 200,
            sobjects: org.schema
                .all()
                .filter((d) => access.object(d).read)
                .map((d) => org.schema.globalEntry(d, v))
        };
    });

    app.get('/services/data/:version/sobjects/:sobject', async (request: Req) => {
        const v = Services.version(request.params.version);
        const ctx = s.read(request, v);
        const def = s.data.object(ctx, request.params.sobject);
        const recent = org.store
            .rows(def.name)
            .filter((r) => r.IsDeleted !== true)
            .slice(-25)
            .map((r) =>
                s.data.render(
                    def,
                    r,
                    def.fields.filter((f) => f.name === 'Id' || f.nameField),
                    v
                )
            );
        return { objectDescribe: org.schema.globalEntry(def, v), recentItems: recent };
    });

    app.get('/services/data/:version/sobjects/:sobject/describe', async (request: Req, reply: FastifyReply) => {
        const v = Services.version(request.params.version);
        const ctx = s.read(request, v);
        const def = s.data.object(ctx, request.params.sobject);
        if (conditional(request, undefined, org.schema.lastModifiedMs, true, false) === 'not-modified')
            return reply.code(304).send();
        org.counters.operation('describe');
        return org.schema.describe(def.name, v, (f) => ctx.access.field(def, f).read);
    });

    // Replication API: ids updated / deleted between start and end (jsforce sobject.updated() / deleted()).
    // Salesforce drops the seconds of both ends (12:30:15 → 12:30:00), so a window within one minute is empty and
    // refused, and one that spans a minute boundary is accepted. Updated ids go back 30 days, deleted ones 15.
    const replicationWindow = (request: Req, horizonDays: number): { start: number; end: number } => {
        const rawStart = parseDateTime(request.query.start ?? '');
        const rawEnd = parseDateTime(request.query.end ?? '');
        if (rawStart === undefined || rawEnd === undefined) {
            throw new SfError(
                400,
                'INVALID_REPLICATION_DATE',
                'start and end must be datetimes such as 2026-01-01T00:00:00+00:00',
                ['start', 'end']
            );
        }
        const start = Math.floor(rawStart / MINUTE_MS) * MINUTE_MS;
        const end = Math.floor(rawEnd / MINUTE_MS) * MINUTE_MS;
        if (start >= end)
            throw new SfError(
                400,
                'INVALID_REPLICATION_DATE',
                'startDate must chronologically precede endDate by at least one minute (seconds are ignored)',
                ['start']
            );
        const now = org.clock.peekMs();
        if (start < now - horizonDays * DAY_MS)
            throw new SfError(
                400,
                'INVALID_REPLICATION_DATE',
                `startDate cannot be more than ${horizonDays} days ago`,
                ['start']
            );
        // Inclusive end, clamped to now: the clock hands out unique milliseconds, so the latest write may be "now".
        return { start, end: Math.min(end, now) };
    };
    const stampOf = (r: SfRecord) => modifiedOf(r) ?? 0;
    app.get('/services/data/:version/sobjects/:sobject/updated', async (request: Req) => {
        const v = Services.version(request.params.version);
        const def = s.data.object(s.read(request, v), request.params.sobject);
        const { start, end } = replicationWindow(request, 30);
        const ids = org.store
            .rows(def.name)
            .filter((r) => r.IsDeleted !== true && stampOf(r) >= start && stampOf(r) <= end)
            .map((r) => String(r.Id));
        return { ids, latestDateCovered: formatDateTime(end) };
    });
    app.get('/services/data/:version/sobjects/:sobject/deleted', async (request: Req) => {
        const v = Services.version(request.params.version);
        const def = s.data.object(s.read(request, v), request.params.sobject);
        const { start, end } = replicationWindow(request, 15);
        const deletedRecords = org.store
            .rows(def.name)
            .filter((r) => r.IsDeleted === true && stampOf(r) >= start && stampOf(r) <= end)
            .map((r) => ({ id: String(r.Id), deletedDate: String(r.SystemModstamp) }));
        return {
            deletedRecords,
            earliestDateAvailable: formatDateTime(org.clock.peekMs() - 15 * DAY_MS),
            latestDateCovered: formatDateTime(end)
        };
    });

    app.post('/services/data/:version/sobjects/:sobject', async (request: Req, reply: FastifyReply) => {
        const v = Services.version(request.params.version);
        await org.faults.hit(request.params.sobject, 'create');
        const result = s.write(request, v, (ctx) => s.data.create(ctx, request.params.sobject, request.body));
        org.counters.operation('create');
        const def = org.schema.require(request.params.sobject);
        if ('uuid' in result) {
            return reply.code(201).send({
                id: result.id,
                success: true,
                errors: [{ statusCode: 'OPERATION_ENQUEUED', message: String(result.uuid), fields: [] }]
            });
        }
        reply.header('Location', `/services/data/v${v}/sobjects/${def.name}/${result.id}`);
        return reply.code(201).send({ id: result.id, success: true, errors: [] });
    });

    const retrieve = async (request: Req, reply: FastifyReply) => {
        const v = Services.version(request.params.version);
        const ctx = s.read(request, v);
        const def = s.data.object(ctx, request.params.sobject);
        await org.faults.hit(def.name, 'retrieve');
        const id = s.data.parseId(def, request.params.id);
        const rec = s.data.visibleRow(ctx, def, id);
        const modified = modifiedOf(rec);
        if (def.name === 'Account') reply.header('ETag', etagOf(rec));
        if (modified !== undefined) reply.header('Last-Modified', new Date(modified).toUTCString());
        if (conditional(request, rec, modified, true, def.name === 'Account') === 'not-modified')
            return reply.code(304).send();
        const fields = request.query.fields?.split(',').filter((f) => f.trim() !== '');
        org.counters.operation('retrieve');
        return s.data.retrieve(ctx, def.name, id, fields);
    };
    app.get('/services/data/:version/sobjects/:sobject/:id', retrieve);

    const update = async (request: Req, reply: FastifyReply) => {
        const v = Services.version(request.params.version);
        const ctx = s.read(request, v);
        const def = s.data.object(ctx, request.params.sobject);
        const rec = s.data.row(def, s.data.parseId(def, request.params.id));
        conditional(request, rec, modifiedOf(rec), false, def.name === 'Account');
        await org.faults.hit(def.name, 'update');
        s.write(request, v, (wctx) => s.data.update(wctx, def.name, request.params.id, request.body));
        org.counters.operation('update');
        return reply.code(204).send();
    };
    app.patch('/services/data/:version/sobjects/:sobject/:id', update);

    app.post('/services/data/:version/sobjects/:sobject/:id', async (request: Req, reply: FastifyReply) => {
        const override = request.query._HttpMethod?.toUpperCase();
        if (override === 'PATCH') return update(request, reply);
        if (override === 'DELETE') return destroy(request, reply);
        if (request.params.id.toLowerCase() === 'id') {
            // POST /sobjects/{Type}/Id: insert through the upsert resource (API 37+).
            const v = Services.version(request.params.version);
            await org.faults.hit(request.params.sobject, 'upsert');
            const result = s.write(request, v, (ctx) =>
                s.data.upsert(ctx, request.params.sobject, 'Id', '', request.body)
            );
            org.counters.operation('upsert');
            return reply.code(201).send({ id: result.id, success: true, errors: [], created: true });
        }
        throw new SfError(
            405,
            'METHOD_NOT_ALLOWED',
            "HTTP Method 'POST' not allowed. Allowed are HEAD,GET,PATCH,DELETE"
        );
    });

    const destroy = async (request: Req, reply: FastifyReply) => {
        const v = Services.version(request.params.version);
        await org.faults.hit(request.params.sobject, 'delete');
        s.write(request, v, (ctx) => s.data.delete(ctx, request.params.sobject, request.params.id));
        org.counters.operation('delete');
        return reply.code(204).send();
    };
    app.delete('/services/data/:version/sobjects/:sobject/:id', destroy);

    app.get('/services/data/:version/sobjects/:sobject/:field/:value', async (request: Req, reply: FastifyReply) => {
        const v = Services.version(request.params.version);
        const ctx = s.read(request, v);
        const def = s.data.object(ctx, request.params.sobject);
        // GET /sobjects/{T}/{id}/{blobField}: the body of a base64 field (ContentVersion.VersionData).
        const blobField = org.schema.field(def.name, request.params.value);
        if (blobField?.type === 'base64' && request.params.field.startsWith(def.keyPrefix)) {
            const rec = s.data.row(def, s.data.parseId(def, request.params.field));
            if (!ctx.access.field(def, blobField).read || typeof rec[blobField.name] !== 'string')
                throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
            org.counters.operation('retrieve');
            return reply.type('application/octetstream').send(Buffer.from(String(rec[blobField.name]), 'base64'));
        }
        const field = org.schema.field(def.name, request.params.field);
        if (!field || !(field.externalId || field.idLookup) || !ctx.access.field(def, field).read)
            throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
        await org.faults.hit(def.name, 'retrieve');
        const matches = s.data.findByExternalId(def, field, request.params.value);
        if (matches.length === 0) throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
        if (matches.length > 1) {
            throw new MultipleChoices(matches.map((r) => `/services/data/v${v}/sobjects/${def.name}/${String(r.Id)}`));
        }
        org.counters.operation('retrieve');
        const fields = request.query.fields?.split(',').filter((f) => f.trim() !== '');
        return s.data.retrieve(ctx, def.name, String(matches[0]!.Id), fields);
    });

    app.patch('/services/data/:version/sobjects/:sobject/:field/:value', async (request: Req, reply: FastifyReply) => {
        const v = Services.version(request.params.version);
        await org.faults.hit(request.params.sobject, 'upsert');
        const updateOnly = request.query.updateOnly === 'true';
        const result = s.write(request, v, (ctx) =>
            s.data.upsert(
                ctx,
                request.params.sobject,
                request.params.field,
                request.params.value,
                request.body ?? {},
                updateOnly
            )
        );
        org.counters.operation('upsert');
        if (!result.created && Number(v) <= 45) return reply.code(204).send();
        return reply
            .code(result.created ? 201 : 200)
            .send({ id: result.id, success: true, errors: [], created: result.created });
    });

    app.delete('/services/data/:version/sobjects/:sobject/:field/:value', async (request: Req, reply: FastifyReply) => {
        const v = Services.version(request.params.version);
        const ctx = s.read(request, v);
        const def = s.data.object(ctx, request.params.sobject);
        const field = org.schema.field(def.name, request.params.field);
        if (!field || !field.externalId) throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
        const matches = s.data.findByExternalId(def, field, request.params.value);
        if (matches.length !== 1) throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
        await org.faults.hit(def.name, 'delete');
        s.write(request, v, (wctx) => s.data.delete(wctx, def.name, String(matches[0]!.Id)));
        org.counters.operation('delete');
        return reply.code(204).send();
    });
}
