/**
 * The service's Prometheus metrics besides the engine's (syncMetrics.ts) and the deals' (dealMetrics.ts): Node's
 * defaults, the queues as the store counts them, the API allocation, the work loop's rounds, refused webhooks and
 * the audit's agreement. prom-client lives here only: the HTTP adapter serves the registry at /metrics.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Audit } from '../../app/audit.ts';
import type { SyncEngine } from '../../app/syncEngine.ts';
import type { SalesforcePort } from '../../ports/salesforce.ts';
import type { QueueStatsReader } from '../../ports/store.ts';

export type MetricsRegistry = Registry;

export function newMetricsRegistry(): MetricsRegistry {
    return new Registry();
}

export interface ServiceMetricsSources {
    store: Pick<QueueStatsReader, 'stats'>;
    orgId: string;
    salesforce: SalesforcePort;
    engine: Pick<SyncEngine, 'isSlowed' | 'isPaused'>;
    now: () => number;
    audit?: Audit;
}

/** Registers the service's gauges; returns the loop counter the work loop feeds after each round. */
export function registerServiceMetrics(
    registry: MetricsRegistry,
    sources: ServiceMetricsSources
): (claimed: { inbox: number; outbox: number }) => void {
    collectDefaultMetrics({ register: registry, prefix: 'clm_connector_' });
    const processed = new Counter({
        name: 'clm_connector_loop_items_total',
        help: 'Inbox and outbox items the work loop claimed',
        labelNames: ['queue'],
        registers: [registry]
    });
    registerQueueGauges(registry, sources);
    registerAuditMetric(registry, sources.audit);
    return ({ inbox, outbox }) => {
        processed.inc({ queue: 'inbox' }, inbox);
        processed.inc({ queue: 'outbox' }, outbox);
    };
}

function registerQueueGauges(registry: MetricsRegistry, sources: ServiceMetricsSources): void {
    const { store, orgId, salesforce, now } = sources;
    const statsGauge = (
        name: string,
        help: string,
        labelNames: string[],
        fill: (gauge: Gauge, stats: Awaited<ReturnType<QueueStatsReader['stats']>>) => void
    ) =>
        new Gauge({
            name,
            help,
            labelNames,
            registers: [registry],
            collect: async function (this: Gauge) {
                this.reset();
                fill(this, await store.stats(orgId, now()));
            }
        });
    statsGauge('clm_connector_queue_items', 'Items per queue and status', ['queue', 'status'], (gauge, stats) => {
        for (const queue of ['inbox', 'outbox'] as const) {
            for (const [status, count] of Object.entries(stats[queue].byStatus)) gauge.set({ queue, status }, count);
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
    statsGauge('clm_connector_oldest_pending_seconds', 'Age of the oldest waiting item', ['queue'], (gauge, stats) => {
        gauge.set({ queue: 'inbox' }, stats.inbox.oldestPendingAgeMs / 1000);
        gauge.set({ queue: 'outbox' }, stats.outbox.oldestPendingAgeMs / 1000);
    });
    const engine = sources.engine;
    const flag = (name: string, help: string, read: () => boolean) =>
        new Gauge({
            name,
            help,
            registers: [registry],
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
        registers: [registry],
        collect() {
            const budget = salesforce.apiBudget();
            if (!budget) return;
            this.set({ kind: 'used' }, budget.used);
            this.set({ kind: 'max' }, budget.max);
        }
    });
}

/** Per object and field: the share of compared records that agree, as of the last completed audit. */
function registerAuditMetric(registry: MetricsRegistry, audit: Audit | undefined): void {
    new Gauge({
        name: 'clm_connector_audit_agreement_ratio',
        help: 'Share of linked records whose field agrees on both sides, as of the last completed audit',
        labelNames: ['object', 'field'],
        registers: [registry],
        collect() {
            this.reset();
            for (const field of audit?.lastCompleted()?.fields ?? [])
                this.set({ object: field.object, field: field.field }, field.accuracy);
        }
    });
}

export const WEBHOOKS_REFUSED_METRIC = 'clm_connector_webhooks_refused_total';

/** Counts a refused webhook delivery, by vendor and reason (one counter per registry). */
export function webhookRefusals(registry: MetricsRegistry): (vendor: string, reason: string) => void {
    const existing = registry.getSingleMetric(WEBHOOKS_REFUSED_METRIC) as Counter<'vendor' | 'reason'> | undefined;
    const counter =
        existing ??
        new Counter({
            name: WEBHOOKS_REFUSED_METRIC,
            help: 'Webhook deliveries refused, by vendor and reason (bad signature, stale, malformed, unknown vendor …)',
            labelNames: ['vendor', 'reason'],
            registers: [registry]
        });
    return (vendor, reason) => counter.inc({ vendor, reason });
}

/** The registry as /metrics serves it. */
export async function renderMetrics(registry: MetricsRegistry): Promise<{ contentType: string; body: string }> {
    return { contentType: registry.contentType, body: await registry.metrics() };
}
