/**
 * Properties of the planner over random rule sets and random histories (fast-check, ≥1,000 runs each).
 * Each property has been seen failing on a deliberate break of the planner; docs/architecture.md lists which.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planChange, withoutAgreedWrites, type Change, type Plan } from '../../src/domain/index.ts';
import {
    CONTEXT,
    compile,
    echoOf,
    FIELD_PAIRS,
    historyArb,
    ruleSetArb,
    World,
    writeCount,
    writesRespectDirection
} from './simulation.ts';

const RUNS = { numRuns: 1000 };

describe('planner properties', () => {
    it('never writes a field to a side its rule does not let that side receive', () => {
        fc.assert(
            fc.property(ruleSetArb, historyArb, (rules, steps) => {
                const ruleSet = compile(rules);
                const world = new World(ruleSet, (_change, _before, plan) => {
                    expect(writesRespectDirection(plan, ruleSet)).toEqual([]);
                });
                steps.forEach((step) => world.run(step));
                world.drain();
            }),
            RUNS
        );
    });

    it('applying the same change twice writes nothing the second time', () => {
        fc.assert(
            fc.property(ruleSetArb, historyArb, (rules, steps) => {
                const ruleSet = compile(rules);
                const world = new World(ruleSet, (change, _before, plan) => {
                    const again = planChange(change, plan.newState, ruleSet, world.context);
                    expect(writeCount(again)).toBe(0);
                    expect(again.conflicts).toEqual([]);
                    expect(again.newState).toEqual(plan.newState);
                });
                steps.forEach((step) => world.run(step));
                world.drain();
            }),
            RUNS
        );
    });

    it('feeding the planner its own writes back writes nothing', () => {
        fc.assert(
            fc.property(ruleSetArb, historyArb, fc.boolean(), (rules, steps, withOrigin) => {
                const ruleSet = compile(rules);
                const world = new World(
                    ruleSet,
                    (change, _before, plan) => {
                        for (const side of ['salesforce', 'clm'] as const) {
                            const at = new Date(Date.parse(change.version.at) + 1).toISOString();
                            const echo = echoOf(plan, side, at, withOrigin);
                            if (!echo) continue;
                            const after = planChange(echo, plan.newState, ruleSet, world.context);
                            expect(writeCount(after)).toBe(0);
                            expect(after.conflicts).toEqual([]);
                        }
                    },
                    withOrigin
                );
                steps.forEach((step) => world.run(step));
                world.drain();
            }),
            RUNS
        );
    });

    it('two replicas fed the same changes with duplicates delivered anywhere end in the same state', () => {
        fc.assert(
            fc.property(
                ruleSetArb,
                historyArb,
                fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 30 }),
                fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 30 }),
                (rules, steps, dupsA, dupsB) => {
                    const ruleSet = compile(rules);
                    // Record one history of deliveries, then replay it into two replicas with different duplicates.
                    const world = new World(ruleSet);
                    steps.forEach((step) => step.kind !== 'redeliver' && world.run(step));
                    world.drain();
                    const stream = world.delivered;
                    const replay = (dups: [number, number][]) => {
                        const sequence: Change[] = [...stream];
                        for (const [from, at] of dups) {
                            if (sequence.length === 0) break;
                            // A duplicate of an earlier delivery, redelivered at a later position.
                            const index = from % sequence.length;
                            const position = index + 1 + (at % (sequence.length - index));
                            sequence.splice(position, 0, sequence[index]!);
                        }
                        let state = { pairId: 'pair-1', fields: {} };
                        const writes: Plan['writes'][] = [];
                        for (const change of sequence) {
                            const plan = planChange(change, state, ruleSet, CONTEXT);
                            state = plan.newState;
                            if (writeCount(plan) > 0) writes.push(plan.writes);
                        }
                        return { state, writes };
                    };
                    const a = replay(dupsA);
                    const b = replay(dupsB);
                    expect(a.state).toEqual(b.state);
                    expect(a.writes).toEqual(b.writes);
                }
            ),
            RUNS
        );
    });

    it('once everything is delivered, both systems agree on every field the owner changed last', () => {
        fc.assert(
            fc.property(ruleSetArb, historyArb, fc.boolean(), (rules, steps, markOwnOrigin) => {
                const ruleSet = compile(rules);
                const world = new World(ruleSet, undefined, markOwnOrigin);
                steps.forEach((step) => world.run(step));
                world.drain();
                for (const rule of ruleSet.rules) {
                    const pairIndex = FIELD_PAIRS.findIndex((pair) => pair.sfField === rule.sfField);
                    const editor = world.lastEditor.get(pairIndex);
                    const sfValue = world.canonicalOf('salesforce', rule);
                    const clmValue = world.canonicalOf('clm', rule);
                    const owner =
                        rule.direction === 'SalesforceToClm'
                            ? 'salesforce'
                            : rule.direction === 'ClmToSalesforce'
                              ? 'clm'
                              : 'both';
                    const mustAgree =
                        editor === undefined ||
                        editor === owner ||
                        (owner === 'both' && !world.state.fields[rule.name]?.conflict);
                    if (mustAgree) {
                        expect({ rule: rule.name, value: sfValue }).toEqual({ rule: rule.name, value: clmValue });
                    }
                    if (rule.direction === 'Bidirectional' && rule.conflictPolicy !== 'Manual') {
                        expect(world.state.fields[rule.name]?.conflict).toBeUndefined();
                    }
                }
            }),
            RUNS
        );
    });

    it("the backfill's planning: what the target already holds is not written, and nothing waits for its echo", () => {
        fc.assert(
            fc.property(ruleSetArb, historyArb, (rules, steps) => {
                const ruleSet = compile(rules);
                const world = new World(ruleSet, (_change, _before, plan) => {
                    for (const side of ['clm', 'salesforce'] as const) {
                        // The target holds every planned value: nothing is written and no echo is awaited.
                        const agreed = structuredClone(plan);
                        const fields = withoutAgreedWrites({
                            plan: agreed,
                            state: agreed.newState,
                            changeLog: agreed.changeLog,
                            side,
                            rules: ruleSet,
                            agreed: () => true
                        });
                        expect(fields).toEqual({});
                        const written =
                            side === 'clm'
                                ? (plan.writes.clm?.rules ?? [])
                                : plan.writes.salesforce.flatMap((write) => write.rules);
                        for (const name of written) {
                            expect(agreed.changeLog.filter((e) => e.rule === name && e.outcome === 'applied')).toEqual(
                                []
                            );
                            expect((agreed.newState.fields[name]?.pending?.[side] ?? []).length).toBe(
                                Math.max(0, (plan.newState.fields[name]?.pending?.[side] ?? []).length - 1)
                            );
                        }
                        // The target holds none of them: exactly the planner's writes, the state as planned.
                        const disagreed = structuredClone(plan);
                        const all = withoutAgreedWrites({
                            plan: disagreed,
                            state: disagreed.newState,
                            changeLog: disagreed.changeLog,
                            side,
                            rules: ruleSet,
                            agreed: () => false
                        });
                        expect(disagreed.newState).toEqual(plan.newState);
                        expect(disagreed.changeLog).toEqual(plan.changeLog);
                        if (side === 'clm') expect(all).toEqual(plan.writes.clm?.fields ?? {});
                        else
                            for (const write of plan.writes.salesforce)
                                for (const [field, value] of Object.entries(write.fields))
                                    expect(all[field]).toEqual(value);
                    }
                });
                steps.forEach((step) => world.run(step));
                world.drain();
            }),
            RUNS
        );
    });
});
