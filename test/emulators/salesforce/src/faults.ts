// Injected failures (admin API): each fault matches calls by sObject and operation and fires `count` times.
import { z } from 'zod';
import { defaultStatusFor, SfError } from './errors.ts';

export const faultSchema = z
    .object({
        sobject: z.string().min(1).optional(),
        operation: z.enum(['create', 'update', 'upsert', 'delete', 'query', 'retrieve']).optional(),
        /** Omitted for a pure latency fault. */
        errorCode: z
            .string()
            .regex(/^[A-Z_]+$/, 'errorCode must be an upper-case Salesforce status code')
            .optional(),
        status: z.number().int().min(100).max(599).optional(),
        message: z.string().optional(),
        count: z.number().int().min(1).default(1),
        latencyMs: z.number().int().min(0).max(120_000).optional(),
        drop: z.boolean().optional()
    })
    .refine((f) => f.errorCode !== undefined || f.latencyMs !== undefined || f.drop === true, {
        message: 'a fault needs an errorCode, a latencyMs or drop',
        path: ['errorCode']
    });
export type FaultInput = z.input<typeof faultSchema>;
type Fault = z.output<typeof faultSchema> & { remaining: number };

/** Thrown to make the server close the connection without an answer. */
export class DropConnection extends Error {}

const DEFAULT_MESSAGES: Record<string, string> = {
    UNABLE_TO_LOCK_ROW: 'unable to obtain exclusive access to this record',
    INVALID_SESSION_ID: 'Session expired or invalid',
    REQUEST_LIMIT_EXCEEDED: 'TotalRequests Limit exceeded.',
    SERVER_ERROR: 'An unexpected error occurred. Please include this ErrorId if you contact support.',
    FIELD_CUSTOM_VALIDATION_EXCEPTION: 'A validation rule blocked this record.',
    DUPLICATES_DETECTED: 'Use one of these records?'
};

export class FaultInjector {
    private faults: Fault[] = [];

    add(input: FaultInput): void {
        const parsed = faultSchema.parse(input);
        this.faults.push({ ...parsed, remaining: parsed.count });
    }

    clear(): void {
        this.faults = [];
    }

    list(): Fault[] {
        return this.faults;
    }

    /**
     * Consumes a matching fault, waits its latency, then throws its error (or drops the connection).
     * Resolves quietly when nothing matches.
     */
    async hit(sobject: string | undefined, operation: string): Promise<void> {
        const fault = this.faults.find(
            (f) =>
                f.remaining > 0 &&
                (!f.sobject || (sobject !== undefined && f.sobject.toLowerCase() === sobject.toLowerCase())) &&
                (!f.operation || f.operation === operation)
        );
        if (!fault) return;
        fault.remaining -= 1;
        if (fault.remaining === 0) this.faults.splice(this.faults.indexOf(fault), 1);
        if (fault.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
        if (fault.drop) throw new DropConnection('fault: connection dropped');
        if (!fault.errorCode) return;
        throw new SfError(
            fault.status ?? defaultStatusFor(fault.errorCode),
            fault.errorCode,
            fault.message ?? DEFAULT_MESSAGES[fault.errorCode] ?? `Injected fault ${fault.errorCode}`
        );
    }
}
