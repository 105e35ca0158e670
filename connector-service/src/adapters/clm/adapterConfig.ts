/**
 * Settings every vendor adapter takes, defined once and spread into each vendor's config schema.
 */
import { z } from 'zod';

export const commonAdapterSettings = {
    /** Per attempt: connecting, the headers and the body. */
    timeoutMs: z.number().int().positive().default(15_000),
    /** Deliveries older (or newer) than this are rejected as stale. */
    webhookToleranceMs: z
        .number()
        .int()
        .positive()
        .default(15 * 60_000),
    /** After a failed signature the key is fetched again, at most this often (forged deliveries cannot force more). */
    webhookKeyRefreshIntervalMs: z.number().int().min(0).default(30_000),
    /** Page size for list calls (both vendors allow 1–100). */
    pageSize: z.number().int().min(1).max(100).default(100),
    /** Upper bound on pages read by one lookup or change-feed call. */
    maxPages: z.number().int().min(1).default(50)
};
