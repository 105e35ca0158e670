/**
 * Value conversions both vendor adapters need: vendor money and dates into canonical form (failing
 * with CLM.VALIDATION naming the field rather than guessing), and Active/Expired derived from dates
 * when a vendor only says "signed" (research/clm-apis.md §3.1 rule 3).
 */
import type { ContractStatus, Money } from '../../domain/clm.ts';
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
