/**
 * The sync planner: a pure function from (change, sync state, rules) to the writes for the other side, the new
 * sync state, change-log entries and conflicts. It recognises, per field:
 *   (a) our own echo — the origin is ours, or the value is one we wrote and are waiting to see back;
 *   (b) a duplicate or older delivery — the version is not newer than the last one seen from that side;
 *   (c) a change to a field the source does not own — recorded, never written to the other side;
 *   (d) both sides changing a bidirectional field since the last sync — resolved by the rule's policy, or a
 *       conflict record for `Manual`.
 * A value that cannot be transformed yields a ConnectorError for that field; the rest of the record still syncs.
 */
import { ConnectorError, isConnectorError } from './errors.ts';
import { writesToClm, writesToSalesforce, type CompiledRule, type RuleSet } from './rules.ts';
import {
    compareVersions,
    otherSide,
    sameValue,
    type Version,
    type FieldState,
    type PairState,
    type Side
} from './syncState.ts';
import { checkClmValue, toCanonical, toSalesforce, type Json } from './transforms.ts';
import type {
    Change,
    ChangeLogEntry,
    ChangeOutcome,
    ClmWrite,
    Conflict,
    Plan,
    PlanContext,
    SalesforceChange,
    SalesforceWrite
} from './plan.ts';

export * from './plan.ts';

/** True when a Salesforce changeOrigin (`…;client=<id>`) or a CLM actor names the connector itself. */
export function isOwnOrigin(change: Pick<Change, 'source' | 'origin'>, context: PlanContext): boolean {
    if (!change.origin) return false;
    if (change.source === 'clm') return context.clmActor !== undefined && change.origin === context.clmActor;
    return change.origin
        .split(';')
        .map((part) => part.trim())
        .some((part) => part === `client=${context.connectorClientId}`);
}

class PlanBuilder {
    readonly state: PairState;
    readonly salesforce = new Map<string, SalesforceWrite>();
    clm: ClmWrite | null = null;
    readonly changeLog: ChangeLogEntry[] = [];
    readonly conflicts: Conflict[] = [];
    readonly errors: ConnectorError[] = [];

    constructor(
        state: PairState,
        readonly context: PlanContext,
        readonly meta: { eventId: string; correlationId: string; source: Side }
    ) {
        this.state = structuredClone(state);
    }

    field(rule: CompiledRule): FieldState {
        return (this.state.fields[rule.name] ??= {});
    }

    log(rule: CompiledRule, outcome: ChangeOutcome, extra: Partial<ChangeLogEntry> = {}): void {
        this.changeLog.push({
            idempotencyKey: `${this.meta.source}:${this.meta.eventId}:${rule.name}`,
            eventId: this.meta.eventId,
            correlationId: this.meta.correlationId,
            source: this.meta.source,
            rule: rule.name,
            outcome,
            ...extra
        });
    }

    error(rule: CompiledRule, error: unknown): void {
        const connectorError = isConnectorError(error)
            ? error
            : new ConnectorError(
                  'TRANSFORM.FAILED',
                  `${rule.name}: ${String(error)}`,
                  { rule: rule.name },
                  { cause: error }
              );
        this.errors.push(connectorError);
        this.log(rule, 'error', { errorCode: connectorError.code });
    }

    /** Queues a write of a canonical value to a side; returns false (and records why) when it cannot be written. */
    write(rule: CompiledRule, side: Side, value: Json): boolean {
        const fieldState = this.field(rule);
        try {
            if (side === 'salesforce') {
                const fields = toSalesforce(rule.transform, rule.target, value, this.context.transform);
                const write = this.salesforce.get(rule.sfObject) ?? { sfObject: rule.sfObject, fields: {}, rules: [] };
                Object.assign(write.fields, fields);
                write.rules.push(rule.name);
                this.salesforce.set(rule.sfObject, write);
                // Expect the echo as Salesforce will report it (rounded to the field's scale, mapped back).
                expectEcho(
                    fieldState,
                    'salesforce',
                    toCanonical(rule.transform, rule.target, fields, this.context.transform)
                );
            } else {
                const checked = checkClmValue(rule.target.clmKind, rule.clmField, value);
                this.clm ??= { fields: {}, rules: [] };
                this.clm.fields[rule.clmField] = checked;
                this.clm.rules.push(rule.name);
                expectEcho(fieldState, 'clm', checked);
            }
            return true;
        } catch (error) {
            this.error(rule, error);
            return false;
        }
    }

    build(): Plan {
        return {
            writes: { salesforce: [...this.salesforce.values()], clm: this.clm },
            newState: this.state,
            changeLog: this.changeLog,
            conflicts: this.conflicts,
            errors: this.errors
        };
    }
}

/**
 * Unconfirmed writes kept per field and side. A side that never reports our writes back (no event for an API
 * change) would otherwise grow the pair's state without end; an echo older than this many writes is not expected.
 */
export const MAX_PENDING_ECHOES = 32;

function expectEcho(field: FieldState, side: Side, value: Json): void {
    field.pending ??= {};
    const pending = (field.pending[side] ??= []);
    pending.push(value);
    if (pending.length > MAX_PENDING_ECHOES) pending.splice(0, pending.length - MAX_PENDING_ECHOES);
}

/** Consumes the expected echo matching `value` (and any older ones, which that side has since overwritten). */
function consumeEcho(field: FieldState, side: Side, value: Json): boolean {
    const pending = field.pending?.[side] ?? [];
    const index = pending.findIndex((expected) => sameValue(expected, value));
    if (index < 0) return false;
    pending.splice(0, index + 1);
    return true;
}

function hasPending(field: FieldState, side: Side): boolean {
    return (field.pending?.[side]?.length ?? 0) > 0;
}

function rulesTouched(change: Change, ruleSet: RuleSet): CompiledRule[] {
    const changed = new Set(change.changedFields ?? Object.keys(change.values));
    return ruleSet.rules.filter((rule) =>
        change.source === 'salesforce'
            ? rule.sfObject === change.sfObject && rule.sourceFields.some((field) => changed.has(field))
            : changed.has(rule.clmField)
    );
}

function readCanonical(change: Change, rule: CompiledRule, context: PlanContext): Json {
    if (change.source === 'clm') return checkClmValue(rule.target.clmKind, rule.clmField, change.values[rule.clmField]);
    const missing = rule.sourceFields.filter((field) => !(field in change.values));
    if (missing.length > 0) {
        throw new ConnectorError(
            'MAPPING.MISSING_SOURCE_FIELD',
            `${rule.name}: the change lacks ${missing.map((field) => `${rule.sfObject}.${field}`).join(', ')}; read the record first`,
            { rule: rule.name, fields: missing }
        );
    }
    return toCanonical(rule.transform, rule.target, change.values, context.transform);
}

function mayWrite(rule: CompiledRule, from: Side): boolean {
    return from === 'salesforce' ? writesToClm(rule.direction) : writesToSalesforce(rule.direction);
}

/** Plans what one change means for the other side. Pure: same inputs, same plan. */
export function planChange(change: Change, state: PairState, ruleSet: RuleSet, context: PlanContext): Plan {
    const source = change.source;
    const target = otherSide(source);
    const plan = new PlanBuilder(state, context, {
        eventId: change.eventId,
        correlationId: change.correlationId,
        source
    });
    const ownOrigin = isOwnOrigin(change, context);

    for (const rule of rulesTouched(change, ruleSet)) {
        let value: Json;
        try {
            value = readCanonical(change, rule, context);
        } catch (error) {
            plan.error(rule, error);
            continue;
        }
        const field = plan.field(rule);
        const seen = field[source];

        // (b) duplicate or older delivery
        if (seen && compareVersions(change.version, seen.version) <= 0) {
            plan.log(rule, 'stale', { value });
            continue;
        }
        // The source reports what it reported last: this field did not change there (the event is for another
        // field, or our write to it has not landed yet). That is no edit to take in, nor a contender to resolve.
        const unchangedAtSource = seen !== undefined && sameValue(seen.value, value);
        field[source] = { value, version: change.version };

        // (a) our own echo: by origin, or a value we wrote and wait to see back
        const originReported = context.originReported?.[source] ?? source === 'salesforce';
        const ourWrite = (ownOrigin || !originReported) && consumeEcho(field, source, value);
        if (ourWrite || ownOrigin) {
            plan.log(rule, 'echo', { value });
            // The side now holds what we wrote: that is its side of an open conflict.
            if (field.conflict) field.conflict[source] = value;
            // A write of ours that the decision has since moved past landed last: put the agreed value back.
            if (
                ourWrite &&
                field.synced &&
                !field.conflict &&
                !hasPending(field, source) &&
                !sameValue(value, field.synced.value)
            ) {
                if (plan.write(rule, source, field.synced.value))
                    plan.log(rule, 'applied', { value: field.synced.value, previous: value });
            }
            continue;
        }
        if (unchangedAtSource && !field.conflict) {
            plan.log(rule, 'unchanged', { value });
            continue;
        }
        if (field.synced && sameValue(field.synced.value, value) && !hasPending(field, source) && !field.conflict) {
            plan.log(rule, 'unchanged', { value });
            continue;
        }

        // (c) the source does not own this field: record, never write
        if (!mayWrite(rule, source)) {
            plan.log(rule, 'notOwned', { value, previous: field.synced?.value });
            // We are waiting for a write of the owner's value to land here, and this side reports something else:
            // that write was refused or overwritten, so the owner's value goes out again.
            if (field.synced && hasPending(field, source) && !sameValue(value, field.synced.value)) {
                field.pending![source] = [];
                if (plan.write(rule, source, field.synced.value))
                    plan.log(rule, 'applied', { value: field.synced.value, previous: value });
            }
            continue;
        }

        // (d) both sides changed since the last sync
        const otherContender = concurrentValue(field, source, target);
        if (rule.direction === 'Bidirectional' && otherContender !== undefined) {
            resolve(plan, rule, field, change, source, value, otherContender.value, otherContender.version);
            continue;
        }

        if (plan.write(rule, target, value)) {
            plan.log(rule, 'applied', { value, previous: field.synced?.value });
            field.synced = { value, at: change.version.at, by: source };
        }
    }
    return plan.build();
}

/**
 * The other side's competing value when both sides changed since the last sync: an open conflict, a write we
 * sent to the source that the source's new value contradicts, or a held change from the other side.
 */
function concurrentValue(
    field: FieldState,
    source: Side,
    target: Side
): { value: Json; version: Version | undefined } | undefined {
    if (field.conflict) return { value: field.conflict[target], version: field.conflict[`${target}Version`] };
    if (hasPending(field, source) && field.synced) {
        return { value: field.synced.value, version: field[target]?.version };
    }
    const other = field[target];
    if (other && field.synced && !hasPending(field, target) && !sameValue(other.value, field.synced.value)) {
        return { value: other.value, version: other.version };
    }
    return undefined;
}

function resolve(
    plan: PlanBuilder,
    rule: CompiledRule,
    field: FieldState,
    change: Change,
    source: Side,
    value: Json,
    otherValue: Json,
    otherVersion: Version | undefined
): void {
    const target = otherSide(source);
    const contenders: Record<Side, Json> = { [source]: value, [target]: otherValue } as Record<Side, Json>;
    const versions = { [source]: change.version, [target]: otherVersion } as Record<Side, Version | undefined>;
    if (sameValue(value, otherValue)) {
        // Both sides arrived at the same value: nothing to resolve.
        field.synced = { value, at: change.version.at, by: source };
        delete field.conflict;
        plan.log(rule, 'unchanged', { value });
        return;
    }
    let winner: Side;
    switch (rule.conflictPolicy) {
        case 'SalesforceWins':
            winner = 'salesforce';
            break;
        case 'ClmWins':
            winner = 'clm';
            break;
        case 'NewestWins': {
            const a = versions.salesforce;
            const b = versions.clm;
            winner = !b || (a && compareVersions(a, b) >= 0) ? 'salesforce' : 'clm';
            break;
        }
        default: {
            field.conflict = {
                salesforce: contenders.salesforce,
                clm: contenders.clm,
                salesforceVersion: versions.salesforce,
                clmVersion: versions.clm,
                detectedAt: change.version.at
            };
            plan.conflicts.push({
                rule: rule.name,
                sfObject: rule.sfObject,
                sfField: rule.sfField,
                clmField: rule.clmField,
                salesforceValue: contenders.salesforce,
                clmValue: contenders.clm,
                salesforceVersion: versions.salesforce,
                clmVersion: versions.clm,
                eventId: change.eventId,
                correlationId: change.correlationId
            });
            plan.log(rule, 'conflict', { value, previous: otherValue });
            return;
        }
    }
    const winning = contenders[winner];
    // Write the winner to the losing side. If a write of ours still lands on the winner's side later, its echo
    // puts the agreed value back (see the echo branch).
    const written = plan.write(rule, otherSide(winner), winning);
    if (written) {
        field.synced = { value: winning, at: change.version.at, by: winner };
        delete field.conflict;
        plan.log(rule, 'resolved', { value: winning, previous: contenders[otherSide(winner)] });
    }
}

/** A person's decision on a Manual conflict: take one side's value, or a value they edited. */
export type ConflictResolution = { take: Side } | { value: Json };

/** Applies a resolved conflict from the org's queue: writes the chosen value wherever a side differs. */
export function resolveConflict(
    state: PairState,
    ruleSet: RuleSet,
    ruleName: string,
    resolution: ConflictResolution,
    meta: { eventId: string; correlationId: string; at: string },
    context: PlanContext
): Plan {
    const rule = ruleSet.byName.get(ruleName);
    if (!rule)
        throw new ConnectorError('MAPPING.UNKNOWN_RULE', `No enabled rule named ${ruleName}`, { rule: ruleName });
    const plan = new PlanBuilder(state, context, { ...meta, source: 'salesforce' });
    const field = plan.field(rule);
    if (!field.conflict) {
        throw new ConnectorError('MAPPING.NO_OPEN_CONFLICT', `${ruleName} has no open conflict`, { rule: ruleName });
    }
    const value = 'take' in resolution ? field.conflict[resolution.take] : resolution.value;
    const sides = (['salesforce', 'clm'] as const).filter((side) => !sameValue(field[side]?.value, value));
    if (sides.every((side) => plan.write(rule, side, value))) {
        field.synced = { value, at: meta.at, by: 'take' in resolution ? resolution.take : 'salesforce' };
        delete field.conflict;
        plan.log(rule, 'resolved', { value });
    }
    return plan.build();
}

/**
 * Forgets the echo we were waiting for after a write the other side refused for good (the pipeline calls this
 * when it quarantines the write), so a later edit there is not mistaken for a concurrent one.
 */
export function forgetPendingWrite(state: PairState, ruleNames: readonly string[], side: Side): PairState {
    const next = structuredClone(state);
    for (const name of ruleNames) {
        const pending = next.fields[name]?.pending;
        if (pending) delete pending[side];
    }
    return next;
}

/**
 * An audit found the two sides holding different values for these rules, values no change will bring together
 * (an edit that never reached the connector, on the side that does not own the field). Each is decided as the rules
 * decide any change: the owner's value goes to the other side of a one-way rule; a bidirectional rule's two values
 * go to its conflict policy (Manual opens a conflict). The values are the newest each side reported — the pair's
 * state — so a repair planned after newer changes arrived acts on those.
 */
export function planReassert(
    state: PairState,
    ruleSet: RuleSet,
    ruleNames: readonly string[],
    meta: { eventId: string; correlationId: string; at: string },
    context: PlanContext
): Plan {
    const plan = new PlanBuilder(state, context, { ...meta, source: 'salesforce' });
    for (const name of ruleNames) {
        const rule = ruleSet.byName.get(name);
        if (!rule) continue;
        const field = plan.field(rule);
        const { salesforce, clm } = field;
        if (!salesforce || !clm || field.conflict || sameValue(salesforce.value, clm.value)) continue;
        if (rule.direction === 'Bidirectional') {
            const change: SalesforceChange = {
                source: 'salesforce',
                sfObject: rule.sfObject,
                recordId: state.pairId,
                eventId: meta.eventId,
                correlationId: meta.correlationId,
                version: salesforce.version,
                values: {}
            };
            resolve(plan, rule, field, change, 'salesforce', salesforce.value, clm.value, clm.version);
            continue;
        }
        const owner: Side | null = writesToClm(rule.direction)
            ? 'salesforce'
            : writesToSalesforce(rule.direction)
              ? 'clm'
              : null;
        if (!owner) continue;
        const value = field[owner]!.value;
        if (plan.write(rule, otherSide(owner), value)) {
            plan.log(rule, 'applied', { value, previous: field[otherSide(owner)]!.value });
            field.synced = { value, at: meta.at, by: owner };
        }
    }
    return plan.build();
}
