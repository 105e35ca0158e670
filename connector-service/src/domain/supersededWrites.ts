/**
 * Salesforce writes the pair has since decided against. A write is planned when a change is taken in and sent when
 * the outbox gets to it; in between the other side may win (a person's Salesforce edit under SalesforceWins, a newer
 * edit under NewestWins) or a conflict may open. Salesforce's record update takes no precondition, so such a write
 * would overwrite the newer value and the echo branch would then put it back: a value flapping in front of people,
 * or lost where no echo comes. At dispatch the write keeps only the fields whose value the pair still stands by;
 * a value is dropped only when the planner sent it (its echo is still expected), and that one expected echo is
 * forgotten, so it is not mistaken for a write still on its way.
 */
import type { RuleSet } from './rules.ts';
import type { SalesforceValue } from './planner.ts';
import { sameSalesforceValue } from './salesforce.ts';
import { sameValue, type PairState } from './syncState.ts';
import { toCanonical, toSalesforce, type TransformContext } from './transforms.ts';

export interface SupersededFields {
    /** The write's fields to keep sending. */
    fields: Record<string, SalesforceValue>;
    /** The state with the dropped values' expected echoes forgotten (unchanged when nothing was dropped). */
    state: PairState;
    /** Rules whose value was dropped. */
    dropped: string[];
}

export function withoutSupersededFields(
    state: PairState,
    rules: RuleSet,
    sfObject: string,
    fields: Readonly<Record<string, SalesforceValue>>,
    context: TransformContext
): SupersededFields {
    const kept: Record<string, SalesforceValue> = { ...fields };
    const dropped: string[] = [];
    let next = state;
    for (const rule of rules.rules) {
        if (rule.sfObject !== sfObject) continue;
        const field = state.fields[rule.name];
        if (!field || (!field.conflict && !field.synced)) continue;
        const written = rule.sourceFields.filter((name) => name in kept);
        if (written.length === 0) continue;
        let stands = false;
        if (!field.conflict && field.synced) {
            try {
                const agreed = toSalesforce(rule.transform, rule.target, field.synced.value, context);
                stands = written.every((name) => sameSalesforceValue(agreed[name], kept[name]));
            } catch {
                stands = true; // not ours to judge: send as planned
            }
        }
        if (stands) continue;
        let echo: unknown;
        try {
            echo = toCanonical(rule.transform, rule.target, kept, context);
        } catch {
            continue;
        }
        // While a conflict is open nothing of the field goes out (a retry of a write that landed before the edit
        // that opened it would overwrite that edit); otherwise only a value the planner sent, its echo still expected.
        const pending = field.pending?.salesforce ?? [];
        const index = pending.findIndex((value) => sameValue(value, echo as never));
        if (index < 0 && !field.conflict) continue;
        for (const name of written) delete kept[name];
        dropped.push(rule.name);
        if (index < 0) continue;
        next = structuredClone(next);
        next.fields[rule.name]!.pending!.salesforce!.splice(index, 1);
    }
    return { fields: kept, state: next, dropped };
}
