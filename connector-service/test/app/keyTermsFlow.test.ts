/**
 * Issue 21's "done when", on both emulated vendors with the default package: a deal sent from a multi-currency org
 * carries its title, counterparty name and address, signer (the primary contact role), value in the deal's own
 * currency and its close date (the proposed start) into the CLM; legal's renewal terms and the signature bring the executed date, expiration,
 * notice deadline, term and auto-renew back to the Salesforce Contract. Each value is asserted on both sides: the
 * vendor's own record (the CLM emulator's admin API) and the Salesforce emulator's rows, with the real adapters, the
 * real engine and the packaged rules between them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULES, loadRuleSet } from '../../src/domain/index.ts';
import type { JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import type { ClmPort } from '../../src/ports/clm.ts';
import type { StorePort } from '../../src/ports/store.ts';
import { SyncEngine } from '../../src/app/syncEngine.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';
import { startEmulatorBackends } from '../clm/emulatorBackends.ts';
import { connectAs } from './pubsubWorld.ts';

const ORG = '00D000000000001AAA';
const ADDRESS = { street: '1 Market St', city: 'Dallas', state: 'TX', postalCode: '75201', country: 'US' };
// Dates from the run's own year: a contract whose expiration is past reads Expired (CI also runs three years ahead).
const YEAR = new Date().getUTCFullYear();
const CLOSE = `${YEAR + 1}-03-31`;
const EXPIRES = `${YEAR + 3}-03-31`;
/** Sixty days' notice before the expiration. */
const NOTICE = new Date(Date.parse(EXPIRES) - 60 * 86_400_000).toISOString().slice(0, 10);

let sf: RunningSalesforceEmulator;
let backends: Awaited<ReturnType<typeof startEmulatorBackends>>;
let admin: JsforceSalesforce;
let integration: JsforceSalesforce;
const stores: StorePort[] = [];
let dir: string;

beforeAll(async () => {
    sf = await startSalesforceEmulator({ multiCurrency: true });
    backends = await startEmulatorBackends([]);
    admin = (await connectAs(sf, sf.username, 'sales-console')).port;
    integration = (await connectAs(sf, sf.users.integration.username, 'clm-connector')).port;
    dir = mkdtempSync(path.join(os.tmpdir(), 'clm-key-terms-'));
}, 120_000);

afterAll(async () => {
    for (const store of stores) await store.close();
    await backends?.emulator.close();
    await sf?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A deal as a rep builds it: the account with its billing address, two contacts, the second the primary role. */
async function deal(name: string): Promise<string> {
    const insert = async (sfObject: string, fields: Record<string, string | number | boolean | null>) => {
        const [result] = await admin.write([{ ref: 'x', sfObject, fields }]);
        if (!result?.success) throw new Error(`${sfObject}: ${JSON.stringify(result?.error)}`);
        return result.id!;
    };
    const accountId = await insert('Account', {
        Name: `${name} Corporation`,
        BillingStreet: ADDRESS.street,
        BillingCity: ADDRESS.city,
        BillingState: ADDRESS.state,
        BillingPostalCode: ADDRESS.postalCode,
        BillingCountry: ADDRESS.country
    });
    await insert('Contact', {
        FirstName: 'Oldest',
        LastName: 'Contact',
        Email: 'oldest@example.com',
        AccountId: accountId
    });
    const signer = await insert('Contact', {
        FirstName: 'Pat',
        LastName: 'Signer',
        Email: `pat@${name.toLowerCase()}.example`,
        AccountId: accountId
    });
    const opportunityId = await insert('Opportunity', {
        Name: `${name} platform deal`,
        StageName: 'Negotiation/Review',
        CloseDate: CLOSE,
        Amount: 48000.5,
        CurrencyIsoCode: 'EUR',
        AccountId: accountId
    });
    await insert('OpportunityContactRole', { OpportunityId: opportunityId, ContactId: signer, IsPrimary: true });
    return opportunityId;
}

interface VendorRecord {
    title: string;
    signers: { name: string; email: string; side: 'ours' | 'theirs' }[];
    data: Record<string, unknown>;
}

const cases = [
    {
        vendor: 'ironclad' as const,
        legalEdits: {
            expirationDate: EXPIRES,
            termMonths: 24,
            autoRenew: true,
            renewalTermMonths: 12,
            noticePeriodDays: 60
        }
    },
    {
        vendor: 'spotdraft' as const,
        legalEdits: {
            end_date: EXPIRES,
            term: { days: 730, type: 'YEARS', value: 2 },
            auto_renew: true,
            renewal_term: { days: 365, type: 'MONTHS', value: 12 },
            notice_period: { days: 60, type: 'DAYS', value: 60 }
        }
    }
];

describe('key terms both ways, with the default package', () => {
    for (const { vendor, legalEdits } of cases) {
        it(`${vendor}: the send carries the deal into the CLM; the signature brings the key terms back`, async () => {
            const clm: ClmPort = vendor === 'ironclad' ? backends.ironclad : backends.spotdraft;
            const store = await openSqliteStore({ file: path.join(dir, `${vendor}.db`) });
            stores.push(store);
            const engine = new SyncEngine({
                orgId: ORG,
                store,
                salesforce: integration,
                clm,
                rules: loadRuleSet(DEFAULT_RULES),
                context: { connectorClientId: 'clm-connector', transform: {} }
            });
            // Until nothing is left to do: a retried item (a vendor's 429, say) comes due a little later.
            const settle = async () => {
                for (let round = 0; round < 200; round++) {
                    await engine.runUntilIdle();
                    const { inbox, outbox } = await store.stats(ORG, Date.now());
                    if (
                        inbox.byStatus.pending +
                            outbox.byStatus.pending +
                            inbox.byStatus.failed +
                            outbox.byStatus.failed ===
                        0
                    )
                        return;
                    await new Promise((resolve) => setTimeout(resolve, 50));
                }
            };
            const clmEvent = async (contractId: string, eventId: string) => {
                await store.appendInbox(ORG, [
                    {
                        source: `clm:${vendor}:webhook`,
                        eventId,
                        orderingKey: `clm:${contractId}`,
                        payload: { kind: 'clm.event', contractId, vendorEventId: eventId },
                        correlationId: `corr-${eventId}`
                    }
                ]);
                await settle();
            };
            // As the connector does at start: read the template (where the title and the key terms live).
            await clm.describeTemplate();
            const opportunityId = await deal(vendor === 'ironclad' ? 'Initech' : 'Hooli');
            await store.appendInbox(ORG, [
                {
                    source: 'salesforce:/event/Clm_Sync_Request__e',
                    eventId: `send-${vendor}`,
                    orderingKey: `opp:${opportunityId}`,
                    payload: { kind: 'sf.syncRequest', recordId: opportunityId, requestId: `send-${vendor}` },
                    correlationId: `corr-send-${vendor}`
                }
            ]);
            await settle();
            expect(await store.listQuarantined(ORG)).toEqual([]);

            // The CLM side: the vendor's own record (its admin view), and the contract as the adapter reads it back.
            const name = vendor === 'ironclad' ? 'Initech' : 'Hooli';
            const sent = (await clm.findByExternalRef({
                system: 'salesforce',
                objectType: 'Opportunity',
                id: opportunityId
            }))!;
            const vendorId = sent.refs.find((ref) => ref.system === vendor)!.id;
            const stored = await backends.admin.call<VendorRecord>(
                'GET',
                `/contracts/${vendor}/${encodeURIComponent(vendorId)}`
            );
            const theirSigner = stored.signers.find((signer) => signer.side === 'theirs');
            expect(theirSigner).toMatchObject({ name: 'Pat Signer', email: `pat@${name.toLowerCase()}.example` });
            if (vendor === 'ironclad')
                expect(stored.data).toMatchObject({
                    contractTitle: `${name} platform deal`,
                    agreementDate: CLOSE,
                    counterpartyName: `${name} Corporation`,
                    counterpartyAddress: JSON.stringify(ADDRESS),
                    counterpartySignerEmail: 'pat@initech.example',
                    contractValue: { currency: 'EUR', amount: 48000.5 }
                });
            else {
                expect(stored.title).toBe(`${name} platform deal`);
                expect(stored.data).toMatchObject({
                    start_date: CLOSE,
                    counterparty_address: JSON.stringify(ADDRESS),
                    contract_value: { type: 'EUR', value: 48000.5 }
                });
            }
            expect(sent).toMatchObject({
                effectiveDate: CLOSE,
                counterparty: { name: `${name} Corporation`, address: ADDRESS },
                value: { amount: '48000.5', currency: 'EUR' }
            });

            // Legal sets the renewal terms in the CLM, everyone signs.
            await backends.admin.action(vendor, vendorId, 'update-data', { data: legalEdits });
            await backends.admin.action(vendor, vendorId, 'send-for-signature');
            await backends.admin.signAll(vendor, vendorId);
            if (vendor === 'ironclad') await backends.admin.action(vendor, vendorId, 'complete');
            const signedId = (await clm.findByExternalRef({
                system: 'salesforce',
                objectType: 'Opportunity',
                id: opportunityId
            }))!.id;
            await clmEvent(signedId, `signed-${vendor}`);
            const signed = await clm.getContract(signedId);
            expect(signed.executedDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
            expect(signed).toMatchObject({ termMonths: 24, autoRenew: true, renewalTermMonths: 12 });
            // Sixty days' notice before the expiration legal set.
            expect(signed).toMatchObject({ expirationDate: EXPIRES, noticeDeadline: NOTICE });

            // The Salesforce side: the deal's Contract holds the CLM's key terms.
            const [opportunity] = await admin.readByIds(
                'Opportunity',
                ['ContractId', 'CLM_Lifecycle__c'],
                [opportunityId]
            );
            expect(opportunity!.CLM_Lifecycle__c).toBe('Signed');
            const [contract] = await admin.readByIds(
                'Contract',
                [
                    'StartDate',
                    'CLM_Executed_Date__c',
                    'CLM_Expiration_Date__c',
                    'CLM_Notice_Deadline__c',
                    'ContractTerm',
                    'CLM_Auto_Renew__c',
                    'CLM_Renewal_Term_Months__c'
                ],
                [String(opportunity!.ContractId)]
            );
            expect(contract).toMatchObject({
                StartDate: CLOSE,
                CLM_Executed_Date__c: signed.executedDate,
                CLM_Expiration_Date__c: signed.expirationDate,
                CLM_Notice_Deadline__c: signed.noticeDeadline,
                ContractTerm: 24,
                CLM_Auto_Renew__c: true,
                CLM_Renewal_Term_Months__c: 12
            });
            expect(await store.listQuarantined(ORG)).toEqual([]);
        });
    }
});
