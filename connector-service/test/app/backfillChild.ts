/**
 * Child process of backfillBulk.test.ts: the connector's backfill on its own, against the org emulator the test
 * runs, on the test's SQLite file, with the CLM rebuilt from the opportunity ids (backfillWorld.ts). It runs one
 * job from wherever the store says it stands and prints each progress event as a JSON line — until it finishes
 * or the test kills it.
 */
import { readFileSync } from 'node:fs';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import { Backfill } from '../../src/app/backfill.ts';
import { buildClm, FIXED_CLOCK, connect, CONTEXT, RULES, type OrgLogin } from './backfillWorld.ts';

export interface ChildConfig {
    login: OrgLogin;
    orgId: string;
    storeFile: string;
    idsFile: string;
    jobId: string;
    bulkJobRows: number;
}

const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as ChildConfig;
const clm = await buildClm(JSON.parse(readFileSync(config.idsFile, 'utf8')) as string[]);
const store = await openSqliteStore({ file: config.storeFile, clock: FIXED_CLOCK });
const backfill = new Backfill({
    orgId: config.orgId,
    store,
    salesforce: await connect(config.login),
    clm,
    rules: RULES,
    context: CONTEXT,
    clock: FIXED_CLOCK,
    worker: 'backfill-child',
    bulkPollIntervalMs: 25,
    bulkJobRows: config.bulkJobRows,
    log: (level, message, fields) => process.stderr.write(`${level} ${message} ${JSON.stringify(fields)}\n`),
    onProgress: (progress) => process.stdout.write(`${JSON.stringify(progress)}\n`)
});
const job = await backfill.run(config.jobId);
await store.close();
process.stdout.write(`${JSON.stringify({ event: 'exit', state: job.state })}\n`);
