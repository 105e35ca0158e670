/**
 * The backfill's planning beside the planner: a backfill plans a record against its contract as the planner does,
 * then keeps only the writes the target side does not already hold. A rule whose value the target already has is
 * synced without a write — no echo to wait for (its pending value is dropped) and the change log says `unchanged`.
 */
import type { ChangeLogEntry, Plan } from './planner.ts';
import type { RuleSet } from './rules.ts';
import type { PairState } from './syncState.ts';
import type { Json } from './transforms.ts';

export interface AgreedWritesInput {
    /** The planner's plan whose writes go to `side`. */
    plan: Plan;
    /** The pair state after planning; the pending values of agreed rules are dropped from it. */
    state: PairState;
    /** The change log of the backfill's plans; agreed rules' `applied` entries become `unchanged`. */
    changeLog: ChangeLogEntry[];
    side: 'salesforce' | 'clm';
    rules: RuleSet;
    /** Whether the target already holds the rule's planned value. */
    agreed: (rule: RuleSet['rules'][number]) => boolean;
    /** Which Salesforce objects' writes count (the backfilled record's); all when omitted. */
    writesTo?: (sfObject: string) => boolean;
}

/**
 * The fields still to write (Salesforce fields of the record, or canonical CLM fields), after dropping what the
 * target already holds. Edits `state` and `changeLog` in place, as the planner's output they belong to.
 */
export function withoutAgreedWrites(input: AgreedWritesInput): Record<string, Json> {
    const { plan, state, changeLog, side, rules, agreed } = input;
    const fields: Record<string, Json> = {};
    const written =
        side === 'clm'
            ? plan.writes.clm
                ? [plan.writes.clm]
                : []
            : plan.writes.salesforce.filter((write) => input.writesTo?.(write.sfObject) ?? true);
    for (const write of written) {
        for (const name of write.rules) {
            const rule = rules.byName.get(name);
            if (!rule) continue;
            const targets = side === 'clm' ? [rule.clmField] : rule.sourceFields;
            if (!agreed(rule)) {
                for (const target of targets)
                    if (target in write.fields) fields[target] = (write.fields as Record<string, Json>)[target]!;
                continue;
            }
            state.fields[rule.name]?.pending?.[side]?.pop();
            for (const entry of changeLog)
                if (entry.rule === rule.name && entry.outcome === 'applied') entry.outcome = 'unchanged';
        }
    }
    return fields;
}
