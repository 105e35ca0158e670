// WHERE evaluation. soql-parser-js returns conditions as a right-leaning chain with parenthesis counts;
// this rebuilds the boolean tree (NOT > AND > OR) and evaluates it against rows.
import { SfError } from '../errors.ts';
import { parseDateTime } from '../clock.ts';
import type { FieldDef } from '../schema/types.ts';

export interface Condition {
    field?: string;
    fn?: unknown;
    operator: string;
    value?: string | string[];
    literalType?: string | string[];
    dateLiteralVariable?: number | number[];
    openParen?: number;
    closeParen?: number;
    /** A semi-join: `Id IN (SELECT AccountId FROM Opportunity …)`. */
    valueQuery?: unknown;
}
interface ChainNode {
    left?: Condition | null;
    operator?: string;
    right?: ChainNode | null;
}

export type BoolExpr =
    { kind: 'and' | 'or'; items: BoolExpr[] } | { kind: 'not'; item: BoolExpr } | { kind: 'cond'; cond: Condition };

type Token = '(' | ')' | 'AND' | 'OR' | 'NOT' | Condition;

function tokens(node: ChainNode | null | undefined, out: Token[] = []): Token[] {
    if (!node) return out;
    const left = node.left;
    if (left) {
        for (let i = 0; i < (left.openParen ?? 0); i++) out.push('(');
        if (left.field !== undefined || left.fn !== undefined) out.push(left);
        for (let i = 0; i < (left.closeParen ?? 0); i++) out.push(')');
    }
    if (node.operator) out.push(node.operator.toUpperCase() as Token);
    return tokens(node.right, out);
}

export function buildWhere(where: unknown): BoolExpr | undefined {
    if (!where) return undefined;
    const list = tokens(where as ChainNode);
    let pos = 0;
    const malformed = () => new SfError(400, 'MALFORMED_QUERY', 'unexpected token in WHERE clause');
    const parseOr = (): BoolExpr => {
        const items = [parseAnd()];
        while (list[pos] === 'OR') {
            pos++;
            items.push(parseAnd());
        }
        return items.length === 1 ? items[0]! : { kind: 'or', items };
    };
    const parseAnd = (): BoolExpr => {
        const items = [parseUnary()];
        while (list[pos] === 'AND') {
            pos++;
            items.push(parseUnary());
        }
        return items.length === 1 ? items[0]! : { kind: 'and', items };
    };
    const parseUnary = (): BoolExpr => {
        const t = list[pos++];
        if (t === 'NOT') return { kind: 'not', item: parseUnary() };
        if (t === '(') {
            const inner = parseOr();
            if (list[pos++] !== ')') throw malformed();
            return inner;
        }
        if (t && typeof t === 'object') return { kind: 'cond', cond: t };
        throw malformed();
    };
    const expr = parseOr();
    if (pos !== list.length) throw malformed();
    return expr;
}

// ---- literals -------------------------------------------------------------------------------------------

export type Literal =
    | { kind: 'null' }
    | { kind: 'string'; value: string }
    | { kind: 'number'; value: number }
    | { kind: 'boolean'; value: boolean }
    | { kind: 'date'; value: string }
    | { kind: 'datetime'; value: number }
    | { kind: 'range'; start: number; end: number };

function unquote(text: string): string {
    return text
        .slice(1, -1)
        .replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' })[c] ?? c);
}

const DAY = 86_400_000;
function startOfDay(ms: number): number {
    return Math.floor(ms / DAY) * DAY;
}
function monthStart(y: number, m: number): number {
    return Date.UTC(y, m, 1);
}

/** Range [start, end) in UTC ms for a date literal such as TODAY or LAST_N_DAYS:30. */
export function dateLiteralRange(literal: string, nowMs: number): { start: number; end: number } {
    const [name, nText] = literal.toUpperCase().split(':');
    const n = nText === undefined ? 0 : Number(nText);
    const today = startOfDay(nowMs);
    const d = new Date(today);
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth();
    const weekStart = today - d.getUTCDay() * DAY;
    const q = Math.floor(m / 3) * 3;
    switch (name) {
        case 'YESTERDAY':
            return { start: today - DAY, end: today };
        case 'TODAY':
            return { start: today, end: today + DAY };
        case 'TOMORROW':
            return { start: today + DAY, end: today + 2 * DAY };
        case 'LAST_WEEK':
            return { start: weekStart - 7 * DAY, end: weekStart };
        case 'THIS_WEEK':
            return { start: weekStart, end: weekStart + 7 * DAY };
        case 'NEXT_WEEK':
            return { start: weekStart + 7 * DAY, end: weekStart + 14 * DAY };
        case 'LAST_MONTH':
            return { start: monthStart(y, m - 1), end: monthStart(y, m) };
        case 'THIS_MONTH':
            return { start: monthStart(y, m), end: monthStart(y, m + 1) };
        case 'NEXT_MONTH':
            return { start: monthStart(y, m + 1), end: monthStart(y, m + 2) };
        case 'LAST_90_DAYS':
            return { start: today - 90 * DAY, end: today + DAY };
        case 'NEXT_90_DAYS':
            return { start: today + DAY, end: today + 91 * DAY };
        case 'THIS_QUARTER':
            return { start: monthStart(y, q), end: monthStart(y, q + 3) };
        case 'LAST_QUARTER':
            return { start: monthStart(y, q - 3), end: monthStart(y, q) };
        case 'NEXT_QUARTER':
            return { start: monthStart(y, q + 3), end: monthStart(y, q + 6) };
        case 'THIS_YEAR':
            return { start: Date.UTC(y, 0, 1), end: Date.UTC(y + 1, 0, 1) };
        case 'LAST_YEAR':
            return { start: Date.UTC(y - 1, 0, 1), end: Date.UTC(y, 0, 1) };
        case 'NEXT_YEAR':
            return { start: Date.UTC(y + 1, 0, 1), end: Date.UTC(y + 2, 0, 1) };
        case 'LAST_N_DAYS':
            return { start: today - n * DAY, end: today + DAY };
        case 'NEXT_N_DAYS':
            return { start: today + DAY, end: today + (n + 1) * DAY };
        case 'N_DAYS_AGO':
            return { start: today - n * DAY, end: today - (n - 1) * DAY };
        case 'LAST_N_WEEKS':
            return { start: weekStart - n * 7 * DAY, end: weekStart };
        case 'NEXT_N_WEEKS':
            return { start: weekStart + 7 * DAY, end: weekStart + (n + 1) * 7 * DAY };
        case 'LAST_N_MONTHS':
            return { start: monthStart(y, m - n), end: monthStart(y, m) };
        case 'NEXT_N_MONTHS':
            return { start: monthStart(y, m + 1), end: monthStart(y, m + 1 + n) };
        default:
            throw new SfError(400, 'MALFORMED_QUERY', `unexpected date literal: ${literal}`);
    }
}

export function parseLiteral(raw: string, literalType: string, nowMs: number): Literal {
    switch (literalType) {
        case 'NULL':
            return { kind: 'null' };
        case 'STRING':
            return { kind: 'string', value: unquote(raw) };
        case 'INTEGER':
        case 'DECIMAL':
        case 'INTEGER_WITH_CURRENCY_PREFIX':
        case 'DECIMAL_WITH_CURRENCY_PREFIX':
            return { kind: 'number', value: Number(raw.replace(/^[A-Z]{3}/, '')) };
        case 'BOOLEAN':
            return { kind: 'boolean', value: raw.toUpperCase() === 'TRUE' };
        case 'DATE':
            return { kind: 'date', value: raw };
        case 'DATETIME': {
            const ms = parseDateTime(raw);
            if (ms === undefined) throw new SfError(400, 'MALFORMED_QUERY', `invalid datetime literal: ${raw}`);
            return { kind: 'datetime', value: ms };
        }
        case 'DATE_LITERAL':
        case 'DATE_N_LITERAL':
            return { kind: 'range', ...dateLiteralRange(raw, nowMs) };
        default:
            throw new SfError(400, 'MALFORMED_QUERY', `unsupported literal ${raw}`);
    }
}

// ---- comparison ---------------------------------------------------------------------------------------

function likeRegex(pattern: string): RegExp {
    const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, (c) => (c === '\\' ? '\\\\' : `\\${c}`));
    return new RegExp(`^${escaped.replace(/%/g, '.*').replace(/_/g, '.')}$`, 'is');
}

function asMs(field: FieldDef, value: unknown): number | undefined {
    if (value === null || value === undefined) return undefined;
    if (field.type === 'date') return Date.parse(`${String(value)}T00:00:00Z`);
    return parseDateTime(String(value));
}

/** Compares a stored value with a literal: negative, zero, positive, or undefined when incomparable. */
function compare(field: FieldDef, value: unknown, lit: Literal): number | undefined {
    if (value === null || value === undefined || lit.kind === 'null') return undefined;
    switch (lit.kind) {
        case 'string': {
            if (field.type === 'id' || field.type === 'reference') {
                const a = String(value).slice(0, 15);
                const b = lit.value.slice(0, 15);
                return a === b ? 0 : a < b ? -1 : 1;
            }
            const a = String(value).toLowerCase();
            const b = lit.value.toLowerCase();
            return a === b ? 0 : a < b ? -1 : 1;
        }
        case 'number':
            return Number(value) - lit.value;
        case 'boolean':
            return value === lit.value ? 0 : 1;
        case 'date':
        case 'datetime': {
            const a = asMs(field, value);
            const b = lit.kind === 'date' ? Date.parse(`${lit.value}T00:00:00Z`) : lit.value;
            return a === undefined ? undefined : a - b;
        }
        default:
            return undefined;
    }
}

export function matchCondition(field: FieldDef, value: unknown, operator: string, literals: Literal[]): boolean {
    const op = operator.toUpperCase();
    const lit = literals[0] ?? { kind: 'null' };
    if (op === 'IN' || op === 'NOT IN') {
        const hit = literals.some((l) =>
            l.kind === 'null' ? value === null || value === undefined : compare(field, value, l) === 0
        );
        return op === 'IN' ? hit : !hit;
    }
    if (op === 'INCLUDES' || op === 'EXCLUDES') {
        const have = new Set(
            String(value ?? '')
                .split(';')
                .map((s) => s.toLowerCase())
        );
        const hit = literals.some(
            (l) => l.kind === 'string' && l.value.split(';').every((v) => have.has(v.toLowerCase()))
        );
        return op === 'INCLUDES' ? hit : !hit;
    }
    if (lit.kind === 'null') {
        const isNull = value === null || value === undefined;
        if (op === '=') return isNull;
        if (op === '!=' || op === '<>') return !isNull;
        return false;
    }
    if (op === 'LIKE')
        return (
            value !== null && value !== undefined && lit.kind === 'string' && likeRegex(lit.value).test(String(value))
        );
    if (lit.kind === 'range') {
        const ms = asMs(field, value);
        if (ms === undefined) return op === '!=' || op === '<>';
        switch (op) {
            case '=':
                return ms >= lit.start && ms < lit.end;
            case '!=':
            case '<>':
                return ms < lit.start || ms >= lit.end;
            case '<':
                return ms < lit.start;
            case '<=':
                return ms < lit.end;
            case '>':
                return ms >= lit.end;
            case '>=':
                return ms >= lit.start;
        }
        return false;
    }
    const c = compare(field, value, lit);
    if (c === undefined) return op === '!=' || op === '<>';
    switch (op) {
        case '=':
            return c === 0;
        case '!=':
        case '<>':
            return c !== 0;
        case '<':
            return c < 0;
        case '<=':
            return c <= 0;
        case '>':
            return c > 0;
        case '>=':
            return c >= 0;
    }
    throw new SfError(400, 'MALFORMED_QUERY', `unsupported operator ${operator}`);
}
