/**
 * Canonical values coming from the CLM, checked against their kind before they reach a plan: a malformed vendor
 * value is TRANSFORM.INVALID_CLM_VALUE naming the field, never a crash.
 */
import { Address, IsoDate, IsoDateTime, LIFECYCLES, Money, SIGNATURE_STATES, type ClmValueKind } from './clm.ts';
import { normalizeDecimal } from './decimal.ts';
import { ConnectorError, describeValue } from './errors.ts';
import type { Json } from './transforms.ts';

/** Checks a value from the CLM against its canonical kind, so a malformed vendor value never reaches a plan. */
export function checkClmValue(kind: ClmValueKind, field: string, value: unknown): Json {
    if (value === undefined || value === null) return kind === 'stringList' ? [] : null;
    const bad = (expected: string): never => {
        throw new ConnectorError(
            'TRANSFORM.INVALID_CLM_VALUE',
            `CLM field ${field}: ${describeValue(value)} is not ${expected}`,
            {
                field,
                value: describeValue(value)
            }
        );
    };
    switch (kind) {
        case 'string':
        case 'email':
            return typeof value === 'string' ? value : bad('text');
        case 'date':
            return IsoDate.safeParse(value).success ? (value as string) : bad('an ISO 8601 date');
        case 'datetime':
            return IsoDateTime.safeParse(value).success
                ? new Date(value as string).toISOString()
                : bad('an ISO 8601 date-time');
        case 'money': {
            const parsed = Money.safeParse(value);
            return parsed.success
                ? { amount: normalizeDecimal(parsed.data.amount, field), currency: parsed.data.currency }
                : bad('{amount, currency}');
        }
        case 'integer':
            return Number.isInteger(value) ? (value as number) : bad('a whole number');
        case 'decimal':
            return typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)
                ? normalizeDecimal(value, field)
                : bad('a decimal string');
        case 'boolean':
            return typeof value === 'boolean' ? value : bad('true or false');
        case 'lifecycle':
            return typeof value === 'string' && (LIFECYCLES as readonly string[]).includes(value)
                ? value
                : bad('a lifecycle');
        case 'signature':
            return typeof value === 'string' && (SIGNATURE_STATES as readonly string[]).includes(value)
                ? value
                : bad('a signature state');
        case 'address': {
            const parsed = Address.safeParse(value);
            return parsed.success ? (parsed.data as Json) : bad('an address');
        }
        case 'stringList':
            return Array.isArray(value) && value.every((item) => typeof item === 'string')
                ? (value as string[])
                : bad('a list of strings');
    }
}
