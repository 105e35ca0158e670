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
