/**
 * Value conversions both vendor adapters need: vendor money and dates into canonical form (failing
 * with CLM.VALIDATION naming the field rather than guessing), and Active/Expired derived from dates
 * when a vendor only says "signed" (research/clm-apis.md §3.1 rule 3).
 */
import { Address as AddressSchema, type Address, type ContractStatus, type Money } from '../../domain/clm.ts';
import { CLM_ERROR, clmError } from '../../ports/clm.ts';

export function vendorMoney(value: unknown, field: string): Money {
    if (!value || typeof value !== 'object') throw invalid(field, 'a money object with currency and amount');
    const { currency, amount } = value as { currency?: unknown; amount?: unknown };
    if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) {
        throw invalid(`${field}.currency`, 'an ISO 4217 currency code');
    }
    return { currency, amount: decimalText(amount, `${field}.amount`) };
}

/** A vendor number or numeric string as a decimal string; exponent notation and NaN are refused. */
export function decimalText(value: unknown, field: string): string {
    const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
    if (text === undefined || !/^-?\d+(\.\d+)?$/.test(text)) throw invalid(field, 'a decimal number');
    return text;
}

/** A vendor date or date-time as YYYY-MM-DD (the calendar date as written, no zone shift). */
export function vendorDate(value: unknown, field: string): string {
    if (typeof value !== 'string') throw invalid(field, 'a date string');
    const match = /^(\d{4}-\d{2}-\d{2})(T.*)?$/.exec(value.trim());
    if (!match || Number.isNaN(Date.parse(match[1]!))) throw invalid(field, 'an ISO 8601 date');
    return match[1]!;
}

export function optionalString(value: unknown, field: string): string | null {
    if (value === undefined || value === null || value === '') return null;
    if (typeof value !== 'string') throw invalid(field, 'a string');
    return value;
}

/** A vendor whole number (a JSON number or numeric text), e.g. a term in months. */
export function vendorInteger(value: unknown, field: string): number {
    const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isSafeInteger(number)) throw invalid(field, 'a whole number');
    return number;
}

export function vendorBoolean(value: unknown, field: string): boolean {
    if (typeof value !== 'boolean') throw invalid(field, 'true or false');
    return value;
}

/**
 * A SpotDraft DURATION key pointer (`{days, type: DAYS|MONTHS|YEARS, value}`) in whole months, or null when it
 * is kept in days that are not a whole number of months (the vendor gives no month count then).
 */
export function durationMonths(value: unknown, field: string): number | null {
    const { type, amount } = durationParts(value, field);
    if (type === 'MONTHS' || type === 'MONTH') return amount;
    if (type === 'YEARS' || type === 'YEAR') return amount * 12;
    return null;
}

/** A SpotDraft DURATION in days (its `days` member, which SpotDraft computes for every unit). */
export function durationDays(value: unknown, field: string): number {
    durationParts(value, field);
    return vendorInteger((value as { days?: unknown }).days, `${field}.days`);
}

function durationParts(value: unknown, field: string): { type: string; amount: number } {
    if (!value || typeof value !== 'object') throw invalid(field, 'a duration {days, type, value}');
    const { type, value: amount } = value as { type?: unknown; value?: unknown };
    if (typeof type !== 'string') throw invalid(`${field}.type`, 'a duration unit');
    return { type: type.toUpperCase(), amount: vendorInteger(amount, `${field}.value`) };
}

/**
 * A counterparty address kept in one text field of the template (JSON of the canonical address, the form the
 * connector writes); text that is not such JSON is kept whole as the street line.
 */
export function counterpartyAddress(value: unknown, field: string): Address {
    if (typeof value !== 'string') throw invalid(field, 'address text');
    const empty: Address = { street: null, city: null, state: null, postalCode: null, country: null };
    try {
        const parsed = AddressSchema.safeParse(JSON.parse(value));
        if (parsed.success) return parsed.data;
    } catch {
        // plain text below
    }
    return { ...empty, street: value };
}

/** The canonical address as the text a template field keeps. */
export function addressText(address: Address): string {
    return JSON.stringify(address);
}

/** The last day to give notice: `noticeDays` before the expiration date (UTC calendar arithmetic). */
export function noticeDeadlineFrom(expirationDate: string | null, noticeDays: number | null): string | null {
    if (expirationDate === null || noticeDays === null) return null;
    const day = Date.parse(`${expirationDate}T00:00:00Z`) - noticeDays * 86_400_000;
    return new Date(day).toISOString().slice(0, 10);
}

/** Signed + dates → Active (today within the term) or Expired (past the end); the vendor's value otherwise. */
export function deriveFromDates(
    status: ContractStatus,
    effectiveDate: string | null,
    expirationDate: string | null,
    today: string
): ContractStatus {
    if (status.lifecycle !== 'Signed') return status;
    if (expirationDate !== null && expirationDate < today)
        return { ...status, lifecycle: 'Expired', derivedFrom: 'dates' };
    if (effectiveDate !== null && effectiveDate <= today)
        return { ...status, lifecycle: 'Active', derivedFrom: 'dates' };
    return status;
}

function invalid(field: string, expected: string) {
    return clmError(CLM_ERROR.VALIDATION, `vendor field "${field}" is not ${expected}`, { field });
}
