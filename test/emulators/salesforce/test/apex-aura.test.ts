// The @AuraEnabled door (POST /aura/apex) over HTTP: the package's real controllers run as the session's user,
// an Apex exception arrives in the FetchResponse shape an LWC receives in an org, and bad calls answer with
// REST errorCodes (never a 500 page or a stack trace).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../src/index.ts';
import { call, tokenFor } from './helpers.ts';

let emu: RunningSalesforceEmulator;
let repToken: string;

const action = (classname: string, method: string, params: Record<string, unknown> = {}) => ({
    namespace: '',
    classname,
    method,
    params
});

describe('the @AuraEnabled door of the emulated org', () => {
    beforeAll(async () => {
        emu = await startSalesforceEmulator({ port: 0 });
        repToken = await tokenFor(emu, emu.users.salesRep.username);
    }, 120_000);

    afterAll(async () => {
        await emu?.close();
    });

    it('runs a controller method as the session user and returns its value', async () => {
        const rules = await call(emu, 'POST', '/aura/apex', {
            token: repToken,
            body: action('ClmAdminController', 'getFieldRules')
        });
        expect(rules.status).toBe(200);
        const value = (rules.json as { returnValue: { field: string; clmField: string }[] }).returnValue;
        expect(value.length).toBeGreaterThan(0);
        expect(value).toEqual(
            expect.arrayContaining([expect.objectContaining({ field: 'Name', clmField: 'counterparty.name' })])
        );
    });

    it('hands an AuraHandledException to the caller as the LWC receives it: message only, no stack trace', async () => {
        const res = await call(emu, 'POST', '/aura/apex', {
            token: repToken,
            body: action('ClmStatusController', 'getStatus', {})
        });
        expect(res.status).toBe(500);
        expect(res.json).toEqual({
            status: 500,
            statusText: 'Server Error',
            ok: false,
            headers: {},
            errorType: 'fetchResponse',
            body: {
                isUserDefinedException: false,
                message: JSON.stringify({
                    code: 'CLM.RECORD_ID_REQUIRED',
                    field: 'recordId',
                    message: 'A record id is required.'
                })
            }
        });
    });

    it.each([
        ['no session', undefined, action('ClmAdminController', 'getFieldRules'), 401, 'INVALID_SESSION_ID'],
        ['an unknown class', 'rep', action('NoSuchController', 'go'), 404, 'NOT_FOUND'],
        ['a method that is not @AuraEnabled', 'rep', action('ClmStatusController', 'load'), 404, 'NOT_FOUND'],
        ['a class name that is not an identifier', 'rep', action("x'); drop", 'go'), 400, 'INVALID_INPUT'],
        ['an unknown key', 'rep', { ...action('ClmAdminController', 'getFieldRules'), extra: 1 }, 400, 'INVALID_INPUT'],
        ['malformed JSON', 'rep', '{"classname":', 400, 'JSON_PARSER_ERROR']
    ])('answers %s with %i and errorCode %s', async (_, who, body, status, errorCode) => {
        const res = await call(emu, 'POST', '/aura/apex', { token: who ? repToken : undefined, body });
        expect(res.status).toBe(status);
        expect(res.json).toEqual([expect.objectContaining({ errorCode })]);
    });
});
