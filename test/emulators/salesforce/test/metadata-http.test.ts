// The deployRequest routes of the running emulator over HTTP: the documented replies and errors on the wire,
// who may deploy, and a real deploy reaching describe — the service (src/metadata) as the org serves it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSalesforceEmulator } from '../src/index.ts';
import { call, dataPath, startFixtureOrg, tokenFor, accountFieldZip } from './helpers.ts';

const DEPLOY = dataPath('/metadata/deployRequest');

let emu: RunningSalesforceEmulator;
let adminToken: string;

async function postDeploy(token: string, zip: Buffer | undefined, options: unknown) {
    const form = new FormData();
    if (zip) form.append('file', new Blob([zip], { type: 'application/zip' }), 'package.xml');
    form.append('entity_content', new Blob([JSON.stringify({ deployOptions: options })], { type: 'application/json' }));
    const res = await fetch(`${emu.instanceUrl}${DEPLOY}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
        body: form
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Polls as a client does (bounded), until the deploy is done. */
async function pollUntilDone(id: string, includeDetails = true): Promise<Record<string, unknown>> {
    for (let attempt = 0; attempt < 100; attempt++) {
        const res = await call(emu, 'GET', `${DEPLOY}/${id}${includeDetails ? '?includeDetails=true' : ''}`, {
            token: adminToken
        });
        expect(res.status).toBe(200);
        const result = (res.json as { deployResult: Record<string, unknown> }).deployResult;
        if (result.done === true) return result;
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`deploy ${id} did not finish`);
}

describe('deployRequest over HTTP', () => {
    beforeAll(async () => {
        emu = await startFixtureOrg();
        adminToken = await tokenFor(emu);
    });

    afterAll(async () => {
        await emu?.close();
    });

    it('answers 201 Pending, then the finished result when polled; details only with includeDetails', async () => {
        const started = await postDeploy(adminToken, await accountFieldZip('Region__c'), { checkOnly: true });
        expect(started.status).toBe(201);
        expect(started.json).toMatchObject({
            id: expect.stringMatching(/^0Af/),
            deployResult: { status: 'Pending', done: false }
        });
        const id = started.json.id as string;
        const detailed = await pollUntilDone(id);
        expect(detailed).toMatchObject({
            status: 'Succeeded',
            success: true,
            checkOnly: true,
            numberComponentsTotal: 1
        });
        expect((detailed.details as { componentSuccesses: unknown[] }).componentSuccesses).toContainEqual(
            expect.objectContaining({ componentType: 'CustomField', fullName: 'Account.Region__c', created: true })
        );
        expect((await pollUntilDone(id, false)).details).toBeNull();
        const describe = await call(emu, 'GET', dataPath('/sobjects/Account/describe'), { token: adminToken });
        expect((describe.json as { fields: { name: string }[] }).fields.map((f) => f.name)).not.toContain('Region__c');
    });

    it('a deploy that is not checkOnly adds the field to describe', async () => {
        const started = await postDeploy(adminToken, await accountFieldZip('Territory__c'), { checkOnly: false });
        expect((await pollUntilDone(started.json.id as string)).status).toBe('Succeeded');
        const describe = await call(emu, 'GET', dataPath('/sobjects/Account/describe'), { token: adminToken });
        expect((describe.json as { fields: { name: string; type: string; length: number }[] }).fields).toContainEqual(
            expect.objectContaining({ name: 'Territory__c', type: 'string', length: 30 })
        );
    });

    it('answers the documented errors for a wrong content type, a missing zip, and an unknown id', async () => {
        const json = await call(emu, 'POST', DEPLOY, { token: adminToken, body: { deployOptions: {} } });
        expect(json.status).toBe(415);
        expect(json.json).toEqual([
            expect.objectContaining({ errorCode: 'UNSUPPORTED_MEDIA_TYPE', fields: ['Content-Type'] })
        ]);
        const noZip = await postDeploy(adminToken, undefined, { checkOnly: true });
        expect(noZip.status).toBe(400);
        expect(noZip.json).toEqual([
            expect.objectContaining({ errorCode: 'INVALID_MULTIPART_REQUEST', fields: ['file'] })
        ]);
        const unknown = await call(emu, 'GET', `${DEPLOY}/0Af5e0000000999`, { token: adminToken });
        expect(unknown.status).toBe(404);
        expect(unknown.json).toEqual([expect.objectContaining({ errorCode: 'NOT_FOUND' })]);
    });

    it('refuses a user without Modify All Data, and a request without a session', async () => {
        const integrationToken = await tokenFor(emu, emu.users.integration.username);
        const refused = await postDeploy(integrationToken, await accountFieldZip('Region__c'), { checkOnly: true });
        expect(refused.status).toBe(403);
        expect(refused.json).toEqual([expect.objectContaining({ errorCode: 'INSUFFICIENT_ACCESS' })]);
        const anonymous = await call(emu, 'GET', `${DEPLOY}/0Af5e0000000999`);
        expect(anonymous.status).toBe(401);
        expect(anonymous.json).toEqual([expect.objectContaining({ errorCode: 'INVALID_SESSION_ID' })]);
    });
});
