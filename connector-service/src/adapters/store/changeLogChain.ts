/**
 * The change log's hash chain: each row stores sha256(prevHash + canonical JSON of its entry), so editing,
 * removing or reordering a row breaks the chain at that row.
 */
import { createHash } from 'node:crypto';
import type { Json } from '../../domain/transforms.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted and no insignificant whitespace: one text per value, whatever the key order. */
export function canonicalJson(value: unknown): string {
    if (value === undefined) return 'null';
    if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
    if (value !== null && typeof value === 'object') {
        const record = value as Record<string, unknown>;
        return `{${Object.keys(record)
            .filter((key) => record[key] !== undefined)
            .sort()
            .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
            .join(',')}}`;
    }
    return JSON.stringify(value as Json);
}

export function chainHash(prevHash: string, canonicalEntry: string): string {
    return createHash('sha256').update(prevHash).update(canonicalEntry).digest('hex');
}
