/**
 * Keys the config schema does not know. zod strips an unknown key without a word, so `syncc` or
 * `ironclad.baseUrll` would start the connector as if the setting were absent: this walk compares the raw config
 * with the schema's own shape (one source of truth: no second list of keys) and names each stray key with the
 * nearest key that is valid at that place.
 */
import type { z } from 'zod';

export interface UnknownKey {
    /** Dotted path of the unknown key. */
    field: string;
    /** The valid key at the same place closest to it (edit distance), when one is close enough to be a typo. */
    nearest: string | undefined;
}

interface Def {
    type: string;
    shape?: Record<string, z.ZodType>;
    innerType?: z.ZodType;
    in?: z.ZodType;
    out?: z.ZodType;
    options?: z.ZodType[];
    discriminator?: string;
    valueType?: z.ZodType;
    element?: z.ZodType;
}

function defOf(schema: z.ZodType): Def {
    return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The schema under wrappers (optional, default, prefault, nullable, readonly, a pipe's input side). */
function unwrap(schema: z.ZodType): z.ZodType {
    for (;;) {
        const def = defOf(schema);
        if (def.innerType) schema = def.innerType;
        else if (def.type === 'pipe' && def.in) schema = def.in;
        else return schema;
    }
}

/** Every key in `value` that `schema` does not declare, depth first, in the order they appear. */
export function unknownKeys(schema: z.ZodType, value: unknown, path: string[] = []): UnknownKey[] {
    const inner = unwrap(schema);
    const def = defOf(inner);
    if (def.type === 'object' && def.shape && isPlainObject(value)) {
        const known = Object.keys(def.shape);
        return Object.entries(value).flatMap(([key, child]) =>
            def.shape![key]
                ? unknownKeys(def.shape![key], child, [...path, key])
                : [{ field: [...path, key].join('.'), nearest: nearestKey(key, known) }]
        );
    }
    if (def.type === 'union' && def.options && isPlainObject(value)) {
        // A discriminated union: the branch the value names (the union reports a wrong discriminator itself).
        const chosen = def.discriminator
            ? def.options.find((option) => literalAt(option, def.discriminator!) === value[def.discriminator!])
            : undefined;
        return chosen ? unknownKeys(chosen, value, path) : [];
    }
    if (def.type === 'record' && def.valueType && isPlainObject(value))
        return Object.entries(value).flatMap(([key, child]) => unknownKeys(def.valueType!, child, [...path, key]));
    if (def.type === 'array' && def.element && Array.isArray(value))
        return value.flatMap((child, index) => unknownKeys(def.element!, child, [...path, String(index)]));
    return [];
}

function literalAt(option: z.ZodType, key: string): unknown {
    const shape = defOf(unwrap(option)).shape;
    const field = shape?.[key];
    if (!field) return undefined;
    const values = (defOf(unwrap(field)) as { values?: unknown[] }).values;
    return values?.[0];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The closest of `candidates` to `key` (case-insensitive edit distance), if within a third of its length. */
export function nearestKey(key: string, candidates: readonly string[]): string | undefined {
    let best: { key: string; distance: number } | undefined;
    for (const candidate of candidates) {
        const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
        if (!best || distance < best.distance) best = { key: candidate, distance };
    }
    return best && best.distance <= Math.max(2, Math.ceil(key.length / 3)) ? best.key : undefined;
}

function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(
                previous[j]! + 1,
                current[j - 1]! + 1,
                previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
            );
        }
        previous = current;
    }
    return previous[b.length]!;
}
