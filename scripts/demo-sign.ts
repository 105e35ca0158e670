/**
 * `npm run demo:sign`: plays the CLM side of the demo — the newest Ironclad workflow goes through approval and
 * signature, every signer signs, and the workflow completes — through the CLM emulator's admin API.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../test/support/requirements.ts';

const ready = JSON.parse(readFileSync(path.join(repoRoot, '.tmp', 'demo', 'ready.json'), 'utf8')) as {
    clmAdminUrl: string;
};

async function call(method: string, route: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${ready.clmAdminUrl}${route}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000)
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
}

const { contracts } = (await call('GET', '/contracts?vendor=ironclad')) as {
    contracts: { ids: { workflowId: string }; stage: string }[];
};
const newest = contracts.at(-1);
if (!newest) {
    console.error('No Ironclad workflow yet: click "Send to CLM" on the record page first.');
    process.exit(1);
}
const contract = { id: newest.ids.workflowId };
const act = (action: string) =>
    call('POST', `/contracts/ironclad/${contract.id}/actions`, { action }) as Promise<{
        stage: string;
        signers: { status: string }[];
    }>;
await act('request-approvals');
await act('approve');
await act('send-for-signature');
console.log(`${contract.id}: out for signature`);
for (let signer = 0; signer < 10; signer += 1) {
    const state = await act('sign');
    if (state.signers.every((candidate) => candidate.status === 'signed')) break;
}
console.log(`${contract.id}: signed by everyone`);
await call('POST', '/webhooks/settle');
console.log('Ironclad sent its webhooks; the record page shows Signed in a moment.');
