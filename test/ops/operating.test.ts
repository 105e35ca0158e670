/**
 * Operating the connector, against the real one on the emulators: a deal is sent to the CLM, then
 * - `sf clm audit` (the plugin command, in process) over the connector's /admin/audit: 100 % after the sync; a
 *   lifecycle changed behind the connector's back is reported, `--repair` sends it through the sync engine, and the
 *   next audit reports 100 % again;
 * - the Grafana dashboard (ops/grafana/clm-connector.json) passes a schema check of Grafana's dashboard JSON model
 *   and every panel's query names only metrics this running connector exports (scraped from its /metrics); the
 *   Prometheus alerting rules (ops/prometheus/alerts.yml) parse and read only exported metrics, and `promtool check
 *   rules` accepts them and the dashboard's queries where promtool is installed;
 * - no metric label says object="unknown".
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import AuditCommand from '../../connector-service/src/commands/clm/audit.ts';
import SyncStatus from '../../connector-service/src/commands/clm/sync/status.ts';
import { createLogger, startConnector } from '../../connector-service/src/main.ts';
import type { StorePort } from '../../connector-service/src/ports/store.ts';
import { useCommandContext } from '../../connector-service/test/plugin/support/commandContext.ts';
import { schemaErrors } from '../../connector-service/test/plugin/support/schemas.ts';
import { startClmEmulator, type ClmEmulator } from '../emulators/clm/src/index.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../emulators/salesforce/src/index.ts';
import { connectAs } from '../emulators/salesforce/test/helpers.ts';
import { seedDeal } from '../preview/demoData.ts';
import { emulatorConnectorConfig } from '../support/connectorConfig.ts';
import { exportedNames, metricNames } from '../support/promql.ts';
import { commandRequirement, repoRoot, requireOrSkip } from '../support/requirements.ts';

const TOKEN = `ops-${process.pid}-admin-token`;
const DASHBOARD = path.join(repoRoot, 'ops/grafana/clm-connector.json');
const ALERTS = path.join(repoRoot, 'ops/prometheus/alerts.yml');
/** Series Prometheus itself makes for every scrape target. */
const PROMETHEUS_SERIES = new Set(['up']);

let salesforce: RunningSalesforceEmulator;
let clm: ClmEmulator;
let connector: Awaited<ReturnType<typeof startConnector>>;
let dir: string;
let admin: jsforce.Connection;
let opportunityId: string;

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
    for (let attempt = 0; attempt < 300; attempt += 1) {
        const value = await read();
        if (done(value)) return value;
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
}

const scrape = async () => (await fetch(`${connector.url}/metrics`)).text();

beforeAll(async () => {
    salesforce = await startSalesforceEmulator();
    clm = await startClmEmulator({ port: 0, clockScale: 0 });
    dir = mkdtempSync(path.join(os.tmpdir(), 'clm-ops-'));
    const config = emulatorConnectorConfig(salesforce, clm, {
        storeFile: path.join(dir, 'store.db'),
        adminToken: TOKEN,
        extra: { http: { port: 0, registerWebhook: false }, log: { level: 'warn' } }
    });
    connector = await startConnector(config, createLogger(config, { write: () => true } as never));
    admin = await connectAs(salesforce, salesforce.users.admin.username);
    const deal = await seedDeal(admin, salesforce.users.salesRep.id);
    opportunityId = deal.opportunityId;
    await admin
        .sobject('Contact')
        .create({ FirstName: 'Greta', LastName: 'Signer', Email: 'greta@acme.example', AccountId: deal.accountId });
    // A rep sends the deal to the CLM (what the Pub/Sub ingest stores for a Clm_Sync_Request__e).
    const store = (connector.service as unknown as { options: { store: StorePort } }).options.store;
    await store.appendInbox(connector.orgId, [
        {
            source: 'salesforce:/event/Clm_Sync_Request__e',
            eventId: 'req-ops',
            orderingKey: `opp:${opportunityId}`,
            objectType: 'Clm_Sync_Request__e',
            payload: { kind: 'sf.syncRequest', opportunityId, requestId: 'req-ops' },
            correlationId: 'corr-req-ops'
        }
    ]);
    connector.service.kick();
    await until(
        async () => (await admin.sobject('Opportunity').retrieve(opportunityId)) as Record<string, unknown>,
        (row) => row.CLM_Lifecycle__c !== null && row.CLM_Lifecycle__c !== undefined,
        'the deal to be linked and its lifecycle written'
    );
    const stats = async () => (await store.stats(connector.orgId, Date.now())).outbox.byStatus;
    await until(stats, (byStatus) => byStatus.pending + byStatus.processing + byStatus.failed === 0, 'an idle outbox');
}, 120_000);

afterAll(async () => {
    await connector?.stop();
    await clm?.close();
    await salesforce?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('sf clm audit against the running connector', () => {
    const ctx = useCommandContext();
    const savedEnv = { ...process.env };

    it('reports 100 %, finds a change made behind its back, repairs it through the pipeline, then 100 % again', async () => {
        process.env.CLM_CONNECTOR_CONFIG = path.join(dir, 'no-plugin-config.json');
        process.env.CLM_CONNECTOR_TOKEN = TOKEN;
        try {
            const args = ['--connector-url', connector.url, '--poll-interval', '1'];
            // What the progress bar draws (cli-progress writes to stderr itself): numbers, never template text.
            const drawn: string[] = [];
            const write = process.stderr.write.bind(process.stderr);
            process.stderr.write = ((chunk: string | Uint8Array) => drawn.push(String(chunk)) > 0) as typeof write;
            let clean;
            try {
                clean = await AuditCommand.run(args, ctx.config);
            } finally {
                process.stderr.write = write;
            }
            expect(drawn.join('')).toContain('1/1 linked pairs compared');
            expect(drawn.join('')).not.toMatch(/\{\w+\}/);
            expect(schemaErrors('clm audit', clean)).toEqual([]);
            expect(clean).toMatchObject({ state: 'Completed', pairs: 1, differences: [] });
            expect(clean.fields.length).toBeGreaterThan(0);
            expect(clean.fields.every((field) => field.accuracy === 1)).toBe(true);
            expect(process.exitCode).toBeUndefined();

            // An admin changes the lifecycle the CLM owns; the connector hears nothing (no Pub/Sub here).
            await admin.sobject('Opportunity').update({ Id: opportunityId, CLM_Lifecycle__c: 'Expired' });
            const found = await AuditCommand.run([...args, '--repair'], ctx.config);
            expect(found.differences).toEqual([
                expect.objectContaining({
                    object: 'Opportunity',
                    recordId: opportunityId,
                    field: 'CLM_Lifecycle__c',
                    salesforceValue: 'Expired'
                })
            ]);
            expect(found.repairQueued).toBe(1);
            const printed = JSON.stringify(ctx.ux.table.args);
            expect(printed).toContain('CLM_Lifecycle__c');

            await until(
                async () => (await admin.sobject('Opportunity').retrieve(opportunityId)) as Record<string, unknown>,
                (row) => row.CLM_Lifecycle__c !== 'Expired',
                'the repair to reach the org'
            );
            const again = await AuditCommand.run(args, ctx.config);
            expect(again.differences).toEqual([]);
            expect(again.fields.every((field) => field.accuracy === 1)).toBe(true);

            const csv = await AuditCommand.run([...args, '--csv'], ctx.config);
            expect(csv.differences).toEqual([]);
            expect(ctx.ux.log.args.flat()).toContain(
                'pairId,object,recordId,contractId,rule,field,clmField,salesforceValue,clmValue,errorCode'
            );
        } finally {
            process.env = { ...savedEnv };
        }
    });

    it('sf clm sync status shows every field /admin/status answers', async () => {
        process.env.CLM_CONNECTOR_CONFIG = path.join(dir, 'no-plugin-config.json');
        process.env.CLM_CONNECTOR_TOKEN = TOKEN;
        try {
            const raw = (await (
                await fetch(`${connector.url}/admin/status`, { headers: { authorization: `Bearer ${TOKEN}` } })
            ).json()) as Record<string, unknown>;
            const result = await SyncStatus.run(['--connector-url', connector.url], ctx.config);
            expect(schemaErrors('clm sync status', result)).toEqual([]);
            // The schema keeps every field the connector sends: nothing is dropped on the way to the screen.
            expect(Object.keys(result).sort()).toEqual(Object.keys(raw).sort());
            const printed = JSON.stringify([ctx.ux.table.args, ctx.ux.log.args]);
            for (const queue of ['inbox', 'outbox']) expect(printed).toContain(queue);
            expect(printed).toContain('daily requests used');
        } finally {
            process.env = { ...savedEnv };
        }
    });

    it('serves the agreement per field as clm_connector_audit_agreement_ratio', async () => {
        expect(await scrape()).toMatch(
            /^clm_connector_audit_agreement_ratio\{object="Opportunity",field="CLM_Lifecycle__c"\} 1$/m
        );
    });
});

// ---- Grafana's dashboard JSON model (grafana.com/docs/grafana/latest/dashboards/build-dashboards/view-dashboard-json-model)

const GridPos = z
    .object({
        x: z.number().int().min(0).max(23),
        y: z.number().int().min(0),
        w: z.number().int().min(1).max(24),
        h: z.number().int().min(1)
    })
    .strict()
    .refine((grid) => grid.x + grid.w <= 24, 'a panel fits the 24-column grid');
const Datasource = z.object({ type: z.string(), uid: z.string() }).strict();
const Target = z.object({
    refId: z.string().regex(/^[A-Z]$/),
    expr: z.string().min(1),
    legendFormat: z.string().optional(),
    instant: z.boolean().optional(),
    datasource: Datasource.optional()
});
const PANEL_TYPES = ['timeseries', 'stat', 'gauge', 'bargauge', 'table', 'text', 'heatmap', 'piechart', 'row'] as const;
const Panel = z.object({
    id: z.number().int().positive(),
    type: z.enum(PANEL_TYPES),
    title: z.string().min(1),
    description: z.string().optional(),
    gridPos: GridPos,
    datasource: Datasource.optional(),
    targets: z.array(Target).optional(),
    fieldConfig: z.object({ defaults: z.record(z.string(), z.unknown()), overrides: z.array(z.unknown()) }).optional(),
    options: z.record(z.string(), z.unknown()).optional(),
    collapsed: z.boolean().optional(),
    panels: z.array(z.unknown()).optional()
});
const Dashboard = z.object({
    id: z.null().optional(),
    uid: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/),
    title: z.string().min(1),
    description: z.string().optional(),
    tags: z.array(z.string()),
    timezone: z.string(),
    editable: z.boolean(),
    graphTooltip: z.union([z.literal(0), z.literal(1), z.literal(2)]),
    time: z.object({ from: z.string(), to: z.string() }),
    timepicker: z.record(z.string(), z.unknown()),
    templating: z.object({
        list: z.array(z.object({ name: z.string().regex(/^\w+$/), type: z.string(), query: z.unknown() }).passthrough())
    }),
    annotations: z.object({ list: z.array(z.record(z.string(), z.unknown())) }),
    refresh: z.string(),
    schemaVersion: z.number().int().min(36),
    version: z.number().int().nonnegative(),
    links: z.array(z.unknown()),
    panels: z.array(Panel).min(1)
});

const AlertRules = z
    .object({
        groups: z
            .array(
                z
                    .object({
                        name: z.string().min(1),
                        rules: z
                            .array(
                                z
                                    .object({
                                        alert: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
                                        expr: z.string().min(1),
                                        for: z
                                            .string()
                                            .regex(/^\d+[smhdwy]$/)
                                            .optional(),
                                        labels: z.object({ severity: z.enum(['critical', 'warning', 'info']) }),
                                        annotations: z.object({
                                            summary: z.string().min(1),
                                            description: z.string().min(1)
                                        })
                                    })
                                    .strict()
                            )
                            .min(1)
                    })
                    .strict()
            )
            .min(1)
    })
    .strict();

/** Grafana's variables replaced as Grafana would, so the query is plain PromQL. */
function asPromql(expr: string): string {
    return expr.replace(/\$__rate_interval|\$__interval/g, '5m').replace(/\$job/g, '.+');
}

describe('dashboard and alerts over the metrics the connector exports', () => {
    let exported: Set<string>;
    beforeAll(async () => {
        exported = exportedNames(await scrape());
    });

    it('the dashboard loads as a Grafana dashboard and every query names an exported metric', () => {
        const dashboard = Dashboard.parse(JSON.parse(readFileSync(DASHBOARD, 'utf8')));
        const ids = dashboard.panels.map((panel) => panel.id);
        expect(new Set(ids).size).toBe(ids.length);
        const used = new Set<string>();
        const problems: string[] = [];
        for (const panel of dashboard.panels) {
            if (panel.type === 'row') continue;
            if (!panel.targets?.length) problems.push(`${panel.title}: no query`);
            for (const target of panel.targets ?? []) {
                const names = metricNames(target.expr);
                if (names.length === 0) problems.push(`${panel.title}: ${target.expr} names no metric`);
                for (const name of names) {
                    used.add(name);
                    if (!exported.has(name)) problems.push(`${panel.title}: ${name} is not exported`);
                }
            }
        }
        expect(problems).toEqual([]);
        // What the issue asks the dashboard to show, each by its metric.
        for (const name of [
            'clm_connector_sync_latency_seconds_bucket',
            'clm_connector_items_total',
            'clm_connector_item_errors_total',
            'clm_connector_oldest_pending_seconds',
            'clm_connector_salesforce_api_requests',
            'clm_connector_quarantined_items',
            'clm_connector_open_conflicts',
            'clm_connector_quote_to_contract_seconds_bucket',
            'clm_connector_audit_agreement_ratio'
        ])
            expect(used).toContain(name);
        // Panels do not overlap on the grid.
        const cells = new Set<string>();
        for (const { gridPos, title } of dashboard.panels)
            for (let x = gridPos.x; x < gridPos.x + gridPos.w; x += 1)
                for (let y = gridPos.y; y < gridPos.y + gridPos.h; y += 1) {
                    expect(cells.has(`${x},${y}`), `${title} overlaps at ${x},${y}`).toBe(false);
                    cells.add(`${x},${y}`);
                }
    });

    it('the alert rules parse and read only exported metrics', () => {
        const rules = AlertRules.parse(parseYaml(readFileSync(ALERTS, 'utf8')));
        const problems: string[] = [];
        for (const rule of rules.groups.flatMap((group) => group.rules)) {
            for (const name of metricNames(rule.expr))
                if (!exported.has(name) && !PROMETHEUS_SERIES.has(name))
                    problems.push(`${rule.alert}: ${name} is not exported`);
        }
        expect(problems).toEqual([]);
        expect(rules.groups[0]!.rules.map((rule) => rule.alert)).toEqual(
            expect.arrayContaining(['ClmConnectorItemsQuarantined', 'ClmConnectorApiBudgetPaused'])
        );
    });

    it('promtool accepts the alert rules and the dashboard queries', (context) => {
        if (!requireOrSkip(commandRequirement('promtool', 'apt-get install prometheus (Debian ships promtool in it)')))
            return context.skip();
        execFileSync('promtool', ['check', 'rules', ALERTS], { stdio: 'pipe' });
        // Each dashboard query as a recording rule: promtool parses its PromQL.
        const dashboard = Dashboard.parse(JSON.parse(readFileSync(DASHBOARD, 'utf8')));
        const recording = dashboard.panels.flatMap((panel) =>
            (panel.targets ?? []).map((target) => ({
                record: `dashboard:panel_${panel.id}_${target.refId.toLowerCase()}`,
                expr: asPromql(target.expr)
            }))
        );
        const file = path.join(dir, 'dashboard-queries.yml');
        writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules: recording }] }));
        execFileSync('promtool', ['check', 'rules', file], { stdio: 'pipe' });
    });

    it('no metric label says object="unknown"', async () => {
        const text = await scrape();
        expect(text).toMatch(/^clm_connector_items_total\{/m);
        expect(text).not.toMatch(/object="unknown"/);
    });
});
