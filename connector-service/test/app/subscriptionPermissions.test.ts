/**
 * Hearing the org takes what Salesforce requires of a change event subscriber: View All Records on the object (Change
 * Data Capture ignores sharing). Against a Private-sharing emulated org with the shipped permission sets, a rep's deal
 * (the rep owns it): the integration user's subscription hears it, the connector reads it and writes to it; with View
 * All (and the Modify All that needs it) removed from its permission set the real Pub/Sub client is refused as the
 * Pub/Sub API refuses it, the deal is out of the connector's sight, and the start-time pre-flight fails closed naming
 * the permission.
 */
import { readFileSync } from 'node:fs';
import type jsforce from 'jsforce';
import PubSubApiClient from 'salesforce-pubsub-api-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWithJwt, JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import { missingSubscriptionPermissions, requireSubscriptionPermissions } from '../../src/app/subscriptionAccess.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';

const CHANNEL = '/data/OpportunityChangeEvent';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let emu: RunningSalesforceEmulator;
let admin: jsforce.Connection;
let rep: jsforce.Connection;
let integration: JsforceSalesforce;
let integrationToken: string;
const clients: PubSubApiClient[] = [];

async function subscribeAsIntegration(): Promise<{
    events: unknown[];
    errors: { code: number; metadata?: { get(k: string): unknown[] } }[];
}> {
    const client = new PubSubApiClient(
        {
            authType: 'user-supplied',
            accessToken: integrationToken,
            instanceUrl: 'https://localhost',
            organizationId: emu.orgId,
            pubSubEndpoint: emu.pubsubEndpoint!,
            rejectUnauthorizedSsl: false
        } as never,
        quiet as never
    );
    await client.connect();
    clients.push(client);
    const seen = {
        events: [] as unknown[],
        errors: [] as { code: number; metadata?: { get(k: string): unknown[] } }[]
    };
    client.subscribe(
        CHANNEL,
        (_info: unknown, type: string, data: unknown) => {
            if (type === 'event') seen.events.push(data);
            if (type === 'error') seen.errors.push(data as (typeof seen.errors)[number]);
        },
        5
    );
    return seen;
}

async function until(what: string, check: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
    if (!check()) throw new Error(`timed out waiting for ${what}`);
}

type Grant = { Id: string; PermissionsViewAllRecords: boolean; PermissionsModifyAllRecords: boolean };

/** The integration permission set's Opportunity object permission row. */
async function opportunityGrant(): Promise<Grant> {
    const result = await admin.query<Grant>(
        "SELECT Id, PermissionsViewAllRecords, PermissionsModifyAllRecords FROM ObjectPermissions WHERE Parent.Name = 'Clm_Connector_Integration' AND SobjectType = 'Opportunity'"
    );
    return result.records[0]!;
}

/** A deal the rep creates, and so owns: under Private sharing nobody else sees it without View All. */
async function repDeal(name: string): Promise<string> {
    const created = await rep
        .sobject('Opportunity')
        .create({ Name: name, StageName: 'Prospecting', CloseDate: '2027-01-31' });
    return created.id!;
}

beforeAll(async () => {
    emu = await startSalesforceEmulator({ pubsub: { keepaliveMs: 5_000 }, sharing: 'private' });
    const login = (username: string) =>
        connectWithJwt({
            loginUrl: emu.loginUrl,
            clientId: emu.jwtConsumerKey,
            username,
            privateKeyPem: readFileSync(emu.jwtPrivateKeyPath, 'utf8'),
            apiVersion: emu.apiVersion
        });
    admin = await login(emu.username);
    rep = await login(emu.users.salesRep.username);
    const conn = await login(emu.users.integration.username);
    integrationToken = conn.accessToken!;
    integration = new JsforceSalesforce(conn, { connectorClientId: 'clm-connector', apiVersion: emu.apiVersion });
});

afterAll(async () => {
    emu?.eventBus?.closeAll();
    for (const client of clients) client.close();
    await emu?.close();
});

describe('change event subscriptions take View All Records, as Salesforce requires', () => {
    it("with the shipped permission sets the integration user hears a rep's deal, reads and writes it; the pre-flight passes", async () => {
        expect(await opportunityGrant()).toMatchObject({
            PermissionsViewAllRecords: true,
            PermissionsModifyAllRecords: true
        });
        await expect(
            requireSubscriptionPermissions(integration, emu.users.integration.id, [CHANNEL])
        ).resolves.toBeUndefined();
        const seen = await subscribeAsIntegration();
        await until('the subscription', () =>
            emu.eventBus!.deliveryCounters().subscribers.some((s) => s.topic === CHANNEL && s.open)
        );
        const dealId = await repDeal('Heard');
        await until('the change event', () => seen.events.length > 0);
        expect(seen.errors).toEqual([]);
        expect(await integration.readByIds('Opportunity', ['Name'], [dealId])).toEqual([
            expect.objectContaining({ Name: 'Heard' })
        ]);
        const [written] = await integration.write([
            { ref: 'w', sfObject: 'Opportunity', id: dealId, fields: { CLM_Last_Sync_Result__c: 'Pending' } }
        ]);
        expect(written).toMatchObject({ success: true });
    });

    it('without View All the subscription is refused and the pre-flight names the missing permission', async () => {
        const dealId = await repDeal('Unheard');
        const grant = await opportunityGrant();
        // Setup clears Modify All with the View All it depends on.
        await admin
            .sobject('ObjectPermissions')
            .update({ Id: grant.Id, PermissionsViewAllRecords: false, PermissionsModifyAllRecords: false });
        try {
            expect(await integration.readByIds('Opportunity', ['Name'], [dealId])).toEqual([]);
            const [written] = await integration.write([
                { ref: 'w', sfObject: 'Opportunity', id: dealId, fields: { CLM_Last_Sync_Result__c: 'Pending' } }
            ]);
            expect(written).toMatchObject({ success: false, error: { code: 'SF.INSUFFICIENT_ACCESS_OR_READONLY' } });
            expect(await missingSubscriptionPermissions(integration, emu.users.integration.id, [CHANNEL])).toEqual([
                'View All Records on Opportunity'
            ]);
            await expect(
                requireSubscriptionPermissions(integration, emu.users.integration.id, [CHANNEL])
            ).rejects.toMatchObject({
                code: 'PERMISSION.SUBSCRIPTION_DENIED',
                message: expect.stringContaining('View All Records on Opportunity')
            });
            const seen = await subscribeAsIntegration();
            await until('the refusal', () => seen.errors.length > 0);
            expect(seen.errors[0]!.code).toBe(7); // PERMISSION_DENIED
            expect(seen.errors[0]!.metadata!.get('error-code')).toEqual([
                'sfdc.platform.eventbus.grpc.topic.permission.denied'
            ]);
        } finally {
            await admin
                .sobject('ObjectPermissions')
                .update({ Id: grant.Id, PermissionsViewAllRecords: true, PermissionsModifyAllRecords: true });
        }
    });
});
