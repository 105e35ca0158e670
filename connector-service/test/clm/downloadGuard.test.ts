// Document downloads follow only the CLM host and the configured document hosts, never a private address; every
// hop has a timeout and the bytes a cap. The Ironclad and SpotDraft adapters run against the CLM emulator, whose
// `redirect` and `link` faults answer a download elsewhere; a second loopback server plays a storage host, reached
// as `localhost:<port>` — a host distinct from the emulator's `127.0.0.1:<port>`. Name resolution is a fake (no
// real DNS), and the transport refuses to open any connection to a non-loopback address, so a guard that let a
// private or public address through would fail here without anything leaving the machine.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClmEmulator, type ClmEmulator } from '@clm/emulators/clm';
import {
    DOWNLOAD_REFUSED,
    nodeTransport,
    type DownloadGuardDeps,
    type HopTransport,
    type ResolvedAddress
} from '../../src/adapters/clm/downloadGuard.ts';
import { refusedAddressReason } from '../../src/adapters/clm/networkAddress.ts';
import { IroncladAdapter } from '../../src/adapters/clm/ironclad/ironcladAdapter.ts';
import { SpotdraftAdapter } from '../../src/adapters/clm/spotdraft/spotdraftAdapter.ts';
import type { ClmPort } from '../../src/ports/clm.ts';
import { CLM_ERROR } from '../../src/ports/clm.ts';
import { EmulatorAdmin } from './emulatorBackends.ts';
import { expectClmError, sampleInput } from './portKit.ts';

const IRONCLAD_DOWNLOAD = 'GET /workflows/{id}/document/{key}/download';
const SPOTDRAFT_DOWNLOAD = 'POST /v2.1/public/contracts/{composite_id}/download';
const STORED_PDF = Buffer.from('%PDF-1.4\n% a stored copy\n%%EOF\n');

/** The fake DNS: names the tests use, and nothing else. */
const NAMES: Record<string, ResolvedAddress[]> = {
    localhost: [{ address: '127.0.0.1', family: 4 }],
    // Only this fake knows the name: a download reaches it only by connecting to the address the guard checked.
    'storage.example.test': [{ address: '127.0.0.1', family: 4 }],
    'files.example.test': [{ address: '10.0.0.1', family: 4 }],
    'rebind.example.test': [
        { address: '93.184.215.14', family: 4 },
        { address: '127.0.0.1', family: 4 }
    ]
};

interface StorageRequest {
    path: string;
    headers: IncomingHttpHeaders;
}

/** The storage host: a document, a redirect chain (/hop/<n>), a large chunked body and one that never answers. */
async function startStorage() {
    const requests: StorageRequest[] = [];
    const server = createServer((request, response) => {
        const path = request.url ?? '/';
        requests.push({ path, headers: request.headers });
        const hop = /^\/hop\/(\d+)$/.exec(path);
        if (hop) {
            const left = Number(hop[1]);
            response.writeHead(302, { location: left === 0 ? '/doc.pdf' : `/hop/${left - 1}` }).end();
        } else if (path === '/doc.pdf') {
            response.writeHead(200, { 'content-type': 'application/pdf' }).end(STORED_PDF);
        } else if (path === '/big') {
            // No content-length: the cap must stop the stream, not a header check.
            response.writeHead(200, { 'content-type': 'application/pdf' });
            for (let chunk = 0; chunk < 64; chunk++) response.write(Buffer.alloc(4096, 0x41));
            response.end();
        } else if (path === '/page.json') {
            // An answer that is not a document (an error page, an API listing): never kept as the contract's file.
            response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html>sign in</html>');
        } else if (path === '/slow') {
            // Never answers; the hop's timeout ends it.
        } else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
        port,
        requests,
        close: () => {
            server.closeAllConnections();
            return new Promise<void>((resolve) => server.close(() => resolve()));
        }
    };
}

let emulator: ClmEmulator;
let admin: EmulatorAdmin;
let storage: Awaited<ReturnType<typeof startStorage>>;
const lookups: string[] = [];
const connections: { host: string; addresses: string[] }[] = [];
const refusals: Record<string, unknown>[] = [];

/** Connects only to loopback: any other address means the guard let it through, and the test fails here. */
const loopbackOnlyTransport: HopTransport = (hop) => {
    const addresses = hop.addresses?.map((entry) => entry.address) ?? [hop.url.hostname];
    connections.push({ host: hop.url.host, addresses });
    for (const address of addresses) {
        if (!isIP(address) || refusedAddressReason(address) !== 'loopback address') {
            throw new Error(`the test would connect to ${address} (${hop.url.host})`);
        }
    }
    return nodeTransport(hop);
};

function downloadDeps(extra: Partial<DownloadGuardDeps> = {}): DownloadGuardDeps {
    return {
        lookup: async (hostname) => {
            lookups.push(hostname);
            const found = NAMES[hostname];
            if (!found) throw new Error(`no fake DNS entry for ${hostname}`);
            return found;
        },
        transport: loopbackOnlyTransport,
        log: (_level, _message, fields) => refusals.push(fields),
        ...extra
    };
}

function ironclad(settings: Record<string, unknown> = {}, deps: Partial<DownloadGuardDeps> = {}) {
    return new IroncladAdapter(
        {
            baseUrl: emulator.ironcladBaseUrl,
            tokenUrl: emulator.ironcladTokenUrl,
            clientId: emulator.ironcladClientId,
            clientSecret: emulator.ironcladClientSecret,
            actorEmail: emulator.ironcladUserEmail,
            templateName: emulator.ironcladTemplateName,
            ...settings
        },
        { downloads: downloadDeps(deps) }
    );
}

function spotdraft(settings: Record<string, unknown> = {}) {
    return new SpotdraftAdapter(
        {
            baseUrl: emulator.spotdraftBaseUrl,
            clientId: emulator.spotdraftClientId,
            clientSecret: emulator.spotdraftClientSecret,
            userEmail: emulator.spotdraftUserEmail,
            templateName: emulator.spotdraftTemplateName,
            ...settings
        },
        { downloads: downloadDeps() }
    );
}

/** A contract with its draft document; returns the port and the document id. */
async function contractWithDocument(port: ClmPort) {
    const created = await port.createContract(sampleInput('Opportunity'));
    const [document] = await port.listDocuments(created.id);
    expect(document).toBeDefined();
    return { id: created.id, documentId: document!.id };
}

function answerElsewhere(vendor: 'ironclad' | 'spotdraft', kind: 'redirect' | 'link', location: string) {
    const operation = vendor === 'ironclad' ? IRONCLAD_DOWNLOAD : SPOTDRAFT_DOWNLOAD;
    return admin.call('POST', '/faults', { vendor, operation, kind, location, count: 1 });
}

/** Downloads, expects a refusal, and checks that nothing was connected to and the refusal was logged. */
async function expectRefused(port: ClmPort, contract: { id: string; documentId: string }, reason: RegExp) {
    const connectionsBefore = connections.length;
    const storageBefore = storage.requests.length;
    const refusalsBefore = refusals.length;
    const details = await expectClmError(port.downloadDocument(contract.id, contract.documentId), DOWNLOAD_REFUSED);
    expect(details.reason).toMatch(reason);
    expect(details.retryable).toBe(false);
    expect(connections.length).toBe(connectionsBefore);
    expect(storage.requests.length).toBe(storageBefore);
    expect(refusals.slice(refusalsBefore)).toEqual([
        expect.objectContaining({ host: details.host, reason: details.reason })
    ]);
    return details;
}

beforeAll(async () => {
    emulator = await startClmEmulator({ port: 0 });
    admin = new EmulatorAdmin(emulator);
    storage = await startStorage();
});
afterAll(async () => {
    await storage?.close();
    await emulator?.close();
});

describe('document downloads stay on the CLM host', () => {
    it('downloads from the CLM host, and follows a link that stays on it', async () => {
        const port = ironclad();
        const contract = await contractWithDocument(port);
        const direct = await port.downloadDocument(contract.id, contract.documentId);
        expect(direct.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');

        // SpotDraft's download answered with its own pre-signed files link on the emulator's host.
        const sd = spotdraft();
        const sdContract = await contractWithDocument(sd);
        const linkResponse = await fetch(
            `${emulator.spotdraftBaseUrl}/v2.1/public/contracts/${sdContract.id}/download_link`,
            {
                method: 'POST',
                headers: {
                    'client-id': emulator.spotdraftClientId,
                    'client-secret': emulator.spotdraftClientSecret
                }
            }
        );
        const { url } = (await linkResponse.json()) as { url: string };
        expect(new URL(url).host).toBe(new URL(emulator.spotdraftBaseUrl).host);
        await answerElsewhere('spotdraft', 'link', url);
        const linked = await sd.downloadDocument(sdContract.id, sdContract.documentId);
        expect(linked.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
        expect(connections.at(-1)).toEqual({ host: new URL(url).host, addresses: ['127.0.0.1'] });
        expect(lookups).toEqual([]); // the CLM host itself is never checked against the address rules
    });

    it('refuses a link to another host: another loopback port, a private address, a name not listed', async () => {
        const port = spotdraft();
        const contract = await contractWithDocument(port);
        for (const location of [
            `http://127.0.0.1:${storage.port}/doc.pdf`,
            'http://10.0.0.1/doc.pdf',
            'https://evil.example.test/doc.pdf'
        ]) {
            await answerElsewhere('spotdraft', 'link', location);
            const details = await expectRefused(port, contract, /not the CLM host or a configured document host/);
            expect(details.host).toBe(new URL(location).host);
        }
        expect(lookups).toEqual([]); // refused on the name alone
    });

    it('refuses a redirect off the CLM host, and an https CLM is never left for plain http', async () => {
        const port = ironclad();
        const contract = await contractWithDocument(port);
        await answerElsewhere('ironclad', 'redirect', `http://localhost:${storage.port}/doc.pdf`);
        await expectRefused(port, contract, /not the CLM host/);
        await answerElsewhere('ironclad', 'redirect', 'http://169.254.169.254/latest/meta-data/iam/');
        await expectRefused(port, contract, /not the CLM host/);
    });

    it('refuses an allowed document host that is or resolves to a private, metadata or loopback address', async () => {
        const port = ironclad({
            documentHosts: [
                '169.254.169.254',
                '10.0.0.1',
                'files.example.test',
                'rebind.example.test',
                `localhost:${storage.port}`
            ]
        });
        const contract = await contractWithDocument(port);
        const cases: [string, RegExp][] = [
            ['http://169.254.169.254/latest/meta-data/iam/', /^metadata address$/],
            ['http://10.0.0.1/doc.pdf', /^private address$/],
            ['http://files.example.test/doc.pdf', /resolves to 10\.0\.0\.1, private address/],
            // Every address a name resolves to is checked, not only the first.
            ['http://rebind.example.test/doc.pdf', /resolves to 127\.0\.0\.1, loopback address/],
            [`http://localhost:${storage.port}/doc.pdf`, /resolves to 127\.0\.0\.1, loopback address/]
        ];
        for (const [location, reason] of cases) {
            await answerElsewhere('ironclad', 'redirect', location);
            await expectRefused(port, contract, reason);
        }
    });

    it('follows a redirect to a configured document host, without the CLM credentials', async () => {
        // The storage server is on loopback, which the rules refuse for any host but the CLM's: the test lets
        // this one host through (code only; the config file cannot), to see the allow-list and the hop work.
        const storageHost = `localhost:${storage.port}`;
        const port = ironclad({ documentHosts: [storageHost] }, { privateAddressHosts: [storageHost] });
        const contract = await contractWithDocument(port);
        await answerElsewhere('ironclad', 'redirect', `http://${storageHost}/hop/1`);
        const before = storage.requests.length;
        const document = await port.downloadDocument(contract.id, contract.documentId);
        expect(document.bytes).toEqual(STORED_PDF);
        const hops = storage.requests.slice(before);
        expect(hops.map((hop) => hop.path)).toEqual(['/hop/1', '/hop/0', '/doc.pdf']);
        for (const hop of hops) expect(hop.headers.authorization).toBeUndefined();
        expect(connections.at(-1)).toEqual({ host: storageHost, addresses: ['127.0.0.1'] });

        // Not listed under another port of the same name.
        await answerElsewhere('ironclad', 'redirect', `http://localhost:${emulator.port}/doc.pdf`);
        await expectRefused(port, contract, /not the CLM host/);
    });

    it('on the CLM host, follows only the vendor document paths: another API path is never fetched with the token', async () => {
        const port = ironclad();
        const contract = await contractWithDocument(port);
        // A redirect to the workflow listing on the CLM itself: before, its JSON came back as the "PDF".
        await answerElsewhere('ironclad', 'redirect', `${emulator.ironcladBaseUrl}/workflows?pageSize=100`);
        await expectRefused(port, contract, /not a document path of the CLM/);
        const sd = spotdraft();
        const sdContract = await contractWithDocument(sd);
        await answerElsewhere('spotdraft', 'link', `${emulator.spotdraftBaseUrl}/v2.1/public/contracts/`);
        await expectRefused(sd, sdContract, /not a document path of the CLM/);
    });

    it('refuses an answer whose content type is not a document', async () => {
        const storageHost = `localhost:${storage.port}`;
        const port = ironclad({ documentHosts: [storageHost] }, { privateAddressHosts: [storageHost] });
        const contract = await contractWithDocument(port);
        await answerElsewhere('ironclad', 'redirect', `http://${storageHost}/page.json`);
        const details = await expectClmError(port.downloadDocument(contract.id, contract.documentId), DOWNLOAD_REFUSED);
        expect(details.reason).toBe('content type text/html is not a document');
        expect(refusals.at(-1)).toMatchObject({ host: storageHost, reason: details.reason });
    });

    it('connects to the address it checked, not to a second answer from the system resolver', async () => {
        const storageHost = `storage.example.test:${storage.port}`;
        const port = ironclad({ documentHosts: [storageHost] }, { privateAddressHosts: [storageHost] });
        const contract = await contractWithDocument(port);
        await answerElsewhere('ironclad', 'redirect', `http://${storageHost}/doc.pdf`);
        expect((await port.downloadDocument(contract.id, contract.documentId)).bytes).toEqual(STORED_PDF);
        expect(storage.requests.at(-1)!.headers.host).toBe(storageHost);
    });

    it('stops after maxDownloadRedirects hops', async () => {
        const storageHost = `localhost:${storage.port}`;
        const port = ironclad(
            { documentHosts: [storageHost], maxDownloadRedirects: 3 },
            { privateAddressHosts: [storageHost] }
        );
        const contract = await contractWithDocument(port);
        await answerElsewhere('ironclad', 'redirect', `http://${storageHost}/hop/5`);
        const details = await expectClmError(port.downloadDocument(contract.id, contract.documentId), DOWNLOAD_REFUSED);
        expect(details.reason).toBe('more than 3 redirects or links');
    });

    it('refuses a document over maxDocumentBytes, from the CLM host and from a document host', async () => {
        const small = ironclad({ maxDocumentBytes: 100 });
        const contract = await contractWithDocument(small);
        await expectRefused(small, contract, /^larger than 100 bytes$/);

        const storageHost = `localhost:${storage.port}`;
        const port = ironclad(
            { documentHosts: [storageHost], maxDocumentBytes: 64 * 1024 },
            { privateAddressHosts: [storageHost] }
        );
        await answerElsewhere('ironclad', 'redirect', `http://${storageHost}/big`);
        const details = await expectClmError(port.downloadDocument(contract.id, contract.documentId), DOWNLOAD_REFUSED);
        expect(details).toMatchObject({ host: storageHost, reason: `larger than ${64 * 1024} bytes` });
    });

    it('gives up on a document host that does not answer within the timeout (retryable)', async () => {
        const storageHost = `localhost:${storage.port}`;
        const port = ironclad({ documentHosts: [storageHost], timeoutMs: 300 }, { privateAddressHosts: [storageHost] });
        const contract = await contractWithDocument(port);
        await answerElsewhere('ironclad', 'redirect', `http://${storageHost}/slow`);
        const details = await expectClmError(
            port.downloadDocument(contract.id, contract.documentId),
            CLM_ERROR.TRANSIENT
        );
        expect(details).toMatchObject({ host: storageHost, responseLost: true });
    });
});

describe('address rules', () => {
    it('classifies the addresses a download may not reach', () => {
        const refused: Record<string, string> = {
            '10.1.2.3': 'private address',
            '172.16.0.1': 'private address',
            '192.168.1.1': 'private address',
            '127.0.0.2': 'loopback address',
            '169.254.10.1': 'link-local address',
            '169.254.169.254': 'metadata address',
            '0.0.0.0': 'unspecified address',
            '::': 'unspecified address',
            '::1': 'loopback address',
            'fe80::1': 'link-local address',
            'fd12:3456::1': 'unique-local address',
            'fd00:ec2::254': 'metadata address',
            '::ffff:10.0.0.1': 'private address',
            '::ffff:7f00:1': 'loopback address',
            '64:ff9b::a9fe:a9fe': 'metadata address',
            '[::1]': 'loopback address'
        };
        for (const [address, reason] of Object.entries(refused))
            expect(refusedAddressReason(address), address).toBe(reason);
        for (const address of ['93.184.215.14', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
            expect(refusedAddressReason(address), address).toBeUndefined();
        }
    });

    it('rejects a malformed documentHosts entry when the adapter is configured', () => {
        expect(() => ironclad({ documentHosts: ['https://files.example.test/path'] })).toThrow(/documentHosts/);
    });
});
