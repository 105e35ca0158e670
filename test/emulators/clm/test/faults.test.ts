// Fault injection through the admin API (429 storms, 5xx, latency, dropped connections before and after the
// handler ran), admin input validation, and reset. Injected error bodies still match each vendor's error shape.
import { describe, expect, it } from 'vitest';
import { sampleSpotdraftContract, useHarness } from './support/setup.ts';

const h = useHarness();

describe('fault injection', () => {
    it('runs a 429 storm of a given length with Retry-After, then recovers', async () => {
        await h.admin.ok('POST', '/faults', {
            vendor: 'ironclad',
            operation: 'GET /workflows',
            kind: 'rate-limit',
            count: 3,
            retryAfterSeconds: 2
        });
        const statuses: (number | string | null)[][] = [];
        for (let index = 0; index < 4; index += 1) {
            const result = await h.ironclad.call('GET', '/workflows');
            statuses.push([result.status, result.headers.get('retry-after')]);
        }
        expect(statuses).toEqual([
            [429, '2'],
            [429, '2'],
            [429, '2'],
            [200, null]
        ]);
        const counter = (await h.admin.ok('GET', '/counters')).ironclad['GET /workflows'];
        expect(counter).toMatchObject({ requests: 4, faulted: 3, rateLimited: 3, statuses: { '429': 3, '200': 1 } });
        expect((await h.admin.ok('GET', '/faults')).faults).toEqual([]);
    });

    it('answers injected 5xx in the vendor error shape, for one vendor only', async () => {
        await h.admin.ok('POST', '/faults', { vendor: 'spotdraft', kind: 'status', status: 503, count: 1 });
        const failed = await h.spotdraft.call('GET', '/v2.1/public/templates');
        expect(failed.status).toBe(503);
        expect(failed.json).toMatchObject({ detail: expect.any(String), code: 'SD_SERVER_503' });
        expect((await h.ironclad.call('GET', '/workflows')).status).toBe(200);
        expect((await h.spotdraft.call('GET', '/v2.1/public/templates')).status).toBe(200);
    });

    it('delays responses by the injected latency', async () => {
        await h.admin.ok('POST', '/faults', { vendor: 'ironclad', kind: 'latency', latencyMs: 300, count: 1 });
        const started = performance.now();
        expect((await h.ironclad.call('GET', '/workflows')).status).toBe(200);
        // A lower bound only: the request cannot finish before the injected sleep.
        expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    });

    it('answers a download elsewhere: a redirect, or a JSON link, to the location given', async () => {
        const operation = 'GET /workflows/{id}/document/{key}/download';
        const url = `${h.emulator.ironcladBaseUrl}/workflows/w1/document/k1/download`;
        await h.admin.ok('POST', '/faults', {
            vendor: 'ironclad',
            operation,
            kind: 'redirect',
            status: 307,
            location: 'http://169.254.169.254/latest/meta-data/',
            count: 1
        });
        const redirected = await fetch(url, { redirect: 'manual' });
        expect(redirected.status).toBe(307);
        expect(redirected.headers.get('location')).toBe('http://169.254.169.254/latest/meta-data/');
        await h.admin.ok('POST', '/faults', { operation, kind: 'link', location: 'http://10.0.0.1/doc.pdf', count: 1 });
        const linked = await fetch(url, { redirect: 'manual' });
        expect(await linked.json()).toEqual({ url: 'http://10.0.0.1/doc.pdf', file_name: 'contract.pdf' });
        expect((await h.admin.ok('GET', '/counters')).ironclad[operation]).toMatchObject({ faulted: 2 });
        const refused = await h.admin.request('POST', '/faults', {
            kind: 'redirect',
            status: 200,
            location: 'http://x/'
        });
        expect(refused.status).toBe(400);
        expect((await h.admin.request('POST', '/faults', { kind: 'link' })).status).toBe(400);
    });

    it('drops the connection before handling (nothing happens) or after (the write happened, the answer is lost)', async () => {
        await h.admin.ok('POST', '/faults', {
            vendor: 'spotdraft',
            operation: 'POST /v2.1/public/contracts',
            kind: 'drop',
            phase: 'before',
            count: 1
        });
        await expect(
            h.spotdraft.call('POST', '/v2.1/public/contracts', { body: sampleSpotdraftContract() })
        ).rejects.toThrow();
        expect((await h.admin.ok('GET', '/contracts?vendor=spotdraft')).contracts).toHaveLength(0);

        await h.admin.ok('POST', '/faults', {
            vendor: 'spotdraft',
            operation: 'POST /v2.1/public/contracts',
            kind: 'drop',
            phase: 'after',
            count: 1
        });
        await expect(
            h.spotdraft.call('POST', '/v2.1/public/contracts', { body: sampleSpotdraftContract() })
        ).rejects.toThrow();
        // The create went through: a client that looks up by its natural key before retrying finds exactly one.
        const found = await h.spotdraft.call('GET', '/v2.1/public/contracts/by_external_metadata/006000000000001AAA');
        expect(found.json).toHaveLength(1);
        const counter = (await h.admin.ok('GET', '/counters')).spotdraft['POST /v2.1/public/contracts'];
        expect(counter).toMatchObject({ requests: 2, dropped: 2, faulted: 2, statuses: {} });
    });
});

describe('admin API input and reset', () => {
    it('rejects malformed admin requests with a code naming the field', async () => {
        const noStatus = await h.admin.request('POST', '/faults', { kind: 'status' });
        expect(noStatus.status).toBe(400);
        expect(noStatus.json.error).toMatchObject({ code: 'admin.invalid_request', field: 'status' });
        const badKind = await h.admin.request('POST', '/faults', { kind: 'explode' });
        expect(badKind.json.error.field).toBe('kind');
        const badAction = await h.admin.request('POST', '/contracts/spotdraft/T-1/actions', { action: 'teleport' });
        expect(badAction.status).toBe(404);
        await h.spotdraft.call('POST', '/v2.1/public/contracts', { body: sampleSpotdraftContract() });
        const unknownAction = await h.admin.request('POST', '/contracts/spotdraft/T-1/actions', { action: 'teleport' });
        expect(unknownAction.status).toBe(400);
        expect(unknownAction.json.error.field).toBe('action');
        const badVendor = await h.admin.request('PUT', '/webhooks/config/docusign', { duplicates: 1 });
        expect(badVendor.json.error.code).toBe('admin.invalid_request');
        const badClock = await h.admin.request('POST', '/clock', {});
        expect(badClock.json.error.field).toBe('advanceMs');
        const notJson = await fetch(`${h.emulator.adminUrl}/faults`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{'
        });
        expect(notJson.status).toBe(400);
        expect(await notJson.json()).toMatchObject({ error: { code: 'admin.invalid_request', field: 'body' } });
    });

    it('reset clears contracts, counters, faults, webhooks and tokens', async () => {
        await h.spotdraft.call('POST', '/v2.1/public/contracts', { body: sampleSpotdraftContract() });
        await h.admin.ok('POST', '/faults', { kind: 'latency', latencyMs: 1 });
        await h.admin.ok('POST', '/reset');
        expect((await h.admin.ok('GET', '/contracts')).contracts).toEqual([]);
        expect((await h.admin.ok('GET', '/faults')).faults).toEqual([]);
        expect((await h.admin.ok('GET', '/counters')).spotdraft).toEqual({});
        expect((await h.ironclad.call('GET', '/workflows')).status).toBe(401);
    });

    it('exposes tunable settings without echoing credentials, and reset restores them', async () => {
        const changed = await h.admin.ok('PUT', '/settings', {
            spotdraftUniqueExternalMetadataId: true,
            ironcladTokenTtlSeconds: 60
        });
        expect(changed).toEqual({ spotdraftUniqueExternalMetadataId: true, ironcladTokenTtlSeconds: 60 });
        const token = await h.ironclad.callUrl('POST', h.emulator.ironcladTokenUrl, {
            form: {
                grant_type: 'client_credentials',
                client_id: h.emulator.ironcladClientId,
                client_secret: h.emulator.ironcladClientSecret
            }
        });
        expect(token.json.expires_in).toBe(60);
        const text = JSON.stringify(await h.admin.ok('GET', '/settings'));
        expect(text).not.toContain(h.emulator.ironcladClientSecret);
        expect(text).not.toContain(h.emulator.spotdraftClientSecret);
        await h.admin.ok('POST', '/reset');
        expect(await h.admin.ok('GET', '/settings')).toEqual({
            spotdraftUniqueExternalMetadataId: false,
            ironcladTokenTtlSeconds: 3600
        });
    });
});
