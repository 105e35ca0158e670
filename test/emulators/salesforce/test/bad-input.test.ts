// Bad input gets the documented Salesforce error — status, errorCode, the offending field — never a stack
// trace or a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSalesforceEmulator } from '../src/index.ts';
import { call, dataPath, jwtFor, signJwt, startFixtureOrg, tokenFor } from './helpers.ts';

let emu: RunningSalesforceEmulator;
let token: string;

beforeAll(async () => {
    emu = await startFixtureOrg();
    token = await tokenFor(emu, emu.username);
});
afterAll(async () => {
    await emu?.close();
});

async function expectError(
    res: Awaited<ReturnType<typeof call>>,
    status: number,
    errorCode: string,
    fields?: string[]
) {
    expect(res.status, res.text).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json;charset=UTF-8/);
    expect(res.text).not.toMatch(/\n\s+at /);
    const body = res.json as { errorCode: string; message: string; fields?: string[] }[];
    expect(Array.isArray(body)).toBe(true);
    expect(body[0]!.errorCode).toBe(errorCode);
    expect(body[0]!.message.length).toBeGreaterThan(0);
    if (fields) expect(body[0]!.fields).toEqual(fields);
}

describe('request-level errors', () => {
    it('malformed JSON is 400 JSON_PARSER_ERROR', async () => {
        await expectError(
            await call(emu, 'POST', dataPath('/sobjects/Account'), {
                token,
                body: '{"Name": "x",',
                contentType: 'application/json'
            }),
            400,
            'JSON_PARSER_ERROR'
        );
    });
    it('a non-JSON content type is 415', async () => {
        await expectError(
            await call(emu, 'POST', dataPath('/sobjects/Account'), {
                token,
                body: '<Name>x</Name>',
                contentType: 'application/xml'
            }),
            415,
            'UNSUPPORTED_MEDIA_TYPE'
        );
    });
    it('an unknown API version is 404 NOT_FOUND', async () => {
        await expectError(await call(emu, 'GET', '/services/data/v99.0/limits', { token }), 404, 'NOT_FOUND');
        await expectError(await call(emu, 'GET', '/services/data/v10.0/sobjects', { token }), 404, 'NOT_FOUND');
        await expectError(await call(emu, 'GET', '/services/data/latest/sobjects', { token }), 404, 'NOT_FOUND');
    });
    it('collapses a leading // in the path (the sf CLI stores instanceUrl with a trailing slash)', async () => {
        const res = await call(emu, 'GET', `/${dataPath('/limits')}`, { token });
        expect(res.status).toBe(200);
        expect(res.json).toHaveProperty('DailyApiRequests');
    });
    it('no token or an unknown token is 401 INVALID_SESSION_ID', async () => {
        await expectError(await call(emu, 'GET', dataPath('/limits')), 401, 'INVALID_SESSION_ID');
        await expectError(
            await call(emu, 'GET', dataPath('/limits'), { token: '00Dxx0000001gPL!expired' }),
            401,
            'INVALID_SESSION_ID'
        );
    });
    it('more than 200 records in a collection is 400 EXCEEDED_ID_LIMIT', async () => {
        const records = Array.from({ length: 201 }, (_, i) => ({ attributes: { type: 'Account' }, Name: `A${i}` }));
        await expectError(
            await call(emu, 'POST', dataPath('/composite/sobjects'), { token, body: { allOrNone: false, records } }),
            400,
            'EXCEEDED_ID_LIMIT'
        );
        const count = await call(
            emu,
            'GET',
            dataPath(`/query?q=${encodeURIComponent('SELECT COUNT() FROM Account')}`),
            { token }
        );
        expect((count.json as { totalSize: number }).totalSize).toBe(0);
    });
    it('more than 25 composite subrequests is 400', async () => {
        const compositeRequest = Array.from({ length: 26 }, (_, i) => ({
            method: 'GET',
            url: dataPath('/limits'),
            referenceId: `r${i}`
        }));
        await expectError(
            await call(emu, 'POST', dataPath('/composite'), { token, body: { compositeRequest } }),
            400,
            'LIMIT_EXCEEDED'
        );
    });
    it('a SOQL syntax error is 400 MALFORMED_QUERY; unknown objects and fields are named', async () => {
        await expectError(
            await call(emu, 'GET', dataPath(`/query?q=${encodeURIComponent('SELECT Id FRM Account')}`), { token }),
            400,
            'MALFORMED_QUERY'
        );
        await expectError(
            await call(emu, 'GET', dataPath(`/query?q=${encodeURIComponent('SELECT Id FROM Acount')}`), { token }),
            400,
            'INVALID_TYPE'
        );
        const res = await call(emu, 'GET', dataPath(`/query?q=${encodeURIComponent('SELECT Nme FROM Account')}`), {
            token
        });
        await expectError(res, 400, 'INVALID_FIELD');
        expect((res.json as { message: string }[])[0]!.message).toContain("No such column 'Nme' on entity 'Account'");
    });
});

describe('record validation from describe', () => {
    const create = (object: string, body: unknown) =>
        call(emu, 'POST', dataPath(`/sobjects/${object}`), { token, body });

    it('unknown object 404, unknown field and Id in a create body 400 INVALID_FIELD', async () => {
        await expectError(await create('Acount', { Name: 'x' }), 404, 'NOT_FOUND');
        await expectError(await create('Account', { Name: 'x', Colour__c: 'red' }), 400, 'INVALID_FIELD', [
            'Colour__c'
        ]);
        await expectError(await create('Account', { Id: '001000000000000AAA', Name: 'x' }), 400, 'INVALID_FIELD');
    });
    it('required fields, restricted picklists, lengths, types and non-writable fields', async () => {
        await expectError(await create('Opportunity', { Name: 'x' }), 400, 'REQUIRED_FIELD_MISSING', [
            'StageName',
            'CloseDate'
        ]);
        await expectError(
            await create('Account', { Name: 'x', Tier__c: 'Platinum' }),
            400,
            'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
            ['Tier__c']
        );
        await expectError(await create('Account', { Name: 'x'.repeat(256) }), 400, 'STRING_TOO_LONG', ['Name']);
        await expectError(await create('Account', { Name: 'x', NumberOfEmployees: 'many' }), 400, 'JSON_PARSER_ERROR', [
            'NumberOfEmployees'
        ]);
        await expectError(
            await create('Opportunity', { Name: 'x', StageName: 'Prospecting', CloseDate: '2026-02-30' }),
            400,
            'JSON_PARSER_ERROR',
            ['CloseDate']
        );
        await expectError(
            await create('Contact', { LastName: 'x', AccountId: '003000000000000AAA' }),
            400,
            'MALFORMED_ID',
            ['AccountId']
        );
        await expectError(
            await create('Contract', { AccountId: null, ContractNumber: '1' }),
            400,
            'INVALID_FIELD_FOR_INSERT_UPDATE',
            ['ContractNumber']
        );
    });
    it('unique external ids collide with DUPLICATE_VALUE', async () => {
        expect((await create('Account', { Name: 'one', Clm_Account_Key__c: 'DUP' })).status).toBe(201);
        await expectError(await create('Account', { Name: 'two', Clm_Account_Key__c: 'dup' }), 400, 'DUPLICATE_VALUE');
    });
    it('a malformed id is 400 MALFORMED_ID and a deleted record 404 ENTITY_IS_DELETED', async () => {
        await expectError(await call(emu, 'GET', dataPath('/sobjects/Account/001xx'), { token }), 400, 'MALFORMED_ID', [
            'Id'
        ]);
        const id = ((await create('Account', { Name: 'gone' })).json as { id: string }).id;
        expect((await call(emu, 'DELETE', dataPath(`/sobjects/Account/${id}`), { token })).status).toBe(204);
        await expectError(
            await call(emu, 'PATCH', dataPath(`/sobjects/Account/${id}`), { token, body: { Name: 'back' } }),
            404,
            'ENTITY_IS_DELETED'
        );
    });
    it('derives contract status category and end date, activation stamps', async () => {
        const acct = ((await create('Account', { Name: 'Contracted' })).json as { id: string }).id;
        const contract = (
            (await create('Contract', { AccountId: acct, StartDate: '2026-01-15', ContractTerm: 12 })).json as {
                id: string;
            }
        ).id;
        let rec = (await call(emu, 'GET', dataPath(`/sobjects/Contract/${contract}`), { token })).json as Record<
            string,
            unknown
        >;
        expect(rec).toMatchObject({ Status: 'Draft', StatusCode: 'Draft', EndDate: '2027-01-14', ActivatedDate: null });
        expect(String(rec.ContractNumber)).toMatch(/^\d{8}$/);
        expect(
            (
                await call(emu, 'PATCH', dataPath(`/sobjects/Contract/${contract}`), {
                    token,
                    body: { Status: 'Activated' }
                })
            ).status
        ).toBe(204);
        rec = (await call(emu, 'GET', dataPath(`/sobjects/Contract/${contract}`), { token })).json as Record<
            string,
            unknown
        >;
        expect(rec).toMatchObject({ StatusCode: 'Activated', ActivatedById: emu.userId });
    });
});

describe('conditional requests', () => {
    it('If-Modified-Since 304, If-Unmodified-Since 412, ETag on Account', async () => {
        const id = (
            (await call(emu, 'POST', dataPath('/sobjects/Account'), { token, body: { Name: 'cond' } })).json as {
                id: string;
            }
        ).id;
        const get = await call(emu, 'GET', dataPath(`/sobjects/Account/${id}`), { token });
        const etag = get.headers.get('etag')!;
        expect(etag).toMatch(/^".+--gzip"$/);
        const future = new Date(emu.org.clock.peekMs() + 60_000).toUTCString();
        const past = new Date(emu.org.clock.peekMs() - 60_000).toUTCString();
        expect(
            (
                await call(emu, 'GET', dataPath(`/sobjects/Account/${id}`), {
                    token,
                    headers: { 'If-Modified-Since': future }
                })
            ).status
        ).toBe(304);
        expect(
            (
                await call(emu, 'GET', dataPath(`/sobjects/Account/${id}`), {
                    token,
                    headers: { 'If-Modified-Since': past }
                })
            ).status
        ).toBe(200);
        expect(
            (await call(emu, 'GET', dataPath(`/sobjects/Account/${id}`), { token, headers: { 'If-None-Match': etag } }))
                .status
        ).toBe(304);
        await expectError(
            await call(emu, 'PATCH', dataPath(`/sobjects/Account/${id}`), {
                token,
                body: { Name: 'late' },
                headers: { 'If-Unmodified-Since': past }
            }),
            412,
            'PRECONDITION_FAILED'
        );
        await expectError(
            await call(emu, 'PATCH', dataPath(`/sobjects/Account/${id}`), {
                token,
                body: { Name: 'late' },
                headers: { 'If-Match': '"stale"' }
            }),
            412,
            'PRECONDITION_FAILED'
        );
        expect(
            (
                await call(emu, 'PATCH', dataPath(`/sobjects/Account/${id}`), {
                    token,
                    body: { Name: 'ok' },
                    headers: { 'If-Match': etag }
                })
            ).status
        ).toBe(204);
        await expectError(
            await call(emu, 'GET', dataPath(`/sobjects/Account/${id}`), {
                token,
                headers: { 'If-Modified-Since': 'yesterday' }
            }),
            400,
            'INVALID_HEADER_VALUE'
        );
        expect(
            (
                await call(emu, 'GET', dataPath('/sobjects/Account/describe'), {
                    token,
                    headers: { 'If-Modified-Since': future }
                })
            ).status
        ).toBe(304);
    });
});

describe('OAuth errors', () => {
    const token = (assertion: string) =>
        call(emu, 'POST', '/services/oauth2/token', {
            body: `grant_type=${encodeURIComponent('urn:ietf:params:oauth:grant-type:jwt-bearer')}&assertion=${assertion}`,
            contentType: 'application/x-www-form-urlencoded'
        });
    const nowS = () => Math.floor(emu.org.clock.peekMs() / 1000);

    it('answers {error, error_description} with 400 for each bad assertion', async () => {
        const cases: [string, string, string][] = [
            [
                signJwt(emu, {
                    iss: emu.jwtConsumerKey,
                    sub: emu.username,
                    aud: 'https://evil.example',
                    exp: nowS() + 60
                }),
                'invalid_grant',
                'audience is invalid'
            ],
            [
                signJwt(emu, { iss: 'someone-else', sub: emu.username, aud: emu.loginUrl, exp: nowS() + 60 }),
                'invalid_client_id',
                'client identifier invalid'
            ],
            [
                signJwt(emu, { iss: emu.jwtConsumerKey, sub: emu.username, aud: emu.loginUrl, exp: nowS() - 600 }),
                'invalid_grant',
                'expired authorization code'
            ],
            [
                signJwt(emu, {
                    iss: emu.jwtConsumerKey,
                    sub: 'nobody@example.com',
                    aud: emu.loginUrl,
                    exp: nowS() + 60
                }),
                'invalid_grant',
                "user hasn't approved this consumer"
            ],
            [jwtFor(emu, emu.username).slice(0, -4) + 'AAAA', 'invalid_grant', 'invalid assertion'],
            ['not-a-jwt', 'invalid_grant', 'invalid assertion']
        ];
        for (const [assertion, error, description] of cases) {
            const res = await token(assertion);
            expect(res.status, description).toBe(400);
            expect(res.headers.get('cache-control')).toBe('no-store');
            expect(res.json).toEqual({ error, error_description: description });
        }
    });
    it('rejects a wrong client secret and an unknown grant type', async () => {
        const bad = await call(emu, 'POST', '/services/oauth2/token', {
            body: `grant_type=client_credentials&client_id=${encodeURIComponent(emu.clientId)}&client_secret=nope`,
            contentType: 'application/x-www-form-urlencoded'
        });
        expect(bad.json).toEqual({ error: 'invalid_client', error_description: 'invalid client credentials' });
        const grant = await call(emu, 'POST', '/services/oauth2/token', {
            body: 'grant_type=password',
            contentType: 'application/x-www-form-urlencoded'
        });
        expect(grant.json).toEqual({ error: 'unsupported_grant_type', error_description: 'grant type not supported' });
    });
    it('a session idle past the timeout answers 401 INVALID_SESSION_ID', async () => {
        const short = await startFixtureOrg({ sessionTimeoutMs: 60_000 });
        try {
            const t = await tokenFor(short, short.username);
            expect((await call(short, 'GET', dataPath('/limits'), { token: t })).status).toBe(200);
            short.org.clock.advance(61_000);
            await expectError(await call(short, 'GET', dataPath('/limits'), { token: t }), 401, 'INVALID_SESSION_ID');
        } finally {
            await short.close();
        }
    });
});
