/**
 * Client of the connector's admin HTTP API (docs/admin-api.md) for the `sf clm sync …` and `conflicts` commands.
 * The URL comes from --connector-url, CLM_CONNECTOR_URL or the config file; the token from CLM_CONNECTOR_TOKEN
 * or the config file. The token is sent only as the bearer header: it never appears in output or errors.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Global, Messages } from '@salesforce/core';
import { Flags } from '@salesforce/sf-plugins-core';
import { z } from 'zod';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const errors = Messages.loadMessages('@clm/connector-service', 'clm.errors');

const REQUEST_TIMEOUT_MS = 30_000;

export const connectorUrlFlag = Flags.url({
    summary: 'Base URL of the connector\'s admin API (default: CLM_CONNECTOR_URL, then "url" in the config file).',
    char: 'u'
});

const ConfigFile = z.object({ url: z.string().url().optional(), token: z.string().min(1).optional() });

/** Where the plugin keeps the connector's URL and token when they are not given otherwise. */
export function configFilePath(env: NodeJS.ProcessEnv = process.env): string {
    return env.CLM_CONNECTOR_CONFIG ?? path.join(Global.SF_DIR, 'clm-connector.json');
}

function readConfigFile(file: string): z.infer<typeof ConfigFile> {
    let text: string;
    try {
        text = readFileSync(file, 'utf8');
    } catch {
        return {};
    }
    const parsed = ConfigFile.safeParse(JSON.parse(text));
    if (!parsed.success) throw errors.createError('connectorNotConfigured', [], [file]);
    return parsed.data;
}

export interface AdminApiTarget {
    url: string;
    token: string;
}

/** The one place the plugin reads the connector settings from the environment. */
export function resolveAdminApi(flagUrl: URL | undefined, env: NodeJS.ProcessEnv = process.env): AdminApiTarget {
    const file = configFilePath(env);
    const config = readConfigFile(file);
    const url = flagUrl?.toString() ?? env.CLM_CONNECTOR_URL ?? config.url;
    if (!url) throw errors.createError('connectorNotConfigured', [], [file]);
    const token = env.CLM_CONNECTOR_TOKEN ?? config.token;
    if (!token) throw errors.createError('connectorTokenMissing', [], [file]);
    return { url: url.replace(/\/+$/, ''), token };
}

export class AdminApi {
    constructor(private readonly target: AdminApiTarget) {}

    get<T>(pathAndQuery: string, schema: z.ZodType<T>): Promise<T> {
        return this.call('GET', pathAndQuery, undefined, schema);
    }

    post<T>(pathAndQuery: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
        return this.call('POST', pathAndQuery, body, schema);
    }

    private async call<T>(method: string, pathAndQuery: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
        const { url, token } = this.target;
        let response: Response;
        try {
            response = await fetch(`${url}${pathAndQuery}`, {
                method,
                headers: {
                    authorization: `Bearer ${token}`,
                    accept: 'application/json',
                    ...(body === undefined ? {} : { 'content-type': 'application/json' })
                },
                body: body === undefined ? undefined : JSON.stringify(body),
                signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
            });
        } catch (error) {
            const cause =
                (error as { cause?: { code?: string } })?.cause?.code ??
                (error instanceof Error ? error.name : 'network error');
            throw errors.createError('connectorUnreachable', [url, cause]);
        }
        const text = await response.text();
        if (response.status === 401 || response.status === 403)
            throw errors.createError('connectorUnauthorized', [url, String(response.status)]);
        let json: unknown;
        try {
            json = text === '' ? undefined : JSON.parse(text);
        } catch {
            json = undefined;
        }
        if (!response.ok) {
            const message =
                (json as { message?: unknown; error?: { message?: unknown } })?.message ??
                (json as { error?: { message?: unknown } })?.error?.message;
            throw errors.createError('connectorFailed', [
                url,
                method,
                pathAndQuery.split('?')[0]!,
                String(response.status),
                typeof message === 'string' ? message : text.slice(0, 200)
            ]);
        }
        const parsed = schema.safeParse(json);
        if (!parsed.success) {
            const issue = parsed.error.issues[0];
            throw errors.createError('connectorBadAnswer', [
                url,
                method,
                pathAndQuery.split('?')[0]!,
                `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`
            ]);
        }
        return parsed.data;
    }
}
