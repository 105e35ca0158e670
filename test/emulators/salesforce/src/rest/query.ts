// /query and /queryAll with server-side cursors: batches of Sforce-Query-Options batchSize (200–2000,
// default 2000), nextRecordsUrl /services/data/vXX.X/query/01g…-<offset> (no "/" inside the locator).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Services } from '../context.ts';
import { SfError, notFound } from '../errors.ts';
import { IdGenerator } from '../ids.ts';

interface Cursor {
    records: Record<string, unknown>[];
    totalSize: number;
    userId: string;
    resource: 'query' | 'queryAll';
}

const MAX_CURSORS = 500;

export function batchSizeOf(header: string | string[] | undefined): number {
    const m = typeof header === 'string' ? /batchSize\s*=\s*(\d+)/i.exec(header) : null;
    if (!m) return 2000;
    return Math.min(2000, Math.max(200, Number(m[1])));
}

export class QueryCursors {
    private cursors = new Map<string, Cursor>();
    private counter = 0;

    /** Pages a full result: the first batch now, the rest behind a locator. */
    page(cursor: Cursor, offset: number, batchSize: number, version: string): Record<string, unknown> {
        const records = cursor.records.slice(offset, offset + batchSize);
        const next = offset + records.length;
        const out: Record<string, unknown> = {
            totalSize: cursor.totalSize,
            done: next >= cursor.records.length,
            records
        };
        if (next < cursor.records.length) {
            const key = IdGenerator.make('01g', ++this.counter);
            this.cursors.set(`${key}-${next}`, cursor);
            if (this.cursors.size > MAX_CURSORS) this.cursors.delete(this.cursors.keys().next().value!);
            out.nextRecordsUrl = `/services/data/v${version}/${cursor.resource}/${key}-${next}`;
        }
        return out;
    }

    take(locator: string, userId: string): { cursor: Cursor; offset: number } {
        const cursor = this.cursors.get(locator);
        const offset = Number(locator.split('-')[1]);
        if (!cursor || cursor.userId !== userId || !Number.isInteger(offset)) {
            throw new SfError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
        }
        this.cursors.delete(locator);
        return { cursor, offset };
    }

    clear(): void {
        this.cursors.clear();
    }
}

type Req = FastifyRequest<{
    Params: { version: string; locator: string };
    Querystring: { q?: string; explain?: string };
}>;

export function registerQueryRoutes(app: FastifyInstance, s: Services, cursors: QueryCursors): void {
    /**
     * `?explain=<SOQL>` ("Get Feedback on Query Performance"): the emulator keeps no indexes, so its one plan is
     * always a TableScan over the object; cardinality is what the query returns, relativeCost their share of the
     * table. A report or list view id (the other things explain takes) is not a query here: 400 MALFORMED_QUERY.
     */
    const explain = (request: Req, v: string) => {
        const soql = request.query.explain ?? '';
        const sobject = /\bfrom\s+([A-Za-z0-9_]+)/i.exec(soql)?.[1];
        if (!sobject) throw new SfError(400, 'MALFORMED_QUERY', `explain takes a SOQL query: ${soql}`, ['explain']);
        const ctx = s.read(request, v);
        const result = s.query.run(ctx.access, soql, v, false);
        const def = s.org.schema.require(sobject);
        const sobjectCardinality = s.org.store.rows(def.name).filter((r) => r.IsDeleted !== true).length;
        s.org.counters.operation('explain');
        return {
            plans: [
                {
                    cardinality: result.totalSize,
                    fields: [],
                    leadingOperationType: 'TableScan',
                    notes: [],
                    relativeCost:
                        sobjectCardinality === 0 ? 0 : Math.round((result.totalSize / sobjectCardinality) * 100) / 100,
                    sobjectCardinality,
                    sobjectType: def.name
                }
            ],
            sourceQuery: soql
        };
    };
    for (const resource of ['query', 'queryAll'] as const) {
        app.get(`/services/data/:version/${resource}`, async (request: Req) => {
            const v = Services.version(request.params.version);
            if (request.query.explain !== undefined && request.query.q === undefined) return explain(request, v);
            const soql = request.query.q;
            if (!soql) throw new SfError(400, 'MALFORMED_QUERY', 'A query string (q) is required');
            const ctx = s.read(request, v);
            if ((request.query as Record<string, string | undefined>).columns === 'true')
                return s.query.columns(ctx.access, soql);
            const sobject = /\bfrom\s+([A-Za-z0-9_]+)/i.exec(soql)?.[1];
            await s.org.faults.hit(sobject, 'query');
            const result = s.query.run(ctx.access, soql, v, resource === 'queryAll');
            s.org.counters.operation(resource);
            const cursor: Cursor = {
                records: result.records,
                totalSize: result.totalSize,
                userId: ctx.userId,
                resource
            };
            return cursors.page(cursor, 0, batchSizeOf(request.headers['sforce-query-options']), v);
        });
        app.get(`/services/data/:version/${resource}/:locator`, async (request: Req) => {
            const v = Services.version(request.params.version);
            const auth = s.auth(request);
            if (!/^01g[A-Za-z0-9]+-\d+$/.test(request.params.locator)) throw notFound();
            const { cursor, offset } = cursors.take(request.params.locator, auth.userId);
            s.org.counters.operation('queryMore');
            return cursors.page(cursor, offset, batchSizeOf(request.headers['sforce-query-options']), v);
        });
    }
}
