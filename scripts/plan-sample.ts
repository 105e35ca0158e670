/**
 * `npm run plan:sample`: the domain on its own — the default field rules loaded and validated, and a short, real
 * history planned: a CLM lifecycle change, its echo, a duplicate webhook, a rep's edits, a field Salesforce does not
 * own, and a conflict on a field both sides edit. It prints every write, echo and conflict the planner found.
 */
import {
    DEFAULT_RULES,
    emptyPairState,
    loadRuleSet,
    planChange,
    resolveConflict,
    type Change,
    type Plan,
    type PlanContext
} from '../connector-service/src/domain/index.ts';

const ruleSet = loadRuleSet(DEFAULT_RULES);
const context: PlanContext = { connectorClientId: 'clm-connector', transform: { orgCurrency: 'USD' } };
const version = (second: number) => ({ at: new Date(Date.UTC(2026, 10, 23, 9, 0, second)).toISOString(), seq: 0 });
const ORIGIN = 'com/salesforce/api/rest/62.0;client=clm-connector';

const history: { say: string; change: Change }[] = [
    {
        say: 'Ironclad moves the contract to signature (webhook → fetch)',
        change: {
            source: 'clm',
            contractId: 'IC-WF-1042',
            eventId: 'wh-1',
            correlationId: 'corr-1',
            version: version(1),
            values: {
                'status.lifecycle': 'OutForSignature',
                'status.signature': 'Sent',
                effectiveDate: '2027-01-01',
                expirationDate: '2027-12-31',
                termMonths: 12,
                value: { amount: '120000.00', currency: 'USD' },
                autoRenew: true,
                renewalTermMonths: 12,
                noticeDeadline: '2027-10-02'
            }
        }
    },
    {
        say: 'Salesforce reports our own write back through CDC (changeOrigin names the connector)',
        change: {
            source: 'salesforce',
            sfObject: 'Opportunity',
            recordId: '006000000000042AAA',
            eventId: 'cdc-1',
            correlationId: 'corr-2',
            version: version(2),
            origin: ORIGIN,
            values: { CLM_Lifecycle__c: 'OutForSignature', CLM_Signature_Status__c: 'Sent' }
        }
    },
    {
        say: '…and the Contract write too',
        change: {
            source: 'salesforce',
            sfObject: 'Contract',
            recordId: '800000000000042AAA',
            eventId: 'cdc-1b',
            correlationId: 'corr-2',
            version: version(2),
            origin: ORIGIN,
            values: {
                CLM_Lifecycle__c: 'OutForSignature',
                CLM_Signature_Status__c: 'Sent',
                StartDate: '2027-01-01',
                ContractTerm: 12,
                CLM_Expiration_Date__c: '2027-12-31',
                CLM_Contract_Value__c: 120000,
                CLM_Currency__c: 'USD',
                CLM_Auto_Renew__c: true,
                CLM_Renewal_Term_Months__c: 12,
                CLM_Notice_Deadline__c: '2027-10-02'
            }
        }
    },
    {
        say: 'The same webhook is delivered again',
        change: {
            source: 'clm',
            contractId: 'IC-WF-1042',
            eventId: 'wh-1',
            correlationId: 'corr-1',
            version: version(1),
            values: { 'status.lifecycle': 'OutForSignature', 'status.signature': 'Sent' }
        }
    },
    {
        say: 'A rep moves the stage and renames the deal',
        change: {
            source: 'salesforce',
            sfObject: 'Opportunity',
            recordId: '006000000000042AAA',
            eventId: 'cdc-2',
            correlationId: 'corr-3',
            version: version(3),
            values: { StageName: 'Negotiation/Review', Name: 'Acme — Platform renewal 2027' }
        }
    },
    {
        say: 'A rep edits the contract value in Salesforce (the CLM owns it)',
        change: {
            source: 'salesforce',
            sfObject: 'Contract',
            recordId: '800000000000042AAA',
            eventId: 'cdc-3',
            correlationId: 'corr-4',
            version: version(4),
            values: { CLM_Contract_Value__c: 99000, CLM_Currency__c: 'USD' }
        }
    },
    {
        say: 'Legal edits special terms in Salesforce',
        change: {
            source: 'salesforce',
            sfObject: 'Contract',
            recordId: '800000000000042AAA',
            eventId: 'cdc-4',
            correlationId: 'corr-5',
            version: version(5),
            values: { SpecialTerms: 'Net 30; price cap 5%' }
        }
    },
    {
        say: 'Meanwhile the counterparty edits special terms in the CLM',
        change: {
            source: 'clm',
            contractId: 'IC-WF-1042',
            eventId: 'wh-2',
            correlationId: 'corr-6',
            version: version(6),
            values: { 'custom.specialTerms': 'Net 45; price cap 5%' }
        }
    }
];

function describePlan(plan: Plan): string[] {
    const lines: string[] = [];
    for (const write of plan.writes.salesforce)
        lines.push(`  write → Salesforce ${write.sfObject}: ${JSON.stringify(write.fields)}`);
    if (plan.writes.clm) lines.push(`  write → CLM: ${JSON.stringify(plan.writes.clm.fields)}`);
    for (const entry of plan.changeLog.filter((e) => !['applied'].includes(e.outcome))) {
        lines.push(
            `  ${entry.outcome.padEnd(9)} ${entry.rule}${entry.value === undefined ? '' : ` = ${JSON.stringify(entry.value)}`}`
        );
    }
    for (const conflict of plan.conflicts) {
        lines.push(
            `  CONFLICT ${conflict.rule}: Salesforce ${JSON.stringify(conflict.salesforceValue)} vs CLM ${JSON.stringify(conflict.clmValue)} → queued for review`
        );
    }
    for (const error of plan.errors) lines.push(`  error    [${error.code}] ${error.message}`);
    if (lines.length === 0) lines.push('  (nothing to do)');
    return lines;
}

console.log(`CLM connector — ${ruleSet.rules.length} default field rules loaded and validated:`);
for (const rule of ruleSet.rules) {
    console.log(
        `  ${rule.name.padEnd(26)} ${`${rule.sfObject}.${rule.sfField}`.padEnd(36)} ${rule.direction.padEnd(16)} ${rule.clmField}${rule.conflictPolicy ? ` (${rule.conflictPolicy})` : ''}`
    );
}
console.log('');

let state = emptyPairState('pair-acme-2027');
const totals = { writes: 0, echoes: 0, duplicates: 0, notOwned: 0, conflicts: 0 };
for (const [index, step] of history.entries()) {
    const plan = planChange(step.change, state, ruleSet, context);
    state = plan.newState;
    totals.writes += plan.writes.salesforce.length + (plan.writes.clm ? 1 : 0);
    totals.echoes += plan.changeLog.filter((e) => e.outcome === 'echo').length;
    totals.duplicates += plan.changeLog.filter((e) => e.outcome === 'stale').length;
    totals.notOwned += plan.changeLog.filter((e) => e.outcome === 'notOwned').length;
    totals.conflicts += plan.conflicts.length;
    console.log(`${index + 1}. ${step.say}`);
    describePlan(plan).forEach((line) => console.log(line));
}

const resolution = resolveConflict(
    state,
    ruleSet,
    'Contract_Special_Terms',
    { take: 'clm' },
    { eventId: 'res-1', correlationId: 'corr-7', at: version(7).at },
    context
);
console.log(`${history.length + 1}. Legal accepts the CLM's special terms in the conflict queue`);
describePlan(resolution).forEach((line) => console.log(line));
totals.writes += resolution.writes.salesforce.length + (resolution.writes.clm ? 1 : 0);

console.log('');
console.log(
    `Planned ${totals.writes} writes; recognised ${totals.echoes} echoes and ${totals.duplicates} duplicate deliveries; recorded ${totals.notOwned} changes to fields the source does not own; queued ${totals.conflicts} conflict.`
);
