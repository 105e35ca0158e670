/**
 * The local demo's whole stack, as `npm start` runs it and as the browser journeys (test/journeys) drive it: the
 * Salesforce emulator (the package's metadata and Apex loaded, a sample deal seeded, the Pub/Sub API on), the CLM
 * emulator speaking Ironclad, the connector on SQLite, and the package preview (the record page, the admin console).
 * The connector takes its time from the Salesforce emulator's clock, so moving the org's clock (the admin API, or
 * `stack.salesforce.org.clock.advance`) moves the connector's "now" with it, and Apex's `Date.today()` too.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import path from 'node:path';
import type jsforce from 'jsforce';
import { createLogger, startConnector, type RunningConnector } from '../connector-service/src/main.ts';
import { parseConfig } from '../connector-service/src/config/config.ts';
import type { Clock } from '../connector-service/src/clock.ts';
import { startClmEmulator, type ClmEmulator } from '@clm/emulators/clm';
import {
    startSalesforceEmulator,
    type RunningSalesforceEmulator,
    type TlsCertificate
} from '@clm/emulators/salesforce';
import { connectAs } from '@clm/emulators/salesforce/helpers';
import { ensurePreviewBuilt } from '../test/preview/build.ts';
import { seedDeal } from '../test/preview/demoData.ts';
import { startPreview, type RunningPreview } from '../test/preview/server.ts';

export interface DemoPorts {
    preview: number;
    connector: number;
    salesforce: number;
    pubsub: number;
    clm: number;
}

export interface DemoStackOptions {
    /** Where the connector's SQLite store and log go (the caller makes and clears it). */
    dir: string;
    /** 0 (the default for each) picks a free port. */
    ports?: Partial<DemoPorts>;
    /** How often the connector polls the CLM (the demo: 250 ms). */
    pollIntervalMs?: number;
    /** The connector's retry schedule (its defaults: 8 attempts, 1 s doubling). */
    retry?: { maxAttempts: number; baseDelayMs: number };
    /** Serve the org on https with this certificate (the demo; its clients trust it through NODE_EXTRA_CA_CERTS). */
    salesforceTls?: TlsCertificate;
    /** More metadata for the org (SFDX source), loaded after the package's. */
    salesforceMetadataDirs?: string[];
}

export interface DemoStack {
    salesforce: RunningSalesforceEmulator;
    clm: ClmEmulator;
    connector: RunningConnector;
    preview: RunningPreview;
    /** The org's admin, over the REST API. */
    admin: jsforce.Connection;
    opportunityId: string;
    accountId: string;
    adminToken: string;
    logFile: string;
    stop(): Promise<void>;
}

/** The connector's clock: the Salesforce emulator's "now" (which tests move), real sleeps. */
export function orgClock(salesforce: RunningSalesforceEmulator): Clock {
    return {
        now: () => salesforce.org.clock.peekMs(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))
    };
}

export async function startDemoStack(options: DemoStackOptions): Promise<DemoStack> {
    const ports = { preview: 0, connector: 0, salesforce: 0, pubsub: 0, clm: 0, ...options.ports };
    await ensurePreviewBuilt();
    const salesforce = await startSalesforceEmulator({
        pubsub: { port: ports.pubsub },
        port: ports.salesforce,
        metadataDirs: options.salesforceMetadataDirs ?? [],
        ...(options.salesforceTls ? { tls: options.salesforceTls } : {})
    });
    const clm = await startClmEmulator({ port: ports.clm, clockScale: 1 });

    const admin = await connectAs(salesforce, salesforce.users.admin.username);
    const { accountId, opportunityId } = await seedDeal(admin, salesforce.users.salesRep.id);
    await admin
        .sobject('Contact')
        .create({ FirstName: 'Greta', LastName: 'Signer', Email: 'greta@acme.example', AccountId: accountId });

    const adminToken = randomBytes(18).toString('base64url');
    const config = parseConfig({
        salesforce: {
            loginUrl: salesforce.loginUrl,
            clientId: salesforce.jwtConsumerKey,
            username: salesforce.users.integration.username,
            privateKeyPem: readFileSync(salesforce.jwtPrivateKeyPath, 'utf8'),
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
                customAttributes: { specialTerms: 'paymentTerms' }
            },
            customFields: ['specialTerms'],
            contractUrlTemplate: `${clm.adminUrl}/contracts/ironclad/{id}`
        },
        store: { kind: 'sqlite', file: path.join(options.dir, 'store.db') },
        http: { port: ports.connector },
        admin: { token: adminToken },
        sync: {
            pollIntervalMs: options.pollIntervalMs ?? 250,
            ...(options.retry
                ? { maxAttempts: options.retry.maxAttempts, retryBaseDelayMs: options.retry.baseDelayMs }
                : {})
        }
    });
    const logFile = path.join(options.dir, 'connector.log');
    const connector = await startConnector(
        config,
        createLogger(config, createWriteStream(logFile)),
        orgClock(salesforce)
    );
    const preview = await startPreview({ emulator: salesforce, opportunityId, port: ports.preview });

    return {
        salesforce,
        clm,
        connector,
        preview,
        admin,
        opportunityId,
        accountId,
        adminToken,
        logFile,
        async stop() {
            await preview.close();
            await connector.stop();
            salesforce.eventBus?.closeAll();
            await clm.close();
            await salesforce.close();
        }
    };
}
