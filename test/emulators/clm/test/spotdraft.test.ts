// The SpotDraft dialect over the shared store: client-id/secret + user-email, templates, create from template with
// external_metadata and lookup by it, 1-based paging, status through the lifecycle, key pointers, contract data with
// state rules (400 executed, 402 in signature), documents, 409, 10 requests/s, trailing-slash redirects.
// Every request and response is checked against spotdraft-openapi.yaml (plus the named webhook extras).
import { describe, expect, it } from 'vitest';
import { MSA_DATA, sampleSpotdraftContract, useHarness } from './support/setup.ts';

const h = useHarness();

async function create(overrides: Record<string, unknown> = {}) {
    const result = await h.spotdraft.call('POST', '/v2.1/public/contracts', {
        body: sampleSpotdraftContract(overrides)
    });
    expect(result.status).toBe(201);
    return result.json;
}

const status = async (id: string) =>
    (await h.spotdraft.call('GET', `/v2.1/public/contracts/${id}/status`)).json.contract_status;

describe('SpotDraft authentication', () => {
    it('requires client-id and client-secret and an active member as user-email', async () => {
        const none = await h.spotdraft.call('GET', '/v2.1/public/templates', {
            headers: { 'client-id': '', 'client-secret': '' },
            invalidRequest: true
        });
        expect(none.status).toBe(401);
        const wrong = await h.spotdraft.call('GET', '/v2.1/public/templates', {
            headers: { 'client-secret': 'wrong' }
        });
        expect(wrong.status).toBe(401);
        expect(wrong.json).toEqual({ detail: 'Invalid client credentials.', code: 'SD_AUTH_INVALID' });
        const stranger = await h.spotdraft.call('GET', '/v2.1/public/templates', {
            headers: { 'user-email': 'eve@evil.example' }
        });
        expect(stranger.status).toBe(403);
        expect(stranger.json.field).toBe('user-email');
    });
});

describe('SpotDraft contracts', () => {
    it('lists the published template and creates a contract from it', async () => {
        const templates = await h.spotdraft.call('GET', '/v2.1/public/templates');
        expect(templates.json.items).toEqual([{ id: 4201, name: 'Master Services Agreement' }]);
        const contract = await create();
        expect(contract).toMatchObject({
            id: 1,
            contract_status: 'DRAFT',
            contract_name: 'Master Services Agreement - Acme Corp',
            counter_party_name: 'Acme Corp',
            contract_type_name: 'Master Services Agreement',
            created_by: 'CLM Integration',
            external_metadata: { id: '006000000000001AAA' }
        });
        expect(await status('T-1')).toBe('DRAFT');
    });

    it('rejects malformed creates with a code naming the field', async () => {
        const badTemplate = await h.spotdraft.call('POST', '/v2.1/public/contracts', {
            body: sampleSpotdraftContract({ contract_template_id: 999 })
        });
        expect(badTemplate.status).toBe(400);
        expect(badTemplate.json).toMatchObject({ code: 'SD_TEMPLATE_NOT_FOUND', field: 'contract_template_id' });
        const badDate = await h.spotdraft.call('POST', '/v2.1/public/contracts', {
            body: sampleSpotdraftContract({ contract_data: { ...MSA_DATA, start_date: '01/02/2026' } })
        });
        expect(badDate.json).toMatchObject({ code: 'SD_VALIDATION_ERROR', field: 'contract_data.start_date' });
        const badMoney = await h.spotdraft.call('POST', '/v2.1/public/contracts', {
            body: sampleSpotdraftContract({
                contract_data: { ...MSA_DATA, contract_value: { type: 'USD', value: 'lots' } }
            })
        });
        expect(badMoney.json.field).toBe('contract_data.contract_value.value');
        const noParty = await h.spotdraft.call('POST', '/v2.1/public/contracts', {
            body: sampleSpotdraftContract({
                counter_party_details: [
                    { is_individual: false, poc_details: { first_name: 'A', email: 'a@b.example' } }
                ]
            })
        });
        expect(noParty.json.field).toBe('counter_party_details.0.organization_name');
        const wrongType = await h.spotdraft.call('POST', '/v2.1/public/contracts', {
            body: sampleSpotdraftContract({ contract_template_id: '4201' }),
            invalidRequest: true
        });
        expect(wrongType.json.field).toBe('contract_template_id');
        const garbage = await h.spotdraft.call('POST', '/v2.1/public/contracts', { body: '[1,', invalidRequest: true });
        expect(garbage.status).toBe(400);
        expect(garbage.json.detail).toMatch(/^invalid request/);
        expect((await h.admin.ok('GET', '/contracts?vendor=spotdraft')).contracts).toHaveLength(0);
    });

    it('pages 1-based, filters by counterparty and finds contracts by external metadata id', async () => {
        for (let index = 0; index < 3; index += 1) await create({ external_metadata: { id: `006-${index}` } });
        await create({ external_metadata: { id: '006-1' }, contract_name: 'Second for 006-1' });
        const page2 = await h.spotdraft.call('GET', '/v2.1/public/contracts', { query: { page: 2, limit: 3 } });
        expect(page2.json).toMatchObject({ total_results: 4, page: 2, limit: 3 });
        expect(page2.json.results.map((c: { id: string }) => c.id)).toEqual(['T-4']);
        const byName = await h.spotdraft.call('GET', '/v2.1/public/contracts', {
            query: { filter__client_name: 'Nobody' }
        });
        expect(byName.json.total_results).toBe(0);
        const found = await h.spotdraft.call('GET', '/v2.1/public/contracts/by_external_metadata/006-1');
        expect(found.json.map((c: { id: number }) => c.id)).toEqual([2, 4]);
        const none = await h.spotdraft.call('GET', '/v2.1/public/contracts/by_external_metadata/unknown');
        expect(none.json).toEqual([]);
        const badPage = await h.spotdraft.call('GET', '/v2.1/public/contracts', {
            query: { page: 0 },
            invalidRequest: true
        });
        expect(badPage.json.field).toBe('page');
    });

    it('moves DRAFT → REDLINING → SIGN → EXECUTED and VOIDED, with state-dependent write rejection', async () => {
        await create();
        await create();
        const sent = await h.spotdraft.call('POST', '/v2.1/public/contracts/T-1/send_to_counterparties', {
            body: { attachment_formats: ['PDF'], to_emails: ['ada@acme.example'] }
        });
        expect(sent.status).toBe(200);
        expect(await status('T-1')).toBe('REDLINING');

        const edited = await h.spotdraft.call('PATCH', '/v2.1/public/contracts/T-1/contract_data', {
            body: { data: { payment_terms: 'Net 45' } }
        });
        expect(edited.json.data).toMatchObject({ payment_terms: 'Net 45', auto_renew: true });

        await h.admin.action('spotdraft', 'T-1', 'request-approvals');
        await h.admin.action('spotdraft', 'T-1', 'approve');
        await h.admin.action('spotdraft', 'T-1', 'send-for-signature');
        expect(await status('T-1')).toBe('SIGN');
        const inSign = await h.spotdraft.call('PATCH', '/v2.1/public/contracts/T-1/contract_data', {
            body: { data: { payment_terms: 'Net 90' } }
        });
        expect(inSign.status).toBe(402);
        expect(inSign.json).toMatchObject({ code: 'SD_PUBLIC_00010', field: 'contract_status' });
        const resend = await h.spotdraft.call('POST', '/v2.1/public/contracts/T-1/send_to_counterparties', {
            body: { attachment_formats: ['PDF'] }
        });
        expect(resend.status).toBe(402);

        await h.admin.action('spotdraft', 'T-1', 'sign');
        expect(await status('T-1')).toBe('SIGN');
        await h.admin.action('spotdraft', 'T-1', 'sign');
        expect(await status('T-1')).toBe('EXECUTED');
        const executed = await h.spotdraft.call('PATCH', '/v2.1/public/contracts/T-1/contract_data', {
            body: { data: { payment_terms: 'Net 90' } }
        });
        expect(executed.status).toBe(400);
        expect(executed.json).toEqual({
            detail: 'Contract cannot be updated because it has been executed.',
            code: 'SD_PUBLIC_00009'
        });

        await h.admin.action('spotdraft', 'T-2', 'pause');
        expect(await status('T-2')).toBe('ON_HOLD');
        await h.admin.action('spotdraft', 'T-2', 'cancel');
        expect(await status('T-2')).toBe('VOIDED');
        const missing = await h.spotdraft.call('GET', '/v2.1/public/contracts/T-99/status');
        expect(missing.status).toBe(404);
        expect(missing.json).toMatchObject({ detail: 'Not found.' });
    });

    it('serves key pointers and updates them singly and in bulk, all-or-nothing', async () => {
        await create();
        const pointers = (await h.spotdraft.call('GET', '/v2.1/public/contracts/T-1/key_pointers')).json;
        const value = pointers.find((p: { field_name: string }) => p.field_name === 'contract_value');
        expect(value).toMatchObject({ data_type: 'CURRENCY', value: { type: 'USD', value: 120000 } });
        const endDate = pointers.find((p: { field_name: string }) => p.field_name === 'end_date');

        const single = await h.spotdraft.call('PATCH', `/v2.1/public/contracts/T-1/key_pointers/${value.id}`, {
            body: { value: { type: 'EUR', value: 99000 } }
        });
        expect(single.json.value).toEqual({ type: 'EUR', value: 99000 });
        const partlyBad = await h.spotdraft.call('POST', '/v2.1/public/contracts/T-1/key_pointers/bulk', {
            body: {
                key_pointers: [
                    { key_pointer_id: endDate.id, value: '2027-06-30' },
                    { key_pointer_id: value.id, value: 'not money' }
                ]
            }
        });
        expect(partlyBad.status).toBe(400);
        expect(partlyBad.json.field).toBe('key_pointers.1.value');
        const after = (await h.spotdraft.call('GET', '/v2.1/public/contracts/T-1/key_pointers')).json;
        expect(after.find((p: { id: number }) => p.id === endDate.id).value).toBe('2026-12-31');
        const bulk = await h.spotdraft.call('POST', '/v2.1/public/contracts/T-1/key_pointers/bulk', {
            body: { key_pointers: [{ key_pointer_id: endDate.id, value: '2027-06-30' }] }
        });
        expect(bulk.json[0]).toMatchObject({ field_name: 'end_date', value: '2027-06-30' });
    });

    it('downloads the current PDF directly and through an expiring link', async () => {
        await create();
        const draft = await h.spotdraft.call('POST', '/v2.1/public/contracts/T-1/download');
        expect(draft.headers.get('content-type')).toBe('application/pdf');
        expect(draft.bytes.toString('latin1')).toContain('DRAFT - not for signature');
        await h.admin.action('spotdraft', 'T-1', 'send-for-signature');
        await h.admin.action('spotdraft', 'T-1', 'sign');
        await h.admin.action('spotdraft', 'T-1', 'sign');
        const link = await h.spotdraft.call('POST', '/v2.1/public/contracts/T-1/download_link');
        expect(link.json.file_name).toMatch(/Signed\.pdf$/);
        const file = await fetch(link.json.url);
        expect(file.headers.get('content-type')).toBe('application/pdf');
        expect(Buffer.from(await file.arrayBuffer()).toString('latin1')).toContain('Signed by:');
        await h.admin.advance(16 * 60_000);
        expect((await fetch(link.json.url)).status).toBe(404);
        const wrongMethod = await h.spotdraft.call('GET', '/v2.1/public/contracts/T-1/download_link', {
            unknownRoute: true
        });
        expect(wrongMethod.status).toBe(404);
    });

    it('answers 409 for a duplicate external id when the workspace enforces uniqueness', async () => {
        await h.admin.ok('PUT', '/settings', { spotdraftUniqueExternalMetadataId: true });
        await create();
        const duplicate = await h.spotdraft.call('POST', '/v2.1/public/contracts', { body: sampleSpotdraftContract() });
        expect(duplicate.status).toBe(409);
        expect(duplicate.json).toMatchObject({ code: 'SD_CONFLICT', field: 'external_metadata.id' });
        await h.admin.ok('PUT', '/settings', { spotdraftUniqueExternalMetadataId: false });
    });

    it('redirects a path whose trailing slash disagrees with the documented form (302)', async () => {
        await create();
        const redirected = await h.spotdraft.call('GET', '/v2.1/public/contracts/T-1/status/', { unknownRoute: true });
        expect(redirected.status).toBe(302);
        expect(redirected.headers.get('location')).toBe('/spotdraft/api/v2.1/public/contracts/T-1/status');
        const hmac = await h.spotdraft.call('GET', '/v2.1/public/webhooks/hmac_key', { unknownRoute: true });
        expect(hmac.status).toBe(302);
    });
});

describe('SpotDraft rate limit', () => {
    it('allows 10 requests per second per workspace and answers the 11th with 429', async () => {
        await h.admin.ok('POST', '/reset');
        expect((await h.admin.ok('GET', '/rate-limits')).spotdraft.workspace).toEqual({ limit: 10, windowMs: 1000 });
        const statuses: number[] = [];
        for (let index = 0; index < 11; index += 1)
            statuses.push((await h.spotdraft.call('GET', '/v2.1/public/templates')).status);
        expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
        const limited = await h.spotdraft.call('GET', '/v2.1/public/contracts');
        expect(limited.status).toBe(429);
        expect(limited.json.code).toBe('SD_RATE_LIMITED');
        expect(limited.headers.get('retry-after')).toBeNull();
        await h.admin.advance(1000);
        expect((await h.spotdraft.call('GET', '/v2.1/public/templates')).status).toBe(200);
        const counters = await h.admin.ok('GET', '/counters');
        expect(counters.spotdraft['GET /v2.1/public/templates']).toMatchObject({
            requests: 12,
            rateLimited: 1,
            statuses: { '200': 11, '429': 1 }
        });
        expect(counters.spotdraft['GET /v2.1/public/contracts']).toMatchObject({ requests: 1, rateLimited: 1 });
    });
});
