/**
 * The running connector: one HTTP server (CLM webhooks, the admin API, Prometheus metrics, health and readiness)
 * and the work loop that drives the sync engine. Composition happens in main.ts; this class only runs what it
 * is given.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { z } from 'zod';
import type { ClmPort } from '../ports/clm.ts';
import type { SalesforcePort } from '../ports/salesforce.ts';
import type { QueueRef, StorePort } from '../ports/store.ts';
import type { SyncEngine } from './syncEngine.ts';
import type { Backfill } from './backfill.ts';
import { registerBackfillRoutes } from './backfillRoutes.ts';
import { registerWebhookRoutes } from './webhookServer.ts';

export interface Logger {
    info(fields: Record<string, unknown>, message: string): void;
    warn(fields: Record<string, unknown>, message: string): void;
    error(fields: Record<string, unknown>, message: string): void;
}

export interface ConnectorServiceOptions {
    name: string;
    version: string;
    orgId: string;
    store: StorePort;
    salesforce: SalesforcePort;
    clm: ClmPort;
    engine: SyncEngine;
    adminToken: string;
    logger: Logger;
    pollIntervalMs?: number;
    /** Posted (Slack/Teams JSON) when items are quarantined. */
    alert?: (text: string) => Promise<void>;
    /** The Pub/Sub channels, for /admin/status (none when the connector hears the org another way). */
    subscriptions?: () => Promise<unknown[]>;
    /** Serves POST/GET /admin/backfill (without it they answer 503). */
    backfill?: Backfill;
    now?: () => number;
    /** The registry /metrics serves, for metrics the composition root registers too (a new one if not given). */
    metrics?: Registry;
}

const ReplayBody = z.union([
    z.object({ ids: z.array(z.string().regex(/^(inbox|outbox):\d+$/)).min(1) }).strict(),
    z.object({ all: z.literal(true) }).strict()
]);

function digest(value: string): Buffer {
    return createHash('sha256').update(value).digest();
}

export class ConnectorService {
    readonly app: FastifyInstance;
    readonly metrics: Registry;
    private running = false;
    private loop: Promise<void> | null = null;
    private wake: (() => void) | null = null;
    private readonly now: () => number;
    private lastQuarantined = 0;
    private readonly processed: Counter;

    constructor(private readonly options: ConnectorServiceOptions) {
        this.now = options.now ?? Date.now;
        this.metrics = options.metrics ?? new Registry();
        this.app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
        collectDefaultMetrics({ register: this.metrics, prefix: 'clm_connector_' });
        this.processed = new Counter({
            name: 'clm_connector_loop_items_total',
            help: 'Inbox and outbox items the work loop claimed',
            labelNames: ['queue'],
            registers: [this.metrics]
        });
        this.registerGauges();
        registerWebhookRoutes(this.app, {
            orgId: options.orgId,
            store: options.store,
            clm: options.clm,
            onStored: () => this.kick()
        });
        this.registerAdmin();
        this.app.get('/healthz', async () => ({ ok: true }));
        this.app.get('/readyz', async (_request, reply) => {
            try {
                const bound = await options.store.boundOrg(options.name);
                if (bound !== options.orgId)
                    return reply.code(503).send({ ready: false, reason: 'the store is not bound to this org' });
                return { ready: true, running: this.running };
            } catch {
                return reply.code(503).send({ ready: false, reason: 'the store is unreachable' });
            }
        });
        this.app.get('/metrics', async (_request, reply) =>
            reply.type(this.metrics.contentType).send(await this.metrics.metrics())
        );
    }

    private registerGauges(): void {
        const { store, orgId, salesforce } = this.options;
        const statsGauge = (
            name: string,
            help: string,
            labelNames: string[],
            fill: (gauge: Gauge, stats: Awaited<ReturnType<StorePort['stats']>>) => void
        ) =>
            new Gauge({
                name,
                help,
                labelNames,
                registers: [this.metrics],
                collect: async function (this: Gauge) {
                    this.reset();
                    fill(this, await store.stats(orgId, Date.now()));
                }
            });
        statsGauge('clm_connector_queue_items', 'Items per queue and status', ['queue', 'status'], (gauge, stats) => {
            for (const queue of ['inbox', 'outbox'] as const) {
                for (const [status, count] of Object.entries(stats[queue].byStatus))
                    gauge.set({ queue, status }, count);
            }
        });
        statsGauge(
            'clm_connector_queue_items_by_object',
            'Items per queue, object and status (queue depth per object)',
            ['queue', 'object', 'status'],
            (gauge, stats) => {
                for (const queue of ['inbox', 'outbox'] as const) {
                    for (const [object, counts] of Object.entries(stats[queue].byObject)) {
                        for (const [status, count] of Object.entries(counts))
                            gauge.set({ queue, object, status }, count ?? 0);
                    }
                }
            }
        );
        statsGauge(
            'clm_connector_quarantined_items',
            'Items waiting in quarantine (the dead-letter queue)',
            [],
            (gauge, stats) => gauge.set(stats.quarantined)
        );
        statsGauge('clm_connector_open_conflicts', 'Manual conflicts waiting for a person', [], (gauge, stats) =>
            gauge.set(stats.openConflicts)
        );
        statsGauge(
            'clm_connector_oldest_pending_seconds',
            'Age of the oldest waiting item',
            ['queue'],
            (gauge, stats) => {
                gauge.set({ queue: 'inbox' }, stats.inbox.oldestPendingAgeMs / 1000);
                gauge.set({ queue: 'outbox' }, stats.outbox.oldestPendingAgeMs / 1000);
            }
        );
        const engine = this.options.engine;
        new Gauge({
            name: 'clm_connector_paused',
            help: '1 while work is paused to spare the org API allocation',
            registers: [this.metrics],
            collect() {
                this.set(engine.isPaused() ? 1 : 0);
            }
        });
        new Gauge({
            name: 'clm_connector_salesforce_api_requests',
            help: 'Daily API requests used and allowed, as Salesforce last reported them',
            labelNames: ['kind'],
            registers: [this.metrics],
            collect() {
                const budget = salesforce.apiBudget();
                if (!budget) return;
                this.set({ kind: 'used' }, budget.used);
                this.set({ kind: 'max' }, budget.max);
            }
        });
    }

    private authorized(request: FastifyRequest): boolean {
        const header = request.headers.authorization ?? '';
        const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
        // Compare fixed-length digests so neither the content nor the length leaks through timing.
        return token.length > 0 && timingSafeEqual(digest(token), digest(this.options.adminToken));
    }

    private registerAdmin(): void {
        const { store, orgId } = this.options;
        const deny = (reply: FastifyReply) =>
            reply.code(401).send({
                code: 'ADMIN.UNAUTHORIZED',
                message: 'A valid admin token is required (Authorization: Bearer …)'
            });
        void this.app.register(async (admin) => {
            admin.addHook('onRequest', async (request, reply) => {
                if (!this.authorized(request)) return deny(reply);
            });
            admin.get('/admin/status', async () => {
                const stats = await store.stats(orgId, this.now());
                const counts = (queue: 'inbox' | 'outbox') => ({
                    pending: stats[queue].byStatus.pending,
                    processing: stats[queue].byStatus.processing,
                    failed: stats[queue].byStatus.failed,
                    quarantined: stats[queue].byStatus.quarantined
                });
                const budget = this.options.salesforce.apiBudget();
                return {
                    orgId,
                    connector: `${this.options.name} ${this.options.version}`,
                    subscriptions: (await this.options.subscriptions?.()) ?? [],
                    queues: { inbox: counts('inbox'), outbox: counts('outbox') },
                    apiBudget: {
                        used: budget?.used ?? 0,
                        max: budget?.max ?? 0,
                        paused: this.options.engine.isPaused()
                    }
                };
            });
            admin.get<{ Querystring: { limit?: string } }>('/admin/errors', async (request, reply) => {
                const limit = request.query.limit === undefined ? 50 : Number(request.query.limit);
                if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
                    return reply.code(400).send({
                        code: 'ADMIN.INVALID_REQUEST',
                        message: 'limit must be a whole number from 1 to 1000'
                    });
                }
                const items = await store.listQuarantined(orgId, { limit });
                return {
                    items: items.map((item) => ({
                        id: `${item.queue}:${item.id}`,
                        kind: item.queue,
                        code: item.lastError?.code ?? 'UNKNOWN',
                        message: item.lastError?.message ?? '',
                        correlationId: item.correlationId,
                        attempts: item.attempts,
                        nextAttemptAt: null,
                        quarantined: true
                    }))
                };
            });
            admin.post('/admin/replay', async (request, reply) => {
                const body = ReplayBody.safeParse(request.body);
                if (!body.success) {
                    return reply.code(400).send({
                        code: 'ADMIN.INVALID_REQUEST',
                        message: 'Send {"ids": ["inbox:1", "outbox:2"]} or {"all": true}'
                    });
                }
                const refs: QueueRef[] | 'all' =
                    'all' in body.data
                        ? 'all'
                        : body.data.ids.map((id) => {
                              const [queue, number] = id.split(':');
                              return { queue: queue as QueueRef['queue'], id: Number(number) };
                          });
                const replayed = await store.replay(orgId, refs, this.now());
                this.options.logger.info({ replayed }, 'quarantined items replayed');
                this.kick();
                return { replayed };
            });
            registerBackfillRoutes(admin, this.options.backfill);
            admin.get('/admin/conflicts', async () => {
                const conflicts = await store.listConflicts(orgId, { status: 'open' });
                return {
                    items: conflicts.map((conflict) => ({
                        id: String(conflict.id),
                        pairId: conflict.pairId,
                        rule: conflict.rule,
                        salesforceValue: conflict.salesforceValue,
                        clmValue: conflict.clmValue,
                        detectedAt: new Date(conflict.createdAt).toISOString()
                    }))
                };
            });
        });
    }

    /** Binds the store to the org (refusing another org's state), listens, and starts the work loop. */
    async start(port: number, host = '127.0.0.1'): Promise<string> {
        await this.options.store.bindOrg(this.options.name, this.options.orgId, this.now());
        const url = await this.app.listen({ port, host });
        this.running = true;
        this.loop = this.work();
        return url;
    }

    /** Wakes the loop now (new inbox items, a replay). */
    kick(): void {
        this.wake?.();
    }

    private async work(): Promise<void> {
        const interval = this.options.pollIntervalMs ?? 500;
        while (this.running) {
            let moved = 0;
            try {
                const inbox = await this.options.engine.processInbox();
                const outbox = await this.options.engine.dispatchOutbox();
                this.processed.inc({ queue: 'inbox' }, inbox);
                this.processed.inc({ queue: 'outbox' }, outbox);
                moved = inbox + outbox;
                await this.alertOnQuarantine();
            } catch (error) {
                this.options.logger.error(
                    { code: (error as { code?: string }).code ?? 'PIPELINE.LOOP' },
                    'work loop error'
                );
            }
            if (moved === 0 && this.running) {
                await new Promise<void>((resolve) => {
                    const timer = setTimeout(resolve, interval);
                    this.wake = () => {
                        clearTimeout(timer);
                        resolve();
                    };
                });
                this.wake = null;
            }
        }
    }

    private async alertOnQuarantine(): Promise<void> {
        if (!this.options.alert) return;
        const stats = await this.options.store.stats(this.options.orgId, this.now());
        if (stats.quarantined > this.lastQuarantined) {
            const added = stats.quarantined - this.lastQuarantined;
            await this.options
                .alert(
                    `CLM connector ${this.options.name}: ${added} item(s) quarantined (${stats.quarantined} waiting). See sf clm sync errors.`
                )
                .catch((error: unknown) => {
                    this.options.logger.warn(
                        { code: 'ALERT.FAILED', reason: error instanceof Error ? error.message : String(error) },
                        'alert not delivered'
                    );
                });
        }
        this.lastQuarantined = stats.quarantined;
    }

    async stop(): Promise<void> {
        this.running = false;
        this.kick();
        await this.loop;
        await this.app.close();
    }
}

/** Posts a message to a Slack or Teams incoming webhook (both accept `{"text": …}`). */
export function webhookAlert(url: string, timeoutMs = 5000): (text: string) => Promise<void> {
    return async (text) => {
        const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ text }),
            signal: AbortSignal.timeout(timeoutMs)
        });
        if (!response.ok) throw new Error(`alert webhook answered ${response.status}`);
    };
}
