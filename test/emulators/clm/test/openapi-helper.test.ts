// The shared spec helper (test/support/openapi.ts) flags what it must: paths and methods outside the spec, unknown
// or malformed parameters, missing credentials headers, bodies that break the schema, undeclared statuses; and lets
// through the named extras only.
import { describe, expect, it } from 'vitest';
import { loadSpec, SPEC_CORRECTIONS, validateRequest, validateResponse } from '../../../support/openapi.ts';
import { specsAvailable } from './support/checked.ts';

const sd = { 'client-id': 'id', 'client-secret': 'secret' };
const ic = { authorization: 'Bearer token' };

describe.skipIf(!specsAvailable)('test/support/openapi.ts', () => {
    it('loads both specs with the corrections applied and nothing else tolerated for Ironclad', async () => {
        const ironclad = await loadSpec('ironclad');
        expect(ironclad.specWarnings).toEqual([]);
        expect(ironclad.basePath).toBe('/public/api/v1');
        const spotdraft = await loadSpec('spotdraft');
        expect(spotdraft.basePath).toBe('/api');
        expect(spotdraft.specWarnings.join(' ')).not.toContain('correction target missing');
        expect(SPEC_CORRECTIONS.ironclad.length + SPEC_CORRECTIONS.spotdraft.length).toBe(4);
    });

    it('flags paths, methods and query parameters the spec does not define', async () => {
        expect(await validateRequest('ironclad', { method: 'GET', path: '/contracts', headers: ic })).toEqual([
            'GET /contracts: path is not in the ironclad spec'
        ]);
        expect(
            await validateRequest('spotdraft', {
                method: 'GET',
                path: '/spotdraft/api/v2.1/public/contracts/T-1/download',
                headers: sd
            })
        ).toEqual([
            'GET /v2.1/public/contracts/T-1/download: method not defined for /v2.1/public/contracts/{composite_id}/download in the spotdraft spec'
        ]);
        expect(
            await validateRequest('ironclad', { method: 'GET', path: '/workflows?page=-1&page_size=5', headers: ic })
        ).toEqual(["GET /workflows: query parameter 'page_size' is not defined by the spec"]);
        expect(
            await validateRequest('ironclad', {
                method: 'GET',
                path: '/workflows',
                query: { pageSize: 101 },
                headers: ic
            })
        ).toEqual(["GET /workflows: query parameter 'pageSize': must be <= 100"]);
        expect(await validateRequest('ironclad', { method: 'GET', path: '/workflow-schemas', headers: ic })).toEqual([
            "GET /workflow-schemas: query parameter 'form' is required"
        ]);
    });

    it('prefers literal path segments and accepts the named extras only', async () => {
        expect(
            await validateRequest('ironclad', {
                method: 'GET',
                path: 'http://h:1/ironclad/public/api/v1/webhooks/verification-key',
                headers: ic
            })
        ).toEqual([]);
        expect(
            await validateRequest('spotdraft', { method: 'GET', path: '/v2.1/public/webhooks/hmac_key/', headers: sd })
        ).toEqual([]);
        expect(
            await validateRequest('spotdraft', { method: 'DELETE', path: '/v2.1/public/webhooks/12/', headers: sd })
        ).toEqual([]);
        expect(
            await validateRequest('spotdraft', { method: 'GET', path: '/v2.1/public/webhooks/', headers: sd })
        ).toEqual(['GET /v2.1/public/webhooks/: method not defined for /v2.1/public/webhooks/ in the spotdraft spec']);
        expect(
            await validateRequest('ironclad', {
                method: 'POST',
                path: '/ironclad/oauth/token',
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
                body: { grant_type: 'client_credentials', client_id: 'a', client_secret: 'b' }
            })
        ).toEqual([]);
    });

    it('checks credentials headers and request bodies', async () => {
        expect(
            await validateRequest('spotdraft', { method: 'GET', path: '/v2.1/public/templates', headers: {} })
        ).toEqual([
            "GET /v2.1/public/templates: header 'client-id' is required",
            "GET /v2.1/public/templates: header 'client-secret' is required"
        ]);
        const problems = await validateRequest('spotdraft', {
            method: 'POST',
            path: '/v2.1/public/contracts',
            headers: { ...sd, 'content-type': 'application/json' },
            body: { contract_template_id: 'x', contract_data: {}, counter_party_details: [] }
        });
        expect(problems).toEqual(['POST /v2.1/public/contracts: body/contract_template_id: must be integer']);
        expect(
            await validateRequest('spotdraft', {
                method: 'POST',
                path: '/v2.1/public/contracts/T-1/send_to_counterparties',
                headers: sd
            })
        ).toEqual(['POST /v2.1/public/contracts/{composite_id}/send_to_counterparties: request body is required']);
    });

    it('checks response statuses, bodies and binary content', async () => {
        expect(
            await validateResponse('spotdraft', {
                method: 'GET',
                path: '/v2.1/public/contracts/T-1/status',
                status: 418,
                body: {}
            })
        ).toEqual(['GET /v2.1/public/contracts/{contract_id}/status → 418: status not declared by the spec']);
        expect(
            await validateResponse('spotdraft', {
                method: 'GET',
                path: '/v2.1/public/contracts/T-1/status',
                status: 402,
                body: { message: 'x' }
            })
        ).toEqual([
            "GET /v2.1/public/contracts/{contract_id}/status → 402: error body: must have required property 'detail'"
        ]);
        expect(
            await validateResponse('spotdraft', {
                method: 'GET',
                path: '/v2.1/public/contracts',
                status: 200,
                body: { page: 1 }
            })
        ).toHaveLength(3);
        expect(
            await validateResponse('ironclad', {
                method: 'GET',
                path: '/workflows',
                status: 200,
                body: Buffer.from('%PDF'),
                contentType: 'application/pdf'
            })
        ).toEqual(['GET /workflows → 200: binary body where the spec declares JSON']);
        expect(
            await validateResponse('spotdraft', {
                method: 'POST',
                path: '/v2.1/public/contracts/T-1/download',
                status: 200,
                body: Buffer.from('%PDF'),
                contentType: 'application/pdf'
            })
        ).toEqual([]);
    });
});
