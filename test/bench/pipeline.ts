/**
 * The pipeline half of `npm run bench`: the real connector (`startConnector`, SQLite store, Pub/Sub on, Ironclad
 * dialect) in its own process against both emulators running here, so this process can see, on the emulators' own
 * hooks, the moment a value is committed on one side and the moment it lands on the other.
 *
 * 1. Link: deals are sent through the rep's path (Clm_Sync_Request__e, Action__c 'Send') until every Opportunity
 *    and its Salesforce Contract carry the CLM contract id.
 * 2. CDC → CLM: a person (no Sforce-Call-Options client id) renames the linked deals' Accounts at a steady rate;
 *    from the Salesforce commit to the CLM holding the new counterparty name (rule Account_Name). The default rule
 *    set's Opportunity fields (StageName → dealStage, Name → title) have no attribute in the emulated Ironclad
 *    template, so the Account name is the Salesforce-owned field a deal's contract follows here.
 * 3. Webhook → Salesforce: the CLM's contract value changes (admin API, update-data) at a steady rate; from the CLM
 *    change to the connector's commit of CLM_Contract_Value__c on the Salesforce Contract.
 * 4. Throughput: every linked contract's value changes at once; record-syncs per second until all are in Salesforce.
 * 5. Memory: a fresh connector process on the same store, its work loop asleep (poll interval of an hour), gets
 *    10,000 webhook items appended to its inbox; its VmRSS (/proc/<pid>/status) before and after, and the peak
 *    while it then drains them for a few seconds. Only the connector is in that process (the emulators live here);
 *    it runs from TypeScript through tsx's loader, whose share is in the figure.
 *
 * Ironclad's published quotas (workflows: 40 writes and 400 reads a minute) are lifted in both the emulator and the
 * adapter's client-side limiter so the figures are the connector's own; against real Ironclad those quotas cap it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type jsforce from 'jsforce';
import { openSqliteStore } from '../../connector-service/src/adapters/store/sqlite/sqliteStore.ts';
import type { InboxInput } from '../../connector-service/src/ports/store.ts';
import { startClmEmulator, type ClmEmulator } from '../emulators/clm/src/index.ts';
import { contractEventObservers, type ContractEvent } from '../emulators/clm/src/store.ts';
import {
    startSalesforceEmulator,
    type CommittedTransaction,
    type RunningSalesforceEmulator
} from '../emulators/salesforce/src/index.ts';
import { connectAs } from '../emulators/salesforce/test/helpers.ts';
import type { FromConnector, ToConnector } from './connectorProcess.ts';

export interface PipelineOptions {
    /** Linked deals (Account + Contact + Opportunity, sent to the CLM). */
    pairs: number;
    cdcChanges: number;
    cdcPerSecond: number;
    webhookChanges: number;
    webhookPerSecond: number;
    /** Items queued for the memory figure. */
    queued: number;
    /** How long the memory figure's connector drains before it is stopped. */
    drainMs: number;
    /** The connector's sync.pollIntervalMs; undefined = the config default. */
    pollIntervalMs?: number;
    /** CLM changes for the drain at the vendor's limits (issue 18: 5,000); at most `pairs` are made. */
    drainChanges: number;
    /** How long the drain is watched before its end is projected from its progress. */
    drainTimeoutMs: number;
}

export interface PipelineFigures {
    pairs: number;
    linkSeconds: number;
    latencyCdcToClmP50Ms: number;
    latencyCdcToClmP99Ms: number;
    latencyCdcToClmMaxMs: number;
    latencyWebhookToSfP50Ms: number;
    latencyWebhookToSfP99Ms: number;
    latencyWebhookToSfMaxMs: number;
    recordsPerSecondSqlite: number;
    pipelineSfCallsPer1000CdcEvents: number;
    pipelineSfCallsPer1000Writes: number;
    rssMbIdle: number;
    rssMbAt10kQueued: number;
    rssMbPeakDraining: number;
    sfCallsPerChangeTrickleClmToSf: number;
    sfCallsPerChangeTrickleSfToClm: number;
    sfCallsPer1000ChangesBurst: number;
    clmReadsPerChangeTrickle: number;
    clmReadsPerChangeTrickleClmToSf: number;
    clmReadsPerChangeTrickleSfToClm: number;
    clmReadsPer1000ChangesBurst: number;
    recordSyncsPerSecond: number;
    drainSeconds5000AtVendorLimits: number;
    drainRateLimited429: number;
}

const CONNECTOR_CLIENT_ID = 'clm-connector';
const TSX_IMPORT = ['--import', 'tsx'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], share: number): number {
    if (values.length === 0) return Number.NaN;
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]!;
}

const round1 = (value: number) => Math.round(value * 10) / 10;
const round2 = (value: number) => Math.round(value * 100) / 100;

/** Start and end times per key, on this process's clock; a key ends once, and only after it started. */
class Stopwatch {
    private readonly started = new Map<string, number>();
    private readonly ended = new Map<string, number>();

    start(key: string): void {
        if (!this.started.has(key)) this.started.set(key, performance.now());
    }
    end(key: string): void {
        const started = this.started.get(key);
        if (started !== undefined && !this.ended.has(key)) this.ended.set(key, performance.now() - started);
    }
    get done(): number {
        return this.ended.size;
    }
    durations(): number[] {
        return [...this.ended.values()];
    }
}

/** Requests the CLM emulator answered, per Ironclad operation. */
async function clmRequests(clm: ClmEmulator): Promise<Record<string, number>> {
    const counters = (await (await fetch(`${clm.adminUrl}/counters`)).json()) as {
        ironclad: Record<string, { requests: number }>;
    };
    return Object.fromEntries(Object.entries(counters.ironclad).map(([op, counter]) => [op, counter.requests]));
}

/** Vendor reads (every GET but the token) among the requests counted since `before`. */
function clmReadsSince(now: Record<string, number>, before: Record<string, number>): number {
    return Object.entries(now)
        .filter(([operation]) => operation.startsWith('GET '))
        .reduce((sum, [operation, count]) => sum + count - (before[operation] ?? 0), 0);
}

/** Requests the CLM emulator refused with 429, all operations. */
async function clmRateLimited(clm: ClmEmulator): Promise<number> {
    const counters = (await (await fetch(`${clm.adminUrl}/counters`)).json()) as {
        ironclad: Record<string, { rateLimited: number }>;
    };
    return Object.values(counters.ironclad).reduce((sum, counter) => sum + counter.rateLimited, 0);
}

/** What the Salesforce endpoints the connector uses are, for the printout. */
const SALESFORCE_ENDPOINTS: Readonly<Record<string, string>> = {
    'POST /composite': 'Composite',
    'POST /composite/sobjects/:sobject': 'Collections retrieve',
    'POST /sobjects/:sobject': 'single create or event publish',
    'PATCH /sobjects/:sobject/:id': 'single update',
    'GET /query': 'SOQL'
};

/** Counts by name since `before`, most frequent first. */
function countsSince(now: Record<string, number>, before: Record<string, number>): string {
    return Object.entries(now)
        .map(([name, count]) => [name.replace('/services/data/:version', ''), count - (before[name] ?? 0)] as const)
        .filter(([, count]) => count > 0)
        .sort((a, b) => b[1] - a[1])
        .map(
            ([name, count]) =>
                `${count} × ${name}${SALESFORCE_ENDPOINTS[name] ? ` (${SALESFORCE_ENDPOINTS[name]})` : ''}`
        )
        .join(', ');
}

async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number) {
    const deadline = performance.now() + timeoutMs;
    while (!(await condition())) {
        if (performance.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
        await sleep(20);
    }
}

/** Calls `fire(i)` for i < count at `perSecond`, on schedule (not waiting for one call before the next). */
async function atSteadyRate(count: number, perSecond: number, fire: (i: number) => Promise<unknown>) {
    const start = performance.now();
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < count; i += 1) {
        const wait = start + (i * 1000) / perSecond - performance.now();
        if (wait > 0) await sleep(wait);
        calls.push(fire(i));
    }
    await Promise.all(calls);
}

/** The connector process: forked with tsx as a loader (one process, so its pid is the connector's). */
class ConnectorProcess {
    private constructor(
        private readonly child: ChildProcess,
        readonly url: string
    ) {}

    static async start(configFile: string, logFile: string): Promise<ConnectorProcess> {
        const child = fork(path.join(import.meta.dirname, 'connectorProcess.ts'), [], {
            execArgv: TSX_IMPORT,
            env: { ...process.env, BENCH_CONNECTOR_CONFIG: configFile, BENCH_CONNECTOR_LOG: logFile },
            stdio: ['ignore', 'inherit', 'inherit', 'ipc']
        });
        const url = await new Promise<string>((resolve, reject) => {
            child.once('message', (message: FromConnector) =>
                message.type === 'ready'
                    ? resolve(message.url)
                    : reject(new Error(`connector failed to start: ${JSON.stringify(message)}`))
            );
            child.once('exit', (code) => reject(new Error(`connector exited with ${code} (log: ${logFile})`)));
        });
        return new ConnectorProcess(child, url);
    }

    send(message: ToConnector): void {
        this.child.send(message);
    }

    /** VmRSS of the connector's process, read by this process. */
    rssMb(): number {
        const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
        return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
    }

    /** Its own figure (process.memoryUsage().rss), as a cross-check of the /proc reading. */
    async selfReportedRssMb(): Promise<number> {
        const answer = new Promise<number>((resolve) =>
            this.child.once('message', (message: FromConnector) =>
                resolve(message.type === 'rss' ? message.rssBytes / 1024 / 1024 : Number.NaN)
            )
        );
        this.send({ type: 'rss' });
        return answer;
    }

    /** SIGKILL, as a crash: a connector waiting on its rate limits would finish its round first on `stop`. */
    async kill(): Promise<void> {
        if (this.child.exitCode !== null || this.child.signalCode !== null) return;
        const exited = new Promise((resolve) => this.child.once('exit', resolve));
        this.child.kill('SIGKILL');
        await exited;
    }

    async stop(): Promise<void> {
        if (this.child.exitCode !== null || this.child.signalCode !== null) return;
        const exited = new Promise((resolve) => this.child.once('exit', resolve));
        this.send({ type: 'stop' });
        await exited;
    }
}

interface Deal {
    accountId: string;
    opportunityId: string;
    /** The CLM contract id the connector stamped on the Opportunity (Ironclad workflow id). */
    contractId: string;
}

async function createInChunks(conn: jsforce.Connection, sobject: string, records: Record<string, unknown>[]) {
    const ids: string[] = [];
    for (let from = 0; from < records.length; from += 200) {
        const results = await conn.sobject(sobject).create(records.slice(from, from + 200), { allOrNone: true });
        for (const result of results) {
            if (!result.success) throw new Error(`bench: creating ${sobject} failed: ${JSON.stringify(result)}`);
            ids.push(result.id);
        }
    }
    return ids;
}

export async function runPipelineBench(
    options: PipelineOptions,
    print: (line: string) => void
): Promise<PipelineFigures> {
    // A contract's value may change again only after its previous change reached Salesforce, or the connector
    // (which fetches the contract on each hint) rightly carries the newer value only and the older never arrives.
    if (options.pairs < options.webhookPerSecond * 5)
        throw new Error('bench: BENCH_PAIRS must be at least 5 × BENCH_WEBHOOK_RATE (one change per contract per 5 s)');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'clm-bench-'));
    const salesforce = await startSalesforceEmulator({ pubsub: true, dailyApiRequests: 100_000_000 });
    const clm = await startClmEmulator({ clockScale: 1 });
    let connector: ConnectorProcess | undefined;
    const unsubscribe: (() => void)[] = [];
    try {
        await liftIroncladQuotas(clm);
        const person = await connectAs(salesforce, salesforce.users.admin.username);
        const adminToken = randomBytes(18).toString('base64url');
        const storeFile = path.join(dir, 'store.db');
        const logFile = path.join(dir, 'connector.log');
        const config = connectorConfig(salesforce, clm, storeFile, adminToken, options.pollIntervalMs);
        const configFile = path.join(dir, 'config.json');
        writeFileSync(configFile, JSON.stringify(config), { mode: 0o600 });
        connector = await ConnectorProcess.start(configFile, logFile);
        const status = () => queueStatus(connector!.url, adminToken);
        const idle = async () => (await status()).busy === 0;

        // 1. Link the deals through the rep's path.
        let started = performance.now();
        const deals = await linkDeals(salesforce, person, options.pairs);
        await waitUntil('the connector to go idle after linking', idle, 60_000);
        const linkSeconds = (performance.now() - started) / 1000;
        print(`Linked ${deals.length} deals through Clm_Sync_Request__e in ${linkSeconds.toFixed(1)} s`);

        // Each side's hook: when a value is committed, and when it lands on the other side.
        const cdc = new Stopwatch();
        const webhook = new Stopwatch();
        const onClm = (event: ContractEvent) => {
            const name = event.contract.data.counterpartyName;
            if (typeof name === 'string') cdc.end(name);
            const value = event.contract.data.contractValue as { amount?: number } | undefined;
            if (event.type === 'data_updated' && value?.amount !== undefined) webhook.start(String(value.amount));
        };
        contractEventObservers.add(onClm);
        unsubscribe.push(() => contractEventObservers.delete(onClm));
        unsubscribe.push(
            salesforce.hook.subscribe((tx: CommittedTransaction) => {
                for (const change of tx.changes) {
                    if (tx.clientId !== CONNECTOR_CLIENT_ID && change.sobject === 'Account' && change.fields.Name)
                        cdc.start(String(change.fields.Name.new));
                    const value = change.fields.CLM_Contract_Value__c;
                    if (tx.clientId === CONNECTOR_CLIENT_ID && change.sobject === 'Contract' && value)
                        webhook.end(String(value.new));
                }
            })
        );
        const counters = salesforce.org.counters;
        const requestsNow = async () => ({ salesforce: { ...counters.endpoints }, clm: await clmRequests(clm) });
        const requestsSince = async (before: Awaited<ReturnType<typeof requestsNow>>) => {
            const now = await requestsNow();
            print(`  Salesforce requests: ${countsSince(now.salesforce, before.salesforce)}`);
            print(`  CLM requests: ${countsSince(now.clm, before.clm)}`);
            return clmReadsSince(now.clm, before.clm);
        };

        // 2. CDC → CLM at a steady rate.
        let billedBefore = counters.billed;
        let requestsBefore = await requestsNow();
        await atSteadyRate(options.cdcChanges, options.cdcPerSecond, (i) =>
            person.sobject('Account').update({
                Id: deals[i % deals.length]!.accountId,
                Name: `Bench Account ${i % deals.length} rename ${i}`
            })
        );
        await waitUntil('every renamed Account in the CLM', () => cdc.done === options.cdcChanges, 120_000);
        await waitUntil('the connector to go idle after the CDC run', idle, 60_000);
        const cdcCalls = counters.billed - billedBefore - options.cdcChanges; // less the person's own updates
        const cdcMs = cdc.durations();
        print(
            `CDC → CLM, ${options.cdcChanges} Account renames by a person at ${options.cdcPerSecond}/s, from the ` +
                `Salesforce commit to the CLM holding the name: p50 ${percentile(cdcMs, 0.5).toFixed(0)} ms, ` +
                `p99 ${percentile(cdcMs, 0.99).toFixed(0)} ms, max ${Math.max(...cdcMs).toFixed(0)} ms`
        );
        const cdcReads = await requestsSince(requestsBefore);

        // 3. Webhook → Salesforce at a steady rate.
        billedBefore = counters.billed;
        requestsBefore = await requestsNow();
        await atSteadyRate(options.webhookChanges, options.webhookPerSecond, (i) =>
            setContractValue(clm, deals[i % deals.length]!.contractId, 500_000 + i)
        );
        await waitUntil('every CLM value change in Salesforce', () => webhook.done === options.webhookChanges, 120_000);
        await waitUntil('the connector to go idle after the webhook run', idle, 60_000);
        const webhookMs = webhook.durations();
        print(
            `Webhook → Salesforce, ${options.webhookChanges} contract value changes in the CLM at ` +
                `${options.webhookPerSecond}/s, from the CLM change to the connector's commit on the Contract: ` +
                `p50 ${percentile(webhookMs, 0.5).toFixed(0)} ms, p99 ${percentile(webhookMs, 0.99).toFixed(0)} ms, ` +
                `max ${Math.max(...webhookMs).toFixed(0)} ms`
        );
        const webhookCalls = counters.billed - billedBefore;
        const webhookReads = await requestsSince(requestsBefore);

        // 4. Throughput: every linked contract changes at once.
        const burst = new Stopwatch();
        const onBurstClm = (event: ContractEvent) => {
            const value = event.contract.data.contractValue as { amount?: number } | undefined;
            if (event.type === 'data_updated' && value?.amount !== undefined) burst.start(String(value.amount));
        };
        contractEventObservers.add(onBurstClm);
        unsubscribe.push(() => contractEventObservers.delete(onBurstClm));
        unsubscribe.push(
            salesforce.hook.subscribe((tx) => {
                for (const change of tx.changes) {
                    const value = change.fields.CLM_Contract_Value__c;
                    if (tx.clientId === CONNECTOR_CLIENT_ID && change.sobject === 'Contract' && value)
                        burst.end(String(value.new));
                }
            })
        );
        billedBefore = counters.billed;
        requestsBefore = await requestsNow();
        started = performance.now();
        await Promise.all(deals.map((deal, n) => setContractValue(clm, deal.contractId, 900_000 + n)));
        await waitUntil('every contract of the burst in Salesforce', () => burst.done === deals.length, 300_000);
        const burstSeconds = (performance.now() - started) / 1000;
        await waitUntil('the connector to go idle after the burst', idle, 60_000);
        const burstCalls = counters.billed - billedBefore;
        const recordsPerSecond = deals.length / burstSeconds;
        print(
            `Throughput on SQLite: ${deals.length} CLM changes queued at once, all in Salesforce after ` +
                `${burstSeconds.toFixed(2)} s: ${recordsPerSecond.toFixed(1)} record-syncs/s`
        );
        const burstReads = await requestsSince(requestsBefore);
        const { quarantined } = await status();
        print(`  Items the connector quarantined during the run: ${quarantined}`);
        await connector.stop();

        // 4b. A wave of CLM changes against the vendor's documented limits, in the emulator and in the connector's
        // own pacing. Issue 18 asks for 5,000 contracts at Ironclad's limits; with fewer linked contracts (n) every
        // limit is scaled by n/5,000 (same windows), so the drain takes as long as 5,000 would at the real limits.
        const drain = await drainAtVendorLimits({
            clm,
            salesforce,
            deals,
            changes: Math.min(options.drainChanges, deals.length),
            timeoutMs: options.drainTimeoutMs,
            start: async (rateLimitsPerMinute) => {
                const limited = connectorConfig(salesforce, clm, storeFile, adminToken, options.pollIntervalMs, {
                    rateLimitsPerMinute
                });
                writeFileSync(configFile, JSON.stringify(limited), { mode: 0o600 });
                connector = await ConnectorProcess.start(configFile, logFile);
                return connector;
            },
            print
        });
        // Killed, not stopped: at the scaled limits its round may wait a minute for a token. The next start on the
        // same SQLite store takes back its claims.
        await connector?.kill();
        await liftIroncladQuotas(clm);

        // 5. Memory with a queue: a fresh connector process on the same store, its work loop asleep.
        const sleepingConfig = { ...config, sync: { pollIntervalMs: 3_600_000 } };
        writeFileSync(configFile, JSON.stringify(sleepingConfig), { mode: 0o600 });
        connector = await ConnectorProcess.start(configFile, logFile);
        await sleep(500);
        const rssIdle = connector.rssMb();
        await queueWebhookItems(storeFile, salesforce.orgId, deals, options.queued);
        await sleep(500);
        const rssQueued = connector.rssMb();
        const selfReported = await connector.selfReportedRssMb();
        connector.send({ type: 'kick' });
        let rssPeak = rssQueued;
        const drainUntil = performance.now() + options.drainMs;
        while (performance.now() < drainUntil) {
            await sleep(100);
            rssPeak = Math.max(rssPeak, connector.rssMb());
        }
        const stillQueued = (await status()).busy;
        print(
            `Connector process memory (VmRSS): idle ${rssIdle.toFixed(1)} MB; with ${options.queued} webhook items ` +
                `queued and its loop asleep ${rssQueued.toFixed(1)} MB (it reports ${selfReported.toFixed(1)} MB); ` +
                `peak while working on them for ${(options.drainMs / 1000).toFixed(0)} s ` +
                `${rssPeak.toFixed(1)} MB (${stillQueued} items still to do then)`
        );
        await connector.stop();

        return {
            pairs: deals.length,
            linkSeconds: round1(linkSeconds),
            latencyCdcToClmP50Ms: round1(percentile(cdcMs, 0.5)),
            latencyCdcToClmP99Ms: round1(percentile(cdcMs, 0.99)),
            latencyCdcToClmMaxMs: round1(Math.max(...cdcMs)),
            latencyWebhookToSfP50Ms: round1(percentile(webhookMs, 0.5)),
            latencyWebhookToSfP99Ms: round1(percentile(webhookMs, 0.99)),
            latencyWebhookToSfMaxMs: round1(Math.max(...webhookMs)),
            recordsPerSecondSqlite: round1(recordsPerSecond),
            pipelineSfCallsPer1000CdcEvents: round1((cdcCalls / options.cdcChanges) * 1000),
            pipelineSfCallsPer1000Writes: round1((burstCalls / deals.length) * 1000),
            rssMbIdle: round1(rssIdle),
            rssMbAt10kQueued: round1(rssQueued),
            rssMbPeakDraining: round1(rssPeak),
            sfCallsPerChangeTrickleClmToSf: round2(webhookCalls / options.webhookChanges),
            sfCallsPerChangeTrickleSfToClm: round2(cdcCalls / options.cdcChanges),
            sfCallsPer1000ChangesBurst: round1((burstCalls / deals.length) * 1000),
            clmReadsPerChangeTrickle: round2(
                Math.max(webhookReads / options.webhookChanges, cdcReads / options.cdcChanges)
            ),
            clmReadsPerChangeTrickleClmToSf: round2(webhookReads / options.webhookChanges),
            clmReadsPerChangeTrickleSfToClm: round2(cdcReads / options.cdcChanges),
            clmReadsPer1000ChangesBurst: round1((burstReads / deals.length) * 1000),
            recordSyncsPerSecond: round1(recordsPerSecond),
            drainSeconds5000AtVendorLimits: round1(drain.seconds),
            drainRateLimited429: drain.rateLimited
        };
    } finally {
        for (const stop of unsubscribe) stop();
        await connector?.stop();
        salesforce.eventBus?.closeAll();
        await clm.close();
        await salesforce.close();
        if (process.env.BENCH_KEEP_DIR) print(`kept ${dir}`);
        else rmSync(dir, { recursive: true, force: true });
    }
}
function connectorConfig(
    salesforce: RunningSalesforceEmulator,
    clm: ClmEmulator,
    storeFile: string,
    adminToken: string,
    pollIntervalMs: number | undefined,
    limits: { rateLimitsPerMinute?: Record<string, number> } = {}
): Record<string, unknown> {
    const unlimited = 1_000_000;
    return {
        salesforce: {
            loginUrl: salesforce.loginUrl,
            clientId: salesforce.jwtConsumerKey,
            username: salesforce.users.integration.username,
            privateKeyPem: readFileSync(salesforce.jwtPrivateKeyPath, 'utf8'),
            connectorClientId: CONNECTOR_CLIENT_ID,
            orgCurrency: 'USD',
            pubsub: { endpoint: salesforce.pubsubEndpoint, allowSelfSignedTls: true }
        },
        clm: {
            vendor: 'ironclad',
            ironclad: {
                baseUrl: clm.ironcladBaseUrl,
                tokenUrl: clm.ironcladTokenUrl,
                clientId: clm.ironcladClientId,
                clientSecret: clm.ironcladClientSecret,
                actorEmail: clm.ironcladUserEmail,
                templateName: clm.ironcladTemplateName,
                customAttributes: { specialTerms: 'paymentTerms' },
                rateLimitsPerMinute: limits.rateLimitsPerMinute ?? {
                    workflowsRead: unlimited,
                    workflowsWrite: unlimited,
                    signatures: unlimited,
                    recordsRead: unlimited,
                    webhooks: unlimited,
                    auth: unlimited
                }
            },
            customFields: ['specialTerms'],
            contractUrlTemplate: `${clm.adminUrl}/contracts/ironclad/{id}`
        },
        store: { kind: 'sqlite', file: storeFile },
        http: { port: 0 },
        admin: { token: adminToken },
        ...(pollIntervalMs === undefined ? {} : { sync: { pollIntervalMs } })
    };
}

/** Ironclad's documented per-minute limits: the connector's config names → the emulator's buckets. */
const IRONCLAD_LIMITS = [
    { config: 'workflowsRead', bucket: 'workflows-read', perMinute: 400 },
    { config: 'workflowsWrite', bucket: 'workflows-write', perMinute: 40 },
    { config: 'signatures', bucket: 'signatures', perMinute: 50 },
    { config: 'recordsRead', bucket: 'records-read', perMinute: 600 }
] as const;

/**
 * `changes` linked contracts change at once with Ironclad's limits (scaled by changes/5,000) on in the emulator and
 * in the connector's pacing; seconds until every change is in Salesforce, projected from the progress when the
 * drain outlasts `timeoutMs`.
 */
async function drainAtVendorLimits(run: {
    clm: ClmEmulator;
    salesforce: RunningSalesforceEmulator;
    deals: Deal[];
    changes: number;
    timeoutMs: number;
    start: (rateLimitsPerMinute: Record<string, number>) => Promise<ConnectorProcess>;
    print: (line: string) => void;
}): Promise<{ seconds: number; rateLimited: number }> {
    const scale = run.changes / 5000;
    // The webhook-management bucket is not the drain's work (the connector registers once at start): left as is.
    const perMinute: Record<string, number> = { auth: 60, webhooks: 100 };
    for (const limit of IRONCLAD_LIMITS) {
        const scaled = Math.max(1, Math.round(limit.perMinute * scale));
        perMinute[limit.config] = scaled;
        const response = await fetch(`${run.clm.adminUrl}/rate-limits/ironclad/${limit.bucket}`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ limit: scaled, windowMs: 60_000 })
        });
        if (!response.ok) throw new Error(`bench: setting the Ironclad ${limit.bucket} limit: ${response.status}`);
    }
    await run.start(perMinute);
    const drained = new Stopwatch();
    const stopClm = run.clm.onContractEvent((event) => {
        const value = event.contract.data.contractValue as { amount?: number } | undefined;
        if (event.type === 'data_updated' && value?.amount !== undefined) drained.start(String(value.amount));
    });
    const stopSalesforce = run.salesforce.hook.subscribe((tx) => {
        for (const change of tx.changes) {
            const value = change.fields.CLM_Contract_Value__c;
            if (tx.clientId === CONNECTOR_CLIENT_ID && change.sobject === 'Contract' && value)
                drained.end(String(value.new));
        }
    });
    try {
        const limitedBefore = await clmRateLimited(run.clm);
        const started = performance.now();
        const deals = run.deals.slice(0, run.changes);
        await Promise.all(deals.map((deal, n) => setContractValue(run.clm, deal.contractId, 700_000 + n)));
        const deadline = started + run.timeoutMs;
        while (drained.done < deals.length && performance.now() < deadline) await sleep(100);
        const elapsed = (performance.now() - started) / 1000;
        const done = drained.done;
        const seconds = done === deals.length ? elapsed : done === 0 ? Number.NaN : (elapsed * deals.length) / done;
        const rateLimited = (await clmRateLimited(run.clm)) - limitedBefore;
        run.print(
            `Drain at Ironclad's limits (scaled ×${scale.toFixed(3)}: workflows read ${perMinute.workflowsRead}/min, ` +
                `records read ${perMinute.recordsRead}/min, workflows write ${perMinute.workflowsWrite}/min): ` +
                `${run.changes} CLM changes at once, ` +
                (done === deals.length
                    ? `all in Salesforce after ${elapsed.toFixed(1)} s`
                    : `${done} in Salesforce after ${elapsed.toFixed(1)} s, all projected at ${seconds.toFixed(0)} s`) +
                `; ${rateLimited} answered 429`
        );
        return { seconds, rateLimited };
    } finally {
        stopClm();
        stopSalesforce();
    }
}

async function liftIroncladQuotas(clm: ClmEmulator): Promise<void> {
    const limits = (await (await fetch(`${clm.adminUrl}/rate-limits`)).json()) as {
        ironclad: Record<string, { limit: number; windowMs: number }>;
    };
    for (const [bucket, limit] of Object.entries(limits.ironclad)) {
        const response = await fetch(`${clm.adminUrl}/rate-limits/ironclad/${bucket}`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ ...limit, limit: 1_000_000 })
        });
        if (!response.ok) throw new Error(`bench: lifting the Ironclad ${bucket} quota: ${response.status}`);
    }
}

async function setContractValue(clm: ClmEmulator, contractId: string, amount: number): Promise<void> {
    const response = await fetch(`${clm.adminUrl}/contracts/ironclad/${contractId}/actions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'update-data', data: { contractValue: { currency: 'USD', amount } } })
    });
    if (!response.ok)
        throw new Error(`bench: update-data on ${contractId}: ${response.status} ${await response.text()}`);
}

/** The connector's queues from its admin API: items still to do (pending, claimed, waiting to retry), quarantined. */
async function queueStatus(connectorUrl: string, adminToken: string): Promise<{ busy: number; quarantined: number }> {
    const response = await fetch(`${connectorUrl}/admin/status`, {
        headers: { authorization: `Bearer ${adminToken}` }
    });
    const { queues } = (await response.json()) as {
        queues: Record<
            'inbox' | 'outbox',
            { pending: number; processing: number; failed: number; quarantined: number }
        >;
    };
    const all = Object.values(queues);
    return {
        busy: all.reduce((sum, queue) => sum + queue.pending + queue.processing + queue.failed, 0),
        quarantined: all.reduce((sum, queue) => sum + queue.quarantined, 0)
    };
}

/** Accounts, signer Contacts and Opportunities created by a person, then each deal sent by the rep's request. */
async function linkDeals(
    salesforce: RunningSalesforceEmulator,
    person: jsforce.Connection,
    count: number
): Promise<Deal[]> {
    const numbers = Array.from({ length: count }, (_, n) => n);
    const accountIds = await createInChunks(
        person,
        'Account',
        numbers.map((n) => ({ Name: `Bench Account ${n}`, BillingCity: 'Austin', BillingCountry: 'US' }))
    );
    await createInChunks(
        person,
        'Contact',
        numbers.map((n) => ({ LastName: `Signer ${n}`, Email: `signer${n}@bench.example`, AccountId: accountIds[n] }))
    );
    const opportunityIds = await createInChunks(
        person,
        'Opportunity',
        numbers.map((n) => ({
            Name: `Bench Deal ${n}`,
            StageName: 'Proposal/Price Quote',
            CloseDate: '2027-03-31',
            Amount: 10_000 + n,
            AccountId: accountIds[n]
        }))
    );
    await createInChunks(
        person,
        'Clm_Sync_Request__e',
        opportunityIds.map((id, n) => ({
            Record_Id__c: id,
            Object_Api_Name__c: 'Opportunity',
            Action__c: 'Send',
            Request_Id__c: `bench-${n}`
        }))
    );
    const stamped = () =>
        opportunityIds.map((id) => salesforce.org.store.get('Opportunity', id)?.CLM_Contract_Id__c ?? null);
    const contracts = () =>
        new Set(
            [...salesforce.org.store.table('Contract').values()].map((contract) => contract.CLM_Contract_Id__c ?? null)
        );
    await waitUntil(
        'every deal linked',
        () => {
            const ids = contracts();
            return stamped().every((id) => id !== null && ids.has(id));
        },
        60_000 + count * 200
    );
    return stamped().map((contractId, n) => ({
        accountId: accountIds[n]!,
        opportunityId: opportunityIds[n]!,
        contractId: String(contractId)
    }));
}

/** Webhook hints for the linked contracts, as the webhook route stores them, straight into the store. */
async function queueWebhookItems(storeFile: string, orgId: string, deals: Deal[], count: number): Promise<void> {
    const store = await openSqliteStore({ file: storeFile });
    try {
        for (let from = 0; from < count; from += 1000) {
            const items: InboxInput[] = [];
            for (let n = from; n < Math.min(count, from + 1000); n += 1) {
                const deal = deals[n % deals.length]!;
                const vendorEventId = `bench-queued-${n}`;
                items.push({
                    source: 'clm:ironclad:webhook',
                    eventId: vendorEventId,
                    orderingKey: `opp:${deal.opportunityId}`,
                    objectType: 'workflow',
                    payload: { kind: 'clm.event', contractId: deal.contractId, vendorEventId },
                    correlationId: `wh-${vendorEventId}`
                });
            }
            await store.appendInbox(orgId, items);
        }
    } finally {
        await store.close();
    }
}
