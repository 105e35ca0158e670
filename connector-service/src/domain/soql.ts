/**
 * The one place SOQL is written. Every statement the connector sends is built here: identifiers are checked
 * against the API-name grammar, ids are validated (15/18 characters, the 18-character checksum, the expected key
 * prefix) and strings are escaped — so a value that came from the CLM never reaches SOQL as code.
 */
import { ConnectorError, describeValue } from './errors.ts';
import { KEY_PREFIXES } from './salesforce.ts';

declare const soqlBrand: unique symbol;
/** A statement built by this module (the Salesforce port accepts nothing else). */
export type Soql = string & { readonly [soqlBrand]: true };

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*(?:__(?:c|r|mdt|e|x|b|kav|ChangeEvent))?$/;
const CHECKSUM_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

export function assertIdentifier(name: string, what = 'field'): string {
    const parts = name.split('.');
    if (parts.length === 0 || parts.some((part) => !IDENTIFIER.test(part) || part.length > 80)) {
        throw new ConnectorError('SF.INVALID_IDENTIFIER', `${describeValue(name)} is not a valid ${what} API name`, {
            what,
            value: describeValue(name)
        });
    }
    return name;
}

function checksum(id15: string): string {
    let suffix = '';
    for (let chunk = 0; chunk < 3; chunk += 1) {
        let bits = 0;
        for (let index = 0; index < 5; index += 1) {
            const char = id15[chunk * 5 + index]!;
            if (char >= 'A' && char <= 'Z') bits |= 1 << index;
        }
        suffix += CHECKSUM_ALPHABET[bits];
    }
    return suffix;
}

/** Converts a valid 15- or 18-character id to its 18-character form. */
export function to18(id: string): string {
    return id.length === 18 ? id : id + checksum(id);
}

/**
 * Validates a Salesforce record id: 15 or 18 alphanumerics, a correct checksum on 18, and — when the object is
 * known — its key prefix. Throws SF.INVALID_ID naming the value.
 */
export function assertRecordId(id: unknown, sfObject?: string): string {
    const fail = (why: string): never => {
        throw new ConnectorError(
            'SF.INVALID_ID',
            `${describeValue(id)} is not a valid ${sfObject ?? 'record'} id: ${why}`,
            {
                object: sfObject,
                value: describeValue(id)
            }
        );
    };
    if (typeof id !== 'string' || !/^[a-zA-Z0-9]{15}(?:[A-Z0-5]{3})?$/.test(id))
        return fail('expected 15 or 18 letters and digits');
    if (id.length === 18 && checksum(id.slice(0, 15)) !== id.slice(15))
        return fail('the 18-character checksum does not match');
    const prefix = sfObject ? KEY_PREFIXES[sfObject] : undefined;
    if (prefix && !id.startsWith(prefix)) return fail(`a ${sfObject} id starts with ${prefix}`);
    return id;
}

const ESCAPES: Record<string, string> = {
    '\\': '\\\\',
    "'": "\\'",
    '"': '\\"',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    '\b': '\\b',
    '\f': '\\f'
};

function escapeContent(value: string, likeLiteral: boolean): string {
    let out = '';
    for (const char of value) {
        if (likeLiteral && (char === '%' || char === '_')) out += `\\${char}`;
        else out += ESCAPES[char] ?? char;
    }
    return out;
}

/** A SOQL string literal: backslash escapes for quotes, backslashes and control characters. */
export function quote(value: string): string {
    return `'${escapeContent(value, false)}'`;
}

/** A LIKE pattern that matches `value` literally (its % and _ escaped), as an exact, prefix or contains match. */
export function likePattern(value: string, mode: 'exact' | 'prefix' | 'contains' = 'exact'): string {
    const literal = escapeContent(value, true);
    return `'${mode === 'contains' ? '%' : ''}${literal}${mode === 'exact' ? '' : '%'}'`;
}

type Literal = string | number | boolean | null | Date;

function literal(value: Literal): string {
    if (value === null) return 'null';
    if (typeof value === 'boolean') return value ? 'true' : 'false';
    if (typeof value === 'number') {
        if (!Number.isFinite(value))
            throw new ConnectorError('SF.INVALID_VALUE', `${value} is not a finite number`, { value: String(value) });
        return String(value);
    }
    if (value instanceof Date) return value.toISOString();
    return quote(value);
}

type Condition = { sql: string };
type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** Conditions for `where`: each checks its identifier and renders its value safely. */
export const where = {
    eq: (field: string, value: Literal): Condition => compare(field, '=', value),
    ne: (field: string, value: Literal): Condition => compare(field, '!=', value),
    gt: (field: string, value: Literal): Condition => compare(field, '>', value),
    gte: (field: string, value: Literal): Condition => compare(field, '>=', value),
    lt: (field: string, value: Literal): Condition => compare(field, '<', value),
    like: (field: string, value: string, mode: 'exact' | 'prefix' | 'contains' = 'contains'): Condition => ({
        sql: `${assertIdentifier(field)} LIKE ${likePattern(value, mode)}`
    }),
    idIn: (field: string, ids: readonly string[], sfObject?: string): Condition => {
        if (ids.length === 0)
            throw new ConnectorError('SF.EMPTY_ID_LIST', 'an IN list needs at least one id', { field });
        return {
            sql: `${assertIdentifier(field)} IN (${ids.map((id) => quote(assertRecordId(id, sfObject))).join(', ')})`
        };
    },
    in: (field: string, values: readonly Literal[]): Condition => {
        if (values.length === 0)
            throw new ConnectorError('SF.EMPTY_LIST', 'an IN list needs at least one value', { field });
        return { sql: `${assertIdentifier(field)} IN (${values.map(literal).join(', ')})` };
    },
    and: (...conditions: Condition[]): Condition => ({ sql: conditions.map((c) => `(${c.sql})`).join(' AND ') }),
    or: (...conditions: Condition[]): Condition => ({ sql: conditions.map((c) => `(${c.sql})`).join(' OR ') })
};

function compare(field: string, operator: Operator, value: Literal): Condition {
    return { sql: `${assertIdentifier(field)} ${operator} ${literal(value)}` };
}

export interface SelectOptions {
    where?: Condition;
    orderBy?: { field: string; direction?: 'ASC' | 'DESC' }[];
    limit?: number;
}

/** SELECT fields FROM object [WHERE …] [ORDER BY …] [LIMIT n]. */
export function select(fields: readonly string[], sfObject: string, options: SelectOptions = {}): Soql {
    if (fields.length === 0)
        throw new ConnectorError('SF.EMPTY_FIELD_LIST', 'a query needs at least one field', { object: sfObject });
    let sql = `SELECT ${[...new Set(fields)].map((field) => assertIdentifier(field)).join(', ')} FROM ${assertIdentifier(sfObject, 'object')}`;
    if (options.where) sql += ` WHERE ${options.where.sql}`;
    if (options.orderBy?.length) {
        sql += ` ORDER BY ${options.orderBy.map((order) => `${assertIdentifier(order.field)} ${order.direction ?? 'ASC'}`).join(', ')}`;
    }
    if (options.limit !== undefined) {
        if (!Number.isInteger(options.limit) || options.limit < 1) {
            throw new ConnectorError('SF.INVALID_LIMIT', `${options.limit} is not a positive whole number`, {
                value: options.limit
            });
        }
        sql += ` LIMIT ${options.limit}`;
    }
    return sql as Soql;
}
