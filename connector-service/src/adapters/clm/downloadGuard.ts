/**
 * What a document download may reach. The vendor's first answer comes from the configured API base (the
 * adapters build that URL themselves); a redirect or a link in that answer (Ironclad's signed storage URLs,
 * SpotDraft's `download_link`) is followed by hand, one hop at a time, at most `maxRedirects` hops, and only to
 * the base host or a host the admin listed in `documentHosts`. Each hop's host is resolved here and every
 * address it resolves to must be public; the connection then goes to exactly those addresses (pinned through
 * the socket's `lookup`), so a DNS answer that changes between the check and the connect (rebinding) cannot
 * slip a private address in. Credentials go only to the base origin. Every hop has a timeout and the bytes a cap.
 * On the CLM's own host a download may only reach the vendor's document paths (`documentPaths`): a redirect to
 * another API path would otherwise be followed with the bearer token and its JSON kept as the document. The final
 * answer must carry a document's content type (PDF, Word, OpenDocument, RTF, plain bytes), never JSON or HTML.
 *
 * A refusal is `CLM.DOWNLOAD_REFUSED` (never retried), naming the host and the reason — never the full URL,
 * whose query string is often a signature — and is logged when the adapter was given a log.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { ConnectorError } from '../../domain/errors.ts';
import { CLM_ERROR, clmError } from '../../ports/clm.ts';
import { refusedAddressReason } from './networkAddress.ts';

export const DOWNLOAD_REFUSED = 'CLM.DOWNLOAD_REFUSED';

export interface DownloadPolicy {
    vendor: string;
    /** The configured API base URL. */
    baseUrl: string;
    /** `host`, `host:port` or `*.domain` (any subdomain); a pattern without a port matches the default port only. */
    documentHosts: readonly string[];
    maxRedirects: number;
    maxBytes: number;
    /** Per hop: connecting, the headers and the body. */
    timeoutMs: number;
    /** Paths on the base host a download may reach (the vendor's document endpoints); absent: any path. */
    documentPaths?: readonly RegExp[];
}

/**
 * The document endpoints of each vendor, relative to the configured API base path: Ironclad's workflow document
 * and record attachment downloads; SpotDraft's contract download and the pre-signed `…/files/<token>` link its
 * download_link answers with when the file is served from the API host.
 */
const VENDOR_DOCUMENT_PATHS: Record<string, readonly { pattern: string; besideApi?: true }[]> = {
    ironclad: [
        { pattern: '/workflows/[^/]+/document/[^/]+/download' },
        { pattern: '/records/[^/]+/attachments/[^/]+' }
    ],
    spotdraft: [
        { pattern: '/v2\\.1/public/contracts/[^/]+/download' },
        // Beside the API base (…/files next to …/api), not under it.
        { pattern: '/files/[A-Za-z0-9_-]+', besideApi: true }
    ]
};

/** Content types a downloaded document may have (what Salesforce Files keeps as a contract document). */
const DOCUMENT_TYPES =
    /^(application\/(pdf|octet-stream|msword|rtf|vnd\.openxmlformats-officedocument\.[\w.-]+|vnd\.oasis\.opendocument\.[\w.-]+)|binary\/octet-stream)$/i;

export interface ResolvedAddress {
    address: string;
    family: 4 | 6;
}

export type HostLookup = (hostname: string) => Promise<ResolvedAddress[]>;

export interface Hop {
    url: URL;
    /** The checked addresses to connect to; null for the base host (the system resolver decides). */
    addresses: readonly ResolvedAddress[] | null;
    headers: Record<string, string>;
    timeoutMs: number;
    maxBytes: number;
}

export interface HopResponse {
    status: number;
    headers: Headers;
    bytes: Buffer;
}

export type HopTransport = (hop: Hop) => Promise<HopResponse>;

export type DownloadLog = (level: 'warn', message: string, fields: Record<string, unknown>) => void;

export interface DownloadGuardDeps {
    lookup?: HostLookup;
    transport?: HopTransport;
    log?: DownloadLog;
    /**
     * Hosts besides the base host that may resolve to non-public addresses: local test setups only (a second
     * loopback server standing in for a storage host). Code can set it; the config file cannot.
     */
    privateAddressHosts?: readonly string[];
}

/** A body longer than the cap: the transport stops reading and the caller decides which error it is. */
export class BodyTooLarge extends Error {
    constructor(readonly limit: number) {
        super(`body larger than ${limit} bytes`);
    }
}

export class DownloadGuard {
    private readonly base: URL;
    private readonly lookup: HostLookup;
    private readonly transport: HopTransport;

    constructor(
        readonly policy: DownloadPolicy,
        private readonly deps: DownloadGuardDeps = {}
    ) {
        this.base = new URL(policy.baseUrl);
        this.lookup = deps.lookup ?? systemLookup;
        this.transport = deps.transport ?? nodeTransport;
    }

    /** A refusal error, logged. */
    refuse(url: URL, reason: string): ConnectorError {
        const fields = { vendor: this.policy.vendor, host: url.host, reason };
        this.deps.log?.('warn', 'document download refused', fields);
        return new ConnectorError(
            DOWNLOAD_REFUSED,
            `${this.policy.vendor} document download refused: ${url.host}: ${reason}`,
            { ...fields, retryable: false }
        );
    }

    /** Where a hop may go: the checked URL and the addresses to connect to; throws CLM.DOWNLOAD_REFUSED. */
    async check(url: URL): Promise<{ url: URL; addresses: ResolvedAddress[] | null }> {
        if (url.protocol !== 'https:' && url.protocol !== 'http:') throw this.refuse(url, `scheme ${url.protocol}`);
        // Plain http only where the configured base is plain http itself (a local emulator).
        if (url.protocol === 'http:' && this.base.protocol !== 'http:') throw this.refuse(url, 'not https');
        if (url.username || url.password) throw this.refuse(url, 'credentials in the URL');
        // The configured CLM host is trusted whatever it resolves to: the admin chose it, and a CLM reached on a
        // private network (the local emulator on 127.0.0.1, a vendor private link) must keep working. Every
        // other host — even one on the allow-list — must resolve to public addresses only.
        if (url.host === this.base.host) {
            if (this.policy.documentPaths && !this.policy.documentPaths.some((path) => path.test(url.pathname)))
                throw this.refuse(url, 'not a document path of the CLM');
            return { url, addresses: null };
        }
        if (!this.policy.documentHosts.some((pattern) => hostMatches(pattern, url))) {
            throw this.refuse(url, 'not the CLM host or a configured document host');
        }
        const hostname = url.hostname.replace(/^\[|\]$/g, '');
        const literal = isIP(hostname);
        let addresses: ResolvedAddress[];
        if (literal) addresses = [{ address: hostname, family: literal as 4 | 6 }];
        else {
            try {
                addresses = await this.lookup(hostname);
            } catch (cause) {
                throw clmError(
                    CLM_ERROR.TRANSIENT,
                    `${this.policy.vendor} document download: cannot resolve ${url.host}`,
                    { host: url.host },
                    cause
                );
            }
        }
        if (addresses.length === 0) throw this.refuse(url, 'resolves to no address');
        if (!this.deps.privateAddressHosts?.includes(url.host)) {
            for (const { address } of addresses) {
                const reason = refusedAddressReason(address);
                if (reason) throw this.refuse(url, `${literal ? '' : `resolves to ${address}, `}${reason}`);
            }
        }
        return { url, addresses };
    }

    /**
     * Follows redirects and links from the base host's first answer until a document arrives. `credentials`
     * gives the headers for a hop on the base origin; other hops carry none (a signed URL authorises itself).
     */
    async follow(
        first: HopResponse,
        firstUrl: string,
        credentials: () => Promise<Record<string, string>>
    ): Promise<HopResponse> {
        let response = first;
        let url = new URL(firstUrl);
        for (let hop = 0; ; hop++) {
            const next = this.nextLink(response, url);
            if (!next) break;
            if (hop >= this.policy.maxRedirects) {
                throw this.refuse(next, `more than ${this.policy.maxRedirects} redirects or links`);
            }
            const target = await this.check(next);
            const headers = {
                accept: 'application/pdf, application/octet-stream, */*',
                ...(next.origin === this.base.origin ? await credentials() : {})
            };
            try {
                response = await this.transport({
                    url: target.url,
                    addresses: target.addresses,
                    headers,
                    timeoutMs: this.policy.timeoutMs,
                    maxBytes: this.policy.maxBytes
                });
            } catch (cause) {
                if (cause instanceof BodyTooLarge) throw this.refuse(next, `larger than ${cause.limit} bytes`);
                throw clmError(
                    CLM_ERROR.TRANSIENT,
                    `${this.policy.vendor} document download from ${next.host}: no response`,
                    { host: next.host, responseLost: true },
                    cause
                );
            }
            url = next;
        }
        if (response.status >= 200 && response.status < 300) {
            // The content type the document arrived with; none at all is taken as plain bytes.
            const type = (response.headers.get('content-type') ?? 'application/octet-stream').split(';')[0]!.trim();
            if (!DOCUMENT_TYPES.test(type))
                throw this.refuse(url, `content type ${type.slice(0, 80)} is not a document`);
        }
        if (response.status < 200 || response.status >= 300) {
            // A signed link that expired or a storage hiccup: a new attempt asks the vendor for a fresh link.
            throw clmError(
                CLM_ERROR.TRANSIENT,
                `${this.policy.vendor} document download from ${url.host}: HTTP ${response.status}`,
                { host: url.host, status: response.status }
            );
        }
        return response;
    }

    /** A redirect's Location, or the `url` of a JSON answer (a download link); null when this is the document. */
    private nextLink(response: HopResponse, current: URL): URL | null {
        let link: string | undefined;
        if (response.status >= 300 && response.status < 400) {
            link = response.headers.get('location') ?? undefined;
            if (!link) throw this.refuse(current, `HTTP ${response.status} without a Location`);
        } else if (response.status >= 200 && response.status < 300 && isJson(response.headers)) {
            try {
                const body = JSON.parse(response.bytes.toString('utf8')) as { url?: unknown };
                if (typeof body?.url === 'string') link = body.url;
            } catch {
                return null;
            }
        }
        if (link === undefined) return null;
        try {
            return new URL(link, current);
        } catch {
            throw this.refuse(current, 'a malformed link');
        }
    }
}

function isJson(headers: Headers): boolean {
    return /\bjson\b/i.test(headers.get('content-type') ?? '');
}

function hostMatches(pattern: string, url: URL): boolean {
    const [, host, port] = /^(.*?)(?::(\d+))?$/.exec(pattern.toLowerCase())!;
    if ((port ?? '') !== url.port) return false;
    if (host!.startsWith('*.')) return url.hostname.endsWith(host!.slice(1));
    return url.hostname === host;
}

const systemLookup: HostLookup = async (hostname) =>
    (await dnsLookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({
        address,
        family: family === 6 ? 6 : 4
    }));

/** The socket connects to these addresses and no others: no second DNS query between check and connect. */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
    return (_hostname, options, callback) => {
        if (options.all)
            callback(
                null,
                addresses.map(({ address, family }) => ({ address, family }))
            );
        else callback(null, addresses[0]!.address, addresses[0]!.family);
    };
}

/** One GET with Node's http/https client, a fresh connection (no pooled socket), a timeout and a byte cap. */
export const nodeTransport: HopTransport = (hop) =>
    new Promise<HopResponse>((resolve, reject) => {
        const client = hop.url.protocol === 'https:' ? https : http;
        const request = client.request(
            hop.url,
            {
                method: 'GET',
                headers: hop.headers,
                agent: false,
                signal: AbortSignal.timeout(hop.timeoutMs),
                ...(hop.addresses ? { lookup: pinnedLookup(hop.addresses) } : {})
            },
            (response) => {
                const headers = new Headers();
                for (let index = 0; index < response.rawHeaders.length; index += 2) {
                    headers.append(response.rawHeaders[index]!, response.rawHeaders[index + 1]!);
                }
                const status = response.statusCode ?? 0;
                const declared = Number(headers.get('content-length') ?? 0);
                if (status >= 300 && status < 400) {
                    // Only the Location matters; the body is not read.
                    response.destroy();
                    return resolve({ status, headers, bytes: Buffer.alloc(0) });
                }
                if (declared > hop.maxBytes) {
                    response.destroy();
                    return reject(new BodyTooLarge(hop.maxBytes));
                }
                const chunks: Buffer[] = [];
                let length = 0;
                response.on('data', (chunk: Buffer) => {
                    length += chunk.length;
                    if (length > hop.maxBytes) {
                        response.destroy();
                        reject(new BodyTooLarge(hop.maxBytes));
                    } else chunks.push(chunk);
                });
                response.on('end', () => resolve({ status, headers, bytes: Buffer.concat(chunks) }));
                response.on('error', reject);
            }
        );
        request.on('error', reject);
        request.end();
    });

/** Reads a fetch Response's body, stopping (and cancelling the stream) past `maxBytes`. */
export async function readCapped(response: Response, maxBytes: number): Promise<Buffer> {
    if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
        await response.body?.cancel();
        throw new BodyTooLarge(maxBytes);
    }
    if (!response.body) return Buffer.alloc(0);
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let length = 0;
    for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        length += value.length;
        if (length > maxBytes) {
            await reader.cancel();
            throw new BodyTooLarge(maxBytes);
        }
        chunks.push(value);
    }
    return Buffer.concat(chunks);
}

/** The guard for an adapter, from the settings every adapter config has (`commonAdapterSettings`). */
export function downloadGuardFor(
    vendor: string,
    config: {
        baseUrl: string;
        documentHosts: readonly string[];
        maxDownloadRedirects: number;
        maxDocumentBytes: number;
        timeoutMs: number;
    },
    deps: DownloadGuardDeps = {}
): DownloadGuard {
    const basePath = new URL(config.baseUrl).pathname.replace(/\/$/, '');
    const documentPaths = VENDOR_DOCUMENT_PATHS[vendor]?.map(({ pattern, besideApi }) => {
        const prefix = besideApi ? basePath.replace(/\/[^/]*$/, '') : basePath;
        return new RegExp(`^${escapeRegExp(prefix)}${pattern}$`);
    });
    return new DownloadGuard(
        {
            vendor,
            baseUrl: config.baseUrl,
            ...(documentPaths ? { documentPaths } : {}),
            documentHosts: config.documentHosts,
            maxRedirects: config.maxDownloadRedirects,
            maxBytes: config.maxDocumentBytes,
            timeoutMs: config.timeoutMs
        },
        deps
    );
}

function escapeRegExp(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
