/**
 * `npm start -- --org <alias> --clm <config.json>` against an org the sf CLI logged in to: the real sf CLI logs in
 * to the Salesforce emulator under an alias in a private HOME, then the connector starts as a child process with
 * that HOME, a config file with no Salesforce login in it, and the secrets in its environment. It connects to the
 * org the alias names, answers /readyz, and carries a rep's sync request to the CLM emulator and back.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClmEmulator, type ClmEmulator } from '../emulators/clm/src/index.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../emulators/salesforce/src/index.ts';
import { connectAs, tokenFor } from '../emulators/salesforce/test/helpers.ts';
import { seedDeal } from '../preview/demoData.ts';
import { repoRoot, requireOrSkip } from '../support/requirements.ts';
import { SF_BIN, sfCliEnv } from '../support/sfCli.ts';

const TSX = path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs');
const ALIAS = 'clm-integration';
const ADMIN_TOKEN = 'start-with-org-admin-token';
const eventually = <T>(read: () => Promise<T> | T, message: string) =>
    expect.poll(read, { timeout: 30_000, interval: 200, message });

const sfPresent = requireOrSkip({
    what: `the sf CLI at ${path.relative(repoRoot, SF_BIN)}`,
    how: 'npm install (it is a dev dependency of the repository)',
    present: existsSync(SF_BIN)
});

interface Ready {
    orgId: string;
    url: string;
}

describe.skipIf(!sfPresent)('npm start -- --org <sf CLI alias> --clm <config>', () => {
    let workDir: string;
    let sf: RunningSalesforceEmulator;
    let clm: ClmEmulator;
    let admin: jsforce.Connection;
    let opportunityId: string;
    let connector: ChildProcess | undefined;
    let ready: Ready;
    let output = '';

    beforeAll(async () => {
        workDir = mkdtempSync(path.join(os.tmpdir(), 'clm-start-org-'));
        const home = path.join(workDir, 'home');
        sf = await startSalesforceEmulator({ port: 0, pubsub: { port: 0 } });
        clm = await startClmEmulator({ port: 0 });

        // The integration user's session, stored by the sf CLI under an alias (as `sf org login web` would).
        const accessToken = await tokenFor(sf, sf.users.integration.username);
        const login = await promisify(execFile)(
            SF_BIN,
            [
                'org',
                'login',
                'access-token',
                '--instance-url',
                sf.instanceUrl,
                '--no-prompt',
                '--alias',
                ALIAS,
                '--json'
            ],
            { env: sfCliEnv(home, { SF_ACCESS_TOKEN: accessToken }), timeout: 120_000 }
        );
        expect(JSON.parse(login.stdout).result).toMatchObject({
            username: sf.users.integration.username,
            orgId: sf.orgId
        });

        admin = await connectAs(sf);
        const deal = await seedDeal(admin, sf.users.salesRep.id);
        opportunityId = deal.opportunityId;
        await admin
            .sobject('Contact')
            .create({ FirstName: 'Greta', LastName: 'Signer', Email: 'greta@acme.example', AccountId: deal.accountId });

        const configFile = path.join(workDir, 'connector.json');
        writeFileSync(
            configFile,
            JSON.stringify({
                // No login here: --org names it.
                salesforce: { orgCurrency: 'USD', pubsub: { endpoint: sf.pubsubEndpoint, allowSelfSignedTls: true } },
                clm: {
                    vendor: 'ironclad',
                    ironclad: {
                        baseUrl: clm.ironcladBaseUrl,
                        tokenUrl: clm.ironcladTokenUrl,
                        clientId: clm.ironcladClientId,
                        actorEmail: clm.ironcladUserEmail,
                        templateName: clm.ironcladTemplateName
                    },
                    customFields: []
                },
                store: { kind: 'sqlite', file: path.join(workDir, 'store.db') },
                http: { port: 0 },
                sync: { pollIntervalMs: 100 }
            })
        );
        connector = spawn(process.execPath, [TSX, 'scripts/start.ts', '--org', ALIAS, '--clm', configFile], {
            cwd: repoRoot,
            env: sfCliEnv(home, {
                CLM_CONNECTOR_TOKEN: ADMIN_TOKEN,
                CLM_IRONCLAD_CLIENT_SECRET: clm.ironcladClientSecret
            }),
            stdio: ['ignore', 'pipe', 'pipe']
        });
        ready = await new Promise<Ready>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no ready line:\n${output}`)), 120_000);
            connector!.stdout!.on('data', (chunk: Buffer) => {
                output += chunk.toString();
                const line = output.split('\n').find((candidate) => candidate.startsWith('{"ready":true'));
                if (line) {
                    clearTimeout(timer);
                    resolve(JSON.parse(line) as Ready);
                }
            });
            connector!.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
            connector!.once('exit', (code) => {
                clearTimeout(timer);
                reject(new Error(`the connector exited with ${code}:\n${output}`));
            });
        });
    }, 240_000);

    afterAll(async () => {
        if (connector && connector.exitCode === null) {
            const exited = new Promise((resolve) => connector!.once('exit', resolve));
            connector.kill('SIGTERM');
            await exited;
        }
        sf?.eventBus?.closeAll();
        await clm?.close();
        await sf?.close();
        if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    it('connects to the org the alias names and is ready', async () => {
        expect(ready.orgId).toBe(sf.orgId);
        const readyz = await fetch(`${ready.url}/readyz`);
        expect(readyz.status).toBe(200);
    });

    it("carries a rep's sync request to the CLM and links the contract back", async () => {
        // A first start subscribes from the latest event: publish once the subscription is open in the org.
        await eventually(
            () =>
                sf
                    .eventBus!.deliveryCounters()
                    .subscribers.some(
                        (subscriber) => subscriber.topic === '/event/Clm_Sync_Request__e' && subscriber.open
                    ),
            'the connector subscribes to the sync request event'
        ).toBe(true);
        await admin.sobject('Clm_Sync_Request__e').create({
            Record_Id__c: opportunityId,
            Object_Api_Name__c: 'Opportunity',
            Action__c: 'Send',
            Request_Id__c: 'start-with-org-1'
        });
        await eventually(async () => {
            const opportunity = (await admin.sobject('Opportunity').retrieve(opportunityId)) as {
                CLM_Contract_Id__c?: string | null;
            };
            return opportunity.CLM_Contract_Id__c ?? null;
        }, `connector output:\n${output}`).toMatch(/^[0-9a-f]{24}$/);
        const contracts = (await (await fetch(`${clm.adminUrl}/contracts?vendor=ironclad`)).json()) as {
            contracts: { data: Record<string, unknown> }[];
        };
        expect(contracts.contracts.filter((contract) => contract.data.sfOpportunityId === opportunityId)).toHaveLength(
            1
        );
    }, 60_000);
});
