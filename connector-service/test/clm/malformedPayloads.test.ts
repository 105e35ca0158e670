// Malformed vendor payloads (missing field, unknown status, wrong type) become CLM.VALIDATION naming the
// field: never a crash, never a half-parsed contract. The vendor answers are scripted from a well-formed one.
import { describe, expect, it } from 'vitest';
import { CLM_ERROR } from '../../src/ports/clm.ts';
import { json, scriptedFetch, scriptedIronclad, scriptedSpotdraft } from './fakes.ts';
import { expectClmError } from './portKit.ts';

const WORKFLOW_ID = '64f0aa00bb11cc22dd33ee44';

function workflow(): Record<string, unknown> {
    return {
        id: WORKFLOW_ID,
        title: 'Sales Agreement with Acme',
        template: '64f0c0ffee00000000000a01',
        step: 'Review',
        status: 'active',
        schema: {},
        attributes: {
            counterpartyName: 'Acme',
            sfOpportunityId: '006AAA',
            contractValue: { currency: 'USD', amount: 1200 },
            agreementDate: '2026-01-01',
            lineItems: [{ sfQuoteLineId: 'QL1', product: 'Seat', quantity: 3 }]
        },
        isCancelled: false,
        isComplete: false,
        created: '2026-11-01T10:00:00.000Z',
        lastUpdated: '2026-11-02T10:00:00.000Z',
        roles: [],
        approvals: { state: 'not_started' },
        signatures: { state: 'not_started' },
        recordIds: [],
        isRevertibleToReview: false
    };
}

function ironcladWith(answer: Record<string, unknown>) {
    const { fetch } = scriptedFetch((call) => {
        if (call.url.pathname === '/oauth/token')
            return json({ access_token: 't', token_type: 'bearer', expires_in: 3600 });
        if (call.url.pathname.endsWith(`/workflows/${WORKFLOW_ID}`)) return json(answer);
        return json({ code: 'NOT_FOUND', message: 'no route' }, 404);
    });
    return scriptedIronclad(fetch);
}

describe('Ironclad: malformed workflow payloads', () => {
    it('reads a well-formed workflow', async () => {
        const contract = await ironcladWith(workflow()).getContract(WORKFLOW_ID);
        expect(contract.value).toEqual({ amount: '1200', currency: 'USD' });
        expect(contract.status).toMatchObject({ lifecycle: 'InReview', rawStatus: 'active', rawStage: 'Review' });
    });

    const cases: [string, (w: Record<string, unknown>) => void, string][] = [
        ['a missing id', (w) => delete w.id, 'id'],
        ['an unknown status', (w) => (w.status = 'archived'), 'status'],
        ['an unknown step', (w) => (w.step = 'Negotiate'), 'step'],
        ['a lastUpdated of the wrong type', (w) => (w.lastUpdated = 1732356000), 'lastUpdated'],
        ['an unknown signature state', (w) => (w.signatures = { state: 'maybe' }), 'signatures.state'],
        [
            'a money amount that is not a number',
            (w) => ((w.attributes as Record<string, unknown>).contractValue = { currency: 'USD', amount: 'lots' }),
            'attributes.contractValue.amount'
        ],
        [
            'a currency that is not ISO 4217',
            (w) => ((w.attributes as Record<string, unknown>).contractValue = { currency: 'dollars', amount: 1 }),
            'attributes.contractValue.currency'
        ],
        [
            'a date that is not a date',
            (w) => ((w.attributes as Record<string, unknown>).agreementDate = 'soon'),
            'attributes.agreementDate'
        ],
        [
            'a line item without a product',
            (w) => ((w.attributes as Record<string, unknown>).lineItems = [{ quantity: 1 }]),
            'attributes.lineItems.0.product'
        ]
    ];
    for (const [what, breakIt, field] of cases) {
        it(`${what} → CLM.VALIDATION naming ${field}`, async () => {
            const answer = workflow();
            breakIt(answer);
            const details = await expectClmError(ironcladWith(answer).getContract(WORKFLOW_ID), CLM_ERROR.VALIDATION);
            expect(details.field).toBe(field);
        });
    }
});

function spotdraftWith(answers: { status?: unknown; keyPointers?: unknown; list?: unknown }) {
    const { fetch } = scriptedFetch((call) => {
        const path = call.url.pathname;
        if (path.endsWith('/status')) return json(answers.status ?? { contract_status: 'DRAFT' });
        if (path.endsWith('/key_pointers')) return json(answers.keyPointers ?? []);
        if (path === '/api/v2.1/public/contracts') {
            return json(
                answers.list ?? {
                    page: 1,
                    limit: 100,
                    total_results: 1,
                    results: [
                        {
                            id: 'T-7',
                            created: '2026-11-01T10:00:00Z',
                            contract_name: 'MSA',
                            contract_link: 'x',
                            contract_status: 'DRAFT',
                            created_by: 'CLM',
                            counter_party_name: 'Acme',
                            contract_type_name: 'Master Services Agreement',
                            external_metadata: { id: '006AAA' }
                        }
                    ]
                }
            );
        }
        return json({ detail: 'Not found.' }, 404);
    });
    return scriptedSpotdraft(fetch);
}

const pointer = (field_name: string, value: unknown) => ({
    id: 1,
    value,
    label: field_name,
    field_name,
    data_type: 'STRING',
    format_option: {}
});

describe('SpotDraft: malformed payloads', () => {
    it('reads a well-formed contract', async () => {
        const contract = await spotdraftWith({
            keyPointers: [pointer('contract_value', { type: 'EUR', value: 99.5 }), pointer('end_date', '2027-01-31')]
        }).getContract('T-7');
        expect(contract).toMatchObject({
            id: 'T-7',
            value: { amount: '99.5', currency: 'EUR' },
            expirationDate: '2027-01-31',
            status: { lifecycle: 'Draft', rawStatus: 'DRAFT' }
        });
    });

    const cases: [string, Parameters<typeof spotdraftWith>[0], string][] = [
        ['an unknown contract_status', { status: { contract_status: 'ARCHIVED' } }, 'contract_status'],
        ['a missing contract_status', { status: {} }, 'contract_status'],
        [
            'a key pointer without field_name',
            { keyPointers: [{ id: 1, value: 'x', label: 'x', data_type: 'STRING' }] },
            'key_pointers.0.field_name'
        ],
        [
            'a money key pointer of the wrong type',
            { keyPointers: [pointer('contract_value', 'a lot')] },
            'key_pointers.0.value'
        ],
        ['a date key pointer that is not a date', { keyPointers: [pointer('start_date', 42)] }, 'key_pointers.0.value'],
        [
            'a list row with a malformed id',
            {
                list: {
                    page: 1,
                    limit: 100,
                    total_results: 1,
                    results: [{ id: 'seven', created: 'x', contract_name: 'MSA', contract_status: 'DRAFT' }]
                }
            },
            'results.0.id'
        ]
    ];
    for (const [what, answers, field] of cases) {
        it(`${what} → CLM.VALIDATION naming ${field}`, async () => {
            const details = await expectClmError(spotdraftWith(answers).getContract('T-7'), CLM_ERROR.VALIDATION);
            expect(details.field).toBe(field);
        });
    }
});
