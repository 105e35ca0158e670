// Bulk API 2.0: ingest jobs (insert, update, upsert, delete, hardDelete; CSV with #N/A for null) and query
// jobs, with the job state machine Open → UploadComplete → InProgress → JobComplete | Failed, Aborted, and
// the successful / failed / unprocessed result CSVs. Records are processed in chunks of 200, each chunk one
// transaction (api "bulkapi" on the hook); a failed record never rolls back the others.
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import soqlParser from 'soql-parser-js';

// The package is CommonJS: its named exports are not visible to ESM imports.
const { parseQuery } = soqlParser;
import { z } from 'zod';
import { formatDateTime } from '../clock.ts';
import { Services } from '../context.ts';
import type { CallContext } from '../data.ts';
import { SfError, notFound } from '../errors.ts';
import { DropConnection } from '../faults.ts';
import { normalizeId } from '../ids.ts';

const DELIMITERS = { COMMA: ',', BACKQUOTE: '`', CARET: '^', PIPE: '|', SEMICOLON: ';', TAB: '\t' } as const;
type Delimiter = keyof typeof DELIMITERS;
type JobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';
const CHUNK = 200;

interface Job {
    id: string;
    kind: 'ingest' | 'query';
    operation: string;
    object: string;
    externalIdFieldName?: string;
    query?: string;
    createdById: string;
    createdDate: number;
    systemModstamp: number;
    state: JobState;
    contentType: 'CSV';
    apiVersion: string;
    lineEnding: 'LF' | 'CRLF';
    columnDelimiter: Delimiter;
    errorMessage?: string;
    uploads: string[];
    header: string[];
    successful: string[][];
    failed: string[][];
    unprocessed: string[][];
    processed: number;
    failedCount: number;
    queryColumns: string[];
    queryRows: string[][];
    processingMs: number;
    token: string;
    callOptions: string | null;
}

const ingestSchema = z.object({
    object: z.string().min(1),
    operation: z.enum(['insert', 'update', 'upsert', 'delete', 'hardDelete']),
    externalIdFieldName: z.string().min(1).optional(),
    contentType: z.literal('CSV').optional(),
    lineEnding: z.enum(['LF', 'CRLF']).optional(),
    columnDelimiter: z.enum(Object.keys(DELIMITERS) as [Delimiter, ...Delimiter[]]).optional(),
    assignmentRuleId: z.string().optional()
});
const querySchema = z.object({
    operation: z.enum(['query', 'queryAll']),
    query: z.string().min(1),
    contentType: z.literal('CSV').optional(),
    lineEnding: z.enum(['LF', 'CRLF']).optional(),
    columnDelimiter: z.enum(Object.keys(DELIMITERS) as [Delimiter, ...Delimiter[]]).optional()
});
const stateSchema = z.object({ state: z.enum(['UploadComplete', 'Aborted']) });

function parseJson<T>(schema: z.ZodType<T>, body: unknown): T {
    const r = schema.safeParse(body);
    if (!r.success) {
        const issue = r.error.issues[0];
        const field = issue?.path.join('.') ?? '';
        throw new SfError(
            400,
            'INVALIDJOB',
            `InvalidJob : ${field ? `${field}: ` : ''}${issue?.message ?? 'invalid job request'}`,
            field ? [field] : []
        );
    }
    return r.data;
}

type Req = FastifyRequest<{ Params: { version: string; id: string }; Querystring: Record<string, string | undefined> }>;

/**
 * Query results are paged by size, as Salesforce does when maxRecords is absent ("as many rows as can be listed");
 * the platform does not publish its page size, so the emulator's is a setting (admin `PUT /bulk/settings`).
 */
const DEFAULT_QUERY_PAGE_BYTES = 100 * 1024 * 1024;
const settingsSchema = z.object({ queryPageBytes: z.number().int().min(1).optional() }).strict();

export function registerBulkRoutes(app: FastifyInstance, s: Services, adminPrefix: string): void {
    const { org } = s;
    const jobs = new Map<string, Job>();
    const settings = { queryPageBytes: DEFAULT_QUERY_PAGE_BYTES };
    s.onReset.push(() => {
        jobs.clear();
        settings.queryPageBytes = DEFAULT_QUERY_PAGE_BYTES;
    });
    app.get(`${adminPrefix}/bulk/settings`, async () => settings);
    app.put(`${adminPrefix}/bulk/settings`, async (request: FastifyRequest) => {
        const parsed = settingsSchema.safeParse(request.body);
        if (!parsed.success) {
            const issue = parsed.error.issues[0];
            const field = issue?.path.join('.') ?? '';
            throw new SfError(400, 'INVALID_INPUT', `${field ? `${field}: ` : ''}${issue?.message ?? 'invalid'}`, [
                field
            ]);
        }
        Object.assign(settings, parsed.data);
        return settings;
    });

    const info = (job: Job, detail: boolean): Record<string, unknown> => {
        const base: Record<string, unknown> = {
            id: job.id,
            operation: job.operation,
            object: job.object,
            createdById: job.createdById,
            createdDate: formatDateTime(job.createdDate),
            systemModstamp: formatDateTime(job.systemModstamp),
            state: job.state,
            concurrencyMode: 'Parallel',
            contentType: job.contentType,
            apiVersion: Number(job.apiVersion),
            lineEnding: job.lineEnding,
            columnDelimiter: job.columnDelimiter
        };
        if (job.kind === 'ingest') {
            base.jobType = 'V2Ingest';
            base.contentUrl = `services/data/v${job.apiVersion}/jobs/ingest/${job.id}/batches`;
            if (job.externalIdFieldName) base.externalIdFieldName = job.externalIdFieldName;
        } else {
            base.jobType = 'V2Query';
        }
        if (detail) {
            base.numberRecordsProcessed = job.processed;
            if (job.kind === 'ingest') base.numberRecordsFailed = job.failedCount;
            base.retries = 0;
            base.totalProcessingTime = job.processingMs;
            base.apiActiveProcessingTime = job.processingMs;
            base.apexProcessingTime = 0;
            if (job.errorMessage) base.errorMessage = job.errorMessage;
        }
        return base;
    };

    const jobOf = (request: Req, kind: Job['kind']): Job => {
        const id = normalizeId(request.params.id);
        const job = id ? jobs.get(id) : undefined;
        if (!job || job.kind !== kind || job.createdById !== s.auth(request).userId) throw notFound();
        return job;
    };

    const newJob = (request: Req, kind: Job['kind'], version: string, fields: Partial<Job>): Job => {
        const now = org.clock.nowMs();
        const job: Job = {
            id: org.ids.next('750'),
            kind,
            operation: 'insert',
            object: '',
            createdById: s.auth(request).userId,
            createdDate: now,
            systemModstamp: now,
            state: 'Open',
            contentType: 'CSV',
            apiVersion: version,
            lineEnding: 'LF',
            columnDelimiter: 'COMMA',
            uploads: [],
            header: [],
            successful: [],
            failed: [],
            unprocessed: [],
            processed: 0,
            failedCount: 0,
            queryColumns: [],
            queryRows: [],
            processingMs: 0,
            token: s.auth(request).token,
            callOptions:
                typeof request.headers['sforce-call-options'] === 'string'
                    ? request.headers['sforce-call-options']
                    : null,
            ...fields
        };
        jobs.set(job.id, job);
        return job;
    };

    const setState = (job: Job, state: JobState) => {
        job.state = state;
        job.systemModstamp = org.clock.nowMs();
    };

    const csvLines = (job: Job, lines: string[][]) =>
        stringify(lines, {
            // Salesforce quotes every cell of its result CSVs, empty ones included ("" for a failed insert's sf__Id).
            quoted: true,
            quoted_empty: true,
            delimiter: DELIMITERS[job.columnDelimiter],
            record_delimiter: job.lineEnding === 'CRLF' ? '\r\n' : '\n'
        });
    const csvOut = (job: Job, header: string[], rows: string[][]) => csvLines(job, [header, ...rows]);

    // ---- ingest -----------------------------------------------------------------------------------------

    app.post('/services/data/:version/jobs/ingest', async (request: Req, reply: FastifyReply) => {
        const v = Services.version(request.params.version);
        let body: unknown = request.body;
        let content: string | undefined;
        if (Buffer.isBuffer(request.body))
            ({ body, content } = multipartJob(request.body, String(request.headers['content-type'] ?? '')));
        const spec = parseJson(ingestSchema, body);
        const ctx = s.read(request, v);
        const def = s.data.object(ctx, spec.object);
        if (spec.operation === 'upsert') {
            if (!spec.externalIdFieldName)
                throw new SfError(
                    400,
                    'INVALIDJOB',
                    `InvalidJob : External ID was blank for ${def.name}. An External ID must be specified for upsert.`,
                    ['externalIdFieldName']
                );
            const f = org.schema.field(def.name, spec.externalIdFieldName);
            if (!f || !(f.externalId || f.idLookup))
                throw new SfError(
                    400,
                    'INVALIDJOB',
                    `InvalidJob : Field name provided, ${spec.externalIdFieldName} is not an External ID or indexed field for ${def.name}`,
                    ['externalIdFieldName']
                );
        }
        const job = newJob(request, 'ingest', v, {
            operation: spec.operation,
            object: def.name,
            externalIdFieldName: spec.externalIdFieldName,
            lineEnding: spec.lineEnding ?? 'LF',
            columnDelimiter: spec.columnDelimiter ?? 'COMMA'
        });
        if (content !== undefined) {
            job.uploads.push(content);
            setState(job, 'UploadComplete');
            setImmediate(() => process(job, request));
        }
        return reply.code(200).send(info(job, false));
    });

    app.put('/services/data/:version/jobs/ingest/:id/batches', async (request: Req, reply: FastifyReply) => {
        Services.version(request.params.version);
        const job = jobOf(request, 'ingest');
        if (job.state !== 'Open')
            throw new SfError(409, 'INVALIDJOBSTATE', `Job ${job.id} is not open for data upload (state ${job.state})`);
        if (typeof request.body !== 'string')
            throw new SfError(400, 'INVALIDJOB', 'InvalidJob : upload job data as text/csv');
        job.uploads.push(request.body);
        job.systemModstamp = org.clock.nowMs();
        return reply.code(201).send();
    });

    app.patch('/services/data/:version/jobs/ingest/:id', async (request: Req) => {
        Services.version(request.params.version);
        const job = jobOf(request, 'ingest');
        const { state } = parseJson(stateSchema, request.body);
        if (state === 'UploadComplete') {
            if (job.state !== 'Open')
                throw new SfError(409, 'INVALIDJOBSTATE', `Job ${job.id} cannot be closed in state ${job.state}`);
            setState(job, 'UploadComplete');
            setImmediate(() => process(job, request));
        } else {
            if (job.state === 'JobComplete' || job.state === 'Failed')
                throw new SfError(409, 'INVALIDJOBSTATE', `Job ${job.id} is already ${job.state}`);
            setState(job, 'Aborted');
        }
        return info(job, false);
    });

    app.get('/services/data/:version/jobs/ingest/:id', async (request: Req) => {
        Services.version(request.params.version);
        return info(jobOf(request, 'ingest'), true);
    });

    app.delete(
        '/services/data/:version/jobs/:kind/:id',
        async (
            request: FastifyRequest<{ Params: { version: string; id: string; kind: string } }>,
            reply: FastifyReply
        ) => {
            Services.version(request.params.version);
            if (request.params.kind !== 'ingest' && request.params.kind !== 'query') throw notFound();
            const job = jobOf(request as unknown as Req, request.params.kind);
            if (job.state === 'Open' || job.state === 'InProgress')
                throw new SfError(409, 'INVALIDJOBSTATE', `Job ${job.id} cannot be deleted in state ${job.state}`);
            jobs.delete(job.id);
            return reply.code(204).send();
        }
    );

    for (const [path, pick] of [
        ['successfulResults', (j: Job) => ({ header: ['sf__Id', 'sf__Created', ...j.header], rows: j.successful })],
        ['failedResults', (j: Job) => ({ header: ['sf__Id', 'sf__Error', ...j.header], rows: j.failed })],
        ['unprocessedrecords', (j: Job) => ({ header: j.header, rows: j.unprocessed })]
    ] as const) {
        app.get(`/services/data/:version/jobs/ingest/:id/${path}`, async (request: Req, reply: FastifyReply) => {
            Services.version(request.params.version);
            const job = jobOf(request, 'ingest');
            if (path !== 'unprocessedrecords' && job.state !== 'JobComplete' && job.state !== 'Failed') {
                throw new SfError(400, 'INVALIDJOBSTATE', `Job ${job.id} has not completed (state ${job.state})`);
            }
            const { header, rows } = pick(job);
            return reply.type('text/csv; charset=UTF-8').send(header.length === 0 ? '' : csvOut(job, header, rows));
        });
    }

    const list = (kind: Job['kind']) => async (request: Req) => {
        Services.version(request.params.version);
        const userId = s.auth(request).userId;
        return {
            done: true,
            records: [...jobs.values()]
                .filter((j) => j.kind === kind && j.createdById === userId)
                .map((j) => info(j, false)),
            nextRecordsUrl: null
        };
    };
    app.get('/services/data/:version/jobs/ingest', list('ingest'));
    app.get('/services/data/:version/jobs/query', list('query'));

    /** Runs an ingest job: parse, then one transaction per chunk of 200 rows. */
    async function process(job: Job, request: Req): Promise<void> {
        if (job.state !== 'UploadComplete') return;
        const started = Date.now();
        setState(job, 'InProgress');
        let rows: string[][];
        try {
            rows = job.uploads.flatMap((text, i) => {
                const parsed = parseCsv(text, {
                    delimiter: DELIMITERS[job.columnDelimiter],
                    relax_column_count: false,
                    bom: true,
                    skip_empty_lines: true
                }) as string[][];
                const [header, ...data] = parsed;
                if (!header) return [];
                if (i === 0) job.header = header;
                else if (header.join('\u0000') !== job.header.join('\u0000'))
                    throw new Error('every upload must have the same header row');
                return data;
            });
        } catch (e) {
            job.errorMessage = `InvalidBatch : Failed to parse CSV: ${e instanceof Error ? e.message : String(e)}`;
            setState(job, 'Failed');
            return;
        }
        const session = org.sessions.use(job.token);
        const userId = session?.userId ?? job.createdById;
        const access = org.access(userId);
        for (let at = 0; at < rows.length; at += CHUNK) {
            if ((job.state as JobState) === 'Aborted') {
                job.unprocessed.push(...rows.slice(at));
                break;
            }
            const tx = org.begin({
                api: 'bulkapi',
                apiVersion: job.apiVersion,
                clientId: job.callOptions ? (/client=([^,]+)/.exec(job.callOptions)?.[1]?.trim() ?? null) : null,
                callOptions: job.callOptions,
                userId
            });
            const ctx: CallContext = { access, userId, tx, version: job.apiVersion };
            for (const row of rows.slice(at, at + CHUNK)) {
                const sp = tx.savepoint();
                try {
                    await org.faults.hit(job.object, job.operation === 'hardDelete' ? 'delete' : job.operation);
                    const result = applyRow(ctx, job, row);
                    job.successful.push([result.id, String(result.created), ...row]);
                } catch (e) {
                    tx.rollbackTo(sp);
                    const err =
                        e instanceof SfError
                            ? e
                            : new SfError(
                                  500,
                                  'UNKNOWN_EXCEPTION',
                                  e instanceof DropConnection ? 'connection dropped' : 'unexpected error'
                              );
                    const idCol = job.header.findIndex((h) => h.toLowerCase() === 'id');
                    job.failed.push([idCol >= 0 ? (row[idCol] ?? '') : '', sfError(err), ...row]);
                    job.failedCount += 1;
                }
                job.processed += 1;
            }
            org.commit(tx);
        }
        job.processingMs = Date.now() - started;
        if ((job.state as JobState) === 'InProgress') setState(job, 'JobComplete');
        void request;
    }

    function applyRow(ctx: CallContext, job: Job, row: string[]): { id: string; created: boolean } {
        const body: Record<string, unknown> = {};
        let id: string | undefined;
        job.header.forEach((col, i) => {
            const cell = row[i] ?? '';
            if (cell === '') return;
            const value = cell === '#N/A' ? null : cell;
            if (col.toLowerCase() === 'id') {
                id = cell;
                return;
            }
            const dot = col.indexOf('.');
            if (dot > 0) body[col.slice(0, dot)] = { [col.slice(dot + 1)]: value };
            else body[col] = value;
        });
        for (const [k, v] of Object.entries(body)) {
            const f = org.schema.field(job.object, k);
            if (f?.type === 'boolean' && (v === '1' || v === '0')) body[k] = v === '1';
        }
        switch (job.operation) {
            case 'insert':
                return s.data.create(ctx, job.object, body);
            case 'update':
                if (!id) throw new SfError(400, 'MISSING_ARGUMENT', 'Id not specified in an update call', ['Id']);
                return s.data.update(ctx, job.object, id, body);
            case 'upsert': {
                const ext = job.externalIdFieldName!;
                const key = Object.keys(body).find((k) => k.toLowerCase() === ext.toLowerCase());
                // Upsert on Id inserts the rows that have none, as Salesforce does.
                if (ext.toLowerCase() === 'id') return s.data.upsert(ctx, job.object, 'Id', id ?? '', body);
                const value = key ? body[key] : undefined;
                if (value === undefined || value === null)
                    throw new SfError(400, 'MISSING_ARGUMENT', `${ext} not specified`, [ext]);
                return s.data.upsert(ctx, job.object, ext, String(value), body);
            }
            default:
                if (!id) throw new SfError(400, 'MISSING_ARGUMENT', 'Id not specified in a delete call', ['Id']);
                return s.data.delete(ctx, job.object, id);
        }
    }

    // ---- query ------------------------------------------------------------------------------------------

    app.post('/services/data/:version/jobs/query', async (request: Req) => {
        const v = Services.version(request.params.version);
        const spec = parseJson(querySchema, request.body);
        const ctx = s.read(request, v);
        let columns: string[];
        try {
            const parsed = parseQuery(spec.query) as {
                fields?: { type: string; field?: string; rawValue?: string }[];
                sObject?: string;
            };
            if ((parsed.fields ?? []).some((f) => f.type === 'FieldSubquery')) {
                throw new SfError(400, 'API_ERROR', 'Bulk API 2.0 query jobs do not support nested (subquery) SOQL');
            }
            columns = (parsed.fields ?? []).map((f) => f.rawValue ?? f.field ?? '');
        } catch (e) {
            if (e instanceof SfError) throw e;
            throw new SfError(
                400,
                'MALFORMED_QUERY',
                e instanceof Error ? e.message.split('\n')[0]! : 'malformed query'
            );
        }
        const sobject = /\bfrom\s+([A-Za-z0-9_]+)/i.exec(spec.query)?.[1] ?? '';
        await org.faults.hit(sobject, 'query');
        const result = s.query.run(ctx.access, spec.query, v, spec.operation === 'queryAll');
        org.counters.operation('bulkQuery');
        const job = newJob(request, 'query', v, {
            operation: spec.operation,
            object: org.schema.get(sobject)?.name ?? sobject,
            query: spec.query,
            lineEnding: spec.lineEnding ?? 'LF',
            columnDelimiter: spec.columnDelimiter ?? 'COMMA',
            state: 'UploadComplete',
            queryColumns: columns,
            queryRows: result.records.map((rec) => columns.map((c) => cellOf(rec, c)))
        });
        setImmediate(() => {
            if (job.state !== 'UploadComplete') return;
            setState(job, 'InProgress');
            job.processed = job.queryRows.length;
            setState(job, 'JobComplete');
        });
        return info(job, false);
    });

    app.get('/services/data/:version/jobs/query/:id', async (request: Req) => {
        Services.version(request.params.version);
        return info(jobOf(request, 'query'), true);
    });

    app.patch('/services/data/:version/jobs/query/:id', async (request: Req) => {
        Services.version(request.params.version);
        const job = jobOf(request, 'query');
        const { state } = parseJson(stateSchema, request.body);
        if (state !== 'Aborted' || job.state === 'JobComplete')
            throw new SfError(409, 'INVALIDJOBSTATE', `Job ${job.id} cannot change to ${state} from ${job.state}`);
        setState(job, 'Aborted');
        return info(job, false);
    });

    app.get('/services/data/:version/jobs/query/:id/results', async (request: Req, reply: FastifyReply) => {
        Services.version(request.params.version);
        const job = jobOf(request, 'query');
        if (job.state !== 'JobComplete')
            throw new SfError(400, 'INVALIDJOBSTATE', `Job ${job.id} has not completed (state ${job.state})`);
        const start = request.query.locator
            ? Number(Buffer.from(request.query.locator, 'base64url').toString('utf8'))
            : 0;
        if (!Number.isInteger(start) || start < 0 || start > job.queryRows.length)
            throw new SfError(400, 'INVALID_LOCATOR', `Invalid locator: ${request.query.locator}`, ['locator']);
        const maxText = request.query.maxRecords;
        if (maxText !== undefined && !/^[1-9][0-9]*$/.test(maxText))
            throw new SfError(400, 'INVALID_INPUT', `maxRecords must be a positive integer: ${maxText}`, [
                'maxRecords'
            ]);
        // A page holds maxRecords rows when given, and never more than the page size allows (at least one row).
        const max = maxText === undefined ? Infinity : Number(maxText);
        const rows: string[][] = [];
        let bytes = 0;
        for (let i = start; i < job.queryRows.length && rows.length < max; i++) {
            const row = job.queryRows[i]!;
            const size = Buffer.byteLength(csvLines(job, [row]));
            if (rows.length > 0 && bytes + size > settings.queryPageBytes) break;
            rows.push(row);
            bytes += size;
        }
        const next = start + rows.length;
        reply.header(
            'Sforce-Locator',
            next < job.queryRows.length ? Buffer.from(String(next)).toString('base64url') : 'null'
        );
        reply.header('Sforce-NumberOfRecords', String(rows.length));
        return reply.type('text/csv; charset=UTF-8').send(csvOut(job, job.queryColumns, rows));
    });
}

/**
 * The `sf__Error` cell Salesforce writes for a failed row: `CODE:message:fields --`, the fields space-separated
 * (`REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --`; none: `DUPLICATE_VALUE:…:--`).
 */
export function sfError(err: SfError): string {
    const fields = (err.fields ?? []).join(' ');
    return `${err.errorCode}:${err.message}:${fields ? `${fields} ` : ''}--`;
}

/** The CSV cell for a column such as "Name" or "Account.Owner.Name" of a rendered record. */
function cellOf(rec: Record<string, unknown>, column: string): string {
    let current: unknown = rec;
    for (const part of column.split('.')) {
        if (!current || typeof current !== 'object') return '';
        const obj = current as Record<string, unknown>;
        const key = Object.keys(obj).find((k) => k.toLowerCase() === part.toLowerCase());
        current = key ? obj[key] : undefined;
    }
    if (current === null || current === undefined) return '';
    return typeof current === 'object' ? JSON.stringify(current) : String(current);
}

/** A multipart job create: a `job` JSON part and a `content` CSV part. */
function multipartJob(body: Buffer, contentType: string): { body: unknown; content: string } {
    const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
    if (!boundary) throw new SfError(400, 'INVALIDJOB', 'InvalidJob : multipart request without boundary');
    const parts = body.toString('utf8').split(`--${boundary}`).slice(1, -1);
    let job: unknown;
    let content: string | undefined;
    for (const part of parts) {
        const [head, ...rest] = part.replace(/^\r?\n/, '').split(/\r?\n\r?\n/);
        const text = rest.join('\n\n').replace(/\r?\n$/, '');
        const name = /name="([^"]+)"/i.exec(head ?? '')?.[1];
        if (name === 'job') {
            try {
                job = JSON.parse(text);
            } catch {
                throw new SfError(400, 'JSON_PARSER_ERROR', 'The job part is not valid JSON');
            }
        } else if (name === 'content') content = text;
    }
    if (job === undefined || content === undefined)
        throw new SfError(400, 'INVALIDJOB', 'InvalidJob : a multipart create needs a job part and a content part');
    return { body: job, content };
}
