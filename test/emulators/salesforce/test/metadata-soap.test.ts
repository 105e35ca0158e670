// The SOAP Metadata API (/services/Soap/m/{version}) through jsforce's own SOAP client (metadata.deploy,
// checkDeployStatus, cancelDeploy), and what the org answers raw SOAP that is wrong: faults with the
// Salesforce faultcode, never a 500 page or a stack trace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSalesforceEmulator } from '../src/index.ts';
import { API_VERSION, connectAs, startFixtureOrg, tokenFor, accountFieldZip } from './helpers.ts';

const NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"';

let emu: RunningSalesforceEmulator;
let adminToken: string;

/** Raw SOAP to the Metadata API endpoint: status and body text. */
async function soap(body: string, contentType = 'text/xml'): Promise<{ status: number; text: string }> {
    const res = await fetch(`${emu.instanceUrl}/services/Soap/m/${API_VERSION}`, {
        method: 'POST',
        headers: { 'content-type': contentType, SOAPAction: '""' },
        body
    });
    return { status: res.status, text: await res.text() };
}

const envelope = (session: string, operation: string) =>
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">` +
    `<soapenv:Header ${NS}><SessionHeader><sessionId>${session}</sessionId></SessionHeader></soapenv:Header>` +
    `<soapenv:Body ${NS}>${operation}</soapenv:Body></soapenv:Envelope>`;

/** The faultcode and faultstring of a SOAP fault answer. */
function faultOf(text: string): { code: string; message: string } {
    return {
        code: /<faultcode>([^<]*)<\/faultcode>/.exec(text)?.[1] ?? '',
        message: (/<faultstring>([^<]*)<\/faultstring>/.exec(text)?.[1] ?? '')
            .replace(/&apos;/g, "'")
            .replace(/&quot;/g, '"')
            .replace(/&lt;/g, '<')
            .replace(/&gt;/g, '>')
            .replace(/&amp;/g, '&')
    };
}

describe('the SOAP Metadata API', () => {
    beforeAll(async () => {
        emu = await startFixtureOrg();
        adminToken = await tokenFor(emu);
    });

    afterAll(async () => {
        await emu?.close();
    });

    it('deploys a zip with jsforce metadata.deploy and reports it through checkDeployStatus with details', async () => {
        const conn = await connectAs(emu);
        const asyncResult = await conn.metadata.deploy(await accountFieldZip('Soap_Region__c'), {
            rollbackOnError: true
        });
        expect(asyncResult.id).toMatch(/^0Af[A-Za-z0-9]{15}$/);
        expect(asyncResult.done).toBe(false);
        let result = await conn.metadata.checkDeployStatus(asyncResult.id, true);
        for (let i = 0; i < 50 && !result.done; i++) {
            await new Promise((resolve) => setTimeout(resolve, 20));
            result = await conn.metadata.checkDeployStatus(asyncResult.id, true);
        }
        expect(result).toMatchObject({
            id: asyncResult.id,
            done: true,
            status: 'Succeeded',
            success: true,
            checkOnly: false,
            numberComponentsTotal: 1,
            numberComponentErrors: 0
        });
        expect(result.details.componentSuccesses).toEqual(
            expect.arrayContaining([
                expect.objectContaining({
                    componentType: 'CustomField',
                    fullName: 'Account.Soap_Region__c',
                    created: true,
                    success: true
                })
            ])
        );
        expect(emu.org.schema.fieldExists('Account', 'Soap_Region__c')).toBe(true);
    });

    it('answers a failed component with its problem, and leaves details out unless asked', async () => {
        const conn = await connectAs(emu);
        const { id } = await conn.metadata.deploy(await accountFieldZip('Broken__c', 'NoSuchType'), {
            checkOnly: true
        });
        let result = await conn.metadata.checkDeployStatus(id, false);
        for (let i = 0; i < 50 && !result.done; i++) {
            await new Promise((resolve) => setTimeout(resolve, 20));
            result = await conn.metadata.checkDeployStatus(id, false);
        }
        expect(result).toMatchObject({ done: true, status: 'Failed', success: false, numberComponentErrors: 1 });
        const raw = await soap(
            envelope(adminToken, `<checkDeployStatus><asyncProcessId>${id}</asyncProcessId></checkDeployStatus>`)
        );
        expect(raw.status).toBe(200);
        expect(raw.text).not.toContain('<details');
        const detailed = await conn.metadata.checkDeployStatus(id, true);
        expect(detailed.details.componentFailures).toEqual([
            expect.objectContaining({
                componentType: 'CustomField',
                fullName: 'Account.Broken__c',
                success: false,
                problemType: 'Error',
                problem: expect.stringContaining('NoSuchType')
            })
        ]);
    });

    it('refuses to cancel a deploy that has completed, as the org does', async () => {
        const conn = await connectAs(emu);
        const { id } = await conn.metadata.deploy(await accountFieldZip('Cancel_Me__c'), { checkOnly: true });
        let done = false;
        for (let i = 0; i < 50 && !done; i++) {
            done = (await conn.metadata.checkDeployStatus(id, false)).done;
            if (!done) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await expect(conn.metadata.cancelDeploy(id)).rejects.toMatchObject({ errorCode: 'sf:INVALID_ID_FIELD' });
    });

    it.each([
        [
            'no session',
            envelope(
                '00Dbogus!token',
                '<checkDeployStatus><asyncProcessId>0Af5e0000000001CAA</asyncProcessId></checkDeployStatus>'
            ),
            'sf:INVALID_SESSION_ID',
            /^INVALID_SESSION_ID/
        ],
        ['malformed XML', '<soapenv:Envelope><soapenv:Body><deploy>', 'soapenv:Client', /./],
        ['an empty body', '', 'soapenv:Client', /Premature end of file/],
        ['not an envelope', '<hello/>', 'soapenv:Client', /SOAP envelope/],
        [
            'an unknown operation',
            envelope('SESSION', '<frobnicate/>'),
            'soapenv:Client',
            /No operation available for request \{http:\/\/soap.sforce.com\/2006\/04\/metadata\}frobnicate/
        ],
        [
            'an unknown deploy option',
            envelope(
                'SESSION',
                '<deploy><ZipFile>UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==</ZipFile><DeployOptions><explode>true</explode></DeployOptions></deploy>'
            ),
            'soapenv:Client',
            /Element \{http:\/\/soap.sforce.com\/2006\/04\/metadata\}explode invalid/
        ],
        [
            'a deploy option that is not a boolean',
            envelope(
                'SESSION',
                '<deploy><ZipFile>UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==</ZipFile><DeployOptions><checkOnly>maybe</checkOnly></DeployOptions></deploy>'
            ),
            'soapenv:Client',
            /'maybe' is not a valid value for the type xsd:boolean/
        ],
        [
            'a deploy without a zip',
            envelope('SESSION', '<deploy><DeployOptions><checkOnly>true</checkOnly></DeployOptions></deploy>'),
            'sf:INVALID_ZIP',
            /ZipFile/
        ],
        [
            'an unknown deploy id',
            envelope(
                'SESSION',
                '<checkDeployStatus><asyncProcessId>0Af5e0000000999CAA</asyncProcessId></checkDeployStatus>'
            ),
            'sf:INVALID_CROSS_REFERENCE_KEY',
            /0Af5e0000000999CAA/
        ],
        [
            'a malformed deploy id',
            envelope('SESSION', '<checkDeployStatus><asyncProcessId>nope</asyncProcessId></checkDeployStatus>'),
            'sf:MALFORMED_ID',
            /nope/
        ]
    ])('answers %s with a SOAP fault (HTTP 500, the faultcode the org uses)', async (_, body, code, message) => {
        const res = await soap(body.replace('SESSION', adminToken));
        expect(res.status).toBe(500);
        expect(res.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><soapenv:Envelope /);
        expect(faultOf(res.text)).toEqual({ code, message: expect.stringMatching(message) });
        expect(res.text).not.toMatch(/\bat [\w.]+ \(/);
    });

    it('refuses a user without Modify All Data (INSUFFICIENT_ACCESS) and a version the org does not serve', async () => {
        const repToken = await tokenFor(emu, emu.users.salesRep.username);
        const check = '<checkDeployStatus><asyncProcessId>0Af5e0000000001CAA</asyncProcessId></checkDeployStatus>';
        const denied = await soap(envelope(repToken, check));
        expect(faultOf(denied.text).code).toBe('sf:INSUFFICIENT_ACCESS');
        const res = await fetch(`${emu.instanceUrl}/services/Soap/m/99.0`, {
            method: 'POST',
            headers: { 'content-type': 'text/xml' },
            body: envelope(adminToken, check)
        });
        expect(res.status).toBe(500);
        expect(faultOf(await res.text()).code).toBe('sf:UNSUPPORTED_API_VERSION');
    });
});
