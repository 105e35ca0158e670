/**
 * Ironclad's API as the adapter reads it: the HTTP client (OAuth client credentials, refreshed a minute early; every
 * call names the actor; per-minute buckets), the webhook verification key, and workflows and records (paged, 0-based).
 */
import type { Clock } from '../../../clock.ts';
import { isConnectorError } from '../../../domain/errors.ts';
import { CLM_ERROR, clmError } from '../../../ports/clm.ts';
import { AsyncCache } from '../asyncCache.ts';
import { HttpClient } from '../http.ts';
import { WindowLimit } from '../rateLimit.ts';
import { parseVendorPayload } from '../vendorPayload.ts';
import type { IroncladConfig } from './config.ts';
import { VENDOR } from './contractMapping.ts';
import type { IroncladAdapterDeps } from './ironcladAdapter.ts';
import {
    IroncladRecord,
    IroncladRecordPage,
    IroncladToken,
    IroncladWebhook,
    IroncladWebhookPage,
    IroncladWorkflow,
    IroncladWorkflowPage,
    WORKFLOW_STATUSES
} from './payloads.ts';

export function ironcladUrl(config: IroncladConfig, path: string): string {
    return `${config.baseUrl.replace(/\/$/, '')}${path}`;
}

export class IroncladApi {
    readonly http: HttpClient;
    private readonly token = new AsyncCache(() => this.requestToken());

    constructor(
        private readonly config: IroncladConfig,
        private readonly clock: Clock,
        deps: Pick<IroncladAdapterDeps, 'fetch' | 'random' | 'backoff'>
    ) {
        const perMinute = config.rateLimitsPerMinute;
        // Ironclad counts each bucket per minute: at most that many in any minute, never a 429 of ours.
        const bucket = (rpm: number) => new WindowLimit(Math.max(1, Math.floor(rpm)), 60_000, clock);
        this.http = new HttpClient({
            vendor: VENDOR,
            timeoutMs: config.timeoutMs,
            maxResponseBytes: config.maxResponseBytes,
            buckets: {
                auth: bucket(perMinute.auth),
                workflowsRead: bucket(perMinute.workflowsRead),
                workflowsWrite: bucket(perMinute.workflowsWrite),
                signatures: bucket(perMinute.signatures),
                recordsRead: bucket(perMinute.recordsRead),
                webhooks: bucket(perMinute.webhooks)
            },
            authHeaders: async () => ({
                authorization: `Bearer ${await this.accessToken()}`,
                'x-as-user-email': config.actorEmail
            }),
            invalidateAuth: () => {
                this.token.invalidate();
            },
            mapError: ({ status, body, request }) => {
                const code = (body as { code?: unknown } | undefined)?.code;
                // PATCH attributes outside Review: Ironclad answers 400 with code INVALID_STATE.
                if (status === 400 && code === 'INVALID_STATE') {
                    return clmError(CLM_ERROR.NOT_WRITABLE_IN_STATE, `${request.operation}: ${messageText(body)}`, {
                        operation: request.operation,
                        state: 'not Review'
                    });
                }
                return undefined;
            },
            ...(deps.fetch ? { fetch: deps.fetch } : {}),
            clock,
            ...(deps.random ? { random: deps.random } : {}),
            ...(deps.backoff ? { backoff: deps.backoff } : {})
        });
    }

    private async accessToken(): Promise<string> {
        const token = await this.token.get();
        // Refresh a minute early so a token does not expire mid-request.
        if (token.expiresAt - 60_000 > this.clock.now()) return token.value;
        this.token.invalidate();
        return (await this.token.get()).value;
    }

    private async requestToken(): Promise<{ value: string; expiresAt: number }> {
        const body = await this.http
            .json({
                method: 'POST',
                url: this.config.tokenUrl,
                bucket: 'auth',
                operation: 'POST /oauth/token',
                anonymous: true,
                form: {
                    grant_type: 'client_credentials',
                    client_id: this.config.clientId,
                    client_secret: this.config.clientSecret,
                    scope: this.config.scopes.join(' ')
                }
            })
            .catch((error: unknown) => {
                // A refused token request (invalid_client, invalid_scope …) is an authorisation problem.
                if (isConnectorError(error, CLM_ERROR.VALIDATION)) {
                    throw clmError(CLM_ERROR.AUTH, 'Ironclad refused the token request', {
                        operation: 'POST /oauth/token',
                        vendorMessage: error.details.vendorMessage
                    });
                }
                throw error;
            });
        const token = parseVendorPayload(IroncladToken, body, { vendor: VENDOR, operation: 'POST /oauth/token' });
        return { value: token.access_token, expiresAt: this.clock.now() + token.expires_in * 1000 };
    }

    async verificationKey(): Promise<string> {
        const response = await this.http.send({
            method: 'GET',
            url: ironcladUrl(this.config, '/webhooks/verification-key'),
            bucket: 'webhooks',
            operation: 'GET /webhooks/verification-key',
            headers: { accept: 'text/plain' }
        });
        return response.bytes.toString('utf8');
    }

    getWorkflow(id: string): Promise<IroncladWorkflow> {
        return this.http.parsed(IroncladWorkflow, {
            method: 'GET',
            url: ironcladUrl(this.config, `/workflows/${encodeURIComponent(id)}`),
            bucket: 'workflowsRead',
            operation: 'GET /workflows/{id}'
        });
    }

    getRecord(id: string): Promise<IroncladRecord> {
        return this.http.parsed(IroncladRecord, {
            method: 'GET',
            url: ironcladUrl(this.config, `/records/${encodeURIComponent(id)}`),
            bucket: 'recordsRead',
            operation: 'GET /records/{id}'
        });
    }

    /** GET /workflows for every status (Ironclad lists `active` unless told otherwise), all pages (0-based). */
    async listWorkflows(query: { filter?: string; lastUpdated?: string }): Promise<IroncladWorkflow[]> {
        const all: IroncladWorkflow[] = [];
        for (const status of WORKFLOW_STATUSES) {
            const page = await this.allPages('/workflows', 'workflowsRead', { ...query, status }, (body, operation) =>
                parseVendorPayload(IroncladWorkflowPage, body, { vendor: VENDOR, operation })
            );
            all.push(...page);
        }
        return all;
    }

    async listRecords(query: { lastUpdated?: string }): Promise<IroncladRecord[]> {
        return this.allPages('/records', 'recordsRead', query, (body, operation) =>
            parseVendorPayload(IroncladRecordPage, body, { vendor: VENDOR, operation })
        );
    }

    async allPages<T>(
        path: string,
        bucket: string,
        query: Record<string, string | undefined>,
        parse: (body: unknown, operation: string) => { count: number; list: T[] }
    ): Promise<T[]> {
        const items: T[] = [];
        const operation = `GET ${path}`;
        for (let page = 0; page < this.config.maxPages; page++) {
            const body = await this.http.json({
                method: 'GET',
                url: ironcladUrl(this.config, path),
                bucket,
                operation,
                query: { ...query, page, pageSize: this.config.pageSize }
            });
            const result = parse(body, operation);
            items.push(...result.list);
            if (result.list.length === 0 || items.length >= result.count) return items;
        }
        throw clmError(CLM_ERROR.TRANSIENT, `${operation}: more than ${this.config.maxPages} pages`, {
            operation,
            maxPages: this.config.maxPages
        });
    }

    /** One registration per target URL, covering every event the connector needs. */
    async ensureWebhook(targetUrl: string): Promise<{ id: string }> {
        const wanted = this.config.webhookEvents;
        for (let page = 0; page < this.config.maxPages; page++) {
            const body = await this.http.json({
                method: 'GET',
                url: ironcladUrl(this.config, '/webhooks'),
                bucket: 'webhooks',
                operation: 'GET /webhooks',
                query: { page, pageSize: this.config.pageSize }
            });
            const { list } = parseVendorPayload(IroncladWebhookPage, body, {
                vendor: VENDOR,
                operation: 'GET /webhooks'
            });
            const existing = list.find((hook) => hook.targetURL === targetUrl);
            if (existing) {
                const covers =
                    existing.events.includes('*') || wanted.every((event) => existing.events.includes(event));
                if (covers) return { id: existing.id };
                // One registration per target URL: replace it with one that covers every event we need.
                await this.http.send({
                    method: 'DELETE',
                    url: ironcladUrl(this.config, `/webhooks/${encodeURIComponent(existing.id)}`),
                    bucket: 'webhooks',
                    operation: 'DELETE /webhooks/{id}'
                });
                break;
            }
            if (list.length < this.config.pageSize) break;
        }
        const created = await this.http.json({
            method: 'POST',
            url: ironcladUrl(this.config, '/webhooks'),
            bucket: 'webhooks',
            operation: 'POST /webhooks',
            json: { events: wanted, targetURL: targetUrl }
        });
        return { id: parseVendorPayload(IroncladWebhook, created, { vendor: VENDOR, operation: 'POST /webhooks' }).id };
    }
}

function messageText(body: unknown): string {
    const message = (body as { message?: unknown } | undefined)?.message;
    return typeof message === 'string' ? message.slice(0, 200) : 'refused';
}
