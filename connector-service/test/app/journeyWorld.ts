/**
 * The world of the journey suites, both sides' real code: the Salesforce emulator running the package's Apex (the
 * rep's and the admin's clicks go through its @AuraEnabled door, its platform-event triggers run the in-org
 * automation), its event bus heard by the connector's Pub/Sub ingest, the real engine over SQLite, the Ironclad
 * adapter against the CLM emulator and the connector's webhook server. Nothing of either side is built by hand:
 * a request is what the Apex publishes, a status is what the engine publishes. The CLM is watched for reachability
 * and the connector's status record is reported as main.ts wires them.
 *
 * Time: the connector's clock runs `skew` ms ahead of the wall clock, so a test moves it past a retry's backoff.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_RULES, loadRuleSet, select, where, type SendField } from '../../src/domain/index.ts';
import { connectWithJwt, JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import type { SalesforceRecord } from '../../src/ports/salesforce.ts';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import type { StorePort } from '../../src/ports/store.ts';
import { SyncEngine } from '../../src/app/syncEngine.ts';
import { PubSubIngest, SYNC_REQUEST_CHANNEL } from '../../src/adapters/salesforce/pubsub/pubsubIngest.ts';
import { buildWebhookServer } from '../../src/adapters/http/webhookRoutes.ts';
import { ClmReachability } from '../../src/app/clmReachability.ts';
import { ConnectorStatusReporter } from '../../src/app/connectorStatusReporter.ts';
import { sendWriteSet } from '../../src/app/sendWriteSet.ts';
import type { Clock } from '../../src/clock.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';
import { startClmEmulator, type ClmEmulator } from '@clm/emulators/clm';
import { clmAdminOf, ironcladFor } from './ironcladWorld.ts';

const CHANNELS = [SYNC_REQUEST_CHANNEL, '/data/OpportunityChangeEvent', '/data/ContractChangeEvent'];
const silent = { info() {}, warn() {}, error() {} };

export interface JourneyWorld {
    sfEmu: RunningSalesforceEmulator;
    clmEmu: ClmEmulator;
    /** The connector's status reporter (its heartbeat in the org), as main.ts builds it. */
    reporter: ConnectorStatusReporter;
    /** What a send writes, as the connector computes it. */
    sendFields: readonly SendField[];
    /** The Salesforce emulator's admin API (counters, clock). */
    sfAdmin(method: string, route: string, body?: unknown): Promise<unknown>;
    /** The org's admin, through the API (reads for assertions; what an admin does in Setup). */
    admin: JsforceSalesforce;
    /** Sam Seller, the sales rep: creates the deals, as a rep would. */
    rep: JsforceSalesforce;
    store: StorePort;
    engine: SyncEngine;
    /** The connector's clock: ahead of the wall clock by what `advance` added. */
    clock: Clock;
    advance(ms: number): void;
    /** A click in a component: the @AuraEnabled method as that user, its returnValue or the thrown FetchResponse. */
    aura(who: 'rep' | 'admin', classname: string, method: string, params?: Record<string, unknown>): Promise<unknown>;
    clmAdmin(method: string, route: string, body?: unknown): Promise<unknown>;
    /** A deal the CLM can take, owned by the rep: an Account with a signer and an Opportunity. */
    deal(name: string): Promise<string>;
    /** Until the bus, the ingest, the CLM's webhooks and the engine have nothing left that is due. */
    settle(): Promise<void>;
    /** Waits (bounded) until `probe` returns something truthy: what the org's asynchronous triggers do. */
    until<T>(probe: () => Promise<T | null | undefined | false>, what: string): Promise<T>;
    read(sfObject: string, id: string, fields: string[]): Promise<SalesforceRecord>;
    query(sfObject: string, fields: string[], field: string, value: string): Promise<SalesforceRecord[]>;
    close(): Promise<void>;
}

export async function startJourneyWorld(options: { maxAttempts?: number } = {}): Promise<JourneyWorld> {
    const sfEmu = await startSalesforceEmulator({ pubsub: true });
    const clmEmu = await startClmEmulator({ port: 0 });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'clm-journey-'));
    let skew = 0;
    const clock: Clock = {
        now: () => Date.now() + skew,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 50)))
    };
    const store = await openSqliteStore({
        file: path.join(dir, 'store.db'),
        maxAttempts: options.maxAttempts ?? 3,
        clock
    });
    const connect = async (username: string, clientId: string) => {
        const conn = await connectWithJwt({
            loginUrl: sfEmu.loginUrl,
            clientId: sfEmu.jwtConsumerKey,
            username,
            privateKeyPem: readFileSync(sfEmu.jwtPrivateKeyPath, 'utf8'),
            apiVersion: sfEmu.apiVersion
        });
        return {
            conn,
            port: new JsforceSalesforce(conn, { connectorClientId: clientId, apiVersion: sfEmu.apiVersion })
        };
    };
    const admin = await connect(sfEmu.username, 'setup');
    const rep = await connect(sfEmu.users.salesRep.username, 'sales-console');
    const integration = await connect(sfEmu.users.integration.username, 'clm-connector');
    // One attempt per call: a CLM that is down fails the item at once, and the engine's backoff takes over.
    const ironclad = ironcladFor(clmEmu, { backoff: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 10 }, clock });
    const reachability = new ClmReachability(clock);
    const clm = reachability.watch(ironclad);
    // What a send writes, as main.ts computes it: the engine narrows its creates with it, the status record carries it.
    const sendFields = sendWriteSet({
        template: await clm.describeTemplate(),
        capabilities: clm.capabilities(),
        clmCustomFields: ['specialTerms']
    });
    const engine = new SyncEngine({
        orgId: sfEmu.orgId,
        store,
        salesforce: integration.port,
        clm,
        sendFields,
        rules: loadRuleSet(DEFAULT_RULES),
        context: { connectorClientId: 'clm-connector', transform: { orgCurrency: 'USD' } },
        orgCurrency: 'USD',
        clmCustomFields: ['specialTerms'],
        clock,
        retry: { baseDelayMs: 60_000, maxDelayMs: 60_000 },
        random: () => 0.5
    });
    const webhooks = buildWebhookServer({ orgId: sfEmu.orgId, store, clm: ironclad });
    await webhooks.listen({ port: 0, host: '127.0.0.1' });
    const address = (webhooks as FastifyInstance).server.address();
    await ironclad.ensureWebhookSubscription(
        `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/webhooks/ironclad`
    );
    const ingest = new PubSubIngest({
        orgId: sfEmu.orgId,
        store,
        endpoint: sfEmu.pubsubEndpoint!,
        instanceUrl: sfEmu.instanceUrl,
        accessToken: () => integration.conn.accessToken!,
        channels: CHANNELS,
        logger: silent,
        allowSelfSignedTls: true
    });
    await ingest.start();
    const reporter = new ConnectorStatusReporter({
        orgId: sfEmu.orgId,
        store,
        clock,
        connectorKey: 'journeys',
        vendor: clm.vendor,
        sendFields,
        writableLifecycles: clm.capabilities().writableStates ?? null,
        sources: {
            subscriptions: () => ingest.subscriptions(),
            apiBudget: () => integration.port.apiBudget(),
            paused: () => engine.isPaused(),
            clmReachability: () => reachability.state()
        }
    });
    const tokens = { rep: rep.conn.accessToken!, admin: admin.conn.accessToken! };
    const clmAdmin = clmAdminOf(clmEmu);
    const write = async (
        port: JsforceSalesforce,
        sfObject: string,
        fields: Record<string, string | number | boolean>
    ) => {
        const [result] = await port.write([{ ref: 'x', sfObject, fields }]);
        if (!result?.success) throw result?.error ?? new Error(`insert ${sfObject}`);
        return result.id!;
    };
    const world: JourneyWorld = {
        sfEmu,
        clmEmu,
        reporter,
        sendFields,
        async sfAdmin(method, route, body) {
            const response = await fetch(`${sfEmu.adminUrl}${route}`, {
                method,
                headers: body === undefined ? {} : { 'content-type': 'application/json' },
                body: body === undefined ? undefined : JSON.stringify(body)
            });
            const text = await response.text();
            return text ? JSON.parse(text) : undefined;
        },
        admin: admin.port,
        rep: rep.port,
        store,
        engine,
        clock,
        advance(ms) {
            skew += ms;
        },
        async aura(who, classname, method, params = {}) {
            const response = await fetch(`${sfEmu.instanceUrl}/aura/apex`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[who]}` },
                body: JSON.stringify({ namespace: '', classname, method, params })
            });
            const answer = (await response.json()) as { returnValue?: unknown };
            if (!response.ok)
                throw Object.assign(new Error(`${classname}.${method}: ${response.status} ${JSON.stringify(answer)}`), {
                    answer
                });
            return answer.returnValue;
        },
        clmAdmin,
        async deal(name) {
            const accountId = await write(rep.port, 'Account', { Name: `${name} Inc`, BillingCountry: 'US' });
            await write(rep.port, 'Contact', {
                LastName: `${name} Signer`,
                Email: `signer@${name.toLowerCase()}.example`,
                AccountId: accountId
            });
            return write(rep.port, 'Opportunity', {
                Name: `${name} deal`,
                StageName: 'Negotiation/Review',
                CloseDate: '2027-03-31',
                Amount: 12000,
                AccountId: accountId
            });
        },
        async settle() {
            for (let round = 0; round < 40; round += 1) {
                await new Promise((resolve) => setTimeout(resolve, 40));
                await ingest.settled();
                await clmAdmin('POST', '/webhooks/settle');
                await engine.runUntilIdle();
                const stats = await store.stats(sfEmu.orgId, clock.now());
                const busy =
                    stats.inbox.byStatus.pending + stats.outbox.byStatus.pending + stats.inbox.byStatus.processing;
                if (busy === 0 && round > 4) return;
            }
        },
        async until(probe, what) {
            for (let round = 0; round < 100; round += 1) {
                const found = await probe();
                if (found) return found;
                await new Promise((resolve) => setTimeout(resolve, 30));
            }
            throw new Error(`timed out waiting for ${what}`);
        },
        async read(sfObject, id, fields) {
            const [found] = await admin.port.readByIds(sfObject, fields, [id]);
            if (!found) throw new Error(`${sfObject} ${id} not found`);
            return found;
        },
        async query(sfObject, fields, field, value) {
            return admin.port.query(select(fields, sfObject, { where: where.eq(field, value) }));
        },
        async close() {
            sfEmu.eventBus?.closeAll();
            ingest.close();
            await webhooks.close();
            await store.close();
            await clmEmu.close();
            await sfEmu.close();
            rmSync(dir, { recursive: true, force: true });
        }
    };
    return world;
}
