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
import {
    ConnectorError,
    DEFAULT_FIELD_CATALOG,
    isConnectorError,
    planChange,
    salesforceField,
    salesforceInstantMs,
    sameSalesforceValue,
    sameValue,
    select,
    where,
    withoutAgreedWrites,
    writesToClm,
    writesToSalesforce,
    type ClmContract,
    type PairState,
    type PlanContext,
    type RuleSet,
    type SalesforceValue,
    type Soql
} from '../domain/index.ts';
import type { ClmPort } from '../ports/clm.ts';
import type { SalesforcePort, SalesforceRecord } from '../ports/salesforce.ts';
import type {
    BackfillJob,
    BackfillRecordCommit,
    BackfillWrite,
    ClmRef,
    OutboxInput,
    SalesforceLinkKind,
    BackfillJobStore,
    LeaseStore,
    PairStore
} from '../ports/store.ts';
import { canonicalValues } from './clmFields.ts';
import { asJson } from './payloads.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { Log } from '../ports/logger.ts';

/** The objects a backfill can link: each is one side of a pair. */
const LINKABLE: Readonly<Record<string, { kind: SalesforceLinkKind; pairPrefix: string }>> = {
    Opportunity: { kind: 'opportunity', pairPrefix: 'opp' },
    Contract: { kind: 'contract', pairPrefix: 'ctr' }
};

export const DEFAULT_BULK_THRESHOLD = 2_000;
const CLM_PAGE = 500;
/** Bounds the CLM listing: 10,000 pages of 500. */
const MAX_CLM_PAGES = 10_000;
/** Bulk ingest rounds per object before the job gives up on rows the org never processed. */
const MAX_WRITE_ROUNDS = 5;
/** One runner per job; the lease is renewed per batch and per Bulk job. */
const LEASE_TTL_MS = 2 * 60_000;
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

interface ContractIndex {
    byId: Map<string, ClmContract>;
    /** Salesforce id (first 15 characters) named in a contract's refs → the contract. */
    bySalesforceId: Map<string, ClmContract>;
}

type Fields = Record<string, SalesforceValue>;

/** What planning one record gave: linked to a contract or not, failed or not, and what to store (if anything). */
interface RecordOutcome {
    linked: boolean;
    error: boolean;
    commit?: BackfillRecordCommit;
}

/** A conflict of one record (its pair moved, or a link is owned elsewhere), not of the job itself. */
function isRecordConflict(error: unknown): error is ConnectorError {
    if (isConnectorError(error, 'STORE.LINK_CONFLICT')) return true;
    return isConnectorError(error, 'STORE.CONCURRENT_UPDATE') && error.details.jobId === undefined;
}

const key15 = (id: string) => id.slice(0, 15);

/** Starts, runs and resumes backfill jobs; one job at a time per instance, in the background. */
export class Backfill {
    private readonly worker: string;
    private readonly now: () => number;
    private queue: Promise<void> = Promise.resolve();
    private stopping = false;
    private readonly active = new Map<string, Promise<BackfillJob>>();

    constructor(private readonly options: BackfillOptions) {
        this.worker = options.worker ?? `${hostname()}:backfill`;
        const clock = options.clock ?? systemClock;
        this.now = () => clock.now();
    }

    private get store(): BackfillStore {
        return this.options.store;
    }
    private get orgId(): string {
        return this.options.orgId;
    }

    /** Objects a backfill accepts: linkable ones some rule maps. */
    objects(): string[] {
        return Object.keys(LINKABLE).filter((object) => this.rulesOf(object).length > 0);
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

    private rulesOf(object: string) {
        return this.options.rules.rules.filter((rule) => rule.enabled !== false && rule.sfObject === object);
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
                    if (job.phase === 'read' || job.phase === 'plan') job = await this.readAndPlan(job, lease);
                    if (this.stopping) return job;
                    if (job.phase === 'write') job = await this.writeAll(job, lease);
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

    // ------------------------------------------------------------------------------------------------- read

    private fieldsOf(object: string): string[] {
        const fields = new Set(['Id', 'SystemModstamp', 'CLM_Contract_Id__c']);
        for (const rule of this.rulesOf(object)) rule.sourceFields.forEach((field) => fields.add(field));
        return [...fields];
    }

    private statement(job: BackfillJob, limit?: number): Soql {
        const since = job.since ? new Date(/T/.test(job.since) ? job.since : `${job.since}T00:00:00Z`) : null;
        return select(this.fieldsOf(job.object), job.object, {
            ...(since ? { where: where.gte('SystemModstamp', since) } : {}),
            ...(limit ? { limit } : {})
        });
    }

    /** The job's records in Id order, from its Bulk query job, a REST query, or a first read that picks one. */
    private async read(job: BackfillJob): Promise<{ job: BackfillJob; records: SalesforceRecord[] }> {
        const salesforce = this.options.salesforce;
        const threshold = this.options.bulkThreshold ?? DEFAULT_BULK_THRESHOLD;
        let records: SalesforceRecord[];
        let current = job;
        if (current.queryJobId) {
            records = await this.bulkResults(current.queryJobId);
        } else if (current.transport === 'rest') {
            records = await salesforce.query(this.statement(current));
        } else {
            // One REST page tells which transport fits: fewer than the threshold is the whole set.
            const probe = await salesforce.query(this.statement(current, threshold));
            if (probe.length < threshold) {
                records = probe;
                current = await this.store.updateBackfillJob(
                    this.orgId,
                    current.jobId,
                    { transport: 'rest', total: probe.length, phase: 'plan' },
                    this.now()
                );
            } else {
                const queryJobId = await salesforce.createBulkQuery(this.statement(current));
                // Stored before waiting: a restart waits for this job rather than starting another.
                current = await this.store.updateBackfillJob(
                    this.orgId,
                    current.jobId,
                    { transport: 'bulk', queryJobId },
                    this.now()
                );
                records = await this.bulkResults(queryJobId);
            }
        }
        const typed = records.map((record) => typedRecord(current.object, record));
        typed.sort((a, b) => (String(a.Id) < String(b.Id) ? -1 : String(a.Id) > String(b.Id) ? 1 : 0));
        if (current.total !== typed.length || current.phase === 'read')
            current = await this.store.updateBackfillJob(
                this.orgId,
                current.jobId,
                { total: typed.length, phase: 'plan' },
                this.now()
            );
        this.options.onProgress?.({
            event: 'read',
            jobId: current.jobId,
            total: typed.length,
            transport: current.transport ?? 'rest',
            queryJobId: current.queryJobId
        });
        return { job: current, records: typed };
    }

    private bulkResults(queryJobId: string): Promise<SalesforceRecord[]> {
        return bulkQueryRecords(this.options.salesforce, queryJobId, this.pollOptions());
    }

    private pollOptions() {
        return {
            ...(this.options.bulkPollIntervalMs !== undefined
                ? { pollIntervalMs: this.options.bulkPollIntervalMs }
                : {}),
            ...(this.options.bulkTimeoutMs !== undefined ? { timeoutMs: this.options.bulkTimeoutMs } : {})
        };
    }

    /** Every contract of the CLM, by id and by the Salesforce records its refs name (the change feed, paged). */
    private async contractIndex(): Promise<ContractIndex> {
        const index: ContractIndex = { byId: new Map(), bySalesforceId: new Map() };
        await eachContract(this.options.clm, (contract) => {
            index.byId.set(contract.id, contract);
            for (const ref of contract.refs)
                if (ref.system === 'salesforce') index.bySalesforceId.set(key15(ref.id), contract);
        });
        return index;
    }

    // ------------------------------------------------------------------------------------------------- plan

    private async readAndPlan(job: BackfillJob, lease: string): Promise<BackfillJob> {
        const read = await this.read(job);
        let current = read.job;
        const todo = current.cursor
            ? read.records.filter((record) => String(record.Id) > current.cursor!)
            : read.records;
        const index = await this.contractIndex();
        const size = this.options.batchSize ?? 500;
        for (let start = 0; start < todo.length && !this.stopping; start += size) {
            current = await this.planBatch(current, todo.slice(start, start + size), index);
            await this.store.renewLease(lease, this.worker, LEASE_TTL_MS, this.now());
            this.options.onProgress?.({
                event: 'batch',
                jobId: current.jobId,
                processed: current.processed,
                total: current.total
            });
        }
        if (this.stopping) return current;
        return this.store.updateBackfillJob(this.orgId, current.jobId, { phase: 'write' }, this.now());
    }

    private async planBatch(job: BackfillJob, records: SalesforceRecord[], index: ContractIndex): Promise<BackfillJob> {
        const outcomes: RecordOutcome[] = [];
        for (const record of records) outcomes.push(await this.planOrFail(job, record, index));
        try {
            return await this.commit(job, records, outcomes);
        } catch (error) {
            // A pair the engine moved meanwhile, or a link owned elsewhere: commit record by record instead.
            if (!isRecordConflict(error)) throw error;
        }
        let current = job;
        for (const record of records) current = await this.commitOne(current, record, index);
        return current;
    }

    private commit(job: BackfillJob, records: SalesforceRecord[], outcomes: RecordOutcome[]): Promise<BackfillJob> {
        return this.store.commitBackfillBatch({
            orgId: this.orgId,
            jobId: job.jobId,
            expectedProcessed: job.processed,
            count: records.length,
            linked: outcomes.filter((outcome) => outcome.linked).length,
            errors: outcomes.filter((outcome) => outcome.error).length,
            cursor: String(records.at(-1)!.Id),
            records: outcomes.flatMap((outcome) => (outcome.commit ? [outcome.commit] : [])),
            now: this.now()
        });
    }

    private async commitOne(job: BackfillJob, record: SalesforceRecord, index: ContractIndex): Promise<BackfillJob> {
        for (let attempt = 0; ; attempt += 1) {
            const outcome = await this.planOrFail(job, record, index);
            try {
                return await this.commit(job, [record], [outcome]);
            } catch (error) {
                if (!isRecordConflict(error)) throw error;
                if (isConnectorError(error, 'STORE.CONCURRENT_UPDATE') && attempt < 3) continue;
                this.options.log?.('warn', 'backfill record not linked', {
                    jobId: job.jobId,
                    recordId: record.Id,
                    code: error.code,
                    reason: error.message
                });
                return this.commit(job, [record], [{ linked: false, error: true }]);
            }
        }
    }

    /** A record that cannot be planned (a value no transform takes, a contract linked elsewhere) fails alone. */
    private async planOrFail(job: BackfillJob, record: SalesforceRecord, index: ContractIndex): Promise<RecordOutcome> {
        try {
            return await this.planRecord(job, record, index);
        } catch (error) {
            if (!isConnectorError(error) || error.code.startsWith('STORE.') || error.details.retryable === true)
                throw error;
            this.options.log?.('warn', 'backfill record failed', {
                jobId: job.jobId,
                recordId: record.Id,
                code: error.code,
                reason: error.message
            });
            return { linked: false, error: true };
        }
    }

    private async contractOf(record: SalesforceRecord, index: ContractIndex): Promise<ClmContract | null> {
        const stamped = typeof record.CLM_Contract_Id__c === 'string' ? record.CLM_Contract_Id__c : null;
        if (stamped) {
            const listed = index.byId.get(stamped);
            if (listed) return listed;
            try {
                return await this.options.clm.getContract(stamped);
            } catch (error) {
                if (isConnectorError(error, 'CLM.NOT_FOUND')) return null;
                throw error;
            }
        }
        return index.bySalesforceId.get(key15(String(record.Id))) ?? null;
    }

    private async planRecord(job: BackfillJob, record: SalesforceRecord, index: ContractIndex): Promise<RecordOutcome> {
        const recordId = String(record.Id);
        const contract = await this.contractOf(record, index);
        if (!contract) return { linked: false, error: false };
        const { kind, pairPrefix } = LINKABLE[job.object]!;
        const vendorRefs: ClmRef[] = contract.refs
            .filter((ref) => ref.system !== 'salesforce')
            .map((ref) => ({ vendor: ref.system, objectType: ref.objectType, id: ref.id }));
        const store = this.store;
        let pair = await store.findPair(this.orgId, { salesforceId: recordId });
        for (const ref of vendorRefs) pair ??= await store.findPair(this.orgId, { clm: ref });
        const linked = pair?.salesforce[kind];
        if (linked && key15(linked) !== key15(recordId))
            throw new ConnectorError(
                'PIPELINE.LINK_CONFLICT',
                `Contract ${contract.id} is linked to ${job.object} ${linked}, not ${recordId}`,
                { field: 'salesforce', recordId, linked }
            );
        const pairId = pair?.pairId ?? `${pairPrefix}:${recordId}`;
        const state: PairState = pair?.state ?? { pairId, fields: {} };
        const correlationId = `${job.jobId}:${recordId}`;
        const rules = this.rulesOf(job.object);
        const ruleSet: RuleSet = { rules, byName: new Map(rules.map((rule) => [rule.name, rule])) };
        const sfVersion = { at: instant(record.SystemModstamp), seq: 0 };
        const clmValues = canonicalValues(contract);

        // Salesforce's values first, for the rules it may write; then the contract's, for the rules the CLM may.
        const sfPlan = planChange(
            {
                source: 'salesforce',
                sfObject: job.object,
                recordId,
                eventId: `backfill:${recordId}@${sfVersion.at}`,
                correlationId,
                version: sfVersion,
                values: record,
                changedFields: rules.filter((rule) => writesToClm(rule.direction)).flatMap((rule) => rule.sourceFields)
            },
            state,
            ruleSet,
            this.options.context
        );
        const clmPlan = planChange(
            {
                source: 'clm',
                contractId: contract.id,
                eventId: `backfill:${contract.id}@${contract.version}`,
                correlationId,
                version: { at: contract.updatedAt, seq: Number.parseInt(contract.version, 10) || 0 },
                values: clmValues,
                changedFields: rules.filter((rule) => writesToSalesforce(rule.direction)).map((rule) => rule.clmField)
            },
            sfPlan.newState,
            ruleSet,
            this.options.context
        );
        const newState = clmPlan.newState;
        newState.clmVersion = contract.version;
        const changeLog = [...sfPlan.changeLog, ...clmPlan.changeLog];
        const clmFields = withoutAgreedWrites({
            plan: sfPlan,
            state: newState,
            changeLog,
            side: 'clm',
            rules: this.options.rules,
            agreed: (rule) => sameValue(sfPlan.writes.clm?.fields[rule.clmField], clmValues[rule.clmField])
        });
        const sfFields = withoutAgreedWrites({
            plan: clmPlan,
            state: newState,
            changeLog,
            side: 'salesforce',
            rules: this.options.rules,
            writesTo: (sfObject) => LINKABLE[sfObject] !== undefined,
            agreed: (rule) =>
                rule.sourceFields.every((field) =>
                    sameSalesforceValue(
                        clmPlan.writes.salesforce.find((write) => write.sfObject === rule.sfObject)?.fields[field],
                        record[field]
                    )
                )
        });
        const conflicts = [...sfPlan.conflicts, ...clmPlan.conflicts];
        const errors = [...sfPlan.errors, ...clmPlan.errors];
        for (const error of errors)
            this.options.log?.('warn', error.message, { code: error.code, pairId, correlationId });
        const hasLinks =
            pair !== null &&
            pair.salesforce[kind] !== undefined &&
            vendorRefs.every((ref) => pair!.clm.some((known) => known.vendor === ref.vendor && known.id === ref.id));
        const quiet = changeLog.every((entry) => entry.outcome === 'stale' || entry.outcome === 'unchanged');
        const nothingToWrite = Object.keys(clmFields).length === 0 && Object.keys(sfFields).length === 0;
        if (hasLinks && quiet && nothingToWrite && conflicts.length === 0 && errors.length === 0)
            return { linked: true, error: false };

        const outbox: OutboxInput[] = [];
        if (Object.keys(clmFields).length > 0)
            outbox.push({
                target: 'clm',
                operation: 'clm.update',
                idempotencyKey: `backfill:${contract.id}@${contract.version}:${recordId}:clm`,
                orderingKey: pairId,
                correlationId,
                payload: asJson({
                    kind: 'clm.update',
                    pairId,
                    contractId: contract.id,
                    fields: clmFields,
                    ifVersion: contract.version
                })
            });
        const commit: BackfillRecordCommit = {
            pairId,
            links: { salesforce: { [kind]: recordId }, clm: vendorRefs },
            expectedVersion: pair ? pair.version : null,
            state: newState,
            changeLog: changeLog.map((entry) => ({ ...entry, pairId })),
            conflicts: conflicts.map((conflict) => ({ ...conflict, pairId })),
            outbox,
            writes:
                Object.keys(sfFields).length > 0
                    ? [
                          {
                              sfObject: job.object,
                              recordId,
                              fields: {
                                  ...(sfFields as Fields),
                                  CLM_Last_Sync__c: new Date(this.now()).toISOString(),
                                  CLM_Last_Sync_Result__c: 'Synced'
                              }
                          }
                      ]
                    : [],
            correlationId
        };
        return { linked: true, error: errors.length > 0, commit };
    }

    // ------------------------------------------------------------------------------------------------ write

    private async writeAll(job: BackfillJob, lease: string): Promise<BackfillJob> {
        let current = job;
        if (current.transport === 'bulk') {
            current = await this.settleSentJobs(current);
            for (let round = 0; round < MAX_WRITE_ROUNDS && !this.stopping; round += 1) {
                const pending = await this.store.listBackfillWrites(this.orgId, current.jobId, {
                    status: 'pending',
                    limit: 1_000_000
                });
                if (pending.length === 0) return current;
                for (const batch of groupWrites(pending, this.options.bulkJobRows ?? 10_000)) {
                    if (this.stopping) return current;
                    current = await this.sendBulk(current, batch);
                    await this.store.renewLease(lease, this.worker, LEASE_TTL_MS, this.now());
                }
            }
            const left = await this.store.listBackfillWrites(this.orgId, current.jobId, {
                status: 'pending',
                limit: 1
            });
            if (left.length > 0)
                throw new ConnectorError('SF.BULK_ROWS_UNPROCESSED', 'Bulk jobs left rows unprocessed', {
                    jobId: current.jobId,
                    retryable: true
                });
            return current;
        }
        for (;;) {
            const pending = await this.store.listBackfillWrites(this.orgId, current.jobId, {
                status: 'pending',
                limit: 1000
            });
            if (pending.length === 0 || this.stopping) return current;
            const results = await this.options.salesforce.write(
                pending.map((write) => ({
                    ref: String(write.id),
                    sfObject: write.sfObject,
                    id: write.recordId,
                    fields: write.fields
                }))
            );
            const byRef = new Map(results.map((result) => [result.ref, result]));
            current = await this.settle(
                current,
                pending.map((write) => {
                    const result = byRef.get(String(write.id));
                    return {
                        write,
                        ok: result?.success === true,
                        error: result?.error ?? new ConnectorError('SF.NO_RESULT', 'no result for the write', {})
                    };
                })
            );
            await this.store.renewLease(lease, this.worker, LEASE_TTL_MS, this.now());
        }
    }

    /** Ingest jobs a previous run assigned writes to: wait for each and settle it, or take back rows never sent. */
    private async settleSentJobs(job: BackfillJob): Promise<BackfillJob> {
        let current = job;
        const sent = await this.store.listBackfillWrites(this.orgId, job.jobId, { status: 'sent', limit: 1_000_000 });
        const byJob = new Map<string, BackfillWrite[]>();
        for (const write of sent) {
            const writes = byJob.get(write.bulkJobId!) ?? [];
            writes.push(write);
            byJob.set(write.bulkJobId!, writes);
        }
        for (const [bulkJobId, writes] of byJob) {
            const info = await this.options.salesforce.bulkJob('ingest', bulkJobId);
            if (info.state === 'Open') {
                // Killed while uploading: the org has processed nothing of it. Abort it and send the rows again.
                await this.options.salesforce.abortBulkJob('ingest', bulkJobId);
                await this.store.assignBackfillWrites(
                    this.orgId,
                    job.jobId,
                    writes.map((write) => write.id),
                    null,
                    this.now()
                );
                continue;
            }
            current = await this.settleBulk(current, bulkJobId, writes);
        }
        return current;
    }

    private async sendBulk(job: BackfillJob, writes: BackfillWrite[]): Promise<BackfillJob> {
        const salesforce = this.options.salesforce;
        const bulkJobId = await salesforce.createBulkIngest(writes[0]!.sfObject, 'update');
        // Assigned before the data goes: a restart finds this job and waits for it instead of sending the rows again.
        await this.store.assignBackfillWrites(
            this.orgId,
            job.jobId,
            writes.map((write) => write.id),
            bulkJobId,
            this.now()
        );
        await salesforce.uploadBulkIngest(
            bulkJobId,
            writes.map((write) => ({ Id: write.recordId, ...write.fields }))
        );
        this.options.onProgress?.({ event: 'bulkSent', jobId: job.jobId, bulkJobId, rows: writes.length });
        return this.settleBulk(job, bulkJobId, writes);
    }

    private async settleBulk(job: BackfillJob, bulkJobId: string, writes: BackfillWrite[]): Promise<BackfillJob> {
        const salesforce = this.options.salesforce;
        await salesforce.waitForBulkJob('ingest', bulkJobId, this.pollOptions());
        const results = await salesforce.bulkIngestResults(bulkJobId);
        const byRecord = new Map(results.map((result) => [key15(result.row.Id ?? result.id ?? ''), result]));
        const settled: { write: BackfillWrite; ok: boolean; error?: ConnectorError }[] = [];
        const unprocessed: number[] = [];
        for (const write of writes) {
            const result = byRecord.get(key15(write.recordId));
            if (!result) unprocessed.push(write.id);
            else settled.push({ write, ok: result.success, ...(result.error ? { error: result.error } : {}) });
        }
        if (unprocessed.length > 0)
            await this.store.assignBackfillWrites(this.orgId, job.jobId, unprocessed, null, this.now());
        return this.settle(job, settled);
    }

    /** Records outcomes; a refused write goes to the outbox as an ordinary Salesforce write and counts as an error. */
    private async settle(
        job: BackfillJob,
        settled: { write: BackfillWrite; ok: boolean; error?: ConnectorError }[]
    ): Promise<BackfillJob> {
        const outbox: OutboxInput[] = settled
            .filter((outcome) => !outcome.ok)
            .map(({ write }) => ({
                target: 'salesforce',
                operation: 'sf.write',
                idempotencyKey: `backfill:${job.jobId}:${write.id}`,
                orderingKey: write.pairId,
                objectType: write.sfObject,
                correlationId: write.correlationId,
                payload: asJson({
                    kind: 'sf.write',
                    sfObject: write.sfObject,
                    id: write.recordId,
                    fields: write.fields
                })
            }));
        for (const outcome of settled.filter((candidate) => !candidate.ok))
            this.options.log?.('warn', 'backfill write refused', {
                jobId: job.jobId,
                recordId: outcome.write.recordId,
                code: outcome.error?.code,
                correlationId: outcome.write.correlationId
            });
        const current = await this.store.settleBackfillWrites({
            orgId: this.orgId,
            jobId: job.jobId,
            outcomes: settled.map((outcome) => ({
                id: outcome.write.id,
                ok: outcome.ok,
                ...(outcome.ok || !outcome.error
                    ? {}
                    : { error: { code: outcome.error.code, message: outcome.error.message.slice(0, 1000) } })
            })),
            outbox,
            now: this.now()
        });
        this.options.onProgress?.({
            event: 'settled',
            jobId: job.jobId,
            written: current.written,
            errors: current.errors
        });
        return current;
    }
}

/** Every contract of the CLM through its change feed from the beginning, a page of 500 at a time (bounded). */
export async function eachContract(clm: ClmPort, visit: (contract: ClmContract) => void): Promise<void> {
    let cursor: string | null = null;
    for (let page = 0; page < MAX_CLM_PAGES; page += 1) {
        const { items, nextCursor }: { items: ClmContract[]; nextCursor: string } = await clm.listChanges(
            cursor,
            CLM_PAGE
        );
        items.forEach(visit);
        if (items.length === 0 || nextCursor === cursor) break;
        cursor = nextCursor;
    }
}

/** Every record of a Bulk query job, once it completed (SF.BULK_JOB_FAILED when it did not). */
export async function bulkQueryRecords(
    salesforce: SalesforcePort,
    queryJobId: string,
    poll: { pollIntervalMs?: number; timeoutMs?: number }
): Promise<SalesforceRecord[]> {
    const finished = await salesforce.waitForBulkJob('query', queryJobId, poll);
    if (finished.state !== 'JobComplete')
        throw new ConnectorError(
            'SF.BULK_JOB_FAILED',
            `Bulk query job ${queryJobId} ended ${finished.state}: ${finished.errorMessage ?? ''}`,
            { jobId: queryJobId, retryable: false }
        );
    return salesforce.bulkQueryResults(queryJobId);
}

/** Writes per object, in jobs of at most `size` rows. */
function groupWrites(writes: BackfillWrite[], size: number): BackfillWrite[][] {
    const byObject = new Map<string, BackfillWrite[]>();
    for (const write of writes) {
        const group = byObject.get(write.sfObject) ?? [];
        group.push(write);
        byObject.set(write.sfObject, group);
    }
    const batches: BackfillWrite[][] = [];
    for (const group of byObject.values())
        for (let start = 0; start < group.length; start += size) batches.push(group.slice(start, start + size));
    return batches;
}

/** Bulk query cells are text: numbers and booleans by the field's type (REST values pass through as they are). */
export function typedRecord(object: string, record: SalesforceRecord): SalesforceRecord {
    const typed: SalesforceRecord = {};
    for (const [field, value] of Object.entries(record)) {
        const type = salesforceField(DEFAULT_FIELD_CATALOG, object, field)?.type;
        if (typeof value !== 'string' || !type) typed[field] = value;
        else if (type === 'currency' || type === 'double' || type === 'percent' || type === 'int')
            typed[field] = Number(value);
        else if (type === 'boolean') typed[field] = value === 'true';
        else typed[field] = value;
    }
    return typed;
}

/** An instant as ISO 8601 UTC (Salesforce writes `+0000`, which not every parser takes). */
export function instant(value: unknown): string {
    const ms = salesforceInstantMs(value);
    if (ms === null)
        throw new ConnectorError('SF.INVALID_RECORD', `SystemModstamp ${String(value)} is not an instant`, {
            field: 'SystemModstamp'
        });
    return new Date(ms).toISOString();
}
