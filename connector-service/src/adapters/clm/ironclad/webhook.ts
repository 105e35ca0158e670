/**
 * Ironclad webhook verification (developer docs "webhook verification"): the RSA-SHA256 signature in
 * X-Ironclad-Webhook-Verification covers `eventId + <exact body bytes> + nonce`, checked with the PEM
 * key from GET /webhooks/verification-key. The key is cached; when a signature fails, it is fetched
 * again once (Ironclad may have rotated it).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { WebhookRequest, WebhookVerification } from '../../../ports/clm.ts';
import type { Clock } from '../../../clock.ts';
import { CachedVerificationKey, headerValue, type WebhookReplayGuard } from '../webhookGuard.ts';
import { IroncladDelivery } from './payloads.ts';

export const EVENT_ID_HEADER = 'X-Ironclad-Webhook-Event-Id';
export const VERIFICATION_HEADER = 'X-Ironclad-Webhook-Verification';

const VerificationHeader = z.object({
    nonce: z.string().min(1),
    signAlgorithm: z.literal('sha256'),
    signature: z.string().min(1),
    encoding: z.literal('base64')
});

export class IroncladWebhookVerifier {
    private readonly key: CachedVerificationKey<KeyObject>;

    constructor(
        fetchKeyPem: () => Promise<string>,
        private readonly guard: WebhookReplayGuard,
        clock: Clock,
        keyRefreshIntervalMs: number
    ) {
        this.key = new CachedVerificationKey(
            async () => createPublicKey(await fetchKeyPem()),
            clock,
            keyRefreshIntervalMs
        );
    }

    async verify(req: WebhookRequest): Promise<WebhookVerification> {
        const eventId = headerValue(req.headers, EVENT_ID_HEADER);
        const rawHeader = headerValue(req.headers, VERIFICATION_HEADER);
        if (!eventId || !rawHeader) return { ok: false, reason: 'missing-signature' };
        let header: z.infer<typeof VerificationHeader>;
        try {
            header = VerificationHeader.parse(JSON.parse(rawHeader));
        } catch {
            return { ok: false, reason: 'malformed' };
        }
        const signed = Buffer.concat([Buffer.from(eventId, 'utf8'), req.rawBody, Buffer.from(header.nonce, 'utf8')]);
        const signature = Buffer.from(header.signature, 'base64');

        let valid = this.check(await this.key.get(), signed, signature);
        if (!valid) {
            // Perhaps the key was rotated: fetch it again, once.
            const fresh = await this.key.refresh();
            if (fresh) valid = this.check(fresh, signed, signature);
        }
        if (!valid) return { ok: false, reason: 'bad-signature' };

        let timestampMs: number;
        try {
            const delivery = IroncladDelivery.parse(JSON.parse(req.rawBody.toString('utf8')));
            timestampMs = Date.parse(delivery.timestamp);
        } catch {
            return { ok: false, reason: 'malformed' };
        }
        if (this.guard.isStale(timestampMs)) return { ok: false, reason: 'stale' };
        if (!this.guard.firstSighting(eventId, timestampMs)) return { ok: false, reason: 'replayed' };
        return { ok: true, eventId };
    }

    private check(key: KeyObject, data: Buffer, signature: Buffer): boolean {
        try {
            return verify('sha256', data, key, signature);
        } catch {
            return false;
        }
    }
}
