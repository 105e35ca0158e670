// The config is strict: a typo is an error naming the path and the key it was probably meant to be; every URL the
// connector sends credentials to is https (plain http only to loopback) and never a private, link-local or
// metadata address; the CLM adapter's settings are checked with the rest, with codes; and what is logged of it
// is an allow-list, so a secret setting whose name looks harmless (SpotDraft's webhookHmacKeyBase64) is redacted.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseConfig, redactedConfig, type ConfigProblem } from '../../src/config/config.ts';
import { createLogger } from '../../src/main.ts';
import { isConnectorError } from '../../src/domain/errors.ts';

const SECRETS = {
    privateKeyPem: '-----BEGIN PRIVATE KEY-----\nsecret-pem\n-----END PRIVATE KEY-----',
    adminToken: 'secret-admin-token',
    clientSecret: 'secret-client-secret',
    hmacKey: Buffer.from('secret-hmac-key').toString('base64'),
    callbackSecret: 'secret-callback',
    databaseUrl: 'postgres://clm:secret-db-password@db.example.com/clm',
    alertUrl: 'https://hooks.slack.com/services/T000/B000/secret-alert-path'
};

function ironcladConfig(overrides: Record<string, unknown> = {}) {
    return {
        salesforce: {
            loginUrl: 'https://login.salesforce.com',
            clientId: 'consumer-key',
            username: 'integration@example.com',
            privateKeyPem: SECRETS.privateKeyPem
        },
        clm: {
            vendor: 'ironclad',
            ironclad: {
                baseUrl: 'https://na1.ironcladapp.com/public/api/v1',
                tokenUrl: 'https://na1.ironcladapp.com/oauth/token',
                clientId: 'ironclad-client',
                clientSecret: SECRETS.clientSecret,
                actorEmail: 'integration@example.com',
                templateName: 'Sales Agreement'
            }
        },
        store: { kind: 'sqlite', file: 'store.db' },
        admin: { token: SECRETS.adminToken },
        ...overrides
    };
}

function spotdraftConfig() {
    return {
        ...ironcladConfig(),
        clm: {
            vendor: 'spotdraft',
            spotdraft: {
                baseUrl: 'https://api.us.spotdraft.com/api',
                clientId: 'sd-client',
                clientSecret: SECRETS.clientSecret,
                userEmail: 'integration@example.com',
                templateName: 'MSA',
                webhookHmacKeyBase64: SECRETS.hmacKey,
                webhookCallbackSecret: SECRETS.callbackSecret
            }
        },
        store: { kind: 'postgres', url: SECRETS.databaseUrl },
        alerts: { webhookUrl: SECRETS.alertUrl }
    };
}

function refused(raw: unknown): { code: string; field: unknown; problems: (ConfigProblem & { nearest?: string })[] } {
    try {
        parseConfig(raw);
    } catch (error) {
        if (!isConnectorError(error)) throw error;
        expect(error.message).not.toMatch(/^\s*\[/); // a sentence with codes, never a raw zod array
        return { code: error.code, field: error.details.field, problems: error.details.problems as never };
    }
    throw new Error('the config parsed');
}

function withPath(raw: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
    const copy = structuredClone(raw);
    let node = copy;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
    node[path.at(-1)!] = value;
    return copy;
}

describe('unknown keys', () => {
    it('names each with its path and the nearest valid key, before the errors the typo causes', () => {
        const raw = ironcladConfig({ syncc: { pollIntervalMs: 100 } });
        const ironclad = (raw.clm as { ironclad: Record<string, unknown> }).ironclad;
        ironclad.baseUrll = ironclad.baseUrl;
        delete ironclad.baseUrl;
        ironclad.clientSecet = ironclad.clientSecret;
        delete ironclad.clientSecret;
        const found = refused(raw);
        expect(found.code).toBe('CONFIG.UNKNOWN_KEY');
        expect(found.field).toBe('clm.ironclad.baseUrll');
        expect(found.problems.filter((problem) => problem.code === 'CONFIG.UNKNOWN_KEY')).toEqual([
            expect.objectContaining({
                field: 'clm.ironclad.baseUrll',
                nearest: 'baseUrl',
                message: 'not a setting: did you mean clm.ironclad.baseUrl?'
            }),
            expect.objectContaining({ field: 'clm.ironclad.clientSecet', nearest: 'clientSecret' }),
            expect.objectContaining({ field: 'syncc', nearest: 'sync', message: 'not a setting: did you mean sync?' })
        ]);
        // The adapter's own schema speaks too, with a code and a path (before any login is attempted).
        expect(found.problems).toContainEqual(
            expect.objectContaining({ code: 'CONFIG.INVALID', field: 'clm.ironclad.baseUrl' })
        );
    });

    it('reaches nested settings, discriminated branches and arrays', () => {
        const raw = spotdraftConfig();
        const spotdraft = (raw.clm as { spotdraft: Record<string, unknown> }).spotdraft;
        spotdraft.dataFields = { efectiveDate: 'start' };
        const found = refused({ ...raw, store: { kind: 'postgres', url: SECRETS.databaseUrl, fiel: 'x' } });
        expect(found.problems.map((problem) => [problem.field, problem.nearest])).toEqual([
            ['clm.spotdraft.dataFields.efectiveDate', 'effectiveDate'],
            ['store.fiel', undefined]
        ]);
    });

    it('a valid config parses unchanged in meaning', () => {
        expect(parseConfig(ironcladConfig()).clm.vendor).toBe('ironclad');
        expect(parseConfig(spotdraftConfig()).store.kind).toBe('postgres');
    });
});

describe('URLs the connector sends credentials to', () => {
    const cases: [string[], string, string][] = [
        [['salesforce', 'loginUrl'], 'http://login.example.com', 'CONFIG.URL_NOT_HTTPS'],
        [['clm', 'ironclad', 'baseUrl'], 'http://na1.ironcladapp.com/public/api/v1', 'CONFIG.URL_NOT_HTTPS'],
        [['clm', 'ironclad', 'tokenUrl'], 'https://169.254.169.254/latest', 'CONFIG.URL_TARGET'],
        [['clm', 'ironclad', 'baseUrl'], 'https://10.1.2.3/api', 'CONFIG.URL_TARGET'],
        [['clm', 'ironclad', 'baseUrl'], 'https://[fe80::1]/api', 'CONFIG.URL_TARGET'],
        [['clm', 'ironclad', 'baseUrl'], 'https://192.168.0.10/api', 'CONFIG.URL_TARGET'],
        [['clm', 'ironclad', 'baseUrl'], 'file:///etc/passwd', 'CONFIG.URL_SCHEME'],
        [['clm', 'ironclad', 'baseUrl'], 'gopher://na1.ironcladapp.com/', 'CONFIG.URL_SCHEME'],
        [['http', 'publicUrl'], 'http://connector.example.com', 'CONFIG.URL_NOT_HTTPS'],
        [['alerts', 'webhookUrl'], 'http://hooks.example.com/x', 'CONFIG.URL_NOT_HTTPS']
    ];
    it.each(cases)('%j = %s is refused with %s', (path, url, code) => {
        const raw =
            path[0] === 'http' || path[0] === 'alerts' ? { ...ironcladConfig(), [path[0]]: {} } : ironcladConfig();
        const found = refused(withPath(raw, path, url));
        expect(found.problems).toContainEqual(expect.objectContaining({ code, field: path.join('.') }));
    });

    it('plain http to a loopback host (a local emulator) is allowed', () => {
        for (const host of ['127.0.0.1:8080', 'localhost:9', '[::1]:443']) {
            const raw = withPath(ironcladConfig(), ['clm', 'ironclad', 'baseUrl'], `http://${host}/ironclad`);
            expect(parseConfig(raw).clm.vendor).toBe('ironclad');
        }
    });

    it('certificate checks can be turned off only toward a loopback Pub/Sub endpoint', () => {
        const pubsub = (endpoint: string) =>
            withPath(ironcladConfig(), ['salesforce', 'pubsub'], { endpoint, allowSelfSignedTls: true });
        for (const endpoint of ['localhost:7443', '127.0.0.1:4713', '[::1]:7443'])
            expect(parseConfig(pubsub(endpoint)).salesforce.pubsub?.allowSelfSignedTls).toBe(true);
        expect(refused(pubsub('api.pubsub.salesforce.com:7443')).problems).toContainEqual(
            expect.objectContaining({ code: 'CONFIG.INVALID', field: 'salesforce.pubsub.allowSelfSignedTls' })
        );
    });
});

describe('what is logged of the config', () => {
    it('is an allow-list: no secret appears, whatever its name', () => {
        for (const raw of [ironcladConfig(), spotdraftConfig()]) {
            const lines: string[] = [];
            const logger = createLogger(
                { log: { level: 'info' } },
                new Writable({
                    write(chunk: Buffer, _encoding, done) {
                        lines.push(chunk.toString('utf8'));
                        done();
                    }
                })
            );
            const config = parseConfig(raw);
            logger.info({ config: redactedConfig(config) }, 'starting');
            const logged = lines.join('');
            for (const secret of Object.values(SECRETS)) expect(logged).not.toContain(secret);
            expect(logged).not.toContain('secret-db-password');
            // What helps an operator is still there.
            expect(logged).toContain('"templateName"');
            expect(logged).toContain('"vendor"');
        }
    });

    it('a setting nobody listed (a secret added to a schema later) is redacted by default', () => {
        const config = parseConfig(ironcladConfig()) as unknown as Record<string, Record<string, unknown>>;
        const shown = redactedConfig({
            ...config,
            clm: { ...config.clm, ironclad: { ...(config.clm!.ironclad as object), signingKey: 'k' } }
        } as never) as { clm: { ironclad: Record<string, unknown> } };
        expect(shown.clm.ironclad.signingKey).toBe('[redacted]');
        expect(shown.clm.ironclad.templateName).toBe('Sales Agreement');
    });
});
