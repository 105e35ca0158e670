// Anonymous Apex over the org's two doors: the SOAP Apex API's executeAnonymous (what apex-node sends for
// `sf apex run`, with the debug log in the DebuggingInfo header cut to the DebuggingHeader's levels) and the
// Tooling REST executeAnonymous (jsforce's tooling.executeAnonymous); bad input answers as the org does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSalesforceEmulator } from '../src/index.ts';
import { API_VERSION, call, connectAs, dataPath, startFixtureOrg, tokenFor } from './helpers.ts';

const APEX_NS = 'http://soap.sforce.com/2006/08/apex';

let emu: RunningSalesforceEmulator;
let adminToken: string;

const escapeXml = (text: string) =>
    text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;');

/** The envelope apex-node's encodeBody writes, with the DebuggingHeader given (or none). */
function envelope(
    session: string,
    code: string,
    debugging: string | null = '<apex:debugLevel>DEBUGONLY</apex:debugLevel>'
) {
    return `<env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema"
xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"
xmlns:cmd="${APEX_NS}"
xmlns:apex="${APEX_NS}">
    <env:Header>
        <cmd:SessionHeader>
            <cmd:sessionId>${session}</cmd:sessionId>
        </cmd:SessionHeader>
        ${debugging === null ? '' : `<apex:DebuggingHeader>${debugging}</apex:DebuggingHeader>`}
    </env:Header>
    <env:Body>
        <executeAnonymous xmlns="${APEX_NS}">
            <apexcode>${escapeXml(code)}</apexcode>
        </executeAnonymous>
    </env:Body>
</env:Envelope>`;
}

async function soap(body: string, path = `/services/Soap/s/${API_VERSION}/${emu.orgId.slice(0, 15)}`) {
    const res = await fetch(`${emu.instanceUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml', soapaction: 'executeAnonymous' },
        body
    });
    const text = await res.text();
    const tag = (name: string) => {
        const m = new RegExp(`<${name}(?: xsi:nil="true")?(?:/>|>([\\s\\S]*?)</${name}>)`).exec(text);
        return m ? (m[1] ?? null) : undefined;
    };
    return { status: res.status, text, tag };
}

const unescape = (text: string | null | undefined) =>
    (text ?? '')
        .replace(/&apos;/g, "'")
        .replace(/&quot;/g, '"')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&');

const BLOCK = [
    'Integer total = 0;',
    'for (Integer i = 1; i <= 3; i++) total += i;',
    "System.debug('total is ' + total);",
    "System.debug(LoggingLevel.ERROR, 'an error line');"
].join('\n');

describe('anonymous Apex over the SOAP Apex API and the Tooling REST API', () => {
    beforeAll(async () => {
        emu = await startFixtureOrg();
        adminToken = await tokenFor(emu);
    });

    afterAll(async () => {
        await emu?.close();
    });

    it('runs a block and returns the result and, in the DebuggingInfo header, its debug log', async () => {
        const res = await soap(envelope(adminToken, BLOCK));
        expect(res.status).toBe(200);
        expect(res.text).toContain(
            `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="${APEX_NS}"`
        );
        expect([res.tag('compiled'), res.tag('success'), res.tag('line'), res.tag('column')]).toEqual([
            'true',
            'true',
            '-1',
            '-1'
        ]);
        expect(res.tag('compileProblem')).toBeNull();
        const log = unescape(res.tag('debugLog')).split('\n');
        expect(log[0]).toBe(`${API_VERSION} APEX_CODE,DEBUG;APEX_PROFILING,INFO`);
        expect(log).toContain('Execute Anonymous: Integer total = 0;');
        expect(log.filter((l) => l.includes('|USER_DEBUG|'))).toEqual([
            expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3} \(\d+\)\|USER_DEBUG\|\[3\]\|DEBUG\|total is 6$/),
            expect.stringMatching(/\|USER_DEBUG\|\[4\]\|ERROR\|an error line$/)
        ]);
    });

    it('honours the DebuggingHeader: per-category levels cut the log, and no header means no log', async () => {
        const errorsOnly = await soap(
            envelope(
                adminToken,
                BLOCK,
                '<apex:categories><apex:category>Apex_code</apex:category><apex:level>ERROR</apex:level></apex:categories>'
            )
        );
        const log = unescape(errorsOnly.tag('debugLog')).split('\n');
        expect(log[0]).toBe(`${API_VERSION} APEX_CODE,ERROR`);
        expect(log.filter((l) => l.includes('|USER_DEBUG|'))).toEqual([
            expect.stringMatching(/\|ERROR\|an error line$/)
        ]);

        const none = await soap(envelope(adminToken, BLOCK, '<apex:debugLevel>NONE</apex:debugLevel>'));
        expect(none.tag('debugLog') ?? '').toBe('');
        expect(none.tag('success')).toBe('true');

        const noHeader = await soap(envelope(adminToken, BLOCK, null));
        expect(noHeader.text).not.toContain('DebuggingInfo');
        expect(noHeader.tag('success')).toBe('true');
    });

    it('reports a compile problem with its line and column, and an uncaught exception with its message', async () => {
        const compile = await soap(envelope(adminToken, 'Integer a = 1;\nInteger b = ;'));
        expect(compile.tag('compiled')).toBe('false');
        expect(compile.tag('success')).toBe('false');
        expect(unescape(compile.tag('compileProblem'))).toMatch(/^Syntax error: /);
        expect(compile.tag('line')).toBe('2');
        expect(Number(compile.tag('column'))).toBeGreaterThan(0);

        const thrown = await soap(
            envelope(adminToken, "String s = null;\nSystem.debug('before');\nInteger n = s.length();")
        );
        expect([thrown.tag('compiled'), thrown.tag('success'), thrown.tag('line')]).toEqual(['true', 'false', '3']);
        expect(unescape(thrown.tag('exceptionMessage'))).toMatch(/^System\.NullPointerException/);
        expect(unescape(thrown.tag('debugLog'))).toContain('|USER_DEBUG|[2]|DEBUG|before');
    });

    it('runs a block through jsforce tooling.executeAnonymous (the Tooling REST resource)', async () => {
        const conn = await connectAs(emu);
        expect(await conn.tooling.executeAnonymous("insert new Account(Name = 'From Tooling');")).toEqual({
            line: -1,
            column: -1,
            compiled: true,
            success: true,
            compileProblem: null,
            exceptionMessage: null,
            exceptionStackTrace: null
        });
        const found = await conn.query<{ Name: string }>("SELECT Name FROM Account WHERE Name = 'From Tooling'");
        expect(found.totalSize).toBe(1);
        const failed = await conn.tooling.executeAnonymous('Integer x = ;');
        expect(failed).toMatchObject({ compiled: false, success: false, line: 1 });
    });

    it.each([
        ['no session', () => envelope('00Dnope!nope', BLOCK), undefined, 'sf:INVALID_SESSION_ID'],
        [
            'another org id in the path',
            () => envelope(adminToken, BLOCK),
            `/services/Soap/s/${API_VERSION}/00D000000000001`,
            'sf:INVALID_SESSION_ID'
        ],
        [
            'a version the org does not serve',
            () => envelope(adminToken, BLOCK),
            '/services/Soap/s/19.0',
            'sf:UNSUPPORTED_API_VERSION'
        ],
        [
            'an operation the Apex API does not have',
            () => envelope(adminToken, BLOCK).replace(/executeAnonymous/g, 'launchRockets'),
            undefined,
            'soapenv:Client'
        ],
        ['malformed XML', () => '<env:Envelope><env:Body>', undefined, 'soapenv:Client']
    ])('answers %s with a SOAP fault', async (_, body, path, code) => {
        const res = await soap(body(), path);
        expect(res.status).toBe(500);
        expect(res.tag('faultcode')).toBe(code);
        expect(res.text).not.toMatch(/\bat [\w.]+ \(/);
    });

    it('refuses a user without Author Apex on both doors, and answers REST errors with an errorCode', async () => {
        const repToken = await tokenFor(emu, emu.users.salesRep.username);
        const soapDenied = await soap(envelope(repToken, BLOCK));
        expect(soapDenied.tag('faultcode')).toBe('sf:INSUFFICIENT_ACCESS');
        const path = (code?: string) =>
            dataPath(
                `/tooling/executeAnonymous/${code === undefined ? '' : `?anonymousBody=${encodeURIComponent(code)}`}`
            );
        const restDenied = await call(emu, 'GET', path('Integer a = 1;'), { token: repToken });
        expect(restDenied.status).toBe(403);
        expect(restDenied.json).toEqual([expect.objectContaining({ errorCode: 'INSUFFICIENT_ACCESS' })]);
        const missing = await call(emu, 'GET', path(), { token: adminToken });
        expect(missing.status).toBe(400);
        expect(missing.json).toEqual([
            expect.objectContaining({ errorCode: 'MISSING_ARGUMENT', fields: ['anonymousBody'] })
        ]);
        const noSession = await call(emu, 'GET', path('Integer a = 1;'));
        expect(noSession.status).toBe(401);
        expect(noSession.json).toEqual([expect.objectContaining({ errorCode: 'INVALID_SESSION_ID' })]);
    });
});
