// Webhook verification for both vendors, with signatures computed here from the documented algorithms
// (not by the adapter's code): Ironclad RSA-SHA256 over eventId + body + nonce, SpotDraft HMAC-SHA512 hex
// over the raw body. Keys are generated at test start.
import { createHmac, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { CLM_ERROR } from '../../src/ports/clm.ts';
import { json, ManualClock, scriptedFetch, scriptedIronclad, scriptedSpotdraft } from './fakes.ts';
import { expectClmError } from './portKit.ts';
import { WebhookReplayGuard } from '../../src/adapters/clm/webhookGuard.ts';

function rsaKeys(): { publicPem: string; privateKey: KeyObject } {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey };
}

describe('Ironclad webhook verification', () => {
    const first = rsaKeys();
    const second = rsaKeys();
    let served: string;
    let clock: ManualClock;
    let keyFetches: number;
    let adapter: ReturnType<typeof scriptedIronclad>;

    beforeEach(() => {
        served = first.publicPem;
        clock = new ManualClock();
        keyFetches = 0;
        const { fetch } = scriptedFetch((call) => {
            if (call.url.pathname === '/oauth/token')
                return json({ access_token: 'tok', token_type: 'bearer', expires_in: 3600 });
            if (call.url.pathname.endsWith('/webhooks/verification-key')) {
                keyFetches++;
                return new Response(served, { headers: { 'content-type': 'text/plain' } });
            }
            return json({ code: 'NOT_FOUND', message: 'no route' }, 404);
        });
        adapter = scriptedIronclad(fetch, clock);
    });

    function delivery(options: { key?: KeyObject; timestamp?: string; eventId?: string; event?: string } = {}) {
        const eventId = options.eventId ?? randomUUID();
        const nonce = randomBytes(16).toString('hex');
        const body = Buffer.from(
            JSON.stringify({
                companyID: 'c0',
                payload: { event: options.event ?? 'workflow_completed', workflowID: '6a1f00c0ffee', templateID: 't1' },
                timestamp: options.timestamp ?? new Date(clock.now()).toISOString(),
                webhookID: 'w1'
            })
        );
        const signature = sign(
            'sha256',
            Buffer.concat([Buffer.from(eventId), body, Buffer.from(nonce)]),
            options.key ?? first.privateKey
        );
        const headers = {
            'x-ironclad-webhook-event-id': eventId,
            'x-ironclad-webhook-verification': JSON.stringify({
                nonce,
                signAlgorithm: 'sha256',
                signature: signature.toString('base64'),
                encoding: 'base64'
            })
        };
        return { headers, rawBody: body, eventId };
    }

    it('accepts a correctly signed delivery and parses it into a thin event', async () => {
        const request = delivery();
        expect(await adapter.verifyWebhook(request)).toEqual({ ok: true, eventId: request.eventId });
        expect(adapter.parseWebhook(request)).toEqual([
            expect.objectContaining({
                type: 'contract.status_changed',
                contractRef: { system: 'ironclad', objectType: 'workflow', id: '6a1f00c0ffee' },
                vendorEventId: request.eventId,
                vendorEventType: 'workflow_completed'
            })
        ]);
        expect(keyFetches).toBe(1);
    });

    it('rejects a tampered body', async () => {
        const request = delivery();
        const tampered = Buffer.from(request.rawBody.toString().replace('6a1f00c0ffee', '6a1f00c0fff0'));
        expect(await adapter.verifyWebhook({ ...request, rawBody: tampered })).toEqual({
            ok: false,
            reason: 'bad-signature'
        });
    });

    it('rejects a signature from the wrong key after one re-fetch of the key, and does not re-fetch again at once', async () => {
        expect((await adapter.verifyWebhook(delivery())).ok).toBe(true);
        clock.advance(60_000);
        expect(await adapter.verifyWebhook(delivery({ key: second.privateKey }))).toEqual({
            ok: false,
            reason: 'bad-signature'
        });
        expect(keyFetches).toBe(2);
        expect((await adapter.verifyWebhook(delivery({ key: second.privateKey }))).ok).toBe(false);
        expect(keyFetches).toBe(2);
    });

    it('accepts deliveries signed with a rotated key (the key is fetched again once)', async () => {
        expect((await adapter.verifyWebhook(delivery())).ok).toBe(true);
        served = second.publicPem;
        clock.advance(60_000);
        expect((await adapter.verifyWebhook(delivery({ key: second.privateKey }))).ok).toBe(true);
        expect(keyFetches).toBe(2);
        expect((await adapter.verifyWebhook(delivery({ key: second.privateKey }))).ok).toBe(true);
        expect(keyFetches).toBe(2);
    });

    it('rejects a replayed event id and a stale timestamp', async () => {
        const request = delivery();
        expect((await adapter.verifyWebhook(request)).ok).toBe(true);
        expect(await adapter.verifyWebhook(request)).toEqual({ ok: false, reason: 'replayed' });
        // Same id, fresh signature and nonce: still a replay.
        expect(await adapter.verifyWebhook(delivery({ eventId: request.eventId }))).toEqual({
            ok: false,
            reason: 'replayed'
        });
        const old = new Date(clock.now() - 60 * 60_000).toISOString();
        expect(await adapter.verifyWebhook(delivery({ timestamp: old }))).toEqual({ ok: false, reason: 'stale' });
    });

    it('refuses a signed delivery whose timestamp does not parse (no time is never fresh)', async () => {
        for (const timestamp of ['yesterday', '2026-13-45T99:99:99Z'])
            expect((await adapter.verifyWebhook(delivery({ timestamp }))).ok).toBe(false);
        // The freshness check itself: NaN compares false with everything, so it must be caught explicitly.
        const guard = new WebhookReplayGuard({ toleranceMs: 60_000, clock });
        expect(guard.isStale(Number.NaN)).toBe(true);
        expect(guard.isStale(Date.parse('not a time'))).toBe(true);
        expect(guard.isStale(clock.now())).toBe(false);
    });

    it('rejects deliveries without or with a malformed verification header', async () => {
        const request = delivery();
        expect(await adapter.verifyWebhook({ headers: {}, rawBody: request.rawBody })).toEqual({
            ok: false,
            reason: 'missing-signature'
        });
        expect(
            await adapter.verifyWebhook({
                headers: { ...request.headers, 'x-ironclad-webhook-verification': '{"nonce":1}' },
                rawBody: request.rawBody
            })
        ).toEqual({ ok: false, reason: 'malformed' });
    });

    it('a malformed delivery body is CLM.VALIDATION naming the field', async () => {
        const request = delivery();
        const body = Buffer.from(
            JSON.stringify({ payload: { event: 'workflow_updated' }, timestamp: '2026-11-23T10:00:00Z' })
        );
        const details = await expectClmError(
            Promise.resolve().then(() => adapter.parseWebhook({ headers: request.headers, rawBody: body })),
            CLM_ERROR.VALIDATION
        );
        expect(details.field).toBe('payload.workflowID');
    });
});

describe('SpotDraft webhook verification', () => {
    let hmacKey: Buffer;
    let clock: ManualClock;
    let keyFetches: number;
    let adapter: ReturnType<typeof scriptedSpotdraft>;
    const callbackSecret = randomBytes(24).toString('hex');

    beforeEach(() => {
        hmacKey = randomBytes(32);
        clock = new ManualClock();
        keyFetches = 0;
        const { fetch } = scriptedFetch((call) => {
            if (call.url.pathname === '/api/v2.1/public/webhooks/hmac_key/') {
                keyFetches++;
                return json({ hmac_key: hmacKey.toString('base64') });
            }
            return json({ detail: 'not found' }, 404);
        });
        adapter = scriptedSpotdraft(fetch, clock, { webhookCallbackSecret: callbackSecret });
    });

    function body(overrides: Record<string, unknown> = {}): Buffer {
        return Buffer.from(
            JSON.stringify({
                activity: 'CONTRACT_EXECUTED',
                contract_id: 4711,
                contract_status: 'EXECUTED',
                activity_data: {
                    performed_by: { name: 'CLM', email: 'clm@example.com' },
                    timestamp: new Date(clock.now()).toISOString()
                },
                created_at: '2026-01-05T08:00:00Z',
                external_metadata: { id: '006ABC' },
                ...overrides
            })
        );
    }

    const hex = (key: Buffer, raw: Buffer) => createHmac('sha512', key).update(raw).digest('hex');

    it('accepts the playbook header keyed with base64-decode(hmac_key) and parses the event', async () => {
        const raw = body();
        const request = { headers: { 'X-SD-WEBHOOK-CONTENT-HASH': hex(hmacKey, raw) }, rawBody: raw };
        const verdict = await adapter.verifyWebhook(request);
        expect(verdict.ok).toBe(true);
        expect(adapter.parseWebhook(request)).toEqual([
            expect.objectContaining({
                type: 'contract.status_changed',
                contractRef: { system: 'spotdraft', objectType: 'contract', id: 'T-4711' },
                vendorEventType: 'CONTRACT_EXECUTED'
            })
        ]);
        expect(keyFetches).toBe(1);
    });

    it("accepts the spec's X-SD-CONTENT-HASH keyed with the configured callback secret", async () => {
        const raw = body();
        const secret = Buffer.from(callbackSecret, 'utf8');
        expect(
            (await adapter.verifyWebhook({ headers: { 'x-sd-content-hash': hex(secret, raw) }, rawBody: raw })).ok
        ).toBe(true);
        expect(keyFetches).toBe(0);
    });

    it('rejects a tampered body and a wrong key', async () => {
        const raw = body();
        const signature = hex(hmacKey, raw);
        const tampered = Buffer.from(raw.toString().replace('4711', '4712'));
        expect(
            await adapter.verifyWebhook({ headers: { 'x-sd-webhook-content-hash': signature }, rawBody: tampered })
        ).toEqual({
            ok: false,
            reason: 'bad-signature'
        });
        const wrong = hex(randomBytes(32), raw);
        expect(await adapter.verifyWebhook({ headers: { 'x-sd-webhook-content-hash': wrong }, rawBody: raw })).toEqual({
            ok: false,
            reason: 'bad-signature'
        });
        expect(
            await adapter.verifyWebhook({ headers: { 'x-sd-content-hash': hex(hmacKey, raw) }, rawBody: raw })
        ).toEqual({ ok: false, reason: 'bad-signature' });
        expect(await adapter.verifyWebhook({ headers: {}, rawBody: raw })).toEqual({
            ok: false,
            reason: 'missing-signature'
        });
    });

    it('accepts a rotated hmac_key after one re-fetch', async () => {
        const raw = body();
        expect(
            (await adapter.verifyWebhook({ headers: { 'x-sd-webhook-content-hash': hex(hmacKey, raw) }, rawBody: raw }))
                .ok
        ).toBe(true);
        hmacKey = randomBytes(32);
        clock.advance(60_000);
        const next = body({ activity: 'CONTRACT_DATA_UPDATED' });
        expect(
            (
                await adapter.verifyWebhook({
                    headers: { 'x-sd-webhook-content-hash': hex(hmacKey, next) },
                    rawBody: next
                })
            ).ok
        ).toBe(true);
        expect(keyFetches).toBe(2);
    });

    it('rejects a replayed delivery and a stale one', async () => {
        const raw = body();
        const request = { headers: { 'x-sd-webhook-content-hash': hex(hmacKey, raw) }, rawBody: raw };
        expect((await adapter.verifyWebhook(request)).ok).toBe(true);
        expect(await adapter.verifyWebhook(request)).toEqual({ ok: false, reason: 'replayed' });
        const old = body({ activity_data: { timestamp: new Date(clock.now() - 2 * 60 * 60_000).toISOString() } });
        expect(
            await adapter.verifyWebhook({ headers: { 'x-sd-webhook-content-hash': hex(hmacKey, old) }, rawBody: old })
        ).toEqual({
            ok: false,
            reason: 'stale'
        });
    });

    it('a malformed delivery body is CLM.VALIDATION naming the field', async () => {
        const raw = body({ contract_id: 'not-an-id' });
        const details = await expectClmError(
            Promise.resolve().then(() => adapter.parseWebhook({ headers: {}, rawBody: raw })),
            CLM_ERROR.VALIDATION
        );
        expect(details.field).toBe('contract_id');
    });
});
