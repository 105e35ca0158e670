/**
 * Our own write's change event, completed without a read. CDC carries the fields a transaction changed; a rule
 * whose value spans more fields (an amount and its currency) needs the others, which are read from Salesforce. When
 * the transaction is the connector's own (its changeOrigin names our client id) and what it carries is exactly a
 * write the pair waits to see back, the fields it lacks are the ones that write set: taken from it, the echo costs
 * no Salesforce call.
 */
import { isOwnOrigin, type PlanContext, type SalesforceChange } from './planner.ts';
import type { RuleSet } from './rules.ts';
import { sameSalesforceValue } from './salesforce.ts';
import type { PairState } from './syncState.ts';
import { toSalesforce } from './transforms.ts';

/**
 * The fields `change` lacks for its rules, from the pending write of ours it carries; null when it is no such echo
 * (another origin, or a rule whose carried fields match no write the pair waits for): then they are read.
 */
export function ownEchoFields(
    change: SalesforceChange,
    state: PairState,
    ruleSet: RuleSet,
    context: PlanContext
): Record<string, unknown> | null {
    if (!isOwnOrigin(change, context)) return null;
    const changed = new Set(change.changedFields ?? Object.keys(change.values));
    const filled: Record<string, unknown> = {};
    for (const rule of ruleSet.rules) {
        if (rule.sfObject !== change.sfObject || !rule.sourceFields.some((field) => changed.has(field))) continue;
        const missing = rule.sourceFields.filter((field) => !(field in change.values));
        if (missing.length === 0) continue;
        const written = (state.fields[rule.name]?.pending?.salesforce ?? [])
            .map((value) => {
                try {
                    return toSalesforce(rule.transform, rule.target, value, context.transform);
                } catch {
                    return {};
                }
            })
            .find((fields) =>
                rule.sourceFields.every(
                    (field) =>
                        !(field in change.values) ||
                        (field in fields && sameSalesforceValue(fields[field], change.values[field]))
                )
            );
        if (!written || missing.some((field) => !(field in written))) return null;
        for (const field of missing) filled[field] = written[field];
    }
    return filled;
}
