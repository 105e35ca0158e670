/**
 * The service's configuration: one zod schema, parsed once at start from a JSON file and the environment.
 * This module is the only reader of `process.env` (main.ts passes it in). Secrets come from the environment or
 * from files named in it — never from the config file — and `redactedConfig` is what may be logged.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConnectorError } from '../domain/index.ts';
import { ALERT_FORMATS } from '../app/alerts.ts';
import { IroncladConfig } from '../adapters/clm/ironclad/config.ts';
import { SpotdraftConfig } from '../adapters/clm/spotdraft/config.ts';
import { loggableConfig } from './loggable.ts';
import { unknownKeys } from './strictKeys.ts';
import { isLoopbackHost, urlProblems } from './targetUrls.ts';

const Secret = z.string().min(1);

/** The settings of the JWT bearer login; `salesforce.org` replaces all of them. */
const JWT_LOGIN_FIELDS = ['loginUrl', 'clientId', 'username', 'privateKeyPem'] as const;

/**
 * How the connector logs in to Salesforce: either the JWT bearer flow (a connected app, its key and the
 * integration user) or `org`, an org the sf CLI has logged in to (its alias or username), whose stored login
 * @salesforce/core reads and refreshes. Exactly one of the two; the other's fields are refused by name.
 */
const SalesforceSettings = z
    .object({
        /** An sf CLI org alias or username (`sf org login web --alias <alias>`), instead of the JWT settings. */
        org: z.string().min(1).optional(),
        loginUrl: z.url().optional(),
        /** The connected app's consumer key (JWT bearer). */
        clientId: z.string().min(1).optional(),
        /** The integration user. */
        username: z.string().min(1).optional(),
        privateKeyPem: Secret.optional(),
        apiVersion: z
            .string()
            .regex(/^\d+\.0$/)
            .default('62.0'),
        /** Sent as `Sforce-Call-Options: client=<id>`; CDC reports it, so the connector knows its own echoes. */
        connectorClientId: z
            .string()
            .regex(/^[A-Za-z0-9_-]{1,40}$/)
            .default('clm-connector'),
        /** The org's currency when it is not multi-currency. */
        orgCurrency: z
            .string()
            .regex(/^[A-Z]{3}$/)
            .optional(),
        /** The Pub/Sub API endpoint (api.pubsub.salesforce.com:7443 for a real org). */
        pubsub: z
            .object({
                endpoint: z.string().min(1),
                /** Accept a self-signed certificate: only for the local emulator. */
                allowSelfSignedTls: z.boolean().default(false),
                /**
                 * CDC channels to hear, besides the sync request event. Unset: the org contract's channels
                 * (domain/orgContract.ts CHANGE_CHANNELS), the CPQ quote's where CPQ is installed.
                 */
                channels: z.array(z.string().regex(/^\/data\/\w+ChangeEvent$/)).optional()
            })
            .optional()
    })
    .superRefine((settings, ctx) => {
        // Turning certificate checks off is for the local emulator only: never toward a host on the network.
        if (settings.pubsub?.allowSelfSignedTls && !isLoopbackHost(settings.pubsub.endpoint.replace(/:\d+$/, ''))) {
            ctx.addIssue({
                code: 'custom',
                path: ['pubsub', 'allowSelfSignedTls'],
                message: `only for a loopback endpoint (a local emulator), not ${settings.pubsub.endpoint}: remove it`
            });
        }
        for (const field of JWT_LOGIN_FIELDS) {
            if (settings.org !== undefined && settings[field] !== undefined) {
                ctx.addIssue({
                    code: 'custom',
                    path: [field],
                    message: `not used with salesforce.org (the sf CLI org's stored login is used): remove it`
                });
            }
            if (settings.org === undefined && settings[field] === undefined) {
                ctx.addIssue({
                    code: 'custom',
                    path: [field],
                    message: `required for the JWT login${field === 'privateKeyPem' ? ' (set CLM_SF_PRIVATE_KEY or CLM_SF_PRIVATE_KEY_FILE)' : ''}, or set salesforce.org to an sf CLI org instead`
                });
            }
        }
    })
    .transform(({ org, loginUrl, clientId, username, privateKeyPem, ...common }) =>
        org !== undefined
            ? { login: 'sfCli' as const, org, ...common }
            : {
                  login: 'jwt' as const,
                  loginUrl: loginUrl!,
                  clientId: clientId!,
                  username: username!,
                  privateKeyPem: privateKeyPem!,
                  ...common
              }
    );

export const ConnectorConfig = z.object({
    /** Names this connector's state (one store may serve several connectors, each bound to one org). */
    name: z.string().min(1).default('clm-connector'),
    salesforce: SalesforceSettings,
    clm: z.discriminatedUnion('vendor', [
        z.object({
            vendor: z.literal('ironclad'),
            // The adapter's own schema, checked with the rest of the config before anything logs in.
            ironclad: IroncladConfig,
            customFields: z.array(z.string()).optional(),
            contractUrlTemplate: z.string().optional()
        }),
        z.object({
            vendor: z.literal('spotdraft'),
            spotdraft: SpotdraftConfig,
            customFields: z.array(z.string()).optional(),
            contractUrlTemplate: z.string().optional()
        })
    ]),
    store: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('sqlite'), file: z.string().min(1) }),
        z.object({ kind: z.literal('postgres'), url: Secret })
    ]),
    http: z
        .object({
            host: z.string().default('127.0.0.1'),
            port: z.number().int().min(0).max(65535).default(8787),
            /** Where the CLM reaches this server (behind a proxy or tunnel). */
            publicUrl: z.url().optional(),
            /** Subscribe the CLM's webhooks to this server at start (idempotent). */
            registerWebhook: z.boolean().default(true)
        })
        .prefault({}),
    admin: z.object({ token: Secret }),
    sync: z
        .object({
            maxAttempts: z.number().int().min(1).max(100).default(8),
            pollIntervalMs: z.number().int().min(10).default(500),
            /** How often the CLM's change feed is read behind its webhooks (catches deliveries they lost). */
            clmPollIntervalMs: z.number().int().min(1000).default(60_000),
            retryBaseDelayMs: z.number().int().min(1).default(1000),
            retryMaxDelayMs: z
                .number()
                .int()
                .min(1)
                .default(15 * 60_000),
            /** Pause at this share of the org's daily API allocation; re-check every apiBudgetRecheckMs. */
            apiBudgetPauseShare: z.number().gt(0).max(1).default(0.9),
            /** Slow non-urgent work (small rounds, spaced out) from this share of the allocation on. */
            apiBudgetSlowShare: z.number().gt(0).max(1).default(0.75),
            apiBudgetRecheckMs: z.number().int().min(1000).default(60_000)
        })
        .prefault({}),
    alerts: z.object({ webhookUrl: z.url().optional(), format: z.enum(ALERT_FORMATS).default('slack') }).prefault({}),
    /** A scheduled field-level audit (sf clm audit): every `everyHours`, repairing the differences when `repair`. */
    audit: z
        .object({
            everyHours: z
                .number()
                .gt(0)
                .max(24 * 92)
                .optional(),
            repair: z.boolean().default(false)
        })
        .prefault({}),
    log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') }).prefault({})
});
export type ConnectorConfig = z.infer<typeof ConnectorConfig>;

/** Environment variables that supply secrets (directly, or as a path to a file holding the value). */
const SECRET_ENV: readonly { env: string; path: string[] }[] = [
    { env: 'CLM_SF_PRIVATE_KEY', path: ['salesforce', 'privateKeyPem'] },
    { env: 'CLM_CONNECTOR_TOKEN', path: ['admin', 'token'] },
    { env: 'CLM_DATABASE_URL', path: ['store', 'url'] },
    { env: 'CLM_IRONCLAD_CLIENT_SECRET', path: ['clm', 'ironclad', 'clientSecret'] },
    { env: 'CLM_SPOTDRAFT_CLIENT_SECRET', path: ['clm', 'spotdraft', 'clientSecret'] },
    { env: 'CLM_ALERT_WEBHOOK_URL', path: ['alerts', 'webhookUrl'] }
];

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
    let node = target;
    for (const key of path.slice(0, -1)) {
        if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
        node = node[key] as Record<string, unknown>;
    }
    node[path.at(-1)!] = value;
}

function readSecret(env: Record<string, string | undefined>, name: string): string | undefined {
    if (env[name] !== undefined) return env[name];
    const file = env[`${name}_FILE`];
    if (file === undefined) return undefined;
    try {
        return readFileSync(file, 'utf8').trim();
    } catch {
        throw new ConnectorError('CONFIG.SECRET_FILE_UNREADABLE', `${name}_FILE names a file that cannot be read`, {
            field: `${name}_FILE`
        });
    }
}

export interface ConfigOverrides {
    /**
     * `--org`: an sf CLI org alias or username replaces the file's Salesforce login (its JWT settings are
     * dropped); an http(s) URL is the login URL for the JWT settings in the file.
     */
    salesforceOrg?: string;
}

/**
 * Reads the config file (`CLM_CONFIG`), fills secrets from the environment, and validates everything at once.
 * Throws CONFIG.INVALID listing each problem with its field path; secrets found in the file are refused.
 */
export function loadConfig(
    env: Record<string, string | undefined>,
    file = env.CLM_CONFIG,
    overrides: ConfigOverrides = {}
): ConnectorConfig {
    let raw: Record<string, unknown> = {};
    if (file) {
        try {
            raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
        } catch (error) {
            throw new ConnectorError(
                'CONFIG.UNREADABLE',
                `The config file ${file} is not readable JSON`,
                { field: 'CLM_CONFIG' },
                { cause: error }
            );
        }
    }
    for (const secret of SECRET_ENV) {
        let node: unknown = raw;
        for (const key of secret.path) node = (node as Record<string, unknown> | undefined)?.[key];
        if (node !== undefined) {
            throw new ConnectorError(
                'CONFIG.SECRET_IN_FILE',
                `${secret.path.join('.')} is a secret: set ${secret.env} (or ${secret.env}_FILE) instead`,
                {
                    field: secret.path.join('.')
                }
            );
        }
    }
    const salesforce = (raw.salesforce ?? {}) as Record<string, unknown>;
    if (overrides.salesforceOrg !== undefined) {
        if (/^https?:\/\//i.test(overrides.salesforceOrg)) {
            delete salesforce.org;
            salesforce.loginUrl = overrides.salesforceOrg;
        } else {
            for (const field of JWT_LOGIN_FIELDS) delete salesforce[field];
            salesforce.org = overrides.salesforceOrg;
        }
        raw.salesforce = salesforce;
    }
    // An sf CLI org brings its own login: a JWT key in the environment is not for it.
    const usesSfCliOrg = salesforce.org !== undefined;
    for (const secret of SECRET_ENV) {
        if (usesSfCliOrg && secret.env === 'CLM_SF_PRIVATE_KEY') continue;
        const value = readSecret(env, secret.env);
        if (value !== undefined) setPath(raw, secret.path, value);
    }
    if (env.CLM_LOG_LEVEL) setPath(raw, ['log', 'level'], env.CLM_LOG_LEVEL);
    if (env.PORT) setPath(raw, ['http', 'port'], Number(env.PORT));
    return parseConfig(raw);
}

/** One thing wrong with the config: a stable code, the dotted path of the setting, and what to do. */
export interface ConfigProblem {
    code: string;
    field: string;
    message: string;
}

/**
 * Validates a raw config: unknown keys (CONFIG.UNKNOWN_KEY, with the nearest valid key), URLs that may not be
 * used (CONFIG.URL_*), then the schema (CONFIG.INVALID). Throws one ConnectorError listing every problem; its
 * code and field are the first problem's, so a typo is named before the "required" error it causes.
 */
export function parseConfig(raw: unknown): ConnectorConfig {
    const problems: ConfigProblem[] = [
        ...unknownKeys(ConnectorConfig, raw).map(({ field, nearest }) => ({
            code: 'CONFIG.UNKNOWN_KEY',
            field,
            message: `not a setting${nearest ? `: did you mean ${[...field.split('.').slice(0, -1), nearest].join('.')}?` : ''}`,
            ...(nearest ? { nearest } : {})
        })),
        ...urlProblems(raw)
    ];
    const parsed = ConnectorConfig.safeParse(raw);
    if (!parsed.success) {
        for (const issue of parsed.error.issues) {
            const field = issue.path.join('.');
            if (!problems.some((problem) => problem.field === field))
                problems.push({ code: 'CONFIG.INVALID', field, message: issue.message });
        }
    }
    if (problems.length > 0) {
        const [first] = problems;
        throw new ConnectorError(
            first!.code,
            `The configuration is invalid:\n${problems.map((problem) => `- ${problem.field || '(root)'}: [${problem.code}] ${problem.message}`).join('\n')}`,
            { field: first!.field, problems }
        );
    }
    return parsed.data!;
}

/** The config with every setting not on the loggable allow-list replaced (config/loggable.ts), safe to log or show. */
export function redactedConfig(config: ConnectorConfig): unknown {
    return loggableConfig(config);
}
