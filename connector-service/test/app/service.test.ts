/**
 * The running connector as an operator meets it: the admin API refuses callers without the token, metrics are
 * exposed in Prometheus form, a quarantined item posts an alert, and the log carries correlation ids and no secret.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorConnectorConfig } from '../../../test/support/connectorConfig.ts';
import { createLogger, startConnector, type RunningConnector } from '../../src/main.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';
import { startClmEmulator, type ClmEmulator } from '@clm/emulators/clm';

const ADMIN_TOKEN = 'admin-token-7f3c9e1b2a';
let sfEmu: RunningSalesforceEmulator;
let clmEmu: ClmEmulator;
let connector: RunningConnector;
let alerts: Server;
let dir: string;
const alertBodies: string[] = [];
const logLines: string[] = [];
let alertUrl: string;

function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
    const started = Date.now();
    return (async () => {
        while (Date.now() - started < timeoutMs) {
            const value = await probe();
            if (value !== undefined) return value;
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error(`timed out waiting for ${what}`);
    })();
}

beforeAll(async () => {
    sfEmu = await startSalesforceEmulator();
    clmEmu = await startClmEmulator({ port: 0, clockScale: 0 });
    dir = mkdtempSync(path.join(os.tmpdir(), 'clm-service-'));
    alerts = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk) => (body += chunk));
        request.on('end', () => {
            alertBodies.push(body);
            response.end('ok');
        });
    });
    await new Promise<void>((resolve) => alerts.listen(0, '127.0.0.1', resolve));
    const address = alerts.address();
    alertUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
    const config = emulatorConnectorConfig(sfEmu, clmEmu, {
        storeFile: path.join(dir, 'store.db'),
        adminToken: ADMIN_TOKEN,
        extra: {
            sync: { pollIntervalMs: 50, maxAttempts: 2, retryBaseDelayMs: 1, retryMaxDelayMs: 5 },
            alerts: { webhookUrl: alertUrl }
        }
    });
    const sink = new Writable({
        write(chunk, _encoding, done) {
            logLines.push(...String(chunk).split('\n').filter(Boolean));
            done();
        }
    });
    connector = await startConnector(config, createLogger(config, sink));
});

afterAll(async () => {
    await connector?.stop();
    await new Promise<void>((resolve) => alerts?.close(() => resolve()));
    await clmEmu?.close();
    await sfEmu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the running connector', () => {
    it('refuses admin calls without the token and answers with it', async () => {
        expect((await fetch(`${connector.url}/admin/status`)).status).toBe(401);
        const wrong = await fetch(`${connector.url}/admin/status`, { headers: { authorization: 'Bearer nope' } });
        expect(wrong.status).toBe(401);
        expect(await wrong.json()).toMatchObject({ code: 'ADMIN.UNAUTHORIZED' });
        const ok = await fetch(`${connector.url}/admin/status`, {
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` }
        });
        expect(ok.status).toBe(200);
        expect(await ok.json()).toMatchObject({ orgId: connector.orgId, queues: { inbox: { pending: 0 } } });
        expect((await fetch(`${connector.url}/readyz`)).status).toBe(200);
    });

    it('quarantines an item that keeps failing, posts an alert, lists it and replays it', async () => {
        // A sync request for an Opportunity the integration user cannot read fails for good.
        await connector.service['options'].store.appendInbox(connector.orgId, [
            {
                source: 'test',
                eventId: 'poison-1',
                orderingKey: 'opp:x',
                payload: { kind: 'sf.syncRequest', opportunityId: '0065e000000PoIsAAA', requestId: 'r-poison' },
                correlationId: 'corr-poison-1'
            }
        ]);
        connector.service.kick();
        const errors = await waitFor(async () => {
            const response = await fetch(`${connector.url}/admin/errors`, {
                headers: { authorization: `Bearer ${ADMIN_TOKEN}` }
            });
            const body = (await response.json()) as { items: { id: string; code: string; correlationId: string }[] };
            return body.items.length > 0 ? body.items : undefined;
        }, 'a quarantined item');
        expect(errors[0]).toMatchObject({ correlationId: 'corr-poison-1' });
        await waitFor(async () => (alertBodies.length > 0 ? true : undefined), 'an alert');
        expect(JSON.parse(alertBodies[0]!).text).toContain('quarantined');
        const replay = await fetch(`${connector.url}/admin/replay`, {
            method: 'POST',
            headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
            body: JSON.stringify({ ids: [errors[0]!.id] })
        });
        expect(await replay.json()).toEqual({ replayed: 1 });
    });

    it('exposes Prometheus metrics named by convention', async () => {
        const text = await (await fetch(`${connector.url}/metrics`)).text();
        expect(text).toMatch(/^# TYPE clm_connector_queue_items gauge$/m);
        expect(text).toMatch(/^clm_connector_queue_items\{queue="inbox",status="quarantined"\} \d+$/m);
        expect(text).toMatch(/^clm_connector_quarantined_items \d+$/m);
        expect(text).toMatch(/^clm_connector_loop_items_total\{queue="inbox"\} \d+$/m);
        expect(text).toMatch(/^clm_connector_salesforce_api_requests\{kind="max"\} 15000$/m);
        for (const name of text.match(/^# TYPE (\S+) (\S+)$/gm) ?? []) {
            const [, metric, type] = name.split(' ').slice(1);
            expect(metric).toMatch(/^clm_connector_[a-z0-9_]+$/);
            if (type === 'counter') expect(metric).toMatch(/_total$/);
        }
    });

    it('logs JSON with correlation ids and never a secret', async () => {
        expect(logLines.length).toBeGreaterThan(0);
        const entries = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
        expect(entries.some((entry) => entry.correlationId === 'corr-poison-1')).toBe(true);
        const all = logLines.join('\n');
        for (const secret of [
            ADMIN_TOKEN,
            clmEmu.ironcladClientSecret,
            readFileSync(sfEmu.jwtPrivateKeyPath, 'utf8').split('\n')[1]!,
            alertUrl
        ]) {
            expect(all).not.toContain(secret);
        }
    });

    it('posts an alert when the org API allocation slows the work, and when it is back to normal', async () => {
        const setRemaining = (remaining: number) =>
            fetch(`${sfEmu.adminUrl}/limits/DailyApiRequests`, {
                method: 'PUT',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ Max: 100_000, Remaining: remaining })
            });
        // The connector learns the figure from its own calls (Sforce-Limit-Info): a request it must look up.
        const lookUp = (n: number) =>
            connector.service['options'].store.appendInbox(connector.orgId, [
                {
                    source: 'test',
                    eventId: `budget-${n}`,
                    orderingKey: `opp:budget-${n}`,
                    payload: {
                        kind: 'sf.syncRequest',
                        opportunityId: '0065e000000BuDgAAA',
                        requestId: `r-budget-${n}`
                    },
                    correlationId: `corr-budget-${n}`
                }
            ]);
        const alertsBefore = alertBodies.length;
        await setRemaining(20_000); // 80% used: past the 75% slow-down share, below the 90% pause
        await lookUp(1);
        connector.service.kick();
        const slowed = await waitFor(
            async () => alertBodies.slice(alertsBefore).find((body) => body.includes('slowed')),
            'the slow-down alert'
        );
        expect(JSON.parse(slowed).text).toMatch(/work is slowed .*80\d\d\d of 100000 daily API requests used/);
        await setRemaining(90_000);
        await lookUp(2);
        await waitFor(
            async () => alertBodies.slice(alertsBefore).find((body) => body.includes('back to normal')),
            'the back-to-normal alert'
        );
    });
});
