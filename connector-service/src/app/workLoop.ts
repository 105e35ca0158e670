/**
 * The work loop: drives the sync engine round after round — at once while there is work, every `pollIntervalMs`
 * when idle (or when kicked: new inbox items, a replay), spaced out while the engine spares the org's API
 * allocation — and alerts on what a person should see: new quarantined items, the allocation crossing a threshold.
 */
import type { Logger } from '../ports/logger.ts';
import type { SalesforcePort } from '../ports/salesforce.ts';
import type { PairStore, QuarantineQueue, QueueStatsReader } from '../ports/store.ts';
import { quarantinedRecords, type Alert } from './alerts.ts';
import type { SyncEngine } from './syncEngine.ts';

export interface WorkLoopOptions {
    /** The connector's name, in alerts. */
    name: string;
    orgId: string;
    store: Pick<QueueStatsReader, 'stats'> & Pick<QuarantineQueue, 'listQuarantined'> & Pick<PairStore, 'findPair'>;
    salesforce: SalesforcePort;
    engine: Pick<SyncEngine, 'processInbox' | 'dispatchOutbox' | 'isSlowed' | 'isPaused'>;
    logger: Logger;
    now: () => number;
    pollIntervalMs?: number;
    /** Between work rounds while the engine is slowed to spare the org's API allocation (default 5 s). */
    slowRoundIntervalMs?: number;
    /** Posted (in Slack's or Teams' format, alerts.ts) when items are quarantined and when the API budget crosses a threshold. */
    alert?: (alert: Alert) => Promise<void>;
    /** A link to a Salesforce record, for alerts (none when not given). */
    recordUrl?: (recordId: string) => string;
    /** Queues the connector's status record when due (app/connectorStatusReporter.ts): each round, before the work. */
    statusReport?: () => Promise<unknown>;
    /** Told how many items of each queue a round claimed (the metrics' loop counter). */
    onRound?: (claimed: { inbox: number; outbox: number }) => void;
}

export class WorkLoop {
    private running = false;
    private loop: Promise<void> | null = null;
    private wake: (() => void) | null = null;
    private lastQuarantined = 0;
    private budgetState: 'normal' | 'slowed' | 'paused' = 'normal';

    constructor(private readonly options: WorkLoopOptions) {}

    /** True once started, until stopped. */
    get isRunning(): boolean {
        return this.running;
    }

    start(): void {
        this.running = true;
        this.loop = this.work();
    }

    /** Wakes the loop now (new inbox items, a replay). */
    kick(): void {
        this.wake?.();
    }

    /** Ends the loop after the round under way. */
    async stop(): Promise<void> {
        this.running = false;
        this.kick();
        await this.loop;
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
                this.options.onRound?.({ inbox, outbox });
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
        const stats = await store.stats(orgId, this.options.now());
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
}
