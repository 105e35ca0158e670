// Test-side HTTP helpers for the CLM emulator suites: a vendor client that validates every request it sends and
// every response it gets against the vendor's OpenAPI spec (collecting problems, asserted after each test), an
// admin client, and a webhook receiver that records raw deliveries.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateRequest, validateResponse, type Vendor } from '../../../../support/openapi.ts';
import { requireOrSkip, sharedRequirement } from '../../../../support/requirements.ts';

/** Parsed vendor JSON as tests read it; its shape is already checked against the spec, assertions walk it freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type Json = any;

/** Spec checks run when ../shared/specs is present (skip with one line locally, fail under CI=true). */
export const specsAvailable = requireOrSkip(sharedRequirement('specs'));

export interface CallOptions {
    query?: Record<string, string | number | boolean | undefined>;
    body?: unknown;
    form?: Record<string, string>;
    headers?: Record<string, string>;
    /** The test sends a deliberately invalid request: skip request validation (the response is still checked). */
    invalidRequest?: boolean;
    /** The path/method is deliberately not in the spec (wrong method, wrong slash): nothing to validate against. */
    unknownRoute?: boolean;
}

export interface CallResult {
    status: number;
    headers: Headers;
    json: Json;
    text: string;
    bytes: Buffer;
}

export class CheckedClient {
    readonly problems: string[] = [];
    readonly sent: { method: string; path: string }[] = [];

    constructor(
        readonly vendor: Vendor,
        readonly baseUrl: string,
        private readonly defaultHeaders: () => Record<string, string>
    ) {}

    async call(method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
        return this.callUrl(method, path.startsWith('http') ? path : `${this.baseUrl}${path}`, options);
    }

    async callUrl(method: string, absoluteUrl: string, options: CallOptions = {}): Promise<CallResult> {
        const url = new URL(absoluteUrl);
        for (const [key, value] of Object.entries(options.query ?? {})) {
            if (value !== undefined) url.searchParams.set(key, String(value));
        }
        const headers: Record<string, string> = { ...this.defaultHeaders(), ...options.headers };
        let body: string | undefined;
        if (options.form) {
            headers['content-type'] = 'application/x-www-form-urlencoded';
            body = new URLSearchParams(options.form).toString();
        } else if (options.body !== undefined) {
            headers['content-type'] ??= 'application/json';
            body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
        }
        if (specsAvailable && !options.invalidRequest && !options.unknownRoute) {
            const query: Record<string, string> = {};
            url.searchParams.forEach((value, key) => (query[key] = value));
            const problems = await validateRequest(this.vendor, {
                method,
                path: url.pathname,
                query,
                headers,
                body: options.form ?? options.body
            });
            this.problems.push(...problems.map((problem) => `request ${problem}`));
        }
        this.sent.push({ method, path: url.pathname });
        const response = await fetch(url, { method, headers, body, redirect: 'manual' });
        const bytes = Buffer.from(await response.arrayBuffer());
        const contentType = response.headers.get('content-type') ?? '';
        const text = contentType.includes('pdf') ? '' : bytes.toString('utf8');
        let json: unknown;
        if (contentType.includes('json') && text) json = JSON.parse(text);
        if (specsAvailable && !options.unknownRoute) {
            const problems = await validateResponse(this.vendor, {
                method,
                path: url.pathname,
                status: response.status,
                body: contentType.includes('json')
                    ? json
                    : contentType.startsWith('text/')
                      ? text
                      : bytes.length
                        ? bytes
                        : undefined,
                contentType: contentType || undefined
            });
            this.problems.push(...problems.map((problem) => `response ${problem}`));
        }
        return { status: response.status, headers: response.headers, json, text, bytes };
    }

    /** Returns and clears the collected problems. */
    takeProblems(): string[] {
        return this.problems.splice(0, this.problems.length);
    }
}

export class AdminClient {
    constructor(readonly adminUrl: string) {}

    async request(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
        const response = await fetch(`${this.adminUrl}${path}`, {
            method,
            headers: body === undefined ? {} : { 'content-type': 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body)
        });
        const text = await response.text();
        return { status: response.status, json: text ? JSON.parse(text) : undefined };
    }

    async ok(method: string, path: string, body?: unknown): Promise<Json> {
        const result = await this.request(method, path, body);
        if (result.status !== 200)
            throw new Error(`admin ${method} ${path} → ${result.status} ${JSON.stringify(result.json)}`);
        return result.json;
    }

    action(vendor: 'ironclad' | 'spotdraft', id: string | number, action: string, extra: Record<string, unknown> = {}) {
        return this.ok('POST', `/contracts/${vendor}/${id}/actions`, { action, ...extra });
    }

    advance(ms: number) {
        return this.ok('POST', '/clock', { advanceMs: ms });
    }
}

export interface ReceivedDelivery {
    headers: IncomingMessage['headers'];
    raw: Buffer;
    json: Json;
    receivedAt: number;
}

/** A local webhook target; `respond` decides the status per delivery (default 200). */
export class WebhookReceiver {
    readonly deliveries: ReceivedDelivery[] = [];
    respond: (delivery: ReceivedDelivery, index: number) => number = () => 200;
    private server: Server | undefined;
    url = '';

    async start(): Promise<this> {
        this.server = createServer((request, response) => {
            const chunks: Buffer[] = [];
            request.on('data', (chunk: Buffer) => chunks.push(chunk));
            request.on('end', () => {
                const raw = Buffer.concat(chunks);
                const delivery: ReceivedDelivery = {
                    headers: request.headers,
                    raw,
                    json: JSON.parse(raw.toString('utf8')),
                    receivedAt: Date.now()
                };
                const index = this.deliveries.push(delivery) - 1;
                response.statusCode = this.respond(delivery, index);
                response.end();
            });
        });
        await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
        this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
        return this;
    }

    async stop(): Promise<void> {
        await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    }
}
