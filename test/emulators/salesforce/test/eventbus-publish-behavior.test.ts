// publishBehavior as the package declares it: Clm_Sync_Request__e is PublishAfterCommit (gone with a rollback),
// Clm_Sync_Status__e is PublishImmediately (out at once, surviving the rollback of the call that published it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type PublishedEvent, type RunningSalesforceEmulator } from '../src/index.ts';
import { API_VERSION, call, connectAs } from './helpers.ts';

let emu: RunningSalesforceEmulator;
let token: string;
const heard: PublishedEvent[] = [];

beforeAll(async () => {
    emu = await startSalesforceEmulator();
    emu.hook.subscribe((tx) => heard.push(...tx.events));
    token = (await connectAs(emu)).accessToken!;
});

afterAll(async () => {
    await emu?.close();
});

describe('platform event publish behaviour', () => {
    it('keeps a PublishImmediately event and drops a PublishAfterCommit one when the call rolls back', async () => {
        const base = `/services/data/v${API_VERSION}/sobjects`;
        const response = await call(emu, 'POST', `/services/data/v${API_VERSION}/composite`, {
            token,
            body: {
                allOrNone: true,
                compositeRequest: [
                    {
                        method: 'POST',
                        url: `${base}/Clm_Sync_Status__e`,
                        referenceId: 'status',
                        body: { Kind__c: 'Applied', Event_Key__c: 'k-immediate' }
                    },
                    {
                        method: 'POST',
                        url: `${base}/Clm_Sync_Request__e`,
                        referenceId: 'request',
                        body: { Action__c: 'Send', Request_Id__c: 'r-after-commit' }
                    },
                    { method: 'POST', url: `${base}/Account`, referenceId: 'broken', body: { Website: 'no name' } }
                ]
            }
        });
        expect(response.status).toBe(200);
        expect(heard.map((event) => event.sobject)).toEqual(['Clm_Sync_Status__e']);
        expect(heard[0]!.fields.Event_Key__c).toBe('k-immediate');
    });

    it('publishes a PublishAfterCommit event once the call commits', async () => {
        heard.length = 0;
        const response = await call(emu, 'POST', `/services/data/v${API_VERSION}/sobjects/Clm_Sync_Request__e`, {
            token,
            body: { Action__c: 'Send', Request_Id__c: 'r-committed' }
        });
        expect(response.status).toBe(201);
        expect(heard.map((event) => [event.sobject, event.fields.Request_Id__c])).toEqual([
            ['Clm_Sync_Request__e', 'r-committed']
        ]);
    });
});
