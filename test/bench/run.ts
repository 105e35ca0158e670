/**
 * `npm run bench`: figures, never assertions. Salesforce API calls per 1,000 records written by the connector's
 * adapter (Composite + sObject Collections) against the same writes made by a plain jsforce loop (one call per
 * record), both counted by the org emulator's billing counter, with records/second for each; then the store's
 * throughput (connector-service/bench/store.ts). The last line is one JSON object with the figures.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
    connectWithJwt,
    JsforceSalesforce
} from '../../connector-service/src/adapters/salesforce/jsforceSalesforce.ts';
import { startSalesforceEmulator } from '../emulators/salesforce/src/index.ts';
import { repoRoot } from '../support/requirements.ts';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1000);

async function billed(adminUrl: string): Promise<number> {
    return ((await (await fetch(`${adminUrl}/counters`)).json()) as { billedApiRequests: number }).billedApiRequests;
}

const emulator = await startSalesforceEmulator({ dailyApiRequests: 1_000_000 });
const conn = await connectWithJwt({
    loginUrl: emulator.loginUrl,
    clientId: emulator.jwtConsumerKey,
    username: emulator.username,
    privateKeyPem: readFileSync(emulator.jwtPrivateKeyPath, 'utf8'),
    apiVersion: emulator.apiVersion
});
const salesforce = new JsforceSalesforce(conn, { connectorClientId: 'clm-connector', apiVersion: emulator.apiVersion });
const [account] = await salesforce.write([{ ref: 'a', sfObject: 'Account', fields: { Name: 'Bench' } }]);
const created = await salesforce.write(
    Array.from({ length: RECORDS }, (_, n) => ({
        ref: String(n),
        sfObject: 'Opportunity',
        fields: { Name: `Deal ${n}`, StageName: 'Prospecting', CloseDate: '2027-01-01', AccountId: account!.id! }
    }))
);
const ids = created.map((result) => result.id!);

let before = await billed(emulator.adminUrl);
let started = performance.now();
await salesforce.write(
    ids.map((id, n) => ({ ref: String(n), sfObject: 'Opportunity', id, fields: { CLM_Lifecycle__c: 'InReview' } }))
);
const connectorSeconds = (performance.now() - started) / 1000;
const connectorCalls = (await billed(emulator.adminUrl)) - before;

before = await billed(emulator.adminUrl);
started = performance.now();
for (const id of ids) await conn.sobject('Opportunity').update({ Id: id, CLM_Lifecycle__c: 'Signed' });
const baselineSeconds = (performance.now() - started) / 1000;
const baselineCalls = (await billed(emulator.adminUrl)) - before;

before = await billed(emulator.adminUrl);
await salesforce.readByIds('Opportunity', ['Name', 'StageName', 'CLM_Lifecycle__c'], ids);
const enrichmentCalls = (await billed(emulator.adminUrl)) - before;
await emulator.close();

const perThousand = (calls: number) => Math.round((calls / RECORDS) * 1000 * 100) / 100;
console.log(`Salesforce writes, ${RECORDS} records`);
console.log(
    `  connector (Composite, 5×200 per call): ${connectorCalls} API calls, ${(RECORDS / connectorSeconds).toFixed(0)} records/s`
);
console.log(
    `  plain jsforce loop (one call each):    ${baselineCalls} API calls, ${(RECORDS / baselineSeconds).toFixed(0)} records/s`
);
console.log(`  enrichment reads of ${RECORDS} records: ${enrichmentCalls} API calls`);

console.log('\nStore throughput (connector-service/bench/store.ts)');
const storeOutput = execFileSync(
    process.execPath,
    [path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), 'connector-service/bench/store.ts'],
    {
        cwd: repoRoot,
        encoding: 'utf8',
        env: {
            ...process.env,
            BENCH_STORE_SINGLE: process.env.BENCH_STORE_SINGLE ?? '500',
            BENCH_STORE_BATCHES: process.env.BENCH_STORE_BATCHES ?? '50',
            BENCH_STORE_CLAIMS: process.env.BENCH_STORE_CLAIMS ?? '500'
        }
    }
);
console.log(storeOutput.trim());

console.log(
    JSON.stringify({
        records: RECORDS,
        sfCallsPer1000Writes: perThousand(connectorCalls),
        sfCallsPer1000Enrichments: perThousand(enrichmentCalls),
        recordsPerSecondSalesforceWrites: Math.round(RECORDS / connectorSeconds),
        baselineCallsPer1000Writes: perThousand(baselineCalls),
        baselineRecordsPerSecond: Math.round(RECORDS / baselineSeconds)
    })
);
