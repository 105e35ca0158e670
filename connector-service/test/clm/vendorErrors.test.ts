// Vendor refusals the emulator reaches only through races: a write the vendor rejects for the contract's state
// after the adapter's own state check passed. Each must surface as CLM.NOT_WRITABLE_IN_STATE, not as a crash or a
// generic error.
import { describe, expect, it } from 'vitest';
import { CLM_ERROR } from '../../src/ports/clm.ts';
import { json, scriptedFetch, scriptedIronclad, scriptedSpotdraft } from './fakes.ts';
import { expectClmError } from './portKit.ts';

describe('state refusals from the vendor', () => {
    it('Ironclad: PATCH attributes answered 400 INVALID_STATE (moved to Sign meanwhile)', async () => {
        const workflow = {
            id: 'w1',
            title: 'Sales Agreement with Acme',
            template: 't1',
            step: 'Review',
            status: 'active',
            attributes: { counterpartyName: 'Acme' },
            created: '2026-11-01T10:00:00.000Z',
            lastUpdated: '2026-11-02T10:00:00.000Z',
            approvals: { state: 'not_started' },
            signatures: { state: 'not_started' }
        };
        const { fetch, calls } = scriptedFetch((call) => {
            if (call.url.pathname === '/oauth/token')
                return json({ access_token: 't', token_type: 'bearer', expires_in: 3600 });
            if (call.method === 'PATCH') {
                return json(
                    {
                        code: 'INVALID_STATE',
                        message: 'This workflow is not at the Review step, and is currently at the Sign step',
                        param: 'step'
                    },
                    400
                );
            }
            return json(workflow);
        });
        const adapter = scriptedIronclad(fetch);
        await expectClmError(
            adapter.updateContract('w1', { counterpartyName: 'Acme Ltd' }),
            CLM_ERROR.NOT_WRITABLE_IN_STATE
        );
        const patch = calls.find((call) => call.method === 'PATCH')!;
        expect(JSON.parse(patch.body!)).toEqual({
            updates: [{ action: 'set', path: 'counterpartyName', value: 'Acme Ltd' }],
            comment: expect.any(String)
        });
        expect(patch.headers['x-as-user-email']).toBe('integration@example.com');
    });

    for (const [status, body] of [
        [
            402,
            {
                detail: 'Updating contract data is not possible while the contract is in status SIGN.',
                code: 'SD_PUBLIC_00010'
            }
        ],
        [400, { detail: 'Contract cannot be updated because it has been executed.', code: 'SD_PUBLIC_00009' }]
    ] as const) {
        it(`SpotDraft: contract_data PATCH answered ${status} ${body.code}`, async () => {
            const { fetch } = scriptedFetch((call) => {
                const path = call.url.pathname;
                if (call.method === 'PATCH') return json(body, status);
                if (path.endsWith('/status')) return json({ contract_status: 'REDLINING' });
                if (path.endsWith('/key_pointers')) return json([]);
                return json({
                    page: 1,
                    limit: 100,
                    total_results: 1,
                    results: [
                        {
                            id: 'T-7',
                            created: '2026-11-01T10:00:00Z',
                            contract_name: 'MSA',
                            contract_status: 'REDLINING'
                        }
                    ]
                });
            });
            const adapter = scriptedSpotdraft(fetch);
            await expectClmError(
                adapter.updateContract('T-7', { expirationDate: '2027-01-31' }),
                CLM_ERROR.NOT_WRITABLE_IN_STATE
            );
        });
    }
});
