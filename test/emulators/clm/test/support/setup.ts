// Starts one in-process emulator per suite with a frozen clock, and ready-made clients for both vendors.
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { startClmEmulator, type ClmEmulator } from '../../src/index.ts';
import { AdminClient, CheckedClient } from './checked.ts';

export interface Harness {
    emulator: ClmEmulator;
    admin: AdminClient;
    ironclad: CheckedClient;
    spotdraft: CheckedClient;
    ironcladToken: () => Promise<string>;
}

export async function startHarness(): Promise<Harness> {
    const emulator = await startClmEmulator({ port: 0, clockScale: 0 });
    const admin = new AdminClient(emulator.adminUrl);
    let token = '';
    const ironclad = new CheckedClient('ironclad', emulator.ironcladBaseUrl, () => ({
        authorization: `Bearer ${token}`,
        'x-as-user-email': emulator.ironcladUserEmail
    }));
    const spotdraft = new CheckedClient('spotdraft', emulator.spotdraftBaseUrl, () => ({
        'client-id': emulator.spotdraftClientId,
        'client-secret': emulator.spotdraftClientSecret,
        'user-email': emulator.spotdraftUserEmail
    }));
    const ironcladToken = async () => {
        const result = await ironclad.callUrl('POST', emulator.ironcladTokenUrl, {
            form: {
                grant_type: 'client_credentials',
                client_id: emulator.ironcladClientId,
                client_secret: emulator.ironcladClientSecret
            },
            headers: { authorization: '', 'x-as-user-email': '' }
        });
        if (result.status !== 200) throw new Error(`token request failed: ${result.status} ${result.text}`);
        token = result.json.access_token;
        return token;
    };
    return { emulator, admin, ironclad, spotdraft, ironcladToken };
}

/**
 * Registers the suite hooks: one emulator per file; before each test a reset, SpotDraft's 10/s window widened (the
 * frozen clock never rolls it over; the rate-limit test resets it back) and a fresh Ironclad token; after each test,
 * no spec problems in anything either client sent or received. The returned object is filled in by beforeAll.
 */
export function useHarness(): Harness {
    const harness = {} as Harness;
    beforeAll(async () => {
        Object.assign(harness, await startHarness());
    });
    afterAll(async () => {
        await harness.emulator.close();
    });
    beforeEach(async () => {
        await harness.admin.ok('POST', '/reset');
        await harness.admin.ok('PUT', '/rate-limits/spotdraft/workspace', { limit: 10_000, windowMs: 1000 });
        await harness.ironcladToken();
    });
    afterEach(() => {
        expect(harness.ironclad.takeProblems()).toEqual([]);
        expect(harness.spotdraft.takeProblems()).toEqual([]);
    });
    return harness;
}

export const MSA_DATA = {
    salesforce_opportunity_id: '006000000000001AAA',
    start_date: '2026-01-01',
    end_date: '2026-12-31',
    contract_value: { type: 'USD', value: 120000 },
    payment_terms: 'Net 30',
    auto_renew: true,
    term: { days: 365, type: 'YEARS', value: 1 }
};

export function sampleSpotdraftContract(overrides: Record<string, unknown> = {}) {
    return {
        contract_template_id: 4201,
        contract_data: MSA_DATA,
        counter_party_details: [
            {
                is_individual: false,
                organization_name: 'Acme Corp',
                poc_details: { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@acme.example' }
            }
        ],
        external_metadata: { id: '006000000000001AAA' },
        ...overrides
    };
}

export function sampleIroncladLaunch(templateId: string, overrides: Record<string, unknown> = {}) {
    return {
        template: templateId,
        creator: { type: 'email', email: 'clm-integration@example.com' },
        attributes: {
            counterpartyName: 'Acme Corp',
            counterpartySignerName: 'Ada Lovelace',
            counterpartySignerEmail: 'ada@acme.example',
            sfOpportunityId: '006000000000001AAA',
            agreementDate: '2026-01-01',
            expirationDate: '2026-12-31',
            contractValue: { currency: 'USD', amount: 120000 },
            autoRenew: true,
            lineItems: [
                {
                    sfQuoteLineId: 'a0x000000000001',
                    product: 'Platform',
                    quantity: 10,
                    unitPrice: { currency: 'USD', amount: 1000 }
                },
                {
                    sfQuoteLineId: 'a0x000000000002',
                    product: 'Support',
                    quantity: 1,
                    unitPrice: { currency: 'USD', amount: 20000 }
                }
            ],
            ...overrides
        }
    };
}
