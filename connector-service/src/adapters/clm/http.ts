/**
 * The HTTP layer both CLM adapters share: Node's fetch with a timeout on every attempt, a token bucket
 * per vendor rate-limit bucket, and retry with exponential backoff + jitter on 429 / 5xx / network
 * failure that honours Retry-After. Vendor responses become `CLM.*` errors here, so adapters only
 * see a parsed body or a typed error.
 *
 * A POST is not retried after a 5xx or a lost response (the vendor may have acted on it); the adapter
 * decides, e.g. createContract looks the contract up by its natural key before trying again.
 *
 * Every body read is capped (`maxResponseBytes`, or the document cap for downloads). Documents come through
 * `download`, which hands redirects and links in the vendor's answer to the DownloadGuard.
 */
import type { z } from 'zod';
import type { ConnectorError } from '../../domain/errors.ts';
import { CLM_ERROR, clmError } from '../../ports/clm.ts';
import { BodyTooLarge, readCapped, type DownloadGuard } from './downloadGuard.ts';
import type { RateBucket } from './rateLimit.ts';
import { systemClock, type Clock } from '../../clock.ts';
import { backoffDelay, type BackoffPolicy, defaultBackoff, parseRetryAfter } from './rateLimit.ts';
import { parseJsonBytes, parseVendorPayload } from './vendorPayload.ts';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpRequest {
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
    /** Absolute URL without the query string. */
    url: string;
    /** Which rate-limit bucket the call draws from. */
    bucket: string;
    /** A short name for errors, e.g. "GET /workflows/{id}". */
    operation: string;
    query?: Record<string, string | number | undefined>;
    json?: unknown;
    form?: Record<string, string>;
    headers?: Record<string, string>;
    /** Skip the adapter's auth headers (the token request itself). */
    anonymous?: boolean;
    /** A document: a 3xx answer is returned (the guard follows it) and the body may be up to `maxBytes`. */
    document?: { maxBytes: number };
}

export interface HttpResponse {
    status: number;
    headers: Headers;
    bytes: Buffer;
}

export interface VendorErrorContext {
    status: number;
    body: unknown;
    request: HttpRequest;
}

export interface HttpClientOptions {
    vendor: string;
    timeoutMs: number;
    buckets: Record<string, RateBucket>;
    /** Headers added to every non-anonymous request (credentials, actor). */
    authHeaders: () => Promise<Record<string, string>>;
    /** Called after a 401 so the next authHeaders() fetches fresh credentials; the call is retried once. */
    invalidateAuth?: () => void;
    /** Vendor-specific error mapping, tried before the generic one. */
    mapError?: (ctx: VendorErrorContext) => ConnectorError | undefined;
    /** Largest API answer read (default 16 MiB); a longer one is CLM.VALIDATION. */
    maxResponseBytes?: number;
    fetch?: FetchLike;
    clock?: Clock;
    random?: () => number;
    backoff?: BackoffPolicy;
}

const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);
const IDEMPOTENT_METHODS = new Set(['GET', 'PUT', 'DELETE', 'PATCH']);
const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export class HttpClient {
    private readonly fetchImpl: FetchLike;
    private readonly clock: Clock;
    private readonly random: () => number;
    private readonly backoff: BackoffPolicy;

    constructor(private readonly options: HttpClientOptions) {
        this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
        this.clock = options.clock ?? systemClock;
        this.random = options.random ?? Math.random;
        this.backoff = options.backoff ?? defaultBackoff;
    }

    /** Sends the request and returns the parsed JSON body of a 2xx answer. */
    async json(request: HttpRequest): Promise<unknown> {
        const response = await this.send(request);
        return parseJsonBytes(response.bytes, { vendor: this.options.vendor, operation: request.operation });
    }

    /** Sends the request and parses the 2xx JSON body with `schema` (CLM.VALIDATION naming the field if it fails). */
    async parsed<S extends z.ZodType>(schema: S, request: HttpRequest, fieldPrefix?: string): Promise<z.infer<S>> {
        const body = await this.json(request);
        return parseVendorPayload(schema, body, {
            vendor: this.options.vendor,
            operation: request.operation,
            ...(fieldPrefix ? { fieldPrefix } : {})
        });
    }

    /**
     * A document: the first request goes to the vendor's API (auth, rate limit, retries as any call); a redirect
     * or a link in its answer is followed through `guard`, which refuses what is not the CLM's or an allowed host.
     */
    async download(request: HttpRequest, guard: DownloadGuard): Promise<HttpResponse> {
        const url = new URL(request.url);
        await guard.check(url);
        let first: HttpResponse;
        try {
            first = await this.send({ ...request, document: { maxBytes: guard.policy.maxBytes } });
        } catch (error) {
            if (error instanceof BodyTooLarge) throw guard.refuse(url, `larger than ${error.limit} bytes`);
            throw error;
        }
        return guard.follow(first, request.url, () => this.options.authHeaders());
    }

    async send(request: HttpRequest): Promise<HttpResponse> {
        const bucket = this.options.buckets[request.bucket];
        if (!bucket) throw new Error(`no rate-limit bucket "${request.bucket}" configured`);
        const idempotent = IDEMPOTENT_METHODS.has(request.method);
        let authRetried = false;
        let lastRetryAfter: number | undefined;
        let lastFailure: { status?: number; cause?: unknown } = {};

        for (let attempt = 0; attempt < this.backoff.maxAttempts; attempt++) {
            if (attempt > 0) {
                await this.clock.sleep(backoffDelay(this.backoff, attempt - 1, lastRetryAfter, this.random));
            }
            await bucket.take();
            let response: Response;
            let bytes: Buffer;
            try {
                ({ response, bytes } = await this.attempt(request));
            } catch (cause) {
                if (cause instanceof BodyTooLarge) {
                    if (request.document) throw cause;
                    throw clmError(
                        CLM_ERROR.VALIDATION,
                        `${this.options.vendor} ${request.operation}: answer larger than ${cause.limit} bytes`,
                        { operation: request.operation, field: '(response body)', limit: cause.limit }
                    );
                }
                // Network failure or timeout: the request may or may not have reached the vendor.
                lastFailure = { cause };
                lastRetryAfter = undefined;
                if (idempotent) continue;
                throw clmError(
                    CLM_ERROR.TRANSIENT,
                    `${this.options.vendor} ${request.operation}: no response (${describeCause(cause)})`,
                    { operation: request.operation, responseLost: true },
                    cause
                );
            }
            const redirect = response.status >= 300 && response.status < 400;
            if ((response.status >= 200 && response.status < 300) || (redirect && request.document)) {
                return { status: response.status, headers: response.headers, bytes };
            }
            if (response.status === 429) {
                lastRetryAfter = parseRetryAfter(response.headers.get('retry-after'), this.clock.now());
                if (lastRetryAfter !== undefined) bucket.pauseFor(lastRetryAfter);
                lastFailure = { status: 429 };
                continue;
            }
            if (RETRYABLE_STATUS.has(response.status)) {
                lastFailure = { status: response.status };
                lastRetryAfter = parseRetryAfter(response.headers.get('retry-after'), this.clock.now());
                if (idempotent) continue;
                throw clmError(
                    CLM_ERROR.TRANSIENT,
                    `${this.options.vendor} ${request.operation}: HTTP ${response.status}`,
                    { operation: request.operation, status: response.status, responseLost: true }
                );
            }
            if (response.status === 401 && !authRetried && !request.anonymous && this.options.invalidateAuth) {
                authRetried = true;
                this.options.invalidateAuth();
                attempt--; // an expired token is not a failed attempt
                continue;
            }
            throw this.toError(response.status, bytes, request);
        }
        if (lastFailure.status === 429) {
            throw clmError(
                CLM_ERROR.RATE_LIMITED,
                `${this.options.vendor} ${request.operation}: still rate limited after ${this.backoff.maxAttempts} attempts`,
                {
                    operation: request.operation,
                    bucket: request.bucket,
                    retryAfterMs: lastRetryAfter ?? this.backoff.maxDelayMs
                }
            );
        }
        throw clmError(
            CLM_ERROR.TRANSIENT,
            `${this.options.vendor} ${request.operation}: failed after ${this.backoff.maxAttempts} attempts`,
            { operation: request.operation, status: lastFailure.status },
            lastFailure.cause
        );
    }

    private async attempt(request: HttpRequest): Promise<{ response: Response; bytes: Buffer }> {
        const url = new URL(request.url);
        for (const [key, value] of Object.entries(request.query ?? {})) {
            if (value !== undefined) url.searchParams.set(key, String(value));
        }
        const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
        if (!request.anonymous) Object.assign(headers, await this.options.authHeaders());
        let body: string | undefined;
        if (request.json !== undefined) {
            headers['content-type'] = 'application/json';
            body = JSON.stringify(request.json);
        } else if (request.form !== undefined) {
            headers['content-type'] = 'application/x-www-form-urlencoded';
            body = new URLSearchParams(request.form).toString();
        }
        // One timeout covers connecting, the headers and reading the body.
        const signal = AbortSignal.timeout(this.options.timeoutMs);
        const response = await this.fetchImpl(url.toString(), {
            method: request.method,
            headers,
            body,
            signal,
            redirect: 'manual'
        });
        const bytes = await readCapped(
            response,
            request.document?.maxBytes ?? this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
        );
        return { response, bytes };
    }

    private toError(status: number, bytes: Buffer, request: HttpRequest): ConnectorError {
        let body: unknown;
        try {
            body = bytes.length > 0 ? JSON.parse(bytes.toString('utf8')) : undefined;
        } catch {
            body = undefined; // a non-JSON error page: the status alone decides
        }
        const vendorError = this.options.mapError?.({ status, body, request });
        if (vendorError) return vendorError;
        const vendorMessage = messageOf(body);
        const details = { operation: request.operation, status, vendorMessage };
        const text = `${this.options.vendor} ${request.operation}: HTTP ${status}${vendorMessage ? ` (${vendorMessage})` : ''}`;
        if (status === 401 || status === 403) return clmError(CLM_ERROR.AUTH, text, details);
        if (status === 404) return clmError(CLM_ERROR.NOT_FOUND, text, details);
        if (status === 409) return clmError(CLM_ERROR.CONFLICT, text, details);
        if (status === 400 || status === 422) {
            return clmError(CLM_ERROR.VALIDATION, text, { ...details, field: fieldOf(body) ?? '(request)' });
        }
        if (status >= 300 && status < 400) {
            // Redirects are not followed (SpotDraft: "do not follow them automatically").
            return clmError(CLM_ERROR.TRANSIENT, `${text}: unexpected redirect`, details);
        }
        return clmError(CLM_ERROR.TRANSIENT, text, details);
    }
}

function messageOf(body: unknown): string | undefined {
    if (body && typeof body === 'object') {
        const record = body as Record<string, unknown>;
        for (const key of ['message', 'detail', 'error_description', 'error']) {
            if (typeof record[key] === 'string') return (record[key] as string).slice(0, 200);
        }
    }
    return undefined;
}

function fieldOf(body: unknown): string | undefined {
    if (body && typeof body === 'object') {
        const record = body as Record<string, unknown>;
        if (typeof record.param === 'string') return record.param;
        if (typeof record.field === 'string') return record.field;
    }
    return undefined;
}

function describeCause(cause: unknown): string {
    if (cause instanceof Error) {
        const code = (cause.cause as { code?: string } | undefined)?.code;
        return code ?? cause.name;
    }
    return 'unknown error';
}
