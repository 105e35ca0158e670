// A refused webhook delivery is visible: logged at warn with the vendor, the reason and the source address, and
// counted in clm_connector_webhooks_refused_total{vendor,reason} on the service's /metrics. Deliveries are signed
// here with SpotDraft's documented HMAC-SHA512 (not the adapter's code) and sent through the service's server.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import type { StorePort } from '../../src/ports/store.ts';
import { ConnectorService } from '../../src/adapters/http/connectorService.ts';
import { json, ManualClock, scriptedFetch, scriptedSpotdraft } from '../clm/fakes.ts';

const ORG = '00D000000000001AAA';
const hmacKey = randomBytes(32);
const clock = new ManualClock();
const warnings: { fields: Record<string, unknown>; message: string }[] = [];
let dir: string;
let store: StorePort;
let service: ConnectorService;

function delivery(timestamp = new Date(clock.now()).toISOString()): Buffer {
    return Buffer.from(
        JSON.stringify({
            activity: 'CONTRACT_EXECUTED',
            contract_id: 4711,
            contract_status: 'EXECUTED',
            activity_data: { performed_by: { name: 'CLM', email: 'clm@example.com' }, timestamp },
            created_at: '2026-01-05T08:00:00Z',
            external_metadata: { id: '006ABC' }
        })
    );
}

const sign = (key: Buffer, raw: Buffer) => createHmac('sha512', key).update(raw).digest('hex');

function post(vendor: string, raw: Buffer, headers: Record<string, string>) {
    return service.app.inject({
        method: 'POST',
        url: `/webhooks/${vendor}`,
        headers: { 'content-type': 'application/json', ...headers },
        payload: raw,
        remoteAddress: '203.0.113.7'
    });
}

async function refusedCounts(): Promise<Record<string, number>> {
    const metric = service.metrics.getSingleMetric('clm_connector_webhooks_refused_total');
    const values = metric ? (await metric.get()).values : [];
    return Object.fromEntries(values.map((value) => [`${value.labels.vendor}/${value.labels.reason}`, value.value]));
}

beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'clm-refusals-'));
    store = await openSqliteStore({ file: path.join(dir, 'store.db'), clock });
    const { fetch } = scriptedFetch(() => json({ detail: 'not found' }, 404));
    const clm = scriptedSpotdraft(fetch, clock, { webhookHmacKeyBase64: hmacKey.toString('base64') });
    service = new ConnectorService({
        name: 'refusals-test',
        version: 'test',
        orgId: ORG,
        store,
        salesforce: {} as never,
        clm,
        engine: {} as never,
        adminToken: 'unused-admin-token',
        clock,
        logger: {
            info: () => {},
            warn: (fields, message) => warnings.push({ fields, message }),
            error: () => {}
        }
    });
});

afterAll(async () => {
    await service?.app.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('refused webhook deliveries', () => {
    it('are logged at warn with vendor, reason and source address, and counted by vendor and reason', async () => {
        const good = delivery();
        expect((await post('spotdraft', good, { 'x-sd-webhook-content-hash': sign(hmacKey, good) })).statusCode).toBe(
            200
        );
        expect(warnings).toEqual([]);

        const forged = delivery();
        const wrongKey = await post('spotdraft', forged, {
            'x-sd-webhook-content-hash': sign(randomBytes(32), forged)
        });
        expect(wrongKey.statusCode).toBe(401);
        expect(JSON.parse(wrongKey.body).code).toBe('WEBHOOK.BAD_SIGNATURE');
        expect((await post('spotdraft', forged, {})).statusCode).toBe(401);
        const stale = delivery('not a time');
        expect((await post('spotdraft', stale, { 'x-sd-webhook-content-hash': sign(hmacKey, stale) })).statusCode).toBe(
            401
        );
        expect((await post('ironclad', good, {})).statusCode).toBe(404);

        expect(warnings.map(({ fields, message }) => ({ message, ...fields }))).toEqual([
            { message: 'webhook refused', vendor: 'spotdraft', reason: 'bad-signature', sourceAddress: '203.0.113.7' },
            {
                message: 'webhook refused',
                vendor: 'spotdraft',
                reason: 'missing-signature',
                sourceAddress: '203.0.113.7'
            },
            { message: 'webhook refused', vendor: 'spotdraft', reason: 'malformed', sourceAddress: '203.0.113.7' },
            {
                message: 'webhook refused',
                vendor: 'spotdraft',
                reason: 'unknown-vendor',
                sourceAddress: '203.0.113.7',
                requestedVendor: 'ironclad'
            }
        ]);
        expect(await refusedCounts()).toEqual({
            'spotdraft/bad-signature': 1,
            'spotdraft/missing-signature': 1,
            'spotdraft/malformed': 1,
            'spotdraft/unknown-vendor': 1
        });
    });
});
