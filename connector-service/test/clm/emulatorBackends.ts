/**
 * The Ironclad and SpotDraft adapters over the CLM emulator (started in-process), as port-kit backends.
 * Every request the adapters send goes through a recording fetch, so the contract test can check each
 * one against the vendor's OpenAPI spec. Vendor-side moves (signing, lost responses) use the emulator's
 * admin API.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startClmEmulator, type ClmEmulator } from '../../../test/emulators/clm/src/index.ts';
import type { FetchLike } from '../../src/adapters/clm/http.ts';
import { IroncladAdapter } from '../../src/adapters/clm/ironclad/ironcladAdapter.ts';
import { SpotdraftAdapter } from '../../src/adapters/clm/spotdraft/spotdraftAdapter.ts';
import type { ClmContract, ExternalRef } from '../../src/domain/clm.ts';
import type { ClmKitBackend } from './portKit.ts';

export interface SentRequest {
    method: string;
    url: string;
    headers: Record<string, string>;
    body: unknown;
}

/** Node's fetch, keeping a copy of every request. */
export function recordingFetch(sink: SentRequest[]): FetchLike {
    return (input, init) => {
        const headers = { ...((init.headers as Record<string, string> | undefined) ?? {}) };
        const contentType = headers['content-type'] ?? '';
        let body: unknown = undefined;
        if (typeof init.body === 'string') {
            body = contentType.includes('json')
                ? JSON.parse(init.body)
                : Object.fromEntries(new URLSearchParams(init.body).entries());
        }
        sink.push({ method: init.method ?? 'GET', url: input, headers, body });
        return fetch(input, init);
    };
}

export class EmulatorAdmin {
    constructor(readonly emulator: ClmEmulator) {}

    async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
        const response = await fetch(`${this.emulator.adminUrl}${path}`, {
            method,
            headers: body === undefined ? {} : { 'content-type': 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body)
        });
        const text = await response.text();
        if (!response.ok) throw new Error(`admin ${method} ${path}: ${response.status} ${text}`);
        return (text ? JSON.parse(text) : undefined) as T;
    }

    action(vendor: 'ironclad' | 'spotdraft', id: string, action: string, extra: Record<string, unknown> = {}) {
        return this.call<{ stage: string; signers: { status: string }[] }>(
            'POST',
            `/contracts/${vendor}/${encodeURIComponent(id)}/actions`,
            { action, ...extra }
        );
    }

    /** Every signer signs (one `sign` action each). */
    async signAll(vendor: 'ironclad' | 'spotdraft', id: string): Promise<void> {
        for (let signer = 0; signer < 10; signer++) {
            const state = await this.action(vendor, id, 'sign');
            if (state.signers.every((candidate) => candidate.status === 'signed')) return;
        }
        throw new Error(`contract ${id} still has unsigned signers after 10 signatures`);
    }

    async contracts(vendor: 'ironclad' | 'spotdraft') {
        return (
            await this.call<{
                contracts: { data: Record<string, unknown>; externalMetadata: Record<string, unknown> }[];
            }>('GET', `/contracts?vendor=${vendor}`)
        ).contracts;
    }

    counters() {
        return this.call<
            Record<
                'ironclad' | 'spotdraft',
                Record<
                    string,
                    { requests: number; rateLimited: number; dropped: number; statuses: Record<string, number> }
                >
            >
        >('GET', '/counters');
    }
}

export interface ReceivedDelivery {
    path: string;
    headers: Record<string, string>;
    rawBody: Buffer;
}

/** A local webhook receiver keeping each delivery's exact bytes. */
export async function startReceiver(): Promise<{
    url: string;
    received: ReceivedDelivery[];
    close: () => Promise<void>;
}> {
    const received: ReceivedDelivery[] = [];
    const server = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(request.headers)) {
                if (typeof value === 'string') headers[name] = value;
            }
            received.push({ path: request.url ?? '/', headers, rawBody: Buffer.concat(chunks) });
            response.writeHead(200).end();
        });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        received,
        close: () => new Promise((resolve) => server.close(() => resolve()))
    };
}

export async function startEmulatorBackends(sent: SentRequest[]) {
    const emulator = await startClmEmulator({ port: 0 });
    const admin = new EmulatorAdmin(emulator);
    const fetch = recordingFetch(sent);
    // Short backoff keeps retried 429s quick in tests; the policy's shape is the production one.
    const backoff = { maxAttempts: 10, baseDelayMs: 50, maxDelayMs: 2_000 };

    const ironclad = new IroncladAdapter(
        {
            baseUrl: emulator.ironcladBaseUrl,
            tokenUrl: emulator.ironcladTokenUrl,
            clientId: emulator.ironcladClientId,
            clientSecret: emulator.ironcladClientSecret,
            actorEmail: emulator.ironcladUserEmail,
            templateName: emulator.ironcladTemplateName,
            // Key rotation is tested within seconds; production keeps the 30 s floor between key fetches.
            webhookKeyRefreshIntervalMs: 0
        },
        { fetch, backoff }
    );
    const spotdraft = new SpotdraftAdapter(
        {
            baseUrl: emulator.spotdraftBaseUrl,
            clientId: emulator.spotdraftClientId,
            clientSecret: emulator.spotdraftClientSecret,
            userEmail: emulator.spotdraftUserEmail,
            templateName: emulator.spotdraftTemplateName,
            webhookKeyRefreshIntervalMs: 0
        },
        { fetch, backoff }
    );

    const vendorId = (contract: ClmContract, vendor: 'ironclad' | 'spotdraft') =>
        contract.refs.find((ref) => ref.system === vendor)!.id;

    const ironcladBackend: ClmKitBackend = {
        port: ironclad,
        naturalKeyObjectType: 'Opportunity',
        unknownContractId: '0'.repeat(24),
        sendForSignature: async (contract) => {
            await admin.action('ironclad', vendorId(contract, 'ironclad'), 'send-for-signature');
        },
        completeSignature: async (contract) => {
            const id = vendorId(contract, 'ironclad');
            await admin.signAll('ironclad', id);
            await admin.action('ironclad', id, 'complete'); // archived: the record is minted
        },
        loseNextCreateResponse: async () => {
            await admin.call('POST', '/faults', {
                vendor: 'ironclad',
                operation: 'POST /workflows',
                kind: 'drop',
                phase: 'after',
                count: 1
            });
        },
        countContracts: async (ref: ExternalRef) =>
            (await admin.contracts('ironclad')).filter((contract) => contract.data.sfOpportunityId === ref.id).length
    };

    const spotdraftBackend: ClmKitBackend = {
        port: spotdraft,
        naturalKeyObjectType: 'Opportunity',
        unknownContractId: 'T-999999',
        sendForSignature: async (contract) => {
            await admin.action('spotdraft', vendorId(contract, 'spotdraft'), 'send-for-signature');
        },
        completeSignature: async (contract) => {
            await admin.signAll('spotdraft', vendorId(contract, 'spotdraft'));
        },
        loseNextCreateResponse: async () => {
            await admin.call('POST', '/faults', {
                vendor: 'spotdraft',
                operation: 'POST /v2.1/public/contracts',
                kind: 'drop',
                phase: 'after',
                count: 1
            });
        },
        countContracts: async (ref: ExternalRef) =>
            (await admin.contracts('spotdraft')).filter((contract) => contract.externalMetadata.id === ref.id).length
    };

    return { emulator, admin, ironclad, spotdraft, ironcladBackend, spotdraftBackend };
}
