/**
 * The Salesforce port over jsforce: queries from the query builder, reads by id in batches of 2,000, writes through
 * Composite with up to five sObject Collections of 200 records per call, every write marked
 * `Sforce-Call-Options: client=<connector id>` so the org's change events name the connector as their origin.
 */
import { createSign } from 'node:crypto';
import jsforce from 'jsforce';
import {
    ConnectorError,
    assertIdentifier,
    assertRecordId,
    type SalesforceValue,
    type Soql
} from '../../domain/index.ts';
import type {
    ApiBudget,
    RecordWrite,
    RecordWriteResult,
    SalesforcePort,
    SalesforceRecord
} from '../../ports/salesforce.ts';

export const COLLECTION_SIZE = 200;
export const COLLECTIONS_PER_COMPOSITE = 5;
/** sObject Collections retrieve takes up to 2,000 ids per request. */
export const IDS_PER_QUERY = 2000;

/** Platform error codes worth retrying later (research/perf-reliability.md §1). */
export const RETRYABLE_SF_CODES = new Set([
    'UNABLE_TO_LOCK_ROW',
    'REQUEST_LIMIT_EXCEEDED',
    'SERVER_UNAVAILABLE',
    'SERVER_ERROR'
]);

export interface JwtLogin {
    loginUrl: string;
    /** The connected app's consumer key. */
    clientId: string;
    username: string;
    privateKeyPem: string;
    apiVersion: string;
}

/** Signs a JWT bearer assertion (RS256: iss, sub, aud, exp in 3 minutes), as the OAuth flow requires. */
export function jwtAssertion(login: JwtLogin, nowMs = Date.now()): string {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = {
        iss: login.clientId,
        sub: login.username,
        aud: login.loginUrl,
        exp: Math.floor(nowMs / 1000) + 180
    };
    const unsigned = `${encode({ alg: 'RS256' })}.${encode(claims)}`;
    return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(login.privateKeyPem).toString('base64url')}`;
}

/** A connection that logs in by JWT bearer and logs in again when the session expires. */
export async function connectWithJwt(login: JwtLogin): Promise<jsforce.Connection> {
    const authorize = async (conn: jsforce.Connection) => {
        const result = await conn.authorize({
            grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
            assertion: jwtAssertion(login)
        });
        return result;
    };
    const conn: jsforce.Connection = new jsforce.Connection({
        loginUrl: login.loginUrl,
        version: login.apiVersion,
        refreshFn: (c, callback) => {
            authorize(c as jsforce.Connection).then(
                () => callback(null, (c as jsforce.Connection).accessToken ?? undefined),
                (error: Error) => callback(error)
            );
        }
    });
    try {
        await authorize(conn);
    } catch (error) {
        throw toConnectorError(error, 'login');
    }
    return conn;
}

interface PlatformError {
    statusCode?: string;
    errorCode?: string;
    message?: string;
    fields?: string[];
}

function platformError(error: PlatformError, context: Record<string, unknown>): ConnectorError {
    const code = error.statusCode ?? error.errorCode ?? 'UNKNOWN_EXCEPTION';
    return new ConnectorError(`SF.${code}`, error.message ?? code, {
        ...context,
        fields: error.fields ?? [],
        retryable: RETRYABLE_SF_CODES.has(code)
    });
}

export function toConnectorError(error: unknown, operation: string): ConnectorError {
    if (error instanceof ConnectorError) return error;
    const e = error as { errorCode?: string; name?: string; message?: string; data?: unknown };
    const code = e.errorCode ?? (e.name && /^[A-Z_]+$/.test(e.name) ? e.name : undefined);
    if (code)
        return new ConnectorError(
            `SF.${code}`,
            e.message ?? code,
            { operation, retryable: RETRYABLE_SF_CODES.has(code) },
            { cause: error }
        );
    return new ConnectorError(
        'SF.TRANSPORT',
        `${operation} failed: ${e.message ?? String(error)}`,
        { operation, retryable: true },
        { cause: error }
    );
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
        private readonly options: { connectorClientId: string; apiVersion: string }
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
