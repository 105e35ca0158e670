/**
 * Metrics after real syncs: the sync engine over the Salesforce org emulator (with CPQ quotes), the SQLite store
 * and the in-memory CLM on a controlled clock, scraped from the service's /metrics. The histograms of quote
 * acceptance to contract and to signature observe exactly the deal's durations and nothing for a deal without an
 * accepted primary quote or an org without CPQ; throughput, errors and latency are counted per queue and object;
 * every metric is named per Prometheus conventions. The last case checks the wiring of the running connector.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError, DEFAULT_RULES, loadRuleSet, type Soql } from '../../src/domain/index.ts';
import { MemoryClm } from '../../src/adapters/clm/memory/memoryClm.ts';
import type { JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import type { SalesforcePort } from '../../src/ports/salesforce.ts';
import type { StorePort } from '../../src/ports/store.ts';
import { emulatorConnectorConfig } from '../../../test/support/connectorConfig.ts';
import { createLogger, startConnector } from '../../src/main.ts';
import { ConnectorService } from '../../src/adapters/http/connectorService.ts';
import { DealMetrics } from '../../src/adapters/metrics/dealMetrics.ts';
import { SyncMetrics } from '../../src/adapters/metrics/syncMetrics.ts';
import { SyncEngine } from '../../src/app/syncEngine.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';
import { startClmEmulator } from '@clm/emulators/clm';
import { connectAs } from './pubsubWorld.ts';
import type { Clock } from '../../src/clock.ts';

const ORG = '00D000000000001AAA';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let emu: RunningSalesforceEmulator;
let admin: JsforceSalesforce;
let store: StorePort;
let clm: MemoryClm;
let engine: SyncEngine;
let dealMetrics: DealMetrics;
let service: ConnectorService;
let dir: string;
let clock = 0;
/** The connector's one clock, as the test sets it: store stamps, engine, CLM and deal metrics read the same time. */
const connectorClock: Clock = { now: () => clock, sleep: async () => undefined };
const dealLog: { level: string; message: string; fields: Record<string, unknown> }[] = [];

async function connect(username: string): Promise<JsforceSalesforce> {
    return (await connectAs(emu, username, 'clm-connector')).port;
}

async function create(sfObject: string, fields: Record<string, string | number | boolean>): Promise<string> {
    const [result] = await admin.write([{ ref: 'r', sfObject, fields }]);
    if (!result?.success) throw result?.error ?? new Error(`${sfObject} not created`);
    return result.id!;
}

/** An account with a signer and an opportunity; returns the opportunity id. */
async function seedDeal(name: string): Promise<string> {
    const accountId = await create('Account', { Name: `${name} Inc`, BillingCity: 'Lyon', BillingCountry: 'FR' });
    await create('Contact', { LastName: 'Signer', Email: `sign@${name.toLowerCase()}.example`, AccountId: accountId });
    return create('Opportunity', {
        Name: `${name} deal`,
        StageName: 'Proposal/Price Quote',
        CloseDate: '2027-03-31',
        Amount: 50000,
        AccountId: accountId
    });
}

/** A CPQ quote on the deal; returns its LastModifiedDate (epoch ms) as the org reports it. */
async function quote(opportunityId: string, status: string, primary: boolean): Promise<number> {
    const id = await create('SBQQ__Quote__c', {
        SBQQ__Opportunity2__c: opportunityId,
        SBQQ__Primary__c: primary,
        SBQQ__Status__c: status
    });
    const [row] = await admin.readByIds('SBQQ__Quote__c', ['LastModifiedDate'], [id]);
    return Date.parse(String(row!.LastModifiedDate).replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
}

/**
 * What the CPQ package's README asks of an admin: the core permission set cannot name CPQ objects, so the
 * integration user is given read on the quote and its lines (with their product names) separately.
 */
function grantCpqRead(): void {
    const read = { allowRead: true, allowCreate: false, allowEdit: false, allowDelete: false };
    const permissionSetId = emu.org.addPermissionSet({
        name: 'Clm_Connector_Integration_Cpq',
        label: 'CLM Connector Integration (CPQ)',
        description: 'Read on CPQ quotes for the connector',
        objectPermissions: ['SBQQ__Quote__c', 'SBQQ__QuoteLine__c'].map((object) => ({
            object,
            ...read,
            viewAllRecords: true,
            modifyAllRecords: false
        })),
        fieldPermissions: [
            'SBQQ__Quote__c.SBQQ__Opportunity2__c',
            'SBQQ__Quote__c.SBQQ__Primary__c',
            'SBQQ__Quote__c.SBQQ__Status__c',
            'SBQQ__QuoteLine__c.SBQQ__Quote__c',
            'SBQQ__QuoteLine__c.SBQQ__Product__c',
            'SBQQ__QuoteLine__c.SBQQ__ProductName__c',
            'SBQQ__QuoteLine__c.SBQQ__Quantity__c',
            'SBQQ__QuoteLine__c.SBQQ__NetPrice__c'
        ].map((field) => ({ field, readable: true, editable: false })),
        userPermissions: []
    });
    emu.org.seedRecord('PermissionSetAssignment', {
        AssigneeId: emu.users.integration.id,
        PermissionSetId: permissionSetId,
        IsActive: true
    });
}

async function requestSync(opportunityId: string, requestId: string): Promise<void> {
    await store.appendInbox(ORG, [
        {
            source: 'salesforce:/event/Clm_Sync_Request__e',
            eventId: requestId,
            orderingKey: `opp:${opportunityId}`,
            objectType: 'Clm_Sync_Request__e',
            payload: { kind: 'sf.syncRequest', opportunityId, requestId },
            correlationId: `corr-${requestId}`
        }
    ]);
}

async function signInClm(opportunityId: string, eventId: string): Promise<void> {
    const contract = (await clm.findByExternalRef({
        system: 'salesforce',
        objectType: 'Opportunity',
        id: opportunityId
    }))!;
    await clm.transition(contract.id, 'submit');
    await clm.transition(contract.id, 'requestSignature');
    clm.completeSignature(contract.id);
    await store.appendInbox(ORG, [
        {
            source: 'clm:memory:webhook',
            eventId,
            orderingKey: `opp:${opportunityId}`,
            objectType: 'contract',
            payload: { kind: 'clm.event', contractId: contract.id, vendorEventId: eventId },
            correlationId: `corr-${eventId}`
        }
    ]);
}

async function runAll(): Promise<void> {
    await engine.runUntilIdle();
    await dealMetrics.settled();
}

/** Prometheus text parsed back: one entry per sample line, keyed by name and labels as written. */
function samplesOf(text: string): Map<string, number> {
    const samples = new Map<string, number>();
    for (const line of text.split('\n')) {
        const match = /^([a-z_:][a-z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
        if (match) samples.set(match[1]!, Number(match[2]));
    }
    return samples;
}

/** The metrics as the service serves them at /metrics. */
async function scrape(): Promise<Map<string, number>> {
    const response = await service.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    return samplesOf(response.body);
}

beforeAll(async () => {
    emu = await startSalesforceEmulator();
    grantCpqRead();
    dir = mkdtempSync(path.join(os.tmpdir(), 'clm-metrics-'));
    store = await openSqliteStore({ file: path.join(dir, 'store.db'), maxAttempts: 3, clock: connectorClock });
    admin = await connect(emu.username);
    clm = new MemoryClm(connectorClock);
    const salesforce = await connect(emu.users.integration.username);
    const registry = new Registry();
    const syncMetrics = new SyncMetrics({ registry });
    dealMetrics = new DealMetrics({
        registry,
        salesforce,
        log: (level, message, fields) => dealLog.push({ level, message, fields })
    });
    engine = new SyncEngine({
        orgId: ORG,
        store: syncMetrics.instrument(store),
        salesforce,
        clm,
        rules: loadRuleSet(DEFAULT_RULES),
        context: { connectorClientId: 'clm-connector', transform: { orgCurrency: 'USD' } },
        orgCurrency: 'USD',
        clock: connectorClock,
        random: () => 0,
        onMilestone: (milestone) => dealMetrics.onMilestone(milestone)
    });
    service = new ConnectorService({
        name: 'metrics-test',
        version: 'test',
        orgId: ORG,
        store,
        salesforce,
        clm,
        engine,
        adminToken: 'unused-admin-token',
        logger: { info: () => {}, warn: () => {}, error: () => {} },
        metrics: registry
    });
});

afterAll(async () => {
    await service?.app.close();
    await store?.close();
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

const isNodeDefault = (name: string) => /^clm_connector_(nodejs|process)_/.test(name);
const CONTRACT = 'clm_connector_quote_to_contract_seconds';
const SIGNATURE = 'clm_connector_quote_to_signature_seconds';
const LAST_MODIFIED = '{accepted_from="last_modified"}';

describe('deal metrics', () => {
    it('times a deal from its accepted primary quote to the contract and to the signature', async () => {
        const opportunityId = await seedDeal('Acme');
        await quote(opportunityId, 'Draft', false); // an older, non-primary quote does not count
        const acceptedAt = await quote(opportunityId, 'Accepted', true);
        clock = acceptedAt + 2 * HOUR;
        await requestSync(opportunityId, 'req-acme');
        await runAll();
        clock = acceptedAt + 3 * DAY;
        await signInClm(opportunityId, 'wh-acme-signed');
        await runAll();
        const samples = await scrape();
        expect(samples.get(`${CONTRACT}_count${LAST_MODIFIED}`)).toBe(1);
        expect(samples.get(`${CONTRACT}_sum${LAST_MODIFIED}`)).toBe(7200);
        expect(samples.get(`${CONTRACT}_bucket{le="3600",accepted_from="last_modified"}`)).toBe(0);
        expect(samples.get(`${CONTRACT}_bucket{le="10800",accepted_from="last_modified"}`)).toBe(1);
        expect(samples.get(`${SIGNATURE}_count${LAST_MODIFIED}`)).toBe(1);
        expect(samples.get(`${SIGNATURE}_sum${LAST_MODIFIED}`)).toBe(3 * 86_400);
        expect(samples.get(`${SIGNATURE}_bucket{le="172800",accepted_from="last_modified"}`)).toBe(0);
        expect(samples.get(`${SIGNATURE}_bucket{le="259200",accepted_from="last_modified"}`)).toBe(1);
        expect(dealLog).toEqual([]);
    });

    it('observes nothing for a deal whose primary quote is not accepted (an accepted non-primary one aside)', async () => {
        const opportunityId = await seedDeal('Globex');
        await quote(opportunityId, 'Accepted', false);
        await quote(opportunityId, 'Presented', true);
        clock += HOUR;
        await requestSync(opportunityId, 'req-globex');
        await runAll();
        clock += DAY;
        await signInClm(opportunityId, 'wh-globex-signed');
        await runAll();
        expect(
            (await clm.findByExternalRef({ system: 'salesforce', objectType: 'Opportunity', id: opportunityId }))
                ?.status.lifecycle
        ).toBe('Signed');
        const samples = await scrape();
        expect(samples.get(`${CONTRACT}_count${LAST_MODIFIED}`)).toBe(1);
        expect(samples.get(`${SIGNATURE}_count${LAST_MODIFIED}`)).toBe(1);
        expect(dealLog).toEqual([]);
    });

    it('observes nothing, and logs no failure, in an org without CPQ', async () => {
        const opportunityId = await seedDeal('Initech');
        await quote(opportunityId, 'Accepted', true);
        // The org answers as one without the CPQ package does (the engine's quote-lines read takes one too).
        emu.org.faults.add({ sobject: 'SBQQ__Quote__c', operation: 'query', errorCode: 'INVALID_TYPE', count: 2 });
        try {
            clock += HOUR;
            await requestSync(opportunityId, 'req-initech');
            await runAll();
            expect(emu.org.faults.list()).toEqual([]);
        } finally {
            emu.org.faults.clear();
        }
        expect(
            await clm.findByExternalRef({ system: 'salesforce', objectType: 'Opportunity', id: opportunityId })
        ).not.toBeNull();
        const samples = await scrape();
        expect(samples.get(`${CONTRACT}_count${LAST_MODIFIED}`)).toBe(1);
        expect(dealLog).toEqual([]);
    });

    it('takes the acceptance from the quote field history when the org keeps it', async () => {
        // The emulator has no history objects: this port answers the two reads as an org with history does.
        const queries: string[] = [];
        const salesforce = {
            query: async (soql: Soql) => {
                queries.push(soql);
                if (soql.includes('FROM SBQQ__Quote__History'))
                    return [{ NewValue: 'Accepted', CreatedDate: '2026-11-02T10:00:00.000+0000' }];
                return [
                    {
                        Id: 'a0x000000000001AAA',
                        SBQQ__Status__c: 'Accepted',
                        LastModifiedDate: '2026-11-03T10:00:00.000+0000'
                    }
                ];
            }
        } as unknown as SalesforcePort;
        const registry = new Registry();
        const metrics = new DealMetrics({ registry, salesforce });
        const milestone = { pairId: 'opp:1', opportunityId: '006000000000001AAA', correlationId: 'c' };
        metrics.onMilestone({ ...milestone, kind: 'contractCreated', at: Date.parse('2026-11-02T12:00:00Z') });
        metrics.onMilestone({ ...milestone, kind: 'contractCreated', at: Date.parse('2026-11-02T13:00:00Z') });
        await metrics.settled();
        metrics.onMilestone({ ...milestone, kind: 'signed', at: Date.parse('2026-11-09T10:00:00Z') });
        await metrics.settled();
        const samples = samplesOf(await registry.metrics());
        expect(samples.get(`${CONTRACT}_count{accepted_from="field_history"}`)).toBe(1);
        expect(samples.get(`${CONTRACT}_sum{accepted_from="field_history"}`)).toBe(7200);
        expect(samples.get(`${SIGNATURE}_sum{accepted_from="field_history"}`)).toBe(7 * 86_400);
        expect(queries[1]).toBe(
            "SELECT NewValue, CreatedDate FROM SBQQ__Quote__History WHERE (ParentId IN ('a0x000000000001AAA')) AND (Field = 'SBQQ__Status__c') ORDER BY CreatedDate DESC LIMIT 1"
        );
        // A repeated milestone is observed once, and the signature reuses the acceptance read at creation.
        expect(queries.filter((query) => query.includes('FROM SBQQ__Quote__c'))).toHaveLength(1);
    });

    it('logs and skips a failed read without throwing into the engine', async () => {
        const log: string[] = [];
        const salesforce = {
            query: async () => {
                throw new ConnectorError('SF.SERVER_ERROR', 'the org is down', {});
            }
        } as unknown as SalesforcePort;
        const metrics = new DealMetrics({
            registry: new Registry(),
            salesforce,
            log: (_level, message) => log.push(message)
        });
        expect(() =>
            metrics.onMilestone({
                kind: 'signed',
                pairId: 'p',
                opportunityId: '006000000000001AAA',
                correlationId: 'c',
                at: 0
            })
        ).not.toThrow();
        await metrics.settled();
        expect(log).toEqual(['deal milestone not measured']);
    });
});

describe('sync metrics', () => {
    it('counts settled items per queue, object and outcome, and times them', async () => {
        const before = await scrape();
        const opportunityId = await seedDeal('Umbrella');
        await requestSync(opportunityId, 'req-umbrella');
        await runAll();
        // A Salesforce change committed 1.5 s before it is planned; its CLM write goes out 400 ms later.
        const committedAt = clock + 10_000;
        clock = committedAt + 1500;
        await store.appendInbox(ORG, [
            {
                source: 'salesforce:/data/OpportunityChangeEvent',
                eventId: 'cdc-umbrella-1',
                orderingKey: `opp:${opportunityId}`,
                objectType: 'Opportunity',
                payload: {
                    kind: 'sf.change',
                    change: {
                        source: 'salesforce',
                        sfObject: 'Opportunity',
                        recordId: opportunityId,
                        eventId: 'cdc-umbrella-1',
                        correlationId: 'corr-cdc-umbrella-1',
                        version: { at: new Date(committedAt).toISOString(), seq: 1 },
                        values: { StageName: 'Negotiation/Review' }
                    }
                },
                correlationId: 'corr-cdc-umbrella-1'
            }
        ]);
        await engine.processInbox();
        clock += 400;
        await engine.dispatchOutbox();
        // A request for a record id that cannot exist is refused for good.
        await requestSync('0065e000000PoIsAAA', 'req-poison');
        await runAll();
        const after = await scrape();
        const delta = (sample: string) => (after.get(sample) ?? 0) - (before.get(sample) ?? 0);
        const items = (labels: string) => delta(`clm_connector_items_total{${labels}}`);
        expect(items('queue="inbox",object="Clm_Sync_Request__e",outcome="done"')).toBe(1);
        expect(items('queue="inbox",object="Opportunity",outcome="done"')).toBe(1);
        expect(items('queue="inbox",object="Clm_Sync_Request__e",outcome="quarantined"')).toBe(1);
        expect(items('queue="outbox",object="contract",outcome="done"')).toBeGreaterThan(0);
        expect(
            delta('clm_connector_item_errors_total{queue="inbox",object="Clm_Sync_Request__e",code="SF.INVALID_ID"}')
        ).toBe(1);
        const latency = 'clm_connector_sync_latency_seconds';
        expect(delta(`${latency}_count{queue="inbox",object="Opportunity"}`)).toBe(1);
        expect(delta(`${latency}_sum{queue="inbox",object="Opportunity"}`)).toBeCloseTo(1.5, 9);
        // The stage change goes to the CLM (a clm.update names no Salesforce object) 0.4 s after it was queued;
        // every other write went out on the clock reading it was queued at.
        expect(delta(`${latency}_sum{queue="outbox",object="contract"}`)).toBeCloseTo(0.4, 9);
        expect(delta(`${latency}_bucket{le="0.25",queue="outbox",object="contract"}`)).toBe(
            delta(`${latency}_count{queue="outbox",object="contract"}`) - 1
        );
    });
});

describe('Prometheus conventions', () => {
    it('names every metric in snake_case with its unit: counters in _total, durations in _seconds', async () => {
        const metrics = await service.metrics.getMetricsAsJSON();
        const names = metrics.map((metric) => metric.name);
        expect(names).toEqual(
            expect.arrayContaining([
                CONTRACT,
                SIGNATURE,
                'clm_connector_items_total',
                'clm_connector_item_errors_total',
                'clm_connector_sync_latency_seconds',
                'clm_connector_queue_items_by_object',
                'clm_connector_quarantined_items',
                'clm_connector_salesforce_api_requests'
            ])
        );
        const timeWords = /\b(time|times|duration|latency|age|lag|delay|elapsed|how long|since|until)\b/i;
        const problems: string[] = [];
        for (const metric of metrics) {
            const { name, help } = metric;
            const type = String(metric.type);
            const labels = new Set(((metric as { labelNames?: string[] }).labelNames ?? []) as string[]);
            if (!/^clm_connector_[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(name)) problems.push(`${name}: not snake_case`);
            if (!help.trim()) problems.push(`${name}: no help`);
            if (type === 'counter' && !name.endsWith('_total')) problems.push(`${name}: a counter ends in _total`);
            // prom-client's own Node.js gauges (nodejs_active_handles_total…) keep the names every Node exporter uses.
            if (type !== 'counter' && name.endsWith('_total') && !isNodeDefault(name))
                problems.push(`${name}: _total is for counters`);
            if (/_(ms|millis|milliseconds|minutes|hours|days)(_|$)/.test(name))
                problems.push(`${name}: a duration is in seconds`);
            if ((type === 'histogram' || type === 'summary') && !/_(seconds|bytes)$/.test(name))
                problems.push(`${name}: a distribution names its unit`);
            if (
                (timeWords.test(help) || /_(latency|duration|age|lag)(_|$)/.test(name)) &&
                !/_seconds(_total)?$/.test(name)
            )
                problems.push(`${name}: a duration without _seconds`);
            for (const label of labels)
                if (!/^[a-z][a-z0-9_]*$/.test(label)) problems.push(`${name}: label ${label} not snake_case`);
        }
        expect(problems).toEqual([]);
    });
});

describe('the running connector', () => {
    it('serves the deal and sync metrics after a sync (the composition root wires them)', async () => {
        const clmEmu = await startClmEmulator({ port: 0, clockScale: 0 });
        const stateDir = mkdtempSync(path.join(os.tmpdir(), 'clm-metrics-run-'));
        const config = emulatorConnectorConfig(emu, clmEmu, {
            storeFile: path.join(stateDir, 'store.db'),
            adminToken: 'admin-token-for-metrics',
            extra: { http: { port: 0, registerWebhook: false }, log: { level: 'warn' } }
        });
        const connector = await startConnector(config, createLogger(config, { write: () => true } as never));
        try {
            const opportunityId = await seedDeal('Hooli');
            await quote(opportunityId, 'Accepted', true);
            const runningStore = (connector.service as unknown as { options: { store: StorePort } }).options.store;
            await runningStore.appendInbox(connector.orgId, [
                {
                    source: 'salesforce:/event/Clm_Sync_Request__e',
                    eventId: 'req-hooli',
                    orderingKey: `opp:${opportunityId}`,
                    objectType: 'Clm_Sync_Request__e',
                    payload: { kind: 'sf.syncRequest', opportunityId, requestId: 'req-hooli' },
                    correlationId: 'corr-req-hooli'
                }
            ]);
            connector.service.kick();
            const counted = /^clm_connector_quote_to_contract_seconds_count\{accepted_from="last_modified"\} 1$/m;
            let text = '';
            for (let attempt = 0; attempt < 200 && !counted.test(text); attempt += 1) {
                await new Promise((resolve) => setTimeout(resolve, 100));
                text = await (await fetch(`${connector.url}/metrics`)).text();
            }
            expect(text).toMatch(counted);
            expect(text).toMatch(
                /^clm_connector_items_total\{queue="inbox",object="Clm_Sync_Request__e",outcome="done"\} 1$/m
            );
            expect(text).toMatch(/^# TYPE clm_connector_sync_latency_seconds histogram$/m);
        } finally {
            await connector.stop();
            await clmEmu.close();
            rmSync(stateDir, { recursive: true, force: true });
        }
    });
});
