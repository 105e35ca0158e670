/**
 * Where the config may send the connector: every setting whose name ends in `Url` (the login, CLM API and token
 * URLs, the public webhook URL, the alert webhook) is an http(s) URL; plain http only to a loopback host (a local
 * emulator); and never a private, link-local, metadata or otherwise non-public address literal. Credentials go to
 * these URLs, so a typo or a hostile edit must not point them at `http://` on the open network or at the cloud
 * metadata endpoint. Host names are not resolved here (the config is read before the network is up).
 */
import { isIP } from 'node:net';
import { refusedAddressReason } from '../adapters/clm/networkAddress.ts';

export interface UrlProblem {
    code: 'CONFIG.URL_SCHEME' | 'CONFIG.URL_NOT_HTTPS' | 'CONFIG.URL_TARGET';
    field: string;
    message: string;
}

const LOOPBACK_NAMES = new Set(['localhost']);

export function isLoopbackHost(hostname: string): boolean {
    const bare = hostname.replace(/^\[|\]$/g, '');
    if (LOOPBACK_NAMES.has(bare.toLowerCase()) || bare.toLowerCase().endsWith('.localhost')) return true;
    return isIP(bare) !== 0 && refusedAddressReason(bare) === 'loopback address';
}

/** The problem with one URL setting, or undefined when it may be used. */
export function urlProblem(field: string, value: string): UrlProblem | undefined {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return undefined; // the schema reports a malformed URL
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
        return { code: 'CONFIG.URL_SCHEME', field, message: `${url.protocol} is not allowed: use an https:// URL` };
    if (isLoopbackHost(url.hostname)) return undefined;
    if (url.protocol !== 'https:')
        return {
            code: 'CONFIG.URL_NOT_HTTPS',
            field,
            message: `${url.host}: plain http is allowed only to a loopback host; use https://`
        };
    const bare = url.hostname.replace(/^\[|\]$/g, '');
    const reason = isIP(bare) ? refusedAddressReason(bare) : undefined;
    if (reason) return { code: 'CONFIG.URL_TARGET', field, message: `${url.host} is a ${reason}: not a target` };
    return undefined;
}

/** Every `…Url` string in the raw config, checked. */
export function urlProblems(value: unknown, path: string[] = []): UrlProblem[] {
    if (Array.isArray(value)) return value.flatMap((child, index) => urlProblems(child, [...path, String(index)]));
    if (typeof value !== 'object' || value === null) return [];
    return Object.entries(value).flatMap(([key, child]) => {
        if (/Url$/.test(key) && typeof child === 'string') {
            const problem = urlProblem([...path, key].join('.'), child);
            return problem ? [problem] : [];
        }
        return urlProblems(child, [...path, key]);
    });
}
