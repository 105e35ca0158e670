/**
 * Settings every vendor adapter takes, defined once and spread into each vendor's config schema.
 */
import { z } from 'zod';

/** `host`, `host:port` or `*.domain`, lower-cased (URL host names are). */
const DocumentHost = z
    .string()
    .regex(
        /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/i,
        'a host name, host:port or *.domain'
    )
    .transform((host) => host.toLowerCase());

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
    maxPages: z.number().int().min(1).default(50),
    /**
     * Hosts besides the API base host that document downloads may follow a redirect or link to (e.g. the
     * vendor's file storage: `files.ironcladapp.com`, `storage.googleapis.com`). Empty: downloads stay on the
     * base host. Listed hosts must still resolve to public addresses.
     */
    documentHosts: z.array(DocumentHost).default([]),
    /** Redirects and links one download may follow. */
    maxDownloadRedirects: z.number().int().min(0).max(10).default(3),
    /** Largest document downloaded: Salesforce takes at most 37.5 MB of file in one REST insert. */
    maxDocumentBytes: z
        .number()
        .int()
        .positive()
        .default(35 * 1024 * 1024),
    /** Largest API answer read. */
    maxResponseBytes: z
        .number()
        .int()
        .positive()
        .default(16 * 1024 * 1024)
};
