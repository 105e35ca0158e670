// The `sf clm` plugin inside the real sf CLI (node_modules/.bin/sf, linked with `sf plugins link`), against the
// Salesforce emulator started in-process with an empty org: `sf org login access-token`, `sf clm org setup`
// (deploy, permission sets, CDC), then `sf clm rules validate` on the package defaults, and rules that target a
// field hidden from the integration user, a restricted picklist value the org lacks and a formula field — each
// reported with the rule's name. Every `--json` result is checked against its schema in schemas/.
import { execFile } from 'node:child_process';
import { createSign } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';
import { repoRoot, requireOrSkip } from '../../../test/support/requirements.ts';
import type { CommandId, OrgSetupResult, RulesValidateResult } from '../../src/plugin/results.ts';
import { BACKFILL_POLLS, startFakeAdminApi } from './support/fakeAdminApi.ts';
import { schemaErrors } from './support/schemas.ts';
import { SF_BIN, sfCliEnv } from '../../../test/support/sfCli.ts';

const PLUGIN_DIR = path.join(repoRoot, 'connector-service');
const COMMAND_TIMEOUT_MS = 120_000;

const sfPresent = requireOrSkip({
    what: `the sf CLI at ${path.relative(repoRoot, SF_BIN)}`,
    how: 'npm install (it is a dev dependency of the repository)',
    present: existsSync(SF_BIN)
});

interface SfRun {
    exitCode: number;
    stdout: string;
    stderr: string;
}

let emulator: RunningSalesforceEmulator;
let sfHome: string;

/** Runs sf with a private HOME and no telemetry or update checks (research/toolchain.md §4); `sf clm org setup` itself deploys over REST. */
function sf(args: string[], env: Record<string, string> = {}): Promise<SfRun> {
    const fullEnv: Record<string, string> = sfCliEnv(sfHome, env);
    return new Promise((resolve, reject) => {
        execFile(
            SF_BIN,
            args,
            { cwd: repoRoot, env: fullEnv, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 32 * 1024 * 1024 },
            (error, stdout, stderr) => {
                if (error && typeof error.code !== 'number') return reject(error);
                resolve({ exitCode: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
            }
        );
    });
}

interface JsonOutput<T> {
    status: number;
    result?: T;
    name?: string;
    message?: string;
    actions?: string[];
}

async function sfJson<T>(
    id: CommandId | string,
    args: string[],
    env: Record<string, string> = {}
): Promise<{ exitCode: number; json: JsonOutput<T>; stdout: string; stderr: string }> {
    const run = await sf([...id.split(' '), ...args, '--json'], env);
    try {
        return {
            exitCode: run.exitCode,
            json: JSON.parse(run.stdout) as JsonOutput<T>,
            stdout: run.stdout,
            stderr: run.stderr
        };
    } catch {
        throw new Error(`sf ${id} printed no JSON (exit ${run.exitCode}):\n${run.stdout}\n${run.stderr}`);
    }
}

/** A JWT bearer login, done the way any client does it. */
async function accessToken(username: string): Promise<string> {
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = {
        iss: emulator.jwtConsumerKey,
        sub: username,
        aud: emulator.loginUrl,
        exp: Math.floor(Date.now() / 1000) + 120
    };
    const unsigned = `${b64({ alg: 'RS256' })}.${b64(claims)}`;
    const signature = createSign('RSA-SHA256')
        .update(unsigned)
        .sign(readFileSync(emulator.jwtPrivateKeyPath))
        .toString('base64url');
    const response = await fetch(`${emulator.loginUrl}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
            grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
            assertion: `${unsigned}.${signature}`
        })
    });
    const body = (await response.json()) as { access_token?: string };
    if (!body.access_token) throw new Error(`JWT login failed for ${username}`);
    return body.access_token;
}

async function login(alias: string, username: string): Promise<void> {
    const token = await accessToken(username);
    const run = await sf(
        ['org', 'login', 'access-token', '--instance-url', emulator.instanceUrl, '--no-prompt', '--alias', alias],
        { SF_ACCESS_TOKEN: token }
    );
    if (run.exitCode !== 0) throw new Error(`login as ${username} failed:\n${run.stdout}\n${run.stderr}`);
}

function assignmentCount(): number {
    return emulator.org.store.rows('PermissionSetAssignment').length;
}

describe.skipIf(!sfPresent)('sf clm in the sf CLI against the Salesforce emulator', () => {
    beforeAll(async () => {
        emulator = await startSalesforceEmulator({ includePackage: false });
        sfHome = mkdtempSync(path.join(os.tmpdir(), 'sf-clm-home-'));
        await login('emu', emulator.username);
        await login('emu-rep', emulator.users.salesRep.username);
        const link = await sf(['plugins', 'link', PLUGIN_DIR, '--no-install']);
        if (link.exitCode !== 0) throw new Error(`sf plugins link failed:\n${link.stdout}\n${link.stderr}`);
    }, 240_000);

    afterAll(async () => {
        await emulator?.close();
        if (sfHome) rmSync(sfHome, { recursive: true, force: true });
    });

    it('sets up an empty org, and a second run assigns nothing new', async () => {
        const integration = emulator.users.integration.username;
        const first = await sfJson<OrgSetupResult>('clm org setup', ['-o', 'emu', '--integration-user', integration]);
        expect(first.json.message).toBeUndefined();
        expect(first.exitCode).toBe(0);
        expect(schemaErrors('clm org setup', first.json.result)).toEqual([]);
        const result = first.json.result!;
        expect(result.deploy.status).toBe('Succeeded');
        expect(result.deploy.directories).toContain('force-app');
        expect(result.assignments).toEqual([
            { username: emulator.username, permissionSet: 'Clm_Connector_Admin', status: 'assigned' },
            { username: integration, permissionSet: 'Clm_Connector_Integration', status: 'assigned' },
            // The org has CPQ: force-app-cpq deployed too, and its integration set is assigned beside the core one.
            { username: integration, permissionSet: 'Clm_Connector_Integration_Cpq', status: 'assigned' }
        ]);
        expect(result.deploy.directories).toContain('force-app-cpq');
        // The org contract's change channels, the CPQ quote's included (this org has CPQ).
        expect(result.changeDataCapture.enabled).toEqual([
            'AccountChangeEvent',
            'ContactChangeEvent',
            'ContractChangeEvent',
            'OpportunityChangeEvent',
            'SBQQ__Quote__ChangeEvent'
        ]);
        expect(result.changeDataCapture.exceedsAllocation).toBe(false);
        expect(emulator.org.schema.objectExists('Clm_Field_Mapping__mdt')).toBe(true);

        const before = assignmentCount();
        const second = await sfJson<OrgSetupResult>('clm org setup', ['-o', 'emu', '--integration-user', integration]);
        expect(second.exitCode).toBe(0);
        expect(second.json.result!.assignments.map((a) => a.status)).toEqual([
            'alreadyAssigned',
            'alreadyAssigned',
            'alreadyAssigned'
        ]);
        expect(assignmentCount()).toBe(before);
    }, 240_000);

    it('validates the package defaults as the integration user', async () => {
        const run = await sfJson<RulesValidateResult>('clm rules validate', ['-o', 'emu']);
        expect(run.json.result?.problems ?? run.json).toEqual([]);
        expect(run.exitCode).toBe(0);
        expect(schemaErrors('clm rules validate', run.json.result)).toEqual([]);
        expect(run.json.result).toMatchObject({
            valid: true,
            rulesChecked: 19,
            integrationUser: { username: emulator.users.integration.username }
        });

        const list = await sfJson('clm rules list', ['-o', 'emu']);
        expect(list.exitCode).toBe(0);
        expect(schemaErrors('clm rules list', list.json.result)).toEqual([]);
    }, 120_000);

    it('fails closed naming View All Records when it is taken from the integration permission set', async () => {
        // As an admin would in Setup: View All (and the Modify All that needs it) off on Opportunity.
        const grant = emulator.org.store
            .rows('ObjectPermissions')
            .find(
                (row) =>
                    row.SobjectType === 'Opportunity' &&
                    emulator.org.store.get('PermissionSet', String(row.ParentId))?.Name === 'Clm_Connector_Integration'
            )!;
        expect(grant).toMatchObject({ PermissionsViewAllRecords: true, PermissionsModifyAllRecords: true });
        Object.assign(grant, { PermissionsViewAllRecords: false, PermissionsModifyAllRecords: false });
        try {
            const run = await sfJson<RulesValidateResult>('clm rules validate', ['-o', 'emu']);
            expect(run.exitCode).toBe(1);
            const denied = run.json.result!.problems.filter((p) => p.code === 'PERMISSION.VIEW_ALL_RECORDS_MISSING');
            expect(denied.length).toBeGreaterThan(0);
            expect(denied.every((p) => p.message.includes('View All Records on Opportunity'))).toBe(true);
        } finally {
            Object.assign(grant, { PermissionsViewAllRecords: true, PermissionsModifyAllRecords: true });
        }
    }, 120_000);

    it('reports a hidden field, a missing restricted picklist value and a formula target, each with its rule', async () => {
        const admin = async (pathname: string, body: unknown) => {
            const response = await fetch(`${emulator.adminUrl}${pathname}`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify(body)
            });
            expect(response.status, await response.clone().text()).toBe(201);
        };
        // A custom field nobody granted to the integration user, and a restricted picklist it may edit.
        await admin('/schema/Contract/fields', { name: 'Secret_Terms__c', type: 'textarea', length: 4000 });
        await admin('/schema/Contract/fields', {
            name: 'Clm_Region__c',
            type: 'picklist',
            picklistValues: ['EMEA', 'AMER'],
            restrictedPicklist: true
        });
        const integrationSet = emulator.org.store
            .rows('PermissionSet')
            .find((p) => p.Name === 'Clm_Connector_Integration')!;
        emulator.org.seedRecord('FieldPermissions', {
            ParentId: String(integrationSet.Id),
            SobjectType: 'Contract',
            Field: 'Contract.Clm_Region__c',
            PermissionsRead: true,
            PermissionsEdit: true
        });
        // The admin deploys three more rule records next to the defaults (the org's records replace the defaults).
        const { DEFAULT_RULES } = await import('../../src/domain/defaultRules.ts');
        const { ruleToRecord } = await import('../../src/domain/ruleRecords.ts');
        const extra = [
            {
                name: 'Contract_Secret_Terms',
                sfObject: 'Contract',
                sfField: 'Secret_Terms__c',
                clmField: 'custom.secretTerms',
                direction: 'SalesforceToClm'
            },
            {
                name: 'Contract_Region',
                sfObject: 'Contract',
                sfField: 'Clm_Region__c',
                clmField: 'custom.region',
                direction: 'ClmToSalesforce',
                transform: { kind: 'picklistMap', map: { EMEA: 'emea', APAC: 'apac' } }
            },
            {
                name: 'Contract_End_Formula',
                sfObject: 'Contract',
                sfField: 'EndDate',
                clmField: 'expirationDate',
                direction: 'ClmToSalesforce',
                transform: { kind: 'date' }
            }
        ] as const;
        for (const rule of [...DEFAULT_RULES, ...extra]) {
            const record = ruleToRecord(rule);
            emulator.org.seedRecord('Clm_Field_Mapping__mdt', {
                DeveloperName: record.developerName,
                MasterLabel: record.label,
                ...record.values
            });
        }

        const run = await sfJson<RulesValidateResult>('clm rules validate', ['-o', 'emu']);
        expect(run.exitCode).toBe(1);
        expect(schemaErrors('clm rules validate', run.json.result)).toEqual([]);
        const result = run.json.result!;
        expect(result).toMatchObject({ valid: false, source: 'org', rulesChecked: 22 });
        const byRule = (rule: string) => result.problems.filter((p) => p.rule === rule).map((p) => p.code);
        expect(byRule('Contract_Secret_Terms')).toEqual(['MAPPING.FIELD_NOT_VISIBLE']);
        expect(byRule('Contract_Region')).toEqual(['MAPPING.PICKLIST_VALUE_REJECTED']);
        expect(result.problems.find((p) => p.rule === 'Contract_Region')!.message).toContain('"APAC"');
        expect(byRule('Contract_End_Formula')).toContain('MAPPING.READ_ONLY_TARGET');
        expect(result.problems.find((p) => p.code === 'MAPPING.READ_ONLY_TARGET')!.message).toMatch(
            /^Contract_End_Formula: Contract\.EndDate is a formula/
        );
        expect(
            result.problems.every((p) =>
                ['Contract_Secret_Terms', 'Contract_Region', 'Contract_End_Formula'].includes(p.rule)
            )
        ).toBe(true);

        // The human output: a table of the problems with the rule names, and a non-zero exit.
        const human = await sf(['clm', 'rules', 'validate', '-o', 'emu']);
        expect(human.exitCode).toBe(1);
        for (const rule of ['Contract_Secret_Terms', 'Contract_Region', 'Contract_End_Formula'])
            expect(human.stdout).toContain(rule);
    }, 120_000);

    it('explains a missing permission and a missing org with the fix', async () => {
        const denied = await sfJson('clm org setup', ['-o', 'emu-rep']);
        expect(denied.exitCode).not.toBe(0);
        expect(denied.json.message).toMatch(
            /sales\.rep@clm-emulator\.example\) lack the permission this command needs: deploy metadata/
        );
        expect(denied.json.actions?.join(' ')).toMatch(/System Administrator/);

        const noOrg = await sfJson('clm rules validate', ['-o', 'no-such-org']);
        expect(noOrg.exitCode).not.toBe(0);
        expect(noOrg.json.name).toBe('NamedOrgNotFoundError');
        expect(noOrg.json.message).toContain('no-such-org');
    }, 120_000);

    it('runs the connector commands through the CLI: --json per schema, the token never printed', async () => {
        const token = `cli-token-${process.pid}-${Date.now().toString(36)}`;
        const api = await startFakeAdminApi(token);
        try {
            const env = { CLM_CONNECTOR_URL: api.url, CLM_CONNECTOR_TOKEN: token };
            const commands: [CommandId, string[]][] = [
                ['clm sync status', []],
                ['clm sync errors', ['--limit', '10']],
                ['clm sync replay', ['--all']],
                ['clm sync backfill', ['--object', 'Contract', '--poll-interval', '1']],
                ['clm conflicts list', []]
            ];
            for (const [id, args] of commands) {
                const run = await sfJson(id, args, env);
                expect(run.exitCode, `${id}: ${run.stdout}${run.stderr}`).toBe(0);
                expect(schemaErrors(id, run.json.result), id).toEqual([]);
                expect(`${run.stdout}${run.stderr}`).not.toContain(token);
            }
            expect(api.recorded.filter((r) => r.url === '/admin/backfill/job-1')).toHaveLength(BACKFILL_POLLS);

            const refused = await sfJson('clm sync status', [], { ...env, CLM_CONNECTOR_TOKEN: `${token}-stale` });
            expect(refused.exitCode).not.toBe(0);
            expect(refused.json.message).toBe(`The connector at ${api.url} refused the admin token (HTTP 401).`);
            expect(`${refused.stdout}${refused.stderr}`).not.toContain(token);
        } finally {
            await api.close();
        }
    }, 180_000);
});
