/**
 * Plans one record of a backfill: the Salesforce values (rules Salesforce may write), then the contract's (rules the
 * CLM may write), against the pair's state; a planned write of a value the other side already holds is dropped.
 */
import {
    ConnectorError,
    planChange,
    sameSalesforceValue,
    sameValue,
    withoutAgreedWrites,
    writesToClm,
    writesToSalesforce,
    type PairState,
    type RuleSet,
    type SalesforceValue
} from '../../domain/index.ts';
import type { SalesforceRecord } from '../../ports/salesforce.ts';
import type { BackfillJob, BackfillRecordCommit, ClmRef, OutboxInput } from '../../ports/store.ts';
import { canonicalValues } from '../clmFields.ts';
import { asJson } from '../payloads.ts';
import { key15, LINKABLE, rulesOf, type BackfillRun } from './backfillRun.ts';
import { contractOf, type ContractIndex } from './clmContracts.ts';
import { instant } from './salesforceRead.ts';

type Fields = Record<string, SalesforceValue>;

/** What planning one record gave: linked to a contract or not, failed or not, and what to store (if anything). */
export interface RecordOutcome {
    linked: boolean;
    error: boolean;
    commit?: BackfillRecordCommit;
}

export async function planRecord(
    run: BackfillRun,
    job: BackfillJob,
    record: SalesforceRecord,
    index: ContractIndex
): Promise<RecordOutcome> {
    const recordId = String(record.Id);
    const contract = await contractOf(run, record, index);
    if (!contract) return { linked: false, error: false };
    const { kind, pairPrefix } = LINKABLE[job.object]!;
    const vendorRefs: ClmRef[] = contract.refs
        .filter((ref) => ref.system !== 'salesforce')
        .map((ref) => ({ vendor: ref.system, objectType: ref.objectType, id: ref.id }));
    const store = run.store;
    let pair = await store.findPair(run.orgId, { salesforceId: recordId });
    for (const ref of vendorRefs) pair ??= await store.findPair(run.orgId, { clm: ref });
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
    const rules = rulesOf(run, job.object);
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
        run.options.context
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
        run.options.context
    );
    const newState = clmPlan.newState;
    newState.clmVersion = contract.version;
    const changeLog = [...sfPlan.changeLog, ...clmPlan.changeLog];
    const clmFields = withoutAgreedWrites({
        plan: sfPlan,
        state: newState,
        changeLog,
        side: 'clm',
        rules: run.options.rules,
        agreed: (rule) => sameValue(sfPlan.writes.clm?.fields[rule.clmField], clmValues[rule.clmField])
    });
    const sfFields = withoutAgreedWrites({
        plan: clmPlan,
        state: newState,
        changeLog,
        side: 'salesforce',
        rules: run.options.rules,
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
    for (const error of errors) run.options.log?.('warn', error.message, { code: error.code, pairId, correlationId });
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
                              CLM_Last_Sync__c: new Date(run.now()).toISOString(),
                              CLM_Last_Sync_Result__c: 'Synced'
                          }
                      }
                  ]
                : [],
        correlationId
    };
    return { linked: true, error: errors.length > 0, commit };
}
