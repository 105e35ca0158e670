/**
 * The running connector: one HTTP server (CLM webhooks, the admin API, Prometheus metrics, health and readiness)
 * and the work loop that drives the sync engine. Composition happens in main.ts; this class only runs what it
 * is given.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { z } from 'zod';
import { isConnectorError, syncErrorKey } from '../domain/index.ts';
import type { ClmPort } from '../ports/clm.ts';
import type { SalesforcePort } from '../ports/salesforce.ts';
import { STORE_ERROR, type QueueRef, type StorePort } from '../ports/store.ts';
import type { SyncEngine } from './syncEngine.ts';
import type { Backfill } from './backfill.ts';
import { registerBackfillRoutes } from './backfillRoutes.ts';
import { quarantinedRecords, type Alert } from './alerts.ts';
import type { Audit } from './audit.ts';
import { registerAuditMetric, registerAuditRoutes } from './auditRoutes.ts';
import { registerWebhookRoutes } from './webhookServer.ts';
import { answerErrorsWithCodes } from './httpErrors.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { ClmReachabilityState } from './clmReachability.ts';

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
    /** Between work rounds while the engine is slowed to spare the org's API allocation (default 5 s). */
    slowRoundIntervalMs?: number;
    /** Posted (in Slack's or Teams' format, alerts.ts) when items are quarantined and when the API budget crosses a threshold. */
    alert?: (alert: Alert) => Promise<void>;
    /** A link to a Salesforce record, for alerts (none when not given). */
    recordUrl?: (recordId: string) => string;
    /** The Pub/Sub channels, for /admin/status (none when the connector hears the org another way). */
    subscriptions?: () => Promise<unknown[]>;
    /** Serves POST/GET /admin/backfill (without it they answer 503). */
    backfill?: Backfill;
    /** Serves /admin/audit and the agreement gauge (without it the routes answer 503). */
    audit?: Audit;
    /**
     * Starts everything else that writes (the Pub/Sub ingest, the CLM webhook registration and poller, backfill
     * resume). Called once the store is bound to this org: at start, or after an admin relinked it (`relinked`).
     */
    startSync?: (url: string, how: { relinked: boolean }) => Promise<void>;
    /** While refusing another org's state, how often to look whether an admin relinked it through another instance. */
    bindingRecheckMs?: number;
    /** The connector's clock (the one the store, the engine and the leases use). */
    clock?: Clock;
    /** The registry /metrics serves, for metrics the composition root registers too (a new one if not given). */
    metrics?: Registry;
    /** Queues the connector's status record when due (app/connectorStatusReporter.ts): each round, before the work. */
    statusReport?: () => Promise<unknown>;
    /** Whether the CLM answers (app/clmReachability.ts); /readyz is 503 CLM_UNREACHABLE while it does not. */
    clmReachability?: () => ClmReachabilityState;
}

/** An admin's typed confirmation: the id of the org the connector is logged in to (15 or 18 characters). */
const RelinkBody = z
    .object({
        orgId: z.string().regex(/^00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/),
        requestedBy: z.string().min(1).max(255).optional()
    })
    .strict();

/**
 * `refusing`: the store holds another org's state, so nothing that writes runs until an admin relinks;
 * `starting`: bound, the sync is being started; `running`: ready.
 */
type Phase = 'stopped' | 'refusing' | 'starting' | 'running';

const ReplayBody = z.union([
    z
        .object({
            ids: z
                .array(z.string().regex(/^(inbox|outbox):[1-9]\d{0,14}$/))
                .min(1)
                .max(1000)
        })
        .strict(),
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
    private budgetState: 'normal' | 'slowed' | 'paused' = 'normal';
    private readonly processed: Counter;
    private phase: Phase = 'stopped';
    private url = '';
    private boundOrgId: string | null = null;
    private bindingRecheck: NodeJS.Timeout | null = null;

    constructor(private readonly options: ConnectorServiceOptions) {
        const clock = options.clock ?? systemClock;
        this.now = () => clock.now();
        this.metrics = options.metrics ?? new Registry();
        this.app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
        collectDefaultMetrics({ register: this.metrics, prefix: 'clm_connector_' });
        answerErrorsWithCodes(this.app, options.logger);
        this.processed = new Counter({
            name: 'clm_connector_loop_items_total',
            help: 'Inbox and outbox items the work loop claimed',
            labelNames: ['queue'],
            registers: [this.metrics]
        });
        this.registerGauges();
        registerAuditMetric(this.metrics, options.audit);
        // The CLM retries a webhook it could not deliver: none is stored while this org's state is not ours.
        this.app.addHook('onRequest', async (request, reply) => {
            if (this.phase === 'refusing' && request.url.startsWith('/webhooks/'))
                return reply.code(503).header('retry-after', '60').send(this.relinkRequired());
        });
        registerWebhookRoutes(this.app, {
            orgId: options.orgId,
            store: options.store,
            clm: options.clm,
            onStored: () => this.kick(),
            metrics: this.metrics,
            log: (level, message, fields) => options.logger[level](fields, message)
        });
        this.registerAdmin();
        this.app.get('/healthz', async () => ({ ok: true }));
        this.app.get('/readyz', async (_request, reply) => {
            try {
                const bound = await options.store.boundOrg(options.name);
                if (bound !== options.orgId) {
                    return reply.code(503).send({
                        ready: false,
                        reason: 'ORG_MISMATCH',
                        boundOrgId: bound,
                        orgId: options.orgId,
                        message: this.relinkRequired().message
                    });
                }
                if (this.phase !== 'running') return reply.code(503).send({ ready: false, reason: 'STARTING' });
                const clm = options.clmReachability?.();
                if (clm && !clm.reachable)
                    return reply.code(503).send({ ready: false, reason: 'CLM_UNREACHABLE', clm });
                return { ready: true, running: this.running, ...(clm ? { clm } : {}) };
            } catch {
                return reply.code(503).send({ ready: false, reason: 'STORE_UNAVAILABLE' });
            }
        });
        this.app.get('/metrics', async (_request, reply) =>
            reply.type(this.metrics.contentType).send(await this.metrics.metrics())
        );
    }

    private registerGauges(): void {
        const { store, orgId, salesforce } = this.options;
        const now = this.now;
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
                    fill(this, await store.stats(orgId, now()));
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
        const flag = (name: string, help: string, read: () => boolean) =>
            new Gauge({
                name,
                help,
                registers: [this.metrics],
                collect() {
                    this.set(read() ? 1 : 0);
                }
            });
        flag('clm_connector_slowed', '1 while work is slowed to spare the org API allocation (before the pause)', () =>
            engine.isSlowed()
        );
        flag('clm_connector_paused', '1 while work is paused to spare the org API allocation', () => engine.isPaused());
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
                // Reads stay open; nothing that writes (replay, backfill) runs on another org's state.
                if (this.phase === 'refusing' && request.method !== 'GET' && request.url !== '/admin/relink')
                    return reply.code(409).send(this.relinkRequired());
            });
            admin.get('/admin/relink', async () => ({
                state: this.phase,
                boundOrgId: await store.boundOrg(this.options.name),
                orgId
            }));
            admin.post('/admin/relink', (request, reply) => this.relink(request, reply));
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
                // Retrying (failed) and quarantined items, newest first.
                const items = await store.listQuarantined(orgId, { limit, statuses: ['failed', 'quarantined'] });
                return {
                    items: items.map((item) => ({
                        // The same id the org's Clm_Sync_Error__c carries (Error_Key__c): one id in the CLI and the console.
                        id: syncErrorKey(item.queue, item.id),
                        kind: item.queue,
                        code: item.lastError?.code ?? 'UNKNOWN',
                        message: item.lastError?.message ?? '',
                        correlationId: item.correlationId,
                        attempts: item.attempts,
                        nextAttemptAt: item.status === 'failed' ? new Date(item.nextAttemptAt).toISOString() : null,
                        quarantined: item.status === 'quarantined'
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
            registerAuditRoutes(admin, this.options.audit);
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

    /**
     * Listens, binds the store to the org and starts the sync. When the store holds another org's state (a
     * refreshed sandbox), only the server runs (health, readiness, metrics, the admin API) until an admin relinks.
     */
    async start(port: number, host = '127.0.0.1'): Promise<string> {
        this.url = await this.app.listen({ port, host });
        try {
            await this.options.store.bindOrg(this.options.name, this.options.orgId, this.now());
        } catch (error) {
            if (!isConnectorError(error, STORE_ERROR.ORG_MISMATCH)) {
                await this.app.close();
                throw error;
            }
            this.refuse(String(error.details.boundOrgId));
            return this.url;
        }
        await this.startSync(false);
        return this.url;
    }

    /** Whether the sync runs (`refusing` while the store holds another org's state). */
    get state(): Phase {
        return this.phase;
    }

    private async startSync(relinked: boolean): Promise<void> {
        this.stopBindingRecheck();
        this.phase = 'starting';
        this.running = true;
        this.loop = this.work();
        await this.options.startSync?.(this.url, { relinked });
        this.phase = 'running';
    }

    private relinkRequired(): { code: string; message: string; boundOrgId: string | null; orgId: string } {
        const { name, orgId } = this.options;
        return {
            code: 'ADMIN.RELINK_REQUIRED',
            message:
                `Connector ${name} holds the state of org ${this.boundOrgId}, but is logged in to org ${orgId} ` +
                `(a refreshed sandbox?): nothing syncs until an admin relinks it with ` +
                `"sf clm org relink --target-org <alias of org ${orgId}>" (POST /admin/relink {"orgId": "${orgId}"})`,
            boundOrgId: this.boundOrgId,
            orgId
        };
    }

    private refuse(boundOrgId: string): void {
        this.phase = 'refusing';
        this.boundOrgId = boundOrgId;
        const { code: _, message, ...orgs } = this.relinkRequired();
        this.options.logger.error({ code: STORE_ERROR.ORG_MISMATCH, ...orgs }, message);
        // Several instances share a store: an admin may relink through another one.
        const every = this.options.bindingRecheckMs ?? 10_000;
        this.bindingRecheck = setInterval(() => {
            void this.options.store
                .boundOrg(this.options.name)
                .then((bound) => {
                    if (bound !== this.options.orgId || this.phase !== 'refusing') return;
                    this.options.logger.info({ orgId: bound }, 'the store was relinked to this org; starting the sync');
                    return this.startSync(true);
                })
                .catch((error: unknown) => this.logStartFailure(error));
        }, every);
        this.bindingRecheck.unref();
    }

    private stopBindingRecheck(): void {
        if (this.bindingRecheck) clearInterval(this.bindingRecheck);
        this.bindingRecheck = null;
    }

    /** POST /admin/relink: an admin's decision that the store's state now belongs to this org. */
    private async relink(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
        const { store, name, orgId, logger } = this.options;
        const body = RelinkBody.safeParse(request.body);
        if (!body.success) {
            return reply.code(400).send({
                code: 'ADMIN.INVALID_REQUEST',
                message: `Send {"orgId": "<the id of the org the connector is logged in to>"}: ${body.error.issues
                    .map((issue) => issue.path.join('.') || 'body')
                    .join(', ')} is missing or malformed`,
                field: body.error.issues[0]?.path.join('.') || 'orgId'
            });
        }
        if (this.phase !== 'refusing') {
            return reply.code(409).send({
                code: 'ADMIN.NOT_NEEDED',
                message: `Connector ${name} already holds the state of org ${orgId}, the org it is logged in to`
            });
        }
        const named = body.data.orgId;
        if (named !== orgId && !(named.length === 15 && orgId.startsWith(named))) {
            return reply.code(409).send({
                code: 'ADMIN.ORG_ID_MISMATCH',
                message: `The connector is logged in to org ${orgId}, not ${named}: name that org to confirm the relink`,
                expectedOrgId: orgId
            });
        }
        this.phase = 'starting';
        let previousOrgId: string | null;
        try {
            ({ previousOrgId } = await store.relinkOrg(name, orgId, this.now()));
        } catch (error) {
            this.phase = 'refusing';
            throw error;
        }
        logger.warn(
            {
                code: 'ADMIN.RELINKED',
                previousOrgId,
                orgId,
                requestedBy: body.data.requestedBy ?? null,
                remoteAddress: request.ip,
                at: new Date(this.now()).toISOString()
            },
            `an admin relinked connector ${name} from org ${previousOrgId} to org ${orgId}; starting the sync`
        );
        try {
            await this.startSync(true);
        } catch (error) {
            this.logStartFailure(error);
            return reply.code(500).send({
                code: isConnectorError(error) ? error.code : 'ADMIN.START_FAILED',
                message: `Relinked to org ${orgId}, but the sync did not start: ${error instanceof Error ? error.message : String(error)}`
            });
        }
        return { previousOrgId, orgId };
    }

    private logStartFailure(error: unknown): void {
        this.options.logger.error(
            { code: isConnectorError(error) ? error.code : 'ADMIN.START_FAILED' },
            `the sync did not start: ${error instanceof Error ? error.message : String(error)}`
        );
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
                // Its write joins the round's other Salesforce writes in one Composite call.
                await this.options.statusReport?.();
                const inbox = await this.options.engine.processInbox();
                const outbox = await this.options.engine.dispatchOutbox();
                this.processed.inc({ queue: 'inbox' }, inbox);
                this.processed.inc({ queue: 'outbox' }, outbox);
                moved = inbox + outbox;
                await this.alertOnQuarantine();
                await this.alertOnBudget();
            } catch (error) {
                this.options.logger.error(
                    { code: (error as { code?: string }).code ?? 'PIPELINE.LOOP' },
                    'work loop error'
                );
            }
            if (this.running && this.options.engine.isSlowed()) {
                // Sparing the org's allocation: small rounds, spaced out; webhooks and events still queue meanwhile.
                await new Promise((resolve) => setTimeout(resolve, this.options.slowRoundIntervalMs ?? 5_000));
            } else if (moved === 0 && this.running) {
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
        const { store, orgId, salesforce, name } = this.options;
        const stats = await store.stats(orgId, this.now());
        if (stats.quarantined > this.lastQuarantined) {
            const added = stats.quarantined - this.lastQuarantined;
            const newest = await store.listQuarantined(orgId, { limit: Math.min(added, 1000) });
            const records = await quarantinedRecords({ store, salesforce, orgId }, newest, (id) =>
                this.options.recordUrl ? this.options.recordUrl(id) : null
            );
            await this.sendAlert({
                title: `CLM connector ${name}: ${added} item(s) quarantined`,
                text: `${stats.quarantined} item(s) wait in quarantine. See them with "sf clm sync errors", fix the cause, then "sf clm sync replay".`,
                severity: 'warning',
                records
            });
        }
        this.lastQuarantined = stats.quarantined;
    }

    /** One alert each time the org's API allocation crosses a threshold: slowed, paused, and back to normal. */
    private async alertOnBudget(): Promise<void> {
        const { engine, salesforce } = this.options;
        const state = engine.isPaused() ? 'paused' : engine.isSlowed() ? 'slowed' : 'normal';
        if (state === this.budgetState) return;
        this.budgetState = state;
        if (!this.options.alert) return;
        const budget = salesforce.apiBudget();
        const usage = budget ? `${budget.used} of ${budget.max} daily API requests used` : 'API usage unknown';
        const text = {
            slowed: `work is slowed to spare the org's API allocation (${usage})`,
            paused: `work is paused: the org's API allocation is nearly spent (${usage}); it resumes when allocation returns`,
            normal: `work is back to normal speed (${usage})`
        }[state];
        await this.sendAlert({
            title: `CLM connector ${this.options.name}: API budget`,
            text: `${text}.`,
            severity: state === 'paused' ? 'critical' : state === 'slowed' ? 'warning' : 'info'
        });
    }

    private async sendAlert(alert: Alert): Promise<void> {
        await this.options.alert?.(alert).catch((error: unknown) => {
            this.options.logger.warn(
                { code: 'ALERT.FAILED', reason: error instanceof Error ? error.message : String(error) },
                'alert not delivered'
            );
        });
    }

    async stop(): Promise<void> {
        this.stopBindingRecheck();
        this.phase = 'stopped';
        this.running = false;
        this.kick();
        await this.loop;
        await this.app.close();
    }
}
