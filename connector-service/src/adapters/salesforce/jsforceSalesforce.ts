/**
 * The Salesforce port over jsforce: queries from the query builder, reads by id in batches of 2,000, writes through
 * Composite with up to five sObject Collections of 200 records per call, every write marked
 * `Sforce-Call-Options: client=<connector id>` so the org's change events name the connector as their origin.
 * Bulk API 2.0 jobs go step by step (create, upload, poll, results), so the caller can keep a job's id and resume it.
 */
import type jsforce from 'jsforce';
import {
    ConnectorError,
    assertIdentifier,
    assertRecordId,
    type SalesforceValue,
    type Soql
} from '../../domain/index.ts';
import type {
    ApiBudget,
    BulkJobInfo,
    BulkJobKind,
    BulkJobState,
    BulkRowResult,
    RecordWrite,
    RecordWriteResult,
    SalesforcePort,
    SalesforceRecord
} from '../../ports/salesforce.ts';
import { csvRecords, toBulkCsv } from './bulkCsv.ts';
import { bulkRowError, platformError, toConnectorError, type PlatformError } from './salesforceErrors.ts';

export { connectWithJwt, jwtAssertion, type JwtLogin } from './jwtLogin.ts';
export { RETRYABLE_SF_CODES, toConnectorError } from './salesforceErrors.ts';
import { systemClock, type Clock } from '../../clock.ts';

export const COLLECTION_SIZE = 200;
export const COLLECTIONS_PER_COMPOSITE = 5;
/** sObject Collections retrieve takes up to 2,000 ids per request. */
export const IDS_PER_QUERY = 2000;

const FINISHED_BULK_STATES: ReadonlySet<BulkJobState> = new Set(['JobComplete', 'Failed', 'Aborted']);
/** Rows per query results page asked for (the platform may send fewer and a locator). */
const BULK_RESULTS_PAGE = 50_000;

interface BulkJobBody {
    id: string;
    state: BulkJobState;
    numberRecordsProcessed?: number;
    numberRecordsFailed?: number;
    errorMessage?: string;
}

interface CollectionRequest {
    method: 'POST' | 'PATCH';
    url: string;
    writes: RecordWrite[];
}

interface CompositeResponse {
    compositeResponse: { body: unknown; httpStatusCode: number; referenceId: string }[];
}

export class JsforceSalesforce implements SalesforcePort {
    private calls = 0;

    constructor(
        private readonly conn: jsforce.Connection,
        private readonly options: {
            connectorClientId: string;
            apiVersion: string;
            /** Rows per Bulk query results page asked for (default 50,000; the platform may send fewer). */
            bulkResultsPage?: number;
            /** Times bulk-job waits (default the system clock). */
            clock?: Clock;
        }
    ) {}

    private get base(): string {
        return `/services/data/v${this.options.apiVersion}`;
    }

    private async request<T>(request: { method: string; url: string; body?: unknown }, operation: string): Promise<T> {
        this.calls += 1;
        try {
            return (await this.conn.request({
                method: request.method as 'GET',
                url: request.url,
                body: request.body === undefined ? undefined : JSON.stringify(request.body),
                headers: {
                    'Content-Type': 'application/json',
                    'Sforce-Call-Options': `client=${this.options.connectorClientId}`
                }
            })) as T;
        } catch (error) {
            throw toConnectorError(error, operation);
        }
    }

    /** A request with a text body (CSV) or none; the JSON answer, if any. */
    private async rawRequest(
        request: { method: string; url: string; body: string; contentType: string },
        operation: string
    ): Promise<void> {
        this.calls += 1;
        try {
            await this.conn.request({
                method: request.method as 'PUT',
                url: request.url,
                body: request.body,
                headers: {
                    'Content-Type': request.contentType,
                    'Sforce-Call-Options': `client=${this.options.connectorClientId}`
                }
            });
        } catch (error) {
            throw toConnectorError(error, operation);
        }
    }

    /**
     * GETs a CSV page with the session's token, with the Sforce-Locator header jsforce's request() does not return.
     * An expired session is refreshed through jsforce (`refresh`, one ordinary call) and the page asked again once.
     */
    private async csvPage(url: string, operation: string, refresh: () => Promise<unknown>) {
        for (let attempt = 0; ; attempt += 1) {
            this.calls += 1;
            let response: Response;
            try {
                response = await fetch(new URL(url, this.conn.instanceUrl), {
                    headers: {
                        Authorization: `Bearer ${this.conn.accessToken ?? ''}`,
                        Accept: 'text/csv',
                        'Sforce-Call-Options': `client=${this.options.connectorClientId}`
                    },
                    signal: AbortSignal.timeout(120_000)
                });
            } catch (error) {
                throw toConnectorError(error, operation);
            }
            const text = await response.text();
            if (response.status === 401 && attempt === 0) {
                await refresh();
                continue;
            }
            if (!response.ok) {
                let body: PlatformError | undefined;
                try {
                    body = (JSON.parse(text) as PlatformError[])[0];
                } catch {
                    body = undefined;
                }
                throw platformError(body ?? { errorCode: `HTTP_${response.status}`, message: text.slice(0, 300) }, {
                    operation,
                    status: response.status
                });
            }
            const locator = response.headers.get('sforce-locator');
            return { text, locator: locator && locator !== 'null' ? locator : null };
        }
    }

    private bulkPath(kind: BulkJobKind, jobId?: string): string {
        if (jobId !== undefined) assertRecordId(jobId);
        return `${this.base}/jobs/${kind}${jobId === undefined ? '' : `/${jobId}`}`;
    }

    async createBulkQuery(soql: Soql): Promise<string> {
        const job = await this.request<BulkJobBody>(
            { method: 'POST', url: this.bulkPath('query'), body: { operation: 'query', query: soql } },
            'bulkQuery'
        );
        return job.id;
    }

    async bulkJob(kind: BulkJobKind, jobId: string): Promise<BulkJobInfo> {
        const job = await this.request<BulkJobBody>({ method: 'GET', url: this.bulkPath(kind, jobId) }, 'bulkJob');
        return {
            id: job.id,
            state: job.state,
            processed: job.numberRecordsProcessed ?? 0,
            failed: job.numberRecordsFailed ?? 0,
            ...(job.errorMessage ? { errorMessage: job.errorMessage } : {})
        };
    }

    async waitForBulkJob(
        kind: BulkJobKind,
        jobId: string,
        opts: { pollIntervalMs?: number; timeoutMs?: number } = {}
    ): Promise<BulkJobInfo> {
        const interval = opts.pollIntervalMs ?? 2000;
        const clock = this.options.clock ?? systemClock;
        const deadline = clock.now() + (opts.timeoutMs ?? 30 * 60_000);
        for (;;) {
            const job = await this.bulkJob(kind, jobId);
            if (FINISHED_BULK_STATES.has(job.state)) return job;
            if (clock.now() >= deadline)
                throw new ConnectorError('SF.BULK_TIMEOUT', `Bulk ${kind} job ${jobId} is still ${job.state}`, {
                    jobId,
                    state: job.state,
                    retryable: true
                });
            await clock.sleep(interval);
        }
    }

    async bulkQueryResults(jobId: string): Promise<SalesforceRecord[]> {
        const records: SalesforceRecord[] = [];
        let locator: string | null = null;
        // Bounded by the platform: every page but the last carries a locator to the next.
        do {
            const query = new URLSearchParams({
                maxRecords: String(this.options.bulkResultsPage ?? BULK_RESULTS_PAGE)
            });
            if (locator) query.set('locator', locator);
            const page = await this.csvPage(
                `${this.bulkPath('query', jobId)}/results?${query}`,
                'bulkQueryResults',
                () => this.bulkJob('query', jobId)
            );
            records.push(...csvRecords(page.text, true));
            locator = page.locator;
        } while (locator);
        return records;
    }

    async createBulkIngest(
        sfObject: string,
        operation: 'update' | 'upsert',
        externalIdField?: string
    ): Promise<string> {
        assertIdentifier(sfObject, 'object');
        if (operation === 'upsert') assertIdentifier(externalIdField ?? '', 'external id field');
        const job = await this.request<BulkJobBody>(
            {
                method: 'POST',
                url: this.bulkPath('ingest'),
                body: {
                    object: sfObject,
                    operation,
                    ...(operation === 'upsert' ? { externalIdFieldName: externalIdField } : {}),
                    contentType: 'CSV',
                    lineEnding: 'LF'
                }
            },
            'bulkIngest'
        );
        return job.id;
    }

    async uploadBulkIngest(jobId: string, rows: readonly Record<string, SalesforceValue>[]): Promise<void> {
        const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
        columns.forEach((column) => assertIdentifier(column));
        await this.rawRequest(
            {
                method: 'PUT',
                url: `${this.bulkPath('ingest', jobId)}/batches`,
                body: toBulkCsv(columns, rows),
                contentType: 'text/csv'
            },
            'bulkUpload'
        );
        await this.request(
            { method: 'PATCH', url: this.bulkPath('ingest', jobId), body: { state: 'UploadComplete' } },
            'bulkClose'
        );
    }

    async abortBulkJob(kind: BulkJobKind, jobId: string): Promise<void> {
        await this.request(
            { method: 'PATCH', url: this.bulkPath(kind, jobId), body: { state: 'Aborted' } },
            'bulkAbort'
        );
    }

    async bulkIngestResults(jobId: string): Promise<BulkRowResult[]> {
        const results: BulkRowResult[] = [];
        for (const kind of ['successfulResults', 'failedResults'] as const) {
            const page = await this.csvPage(`${this.bulkPath('ingest', jobId)}/${kind}`, 'bulkIngestResults', () =>
                this.bulkJob('ingest', jobId)
            );
            for (const record of csvRecords(page.text, false)) {
                const { sf__Id: id, sf__Created: _created, sf__Error: error, ...row } = record;
                results.push({
                    row,
                    success: kind === 'successfulResults',
                    id: id || null,
                    ...(kind === 'failedResults' ? { error: bulkRowError(error ?? '', jobId) } : {})
                });
            }
        }
        return results;
    }

    callCount(): number {
        return this.calls;
    }

    apiBudget(): ApiBudget | undefined {
        const usage = (this.conn as unknown as { limitInfo?: { apiUsage?: { used: number; limit: number } } }).limitInfo
            ?.apiUsage;
        return usage ? { used: usage.used, max: usage.limit } : undefined;
    }

    async refreshApiBudget(): Promise<ApiBudget> {
        const limits = await this.request<{ DailyApiRequests?: { Max: number; Remaining: number } }>(
            { method: 'GET', url: `${this.base}/limits` },
            'limits'
        );
        const daily = limits.DailyApiRequests;
        if (!daily) throw new ConnectorError('SF.NO_API_LIMIT', 'The org did not report DailyApiRequests', {});
        // The figure the org reports counts this call too, so it is current.
        return { used: daily.Max - daily.Remaining, max: daily.Max };
    }

    async query(soql: Soql): Promise<SalesforceRecord[]> {
        const records: SalesforceRecord[] = [];
        let page = await this.request<{ records: SalesforceRecord[]; done: boolean; nextRecordsUrl?: string }>(
            { method: 'GET', url: `${this.base}/query?q=${encodeURIComponent(soql)}` },
            'query'
        );
        records.push(...page.records);
        // Bounded by the platform: every page has at least one record until done.
        while (!page.done && page.nextRecordsUrl) {
            page = await this.request({ method: 'GET', url: page.nextRecordsUrl }, 'queryMore');
            records.push(...page.records);
        }
        return records.map(stripAttributes);
    }

    /**
     * Reads by id through sObject Collections retrieve (POST, up to 2,000 ids a call): a query with 2,000 ids in
     * its IN list would not fit in a URL.
     */
    async readByIds(sfObject: string, fields: readonly string[], ids: readonly string[]): Promise<SalesforceRecord[]> {
        assertIdentifier(sfObject, 'object');
        fields.forEach((field) => assertIdentifier(field));
        const unique = [...new Set(ids.map((id) => assertRecordId(id, sfObject)))];
        const records: SalesforceRecord[] = [];
        for (let start = 0; start < unique.length; start += IDS_PER_QUERY) {
            const chunk = unique.slice(start, start + IDS_PER_QUERY);
            const rows = await this.request<(SalesforceRecord | null)[]>(
                {
                    method: 'POST',
                    url: `${this.base}/composite/sobjects/${sfObject}`,
                    body: { ids: chunk, fields: ['Id', ...fields] }
                },
                'readByIds'
            );
            // A deleted or invisible record comes back as null.
            records.push(...rows.filter((row): row is SalesforceRecord => row !== null).map(stripAttributes));
        }
        return records;
    }

    async write(writes: readonly RecordWrite[]): Promise<RecordWriteResult[]> {
        const collections = this.collections(writes);
        const results: RecordWriteResult[] = [];
        for (let start = 0; start < collections.length; start += COLLECTIONS_PER_COMPOSITE) {
            const batch = collections.slice(start, start + COLLECTIONS_PER_COMPOSITE);
            const response = await this.request<CompositeResponse>(
                {
                    method: 'POST',
                    url: `${this.base}/composite`,
                    body: {
                        allOrNone: false,
                        compositeRequest: batch.map((collection, index) => ({
                            method: collection.method,
                            url: collection.url,
                            referenceId: `c${index}`,
                            body: {
                                allOrNone: false,
                                records: collection.writes.map((write) => this.recordBody(write))
                            }
                        }))
                    }
                },
                'write'
            );
            batch.forEach((collection, index) => {
                const sub = response.compositeResponse.find((item) => item.referenceId === `c${index}`);
                results.push(...this.collectionResults(collection, sub));
            });
        }
        return results;
    }

    private recordBody(write: RecordWrite): Record<string, unknown> {
        const body: Record<string, unknown> = { attributes: { type: write.sfObject }, ...write.fields };
        if (write.id) body.id = write.id;
        if (write.externalId) body[write.externalId.field] = write.externalId.value;
        return body;
    }

    /** Groups writes into collections of ≤200: creates, updates by id, and upserts per object and external id. */
    private collections(writes: readonly RecordWrite[]): CollectionRequest[] {
        const groups = new Map<string, CollectionRequest>();
        for (const write of writes) {
            assertIdentifier(write.sfObject, 'object');
            Object.keys(write.fields).forEach((field) => assertIdentifier(field));
            let key: string;
            let request: Omit<CollectionRequest, 'writes'>;
            if (write.id) {
                assertRecordId(write.id, write.sfObject);
                key = 'update';
                request = { method: 'PATCH', url: `${this.base}/composite/sobjects` };
            } else if (write.externalId) {
                assertIdentifier(write.externalId.field);
                key = `upsert:${write.sfObject}:${write.externalId.field}`;
                request = {
                    method: 'PATCH',
                    url: `${this.base}/composite/sobjects/${write.sfObject}/${write.externalId.field}`
                };
            } else {
                key = 'create';
                request = { method: 'POST', url: `${this.base}/composite/sobjects` };
            }
            const group = groups.get(key) ?? { ...request, writes: [] };
            group.writes.push(write);
            groups.set(key, group);
        }
        return [...groups.values()].flatMap((group) => {
            const chunks: CollectionRequest[] = [];
            for (let start = 0; start < group.writes.length; start += COLLECTION_SIZE) {
                chunks.push({ ...group, writes: group.writes.slice(start, start + COLLECTION_SIZE) });
            }
            return chunks;
        });
    }

    private collectionResults(
        collection: CollectionRequest,
        sub: CompositeResponse['compositeResponse'][number] | undefined
    ): RecordWriteResult[] {
        const body = sub?.body;
        if (!sub || sub.httpStatusCode >= 400 || !Array.isArray(body) || body.length !== collection.writes.length) {
            // The whole collection failed (or was not run): every record carries the same error.
            const first = Array.isArray(body) ? (body[0] as PlatformError | undefined) : undefined;
            return collection.writes.map((write) => ({
                ref: write.ref,
                success: false,
                error: platformError(
                    first ?? { errorCode: 'PROCESSING_HALTED', message: 'the collection was not processed' },
                    {
                        object: write.sfObject,
                        ref: write.ref
                    }
                )
            }));
        }
        return collection.writes.map((write, index) => {
            const result = body[index] as {
                id?: string;
                success: boolean;
                created?: boolean;
                errors?: PlatformError[];
            };
            if (result.success) return { ref: write.ref, success: true, id: result.id, created: result.created };
            return {
                ref: write.ref,
                success: false,
                error: platformError(result.errors?.[0] ?? {}, { object: write.sfObject, ref: write.ref, id: write.id })
            };
        });
    }

    async publish(eventName: string, payload: Record<string, SalesforceValue>): Promise<void> {
        assertIdentifier(eventName, 'platform event');
        const result = await this.request<{ success: boolean; errors?: PlatformError[] }>(
            { method: 'POST', url: `${this.base}/sobjects/${eventName}`, body: payload },
            'publish'
        );
        if (!result.success) throw platformError(result.errors?.[0] ?? {}, { object: eventName });
    }

    async attachFile(
        recordId: string,
        file: { title: string; fileName: string; bytes: Buffer }
    ): Promise<{ contentVersionId: string }> {
        assertRecordId(recordId);
        const result = await this.request<{ id: string; success: boolean; errors?: PlatformError[] }>(
            {
                method: 'POST',
                url: `${this.base}/sobjects/ContentVersion`,
                body: {
                    Title: file.title,
                    PathOnClient: file.fileName,
                    VersionData: file.bytes.toString('base64'),
                    FirstPublishLocationId: recordId
                }
            },
            'attachFile'
        );
        if (!result.success) throw platformError(result.errors?.[0] ?? {}, { object: 'ContentVersion', recordId });
        return { contentVersionId: result.id };
    }
}

function stripAttributes(record: SalesforceRecord): SalesforceRecord {
    const { attributes: _attributes, ...rest } = record as SalesforceRecord & { attributes?: unknown };
    return rest;
}
