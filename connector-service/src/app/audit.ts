/**
 * The audit use case (sf clm audit, /admin/audit): every linked pair compared field by field under the current
 * rules, both systems read in bulk — the pairs from the store a page at a time, each linked Salesforce object by id
 * (up to 2,000 a call) or, from `bulkThreshold` linked records on, one Bulk API 2.0 query job; the CLM through its
 * change feed from the beginning (500 a page). It reports per object and field how many were compared, agree and
 * differ (the accuracy rate), records missing on either side, and the differences.
 *
 * A repair queues one `audit.repair` inbox item per differing pair with both sides as read: the sync engine plans
 * it like any change (domain/audit.ts planRepair: rules, policies, conflicts) and its writes go out through the
 * outbox. Nothing is written around the pipeline. A run lives in this process; a new run starts from the top.
 */
import { currentContractId } from './currentContract.ts';
import { randomUUID } from 'node:crypto';
import {
    AuditTally,
    compareRule,
    ConnectorError,
    isConnectorError,
    select,
    type AuditDifference,
    type AuditFieldTally,
    type AuditObjectTally,
    type ClmChange,
    type ClmContract,
    type CompiledRule,
    type PlanContext,
    type RuleSet,
    type SalesforceChange
} from '../domain/index.ts';
import type { ClmPort } from '../ports/clm.ts';
import type { SalesforcePort, SalesforceRecord } from '../ports/salesforce.ts';
import type { InboxAppender, InboxInput, LinkedPair, PairStore, SalesforceLinkKind } from '../ports/store.ts';
import { eachContract } from './backfill/clmContracts.ts';
import { bulkQueryRecords, instant, typedRecord } from './backfill/salesforceRead.ts';
import { canonicalValues } from './clmFields.ts';
import { asJson } from './payloads.ts';
import { READ_BY_ID_BATCH } from './reconcile.ts';
import type { Clock } from '../clock.ts';
import type { Log } from '../ports/logger.ts';

/** The Salesforce object each link kind of a pair names. */
const LINKED_OBJECTS: Readonly<Record<SalesforceLinkKind, string>> = {
    opportunity: 'Opportunity',
    contract: 'Contract',
    quote: 'SBQQ__Quote__c'
};
const PAIR_PAGE = 1000;
const INBOX_BATCH = 500;
export const DEFAULT_AUDIT_BULK_THRESHOLD = 2_000;
/** Differences listed in a report (all are repaired; the tallies count all). */
export const DEFAULT_MAX_DIFFERENCES = 10_000;

export const AUDIT_PHASES = ['pairs', 'salesforce', 'clm', 'compare', 'repair', 'done'] as const;
export type AuditPhase = (typeof AUDIT_PHASES)[number];

export interface AuditRun {
    auditId: string;
    state: 'Running' | 'Completed' | 'Failed';
    phase: AuditPhase;
    repair: boolean;
    /** Linked pairs read from the store, and how many of them were compared so far. */
    pairs: number;
    processed: number;
    objects: AuditObjectTally[];
    fields: AuditFieldTally[];
    /** Rules over objects that are no side of a pair (Account, Contact): they sync through their deals. */
    notAudited: { rule: string; object: string }[];
    differences: AuditDifference[];
    /** Differences found beyond those listed. */
    differencesNotListed: number;
    /** Pairs queued for repair (inbox items; already queued ones are not counted twice). */
    repairQueued: number;
    /** How the Salesforce records were read, per object. */
    transport: Record<string, 'rest' | 'bulk'>;
    /** Calls the audit made: Salesforce (the port's counter) and CLM change-feed pages. */
    apiCalls: { salesforce: number; clm: number };
    startedAt: string;
    finishedAt: string | null;
    lastError: { code: string; message: string } | null;
}

export interface AuditOptions {
    orgId: string;
    store: Pick<InboxAppender, 'appendInbox'> & Pick<PairStore, 'listPairs'>;
    salesforce: SalesforcePort;
    clm: ClmPort;
    rules: RuleSet;
    context: PlanContext;
    /** The connector's clock (run start and finish times, repair items). */
    clock: Clock;
    bulkThreshold?: number;
    bulkPollIntervalMs?: number;
    bulkTimeoutMs?: number;
    maxDifferences?: number;
    /** Told when a run completes (the agreement metric) and when repair items were queued (wake the work loop). */
    onCompleted?: (run: AuditRun) => void;
    log?: Log;
}

/** What one pair needs: its linked records and contract, and the rules that compare them. */
interface PairPlan {
    pair: LinkedPair;
    records: { object: string; id: string }[];
    contractId: string | null;
}

export class Audit {
    private readonly runs = new Map<string, AuditRun>();
    private current: Promise<AuditRun> | null = null;
    private latestId: string | null = null;
    private timer: NodeJS.Timeout | null = null;

    constructor(private readonly options: AuditOptions) {}

    get(auditId: string): AuditRun | null {
        return this.runs.get(auditId) ?? null;
    }

    latest(): AuditRun | null {
        return this.latestId ? this.get(this.latestId) : null;
    }

    /** The last run that completed (what the agreement metric shows). */
    lastCompleted(): AuditRun | null {
        return (
            [...this.runs.values()]
                .filter((run) => run.state === 'Completed')
                .sort(byStart)
                .at(-1) ?? null
        );
    }

    /** The running audit, if any. */
    running(): AuditRun | null {
        const latest = this.latest();
        return latest?.state === 'Running' ? latest : null;
    }

    /** Starts a run in the background (one at a time: ADMIN.AUDIT_RUNNING while one runs). */
    start(opts: { repair: boolean }): AuditRun {
        const running = this.running();
        if (running)
            throw new ConnectorError('ADMIN.AUDIT_RUNNING', `Audit ${running.auditId} is running`, {
                auditId: running.auditId
            });
        const run: AuditRun = {
            auditId: `audit-${randomUUID()}`,
            state: 'Running',
            phase: 'pairs',
            repair: opts.repair,
            pairs: 0,
            processed: 0,
            objects: [],
            fields: [],
            notAudited: [],
            differences: [],
            differencesNotListed: 0,
            repairQueued: 0,
            transport: {},
            apiCalls: { salesforce: 0, clm: 0 },
            startedAt: new Date(this.options.clock.now()).toISOString(),
            finishedAt: null,
            lastError: null
        };
        this.runs.set(run.auditId, run);
        this.latestId = run.auditId;
        // Keep the last ten runs.
        for (const old of [...this.runs.values()].sort(byStart).slice(0, -10)) this.runs.delete(old.auditId);
        this.current = this.execute(run);
        return run;
    }

    /** Runs an audit to the end. */
    async run(opts: { repair: boolean }): Promise<AuditRun> {
        this.start(opts);
        return this.idle();
    }

    /** The current run's end (or the latest run when none is running). */
    async idle(): Promise<AuditRun> {
        if (this.current) return this.current;
        const latest = this.latest();
        if (!latest) throw new ConnectorError('ADMIN.NOT_FOUND', 'No audit has run');
        return latest;
    }

    /** A scheduled audit every `everyMs` (skipped while one runs); stop() ends it. */
    schedule(everyMs: number, repair: boolean): void {
        this.timer = setInterval(() => {
            if (this.running()) return;
            this.start({ repair });
        }, everyMs);
        this.timer.unref();
    }

    async stop(): Promise<void> {
        if (this.timer) clearInterval(this.timer);
        this.timer = null;
        await this.current?.catch(() => undefined);
    }

    private async execute(run: AuditRun): Promise<AuditRun> {
        const sfCallsBefore = this.options.salesforce.callCount();
        try {
            await this.audit(run);
            run.state = 'Completed';
            run.phase = 'done';
        } catch (error) {
            run.state = 'Failed';
            run.lastError = {
                code: isConnectorError(error) ? error.code : 'PIPELINE.UNEXPECTED',
                message: error instanceof Error ? error.message : String(error)
            };
            this.options.log?.('error', 'audit failed', { auditId: run.auditId, ...run.lastError });
        } finally {
            run.apiCalls.salesforce = this.options.salesforce.callCount() - sfCallsBefore;
            run.finishedAt = new Date(this.options.clock.now()).toISOString();
        }
        if (run.state === 'Completed') this.options.onCompleted?.(run);
        return run;
    }

    private rulesOf(object: string): CompiledRule[] {
        return this.options.rules.rules.filter((rule) => rule.enabled !== false && rule.sfObject === object);
    }

    private async audit(run: AuditRun): Promise<void> {
        const { orgId, store, rules } = this.options;
        const linkedObjects = new Set(Object.values(LINKED_OBJECTS));
        run.notAudited = rules.rules
            .filter((rule) => rule.enabled !== false && !linkedObjects.has(rule.sfObject))
            .map((rule) => ({ rule: rule.name, object: rule.sfObject }));

        // Pairs, with what each links that some rule compares.
        const plans: PairPlan[] = [];
        const idsOf = new Map<string, string[]>();
        for (let after: string | undefined; ;) {
            const page = await store.listPairs(orgId, { ...(after ? { afterPairId: after } : {}), limit: PAIR_PAGE });
            for (const pair of page) {
                const records: PairPlan['records'] = [];
                for (const [kind, id] of Object.entries(pair.salesforce) as [SalesforceLinkKind, string][]) {
                    const object = LINKED_OBJECTS[kind];
                    if (this.rulesOf(object).length === 0) continue;
                    records.push({ object, id });
                    if (!idsOf.has(object)) idsOf.set(object, []);
                    idsOf.get(object)!.push(id);
                }
                if (records.length > 0) plans.push({ pair, records, contractId: currentContractId(pair) ?? null });
            }
            run.pairs = plans.length;
            if (page.length < PAIR_PAGE) break;
            after = page.at(-1)!.pairId;
        }

        run.phase = 'salesforce';
        const sfRecords = new Map<string, SalesforceRecord>();
        for (const [object, ids] of idsOf) {
            for (const record of await this.readObject(run, object, ids))
                sfRecords.set(key15(String(record.Id)), record);
        }

        run.phase = 'clm';
        const contracts = new Map<string, ClmContract>();
        const countingClm = {
            listChanges: (cursor: string | null, limit: number) => {
                run.apiCalls.clm += 1;
                return this.options.clm.listChanges(cursor, limit);
            }
        } as ClmPort;
        await eachContract(countingClm, (contract) => contracts.set(contract.id, contract));

        run.phase = 'compare';
        const tally = new AuditTally();
        const repairs: InboxInput[] = [];
        const maxDifferences = this.options.maxDifferences ?? DEFAULT_MAX_DIFFERENCES;
        for (const plan of plans) {
            const contract = plan.contractId ? contracts.get(plan.contractId) : undefined;
            const clmValues = contract ? canonicalValues(contract) : {};
            const differing = new Set<string>();
            const observed: SalesforceChange[] = [];
            for (const { object, id } of plan.records) {
                const record = sfRecords.get(key15(id));
                if (!record) tally.missing(object, 'salesforce');
                if (!contract) tally.missing(object, 'clm');
                if (!record || !contract) continue;
                const verdicts = this.rulesOf(object).map((rule) => ({
                    rule,
                    verdict: compareRule(rule, record, clmValues, this.options.context)
                }));
                tally.record(object, verdicts);
                for (const { rule, verdict } of verdicts) {
                    if (verdict.agree) continue;
                    differing.add(rule.name);
                    if (run.differences.length >= maxDifferences) {
                        run.differencesNotListed += 1;
                        continue;
                    }
                    run.differences.push({
                        pairId: plan.pair.pairId,
                        object,
                        recordId: id,
                        contractId: contract.id,
                        rule: rule.name,
                        field: rule.sfField,
                        clmField: rule.clmField,
                        salesforceValue: verdict.salesforceValue,
                        clmValue: verdict.clmValue,
                        ...(verdict.errorCode ? { errorCode: verdict.errorCode } : {})
                    });
                }
                observed.push(this.observedRecord(run, object, record));
            }
            run.processed += 1;
            if (run.repair && differing.size > 0 && contract) {
                repairs.push(this.repairItem(run, plan.pair, [...differing], observed, contract));
            }
        }
        Object.assign(run, tally.result());

        if (run.repair && repairs.length > 0) {
            run.phase = 'repair';
            for (let start = 0; start < repairs.length; start += INBOX_BATCH) {
                const appended = await store.appendInbox(
                    orgId,
                    repairs.slice(start, start + INBOX_BATCH),
                    undefined,
                    this.options.clock.now()
                );
                run.repairQueued += appended.insertedIds.length;
            }
            this.options.log?.('info', 'audit queued repairs', { auditId: run.auditId, pairs: run.repairQueued });
        }
    }

    /** A linked object's records: by id up to the threshold, else one Bulk 2.0 query job over the object. */
    private async readObject(run: AuditRun, object: string, ids: readonly string[]): Promise<SalesforceRecord[]> {
        const salesforce = this.options.salesforce;
        const fields = [...new Set(['SystemModstamp', ...this.rulesOf(object).flatMap((rule) => rule.sourceFields)])];
        if (ids.length < (this.options.bulkThreshold ?? DEFAULT_AUDIT_BULK_THRESHOLD)) {
            run.transport[object] = 'rest';
            const records: SalesforceRecord[] = [];
            for (let start = 0; start < ids.length; start += READ_BY_ID_BATCH)
                records.push(
                    ...(await salesforce.readByIds(object, fields, ids.slice(start, start + READ_BY_ID_BATCH)))
                );
            return records;
        }
        run.transport[object] = 'bulk';
        const jobId = await salesforce.createBulkQuery(select(['Id', ...fields], object));
        const records = await bulkQueryRecords(salesforce, jobId, {
            ...(this.options.bulkPollIntervalMs !== undefined
                ? { pollIntervalMs: this.options.bulkPollIntervalMs }
                : {}),
            ...(this.options.bulkTimeoutMs !== undefined ? { timeoutMs: this.options.bulkTimeoutMs } : {})
        });
        return records.map((record) => typedRecord(object, record));
    }

    private observedRecord(run: AuditRun, object: string, record: SalesforceRecord): SalesforceChange {
        const at = instant(record.SystemModstamp);
        return {
            source: 'salesforce',
            sfObject: object,
            recordId: String(record.Id),
            eventId: `${run.auditId}:${String(record.Id)}@${at}`,
            correlationId: run.auditId,
            version: { at, seq: 0 },
            values: record
        };
    }

    private repairItem(
        run: AuditRun,
        pair: LinkedPair,
        rules: string[],
        salesforce: SalesforceChange[],
        contract: ClmContract
    ): InboxInput {
        const clm: ClmChange = {
            source: 'clm',
            contractId: contract.id,
            eventId: `${run.auditId}:${contract.id}@${contract.version}`,
            correlationId: run.auditId,
            version: { at: contract.updatedAt, seq: Number.parseInt(contract.version, 10) || 0 },
            values: canonicalValues(contract)
        };
        return {
            source: 'audit',
            eventId: `${run.auditId}:${pair.pairId}`,
            orderingKey: pair.pairId,
            objectType: salesforce[0]?.sfObject ?? 'Opportunity',
            payload: asJson({
                kind: 'audit.repair',
                pairId: pair.pairId,
                rules,
                salesforce,
                clm,
                clmVersion: contract.version
            }),
            correlationId: run.auditId
        };
    }
}

const key15 = (id: string) => id.slice(0, 15);
const byStart = (a: AuditRun, b: AuditRun) => a.startedAt.localeCompare(b.startedAt);
