/**
 * Exact decimal arithmetic on strings, for money and numbers that must not pass through floating point.
 */
import { ConnectorError, describeValue } from './errors.ts';

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

interface Decimal {
    /** The value times 10^scale. */
    units: bigint;
    scale: number;
}

export function parseDecimal(text: string, field: string): Decimal {
    const match = DECIMAL.exec(text.trim());
    if (!match) {
        throw new ConnectorError(
            'TRANSFORM.INVALID_NUMBER',
            `${field}: ${describeValue(text)} is not a decimal number`,
            {
                field,
                value: text
            }
        );
    }
    const [, sign, whole, fraction = ''] = match;
    const units = BigInt(`${whole}${fraction}`) * (sign === '-' ? -1n : 1n);
    return { units, scale: fraction.length };
}

/** Converts a JSON number to its exact shortest decimal text (what the wire carried), rejecting NaN/Infinity. */
export function numberToDecimalText(value: number, field: string): string {
    if (!Number.isFinite(value)) {
        throw new ConnectorError('TRANSFORM.INVALID_NUMBER', `${field}: ${String(value)} is not a finite number`, {
            field,
            value: String(value)
        });
    }
    const text = String(value);
    if (!/e/i.test(text)) return text;
    // Exponent notation: expand without arithmetic on the float.
    const [mantissa = '0', exponentText = '0'] = text.toLowerCase().split('e');
    const exponent = Number(exponentText);
    const negative = mantissa.startsWith('-');
    const [whole = '0', fraction = ''] = mantissa.replace('-', '').split('.');
    const digits = whole + fraction;
    const point = whole.length + exponent;
    let out: string;
    if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
    else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
    else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
    return (negative ? '-' : '') + out.replace(/^0+(?=\d)/, '');
}

/** Rounds half-to-even to `scale` digits and writes exactly that many digits after the point. */
export function formatDecimal(text: string, scale: number, field: string): string {
    const value = parseDecimal(text, field);
    let units = value.units;
    if (value.scale > scale) {
        const divisor = 10n ** BigInt(value.scale - scale);
        const negative = units < 0n;
        const magnitude = negative ? -units : units;
        let quotient = magnitude / divisor;
        const remainder = magnitude % divisor;
        const twice = remainder * 2n;
        if (twice > divisor || (twice === divisor && quotient % 2n === 1n)) quotient += 1n;
        units = negative ? -quotient : quotient;
    } else {
        units = units * 10n ** BigInt(scale - value.scale);
    }
    const negative = units < 0n;
    const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
    const whole = digits.slice(0, digits.length - scale);
    const fraction = digits.slice(digits.length - scale);
    const body = scale > 0 ? `${whole}.${fraction}` : whole;
    return negative && /[1-9]/.test(body) ? `-${body}` : body;
}

/** Number of digits before the point, for precision checks. */
export function integerDigits(text: string): number {
    const whole = text.replace(/^-/, '').split('.')[0] ?? '0';
    return whole.replace(/^0+/, '').length;
}

/** The one written form of a decimal value ("120000.00" and "120000" are the same amount): no padding zeros. */
export function normalizeDecimal(text: string, field: string): string {
    const { units, scale } = parseDecimal(text, field);
    const negative = units < 0n;
    let digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
    let fraction = scale > 0 ? digits.slice(digits.length - scale) : '';
    digits = scale > 0 ? digits.slice(0, digits.length - scale) : digits;
    fraction = fraction.replace(/0+$/, '');
    const body = fraction ? `${digits}.${fraction}` : digits;
    return negative && body !== '0' ? `-${body}` : body;
}
