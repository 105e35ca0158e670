/**
 * Salesforce's failures as ConnectorErrors with a stable `SF.<CODE>` (the platform's own code) and whether time
 * may fix them: a REST error, a failed record of a Composite call, a failed row of a Bulk ingest job.
 */
import { ConnectorError } from '../../domain/index.ts';

/** Platform error codes worth retrying later (research/perf-reliability.md §1). */
export const RETRYABLE_SF_CODES = new Set([
    'UNABLE_TO_LOCK_ROW',
    'REQUEST_LIMIT_EXCEEDED',
    'SERVER_UNAVAILABLE',
    'SERVER_ERROR'
]);

export interface PlatformError {
    statusCode?: string;
    errorCode?: string;
    message?: string;
    fields?: string[];
}

export function platformError(error: PlatformError, context: Record<string, unknown>): ConnectorError {
    const code = error.statusCode ?? error.errorCode ?? 'UNKNOWN_EXCEPTION';
    return new ConnectorError(`SF.${code}`, error.message ?? code, {
        ...context,
        fields: error.fields ?? [],
        retryable: RETRYABLE_SF_CODES.has(code)
    });
}

export function toConnectorError(error: unknown, operation: string): ConnectorError {
    if (error instanceof ConnectorError) return error;
    const e = error as { errorCode?: string; name?: string; message?: string; data?: unknown };
    const code = e.errorCode ?? (e.name && /^[A-Z_]+$/.test(e.name) ? e.name : undefined);
    if (code)
        return new ConnectorError(
            `SF.${code}`,
            e.message ?? code,
            { operation, retryable: RETRYABLE_SF_CODES.has(code) },
            { cause: error }
        );
    return new ConnectorError(
        'SF.TRANSPORT',
        `${operation} failed: ${e.message ?? String(error)}`,
        { operation, retryable: true },
        { cause: error }
    );
}

/**
 * A failed row's `sf__Error` as SF.<CODE>. Salesforce writes `CODE:message:fields --`, the fields space-separated
 * and the cell ending in ` --` (`REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --`).
 */
export function bulkRowError(text: string, jobId: string): ConnectorError {
    const [code, ...rest] = text.split(':');
    const errorCode = code && /^[A-Z_]+$/.test(code) ? code : 'UNKNOWN_EXCEPTION';
    const fields =
        rest.length > 1
            ? (rest.at(-1) ?? '')
                  .replace(/\s*--\s*$/, '')
                  .split(/[\s,]+/)
                  .filter(Boolean)
            : [];
    return platformError(
        { errorCode, message: (rest.length > 1 ? rest.slice(0, -1) : rest).join(':') || text, fields },
        { jobId }
    );
}
