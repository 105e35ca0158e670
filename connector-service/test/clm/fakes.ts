/**
 * Test doubles for the CLM adapter unit tests: a manual clock and a scripted fetch that records calls.
 * (The port kit and contract tests run against the real CLM emulator instead.)
 */
import type { FetchLike } from '../../src/adapters/clm/http.ts';
import { IroncladAdapter } from '../../src/adapters/clm/ironclad/ironcladAdapter.ts';
import type { SpotdraftConfigInput } from '../../src/adapters/clm/spotdraft/config.ts';
import { SpotdraftAdapter } from '../../src/adapters/clm/spotdraft/spotdraftAdapter.ts';
import type { Clock } from '../../src/clock.ts';

export class ManualClock implements Clock {
    readonly sleeps: number[] = [];
    constructor(public time = Date.parse('2026-11-23T10:00:00.000Z')) {}
    now(): number {
        return this.time;
    }
    async sleep(ms: number): Promise<void> {
        this.sleeps.push(ms);
        this.time += ms;
    }
    advance(ms: number): void {
        this.time += ms;
    }
}

export interface RecordedCall {
    method: string;
    url: URL;
    headers: Record<string, string>;
    body: string | undefined;
}

export type Route = (call: RecordedCall) => Response | Promise<Response>;

/** A fetch that answers from `route` and keeps every call. */
export function scriptedFetch(route: Route): { fetch: FetchLike; calls: RecordedCall[] } {
    const calls: RecordedCall[] = [];
    const fetch: FetchLike = async (input, init) => {
        const call: RecordedCall = {
            method: init.method ?? 'GET',
            url: new URL(input),
            headers: Object.fromEntries(Object.entries((init.headers as Record<string, string>) ?? {})),
            body: typeof init.body === 'string' ? init.body : undefined
        };
        calls.push(call);
        return route(call);
    };
    return { fetch, calls };
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** An Ironclad adapter over a scripted fetch (hosts under .test never resolve: nothing leaves the process). */
export function scriptedIronclad(fetch: FetchLike, clock: Clock = new ManualClock()): IroncladAdapter {
    return new IroncladAdapter(
        {
            baseUrl: 'http://ironclad.test/public/api/v1',
            tokenUrl: 'http://ironclad.test/oauth/token',
            clientId: 'client',
            clientSecret: 'secret',
            actorEmail: 'integration@example.com',
            templateName: 'Sales Agreement'
        },
        { fetch, clock }
    );
}

export function scriptedSpotdraft(
    fetch: FetchLike,
    clock: Clock = new ManualClock(),
    extra: Partial<SpotdraftConfigInput> = {}
): SpotdraftAdapter {
    return new SpotdraftAdapter(
        {
            baseUrl: 'http://spotdraft.test/api',
            clientId: 'client',
            clientSecret: 'secret',
            userEmail: 'integration@example.com',
            templateName: 'Master Services Agreement',
            ...extra
        },
        { fetch, clock }
    );
}
