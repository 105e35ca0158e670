/**
 * Value transforms between Salesforce field values and canonical CLM values.
 * Each transform is data (a zod discriminated union) so rules can live in custom metadata; the functions here
 * apply them. Every failure is a ConnectorError with a TRANSFORM.* code naming the field and the value.
 */
import { z } from 'zod';
import { Address, IsoDate, IsoDateTime, LIFECYCLES, Money, SIGNATURE_STATES, type ClmValueKind } from './clm.ts';
import { ConnectorError, describeValue } from './errors.ts';
import { formatDecimal, integerDigits, normalizeDecimal, numberToDecimalText, parseDecimal } from './decimal.ts';
import { salesforceInstantMs, type SalesforceField } from './salesforce.ts';
import { isValidTimeZone, localDate, zonedMidnight } from './timeZones.ts';

export { isValidTimeZone, localDate, zonedMidnight } from './timeZones.ts';
export { checkClmValue } from './clmValueCheck.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const TimeZone = z.string().refine(isValidTimeZone, 'an IANA time zone such as Europe/Berlin');

export const Transform = z.discriminatedUnion('kind', [
    /** Same value, checked against both types (length, scale, format). */
    z.object({ kind: z.literal('copy') }),
    /** Dates and date-times; converting between a date and an instant needs an explicit IANA time zone. */
    z.object({ kind: z.literal('date'), timeZone: TimeZone.optional() }),
    /**
     * Money: an amount field plus its currency. With `currencyField` the ISO 4217 code lives in that Salesforce
     * field (read with the amount, written with it); without, the org's single currency applies and a CLM
     * value in another currency is refused — a currency is never guessed or converted.
     */
    z.object({ kind: z.literal('money'), currencyField: z.string().min(1).optional() }),
    /** A compound address (e.g. BillingAddress) to and from its flat component fields. */
    z.object({ kind: z.literal('address') }),
    /** A multi-select picklist ("a;b;c") to and from a list of strings. */
    z.object({ kind: z.literal('multiPicklist') }),
    /** Picklist values mapped one to one: Salesforce value → CLM value. */
    z.object({ kind: z.literal('picklistMap'), map: z.record(z.string(), z.string()) }),
    /** Canonical lifecycle or signature state → Salesforce picklist value (identity where not mapped). */
    z.object({ kind: z.literal('statusMap'), map: z.record(z.string(), z.string()).optional() })
]);
export type Transform = z.infer<typeof Transform>;

export interface TransformContext {
    /** The org's currency when it is not multi-currency (from the org's Organization record or config). */
    orgCurrency?: string;
}

/** What a transform needs to know about the two ends of a rule. */
export interface TransformTarget {
    rule: string;
    sfObject: string;
    sfField: string;
    sf: SalesforceField;
    clmField: string;
    clmKind: ClmValueKind;
}

function fail(code: string, target: TransformTarget, message: string, value: unknown): never {
    throw new ConnectorError(code, `${target.rule} (${target.sfObject}.${target.sfField}): ${message}`, {
        rule: target.rule,
        field: `${target.sfObject}.${target.sfField}`,
        clmField: target.clmField,
        value: describeValue(value)
    });
}

/** The Salesforce fields a rule reads from a record (compound and money rules read more than one). */
export function salesforceSourceFields(
    transform: Transform,
    target: Pick<TransformTarget, 'sfField' | 'sf'>
): string[] {
    if (transform.kind === 'address' && target.sf.components) return Object.values(target.sf.components);
    if (transform.kind === 'money' && transform.currencyField) return [target.sfField, transform.currencyField];
    return [target.sfField];
}

// ---------------------------------------------------------------------------------------------------------------
// Salesforce → canonical
// ---------------------------------------------------------------------------------------------------------------

export function toCanonical(
    transform: Transform,
    target: TransformTarget,
    values: Readonly<Record<string, unknown>>,
    context: TransformContext
): Json {
    const raw = values[target.sfField];
    switch (transform.kind) {
        case 'copy':
            return copyToCanonical(target, raw);
        case 'date':
            return dateToCanonical(target, raw, transform.timeZone);
        case 'money': {
            if (raw === null || raw === undefined || raw === '') return null;
            const amount = normalizeDecimal(decimalText(target, raw), `${target.sfObject}.${target.sfField}`);
            const currency = transform.currencyField ? values[transform.currencyField] : context.orgCurrency;
            if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) {
                fail(
                    'TRANSFORM.CURRENCY_UNKNOWN',
                    target,
                    transform.currencyField
                        ? `currency field ${transform.currencyField} holds ${describeValue(currency)}, not an ISO 4217 code`
                        : 'no currency: set the org currency or a currencyField on the rule',
                    currency
                );
            }
            return { amount, currency };
        }
        case 'address': {
            const parts = target.sf.components;
            if (!parts) fail('TRANSFORM.TYPE_MISMATCH', target, 'address transform on a field without components', raw);
            const address = {
                street: emptyToNull(values[parts.street]),
                city: emptyToNull(values[parts.city]),
                state: emptyToNull(values[parts.state]),
                postalCode: emptyToNull(values[parts.postalCode]),
                country: emptyToNull(values[parts.country])
            };
            return Object.values(address).every((part) => part === null) ? null : address;
        }
        case 'multiPicklist': {
            if (raw === null || raw === undefined || raw === '') return [];
            if (typeof raw !== 'string') fail('TRANSFORM.TYPE_MISMATCH', target, 'expected a semicolon list', raw);
            return [
                ...new Set(
                    raw
                        .split(';')
                        .map((part) => part.trim())
                        .filter((part) => part.length > 0)
                )
            ];
        }
        case 'picklistMap': {
            if (raw === null || raw === undefined || raw === '') return null;
            const mapped = typeof raw === 'string' ? transform.map[raw] : undefined;
            if (mapped === undefined) {
                fail(
                    'TRANSFORM.UNKNOWN_PICKLIST_VALUE',
                    target,
                    `no CLM value is mapped for ${describeValue(raw)}`,
                    raw
                );
            }
            return mapped;
        }
        case 'statusMap': {
            if (raw === null || raw === undefined || raw === '') return null;
            const canonicalValues: readonly string[] = target.clmKind === 'signature' ? SIGNATURE_STATES : LIFECYCLES;
            const reverse = Object.entries(transform.map ?? {}).find(([, sfValue]) => sfValue === raw)?.[0];
            const canonical = reverse ?? raw;
            if (typeof canonical !== 'string' || !canonicalValues.includes(canonical)) {
                fail(
                    'TRANSFORM.UNKNOWN_PICKLIST_VALUE',
                    target,
                    `${describeValue(raw)} maps to no ${target.clmKind}`,
                    raw
                );
            }
            return canonical;
        }
    }
}

function copyToCanonical(target: TransformTarget, raw: unknown): Json {
    if (raw === undefined || raw === null || raw === '') return null;
    switch (target.clmKind) {
        case 'string':
        case 'email':
            if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
                fail('TRANSFORM.TYPE_MISMATCH', target, 'expected a text value', raw);
            }
            return String(raw);
        case 'integer': {
            const text = decimalText(target, raw);
            if (!/^-?\d+(\.0+)?$/.test(text)) fail('TRANSFORM.TYPE_MISMATCH', target, 'expected a whole number', raw);
            return Number(text.split('.')[0]);
        }
        case 'decimal':
            return normalizeDecimal(decimalText(target, raw), `${target.sfObject}.${target.sfField}`);
        case 'boolean':
            if (typeof raw !== 'boolean') fail('TRANSFORM.TYPE_MISMATCH', target, 'expected true or false', raw);
            return raw;
        case 'date':
            return checkedDate(target, raw);
        case 'datetime':
            return checkedInstant(target, raw);
        default:
            return fail('TRANSFORM.TYPE_MISMATCH', target, `copy cannot produce a ${target.clmKind}`, raw);
    }
}

function dateToCanonical(target: TransformTarget, raw: unknown, timeZone: string | undefined): Json {
    if (raw === undefined || raw === null || raw === '') return null;
    const sfIsDate = target.sf.type === 'date';
    if (target.clmKind === 'date') {
        if (sfIsDate) return checkedDate(target, raw);
        return localDate(checkedInstant(target, raw), requireZone(target, timeZone));
    }
    if (sfIsDate) return zonedMidnight(checkedDate(target, raw), requireZone(target, timeZone));
    return checkedInstant(target, raw);
}

// ---------------------------------------------------------------------------------------------------------------
// canonical → Salesforce
// ---------------------------------------------------------------------------------------------------------------

/** The Salesforce field values a canonical value is written as (one or several fields). */
export function toSalesforce(
    transform: Transform,
    target: TransformTarget,
    value: Json,
    context: TransformContext
): Record<string, string | number | boolean | null> {
    switch (transform.kind) {
        case 'copy':
            return { [target.sfField]: copyToSalesforce(target, value) };
        case 'date': {
            if (value === null) return { [target.sfField]: null };
            const sfIsDate = target.sf.type === 'date';
            if (target.clmKind === 'date') {
                const day = checkedDate(target, value);
                return {
                    [target.sfField]: sfIsDate ? day : zonedMidnight(day, requireZone(target, transform.timeZone))
                };
            }
            const instant = checkedInstant(target, value);
            return {
                [target.sfField]: sfIsDate ? localDate(instant, requireZone(target, transform.timeZone)) : instant
            };
        }
        case 'money': {
            if (value === null) {
                return transform.currencyField
                    ? { [target.sfField]: null, [transform.currencyField]: null }
                    : { [target.sfField]: null };
            }
            const parsed = Money.safeParse(value);
            if (!parsed.success) fail('TRANSFORM.TYPE_MISMATCH', target, 'expected {amount, currency}', value);
            const money = parsed.data;
            if (!transform.currencyField && money.currency !== context.orgCurrency) {
                fail(
                    'TRANSFORM.CURRENCY_MISMATCH',
                    target,
                    context.orgCurrency
                        ? `the CLM value is in ${money.currency} but the org's currency is ${context.orgCurrency}`
                        : 'no org currency configured to check the CLM currency against',
                    value
                );
            }
            const amount = numberForSalesforce(target, money.amount);
            return transform.currencyField
                ? { [target.sfField]: amount, [transform.currencyField]: money.currency }
                : { [target.sfField]: amount };
        }
        case 'address': {
            const parts = target.sf.components;
            if (!parts)
                fail('TRANSFORM.TYPE_MISMATCH', target, 'address transform on a field without components', value);
            if (value === null) {
                return Object.fromEntries(Object.values(parts).map((field) => [field, null]));
            }
            const parsed = Address.safeParse(value);
            if (!parsed.success) fail('TRANSFORM.TYPE_MISMATCH', target, 'expected an address', value);
            const out: Record<string, string | null> = {};
            for (const [part, field] of Object.entries(parts) as [keyof Address, string][]) {
                out[field] = emptyToNull(parsed.data[part]);
            }
            return out;
        }
        case 'multiPicklist': {
            if (value === null) return { [target.sfField]: null };
            if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
                fail('TRANSFORM.TYPE_MISMATCH', target, 'expected a list of strings', value);
            }
            const items = value as string[];
            for (const item of items) {
                if (item.includes(';'))
                    fail('TRANSFORM.INVALID_VALUE', target, `${describeValue(item)} contains ";"`, item);
                checkPicklistValue(target, item);
            }
            return { [target.sfField]: items.length === 0 ? null : [...new Set(items)].join(';') };
        }
        case 'picklistMap': {
            if (value === null) return { [target.sfField]: null };
            const sfValue = Object.entries(transform.map).find(([, clmValue]) => clmValue === value)?.[0];
            if (sfValue === undefined) {
                fail(
                    'TRANSFORM.UNKNOWN_PICKLIST_VALUE',
                    target,
                    `no Salesforce value is mapped for ${describeValue(value)}`,
                    value
                );
            }
            checkPicklistValue(target, sfValue);
            return { [target.sfField]: sfValue };
        }
        case 'statusMap': {
            if (value === null) return { [target.sfField]: null };
            const canonicalValues: readonly string[] = target.clmKind === 'signature' ? SIGNATURE_STATES : LIFECYCLES;
            if (typeof value !== 'string' || !canonicalValues.includes(value)) {
                fail(
                    'TRANSFORM.UNKNOWN_PICKLIST_VALUE',
                    target,
                    `${describeValue(value)} is not a ${target.clmKind}`,
                    value
                );
            }
            const sfValue = transform.map?.[value] ?? value;
            checkPicklistValue(target, sfValue);
            return { [target.sfField]: sfValue };
        }
    }
}

function copyToSalesforce(target: TransformTarget, value: Json): string | number | boolean | null {
    if (value === null) return null;
    const sf = target.sf;
    switch (sf.type) {
        case 'string':
        case 'textarea':
        case 'url':
        case 'email':
        case 'phone': {
            if (typeof value !== 'string') fail('TRANSFORM.TYPE_MISMATCH', target, 'expected text', value);
            if (sf.length !== undefined && value.length > sf.length) {
                fail(
                    'TRANSFORM.VALUE_TOO_LONG',
                    target,
                    `${value.length} characters exceed the field's ${sf.length}`,
                    value
                );
            }
            return value;
        }
        case 'picklist':
            if (typeof value !== 'string') fail('TRANSFORM.TYPE_MISMATCH', target, 'expected a picklist value', value);
            checkPicklistValue(target, value);
            return value;
        case 'int':
        case 'double':
        case 'percent':
        case 'currency':
            return numberForSalesforce(target, decimalText(target, value));
        case 'boolean':
            if (typeof value !== 'boolean') fail('TRANSFORM.TYPE_MISMATCH', target, 'expected true or false', value);
            return value;
        case 'date':
            return checkedDate(target, value);
        case 'datetime':
            return checkedInstant(target, value);
        default:
            return fail('TRANSFORM.TYPE_MISMATCH', target, `copy cannot write a ${sf.type} field`, value);
    }
}

/** A decimal string rounded to the field's scale, as the JSON number Salesforce takes, without silent loss. */
function numberForSalesforce(target: TransformTarget, amount: string): number {
    const scale = target.sf.scale ?? 0;
    const rounded = formatDecimal(amount, scale, `${target.sfObject}.${target.sfField}`);
    const precision = target.sf.precision;
    if (precision !== undefined && integerDigits(rounded) > precision - scale) {
        fail(
            'TRANSFORM.NUMBER_TOO_LARGE',
            target,
            `${amount} has more than ${precision - scale} digits before the point`,
            amount
        );
    }
    const number = Number(rounded);
    if (formatDecimal(numberToDecimalText(number, target.sfField), scale, target.sfField) !== rounded) {
        fail('TRANSFORM.PRECISION_LOSS', target, `${amount} cannot be sent as a number without losing digits`, amount);
    }
    return number;
}

function checkPicklistValue(target: TransformTarget, value: string): void {
    const picklist = target.sf.picklist;
    if (picklist?.restricted && !picklist.values.includes(value)) {
        fail(
            'TRANSFORM.PICKLIST_VALUE_REJECTED',
            target,
            `${describeValue(value)} is not a value of this restricted picklist`,
            value
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// dates and time zones
// ---------------------------------------------------------------------------------------------------------------

function requireZone(target: TransformTarget, timeZone: string | undefined): string {
    if (!timeZone) {
        fail(
            'TRANSFORM.TIME_ZONE_REQUIRED',
            target,
            'converting between a date and a date-time needs a timeZone',
            null
        );
    }
    return timeZone;
}

function checkedDate(target: TransformTarget, raw: unknown): string {
    if (typeof raw !== 'string' || !IsoDate.safeParse(raw).success || Number.isNaN(Date.parse(`${raw}T00:00:00Z`))) {
        fail('TRANSFORM.INVALID_DATE', target, `${describeValue(raw)} is not an ISO 8601 date`, raw);
    }
    const [year, month, day] = raw.split('-').map(Number) as [number, number, number];
    const check = new Date(Date.UTC(year, month - 1, day));
    if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
        fail('TRANSFORM.INVALID_DATE', target, `${raw} is not a calendar date`, raw);
    }
    return raw;
}

/** Normalises a zoned ISO date-time to UTC with millisecond precision (Salesforce's form). */
function checkedInstant(target: TransformTarget, raw: unknown): string {
    // Salesforce writes +0000 without a colon; both forms are ISO 8601.
    if (typeof raw !== 'string' || !IsoDateTime.safeParse(raw).success) {
        fail('TRANSFORM.INVALID_DATE', target, `${describeValue(raw)} is not an ISO 8601 date-time with a zone`, raw);
    }
    const time = salesforceInstantMs(raw) ?? Number.NaN;
    if (Number.isNaN(time)) fail('TRANSFORM.INVALID_DATE', target, `${raw} is not a valid instant`, raw);
    return new Date(time).toISOString();
}

function decimalText(target: TransformTarget, raw: unknown): string {
    const field = `${target.sfObject}.${target.sfField}`;
    if (typeof raw === 'number') return numberToDecimalText(raw, field);
    if (typeof raw === 'string') {
        parseDecimal(raw, field);
        return raw.trim();
    }
    return fail('TRANSFORM.TYPE_MISMATCH', target, 'expected a number', raw);
}

function emptyToNull(value: unknown): string | null {
    if (value === undefined || value === null) return null;
    const text = String(value).trim();
    return text.length === 0 ? null : text;
}
