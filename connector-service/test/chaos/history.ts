// A history checker in the spirit of Jepsen's: the harness (soak, simulation, race suites) records what each side
// itself saw happen — every person's edit and every connector write, from the emulators' (or in-memory ports') own
// hooks, never from the connector's word — and this module judges the whole history once it has settled.
//
// Values are unique per edit, so the history is a tree: each edit's parent is the value its side held when the edit
// was made. Two edits are concurrent when neither descends from the other (nobody who made one had seen the other).
// Per (deal, rule):
//   - lost: an edit that neither side holds at the end (nor anything descended from it), not covered by a conflict
//     and not one its policy may drop (SF wins drops a CLM edit concurrent with a Salesforce one, CLM wins the
//     reverse, newest wins the older of two concurrent edits by the source's own time); also a field whose sides
//     end apart without a conflict.
//   - conflictsMissed: a Manual edit dropped for a concurrent one without a conflict.
//   - outOfOrder: a connector write of a value its side had already moved past (an ancestor of what it held).
//   - duplicated: a connector write that changed nothing, a value written back to the side it came from (an echo),
//     or, on a one-way field, a value written twice.

export type Side = 'salesforce' | 'clm';
export type Direction = 'Bidirectional' | 'SalesforceToClm' | 'ClmToSalesforce';
export type Policy = 'Manual' | 'SalesforceWins' | 'ClmWins' | 'NewestWins';

export interface FieldSpec {
    rule: string;
    direction: Direction;
    /** Bidirectional rules only. */
    policy?: Policy;
}

export interface Edit {
    kind: 'edit';
    seq: number;
    side: Side;
    deal: number;
    rule: string;
    value: string;
    /** What the side held when the edit was made (its parent). */
    before: string | null;
    /** The source's own time of the edit (epoch ms). */
    at: number;
}

export interface Write {
    kind: 'write';
    seq: number;
    side: Side;
    deal: number;
    rule: string;
    value: string | null;
    before: string | null;
    at: number;
}

export interface ConflictRaised {
    kind: 'conflict';
    seq: number;
    deal: number;
    rule: string;
    salesforceValue: string | null;
    clmValue: string | null;
}

export interface EmptyWrite {
    kind: 'emptyWrite';
    seq: number;
    side: Side;
    what: string;
}

/** A connector write of a value its side already held: applied again. */
export interface NoopWrite {
    kind: 'noopWrite';
    seq: number;
    side: Side;
    deal: number;
    rule: string;
    value: string | null;
}

export type HistoryEvent = Edit | Write | ConflictRaised | EmptyWrite | NoopWrite;

export interface Verdict {
    changes: number;
    lost: string[];
    duplicated: string[];
    outOfOrder: string[];
    conflictsMissed: string[];
    /** Conflicts raised with no concurrent edits behind them (a false alarm: e.g. our own write taken for an edit). */
    spuriousConflicts: string[];
    conflicts: number;
}

const key = (deal: number, rule: string) => `${deal}\u0000${rule}`;

/**
 * The recorder: call `observe` for every value a side took (in the order the sides took them: one process, one
 * event loop), `conflict` for every conflict the connector raised where people see it. It keeps a mirror of each
 * side, so the parent of an edit and what a write replaced are the side's own state at that moment.
 */
export class History {
    readonly events: HistoryEvent[] = [];
    private readonly mirror = new Map<string, string | null>();
    private seq = 0;

    constructor(readonly fields: readonly FieldSpec[]) {}

    /** The value a side holds now, as recorded. */
    held(side: Side, deal: number, rule: string): string | null {
        return this.mirror.get(`${side}\u0000${key(deal, rule)}`) ?? null;
    }

    /** Sets what a side holds at the start (not an edit): the deal's initial values. */
    initial(side: Side, deal: number, rule: string, value: string | null): void {
        this.mirror.set(`${side}\u0000${key(deal, rule)}`, value);
    }

    /** A side took `value` for (deal, rule): `by` a person (an edit) or the connector (a write). */
    observe(side: Side, by: 'person' | 'connector', deal: number, rule: string, value: string | null, at: number) {
        const mirrorKey = `${side}\u0000${key(deal, rule)}`;
        const before = this.mirror.get(mirrorKey) ?? null;
        this.mirror.set(mirrorKey, value);
        const seq = ++this.seq;
        if (by === 'person') {
            if (value === null) throw new Error('a person edit needs a unique value');
            this.events.push({ kind: 'edit', seq, side, deal, rule, value, before, at });
        } else this.events.push({ kind: 'write', seq, side, deal, rule, value, before, at });
    }

    conflict(deal: number, rule: string, salesforceValue: string | null, clmValue: string | null): void {
        this.events.push({ kind: 'conflict', seq: ++this.seq, deal, rule, salesforceValue, clmValue });
    }

    /** The connector wrote (deal, rule) the value the side already held. */
    noopWrite(side: Side, deal: number, rule: string): void {
        this.events.push({ kind: 'noopWrite', seq: ++this.seq, side, deal, rule, value: this.held(side, deal, rule) });
    }

    emptyWrite(side: Side, what: string): void {
        this.events.push({ kind: 'emptyWrite', seq: ++this.seq, side, what });
    }

    /** Whether (deal, rule) has a conflict raised (the workload leaves such a field alone). */
    hasConflict(deal: number, rule: string): boolean {
        return this.events.some((event) => event.kind === 'conflict' && event.deal === deal && event.rule === rule);
    }

    /** Every (deal, rule) whose sides agree, or that has a conflict: nothing left to converge. */
    converged(deals: readonly number[]): boolean {
        return deals.every((deal) =>
            this.fields.every(
                (field) =>
                    this.held('salesforce', deal, field.rule) === this.held('clm', deal, field.rule) ||
                    this.hasConflict(deal, field.rule)
            )
        );
    }

    check(deals: readonly number[]): Verdict {
        return checkHistory(this.events, this.fields, deals, (side, deal, rule) => this.held(side, deal, rule));
    }
}

/** The pure check over a recorded history and the sides' final values. */
export function checkHistory(
    events: readonly HistoryEvent[],
    fields: readonly FieldSpec[],
    deals: readonly number[],
    final: (side: Side, deal: number, rule: string) => string | null
): Verdict {
    const verdict: Verdict = {
        changes: 0,
        lost: [],
        duplicated: [],
        outOfOrder: [],
        conflictsMissed: [],
        spuriousConflicts: [],
        conflicts: 0
    };
    for (const event of events) {
        if (event.kind === 'emptyWrite')
            verdict.duplicated.push(`${event.side}: a write that changed nothing (${event.what})`);
        if (event.kind === 'noopWrite')
            verdict.duplicated.push(
                `deal ${event.deal} ${event.rule}: ${event.value} written to ${event.side} again, which already held it`
            );
    }
    for (const deal of deals) {
        for (const field of fields) {
            const mine = events.filter(
                (event): event is Edit | Write | ConflictRaised =>
                    (event.kind === 'edit' || event.kind === 'write' || event.kind === 'conflict') &&
                    event.deal === deal &&
                    event.rule === field.rule
            );
            checkField(mine, field, deal, final, verdict);
        }
    }
    return verdict;
}

function checkField(
    events: readonly (Edit | Write | ConflictRaised)[],
    field: FieldSpec,
    deal: number,
    final: (side: Side, deal: number, rule: string) => string | null,
    verdict: Verdict
): void {
    const where = `deal ${deal} ${field.rule}`;
    const edits = events.filter((event): event is Edit => event.kind === 'edit');
    const writes = events.filter((event): event is Write => event.kind === 'write');
    const conflicts = events.filter((event): event is ConflictRaised => event.kind === 'conflict');
    verdict.changes += edits.length;
    verdict.conflicts += conflicts.length;
    const byValue = new Map(edits.map((edit) => [edit.value, edit]));
    /** `ancestor` is `value` or one of the values it descends from. */
    const descends = (value: string | null, ancestor: string): boolean => {
        for (let current = value, hops = 0; current !== null && hops <= edits.length; hops++) {
            if (current === ancestor) return true;
            current = byValue.get(current)?.before ?? null;
        }
        return false;
    };

    // Writes: nothing applied twice, nothing applied over what it was older than.
    const written = new Set<string>();
    for (const write of writes) {
        const origin = write.value === null ? undefined : byValue.get(write.value);
        if (
            write.value !== null &&
            write.before !== null &&
            write.value !== write.before &&
            descends(write.before, write.value)
        )
            verdict.outOfOrder.push(
                `${where}: ${write.side} took ${write.value} after it held the later ${write.before}`
            );
        else if (origin && origin.side === write.side)
            verdict.duplicated.push(`${where}: ${write.value} written back to ${write.side}, where it was made`);
        else if (field.direction !== 'Bidirectional' && write.value !== null && written.has(write.value))
            verdict.duplicated.push(`${where}: ${write.value} written to ${write.side} twice`);
        if (write.value !== null) written.add(write.value);
    }

    // A conflict needs two concurrent edits from the two sides before it.
    for (const conflict of conflicts) {
        const before = edits.filter((edit) => edit.seq < conflict.seq);
        const concurrent = before.some((a) =>
            before.some(
                (b) =>
                    a.side === 'salesforce' &&
                    b.side === 'clm' &&
                    !descends(a.value, b.value) &&
                    !descends(b.value, a.value)
            )
        );
        if (!concurrent)
            verdict.spuriousConflicts.push(
                `${where}: a conflict (Salesforce ${conflict.salesforceValue}, CLM ${conflict.clmValue}) with no concurrent edits`
            );
    }

    const finalSalesforce = final('salesforce', deal, field.rule);
    const finalClm = final('clm', deal, field.rule);
    const firstConflict = conflicts[0]?.seq ?? Number.POSITIVE_INFINITY;
    if (conflicts.length === 0 && finalSalesforce !== finalClm)
        verdict.lost.push(
            `${where}: the sides ended apart without a conflict (Salesforce ${finalSalesforce}, CLM ${finalClm})`
        );

    for (const edit of edits) {
        if (descends(finalSalesforce, edit.value) || descends(finalClm, edit.value)) continue;
        // After a conflict the field waits for a person; a conflict raised later that names the edit (or, for a CLM
        // edit our write replaced, says the CLM's value is unknown) covers it.
        if (edit.seq > firstConflict) continue;
        const covered = conflicts.some(
            (conflict) =>
                conflict.seq > edit.seq &&
                (descends(conflict.salesforceValue, edit.value) ||
                    descends(conflict.clmValue, edit.value) ||
                    (edit.side === 'clm' && conflict.clmValue === null))
        );
        if (covered) continue;
        const concurrent = edits.filter(
            (other) => other !== edit && !descends(other.value, edit.value) && !descends(edit.value, other.value)
        );
        const what = `${where}: ${edit.side} edit ${edit.value} lost (Salesforce holds ${finalSalesforce}, CLM ${finalClm})`;
        const fromOtherSide = concurrent.filter((other) => other.side !== edit.side);
        switch (field.direction === 'Bidirectional' ? field.policy : undefined) {
            case 'SalesforceWins':
                if (edit.side === 'clm' && fromOtherSide.length > 0) continue;
                break;
            case 'ClmWins':
                if (edit.side === 'salesforce' && fromOtherSide.length > 0) continue;
                break;
            case 'NewestWins':
                if (fromOtherSide.some((other) => other.at > edit.at)) continue;
                break;
            case 'Manual':
                if (concurrent.length > 0) {
                    verdict.conflictsMissed.push(
                        `${what}, concurrent with ${concurrent.map((o) => o.value).join(', ')}, no conflict`
                    );
                    continue;
                }
                break;
            default:
                break;
        }
        verdict.lost.push(what);
    }
}
