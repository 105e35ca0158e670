/**
 * `npm run demo:sign`: plays the CLM side of the demo — legal fills in the term of the newest Ironclad workflow, it
 * goes through approval and signature, every signer signs, and the workflow completes — through the CLM emulator's
 * admin API.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../test/support/requirements.ts';
import { approveSignAndArchive, clmAdminClient, fillTerm } from './clmDemoActions.ts';

const ready = JSON.parse(readFileSync(path.join(repoRoot, '.tmp', 'demo', 'ready.json'), 'utf8')) as {
    clmAdminUrl: string;
};

const admin = clmAdminClient(ready.clmAdminUrl);
const { contracts } = await admin<{ contracts: { ids: { workflowId: string }; stage: string }[] }>(
    'GET',
    '/contracts?vendor=ironclad'
);
const newest = contracts.at(-1);
if (!newest) {
    console.error('No Ironclad workflow yet: click "Send to CLM" on the record page first.');
    process.exit(1);
}
const workflowId = newest.ids.workflowId;
if (newest.stage === 'review') {
    await fillTerm(admin, workflowId);
    console.log(`${workflowId}: legal filled in the term (one year, 60 days' notice)`);
}
await approveSignAndArchive(admin, workflowId);
console.log(`${workflowId}: signed by everyone and archived`);
console.log('Ironclad sent its webhooks; the record page shows Signed in a moment.');
