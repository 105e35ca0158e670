/**
 * A small world for the planner's property tests: a Salesforce record and a CLM contract, people editing either
 * side, change events queued per side (in order, as CDC and a vendor's change feed deliver them), duplicate
 * redeliveries, and the connector's writes landing some time after it plans them (so edits can race them).
 */
import fc from 'fast-check';
import {
    loadRuleSet,
    planChange,
    checkClmValue,
    toCanonical,
    toSalesforce,
    writesToClm,
    writesToSalesforce,
    type Change,
    type CompiledRule,
    type ConflictPolicy,
    type Direction,
    type FieldCatalog,
    type FieldRuleInput,
    type Json,
    type PairState,
    type Plan,
    type PlanContext,
    type RuleSet,
    type Side
} from '../../src/domain/index.ts';

/** Salesforce reports who made a change (changeOrigin); the CLM does not. */
export const CONTEXT: PlanContext = { connectorClientId: 'clm-connector', transform: { orgCurrency: 'USD' } };
/** Neither side reports origins: echoes are recognised by value alone. */
export const VALUE_ONLY_CONTEXT: PlanContext = { ...CONTEXT, originReported: { salesforce: false, clm: false } };
export const SF_OBJECT = 'Deal__c';
const writable = { createable: true, updateable: true, nillable: true } as const;

export const TEST_CATALOG: FieldCatalog = {
    [SF_OBJECT]: {
        Title__c: { type: 'string', label: 'Title', length: 80, ...writable },
        Start__c: { type: 'date', label: 'Start', ...writable },
        Term__c: { type: 'double', label: 'Term', precision: 4, scale: 0, ...writable },
        Renews__c: { type: 'boolean', label: 'Renews', ...writable, nillable: false },
        Notes__c: { type: 'textarea', label: 'Notes', length: 4000, ...writable },
        Stage__c: { type: 'string', label: 'Stage', length: 40, ...writable },
        Value__c: { type: 'currency', label: 'Value', precision: 16, scale: 2, ...writable }
    }
};

/** Field pairs the random rule sets are drawn from, each with the values people type on either side. */
export const FIELD_PAIRS = [
    { sfField: 'Title__c', clmField: 'title', values: ['Alpha', 'Beta', 'Gamma', null] },
    { sfField: 'Start__c', clmField: 'effectiveDate', values: ['2026-01-01', '2026-02-28', '2027-12-31', null] },
    { sfField: 'Term__c', clmField: 'termMonths', values: [1, 12, 24, null] },
    { sfField: 'Renews__c', clmField: 'autoRenew', values: [true, false] },
    { sfField: 'Notes__c', clmField: 'custom.notes', values: ['net 30', 'net 60', null] },
    { sfField: 'Stage__c', clmField: 'dealStage', values: ['Open', 'Won', 'Lost'] },
    // The CLM writes amounts its own way ("2500.50"); Salesforce reports them as numbers (2500.5).
    {
        sfField: 'Value__c',
        clmField: 'value',
        values: [{ amount: '100.00', currency: 'USD' }, { amount: '2500.50', currency: 'USD' }, null],
        transform: { kind: 'money' },
        sfForm: (value: Json) => (value === null ? null : Number((value as { amount: string }).amount))
    }
] as const satisfies readonly {
    sfField: string;
    clmField: string;
    values: readonly Json[];
    transform?: FieldRuleInput['transform'];
    /** How a person types the value in Salesforce, when that differs from the CLM's form. */
    sfForm?: (value: Json) => Json;
}[];

function sfForm(pair: (typeof FIELD_PAIRS)[number], value: Json): Json {
    return 'sfForm' in pair ? pair.sfForm(value) : value;
}

const directionArb = fc.constantFrom<Direction>('SalesforceToClm', 'ClmToSalesforce', 'Bidirectional', 'None');
/** True four times in five: most generated rules exist and are enabled, so histories exercise them. */
const mostly = fc.nat(4).map((n) => n > 0);
const policyArb = fc.constantFrom<ConflictPolicy>('SalesforceWins', 'ClmWins', 'NewestWins', 'Manual');

/** A random, valid rule set: each field pair gets a random direction, policy and enabled flag. */
export const ruleSetArb: fc.Arbitrary<FieldRuleInput[]> = fc
    .tuple(...FIELD_PAIRS.map(() => fc.tuple(directionArb, policyArb, mostly, mostly)))
    .map((choices) =>
        choices.flatMap(([direction, policy, enabled, present], index) => {
            const pair = FIELD_PAIRS[index]!;
            if (!present) return [];
            return [
                {
                    name: `Rule_${index}`,
                    sfObject: SF_OBJECT,
                    sfField: pair.sfField,
                    clmField: pair.clmField,
                    direction,
                    conflictPolicy: direction === 'Bidirectional' ? policy : undefined,
                    enabled,
                    ...('transform' in pair ? { transform: pair.transform } : {})
                }
            ];
        })
    );

export function compile(rules: FieldRuleInput[]): RuleSet {
    return loadRuleSet(rules, TEST_CATALOG);
}

export type Step =
    | { kind: 'edit'; side: Side; pair: number; value: number }
    | { kind: 'deliver'; side: Side }
    | { kind: 'redeliver'; pick: number }
    | { kind: 'land'; side: Side };

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
    { depthSize: 'small' },
    fc.record({
        kind: fc.constant('edit' as const),
        side: fc.constantFrom<Side>('salesforce', 'clm'),
        pair: fc.nat(FIELD_PAIRS.length - 1),
        value: fc.nat(3)
    }),
    fc.record({ kind: fc.constant('deliver' as const), side: fc.constantFrom<Side>('salesforce', 'clm') }),
    fc.record({ kind: fc.constant('redeliver' as const), pick: fc.nat(1000) }),
    fc.record({ kind: fc.constant('land' as const), side: fc.constantFrom<Side>('salesforce', 'clm') })
);

interface InFlight {
    side: Side;
    values: Record<string, Json>;
}

/** Runs a world; every plan the connector makes is passed to `onPlan` for the properties to check. */
export class World {
    readonly sf: Record<string, Json> = {};
    readonly clm: Record<string, Json> = {};
    readonly queues: Record<Side, Change[]> = { salesforce: [], clm: [] };
    readonly delivered: Change[] = [];
    readonly inFlight: Record<Side, InFlight[]> = { salesforce: [], clm: [] };
    /** Who edited each field pair last (people, not the connector). */
    readonly lastEditor = new Map<number, Side>();
    state: PairState = { pairId: 'pair-1', fields: {} };
    readonly context: PlanContext;
    private clock = Date.parse('2026-01-01T00:00:00.000Z');
    private events = 0;

    constructor(
        readonly ruleSet: RuleSet,
        private readonly onPlan: (change: Change, before: PairState, plan: Plan) => void = () => {},
        private readonly markOwnOrigin = true
    ) {
        this.context = markOwnOrigin ? CONTEXT : VALUE_ONLY_CONTEXT;
        // Both sides start in agreement.
        for (const pair of FIELD_PAIRS) {
            this.sf[pair.sfField] = sfForm(pair, pair.values[0] as Json);
            this.clm[pair.clmField] = pair.values[0] as Json;
        }
    }

    private tick(): string {
        this.clock += 1000;
        return new Date(this.clock).toISOString();
    }

    private emit(side: Side, values: Record<string, Json>, origin?: string): void {
        const at = this.tick();
        this.events += 1;
        const base = {
            eventId: `${side}-${this.events}`,
            correlationId: `c-${this.events}`,
            version: { at, seq: 0 },
            values,
            origin
        };
        this.queues[side].push(
            side === 'salesforce'
                ? { source: 'salesforce', sfObject: SF_OBJECT, recordId: 'a00000000000001AAA', ...base }
                : { source: 'clm', contractId: 'K-1', ...base }
        );
    }

    run(step: Step): void {
        switch (step.kind) {
            case 'edit': {
                const pair = FIELD_PAIRS[step.pair]!;
                const typed = pair.values[step.value % pair.values.length] as Json;
                const value = step.side === 'salesforce' ? sfForm(pair, typed) : typed;
                const store = step.side === 'salesforce' ? this.sf : this.clm;
                const key = step.side === 'salesforce' ? pair.sfField : pair.clmField;
                if (store[key] === value) return; // no change, no event
                store[key] = value;
                this.lastEditor.set(step.pair, step.side);
                this.emit(step.side, { [key]: value });
                return;
            }
            case 'deliver': {
                const change = this.queues[step.side].shift();
                if (change) this.process(change);
                return;
            }
            case 'redeliver': {
                if (this.delivered.length === 0) return;
                this.process(this.delivered[step.pick % this.delivered.length]!);
                return;
            }
            case 'land': {
                const write = this.inFlight[step.side].shift();
                if (!write) return;
                Object.assign(step.side === 'salesforce' ? this.sf : this.clm, write.values);
                // Salesforce reports our client id in changeOrigin; the CLM does not say who changed a contract.
                this.emit(
                    step.side,
                    write.values,
                    step.side === 'salesforce' && this.markOwnOrigin
                        ? 'com/salesforce/api/rest/62.0;client=clm-connector'
                        : undefined
                );
                return;
            }
        }
    }

    process(change: Change): Plan {
        const before = this.state;
        const plan = planChange(change, before, this.ruleSet, this.context);
        this.onPlan(change, before, plan);
        this.state = plan.newState;
        this.delivered.push(change);
        for (const write of plan.writes.salesforce)
            this.inFlight.salesforce.push({ side: 'salesforce', values: write.fields });
        if (plan.writes.clm) this.inFlight.clm.push({ side: 'clm', values: plan.writes.clm.fields });
        return plan;
    }

    /** Lands every write and delivers every event until nothing moves (bounded). */
    drain(): void {
        for (let round = 0; round < 200; round += 1) {
            const busy =
                this.inFlight.salesforce.length +
                this.inFlight.clm.length +
                this.queues.salesforce.length +
                this.queues.clm.length;
            if (busy === 0) return;
            this.run({ kind: 'land', side: 'salesforce' });
            this.run({ kind: 'land', side: 'clm' });
            this.run({ kind: 'deliver', side: 'salesforce' });
            this.run({ kind: 'deliver', side: 'clm' });
        }
        throw new Error('the world did not settle within 200 rounds');
    }

    canonicalOf(side: Side, rule: CompiledRule): Json {
        return side === 'salesforce'
            ? toCanonical(rule.transform, rule.target, this.sf, CONTEXT.transform)
            : checkClmValue(rule.target.clmKind, rule.clmField, this.clm[rule.clmField] ?? null);
    }
}

/** Every field a plan writes must be one its rule lets that side receive. */
export function writesRespectDirection(plan: Plan, ruleSet: RuleSet): string[] {
    const problems: string[] = [];
    for (const write of plan.writes.salesforce) {
        for (const field of Object.keys(write.fields)) {
            const rule = ruleSet.rules.find((r) => r.sfObject === write.sfObject && r.sourceFields.includes(field));
            if (!rule || !writesToSalesforce(rule.direction))
                problems.push(
                    `wrote ${write.sfObject}.${field} to Salesforce against ${rule?.name}:${rule?.direction}`
                );
        }
    }
    for (const field of Object.keys(plan.writes.clm?.fields ?? {})) {
        const rule = ruleSet.rules.find((r) => r.clmField === field);
        if (!rule || !writesToClm(rule.direction))
            problems.push(`wrote ${field} to the CLM against ${rule?.name}:${rule?.direction}`);
    }
    return problems;
}

export function writeCount(plan: Plan): number {
    return plan.writes.salesforce.length + (plan.writes.clm ? 1 : 0);
}

/** The echo a side sends back after a plan's write lands there. */
export function echoOf(plan: Plan, side: Side, at: string, withOrigin: boolean): Change | null {
    if (side === 'salesforce') {
        const write = plan.writes.salesforce[0];
        if (!write) return null;
        return {
            source: 'salesforce',
            sfObject: write.sfObject,
            recordId: 'a00000000000001AAA',
            eventId: `echo-${at}`,
            correlationId: 'echo',
            version: { at, seq: 0 },
            origin: withOrigin ? 'com/salesforce/api/rest/62.0;client=clm-connector' : undefined,
            values: write.fields
        };
    }
    if (!plan.writes.clm) return null;
    return {
        source: 'clm',
        contractId: 'K-1',
        eventId: `echo-${at}`,
        correlationId: 'echo',
        version: { at, seq: 0 },
        values: plan.writes.clm.fields
    };
}

export { toSalesforce };

/** Histories long enough for edits to race the connector's writes. */
export const historyArb = fc.array(stepArb, { minLength: 10, maxLength: 80, size: 'max' });
