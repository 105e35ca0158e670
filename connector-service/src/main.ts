/**
 * Composition root: reads the config, opens the store, connects to Salesforce and the CLM, loads the org's field
 * rules, and runs the connector until SIGTERM/SIGINT. Everything else receives its dependencies from here.
 */
import { hostname } from 'node:os';
import pino from 'pino';
import {
    DEFAULT_RULES,
    defaultChangeChannels,
    isConnectorError,
    loadRuleSet,
    narrowToWritable,
    ruleFromRecord,
    select,
    type FieldRuleInput,
    type RuleSet
} from './domain/index.ts';
import { loadConfig, redactedConfig, type ConnectorConfig } from './config/config.ts';
import { connectWithJwt, JsforceSalesforce } from './adapters/salesforce/jsforceSalesforce.ts';
import { connectWithSfCli } from './adapters/salesforce/sfCliAuth.ts';
import { openPostgresStore } from './adapters/store/postgres/postgresStore.ts';
import { openSqliteStore } from './adapters/store/sqlite/sqliteStore.ts';
import { logTo } from './ports/logger.ts';
import type { SalesforcePort } from './ports/salesforce.ts';
import type { StorePort } from './ports/store.ts';
import { webhookAlert } from './app/alerts.ts';
import { ConnectorService } from './adapters/http/connectorService.ts';
import { SyncEngine } from './app/syncEngine.ts';
import { PubSubIngest, SYNC_REQUEST_CHANNEL } from './adapters/salesforce/pubsub/pubsubIngest.ts';
import { ConnectorStatusReporter } from './app/connectorStatusReporter.ts';
import { sendWriteSet } from './app/sendWriteSet.ts';
import { ClmPoller } from './app/clmPoller.ts';
import { Audit } from './app/audit.ts';
import { Backfill } from './app/backfill.ts';
import { DealMetrics } from './adapters/metrics/dealMetrics.ts';
import { newMetricsRegistry } from './adapters/metrics/serviceMetrics.ts';
import { SyncMetrics } from './adapters/metrics/syncMetrics.ts';
import { clmCanWrite } from './app/clmFields.ts';
import { ClmReachability } from './app/clmReachability.ts';
import { requireSubscriptionPermissions } from './app/subscriptionAccess.ts';
import { checkTemplateFit, templateCanWrite } from './app/templateFit.ts';
import { systemClock, type Clock } from './clock.ts';
import { clmCustomFields, createClm } from './clmFromConfig.ts';

export { clmCustomFields, createClm };

export const CONNECTOR_VERSION = '0.1.0';

/**
 * Paths pino blanks out wherever they appear in a log line: a second net under redactedConfig's allow-list (the
 * config is logged only through it) for objects logged elsewhere.
 */
export const REDACT_PATHS = [
    '*.token',
    '*.accessToken',
    '*.clientSecret',
    '*.privateKeyPem',
    '*.authorization',
    'headers.authorization',
    '*.password',
    '*.webhookUrl',
    '*.webhookHmacKeyBase64',
    '*.webhookCallbackSecret'
];

export function createLogger(config: Pick<ConnectorConfig, 'log'>, destination?: pino.DestinationStream): pino.Logger {
    return pino(
        {
            level: config.log.level,
            redact: { paths: REDACT_PATHS, censor: '[redacted]' },
            base: { service: 'clm-connector' }
        },
        destination
    );
}

export async function openStore(config: ConnectorConfig, clock: Clock = systemClock): Promise<StorePort> {
    const options = { maxAttempts: config.sync.maxAttempts, clock };
    return config.store.kind === 'sqlite'
        ? openSqliteStore({ file: config.store.file, ...options })
        : openPostgresStore({ connectionString: config.store.url, ...options });
}

/** The org's rules (Clm_Field_Mapping__mdt), or the packaged defaults when the org has none deployed yet. */
export async function loadOrgRules(
    salesforce: SalesforcePort
): Promise<{ rules: RuleSet; source: 'org' | 'defaults' }> {
    let records: FieldRuleInput[] = [];
    try {
        const rows = await salesforce.query(
            select(
                [
                    'DeveloperName',
                    'Object__c',
                    'Field__c',
                    'Clm_Field__c',
                    'Direction__c',
                    'Conflict_Policy__c',
                    'Transform__c',
                    'Enabled__c',
                    'Description__c'
                ],
                'Clm_Field_Mapping__mdt'
            )
        );
        records = rows.map(ruleFromRecord);
    } catch (error) {
        if (!isConnectorError(error, 'SF.INVALID_TYPE')) throw error;
    }
    return records.length > 0
        ? { rules: loadRuleSet(records), source: 'org' }
        : { rules: loadRuleSet(DEFAULT_RULES), source: 'defaults' };
}

export interface RunningConnector {
    service: ConnectorService;
    ingest: PubSubIngest | null;
    url: string;
    orgId: string;
    stop(): Promise<void>;
}

/**
 * Starts the connector from a parsed config (main() below, `npm start` and the end-to-end tests use this). Every
 * part takes its time from `clock`, so a test that fixes or moves it does so for the store, engine, leases and metrics.
 */
export async function startConnector(
    config: ConnectorConfig,
    logger: pino.Logger,
    clock: Clock = systemClock
): Promise<RunningConnector> {
    logger.info({ config: redactedConfig(config) }, 'starting');
    // The CLM adapter checks its settings now, before anything logs in anywhere; /readyz reports whether it answers.
    const clmReachability = new ClmReachability(clock);
    const clm = clmReachability.watch(createClm(config, logger, clock));
    const login = config.salesforce;
    const conn =
        login.login === 'sfCli'
            ? await connectWithSfCli({ org: login.org, apiVersion: login.apiVersion })
            : await connectWithJwt(
                  {
                      loginUrl: login.loginUrl,
                      clientId: login.clientId,
                      username: login.username,
                      privateKeyPem: login.privateKeyPem,
                      apiVersion: login.apiVersion
                  },
                  clock
              );
    const orgId = conn.userInfo?.organizationId;
    if (!orgId) throw new Error('Salesforce did not report the org id after login');
    const salesforce = new JsforceSalesforce(conn, {
        connectorClientId: config.salesforce.connectorClientId,
        apiVersion: config.salesforce.apiVersion,
        clock
    });
    // Fail closed before anything runs: hearing the org needs View All Records on each object whose changes it hears.
    // The change channels heard: the config's, else the org contract's (the CPQ ones where CPQ is installed).
    const changeChannels = config.salesforce.pubsub
        ? (config.salesforce.pubsub.channels ?? defaultChangeChannels({ cpq: await hasCpq(salesforce) }))
        : [];
    const userId = conn.userInfo?.id;
    if (config.salesforce.pubsub && userId) await requireSubscriptionPermissions(salesforce, userId, changeChannels);
    const store = await openStore(config, clock);
    const loaded = await loadOrgRules(salesforce);
    const source = loaded.source;
    // The CLM side of the pre-flight: the rules against the template the vendor describes (fields, types, writes).
    // A store holding another org's state (a refreshed sandbox) may not reach the CLM before an admin relinks: the
    // rules are then narrowed by the adapter's configured capabilities alone.
    const bound = await store.boundOrg(config.name);
    const clmTemplate = bound === null || bound === orgId ? await clm.describeTemplate() : null;
    const capabilities = clm.capabilities();
    for (const problem of clmTemplate ? checkTemplateFit(loaded.rules.rules, clmTemplate, capabilities) : [])
        logger.warn({ code: problem.code, rule: problem.rule, clmField: problem.field }, problem.message);
    const { rules, narrowed } = narrowToWritable(loaded.rules, (clmField) =>
        clmTemplate
            ? templateCanWrite(clmTemplate, capabilities, clmField)
            : clmCanWrite(capabilities.writableFields, clmField)
    );
    for (const { rule, clmField, direction } of narrowed)
        logger.warn(
            { code: 'MAPPING.CLM_FIELD_NOT_WRITABLE', rule, clmField, now: direction },
            `rule ${rule}: the CLM template has no writable place for ${clmField}; changes are not written there (see sf clm rules validate --clm-config)`
        );
    logger.info(
        { orgId, rules: rules.rules.length, rulesFrom: source, clm: clm.vendor, store: store.kind },
        'connected'
    );
    // What a send writes: the engine narrows its creates with it, the org's send preview reads it (status record).
    const sendFields = sendWriteSet({ template: clmTemplate, capabilities, clmCustomFields: clmCustomFields(config) });
    const template = config.clm.contractUrlTemplate;
    const engineContext = {
        connectorClientId: config.salesforce.connectorClientId,
        transform: { ...(config.salesforce.orgCurrency ? { orgCurrency: config.salesforce.orgCurrency } : {}) }
    };
    // /metrics: the engine's throughput, errors and latency are seen where it settles items (its store), and its
    // milestones time the deals from quote acceptance.
    const metrics = newMetricsRegistry();
    const syncMetrics = new SyncMetrics({ registry: metrics });
    const dealMetrics = new DealMetrics({
        registry: metrics,
        salesforce,
        clock,
        log: logTo(logger)
    });
    const engine = new SyncEngine({
        orgId,
        store: syncMetrics.instrument(store),
        salesforce,
        clm,
        rules,
        context: engineContext,
        clock,
        ...(config.salesforce.orgCurrency ? { orgCurrency: config.salesforce.orgCurrency } : {}),
        clmCustomFields: clmCustomFields(config),
        sendFields,
        ...(template ? { contractUrl: (contract) => template.replace('{id}', encodeURIComponent(contract.id)) } : {}),
        retry: { baseDelayMs: config.sync.retryBaseDelayMs, maxDelayMs: config.sync.retryMaxDelayMs },
        apiBudget: {
            pauseAtShare: config.sync.apiBudgetPauseShare,
            recheckMs: config.sync.apiBudgetRecheckMs,
            slowAtShare: Math.min(config.sync.apiBudgetSlowShare, config.sync.apiBudgetPauseShare)
        },
        log: logTo(logger),
        onMilestone: (milestone) => dealMetrics.onMilestone(milestone)
    });
    const backfill = new Backfill({
        orgId,
        store,
        salesforce,
        clm,
        rules,
        context: engineContext,
        clock,
        log: logTo(logger)
    });
    const audit = new Audit({
        orgId,
        store,
        salesforce,
        clm,
        rules,
        context: engineContext,
        clock,
        onCompleted: (run) => {
            if (run.repairQueued > 0) service.kick();
        },
        log: logTo(logger)
    });
    let ingest: PubSubIngest | null = null;
    let poller: ClmPoller | null = null;
    /**
     * Everything besides the work loop that writes to the store, the org or the CLM. The service runs it only once
     * the store is bound to this org: at start, or when an admin relinks the state of a refreshed sandbox.
     */
    const startSync = async (url: string) => {
        if (store.kind === 'sqlite') {
            // One process uses a SQLite store: a claim still held is a dead run's, and its items are taken up now
            // instead of when the claim lapses.
            const ended = await store.expireClaims(orgId, clock.now());
            if (ended > 0) logger.warn({ claims: ended }, 'took up the items a previous run had claimed');
        }
        // The CLM must reach the webhook endpoint: at the public URL when one is set, else where the server listens.
        if (config.http.registerWebhook)
            await clm.ensureWebhookSubscription(`${config.http.publicUrl ?? url}/webhooks/${clm.vendor}`);
        if (config.salesforce.pubsub) {
            ingest = new PubSubIngest({
                orgId,
                store,
                endpoint: config.salesforce.pubsub.endpoint,
                instanceUrl: conn.instanceUrl,
                accessToken: () => conn.accessToken ?? '',
                channels: [SYNC_REQUEST_CHANNEL, ...changeChannels],
                logger,
                allowSelfSignedTls: config.salesforce.pubsub.allowSelfSignedTls,
                clock,
                onStored: () => service.kick(),
                // Nothing the stream loses is skipped: a refused replay id or a gap event queries what changed.
                reconcile: { salesforce, rules },
                // With no stored position, the sync request channel starts at the oldest retained event: a rep's request
                // made before this connector first subscribed (or while it waited for a relink) is still taken up.
                fromEarliest: [SYNC_REQUEST_CHANNEL],
                // Several instances share a PostgreSQL store: one holds the subscriptions, another takes over within
                // 15–18 s of its death (well inside the 30 s an operator is promised). SQLite is one process by design.
                ...(store.kind === 'postgres'
                    ? { lease: { holder: `${hostname()}:${process.pid}`, ttlMs: 15_000, renewEveryMs: 3_000 } }
                    : {})
            });
            await ingest.start();
        }
        // The CLM's change feed behind its webhooks; with several instances, the subscription holder polls.
        poller = new ClmPoller({
            orgId,
            store,
            clm,
            logger,
            intervalMs: config.sync.clmPollIntervalMs,
            active: () => ingest?.isSubscribed() ?? true,
            onStored: () => service.kick()
        });
        poller.start();
        if (config.audit.everyHours) audit.schedule(config.audit.everyHours * 3_600_000, config.audit.repair);
        // A backfill a previous run left unfinished goes on where it stopped.
        void backfill
            .resumeUnfinished()
            .catch((error: unknown) =>
                logger.error(
                    { code: (error as { code?: string }).code ?? 'BACKFILL.RESUME_FAILED' },
                    'backfill not resumed'
                )
            );
    };
    // The connector's health and write set in the org, for the admin console and the send preview.
    const statusReporter = new ConnectorStatusReporter({
        orgId,
        store,
        clock,
        connectorKey: config.name,
        vendor: clm.vendor,
        sendFields,
        writableLifecycles: capabilities.writableStates ?? null,
        sources: {
            subscriptions: async () => (ingest ? ingest.subscriptions() : []),
            apiBudget: () => salesforce.apiBudget(),
            paused: () => engine.isPaused(),
            clmReachability: () => clmReachability.state()
        }
    });
    const service = new ConnectorService({
        statusReport: () => statusReporter.report(),
        metrics,
        name: config.name,
        version: CONNECTOR_VERSION,
        orgId,
        store,
        salesforce,
        clm,
        engine,
        adminToken: config.admin.token,
        logger,
        pollIntervalMs: config.sync.pollIntervalMs,
        subscriptions: async () => (ingest ? ingest.subscriptions() : []),
        backfill,
        audit,
        startSync,
        clock,
        clmReachability: () => clmReachability.state(),
        ...(config.alerts.webhookUrl ? { alert: webhookAlert(config.alerts.webhookUrl, config.alerts.format) } : {}),
        recordUrl: (recordId) => `${conn.instanceUrl}/${recordId}`
    });
    // Refusing another org's state, the service serves only health, readiness, metrics and the admin API.
    const url = await service.start(config.http.port, config.http.host);
    logger.info({ url, state: service.state }, 'listening');
    return {
        service,
        url,
        orgId,
        get ingest() {
            return ingest;
        },
        async stop() {
            await backfill.stop();
            await audit.stop();
            await poller?.close();
            ingest?.close();
            await service.stop();
            await store.close();
        }
    };
}

async function main(): Promise<void> {
    let config: ConnectorConfig;
    try {
        config = loadConfig(process.env);
    } catch (error) {
        process.stderr.write(
            `${isConnectorError(error) ? `[${error.code}] ` : ''}${error instanceof Error ? error.message : String(error)}\n`
        );
        process.exit(2);
    }
    const logger = createLogger(config);
    const running = await startConnector(config, logger);
    const stop = () => {
        logger.info({}, 'stopping');
        running.stop().then(
            () => process.exit(0),
            () => process.exit(1)
        );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) {
    void main();
}

/** Whether the org has CPQ (its quote object answers a query): the quote's change channel is heard then. */
async function hasCpq(salesforce: SalesforcePort): Promise<boolean> {
    try {
        await salesforce.query(select(['Id'], 'SBQQ__Quote__c', { limit: 1 }));
        return true;
    } catch (error) {
        if (isConnectorError(error, 'SF.INVALID_TYPE')) return false;
        throw error;
    }
}
