// `sf clm org relink` against a small fake of the connector's relink routes (docs/admin-api.md) on 127.0.0.1: the
// connector is logged in to the test org and refuses until relinked to it. The command reads the org id from the
// target org (or --org-id), shows both org ids, asks to confirm unless --no-prompt, and never prompts under --json.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SfCommand } from '@salesforce/sf-plugins-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OrgRelink from '../../src/commands/clm/org/relink.ts';
import { useCommandContext } from './support/commandContext.ts';
import { schemaErrors } from './support/schemas.ts';

const TOKEN = `tok-${process.pid}-relink-secret`;
const PRODUCTION = '00D000000000001EAA';
/** The refreshed sandbox: the org the connector is logged in to, and the test org's id. */
const SANDBOX = '00D5e0000000002EAA';

interface FakeConnector {
    /** The org the connector is logged in to. */
    orgId: string;
    boundOrgId: string;
    recorded: { method: string; url: string; body: unknown }[];
}

async function readBody(request: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
}

/** The relink routes as adapters/http/adminRoutes.ts answers them. */
function fakeConnector(state: FakeConnector): Server {
    return createServer(async (request, response) => {
        const body = await readBody(request);
        state.recorded.push({ method: request.method ?? '', url: request.url ?? '', body });
        const send = (status: number, value: unknown) => {
            response.writeHead(status, { 'content-type': 'application/json' });
            response.end(JSON.stringify(value));
        };
        if (request.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { code: 'ADMIN.UNAUTHORIZED' });
        const refusing = state.boundOrgId !== state.orgId;
        if (request.method === 'GET' && request.url === '/admin/relink')
            return send(200, { state: refusing ? 'refusing' : 'running', ...state, recorded: undefined });
        if (request.method === 'POST' && request.url === '/admin/relink') {
            const named = (body as { orgId: string }).orgId;
            if (!refusing) return send(409, { code: 'ADMIN.NOT_NEEDED', message: `already holds org ${state.orgId}` });
            if (named !== state.orgId) {
                return send(409, {
                    code: 'ADMIN.ORG_ID_MISMATCH',
                    message: `The connector is logged in to org ${state.orgId}, not ${named}`
                });
            }
            const previousOrgId = state.boundOrgId;
            state.boundOrgId = named;
            return send(200, { previousOrgId, orgId: named });
        }
        return send(404, { code: 'ADMIN.NOT_FOUND', message: 'no such route' });
    });
}

describe('sf clm org relink', () => {
    const ctx = useCommandContext();
    ctx.testOrg.orgId = SANDBOX;
    const savedEnv = { ...process.env };
    const connector: FakeConnector = { orgId: '', boundOrgId: PRODUCTION, recorded: [] };
    const server = fakeConnector(connector);
    let url: string;

    const printed = () =>
        JSON.stringify(
            Object.values(ctx.ux)
                .map((stub) => stub.args)
                .flat()
        );
    const posts = () => connector.recorded.filter((request) => request.method === 'POST');
    const answer = (confirmed: boolean) => ctx.$$.SANDBOX.stub(SfCommand.prototype, 'confirm').resolves(confirmed);
    const failure = (args: string[]) =>
        OrgRelink.run(['--connector-url', url, ...args], ctx.config).then(
            () => expect.unreachable('the command should fail'),
            (error: unknown) => error as Error & { actions?: string[] }
        );

    beforeAll(async () => {
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => {
        process.env.CLM_CONNECTOR_TOKEN = TOKEN;
        process.env.CLM_CONNECTOR_CONFIG = path.join(os.tmpdir(), `clm-no-config-${process.pid}.json`);
        connector.orgId = SANDBOX;
        connector.boundOrgId = PRODUCTION;
        connector.recorded.length = 0;
    });
    afterEach(() => {
        process.env = { ...savedEnv };
    });

    it('shows both org ids, asks, and relinks to the target org once confirmed', async () => {
        const confirm = answer(true);
        const result = await OrgRelink.run(['--connector-url', url, '--target-org', ctx.testOrg.username], ctx.config);
        expect(result).toEqual({ previousOrgId: PRODUCTION, orgId: SANDBOX });
        expect(schemaErrors('clm org relink', result)).toEqual([]);
        expect(confirm.callCount).toBe(1);
        expect(confirm.firstCall.args[0].message).toContain(`org ${PRODUCTION}`);
        expect(confirm.firstCall.args[0].message).toContain(`org ${SANDBOX}`);
        expect(posts()).toEqual([
            {
                method: 'POST',
                url: '/admin/relink',
                body: { orgId: SANDBOX, requestedBy: ctx.testOrg.username }
            }
        ]);
        expect(printed()).toContain(PRODUCTION);
        expect(printed()).not.toContain(TOKEN);
    });

    it('changes nothing when the admin declines', async () => {
        answer(false);
        const cancelled = await failure(['--target-org', ctx.testOrg.username]);
        expect(cancelled.message).toBe('Relink cancelled: nothing changed.');
        expect(posts()).toEqual([]);
        expect(connector.boundOrgId).toBe(PRODUCTION);
    });

    it('takes --org-id and --no-prompt for scripts, and never prompts under --json', async () => {
        const confirm = answer(true);
        const inJson = await failure(['--org-id', SANDBOX, '--json']);
        expect(inJson.message).toBe('A relink needs your confirmation, and --json cannot prompt.');
        expect(inJson.actions?.[0]).toContain('--no-prompt');
        expect(posts()).toEqual([]);

        const result = await OrgRelink.run(
            ['--connector-url', url, '--org-id', SANDBOX, '--no-prompt', '--json'],
            ctx.config
        );
        expect(result).toEqual({ previousOrgId: PRODUCTION, orgId: SANDBOX });
        expect(confirm.callCount).toBe(0);
        expect(posts()[0]?.body).toEqual({ orgId: SANDBOX });
    });

    it("passes on the connector's refusals: another org, or nothing to relink", async () => {
        const wrong = await failure(['--org-id', PRODUCTION, '--no-prompt']);
        expect(wrong.message).toBe(
            `The connector at ${url} answered POST /admin/relink with HTTP 409: The connector is logged in to org ${SANDBOX}, not ${PRODUCTION}`
        );
        connector.boundOrgId = SANDBOX;
        const confirm = answer(true);
        const notNeeded = await failure(['--target-org', ctx.testOrg.username]);
        expect(notNeeded.message).toContain('HTTP 409: already holds org');
        expect(confirm.callCount).toBe(0);
    });

    it('needs the org named once: --target-org or --org-id, not both', async () => {
        const none = await failure([]);
        expect(none.message).toBe('Name the org the connector should sync with.');
        const both = await failure(['--target-org', ctx.testOrg.username, '--org-id', SANDBOX]);
        expect(both.message).toMatch(/cannot also be provided/);
        await expect(failure(['--org-id', '005000000000001AAA'])).resolves.toMatchObject({
            message: expect.stringMatching(/00D/)
        });
        expect(posts()).toEqual([]);
    });
});
