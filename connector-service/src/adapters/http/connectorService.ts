/**
 * The running connector's HTTP server: CLM webhooks, the admin API (adminRoutes.ts), Prometheus metrics, health and
 * readiness; it starts the org binding (app/orgBinding.ts) and with it the work loop (app/workLoop.ts).
 * Composition happens in main.ts; this class only runs what it is given.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Alert } from '../../app/alerts.ts';
import type { Audit } from '../../app/audit.ts';
import type { Backfill } from '../../app/backfill.ts';
import type { ClmReachabilityState } from '../../app/clmReachability.ts';
import { OrgBinding, type Phase } from '../../app/orgBinding.ts';
import type { SyncEngine } from '../../app/syncEngine.ts';
import { WorkLoop } from '../../app/workLoop.ts';
import { systemClock, type Clock } from '../../clock.ts';
import type { ClmPort } from '../../ports/clm.ts';
import { logTo, type Logger } from '../../ports/logger.ts';
import type { SalesforcePort } from '../../ports/salesforce.ts';
import type { StorePort } from '../../ports/store.ts';
import {
    newMetricsRegistry,
    registerServiceMetrics,
    renderMetrics,
    webhookRefusals,
    type MetricsRegistry
} from '../metrics/serviceMetrics.ts';
import { registerAdminRoutes } from './adminRoutes.ts';
import { answerErrorsWithCodes } from './httpErrors.ts';
import { registerWebhookRoutes } from './webhookRoutes.ts';

export type { Logger } from '../../ports/logger.ts';

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
    metrics?: MetricsRegistry;
    /** Whether the CLM answers (app/clmReachability.ts); /readyz is 503 CLM_UNREACHABLE while it does not. */
    clmReachability?: () => ClmReachabilityState;
    /** Queues the connector's status record when due, each work round (app/connectorStatusReporter.ts). */
    statusReport?: () => Promise<unknown>;
}

export class ConnectorService {
    readonly app: FastifyInstance;
    readonly metrics: MetricsRegistry;
    private readonly now: () => number;
    private readonly loop: WorkLoop;
    private readonly binding: OrgBinding;
    private url = '';

    constructor(private readonly options: ConnectorServiceOptions) {
        const clock = options.clock ?? systemClock;
        const now = (this.now = () => clock.now());
        this.metrics = options.metrics ?? newMetricsRegistry();
        this.app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
        const onRound = registerServiceMetrics(this.metrics, { ...options, now });
        answerErrorsWithCodes(this.app, options.logger);
        this.loop = new WorkLoop({ ...options, now, onRound });
        this.binding = new OrgBinding({
            ...options,
            now,
            startSync: async (relinked) => {
                this.loop.start();
                await options.startSync?.(this.url, { relinked });
            }
        });
        // The CLM retries a webhook it could not deliver: none is stored while this org's state is not ours.
        this.app.addHook('onRequest', async (request, reply) => {
            if (this.binding.state === 'refusing' && request.url.startsWith('/webhooks/'))
                return reply.code(503).header('retry-after', '60').send(this.binding.relinkRequired());
        });
        registerWebhookRoutes(this.app, {
            orgId: options.orgId,
            store: options.store,
            clm: options.clm,
            onStored: () => this.kick(),
            onRefused: webhookRefusals(this.metrics),
            log: logTo(options.logger)
        });
        registerAdminRoutes(this.app, { ...options, now, binding: this.binding, kick: () => this.kick() });
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
                        message: this.binding.relinkRequired().message
                    });
                }
                if (this.binding.state !== 'running') return reply.code(503).send({ ready: false, reason: 'STARTING' });
                const clm = options.clmReachability?.();
                if (clm && !clm.reachable)
                    return reply.code(503).send({ ready: false, reason: 'CLM_UNREACHABLE', clm });
                return { ready: true, running: this.loop.isRunning, ...(clm ? { clm } : {}) };
            } catch {
                return reply.code(503).send({ ready: false, reason: 'STORE_UNAVAILABLE' });
            }
        });
        this.app.get('/metrics', async (_request, reply) => {
            const { contentType, body } = await renderMetrics(this.metrics);
            return reply.type(contentType).send(body);
        });
    }

    /**
     * Listens, binds the store to the org and starts the sync. When the store holds another org's state (a
     * refreshed sandbox), only the server runs (health, readiness, metrics, the admin API) until an admin relinks.
     */
    async start(port: number, host = '127.0.0.1'): Promise<string> {
        this.url = await this.app.listen({ port, host });
        let bound: boolean;
        try {
            bound = await this.binding.bind();
        } catch (error) {
            await this.app.close();
            throw error;
        }
        if (bound) await this.binding.start();
        return this.url;
    }

    /** Whether the sync runs (`refusing` while the store holds another org's state). */
    get state(): Phase {
        return this.binding.state;
    }

    /** Wakes the loop now (new inbox items, a replay). */
    kick(): void {
        this.loop.kick();
    }

    async stop(): Promise<void> {
        this.binding.stop();
        await this.loop.stop();
        await this.app.close();
    }
}
