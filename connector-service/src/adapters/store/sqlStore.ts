/**
 * The store port over SQL, shared by the SQLite and PostgreSQL adapters: one object over the store's sections, each
 * in its own file — queues and claims (sqlQueues.ts), pairs and plans (sqlPairs.ts), the change log and conflicts
 * (sqlChangeLog.ts), leases and the org binding (sqlLeases.ts), backfill jobs (sqlBackfillJobs.ts) — over one
 * driver and its transactions (sqlContext.ts). Dialect differences are few and named in sqlContext.ts.
 */
import type { QueueName, StoreOptions, StorePort } from '../../ports/store.ts';
import { migrations } from './schema.ts';
import { SqlBackfillJobs } from './sqlBackfillJobs.ts';
import { SqlChangeLog } from './sqlChangeLog.ts';
import { SqlContext } from './sqlContext.ts';
import type { SqlDriver } from './sqlDriver.ts';
import { SqlLeases } from './sqlLeases.ts';
import { SqlPairs } from './sqlPairs.ts';
import { SqlQueues } from './sqlQueues.ts';
import { unavailable } from './sqlRows.ts';

export { DEFAULT_CLAIM_TTL_MS, DEFAULT_MAX_ATTEMPTS, unavailable } from './sqlRows.ts';

type Args<K extends keyof StorePort> = StorePort[K] extends (...args: infer A) => unknown ? A : never;

export class SqlStore implements StorePort {
    readonly kind: 'sqlite' | 'postgres';
    private readonly queues: SqlQueues;
    private readonly pairs: SqlPairs;
    private readonly changeLog: SqlChangeLog;
    private readonly leases: SqlLeases;
    private readonly backfillJobs: SqlBackfillJobs;

    private constructor(private readonly sql: SqlContext) {
        this.kind = sql.kind;
        this.queues = new SqlQueues(sql);
        this.changeLog = new SqlChangeLog(sql);
        this.pairs = new SqlPairs(sql, this.queues, this.changeLog);
        this.leases = new SqlLeases(sql);
        this.backfillJobs = new SqlBackfillJobs(sql, this.pairs, this.changeLog);
    }

    /** Creates or upgrades the schema, then returns the store. */
    static async open(driver: SqlDriver, options: StoreOptions = {}): Promise<SqlStore> {
        try {
            const sql = new SqlContext(driver, options);
            await driver.migrate(migrations(driver.dialect), sql.clock.now());
            return new SqlStore(sql);
        } catch (error) {
            await driver.close().catch(() => undefined);
            throw unavailable(driver.dialect, 'could not open the store', error);
        }
    }

    getItem = ((queue: QueueName, orgId: string, id: number) =>
        this.queues.getItem(queue as 'inbox', orgId, id)) as StorePort['getItem'];

    // ---- queues ----
    appendInbox(...args: Args<'appendInbox'>) {
        return this.queues.appendInbox(...args);
    }
    getCheckpoint(...args: Args<'getCheckpoint'>) {
        return this.queues.getCheckpoint(...args);
    }
    claimInbox(...args: Args<'claimInbox'>) {
        return this.queues.claimInbox(...args);
    }
    claimOutbox(...args: Args<'claimOutbox'>) {
        return this.queues.claimOutbox(...args);
    }
    expireClaims(...args: Args<'expireClaims'>) {
        return this.queues.expireClaims(...args);
    }
    complete(...args: Args<'complete'>) {
        return this.queues.complete(...args);
    }
    fail(...args: Args<'fail'>) {
        return this.queues.fail(...args);
    }
    quarantine(...args: Args<'quarantine'>) {
        return this.queues.quarantine(...args);
    }
    listQuarantined(...args: Args<'listQuarantined'>) {
        return this.queues.listQuarantined(...args);
    }
    replay(...args: Args<'replay'>) {
        return this.queues.replay(...args);
    }
    stats(...args: Args<'stats'>) {
        return this.queues.stats(...args);
    }
    purgeDone(...args: Args<'purgeDone'>) {
        return this.queues.purgeDone(...args);
    }

    // ---- pairs ----
    createPair(...args: Args<'createPair'>) {
        return this.pairs.createPair(...args);
    }
    linkPair(...args: Args<'linkPair'>) {
        return this.pairs.linkPair(...args);
    }
    findPair(...args: Args<'findPair'>) {
        return this.pairs.findPair(...args);
    }
    listPairs(...args: Args<'listPairs'>) {
        return this.pairs.listPairs(...args);
    }
    commitPlan(...args: Args<'commitPlan'>) {
        return this.pairs.commitPlan(...args);
    }

    // ---- changeLog ----
    readChangeLog(...args: Args<'readChangeLog'>) {
        return this.changeLog.readChangeLog(...args);
    }
    verifyChangeLog(...args: Args<'verifyChangeLog'>) {
        return this.changeLog.verifyChangeLog(...args);
    }
    listConflicts(...args: Args<'listConflicts'>) {
        return this.changeLog.listConflicts(...args);
    }

    // ---- leases ----
    acquireLease(...args: Args<'acquireLease'>) {
        return this.leases.acquireLease(...args);
    }
    renewLease(...args: Args<'renewLease'>) {
        return this.leases.renewLease(...args);
    }
    releaseLease(...args: Args<'releaseLease'>) {
        return this.leases.releaseLease(...args);
    }
    bindOrg(...args: Args<'bindOrg'>) {
        return this.leases.bindOrg(...args);
    }
    relinkOrg(...args: Args<'relinkOrg'>) {
        return this.leases.relinkOrg(...args);
    }
    boundOrg(...args: Args<'boundOrg'>) {
        return this.leases.boundOrg(...args);
    }

    // ---- backfillJobs ----
    createBackfillJob(...args: Args<'createBackfillJob'>) {
        return this.backfillJobs.createBackfillJob(...args);
    }
    getBackfillJob(...args: Args<'getBackfillJob'>) {
        return this.backfillJobs.getBackfillJob(...args);
    }
    listBackfillJobs(...args: Args<'listBackfillJobs'>) {
        return this.backfillJobs.listBackfillJobs(...args);
    }
    updateBackfillJob(...args: Args<'updateBackfillJob'>) {
        return this.backfillJobs.updateBackfillJob(...args);
    }
    commitBackfillBatch(...args: Args<'commitBackfillBatch'>) {
        return this.backfillJobs.commitBackfillBatch(...args);
    }
    listBackfillWrites(...args: Args<'listBackfillWrites'>) {
        return this.backfillJobs.listBackfillWrites(...args);
    }
    assignBackfillWrites(...args: Args<'assignBackfillWrites'>) {
        return this.backfillJobs.assignBackfillWrites(...args);
    }
    settleBackfillWrites(...args: Args<'settleBackfillWrites'>) {
        return this.backfillJobs.settleBackfillWrites(...args);
    }

    close(): Promise<void> {
        return this.sql.driver.close();
    }
}
