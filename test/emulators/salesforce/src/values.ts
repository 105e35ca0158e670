// Field values: coercion of what a client sends (JSON or CSV text) to the stored form, by describe type.
// Stored forms: strings; numbers; booleans; dates "yyyy-MM-dd"; datetimes "yyyy-MM-ddTHH:mm:ss.SSS+0000".
import { formatDateTime, parseDate, parseDateTime } from './clock.ts';
import { SfError } from './errors.ts';
import type { FieldDef } from './schema/types.ts';
import type { SfValue } from './store.ts';

const STRINGY = new Set([
    'string',
    'textarea',
    'picklist',
    'multipicklist',
    'combobox',
    'email',
    'phone',
    'url',
    'encryptedstring',
    'id',
    'reference',
    'base64'
]);
const NUMERIC = new Set(['int', 'long', 'double', 'currency', 'percent']);

function parserError(field: FieldDef, value: unknown): SfError {
    const shown = typeof value === 'string' ? value : JSON.stringify(value);
    const type = field.type === 'datetime' ? 'datetime' : field.type === 'int' ? 'int' : field.type;
    return new SfError(
        400,
        'JSON_PARSER_ERROR',
        `Cannot deserialize instance of ${type} from VALUE_STRING value ${shown} or request may be missing a required field`,
        [field.name]
    );
}

/** Converts a JSON value from a request body; throws JSON_PARSER_ERROR naming the field when it cannot. */
export function coerceInput(field: FieldDef, value: unknown): SfValue {
    if (value === null || value === undefined) return null;
    if (STRINGY.has(field.type)) {
        if (typeof value === 'string') return value;
        if (typeof value === 'number' || typeof value === 'boolean') return String(value);
        throw parserError(field, value);
    }
    if (NUMERIC.has(field.type)) {
        const n =
            typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
        if (!Number.isFinite(n)) throw parserError(field, value);
        if ((field.type === 'int' || field.type === 'long') && !Number.isInteger(n)) throw parserError(field, value);
        return n;
    }
    if (field.type === 'boolean') {
        if (typeof value === 'boolean') return value;
        if (value === 'true' || value === 'false') return value === 'true';
        throw parserError(field, value);
    }
    if (field.type === 'date') {
        const d = typeof value === 'string' ? parseDate(value) : undefined;
        if (!d) throw parserError(field, value);
        return d;
    }
    if (field.type === 'datetime') {
        const ms = typeof value === 'string' ? parseDateTime(value) : undefined;
        if (ms === undefined) throw parserError(field, value);
        return formatDateTime(ms);
    }
    if (field.type === 'time') {
        if (typeof value !== 'string' || !/^\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z?$/.test(value))
            throw parserError(field, value);
        return value;
    }
    throw parserError(field, value);
}

/** Converts a text value (CSV cell, metadata record value) to the stored form. Empty text is null. */
export function coerceStored(field: FieldDef, text: string): SfValue {
    if (text === '') return null;
    if (field.type === 'boolean') {
        const t = text.toLowerCase();
        if (t === 'true' || t === '1') return true;
        if (t === 'false' || t === '0') return false;
        throw parserError(field, text);
    }
    return coerceInput(field, text);
}

/** Text for a CSV cell (Bulk API results): null is empty, the rest as JSON would show it. */
export function toCsvText(value: unknown): string {
    if (value === null || value === undefined) return '';
    return String(value);
}
