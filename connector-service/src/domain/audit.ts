/**
 * The field-level audit (sf clm audit): does each linked pair agree, field by field, under the current rules? Pure:
 * the records of both sides come in, a tally per object and field and the list of differences come out. A repair
 * of the differences is planned like any change (planRepair): what each side reports goes through the planner, and
 * what still differs then is decided by the rule's direction and conflict policy (planReassert).
 */
import { isConnectorError } from './errors.ts';
import {
    planChange,
    planReassert,
    type Change,
    type ClmChange,
    type Plan,
    type PlanContext,
    type SalesforceChange
} from './planner.ts';
import { writesToSalesforce, type CompiledRule, type RuleSet } from './rules.ts';
import { compareVersions, sameValue } from './syncState.ts';
import { checkClmValue, toCanonical, toSalesforce, type Json } from './transforms.ts';

export type FieldVerdict =
    { agree: true } | { agree: false; salesforceValue: Json; clmValue: Json; errorCode?: string };

/**
 * One rule's values compared as the side the rule writes to would hold them: the CLM's value as Salesforce stores
 * it (its scale, its picklist) for a rule that writes to Salesforce, Salesforce's value as the CLM takes it
 * otherwise. A value that cannot be read or converted is a difference (with the transform's error code).
 */
export function compareRule(
    rule: CompiledRule,
    record: Readonly<Record<string, unknown>>,
    clmValues: Readonly<Record<string, Json>>,
    context: PlanContext
): FieldVerdict {
    const raw = {
        salesforce: (): Json => toCanonical(rule.transform, rule.target, record, context.transform),
        clm: (): Json => checkClmValue(rule.target.clmKind, rule.clmField, clmValues[rule.clmField] ?? null)
    };
    let salesforceValue: Json = null;
    let clmValue: Json = null;
    try {
        salesforceValue = raw.salesforce();
        clmValue = raw.clm();
        const agree = writesToSalesforce(rule.direction)
            ? sameValue(
                  salesforceValue,
                  toCanonical(
                      rule.transform,
                      rule.target,
                      toSalesforce(rule.transform, rule.target, clmValue, context.transform),
                      context.transform
                  )
              )
            : sameValue(checkClmValue(rule.target.clmKind, rule.clmField, salesforceValue), clmValue);
        return agree ? { agree: true } : { agree: false, salesforceValue, clmValue };
    } catch (error) {
        return {
            agree: false,
            salesforceValue,
            clmValue,
            errorCode: isConnectorError(error) ? error.code : 'TRANSFORM.FAILED'
        };
    }
}

export interface AuditFieldTally {
    object: string;
    field: string;
    rule: string;
    clmField: string;
    compared: number;
    agreeing: number;
    differing: number;
    /** agreeing / compared (1 when nothing was compared). */
    accuracy: number;
}

export interface AuditObjectTally {
    object: string;
    /** Linked records found on both sides and compared. */
    compared: number;
    /** Of those, records whose every field agrees. */
    agreeing: number;
    differing: number;
    /** Linked records the org no longer has, and linked contracts the CLM no longer has. */
    missingInSalesforce: number;
    missingInClm: number;
    accuracy: number;
}

export interface AuditDifference {
    pairId: string;
    object: string;
    recordId: string;
    contractId: string;
    rule: string;
    field: string;
    clmField: string;
    salesforceValue: Json;
    clmValue: Json;
    errorCode?: string;
}

/** Counts as the audit goes, pair by pair. */
export class AuditTally {
    private readonly fields = new Map<string, AuditFieldTally>();
    private readonly objects = new Map<string, AuditObjectTally>();

    private object(object: string): AuditObjectTally {
        let tally = this.objects.get(object);
        if (!tally) {
            tally = {
                object,
                compared: 0,
                agreeing: 0,
                differing: 0,
                missingInSalesforce: 0,
                missingInClm: 0,
                accuracy: 1
            };
            this.objects.set(object, tally);
        }
        return tally;
    }

    missing(object: string, side: 'salesforce' | 'clm'): void {
        this.object(object)[side === 'salesforce' ? 'missingInSalesforce' : 'missingInClm'] += 1;
    }

    /** One record's verdicts, rule by rule. */
    record(object: string, verdicts: readonly { rule: CompiledRule; verdict: FieldVerdict }[]): void {
        const tally = this.object(object);
        tally.compared += 1;
        let differs = false;
        for (const { rule, verdict } of verdicts) {
            let field = this.fields.get(rule.name);
            if (!field) {
                field = {
                    object,
                    field: rule.sfField,
                    rule: rule.name,
                    clmField: rule.clmField,
                    compared: 0,
                    agreeing: 0,
                    differing: 0,
                    accuracy: 1
                };
                this.fields.set(rule.name, field);
            }
            field.compared += 1;
            if (verdict.agree) field.agreeing += 1;
            else {
                field.differing += 1;
                differs = true;
            }
        }
        if (differs) tally.differing += 1;
        else tally.agreeing += 1;
    }

    /** The tallies with their accuracy rates, objects and fields in name order. */
    result(): { objects: AuditObjectTally[]; fields: AuditFieldTally[] } {
        const rate = (agreeing: number, compared: number) => (compared === 0 ? 1 : agreeing / compared);
        const byName =
            <T extends { object: string }>(key: (item: T) => string) =>
            (a: T, b: T) =>
                a.object.localeCompare(b.object) || key(a).localeCompare(key(b));
        return {
            objects: [...this.objects.values()]
                .map((tally) => ({ ...tally, accuracy: rate(tally.agreeing, tally.compared) }))
                .sort(byName(() => '')),
            fields: [...this.fields.values()]
                .map((tally) => ({ ...tally, accuracy: rate(tally.agreeing, tally.compared) }))
                .sort(byName((tally) => tally.field))
        };
    }
}

export interface RepairInput {
    /** The differing rules of the pair. */
    rules: readonly string[];
    /** Each linked Salesforce record as the audit read it, as a change carrying the rules' source fields. */
    salesforce: readonly SalesforceChange[];
    /** The contract as the audit read it. */
    clm: ClmChange | null;
    eventId: string;
    correlationId: string;
    /** When the repair is planned (ISO), for the agreed value's provenance. */
    at: string;
}

/**
 * A repair of one pair's differences through the planner: what each side reported (its newer changes apply as any
 * change would, by direction and policy), then what still differs decided by the rules (planReassert). One plan.
 */
export function planRepair(input: RepairInput, state: Plan['newState'], ruleSet: RuleSet, context: PlanContext): Plan {
    const rules = input.rules
        .map((name) => ruleSet.byName.get(name))
        .filter((rule): rule is CompiledRule => rule !== undefined);
    const plans: Plan[] = [];
    let current = state;
    // What each side reported, oldest first (as the changes happened).
    const changes: Change[] = [...input.salesforce, ...(input.clm ? [input.clm] : [])].sort((a, b) =>
        compareVersions(a.version, b.version)
    );
    for (const change of changes) {
        const changedFields = rules
            .filter((rule) => change.source === 'clm' || rule.sfObject === change.sfObject)
            .flatMap((rule) => (change.source === 'clm' ? [rule.clmField] : rule.sourceFields));
        if (changedFields.length === 0) continue;
        const plan = planChange({ ...change, changedFields }, current, ruleSet, context);
        plans.push(plan);
        current = plan.newState;
    }
    const decided = new Set(
        plans.flatMap((plan) => [
            ...plan.writes.salesforce.flatMap((write) => write.rules),
            ...(plan.writes.clm?.rules ?? []),
            ...plan.conflicts.map((conflict) => conflict.rule)
        ])
    );
    const open = rules.filter((rule) => !decided.has(rule.name)).map((rule) => rule.name);
    plans.push(
        planReassert(
            current,
            ruleSet,
            open,
            { eventId: `${input.eventId}:reassert`, correlationId: input.correlationId, at: input.at },
            context
        )
    );
    return mergePlans(plans);
}

/** Plans applied one after another, as one: writes merged per object, the last state. */
function mergePlans(plans: readonly Plan[]): Plan {
    const salesforce = new Map<string, Plan['writes']['salesforce'][number]>();
    let clm: Plan['writes']['clm'] = null;
    for (const plan of plans) {
        for (const write of plan.writes.salesforce) {
            const merged = salesforce.get(write.sfObject) ?? { sfObject: write.sfObject, fields: {}, rules: [] };
            Object.assign(merged.fields, write.fields);
            merged.rules.push(...write.rules);
            salesforce.set(write.sfObject, merged);
        }
        if (plan.writes.clm) {
            clm ??= { fields: {}, rules: [] };
            Object.assign(clm.fields, plan.writes.clm.fields);
            clm.rules.push(...plan.writes.clm.rules);
        }
    }
    return {
        writes: { salesforce: [...salesforce.values()], clm },
        newState: plans.at(-1)!.newState,
        changeLog: plans.flatMap((plan) => plan.changeLog),
        conflicts: plans.flatMap((plan) => plan.conflicts),
        errors: plans.flatMap((plan) => plan.errors)
    };
}
