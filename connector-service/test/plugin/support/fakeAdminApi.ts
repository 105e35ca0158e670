// A small fake of the connector's admin API (docs/admin-api.md) on 127.0.0.1: bearer auth, the documented bodies,
// and a backfill job that advances on each poll. It records every request it gets.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export const STATUS = {
    orgId: '00D000000000001AAA',
    connector: 'clm-connector 0.1.0',
    subscriptions: [
        {
            channel: '/data/ContractChangeEvent',
            replayId: '1042',
            holder: 'worker-1',
            state: 'subscribed',
            lastEventAt: '2026-11-20T10:00:00.000Z'
        }
    ],
    queues: {
        inbox: { pending: 3, processing: 1, failed: 2, quarantined: 1 },
        outbox: { pending: 0, processing: 0, failed: 0, quarantined: 0 }
    },
    apiBudget: { used: 1200, max: 15000, paused: false }
};
export const ERROR_ITEM = {
    id: '42',
    kind: 'outbox',
    code: 'SF.FIELD_INTEGRITY',
    message: 'bad value',
    correlationId: 'c-1',
    attempts: 5,
    nextAttemptAt: null,
    quarantined: true
};
export const CONFLICT = {
    id: 'k1',
    pairId: 'p1',
    rule: 'Contract_Special_Terms',
    salesforceValue: 'Net 30',
    clmValue: { text: 'Net 45' },
    detectedAt: '2026-11-20T10:00:00Z'
};
/** Polls of a backfill job until it reports Completed. */
export const BACKFILL_POLLS = 3;

export interface RecordedRequest {
    method: string;
    url: string;
    body: unknown;
}

export interface FakeAdminApi {
    url: string;
    recorded: RecordedRequest[];
    /** What GET /admin/status answers (to serve a body that breaks the contract). */
    statusBody: unknown;
    close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    return text ? JSON.parse(text) : undefined;
}

export async function startFakeAdminApi(token: string): Promise<FakeAdminApi> {
    let backfillPolls = 0;
    const api: Omit<FakeAdminApi, 'url' | 'close'> = { recorded: [], statusBody: STATUS };
    const server = createServer(async (request, response) => {
        const body = await readBody(request);
        api.recorded.push({ method: request.method ?? '', url: request.url ?? '', body });
        const send = (status: number, value: unknown) => {
            response.writeHead(status, { 'content-type': 'application/json' });
            response.end(JSON.stringify(value));
        };
        if (request.headers.authorization !== `Bearer ${token}`) {
            return send(401, { code: 'ADMIN.UNAUTHORIZED', message: 'bearer token required' });
        }
        const url = new URL(request.url ?? '/', 'http://x');
        const route = `${request.method} ${url.pathname}`;
        switch (route) {
            case 'GET /admin/status':
                return send(200, api.statusBody);
            case 'GET /admin/errors':
                return send(200, { items: [ERROR_ITEM].slice(0, Number(url.searchParams.get('limit'))) });
            case 'POST /admin/replay': {
                const { ids, all } = body as { ids?: string[]; all?: boolean };
                return send(200, { replayed: all ? 7 : (ids?.length ?? 0) });
            }
            case 'POST /admin/backfill':
                if ((body as { object?: string }).object === 'Nope__c') {
                    return send(400, { code: 'ADMIN.UNKNOWN_OBJECT', message: 'object Nope__c is not synced' });
                }
                backfillPolls = 0;
                return send(202, { jobId: 'job-1' });
            case 'GET /admin/backfill/job-1': {
                backfillPolls += 1;
                const done = backfillPolls >= BACKFILL_POLLS;
                return send(200, {
                    jobId: 'job-1',
                    object: 'Contract',
                    state: done ? 'Completed' : 'Running',
                    processed: done ? 40 : 10 * backfillPolls,
                    total: 40,
                    errors: 0,
                    linked: done ? 38 : 10 * backfillPolls,
                    written: done ? 5 : 0
                });
            }
            case 'GET /admin/conflicts':
                return send(200, { items: [CONFLICT] });
            default:
                return send(404, { code: 'ADMIN.NOT_FOUND', message: 'no such route' });
        }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return Object.assign(api, {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((resolve) => server.close(() => resolve()))
    });
}
