// The world of the Ironclad end-to-end suites: both emulators, the SQLite store, the Ironclad adapter (Special Terms
// mapped to the template's paymentTerms attribute), the sync engine as the integration user, and the connector's
// webhook server subscribed to the CLM's webhooks.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_RULES, loadRuleSet, type RuleSet } from '../../src/domain/index.ts';
import { IroncladAdapter, type IroncladAdapterDeps } from '../../src/adapters/clm/ironclad/ironcladAdapter.ts';
import type { JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import type { StorePort } from '../../src/ports/store.ts';
import { SyncEngine } from '../../src/app/syncEngine.ts';
import { buildWebhookServer } from '../../src/adapters/http/webhookRoutes.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';
import { startClmEmulator, type ClmEmulator } from '@clm/emulators/clm';
import { connectAs } from './pubsubWorld.ts';

export const ORG = '00D000000000001AAA';

export interface IroncladWorld {
    sfEmu: RunningSalesforceEmulator;
    clmEmu: ClmEmulator;
    /** The org's admin user. */
    admin: JsforceSalesforce;
    store: StorePort;
    ironclad: IroncladAdapter;
    /** The engine with the packaged rules. */
    engine: SyncEngine;
    /** Another engine on the same store, org and CLM, with other rules (each claims whatever the inbox holds). */
    engineWith(rules: RuleSet): SyncEngine;
    webhooks: FastifyInstance;
    webhookUrl: string;
    /** Calls the CLM emulator's admin API; throws on a non-2xx answer. */
    clmAdmin(method: string, route: string, body?: unknown): Promise<unknown>;
    /** An account, its contact and an Opportunity sent to Ironclad by a rep's sync request, linked. */
    linkedDeal(name: string, engine: SyncEngine): Promise<LinkedDeal>;
    /** A rep's edit of the deal's Contract.SpecialTerms, and its change event queued as CDC reports it. */
    editTermsInSalesforce(deal: LinkedDeal, value: string, eventId: string): Promise<void>;
    /** A person's edit of the workflow's data in Ironclad (what the connector reads as Special Terms is paymentTerms). */
    editInClm(deal: LinkedDeal, data: Record<string, unknown>): Promise<void>;
    /**
     * Runs `engine` until idle while its next attribute PATCH is held 400 ms by a latency fault, and makes `edit`
     * land once the CLM has received that PATCH: after the connector's read of the workflow, before its write.
     */
    editInsideWrite(engine: SyncEngine, edit: () => Promise<void>): Promise<void>;
    /** Delivers every webhook the CLM holds, then runs the engine until idle. */
    settle(engine: SyncEngine): Promise<void>;
    close(): Promise<void>;
}

export interface LinkedDeal {
    opportunityId: string;
    pairId: string;
    contractId: string;
    workflowId: string;
}

/** The Ironclad adapter against the CLM emulator, Special Terms mapped to the template's paymentTerms attribute. */
export function ironcladFor(clmEmu: ClmEmulator, deps: IroncladAdapterDeps): IroncladAdapter {
    return new IroncladAdapter(
        {
            baseUrl: clmEmu.ironcladBaseUrl,
            tokenUrl: clmEmu.ironcladTokenUrl,
            clientId: clmEmu.ironcladClientId,
            clientSecret: clmEmu.ironcladClientSecret,
            actorEmail: clmEmu.ironcladUserEmail,
            templateName: clmEmu.ironcladTemplateName,
            customAttributes: { specialTerms: 'paymentTerms' }
        },
        deps
    );
}

/** Calls the CLM emulator's admin API; throws on a non-2xx answer. */
export function clmAdminOf(clmEmu: ClmEmulator) {
    return async (method: string, route: string, body?: unknown): Promise<unknown> => {
        const response = await fetch(`${clmEmu.adminUrl}${route}`, {
            method,
            headers: body === undefined ? {} : { 'content-type': 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body)
        });
        if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
        const text = await response.text();
        return text ? JSON.parse(text) : undefined;
    };
}

export async function startIroncladWorld(options: { clockScale?: number } = {}): Promise<IroncladWorld> {
    const sfEmu = await startSalesforceEmulator();
    const clmEmu = await startClmEmulator({ port: 0, ...options });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'clm-e2e-'));
    const store = await openSqliteStore({ file: path.join(dir, 'store.db') });
    const admin = (await connectAs(sfEmu, sfEmu.username, 'clm-connector')).port;
    const ironclad = ironcladFor(clmEmu, { backoff: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 200 } });
    const salesforce = (await connectAs(sfEmu, sfEmu.users.integration.username, 'clm-connector')).port;
    const engineWith = (rules: RuleSet) =>
        new SyncEngine({
            orgId: ORG,
            store,
            salesforce,
            clm: ironclad,
            rules,
            context: { connectorClientId: 'clm-connector', transform: { orgCurrency: 'USD' } },
            orgCurrency: 'USD',
            clmCustomFields: ['specialTerms']
        });
    const engine = engineWith(loadRuleSet(DEFAULT_RULES));
    const webhooks = buildWebhookServer({ orgId: ORG, store, clm: ironclad });
    await webhooks.listen({ port: 0, host: '127.0.0.1' });
    const address = webhooks.server.address();
    const webhookUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/webhooks/ironclad`;
    await ironclad.ensureWebhookSubscription(webhookUrl);
    const clmAdmin = clmAdminOf(clmEmu);
    const settle = async (dealEngine: SyncEngine): Promise<void> => {
        // Twice: what the first round writes to the CLM comes back as webhooks the second round takes in.
        for (let round = 0; round < 2; round++) {
            await clmAdmin('POST', '/webhooks/settle');
            await dealEngine.runUntilIdle();
        }
    };
    return {
        sfEmu,
        clmEmu,
        admin,
        store,
        ironclad,
        engine,
        engineWith,
        webhooks,
        webhookUrl,
        clmAdmin,
        async linkedDeal(name, dealEngine) {
            const [account] = await admin.write([
                { ref: 'a', sfObject: 'Account', fields: { Name: name, BillingCountry: 'US' } }
            ]);
            await admin.write([
                {
                    ref: 'c',
                    sfObject: 'Contact',
                    fields: { LastName: `${name} signer`, Email: 'signer@example.com', AccountId: account!.id! }
                }
            ]);
            const [opportunity] = await admin.write([
                {
                    ref: 'o',
                    sfObject: 'Opportunity',
                    fields: {
                        Name: `${name} deal`,
                        StageName: 'Negotiation/Review',
                        CloseDate: '2027-03-31',
                        Amount: 12000,
                        AccountId: account!.id!
                    }
                }
            ]);
            const opportunityId = opportunity!.id!;
            const requestId = `req-${opportunityId}`;
            await store.appendInbox(ORG, [
                {
                    source: 'salesforce:/event/Clm_Sync_Request__e',
                    eventId: requestId,
                    orderingKey: `opp:${opportunityId}`,
                    payload: { kind: 'sf.syncRequest', opportunityId, requestId },
                    correlationId: `corr-${requestId}`
                }
            ]);
            await settle(dealEngine);
            const pair = await store.findPair(ORG, { salesforceId: opportunityId });
            const workflow = pair?.clm.find((ref) => ref.vendor === 'ironclad');
            if (!pair?.salesforce.contract || !workflow) throw new Error(`deal ${name} was not linked`);
            return {
                opportunityId,
                pairId: pair.pairId,
                contractId: pair.salesforce.contract,
                workflowId: workflow.id
            };
        },
        async editTermsInSalesforce(deal, value, eventId) {
            await admin.write([
                { ref: 'k', sfObject: 'Contract', id: deal.contractId, fields: { SpecialTerms: value } }
            ]);
            await store.appendInbox(ORG, [
                {
                    source: 'salesforce:/data/ContractChangeEvent',
                    eventId,
                    orderingKey: deal.pairId,
                    payload: {
                        kind: 'sf.change',
                        pairId: deal.pairId,
                        change: {
                            source: 'salesforce',
                            sfObject: 'Contract',
                            recordId: deal.contractId,
                            eventId,
                            correlationId: `corr-${eventId}`,
                            version: { at: new Date().toISOString(), seq: 1 },
                            origin: 'com/salesforce/api/rest/62.0',
                            values: { SpecialTerms: value },
                            changedFields: ['SpecialTerms']
                        }
                    },
                    correlationId: `corr-${eventId}`
                }
            ]);
        },
        async editInClm(deal, data) {
            await clmAdmin('POST', `/contracts/ironclad/${deal.workflowId}/actions`, { action: 'update-data', data });
        },
        async editInsideWrite(dealEngine, edit) {
            const patch = 'PATCH /workflows/{id}/attributes';
            const patches = async () => {
                const counters = (await clmAdmin('GET', '/counters')) as {
                    ironclad: Record<string, { requests: number }>;
                };
                return counters.ironclad[patch]?.requests ?? 0;
            };
            await clmAdmin('POST', '/faults', {
                vendor: 'ironclad',
                operation: patch,
                kind: 'latency',
                latencyMs: 400,
                count: 1
            });
            const before = await patches();
            const writing = dealEngine.runUntilIdle();
            for (let wait = 0; (await patches()) === before; wait++) {
                if (wait > 500) throw new Error('the connector never sent its PATCH');
                await new Promise((resolve) => setTimeout(resolve, 5));
            }
            await edit();
            await writing;
        },
        settle,
        async close() {
            await webhooks.close();
            await store.close();
            await clmEmu.close();
            await sfEmu.close();
            rmSync(dir, { recursive: true, force: true });
        }
    };
}
