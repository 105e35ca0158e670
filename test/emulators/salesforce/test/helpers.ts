// Shared by the emulator's own suites: start an org on the fixture metadata, sign JWT assertions, and open
// jsforce connections as each seeded user.
import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jsforce from 'jsforce';
import JSZip from 'jszip';
import {
    startSalesforceEmulator,
    type RunningSalesforceEmulator,
    type SalesforceEmulatorOptions
} from '../src/index.ts';

export const FIXTURE_ORG = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'org-basic');
export const API_VERSION = '62.0';

export function startFixtureOrg(options: SalesforceEmulatorOptions = {}): Promise<RunningSalesforceEmulator> {
    return startSalesforceEmulator({ includePackage: false, metadataDirs: [FIXTURE_ORG], ...options });
}

export function signJwt(
    emu: RunningSalesforceEmulator,
    claims: Record<string, unknown>,
    header: Record<string, unknown> = { alg: 'RS256' }
): string {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${b64(header)}.${b64(claims)}`;
    const signature = createSign('RSA-SHA256')
        .update(unsigned)
        .sign(readFileSync(emu.jwtPrivateKeyPath, 'utf8'))
        .toString('base64url');
    return `${unsigned}.${signature}`;
}

export function jwtFor(emu: RunningSalesforceEmulator, username: string, lifetimeS = 120): string {
    const nowS = Math.floor(emu.org.clock.peekMs() / 1000);
    return signJwt(emu, { iss: emu.jwtConsumerKey, sub: username, aud: emu.loginUrl, exp: nowS + lifetimeS });
}

/** An access token for the user, from the JWT bearer flow over plain HTTP. */
export async function tokenFor(emu: RunningSalesforceEmulator, username = emu.username): Promise<string> {
    const res = await call(emu, 'POST', '/services/oauth2/token', {
        body: `grant_type=${encodeURIComponent('urn:ietf:params:oauth:grant-type:jwt-bearer')}&assertion=${jwtFor(emu, username)}`,
        contentType: 'application/x-www-form-urlencoded'
    });
    if (res.status !== 200) throw new Error(`token request answered ${res.status}: ${res.text}`);
    return (res.json as { access_token: string }).access_token;
}

/** A jsforce connection logged in by JWT bearer as the given user (default: the admin). */
export async function connectAs(emu: RunningSalesforceEmulator, username = emu.username): Promise<jsforce.Connection> {
    const conn = new jsforce.Connection({ loginUrl: emu.loginUrl, version: API_VERSION });
    await conn.authorize({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: jwtFor(emu, username)
    });
    return conn;
}

/** Raw HTTP against the emulator, for the wire details jsforce hides. */
export async function call(
    emu: RunningSalesforceEmulator,
    method: string,
    pathAndQuery: string,
    options: { token?: string; body?: unknown; contentType?: string; headers?: Record<string, string> } = {}
): Promise<{ status: number; headers: Headers; text: string; json: unknown }> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
        headers['Content-Type'] = options.contentType ?? 'application/json';
    }
    const res = await fetch(`${emu.instanceUrl}${pathAndQuery}`, { method, headers, body });
    const text = await res.text();
    let json: unknown;
    try {
        json = text === '' ? undefined : JSON.parse(text);
    } catch {
        json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
}

export async function admin(
    emu: RunningSalesforceEmulator,
    method: string,
    sub: string,
    body?: unknown
): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${emu.adminUrl}${sub}`, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body)
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

export const dataPath = (sub: string) => `/services/data/v${API_VERSION}${sub}`;

/** A metadata zip (package.xml + objects/Account.object) adding one Account text field of the given type. */
export async function accountFieldZip(fieldName: string, type = 'Text'): Promise<Buffer> {
    const ns = 'xmlns="http://soap.sforce.com/2006/04/metadata"';
    const zip = new JSZip();
    zip.file(
        'package.xml',
        `<?xml version="1.0" encoding="UTF-8"?>\n<Package ${ns}>\n    <types>\n        <members>Account.${fieldName}</members>\n        <name>CustomField</name>\n    </types>\n    <version>62.0</version>\n</Package>\n`
    );
    zip.file(
        'objects/Account.object',
        `<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject ${ns}>\n    <fields>\n        <fullName>${fieldName}</fullName>\n        <label>Region</label>\n        <length>30</length>\n        <type>${type}</type>\n    </fields>\n</CustomObject>\n`
    );
    return zip.generateAsync({ type: 'nodebuffer' });
}
