/**
 * The change-feed cursor for vendors that filter by "updated since" (Ironclad lastUpdated): a position
 * is the newest timestamp handed out plus the keys already handed out at exactly that timestamp, so
 * ties are neither skipped nor repeated, and a page limit can stop between two equal timestamps.
 * The cursor is opaque to callers (base64url JSON).
 */
import { z } from 'zod';
import { CLM_ERROR, clmError } from '../../ports/clm.ts';

export const FeedPosition = z.object({ since: z.string().nullable(), seen: z.array(z.string()) });
export type FeedPosition = z.infer<typeof FeedPosition>;

const START: FeedPosition = { since: null, seen: [] };

export function decodeCursor<K extends string>(cursor: string | null, streams: readonly K[]): Record<K, FeedPosition> {
    const positions = Object.fromEntries(streams.map((stream) => [stream, START])) as Record<K, FeedPosition>;
    if (cursor === null) return positions;
    let parsed: unknown;
    try {
        parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
        throw clmError(CLM_ERROR.VALIDATION, 'the change cursor is not one this adapter issued', { field: 'cursor' });
    }
    const result = z.record(z.string(), FeedPosition).safeParse(parsed);
    if (!result.success) {
        throw clmError(CLM_ERROR.VALIDATION, 'the change cursor is not one this adapter issued', { field: 'cursor' });
    }
    for (const stream of streams) positions[stream] = result.data[stream] ?? START;
    return positions;
}

export function encodeCursor(positions: Record<string, FeedPosition>): string {
    return Buffer.from(JSON.stringify(positions), 'utf8').toString('base64url');
}

export interface FeedEntry<T> {
    key: string;
    /** An ISO date-time: when the entry last changed. */
    version: string;
    item: T;
}

/** The entries after `position`, oldest first, at most `limit`, and the position after them. */
export function takeChanges<T>(
    position: FeedPosition,
    entries: readonly FeedEntry<T>[],
    limit: number
): { items: T[]; position: FeedPosition } {
    const sinceMs = position.since === null ? Number.NEGATIVE_INFINITY : Date.parse(position.since);
    const seen = new Set(position.seen);
    const fresh = entries
        .map((entry) => ({ ...entry, ms: Date.parse(entry.version) }))
        .filter((entry) => entry.ms > sinceMs || (entry.ms === sinceMs && !seen.has(entry.key)))
        .sort((a, b) => a.ms - b.ms || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    // The same key may appear twice (two pages shifted under us): keep its newest version once.
    const unique = new Map<string, (typeof fresh)[number]>();
    for (const entry of fresh) {
        unique.delete(entry.key);
        unique.set(entry.key, entry);
    }
    const taken = [...unique.values()].sort((a, b) => a.ms - b.ms).slice(0, Math.max(0, limit));
    const last = taken.at(-1);
    if (!last) return { items: [], position };
    const atLast = taken.filter((entry) => entry.ms === last.ms).map((entry) => entry.key);
    const carried = last.ms === sinceMs ? position.seen : [];
    return {
        items: taken.map((entry) => entry.item),
        position: { since: last.version, seen: [...new Set([...carried, ...atLast])] }
    };
}
