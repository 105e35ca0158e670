// Webhook subscription, signing and delivery rules for both vendors. Signatures are checked with an independent
// implementation of each vendor's documented algorithm (not the emulator's code); retry, disable/pause, duplicate,
// delay and reorder behaviour runs on the frozen virtual clock, stepped through the admin API.
import { createHmac, createVerify, timingSafeEqual } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateComponent } from '../../../support/openapi.ts';
import { specsAvailable, WebhookReceiver, type ReceivedDelivery } from './support/checked.ts';
import { sampleIroncladLaunch, sampleSpotdraftContract, useHarness } from './support/setup.ts';

const h = useHarness();
let receiver: WebhookReceiver;

beforeEach(async () => {
    receiver = await new WebhookReceiver().start();
});
afterEach(async () => {
    await receiver.stop();
});

/** Ironclad's documented check: RSA-SHA256 over eventId + raw body + nonce, base64 signature, PEM public key. */
function ironcladSignatureValid(
    delivery: ReceivedDelivery,
    publicKeyPem: string,
    body: Buffer = delivery.raw
): boolean {
    const eventId = String(delivery.headers['x-ironclad-webhook-event-id']);
    const verification = JSON.parse(String(delivery.headers['x-ironclad-webhook-verification'])) as {
        nonce: string;
        signAlgorithm: string;
        signature: string;
        encoding: string;
    };
    expect(verification).toMatchObject({ signAlgorithm: 'sha256', encoding: 'base64' });
    return createVerify('RSA-SHA256')
        .update(eventId)
        .update(body)
        .update(verification.nonce)
        .verify(publicKeyPem, verification.signature, 'base64');
}

/** SpotDraft's documented check: hex HMAC-SHA512 of the raw body, key = base64-decode(hmac_key), constant time. */
function spotdraftSignatureValid(
    delivery: ReceivedDelivery,
    hmacKeyBase64: string,
    body: Buffer = delivery.raw
): boolean {
    const expected = Buffer.from(createHmac('sha512', Buffer.from(hmacKeyBase64, 'base64')).update(body).digest('hex'));
    const received = Buffer.from(String(delivery.headers['x-sd-webhook-content-hash'] ?? ''));
    return expected.length === received.length && timingSafeEqual(expected, received);
}

async function subscribeIronclad(events: string[] = ['*']) {
    const result = await h.ironclad.call('POST', '/webhooks', { body: { events, targetURL: receiver.url } });
    expect(result.status).toBe(200);
    return result.json;
}

async function launch() {
    const result = await h.ironclad.call('POST', '/workflows', {
        body: sampleIroncladLaunch(h.emulator.ironcladTemplateId)
    });
    expect(result.status).toBe(200);
    return result.json;
}

const settle = () => h.admin.ok('POST', '/webhooks/settle');
const log = async () =>
    (await h.admin.ok('GET', '/webhooks/log')).deliveries as {
        attempt: number;
        outcome: string;
        at: string;
        eventId: string;
        status?: number;
        event: string;
    }[];

describe('Ironclad webhooks', () => {
    it('registers one webhook per target and rejects bad events and foreign hosts', async () => {
        const created = await subscribeIronclad(['workflow_launched', 'workflow_completed']);
        expect(created).toMatchObject({ events: ['workflow_launched', 'workflow_completed'], targetURL: receiver.url });
        const again = await h.ironclad.call('POST', '/webhooks', { body: { events: ['*'], targetURL: receiver.url } });
        expect(again.json).toMatchObject({ code: 'INVALID_PARAM', param: 'targetURL' });
        const badEvent = await h.ironclad.call('POST', '/webhooks', {
            body: { events: ['workflow.launched'], targetURL: `${receiver.url}/2` },
            invalidRequest: true
        });
        expect(badEvent.json).toMatchObject({ code: 'INVALID_PARAM', param: 'events' });
        const foreign = await h.ironclad.call('POST', '/webhooks', {
            body: { events: ['*'], targetURL: 'https://example.com/hook' }
        });
        expect(foreign.json.param).toBe('targetURL');
        const listed = await h.ironclad.call('GET', '/webhooks');
        expect(listed.json.list.map((w: { id: string }) => w.id)).toEqual([created.id]);
        expect((await h.ironclad.call('DELETE', `/webhooks/${created.id}`)).status).toBe(200);
        expect((await h.ironclad.call('GET', `/webhooks/${created.id}`)).status).toBe(404);
    });

    it('delivers thin, RSA-signed payloads that verify with the published key, and only after rotation with the new one', async () => {
        await subscribeIronclad(['workflow_launched']);
        const workflow = await launch();
        await settle();
        expect(receiver.deliveries).toHaveLength(1);
        const [delivery] = receiver.deliveries;
        expect(delivery!.json).toEqual({
            companyID: expect.any(String),
            payload: { event: 'workflow_launched', workflowID: workflow.id, templateID: workflow.template },
            timestamp: expect.any(String),
            webhookID: expect.any(String)
        });
        const key = (await h.ironclad.call('GET', '/webhooks/verification-key')).text;
        expect(key).toMatch(/^-----BEGIN PUBLIC KEY-----/);
        expect(ironcladSignatureValid(delivery!, key)).toBe(true);
        const tampered = Buffer.from(delivery!.raw.toString('utf8').replace(workflow.id, '000000000000000000000000'));
        expect(ironcladSignatureValid(delivery!, key, tampered)).toBe(false);

        await h.admin.ok('POST', '/keys/ironclad/rotate');
        await launch();
        await settle();
        const rotated = receiver.deliveries[1]!;
        expect(ironcladSignatureValid(rotated, key)).toBe(false);
        const newKey = (await h.ironclad.call('GET', '/webhooks/verification-key')).text;
        expect(newKey).not.toBe(key);
        expect(ironcladSignatureValid(rotated, newKey)).toBe(true);
    });

    it('retries failures with exponential back-off (48 s · 2^n), same event id and bytes, fresh nonce', async () => {
        receiver.respond = (_delivery, index) => (index < 3 ? 500 : 200);
        await subscribeIronclad(['workflow_launched']);
        await launch();
        await settle();
        expect(receiver.deliveries).toHaveLength(1);
        await h.admin.advance(47_000);
        expect(receiver.deliveries).toHaveLength(1);
        await h.admin.advance(1_000);
        expect(receiver.deliveries).toHaveLength(2);
        await h.admin.advance(96_000 + 192_000);
        expect(receiver.deliveries).toHaveLength(4);
        const entries = await log();
        expect(entries.map((e) => [e.attempt, e.outcome, e.status])).toEqual([
            [1, 'failed', 500],
            [2, 'failed', 500],
            [3, 'failed', 500],
            [4, 'delivered', 200]
        ]);
        const gaps = entries.slice(1).map((entry, index) => Date.parse(entry.at) - Date.parse(entries[index]!.at));
        expect(gaps).toEqual([48_000, 96_000, 192_000]);
        const ids = new Set(receiver.deliveries.map((d) => d.headers['x-ironclad-webhook-event-id']));
        expect(ids.size).toBe(1);
        expect(new Set(receiver.deliveries.map((d) => d.raw.toString('base64'))).size).toBe(1);
        const nonces = receiver.deliveries.map(
            (d) => JSON.parse(String(d.headers['x-ironclad-webhook-verification'])).nonce
        );
        expect(new Set(nonces).size).toBe(4);
    });

    it('gives up after 10 retries (about 13.6 hours) and disables the webhook on 410 Gone', async () => {
        receiver.respond = () => 503;
        await subscribeIronclad(['workflow_launched']);
        await launch();
        await settle();
        await h.admin.advance(14 * 3_600_000);
        const entries = await log();
        expect(entries.map((e) => e.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        expect(Date.parse(entries.at(-1)!.at) - Date.parse(entries[0]!.at)).toBe(48_000 * 1023);
        await h.admin.advance(48 * 3_600_000);
        expect(await log()).toHaveLength(11);

        receiver.respond = () => 410;
        await h.admin.ok('POST', '/reset');
        await h.ironcladToken();
        await subscribeIronclad(['workflow_launched']);
        await launch();
        await settle();
        await launch();
        await settle();
        await h.admin.advance(3_600_000);
        expect(receiver.deliveries.filter((d) => d.json.payload)).toHaveLength(11 + 1);
        const registrations = (await h.admin.ok('GET', '/webhooks/registrations')).registrations;
        expect(registrations[0]).toMatchObject({ state: 'disabled', stateReason: 'target answered 410 Gone' });
    });

    it('disables a webhook after 100 consecutive failures spanning 7 days', async () => {
        receiver.respond = () => 500;
        await h.admin.ok('PUT', '/rate-limits/ironclad/workflows-write', { limit: 1000, windowMs: 60_000 });
        await subscribeIronclad(['workflow_launched']);
        for (let index = 0; index < 10; index += 1) await launch();
        await settle();
        await h.admin.advance(14 * 3_600_000);
        const registration = async () => (await h.admin.ok('GET', '/webhooks/registrations')).registrations[0];
        expect(await registration()).toMatchObject({ state: 'active', consecutiveFailures: 110 });
        await h.admin.advance(7 * 24 * 3_600_000);
        await h.ironcladToken();
        await launch();
        await settle();
        expect(await registration()).toMatchObject({
            state: 'disabled',
            stateReason: '111 consecutive failures over 7 days'
        });
        await launch();
        await settle();
        expect(receiver.deliveries).toHaveLength(111);
    });

    it('sends configured duplicates, delays and reordered batches', async () => {
        await subscribeIronclad(['workflow_launched']);
        await h.admin.ok('PUT', '/webhooks/config/ironclad', { duplicates: 1 });
        await launch();
        await settle();
        expect(receiver.deliveries).toHaveLength(2);
        expect(receiver.deliveries[0]!.headers['x-ironclad-webhook-event-id']).toBe(
            receiver.deliveries[1]!.headers['x-ironclad-webhook-event-id']
        );

        await h.admin.ok('PUT', '/webhooks/config/ironclad', { duplicates: 0, delayMs: 30_000 });
        await launch();
        await settle();
        expect(receiver.deliveries).toHaveLength(2);
        await h.admin.advance(30_000);
        expect(receiver.deliveries).toHaveLength(3);

        await h.admin.ok('PUT', '/webhooks/config/ironclad', { delayMs: 0, reorderWindow: 3 });
        const launched = [await launch(), await launch(), await launch()];
        await settle();
        const last3 = receiver.deliveries.slice(-3).map((d) => d.json.payload.workflowID);
        expect(last3).toEqual(launched.map((w) => w.id).reverse());
        await launch();
        await settle();
        expect(receiver.deliveries).toHaveLength(6);
        expect((await h.admin.ok('POST', '/webhooks/flush')).released).toBe(1);
        expect(receiver.deliveries).toHaveLength(7);
    });
});

describe('SpotDraft webhooks (developer-playbook form)', () => {
    async function subscribe(activities?: string[]) {
        const result = await h.spotdraft.call('POST', '/v2.1/public/webhooks/', {
            body: { title: 'connector', url: receiver.url, ...(activities ? { only_for_activities: activities } : {}) }
        });
        expect(result.status).toBe(201);
        return result.json;
    }

    it('signs the raw body with HMAC-SHA512 keyed by the decoded hmac_key; payloads match the spec sample schema', async () => {
        await subscribe();
        const created = await h.spotdraft.call('POST', '/v2.1/public/contracts', { body: sampleSpotdraftContract() });
        await h.admin.action('spotdraft', 'T-1', 'send-for-signature');
        await h.admin.action('spotdraft', 'T-1', 'sign');
        await h.admin.action('spotdraft', 'T-1', 'sign');
        await settle();
        expect(receiver.deliveries.map((d) => d.json.activity)).toEqual([
            'CONTRACT_CREATED',
            'CONTRACT_SIGNATURE_REQUESTED',
            'CONTRACT_SIGNED',
            'CONTRACT_SIGNED',
            'CONTRACT_EXECUTED'
        ]);
        const key = (await h.spotdraft.call('GET', '/v2.1/public/webhooks/hmac_key/')).json.hmac_key;
        for (const delivery of receiver.deliveries) {
            expect(spotdraftSignatureValid(delivery, key)).toBe(true);
            if (specsAvailable)
                expect(
                    await validateComponent('spotdraft', 'V1WebhooksCreateWebhookSampleRequest', delivery.json)
                ).toEqual([]);
        }
        const first = receiver.deliveries[0]!;
        expect(first.json).toMatchObject({
            contract_id: created.json.id,
            external_metadata: { id: '006000000000001AAA' },
            contract_status: 'DRAFT'
        });
        expect(receiver.deliveries.at(-1)!.json.contract_status).toBe('EXECUTED');
        const tampered = Buffer.from(first.raw.toString('utf8').replace('DRAFT', 'EXECUTED'));
        expect(spotdraftSignatureValid(first, key, tampered)).toBe(false);
        expect(spotdraftSignatureValid(first, Buffer.from('wrong key').toString('base64'))).toBe(false);
    });

    it('filters by activity, pauses a URL after more than 5 failures, and deletes subscriptions', async () => {
        receiver.respond = () => 500;
        const subscription = await subscribe(['CONTRACT_CREATED']);
        expect(subscription.only_for_activities).toEqual(['CONTRACT_CREATED']);
        await h.spotdraft.call('POST', '/v2.1/public/contracts', { body: sampleSpotdraftContract() });
        await h.admin.action('spotdraft', 'T-1', 'update-data', { data: { payment_terms: 'Net 10' } });
        await settle();
        await h.admin.advance(24 * 3_600_000);
        const entries = await log();
        expect(entries.map((e) => [e.event, e.attempt, e.outcome])).toEqual([
            ['CONTRACT_CREATED', 1, 'failed'],
            ['CONTRACT_CREATED', 2, 'failed'],
            ['CONTRACT_CREATED', 3, 'failed'],
            ['CONTRACT_CREATED', 4, 'failed'],
            ['CONTRACT_CREATED', 5, 'failed'],
            ['CONTRACT_CREATED', 6, 'failed']
        ]);
        const registration = (await h.admin.ok('GET', '/webhooks/registrations')).registrations[0];
        expect(registration).toMatchObject({ state: 'paused', consecutiveFailures: 6 });

        receiver.respond = () => 200;
        await h.admin.ok('POST', `/webhooks/spotdraft/${subscription.id}/enable`);
        await h.spotdraft.call('POST', '/v2.1/public/contracts', { body: sampleSpotdraftContract() });
        await settle();
        expect((await log()).at(-1)).toMatchObject({ outcome: 'delivered', event: 'CONTRACT_CREATED' });

        expect((await h.spotdraft.call('DELETE', `/v2.1/public/webhooks/${subscription.id}/`)).status).toBe(204);
        expect((await h.spotdraft.call('DELETE', `/v2.1/public/webhooks/${subscription.id}/`)).status).toBe(404);
        const next = await subscribe();
        expect(next.id).not.toBe(subscription.id);
    });

    it('re-triggers the latest delivery of given contracts with the same payload', async () => {
        await subscribe();
        await h.spotdraft.call('POST', '/v2.1/public/contracts', { body: sampleSpotdraftContract() });
        await h.admin.action('spotdraft', 'T-1', 'update-data', { data: { payment_terms: 'Net 10' } });
        await settle();
        const unknown = await h.spotdraft.call('POST', '/v2.1/public/contracts/webhooks/re_trigger_latest', {
            body: { contract_ids: [1, 99] }
        });
        expect(unknown.status).toBe(404);
        const retriggered = await h.spotdraft.call('POST', '/v2.1/public/contracts/webhooks/re_trigger_latest', {
            body: { contract_ids: [1] }
        });
        expect(retriggered.json).toEqual({ message: 'Success' });
        await settle();
        expect(receiver.deliveries.map((d) => d.json.activity)).toEqual([
            'CONTRACT_CREATED',
            'CONTRACT_DATA_UPDATED',
            'CONTRACT_DATA_UPDATED'
        ]);
        expect(receiver.deliveries[2]!.raw.equals(receiver.deliveries[1]!.raw)).toBe(true);
    });
});
