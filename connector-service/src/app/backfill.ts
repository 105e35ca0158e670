/**
 * Backfill: links the existing records of an object (Opportunity, Contract) to their CLM contracts and syncs them
 * through the same planner as live changes, so a record already in agreement writes nothing — and a second run
 * writes nothing at all.
 *
 * A job goes read → plan → write, each phase resumable after a kill:
 * - read: up to `bulkThreshold` records come from one REST query; more from a Bulk API 2.0 query job whose id is
 *   stored before it is waited on, so a restart reads the same job's results instead of starting another.
 * - plan: records in Id order, `batchSize` at a time. Per record the Salesforce values (rules Salesforce may write)
 *   and then the contract's values (rules the CLM may write) are planned against the pair's state; a planned write
 *   of a value the other side already holds is dropped (both sides agree: the rule is recorded as synced). Each
 *   batch commits in one store transaction — pairs and links, states, change log, conflicts, CLM writes (outbox:
 *   the engine sends them with the contract's version as precondition), the Salesforce writes to send, and the
 *   job's cursor (the last Id done). A restart goes on after the cursor.
 * - write: the planned Salesforce writes go out through Bulk 2.0 ingest jobs (update by Id) when the job read by
 *   Bulk, through Composite otherwise. Writes are assigned to an ingest job before it gets its data; a restart
 *   waits for that job and settles its results instead of sending the rows again. A row the org refuses becomes an
 *   ordinary outbox write (retried, then quarantined into the error queue) and counts as an error.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ConnectorError, isConnectorError, type PlanContext, type RuleSet } from '../domain/index.ts';
import type { ClmPort } from '../ports/clm.ts';
import type { SalesforcePort } from '../ports/salesforce.ts';
import type { BackfillJob, BackfillJobStore, LeaseStore, PairStore } from '../ports/store.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { Log } from '../ports/logger.ts';
import { LEASE_TTL_MS, LINKABLE, rulesOf, type BackfillRun } from './backfill/backfillRun.ts';
import { readAndPlan } from './backfill/planBatches.ts';
import { writeAll } from './backfill/salesforceWrites.ts';

export { DEFAULT_BULK_THRESHOLD } from './backfill/salesforceRead.ts';

/** Runs of a job after failures time may fix, before it is marked Failed. */
const MAX_ATTEMPTS = 3;

export type BackfillProgress =
    | { event: 'read'; jobId: string; total: number; transport: 'bulk' | 'rest'; queryJobId: string | null }
    | { event: 'batch'; jobId: string; processed: number; total: number | null }
    | { event: 'bulkSent'; jobId: string; bulkJobId: string; rows: number }
    | { event: 'settled'; jobId: string; written: number; errors: number }
    | { event: 'finished'; jobId: string; state: BackfillJob['state'] };

export type BackfillStore = BackfillJobStore & Pick<PairStore, 'findPair'> & LeaseStore;

export interface BackfillOptions {
    orgId: string;
    /** The store roles a backfill uses: its jobs, the pairs it links, and a lease per job. */
    store: BackfillStore;
    salesforce: SalesforcePort;
    clm: ClmPort;
    rules: RuleSet;
    context: PlanContext;
    /** Bulk API 2.0 when an object has at least this many records to read (default 2,000); REST below. */
    bulkThreshold?: number;
    /** Records per store transaction (default 500). */
    batchSize?: number;
    /** Rows per Bulk ingest job (default 10,000). */
    bulkJobRows?: number;
    /** Wait before trying a job again after a failure time may fix (default 5 s, then 10 s). */
    retryDelayMs?: number;
    /** Bulk job polling (default every 2 s, give up after 30 minutes: the job stays resumable). */
    bulkPollIntervalMs?: number;
    bulkTimeoutMs?: number;
    /**
     * Holds the job's lease (default `<host>:backfill`: a process restarted on the same host takes its job back at
     * once; another instance waits for the lease to lapse).
     */
    worker?: string;
    /** The connector's clock (the one the store, the engine and the leases use). */
    clock?: Clock;
    log?: Log;
    onProgress?: (progress: BackfillProgress) => void;
}

/** Starts, runs and resumes backfill jobs; one job at a time per instance, in the background. */
export class Backfill {
    private readonly worker: string;
    private readonly now: () => number;
    private queue: Promise<void> = Promise.resolve();
    private stopping = false;
    private readonly active = new Map<string, Promise<BackfillJob>>();
    /** What the read, plan and write phases see of this instance. */
    private readonly phases: BackfillRun;

    constructor(private readonly options: BackfillOptions) {
        this.worker = options.worker ?? `${hostname()}:backfill`;
        const clock = options.clock ?? systemClock;
        this.now = () => clock.now();
        this.phases = {
            options,
            store: options.store,
            orgId: options.orgId,
            worker: this.worker,
            now: this.now,
            stopping: () => this.stopping
        };
    }

    private get store(): BackfillStore {
        return this.options.store;
    }
    private get orgId(): string {
        return this.options.orgId;
    }

    /** Objects a backfill accepts: linkable ones some rule maps. */
    objects(): string[] {
        return Object.keys(LINKABLE).filter((object) => rulesOf(this.phases, object).length > 0);
    }

    /**
     * Creates a job and queues it. ADMIN.UNKNOWN_OBJECT for an object no rule maps; ADMIN.UNSUPPORTED_OBJECT for
     * one that is mapped but is not a side of a pair (Account, Contact: they sync through their deals).
     */
    async start(object: string, since: string | null = null): Promise<BackfillJob> {
        const mapped = this.options.rules.rules.some((rule) => rule.sfObject === object);
        if (!mapped)
            throw new ConnectorError('ADMIN.UNKNOWN_OBJECT', `No rule maps ${object}; mapped: ${this.mapped()}`, {
                field: 'object',
                object
            });
        if (!LINKABLE[object])
            throw new ConnectorError(
                'ADMIN.UNSUPPORTED_OBJECT',
                `${object} records sync through the deals they belong to; backfill one of ${this.objects().join(', ')}`,
                { field: 'object', object }
            );
        const job = await this.store.createBackfillJob(
            this.orgId,
            { jobId: `bf-${randomUUID()}`, object, since },
            this.now()
        );
        this.schedule(job.jobId);
        return job;
    }

    get(jobId: string): Promise<BackfillJob | null> {
        return this.store.getBackfillJob(this.orgId, jobId);
    }

    /** Queues the jobs a previous process left Queued or Running (call at start). */
    async resumeUnfinished(): Promise<string[]> {
        const jobs = await this.store.listBackfillJobs(this.orgId, { unfinished: true });
        const ids = jobs.reverse().map((job) => job.jobId);
        ids.forEach((jobId) => this.schedule(jobId));
        return ids;
    }

    /** Resolves when the queued jobs have run (or stopped). */
    idle(): Promise<void> {
        return this.queue;
    }

    /** Stops after the current batch; the job stays Running and a later process resumes it. */
    async stop(): Promise<void> {
        this.stopping = true;
        await this.queue;
    }

    private schedule(jobId: string): void {
        this.queue = this.queue
            .then(() => this.run(jobId))
            .then(
                () => undefined,
                (error: unknown) =>
                    this.options.log?.('error', 'backfill stopped', {
                        jobId,
                        code: isConnectorError(error) ? error.code : 'PIPELINE.UNEXPECTED'
                    })
            );
    }

    private mapped(): string {
        return [...new Set(this.options.rules.rules.map((rule) => rule.sfObject))].join(', ');
    }

    /**
     * Runs a job from wherever it stands to the end; returns the job as it ends (or as left when stopping). A job
     * already running in this instance is not started twice: the caller gets that run's outcome.
     */
    run(jobId: string): Promise<BackfillJob> {
        const running = this.active.get(jobId);
        if (running) return running;
        const run = this.runOnce(jobId).finally(() => this.active.delete(jobId));
        this.active.set(jobId, run);
        return run;
    }

    private async runOnce(jobId: string): Promise<BackfillJob> {
        let job = await this.get(jobId);
        if (!job) throw new ConnectorError('ADMIN.NOT_FOUND', `No backfill job ${jobId}`, { jobId });
        if (job.state === 'Completed' || job.state === 'Failed') return job;
        const lease = `backfill:${this.orgId}:${jobId}`;
        const held = await this.store.acquireLease(lease, this.worker, LEASE_TTL_MS, this.now());
        if (!held.acquired) return job; // another instance runs it
        try {
            // Bounded: a failure time may fix (a timeout, the network) is tried again from where the job stands.
            for (let attempt = 1; ; attempt += 1) {
                try {
                    job = await this.store.updateBackfillJob(this.orgId, jobId, { state: 'Running' }, this.now());
                    if (job.phase === 'read' || job.phase === 'plan') job = await readAndPlan(this.phases, job, lease);
                    if (this.stopping) return job;
                    if (job.phase === 'write') job = await writeAll(this.phases, job, lease);
                    if (this.stopping) return job;
                    job = await this.store.updateBackfillJob(
                        this.orgId,
                        jobId,
                        { state: 'Completed', phase: 'done', finishedAt: this.now() },
                        this.now()
                    );
                    break;
                } catch (error) {
                    const failure = isConnectorError(error)
                        ? error
                        : new ConnectorError(
                              'PIPELINE.UNEXPECTED',
                              error instanceof Error ? error.message : String(error)
                          );
                    const lastError = { code: failure.code, message: failure.message.slice(0, 1000) };
                    const retryable = failure.details.retryable === true || failure.code === 'STORE.UNAVAILABLE';
                    if (retryable && attempt < MAX_ATTEMPTS && !this.stopping) {
                        this.options.log?.('warn', 'backfill will try again', { jobId, attempt, ...lastError });
                        await this.store.updateBackfillJob(this.orgId, jobId, { lastError }, this.now());
                        await new Promise((resolve) =>
                            setTimeout(resolve, (this.options.retryDelayMs ?? 5000) * attempt)
                        );
                        continue;
                    }
                    this.options.log?.('error', 'backfill failed', { jobId, ...lastError });
                    job = await this.store.updateBackfillJob(
                        this.orgId,
                        jobId,
                        { state: 'Failed', lastError, finishedAt: this.now() },
                        this.now()
                    );
                    break;
                }
            }
        } finally {
            await this.store.releaseLease(lease, this.worker).catch(() => false);
        }
        this.options.onProgress?.({ event: 'finished', jobId, state: job.state });
        return job;
    }
}
