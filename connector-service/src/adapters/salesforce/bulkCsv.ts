/**
 * The CSV of Bulk API 2.0 (RFC 4180, comma, LF): rows to upload and result pages to read. In an upload an empty
 * cell leaves the field alone and `#N/A` sets it to null; in query results an empty cell is null.
 */
import type { SalesforceValue } from '../../domain/index.ts';

export const BULK_NULL = '#N/A';

function cell(value: SalesforceValue | undefined): string {
    if (value === undefined) return '';
    if (value === null || value === '') return BULK_NULL;
    const text = String(value);
    return /[",\r\n]/.test(text) || text.trim() !== text ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A header of `columns` and one line per row; a column a row lacks is left empty (the field is left alone). */
export function toBulkCsv(columns: readonly string[], rows: readonly Record<string, SalesforceValue>[]): string {
    const lines = [columns.join(',')];
    for (const row of rows) lines.push(columns.map((column) => cell(row[column])).join(','));
    return `${lines.join('\n')}\n`;
}

/** Parses CSV text into rows of cells (quoted cells may hold commas, quotes and line breaks). */
export function parseCsv(text: string): string[][] {
    const rows: string[][] = [];
    let row: string[] = [];
    let value = '';
    let quoted = false;
    let index = text.charCodeAt(0) === 0xfeff ? 1 : 0;
    // Bounded: every step consumes at least one character.
    while (index < text.length) {
        const char = text[index]!;
        if (quoted) {
            if (char === '"' && text[index + 1] === '"') {
                value += '"';
                index += 2;
                continue;
            }
            if (char === '"') quoted = false;
            else value += char;
            index += 1;
            continue;
        }
        if (char === '"') quoted = true;
        else if (char === ',') {
            row.push(value);
            value = '';
        } else if (char === '\n' || char === '\r') {
            if (char === '\r' && text[index + 1] === '\n') index += 1;
            row.push(value);
            rows.push(row);
            row = [];
            value = '';
        } else value += char;
        index += 1;
    }
    if (value !== '' || row.length > 0) {
        row.push(value);
        rows.push(row);
    }
    return rows;
}

/** CSV text with a header row as records keyed by column; `emptyAsNull` turns empty cells into null. */
export function csvRecords(text: string, emptyAsNull: boolean): Record<string, string | null>[] {
    const [header, ...rows] = parseCsv(text);
    if (!header) return [];
    return rows.map((cells) =>
        Object.fromEntries(
            header.map((column, index) => {
                const raw = cells[index] ?? '';
                return [column, emptyAsNull && raw === '' ? null : raw];
            })
        )
    );
}
