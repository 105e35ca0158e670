// The world of the Ironclad end-to-end suites: both emulators, the SQLite store, the Ironclad adapter (Special Terms
// mapped to the template's paymentTerms attribute), the sync engine as the integration user, and the connector's
// webhook server subscribed to the CLM's webhooks.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_RULES, loadRuleSet } from '../../src/domain/index.ts';
import { IroncladAdapter } from '../../src/adapters/clm/ironclad/ironcladAdapter.ts';
import type { JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import type { StorePort } from '../../src/ports/store.ts';
import { SyncEngine } from '../../src/app/syncEngine.ts';
import { buildWebhookServer } from '../../src/app/webhookServer.ts';
import {
    startSalesforceEmulator,
    type RunningSalesforceEmulator
} from '../../../test/emulators/salesforce/src/index.ts';
import { startClmEmulator, type ClmEmulator } from '../../../test/emulators/clm/src/index.ts';
import { connectAs } from './pubsubWorld.ts';

export const ORG = '00D000000000001AAA';

export interface IroncladWorld {
    sfEmu: RunningSalesforceEmulator;
    clmEmu: ClmEmulator;
    /** The org's admin user. */
    admin: JsforceSalesforce;
    store: StorePort;
    ironclad: IroncladAdapter;
    engine: SyncEngine;
    webhooks: FastifyInstance;
    webhookUrl: string;
    /** Calls the CLM emulator's admin API; throws on a non-2xx answer. */
    clmAdmin(method: string, route: string, body?: unknown): Promise<unknown>;
    close(): Promise<void>;
}

export async function startIroncladWorld(options: { clockScale?: number } = {}): Promise<IroncladWorld> {
    const sfEmu = await startSalesforceEmulator();
    const clmEmu = await startClmEmulator({ port: 0, ...options });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'clm-e2e-'));
    const store = await openSqliteStore({ file: path.join(dir, 'store.db') });
    const admin = (await connectAs(sfEmu, sfEmu.username, 'clm-connector')).port;
    const ironclad = new IroncladAdapter(
        {
            baseUrl: clmEmu.ironcladBaseUrl,
            tokenUrl: clmEmu.ironcladTokenUrl,
            clientId: clmEmu.ironcladClientId,
            clientSecret: clmEmu.ironcladClientSecret,
            actorEmail: clmEmu.ironcladUserEmail,
            templateName: clmEmu.ironcladTemplateName,
            customAttributes: { specialTerms: 'paymentTerms' }
        },
        { backoff: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 200 } }
    );
    const engine = new SyncEngine({
        orgId: ORG,
        store,
        salesforce: (await connectAs(sfEmu, sfEmu.users.integration.username, 'clm-connector')).port,
        clm: ironclad,
        rules: loadRuleSet(DEFAULT_RULES),
        context: { connectorClientId: 'clm-connector', transform: { orgCurrency: 'USD' } },
        orgCurrency: 'USD',
        clmCustomFields: ['specialTerms']
    });
    const webhooks = buildWebhookServer({ orgId: ORG, store, clm: ironclad });
    await webhooks.listen({ port: 0, host: '127.0.0.1' });
    const address = webhooks.server.address();
    const webhookUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/webhooks/ironclad`;
    await ironclad.ensureWebhookSubscription(webhookUrl);
    return {
        sfEmu,
        clmEmu,
        admin,
        store,
        ironclad,
        engine,
        webhooks,
        webhookUrl,
        async clmAdmin(method, route, body) {
            const response = await fetch(`${clmEmu.adminUrl}${route}`, {
                method,
                headers: body === undefined ? {} : { 'content-type': 'application/json' },
                body: body === undefined ? undefined : JSON.stringify(body)
            });
            if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
            const text = await response.text();
            return text ? JSON.parse(text) : undefined;
        },
        async close() {
            await webhooks.close();
            await store.close();
            await clmEmu.close();
            await sfEmu.close();
            rmSync(dir, { recursive: true, force: true });
        }
    };
}
