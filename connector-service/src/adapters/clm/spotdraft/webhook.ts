/**
 * SpotDraft webhook verification. Two published forms, both HMAC-SHA512 hex over the raw body bytes:
 * - developer playbooks: header X-SD-WEBHOOK-CONTENT-HASH, key = base64-decode(hmac_key) (from
 *   configuration or GET /v2.1/public/webhooks/hmac_key/, re-fetched once when a signature fails);
 * - the OpenAPI copy: header X-SD-CONTENT-HASH, key = the callback secret shared privately.
 * Deliveries carry no event id, so the id is the SHA-256 of the body: an identical redelivery is a replay.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookRequest, WebhookVerification } from '../../../ports/clm.ts';
import type { Clock } from '../../../clock.ts';
import { CachedVerificationKey, headerValue, type WebhookReplayGuard } from '../webhookGuard.ts';
import { SpotdraftDelivery } from './payloads.ts';

export const PLAYBOOK_HASH_HEADER = 'X-SD-WEBHOOK-CONTENT-HASH';
export const SPEC_HASH_HEADER = 'X-SD-CONTENT-HASH';

export function spotdraftEventId(rawBody: Buffer): string {
    return createHash('sha256').update(rawBody).digest('hex');
}

export class SpotdraftWebhookVerifier {
    private readonly playbookKey: CachedVerificationKey<Buffer> | undefined;

    constructor(
        options: { fetchHmacKeyBase64?: () => Promise<string>; hmacKeyBase64?: string; callbackSecret?: string },
        private readonly guard: WebhookReplayGuard,
        clock: Clock,
        keyRefreshIntervalMs: number
    ) {
        const { fetchHmacKeyBase64, hmacKeyBase64 } = options;
        if (hmacKeyBase64) {
            const fixed = Buffer.from(hmacKeyBase64, 'base64');
            this.playbookKey = new CachedVerificationKey(async () => fixed, clock, keyRefreshIntervalMs);
        } else if (fetchHmacKeyBase64) {
            this.playbookKey = new CachedVerificationKey(
                async () => Buffer.from(await fetchHmacKeyBase64(), 'base64'),
                clock,
                keyRefreshIntervalMs
            );
        }
        this.callbackSecret = options.callbackSecret ? Buffer.from(options.callbackSecret, 'utf8') : undefined;
    }

    private readonly callbackSecret: Buffer | undefined;

    async verify(req: WebhookRequest): Promise<WebhookVerification> {
        const playbookHash = headerValue(req.headers, PLAYBOOK_HASH_HEADER);
        const specHash = headerValue(req.headers, SPEC_HASH_HEADER);
        let valid: boolean;
        if (playbookHash && this.playbookKey) {
            valid = hashMatches(await this.playbookKey.get(), req.rawBody, playbookHash);
            if (!valid) {
                const fresh = await this.playbookKey.refresh();
                if (fresh) valid = hashMatches(fresh, req.rawBody, playbookHash);
            }
        } else if (specHash && this.callbackSecret) {
            valid = hashMatches(this.callbackSecret, req.rawBody, specHash);
        } else {
            return { ok: false, reason: 'missing-signature' };
        }
        if (!valid) return { ok: false, reason: 'bad-signature' };

        let activityAtMs: number;
        try {
            const delivery = SpotdraftDelivery.parse(JSON.parse(req.rawBody.toString('utf8')));
            activityAtMs = Date.parse(delivery.activity_data.timestamp);
            if (Number.isNaN(activityAtMs)) return { ok: false, reason: 'malformed' };
        } catch {
            return { ok: false, reason: 'malformed' };
        }
        if (this.guard.isStale(activityAtMs)) return { ok: false, reason: 'stale' };
        const eventId = spotdraftEventId(req.rawBody);
        if (!this.guard.firstSighting(eventId, activityAtMs)) return { ok: false, reason: 'replayed' };
        return { ok: true, eventId };
    }
}

/** Constant-time comparison of the hex digest (case-insensitive hex, as sent). */
function hashMatches(key: Buffer, body: Buffer, received: string): boolean {
    const expected = createHmac('sha512', key).update(body).digest();
    if (!/^[0-9a-fA-F]{128}$/.test(received.trim())) return false;
    return timingSafeEqual(expected, Buffer.from(received.trim(), 'hex'));
}
