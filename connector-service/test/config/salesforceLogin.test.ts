// The Salesforce login in the config: the JWT settings or an sf CLI org, exactly one, with errors that name the
// field; `--org` (loadConfig's override) swaps the file's login for an org alias, or gives the JWT login URL.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig, redactedConfig } from '../../src/config/config.ts';
import { isConnectorError } from '../../src/domain/errors.ts';

const JWT = {
    loginUrl: 'https://login.salesforce.com',
    clientId: 'consumer-key',
    username: 'integration@example.com',
    privateKeyPem: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----'
};
/** The Ironclad settings of a config file (its client secret comes from the environment). */
const IRONCLAD_IN_FILE = {
    baseUrl: 'https://na1.ironcladapp.com/public/api/v1',
    tokenUrl: 'https://na1.ironcladapp.com/oauth/token',
    clientId: 'ironclad-client',
    actorEmail: 'integration@example.com',
    templateName: 'Sales Agreement'
};
const REST = {
    clm: { vendor: 'ironclad', ironclad: { ...IRONCLAD_IN_FILE, clientSecret: 'ironclad-secret' } },
    store: { kind: 'sqlite', file: 'store.db' },
    admin: { token: 'admin-token' }
};

function problems(raw: unknown): { field: string; message: string }[] {
    try {
        parseConfig(raw);
    } catch (error) {
        if (isConnectorError(error, 'CONFIG.INVALID'))
            return (error.details.problems as { field: string; message: string }[]).map(({ field, message }) => ({
                field,
                message
            }));
        throw error;
    }
    throw new Error('the config parsed');
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'clm-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(content: unknown): string {
    const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(content));
    return file;
}

describe('the Salesforce login', () => {
    it('takes the JWT settings', () => {
        const config = parseConfig({ ...REST, salesforce: { ...JWT, orgCurrency: 'USD' } });
        expect(config.salesforce).toMatchObject({ login: 'jwt', ...JWT, orgCurrency: 'USD', apiVersion: '62.0' });
    });

    it('or an sf CLI org, with the settings both logins share', () => {
        const config = parseConfig({ ...REST, salesforce: { org: 'my-org', orgCurrency: 'EUR' } });
        expect(config.salesforce).toEqual({
            login: 'sfCli',
            org: 'my-org',
            orgCurrency: 'EUR',
            apiVersion: '62.0',
            connectorClientId: 'clm-connector'
        });
    });

    it('refuses JWT settings next to an org, naming each', () => {
        expect(problems({ ...REST, salesforce: { org: 'my-org', loginUrl: JWT.loginUrl, clientId: 'x' } })).toEqual([
            { field: 'salesforce.loginUrl', message: expect.stringMatching(/^not used with salesforce\.org/) },
            { field: 'salesforce.clientId', message: expect.stringMatching(/^not used with salesforce\.org/) }
        ]);
    });

    it('names each missing JWT setting, and says an org would do instead', () => {
        const found = problems({ ...REST, salesforce: { loginUrl: JWT.loginUrl } });
        expect(found.map((problem) => problem.field)).toEqual([
            'salesforce.clientId',
            'salesforce.username',
            'salesforce.privateKeyPem'
        ]);
        expect(found[2]!.message).toMatch(/CLM_SF_PRIVATE_KEY.*or set salesforce\.org to an sf CLI org instead/);
    });
});

describe('--org', () => {
    const { privateKeyPem, ...jwtInFile } = JWT;
    const { admin, ...rest } = REST;
    const restInFile = { ...rest, clm: { vendor: 'ironclad', ironclad: IRONCLAD_IN_FILE } };
    const env = {
        CLM_SF_PRIVATE_KEY: privateKeyPem,
        CLM_CONNECTOR_TOKEN: admin.token,
        CLM_IRONCLAD_CLIENT_SECRET: REST.clm.ironclad.clientSecret
    };

    it('an alias replaces the JWT login of the file, and the key in the environment is left alone', () => {
        const file = configFile({ ...restInFile, salesforce: { ...jwtInFile, orgCurrency: 'USD' } });
        const config = loadConfig(env, file, { salesforceOrg: 'my-org' });
        expect(config.salesforce).toMatchObject({ login: 'sfCli', org: 'my-org', orgCurrency: 'USD' });
        expect(JSON.stringify(redactedConfig(config))).not.toContain('PRIVATE KEY');
    });

    it('a URL is the login URL for the JWT settings of the file', () => {
        const file = configFile({ ...restInFile, salesforce: jwtInFile });
        const config = loadConfig(env, file, { salesforceOrg: 'https://acme.my.salesforce.com' });
        expect(config.salesforce).toMatchObject({ login: 'jwt', loginUrl: 'https://acme.my.salesforce.com' });
    });

    it('still refuses a secret written in the file', () => {
        const file = configFile({ ...restInFile, salesforce: { org: 'my-org', privateKeyPem } });
        expect(() => loadConfig(env, file, { salesforceOrg: 'my-org' })).toThrow(
            /salesforce\.privateKeyPem is a secret/
        );
    });
});
