// Programmatic entry: start the emulated org in-process (other suites do this) and get back everything a
// client needs — the same keys the command line prints — plus the org, the transaction hook and close().
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { registerEventBusAdminRoutes, startEventBus, type EventBus, type PubSubOptions } from './eventbus/index.ts';
import type { TransactionHook } from './hook.ts';
import { DEFAULT_DAILY_API_REQUESTS } from './limits.ts';
import { Org, packageMetadataDirs, type SeededUserKey } from './org.ts';
import { ADMIN_PREFIX, buildServer } from './server.ts';
import type { SharingOption } from './sharing.ts';

export type { CommittedTransaction, TransactionHook, TransactionListener } from './hook.ts';
export type { RecordChange, FieldChange, PublishedEvent } from './store.ts';

export const DEFAULT_API_VERSION = '62.0';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

export interface SalesforceEmulatorOptions {
    /** 0 (default) picks a free port. */
    port?: number;
    host?: string;
    /** Extra metadata directories (SFDX source or metadata-API .object files), loaded after the package's. */
    metadataDirs?: string[];
    /** Load force-app/ and force-app-cpq/ of this repository (default true). */
    includePackage?: boolean;
    /** Inactivity after which a session expires (default 2 h, as the platform's default). */
    sessionTimeoutMs?: number;
    /** Turn multi-currency on (CurrencyType, CurrencyIsoCode on records); off as in a new org. */
    multiCurrency?: boolean;
    /**
     * Organization-wide sharing defaults: `'private'` (Account, Opportunity, Contract, CPQ quote Private; Contact
     * controlled by its Account) or per object; otherwise every object is Public Read/Write. See "Record sharing".
     */
    sharing?: SharingOption;
    /** DailyApiRequests Max (default 15,000, a Developer Edition's allocation). */
    dailyApiRequests?: number;
    apiVersion?: string;
    /**
     * Serve HTTPS: `true` with a self-signed certificate made at start (needs `openssl` on PATH), or with the
     * certificate given (see selfSignedCertificate), which a client can then trust for good.
     */
    tls?: boolean | TlsCertificate;
    /** One line per request on stderr. */
    logRequests?: boolean;
    /** Start the event bus (CDC, platform events) and the Pub/Sub API over TLS gRPC; see the README's "Event bus". */
    pubsub?: boolean | PubSubOptions;
    /**
     * Keep records between runs: loaded at start when the file exists, written on close. The schema always
     * comes from metadata; sessions do not survive a restart.
     */
    stateFile?: string;
}

export interface SalesforceEmulatorInfo {
    loginUrl: string;
    instanceUrl: string;
    adminUrl: string;
    orgId: string;
    userId: string;
    username: string;
    clientId: string;
    clientSecret: string;
    jwtConsumerKey: string;
    jwtPrivateKeyPath: string;
    apiVersion: string;
    users: Record<SeededUserKey, { id: string; username: string }>;
    /** PEM of the self-signed server certificate, when started with tls. */
    tlsCertificatePath?: string;
    /** With pubsub: `localhost:<port>` of the Pub/Sub API. */
    pubsubEndpoint?: string;
    /** With pubsub: PEM of the certificate the Pub/Sub listener presents (a client trusts this). */
    tlsCertPath?: string;
}

export interface RunningSalesforceEmulator extends SalesforceEmulatorInfo {
    /** Subscribe to committed write transactions (the event bus builds on this). */
    hook: TransactionHook;
    org: Org;
    /** With pubsub: the bus (topics, retained events, subscriptions). */
    eventBus?: EventBus;
    app: FastifyInstance;
    close(): Promise<void>;
}

export interface TlsCertificate {
    key: string;
    cert: string;
    certPath: string;
}

/** A self-signed certificate for localhost and 127.0.0.1, written to `dir` (tls-key.pem, tls-cert.pem). */
export function selfSignedCertificate(dir: string): TlsCertificate {
    const keyPath = path.join(dir, 'tls-key.pem');
    const certPath = path.join(dir, 'tls-cert.pem');
    execFileSync(
        'openssl',
        [
            'req',
            '-x509',
            '-newkey',
            'rsa:2048',
            '-nodes',
            '-keyout',
            keyPath,
            '-out',
            certPath,
            '-days',
            '2',
            '-subj',
            '/CN=localhost',
            '-addext',
            'subjectAltName=DNS:localhost,IP:127.0.0.1'
        ],
        { stdio: 'ignore' }
    );
    return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), certPath };
}

export async function startSalesforceEmulator(
    options: SalesforceEmulatorOptions = {}
): Promise<RunningSalesforceEmulator> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-emulator-'));
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwtPrivateKeyPath = path.join(dir, 'jwt-private-key.pem');
    writeFileSync(jwtPrivateKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const clientId = `3MVG9${randomBytes(60).toString('base64url').replace(/[-_]/g, 'x').slice(0, 80)}`;
    const clientSecret = randomBytes(32).toString('hex').toUpperCase();
    const apiVersion = options.apiVersion ?? DEFAULT_API_VERSION;

    const org = new Org({
        metadataDirs: [
            ...(options.includePackage === false ? [] : packageMetadataDirs(REPO_ROOT)),
            ...(options.metadataDirs ?? [])
        ],
        dailyApiMax: options.dailyApiRequests ?? DEFAULT_DAILY_API_REQUESTS,
        sessionTimeoutMs: options.sessionTimeoutMs ?? 2 * 60 * 60 * 1000,
        multiCurrency: options.multiCurrency === true,
        ...(options.sharing ? { sharing: options.sharing } : {})
    });
    if (options.stateFile && existsSync(options.stateFile)) {
        let saved: unknown;
        try {
            saved = JSON.parse(readFileSync(options.stateFile, 'utf8'));
        } catch (e) {
            throw new Error(
                `state file ${options.stateFile} is not JSON: ${e instanceof Error ? e.message : String(e)}`,
                { cause: e }
            );
        }
        const skipped = org.importState(saved);
        if (skipped.length > 0)
            process.stderr.write(
                `[salesforce-emulator] state file: skipped records of unknown objects ${skipped.join(', ')}\n`
            );
    }
    const info = { instanceUrl: '', loginUrl: '', apiVersion };
    const certificate =
        typeof options.tls === 'object'
            ? options.tls
            : options.tls || options.pubsub
              ? selfSignedCertificate(dir)
              : undefined;
    const tls = options.tls ? certificate : undefined;
    const { app, services } = buildServer(
        org,
        info,
        {
            clientId,
            clientSecret,
            jwtConsumerKey: clientId,
            jwtPublicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString()
        },
        tls ? { key: tls.key, cert: tls.cert } : undefined,
        { logRequests: options.logRequests }
    );
    const pubsubOptions = options.pubsub === true ? {} : options.pubsub || undefined;
    const bus = pubsubOptions ? await startEventBus(org, certificate!, pubsubOptions) : undefined;
    if (bus) {
        registerEventBusAdminRoutes(app, bus.bus, ADMIN_PREFIX);
        services.onReset.push(() => bus.bus.reset());
    }
    const host = options.host ?? '127.0.0.1';
    await app.listen({ port: options.port ?? 0, host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const base = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
    info.instanceUrl = base;
    info.loginUrl = base;

    const users = Object.fromEntries(
        Object.entries(org.userIds).map(([k, id]) => [k, { id, username: String(org.store.get('User', id)?.Username) }])
    ) as Record<SeededUserKey, { id: string; username: string }>;
    let closed = false;
    return {
        loginUrl: base,
        instanceUrl: base,
        adminUrl: `${base}${ADMIN_PREFIX}`,
        orgId: org.orgId,
        userId: users.admin.id,
        username: users.admin.username,
        clientId,
        clientSecret,
        jwtConsumerKey: clientId,
        jwtPrivateKeyPath,
        apiVersion,
        users,
        ...(tls ? { tlsCertificatePath: tls.certPath } : {}),
        ...(bus ? { pubsubEndpoint: bus.pubsubEndpoint, tlsCertPath: certificate!.certPath, eventBus: bus.bus } : {}),
        hook: org.hook,
        org,
        app,
        async close() {
            if (closed) return;
            closed = true;
            await bus?.close();
            await app.close();
            if (options.stateFile) {
                const tmp = `${options.stateFile}.tmp`;
                writeFileSync(tmp, JSON.stringify(org.exportState()));
                renameSync(tmp, options.stateFile);
            }
            rmSync(dir, { recursive: true, force: true });
        }
    };
}
