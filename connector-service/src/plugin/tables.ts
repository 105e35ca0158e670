/** Table layouts shared by the commands (the human output; `--json` prints the result instead). */
import type { AuditResult, RuleProblemResult } from './results.ts';

export function problemTable(problems: readonly RuleProblemResult[]) {
    return {
        title: 'Rule problems',
        data: problems.map((p) => ({ rule: p.rule, code: p.code, field: p.field ?? '', problem: p.message })),
        columns: [
            { key: 'rule' as const, name: 'Rule' },
            { key: 'code' as const, name: 'Code' },
            { key: 'field' as const, name: 'Field' },
            { key: 'problem' as const, name: 'Problem' }
        ],
        overflow: 'wrap' as const
    };
}

/** A value as one line of text: strings as they are, anything else as JSON. */
function shown(value: unknown): string {
    if (value === null || value === undefined) return '';
    return typeof value === 'string' ? value : JSON.stringify(value);
}

export function auditFieldTable(fields: readonly AuditResult['fields'][number][]) {
    return {
        title: 'Agreement per field',
        data: fields.map((f) => ({
            object: f.object,
            field: f.field,
            compared: f.compared,
            differing: f.differing,
            accuracy: `${(f.accuracy * 100).toFixed(2)} %`
        })),
        columns: [
            { key: 'object' as const, name: 'Object' },
            { key: 'field' as const, name: 'Field' },
            { key: 'compared' as const, name: 'Compared' },
            { key: 'differing' as const, name: 'Differ' },
            { key: 'accuracy' as const, name: 'Agree' }
        ]
    };
}

export function differenceTable(differences: readonly AuditResult['differences'][number][]) {
    return {
        title: `Differences (${differences.length})`,
        data: differences.map((d) => ({
            record: d.recordId,
            field: `${d.object}.${d.field}`,
            salesforce: shown(d.salesforceValue),
            clm: shown(d.clmValue)
        })),
        columns: [
            { key: 'record' as const, name: 'Record' },
            { key: 'field' as const, name: 'Field' },
            { key: 'salesforce' as const, name: 'Salesforce' },
            { key: 'clm' as const, name: 'CLM' }
        ],
        overflow: 'wrap' as const
    };
}

const CSV_COLUMNS = ['pairId', 'object', 'recordId', 'contractId', 'rule', 'field', 'clmField'] as const;

/** RFC 4180: a cell with a comma, quote or line break is quoted, quotes doubled. */
function csvCell(text: string): string {
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function differencesCsv(differences: readonly AuditResult['differences'][number][]): string {
    const header = [...CSV_COLUMNS, 'salesforceValue', 'clmValue', 'errorCode'];
    const rows = differences.map((d) =>
        [...CSV_COLUMNS.map((column) => d[column]), shown(d.salesforceValue), shown(d.clmValue), d.errorCode ?? '']
            .map(csvCell)
            .join(',')
    );
    return [header.join(','), ...rows].join('\n');
}

export interface FitColumn<K extends string> {
    key: K;
    name: string;
    /** Dropped first when the terminal is too narrow (higher drops earlier; absent: never dropped). */
    drop?: number;
    /** Cut to this many characters (ids, timestamps stay whole below it). */
    max?: number;
}

/** The table's width: the terminal's (OCLIF_TABLE_COLUMN_OVERRIDE first, as @oclif/table reads it), else 120. */
export function terminalWidth(): number {
    return Number.parseInt(process.env.OCLIF_TABLE_COLUMN_OVERRIDE ?? '', 10) || process.stdout.columns || 120;
}

/**
 * Widths for a table in `width` columns where `flex` (the message) takes what the others leave, never less than
 * `minFlex` (30, a third of a narrow terminal): @oclif/table otherwise squeezes the widest column first, which is the message. The other columns keep
 * their content's width (up to `max`); when the message would get less than `minFlex`, columns with a `drop` go,
 * highest first. Every column gets an explicit width so the table never exceeds `width`.
 */
export function fitColumns<R extends Record<string, string | number>, K extends keyof R & string = keyof R & string>(
    rows: readonly R[],
    columns: readonly FitColumn<K>[],
    flex: K,
    width = terminalWidth(),
    minFlex = Math.min(30, Math.floor(width / 3))
): { [P in K]: { key: P; name: string; width: number; overflow: 'wrap' } }[K][] {
    const natural = (column: FitColumn<K>) =>
        Math.min(
            Math.max(column.name.length, ...rows.map((row) => String(row[column.key]).length)),
            column.max ?? Number.POSITIVE_INFINITY
        ) + 2;
    let kept = [...columns];
    const flexWidth = () =>
        width - (kept.length + 1) - kept.filter((c) => c.key !== flex).reduce((sum, c) => sum + natural(c), 0);
    while (flexWidth() < minFlex) {
        const droppable = kept.filter((c) => c.drop !== undefined).sort((a, b) => b.drop! - a.drop!)[0];
        if (!droppable) break;
        kept = kept.filter((c) => c !== droppable);
    }
    const flexNatural = natural(columns.find((c) => c.key === flex)!);
    return kept.map(
        (column) =>
            ({
                key: column.key,
                name: column.name,
                width: column.key === flex ? Math.max(Math.min(flexNatural, flexWidth()), 5) : natural(column),
                overflow: 'wrap'
            }) as { [P in K]: { key: P; name: string; width: number; overflow: 'wrap' } }[K]
    );
}

/** `sf clm sync errors`: the message keeps its room; the correlation id, the queue and the attempts go first. */
export const SYNC_ERROR_COLUMNS = [
    { key: 'id', name: 'Id' },
    { key: 'kind', name: 'Queue', drop: 2 },
    { key: 'code', name: 'Code', max: 18 },
    { key: 'attempts', name: 'Attempts', drop: 1 },
    { key: 'state', name: 'State', max: 14 },
    { key: 'correlationId', name: 'Correlation id', drop: 3, max: 36 },
    { key: 'message', name: 'Message' }
] as const satisfies readonly FitColumn<string>[];

/** `sf clm sync status`: the subscriptions; the channel keeps its room, the lease holder goes first. */
export const SUBSCRIPTION_COLUMNS = [
    { key: 'channel', name: 'Channel' },
    { key: 'state', name: 'State' },
    { key: 'lastEventAt', name: 'Last event' },
    { key: 'replayId', name: 'Replay', max: 20 },
    { key: 'holder', name: 'Held by', drop: 1 }
] as const satisfies readonly FitColumn<string>[];
