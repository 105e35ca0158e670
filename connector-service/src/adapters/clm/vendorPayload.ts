/**
 * Every vendor payload goes through a zod schema before the adapter reads it. A malformed payload
 * (missing field, unknown status, wrong type) becomes CLM.VALIDATION naming the first offending
 * field — never a crash and never a half-parsed value.
 */
import type { z } from 'zod';
import { CLM_ERROR, clmError } from '../../ports/clm.ts';

export function parseVendorPayload<S extends z.ZodType>(
    schema: S,
    value: unknown,
    context: { vendor: string; operation: string; fieldPrefix?: string }
): z.infer<S> {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const path = issue ? issue.path.map(String).join('.') : '';
    const field = [context.fieldPrefix, path].filter((part) => part !== undefined && part !== '').join('.') || '(body)';
    throw clmError(
        CLM_ERROR.VALIDATION,
        `${context.vendor} ${context.operation}: malformed response at "${field}": ${issue?.message ?? 'invalid'}`,
        { vendor: context.vendor, operation: context.operation, field }
    );
}

/** Vendor bytes as JSON, then through `schema`; bytes that are not JSON are CLM.VALIDATION on "(body)". */
export function parseVendorJson<S extends z.ZodType>(
    schema: S,
    bytes: Buffer,
    context: { vendor: string; operation: string }
): z.infer<S> {
    return parseVendorPayload(schema, parseJsonBytes(bytes, context), context);
}

export function parseJsonBytes(bytes: Buffer, context: { vendor: string; operation: string }): unknown {
    try {
        return JSON.parse(bytes.toString('utf8'));
    } catch {
        throw clmError(CLM_ERROR.VALIDATION, `${context.vendor} ${context.operation}: the body is not JSON`, {
            vendor: context.vendor,
            operation: context.operation,
            field: '(body)'
        });
    }
}
