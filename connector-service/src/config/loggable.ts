/**
 * What of the config may be logged or shown: an allow-list of settings, never a pattern of secret-looking names
 * (`webhookHmacKeyBase64` matched none and was logged in clear). A setting not listed here — including one added
 * to a schema later — is shown as `[redacted]`; credentials inside a listed URL are stripped too.
 */

/** Dotted paths whose value may be logged; `*` matches one key, and a path covers everything beneath it. */
const LOGGABLE: readonly string[] = [
    'name',
    'salesforce.login',
    'salesforce.org',
    'salesforce.loginUrl',
    'salesforce.clientId',
    'salesforce.username',
    'salesforce.apiVersion',
    'salesforce.connectorClientId',
    'salesforce.orgCurrency',
    'salesforce.pubsub',
    'clm.vendor',
    'clm.customFields',
    'clm.contractUrlTemplate',
    // The vendor adapters' settings that are not credentials (adapters/clm/*/config.ts, adapterConfig.ts).
    'clm.*.baseUrl',
    'clm.*.tokenUrl',
    'clm.*.clientId',
    'clm.*.scopes',
    'clm.*.actorEmail',
    'clm.*.userEmail',
    'clm.*.templateName',
    'clm.*.naturalKey',
    'clm.*.naturalKeyObjectType',
    'clm.*.externalMetadataKey',
    'clm.*.attributes',
    'clm.*.lineItemColumns',
    'clm.*.recordProperties',
    'clm.*.customAttributes',
    'clm.*.customFields',
    'clm.*.dataFields',
    'clm.*.rateLimitsPerMinute',
    'clm.*.requestsPerSecond',
    'clm.*.webhookEvents',
    'clm.*.webhookActivities',
    'clm.*.timeoutMs',
    'clm.*.webhookToleranceMs',
    'clm.*.webhookKeyRefreshIntervalMs',
    'clm.*.pageSize',
    'clm.*.maxPages',
    'clm.*.documentHosts',
    'clm.*.maxDownloadRedirects',
    'clm.*.maxDocumentBytes',
    'clm.*.maxResponseBytes',
    'store.kind',
    'store.file',
    'http',
    'sync',
    'alerts.format',
    'log'
];

const REDACTED = '[redacted]';

function matches(pattern: string, path: readonly string[]): boolean {
    const parts = pattern.split('.');
    if (parts.length > path.length) return false;
    return parts.every((part, index) => part === '*' || part === path[index]);
}

function allowed(path: readonly string[]): boolean {
    return LOGGABLE.some((pattern) => matches(pattern, path));
}

/** Whether some allowed path lies beneath `path` (so an object there is walked rather than redacted whole). */
function leadsToAllowed(path: readonly string[]): boolean {
    return LOGGABLE.some((pattern) => {
        const parts = pattern.split('.');
        return parts.length > path.length && path.every((key, index) => parts[index] === '*' || parts[index] === key);
    });
}

function stripCredentials(value: string): string {
    return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, `$1${REDACTED}@`);
}

/** The config as it may be logged: allowed settings as they are, everything else `[redacted]`. */
export function loggableConfig(config: unknown): unknown {
    const walk = (value: unknown, path: string[]): unknown => {
        if (path.length > 0 && allowed(path)) {
            if (typeof value === 'string') return stripCredentials(value);
            if (Array.isArray(value)) return value.map((item, index) => walk(item, [...path, String(index)]));
            if (value && typeof value === 'object')
                return Object.fromEntries(
                    Object.entries(value).map(([key, child]) => [key, walk(child, [...path, key])])
                );
            return value;
        }
        if (value && typeof value === 'object' && !Array.isArray(value) && (path.length === 0 || leadsToAllowed(path)))
            return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, walk(child, [...path, key])]));
        return value === undefined ? undefined : REDACTED;
    };
    return walk(config, []);
}
