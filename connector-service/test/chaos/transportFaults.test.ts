// The CLM adapters under transport faults: the Ironclad adapter talks to the CLM emulator through the fault proxy
// (test/support/faultProxy.ts), which adds latency, resets an answer halfway, holds a connection open without a
// word, trickles a body, or refuses connections. Reads survive what a retry can cure; what it cannot is a
// retryable CLM.TRANSIENT (never a hang, never a half-read answer taken as whole), and /readyz's reachability
// trips on it and recovers. The proxy's own counters prove each fault was really applied.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IroncladAdapter } from '../../src/adapters/clm/ironclad/ironcladAdapter.ts';
import { ClmReachability } from '../../src/app/clmReachability.ts';
import { systemClock } from '../../src/clock.ts';
import type { ClmPort } from '../../src/ports/clm.ts';
import { startClmEmulator, type ClmEmulator } from '@clm/emulators/clm';
import { FaultProxy } from '../../../test/support/faultProxy.ts';
import { sampleInput } from '../clm/portKit.ts';

let emulator: ClmEmulator;
let proxy: FaultProxy;
let port: ClmPort;
let workflowId: string;

beforeAll(async () => {
    emulator = await startClmEmulator({ port: 0 });
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: emulator.port });
    port = new IroncladAdapter(
        {
            baseUrl: proxy.wrap(emulator.ironcladBaseUrl),
            tokenUrl: proxy.wrap(emulator.ironcladTokenUrl),
            clientId: emulator.ironcladClientId,
            clientSecret: emulator.ironcladClientSecret,
            actorEmail: emulator.ironcladUserEmail,
            templateName: emulator.ironcladTemplateName,
            timeoutMs: 500
        },
        { backoff: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 } }
    );
    workflowId = (await port.createContract(sampleInput('Opportunity'))).id;
});

afterAll(async () => {
    await proxy?.close();
    await emulator?.close();
});

beforeEach(() => {
    proxy.clear();
    proxy.dropAll();
});

describe('transport faults between the connector and the CLM', () => {
    it('latency: answers arrive late and whole', async () => {
        proxy.set({ kind: 'latency', ms: 60 });
        const contract = await port.getContract(workflowId);
        expect(contract.id).toBe(workflowId);
    });

    it('a reset halfway through an answer is retried, and the read succeeds', async () => {
        const resetsBefore = proxy.counters.resets;
        proxy.set({ kind: 'reset', afterBytes: 40 }, 1);
        proxy.dropAll();
        const contract = await port.getContract(workflowId);
        expect(contract.id).toBe(workflowId);
        expect(proxy.counters.resets).toBe(resetsBefore + 1);
    });

    it('a half-open connection ends in the timeout, and the retry on a fresh connection succeeds', async () => {
        const before = proxy.counters.halfOpen;
        proxy.set({ kind: 'halfOpen' }, 1);
        proxy.dropAll();
        const contract = await port.getContract(workflowId);
        expect(contract.id).toBe(workflowId);
        expect(proxy.counters.halfOpen).toBe(before + 1);
    });

    it('a body trickled a few bytes at a time is read whole', async () => {
        proxy.set({ kind: 'slow', bytes: 64, everyMs: 1 });
        proxy.dropAll();
        const contract = await port.getContract(workflowId);
        expect(contract.id).toBe(workflowId);
    });

    it('a CLM that stays unreachable is a retryable CLM.TRANSIENT, and /readyz reachability trips and recovers', async () => {
        const reachability = new ClmReachability(systemClock);
        const watched = reachability.watch(port);
        proxy.set({ kind: 'refuse' });
        proxy.dropAll();
        for (let call = 0; call < 2; call++)
            await expect(watched.getContract(workflowId)).rejects.toMatchObject({ code: 'CLM.TRANSIENT' });
        expect(reachability.state()).toMatchObject({ reachable: false, lastErrorCode: 'CLM.TRANSIENT' });
        proxy.clear();
        expect((await watched.getContract(workflowId)).id).toBe(workflowId);
        expect(reachability.state().reachable).toBe(true);
    });
});
