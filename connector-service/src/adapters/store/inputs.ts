/**
 * Checks on what callers hand the store. A bad argument is a STORE.VALIDATION error naming the field
 * (e.g. `items[3].eventId`), raised before any transaction starts.
 */
import { z } from 'zod';
import { SalesforceId } from '../../domain/salesforce.ts';
import type { Json } from '../../domain/transforms.ts';
import {
    OUTBOX_TARGETS,
    STORE_ERROR,
    storeError,
    type Checkpoint,
    type ClaimRef,
    type ClmRef,
    type FailInput,
    type InboxInput,
    type LastError,
    type OutboxInput,
    type PairLinks
} from '../../ports/store.ts';

const text = z.string().min(1).max(1000);
const key = z.string().min(1).max(255);
const millis = z.number().int().nonnegative();

const JsonValue: z.ZodType<Json> = z.lazy(() =>
    z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(JsonValue), z.record(z.string(), JsonValue)])
);

/** What inbox and outbox items share: they are ordered, counted and traced the same way. */
const queuedFields = { orderingKey: key, objectType: key.optional(), payload: JsonValue, correlationId: key };

export const InboxInputSchema = z.object({
    source: key,
    eventId: key,
    ...queuedFields
}) satisfies z.ZodType<InboxInput>;

export const CheckpointSchema = z.object({
    channel: key,
    replayId: z.string().min(1).max(1000)
}) satisfies z.ZodType<Checkpoint>;

export const OutboxInputSchema = z.object({
    target: z.enum(OUTBOX_TARGETS),
    operation: key,
    idempotencyKey: key,
    ...queuedFields
}) satisfies z.ZodType<OutboxInput>;

export const ClaimRefSchema = z.object({
    id: z.number().int().positive(),
    worker: key,
    attempt: z.number().int().positive()
}) satisfies z.ZodType<ClaimRef>;

export const LastErrorSchema = z.object({ code: key, message: z.string().max(4000) }) satisfies z.ZodType<LastError>;
export const FailInputSchema = z.object({ error: LastErrorSchema, retryAt: millis }) satisfies z.ZodType<FailInput>;

export const ClmRefSchema = z.object({
    vendor: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'a vendor id (lower case, no colon)'),
    objectType: key,
    id: key
}) satisfies z.ZodType<ClmRef>;

export const PairLinksSchema = z.object({
    salesforce: z
        .object({
            opportunity: SalesforceId.optional(),
            contract: SalesforceId.optional(),
            quote: SalesforceId.optional()
        })
        .optional(),
    clm: z.array(ClmRefSchema).max(100).optional()
}) satisfies z.ZodType<PairLinks>;

export const schemas = { text, key, millis, JsonValue };

/** Parses `value` or throws STORE.VALIDATION naming the first offending field under `field`. */
export function check<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const path = [field, ...(issue?.path ?? [])]
        .map((part, index) =>
            typeof part === 'number' ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`
        )
        .join('');
    throw storeError(STORE_ERROR.VALIDATION, `${path}: ${issue?.message ?? 'invalid'}`, { field: path });
}
