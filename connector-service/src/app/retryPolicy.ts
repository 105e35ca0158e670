/**
 * When to try a failed item again: capped exponential backoff with full jitter, a vendor's Retry-After honoured,
 * and errors no retry can fix sent to quarantine at once.
 */
import { isConnectorError } from '../domain/index.ts';

export interface RetryPolicy {
    baseDelayMs: number;
    maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 15 * 60_000 };

/** Codes that describe the request itself, not the moment: retrying cannot help. */
const PERMANENT_PREFIXES = [
    'MAPPING.',
    'TRANSFORM.',
    'CLM.VALIDATION',
    'CLM.UNSUPPORTED',
    'CLM.NOT_FOUND',
    // The contract's state refuses the write (signed, out for signature): only a person can move it.
    'CLM.NOT_WRITABLE_IN_STATE',
    'SF.INVALID_',
    'SF.REQUIRED_FIELD_MISSING',
    'SF.FIELD_INTEGRITY_EXCEPTION',
    'SF.MALFORMED_ID',
    'SF.INSUFFICIENT_ACCESS'
];

export function isRetryable(error: unknown): boolean {
    if (!isConnectorError(error)) return true;
    if (error.details.retryable === true) return true;
    if (error.details.retryable === false) return false;
    return !PERMANENT_PREFIXES.some((prefix) => error.code.startsWith(prefix));
}

/** The delay before attempt `attempt + 1` (attempt counts from 1). `random` is in [0, 1). */
export function retryDelayMs(
    attempt: number,
    error: unknown,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    random: () => number = Math.random
): number {
    const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
    const jittered = Math.floor(random() * ceiling);
    const retryAfter =
        isConnectorError(error) && typeof error.details.retryAfterMs === 'number' ? error.details.retryAfterMs : 0;
    return Math.max(jittered, retryAfter, 1);
}
