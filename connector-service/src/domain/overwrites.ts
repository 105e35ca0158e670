/**
 * CLM edits our own write replaced. Ironclad's attribute PATCH takes no precondition: the adapter reads the
 * workflow, checks its version, then writes — and an edit made in the CLM between that read and the write is
 * overwritten without a trace in the workflow itself. What does leave a trace is the vendor's change event for that
 * edit: it is stamped at a time strictly after the version we read and strictly before the version our write made.
 * Such an event turns every value of that write whose rule lets the CLM's edit win (Manual, ClmWins, and NewestWins
 * when the CLM's edit is the newer) into a Manual-style conflict, never a silent loss. The overwritten value itself
 * is gone from the CLM's current state, so the conflict carries what is still known: our value, the time of the
 * CLM's edit, and `null` for its value (the CLM's activity history has it).
 */
import type { Conflict } from './planner.ts';
import type { RuleSet } from './rules.ts';
import type { ClmWriteWindow, PairState } from './syncState.ts';
import type { Json } from './transforms.ts';

/** How many recent writes a pair remembers: events arrive within seconds to minutes of the edit they report. */
export const REMEMBERED_CLM_WRITES = 8;

/** An ISO instant's epoch ms, else NaN: a vendor's opaque version ("7") is no time, though Date.parse reads one. */
function time(value: string): number {
    return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
}

/** The window of a write of CLM fields (canonical name → value) read at `from` and landed at `to`, by rule. */
export function clmWriteWindow(
    rules: RuleSet,
    from: string,
    to: string,
    fields: Readonly<Record<string, Json>>
): ClmWriteWindow {
    const values: Record<string, Json> = {};
    for (const rule of rules.rules) if (rule.clmField in fields) values[rule.name] = fields[rule.clmField]!;
    return { from, to, values };
}

/** The state with one more CLM write remembered (only when both times are instants: otherwise nothing to compare). */
export function rememberClmWrite(state: PairState, window: ClmWriteWindow): PairState {
    if (Number.isNaN(time(window.from)) || Number.isNaN(time(window.to)) || Object.keys(window.values).length === 0)
        return state;
    return { ...state, clmWrites: [...(state.clmWrites ?? []), window].slice(-REMEMBERED_CLM_WRITES) };
}

export interface OverwriteCheck {
    /** The CLM change event: its id, the vendor's time of the change, the correlation id to carry. */
    eventId: string;
    at: string;
    correlationId: string;
    /** When the connector detected it. */
    detectedAt: string;
}

/**
 * Conflicts for the values of our writes that overwrote the CLM edit this event reports; the state with them open
 * and the windows they came from forgotten (a second event of the same edit raises nothing more).
 */
export function overwrittenClmEdits(
    state: PairState,
    rules: RuleSet,
    event: OverwriteCheck
): { state: PairState; conflicts: Conflict[] } {
    const at = time(event.at);
    const windows = state.clmWrites ?? [];
    if (Number.isNaN(at) || windows.length === 0) return { state, conflicts: [] };
    const hit = windows.filter((window) => time(window.from) < at && at < time(window.to));
    if (hit.length === 0) return { state, conflicts: [] };
    const fields = { ...state.fields };
    const conflicts: Conflict[] = [];
    for (const window of hit) {
        for (const [ruleName, written] of Object.entries(window.values)) {
            const rule = rules.byName.get(ruleName);
            const field = fields[ruleName];
            if (!rule || rule.direction !== 'Bidirectional' || !field || field.conflict) continue;
            const salesforceVersion = field.salesforce?.version;
            const clmEditWins =
                rule.conflictPolicy === 'Manual' ||
                rule.conflictPolicy === 'ClmWins' ||
                (rule.conflictPolicy === 'NewestWins' && (!salesforceVersion || time(salesforceVersion.at) < at));
            if (!clmEditWins) continue;
            const clmVersion = { at: event.at, seq: 0 };
            fields[ruleName] = {
                ...field,
                conflict: {
                    salesforce: written,
                    clm: null,
                    ...(salesforceVersion ? { salesforceVersion } : {}),
                    clmVersion,
                    detectedAt: event.detectedAt
                }
            };
            conflicts.push({
                rule: rule.name,
                sfObject: rule.sfObject,
                sfField: rule.sfField,
                clmField: rule.clmField,
                salesforceValue: written,
                clmValue: null,
                ...(salesforceVersion ? { salesforceVersion } : {}),
                clmVersion,
                eventId: event.eventId,
                correlationId: event.correlationId
            });
        }
    }
    return {
        state: { ...state, fields, clmWrites: windows.filter((window) => !hit.includes(window)) },
        conflicts
    };
}

/** The state having taken in the contract as the CLM held it at `updatedAt` (never moved back). */
export function sawClmAt(state: PairState, updatedAt: string): PairState {
    const seen = state.clmSeenAt;
    if (Number.isNaN(time(updatedAt)) || (seen !== undefined && time(seen) >= time(updatedAt))) return state;
    return { ...state, clmSeenAt: updatedAt };
}

/**
 * True when a CLM change event stamped `event.at` reports nothing new to the pair: the pair has taken in the
 * contract as it was at or after that time (the other webhooks of one change, our own write's events, a late
 * redelivery), and the event is no CLM edit inside one of our writes (that one must be read and raised). The
 * event then costs no read. Ironclad sends two webhooks per data change; each would otherwise read the workflow.
 */
export function seenInClm(state: PairState, rules: RuleSet, event: OverwriteCheck): boolean {
    const at = time(event.at);
    const seen = state.clmSeenAt === undefined ? Number.NaN : time(state.clmSeenAt);
    if (Number.isNaN(at) || Number.isNaN(seen) || at > seen) return false;
    return overwrittenClmEdits(state, rules, event).conflicts.length === 0;
}
