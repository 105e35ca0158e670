/**
 * Sync state per linked record pair: per field rule, the value both sides last agreed on (and who wrote it),
 * the last value and version seen on each side, writes still waiting for their echo, and any open conflict.
 * It is what lets the planner recognise echoes, duplicate or older deliveries, and conflicting edits.
 */
import { z } from 'zod';
import type { Json } from './transforms.ts';

export const SIDES = ['salesforce', 'clm'] as const;
export type Side = (typeof SIDES)[number];
export function otherSide(side: Side): Side {
    return side === 'salesforce' ? 'clm' : 'salesforce';
}

/**
 * The order of changes from one side: an instant (Salesforce commitTimestamp / SystemModstamp, the CLM's
 * lastUpdated) and a tie-breaking sequence (commitNumber, vendor version).
 */
export const Version = z.object({
    at: z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'an ISO 8601 instant'),
    seq: z.number().int().nonnegative().default(0)
});
export type Version = z.infer<typeof Version>;

export function compareVersions(a: Version, b: Version): number {
    return Date.parse(a.at) - Date.parse(b.at) || a.seq - b.seq;
}

const JsonValue: z.ZodType<Json> = z.lazy(() =>
    z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(JsonValue), z.record(z.string(), JsonValue)])
);

const Observed = z.object({ value: JsonValue, version: Version });

export const FieldState = z.object({
    /** The value both sides last agreed on, when and from which side it came (the provenance the LWC shows). */
    synced: z.object({ value: JsonValue, at: z.string(), by: z.enum(SIDES) }).optional(),
    salesforce: Observed.optional(),
    clm: Observed.optional(),
    /** Values we wrote to a side whose change events have not come back yet (as that side will report them), oldest first. */
    pending: z.object({ salesforce: z.array(JsonValue).optional(), clm: z.array(JsonValue).optional() }).optional(),
    /** A Manual-policy conflict waiting for a person. */
    conflict: z
        .object({
            salesforce: JsonValue,
            clm: JsonValue,
            salesforceVersion: Version.optional(),
            clmVersion: Version.optional(),
            detectedAt: z.string()
        })
        .optional()
});
export type FieldState = z.infer<typeof FieldState>;

/**
 * One write of ours to the CLM whose precondition could not cover the write itself (Ironclad's attribute PATCH takes
 * none): the contract was read at `from` and our write landed at `to` (the vendor's own times). A CLM change event
 * stamped strictly between them is an edit our write replaced (domain/overwrites.ts).
 */
export const ClmWriteWindow = z.object({
    from: z.string(),
    to: z.string(),
    /** Rule name → the value we wrote. */
    values: z.record(z.string(), JsonValue)
});
export type ClmWriteWindow = z.infer<typeof ClmWriteWindow>;

export const PairState = z.object({
    /** The connector's own id for the linked pair (stable while the vendor ids change). */
    pairId: z.string(),
    fields: z.record(z.string(), FieldState),
    /** The CLM's concurrency token as last read; CLM writes carry it so a contract changed meanwhile is re-read, not overwritten. */
    clmVersion: z.string().optional(),
    /**
     * The CLM's time of the newest contract state the pair has taken in (a read, or our own write's answer): a
     * change event stamped at or before it reports nothing the pair has not seen (see `seenInClm`).
     */
    clmSeenAt: z.string().optional(),
    /** Our latest CLM writes, newest last (a few): how a CLM edit overwritten inside a write is recognised. */
    clmWrites: z.array(ClmWriteWindow).optional()
});
export type PairState = z.infer<typeof PairState>;

export function emptyPairState(pairId: string): PairState {
    return { pairId, fields: {} };
}

/** Structural equality of canonical values (key order ignored). */
export function sameValue(a: Json | undefined, b: Json | undefined): boolean {
    return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}

function canonicalJson(value: Json): string {
    if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
    if (value !== null && typeof value === 'object') {
        return `{${Object.keys(value)
            .sort()
            .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, Json>)[key] ?? null)}`)
            .join(',')}}`;
    }
    return JSON.stringify(value);
}
