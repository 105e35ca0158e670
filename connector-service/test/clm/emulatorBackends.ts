/**
 * The Ironclad and SpotDraft adapters over the CLM emulator (started in-process), as port-kit backends.
 * Every request the adapters send goes through a recording fetch, so the contract test can check each
 * one against the vendor's OpenAPI spec. Vendor-side moves (signing, lost responses) use the emulator's
 * admin API.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startClmEmulator, type ClmEmulator } from '@clm/emulators/clm';
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

/** The part of the admin API's contract view the tests read. */
export interface AdminContract {
    data: Record<string, unknown>;
    externalMetadata: Record<string, unknown>;
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

    async contracts(vendor: 'ironclad' | 'spotdraft'): Promise<AdminContract[]> {
        return (await this.call<{ contracts: AdminContract[] }>('GET', `/contracts?vendor=${vendor}`)).contracts;
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

    /** The kit's vendor-side moves for one vendor, through the admin API. */
    const backend = (
        vendor: 'ironclad' | 'spotdraft',
        port: ClmKitBackend['port'],
        facts: {
            unknownContractId: string;
            createOperation: string;
            /** Where the vendor keeps the natural key, as the admin API shows a contract. */
            naturalKeyOf: (contract: AdminContract) => unknown;
            /** Ironclad archives a fully signed workflow into a record; SpotDraft is EXECUTED once signed. */
            archiveAfterSigning: boolean;
        }
    ): ClmKitBackend => {
        const idOf = (contract: ClmContract) => contract.refs.find((ref) => ref.system === vendor)!.id;
        return {
            port,
            naturalKeyObjectType: 'Opportunity',
            unknownContractId: facts.unknownContractId,
            sendForSignature: async (contract) => {
                await admin.action(vendor, idOf(contract), 'send-for-signature');
            },
            completeSignature: async (contract) => {
                await admin.signAll(vendor, idOf(contract));
                if (facts.archiveAfterSigning) await admin.action(vendor, idOf(contract), 'complete');
            },
            loseNextCreateResponse: async () => {
                await admin.call('POST', '/faults', {
                    vendor,
                    operation: facts.createOperation,
                    kind: 'drop',
                    phase: 'after',
                    count: 1
                });
            },
            countContracts: async (ref: ExternalRef) =>
                (await admin.contracts(vendor)).filter((contract) => facts.naturalKeyOf(contract) === ref.id).length
        };
    };
    const ironcladBackend = backend('ironclad', ironclad, {
        unknownContractId: '0'.repeat(24),
        createOperation: 'POST /workflows',
        naturalKeyOf: (contract) => contract.data.sfOpportunityId,
        archiveAfterSigning: true
    });
    const spotdraftBackend = backend('spotdraft', spotdraft, {
        unknownContractId: 'T-999999',
        createOperation: 'POST /v2.1/public/contracts',
        naturalKeyOf: (contract) => contract.externalMetadata.id,
        archiveAfterSigning: false
    });

    return { emulator, admin, ironclad, spotdraft, ironcladBackend, spotdraftBackend };
}
