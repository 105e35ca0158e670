// The shared CLM HTTP layer: retries with backoff that honours Retry-After, what is and is not retried,
// the per-request timeout, and the mapping of vendor answers to CLM.* codes.
import { describe, expect, it } from 'vitest';
import { HttpClient, type FetchLike } from '../../src/adapters/clm/http.ts';
import { backoffDelay, parseRetryAfter, TokenBucket, WindowLimit } from '../../src/adapters/clm/rateLimit.ts';
import { CLM_ERROR } from '../../src/ports/clm.ts';
import { json, ManualClock, scriptedFetch, type Route } from './fakes.ts';
import { expectClmError } from './portKit.ts';

function client(route: Route, options: { clock?: ManualClock; fetch?: FetchLike; timeoutMs?: number } = {}) {
    const clock = options.clock ?? new ManualClock();
    const scripted = scriptedFetch(route);
    const http = new HttpClient({
        vendor: 'test',
        timeoutMs: options.timeoutMs ?? 1_000,
        buckets: { main: new TokenBucket(1_000, 1_000, clock) },
        authHeaders: async () => ({ authorization: 'Bearer t' }),
        fetch: options.fetch ?? scripted.fetch,
        clock,
        random: () => 0.5,
        backoff: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 5_000 }
    });
    return { http, calls: scripted.calls, clock };
}

const get = { method: 'GET' as const, url: 'http://vendor.test/things', bucket: 'main', operation: 'GET /things' };
const post = { ...get, method: 'POST' as const, operation: 'POST /things', json: { a: 1 } };

describe('CLM HTTP layer', () => {
    it('waits at least Retry-After after a 429 and then succeeds', async () => {
        let answered = 0;
        const { http, clock } = client(() =>
            answered++ === 0 ? json({ message: 'slow down' }, 429, { 'retry-after': '3' }) : json({ ok: true })
        );
        expect(await http.json(get)).toEqual({ ok: true });
        expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(3_000);
    });

    it('retries a 429 on POST (the vendor refused it), but not a 5xx or a lost response', async () => {
        let answered = 0;
        const throttled = client(() => (answered++ === 0 ? json({}, 429) : json({ id: 1 })));
        expect(await throttled.http.json(post)).toEqual({ id: 1 });
        expect(throttled.calls).toHaveLength(2);

        const failing = client(() => json({ message: 'boom' }, 502));
        const details = await expectClmError(failing.http.json(post), CLM_ERROR.TRANSIENT);
        expect(details.responseLost).toBe(true);
        expect(failing.calls).toHaveLength(1);

        const dropped = client(() => {
            throw new TypeError('fetch failed');
        });
        expect((await expectClmError(dropped.http.json(post), CLM_ERROR.TRANSIENT)).responseLost).toBe(true);
        expect(dropped.calls).toHaveLength(1);
    });

    it('retries GET on 5xx and network failure, then reports CLM.TRANSIENT', async () => {
        const failing = client(() => json({}, 503));
        await expectClmError(failing.http.json(get), CLM_ERROR.TRANSIENT);
        expect(failing.calls).toHaveLength(4);
    });

    it('reports CLM.RATE_LIMITED with retryAfterMs when every attempt is throttled', async () => {
        const { http, calls } = client(() => json({}, 429, { 'retry-after': '2' }));
        const details = await expectClmError(http.json(get), CLM_ERROR.RATE_LIMITED);
        expect(details.retryAfterMs).toBe(2_000);
        expect(calls).toHaveLength(4);
    });

    it('times out a call that does not answer', async () => {
        const hanging: FetchLike = (_input, init) =>
            new Promise((_resolve, reject) => {
                init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
            });
        const { http } = client(() => json({}), { fetch: hanging, timeoutMs: 20 });
        const details = await expectClmError(http.json(post), CLM_ERROR.TRANSIENT);
        expect(details.responseLost).toBe(true);
    });

    it('maps 401/404/409/400 to AUTH/NOT_FOUND/CONFLICT/VALIDATION, naming the vendor field', async () => {
        const cases: [number, unknown, string][] = [
            [401, { message: 'bad token' }, CLM_ERROR.AUTH],
            [404, { message: 'gone' }, CLM_ERROR.NOT_FOUND],
            [409, { detail: 'conflict' }, CLM_ERROR.CONFLICT],
            [400, { code: 'INVALID_PARAM', message: 'bad', param: 'counterpartyName' }, CLM_ERROR.VALIDATION]
        ];
        for (const [status, body, code] of cases) {
            const { http } = client(() => json(body, status));
            const details = await expectClmError(http.json(get), code);
            if (status === 400) expect(details.field).toBe('counterpartyName');
        }
        const { http } = client(() => new Response('<html>', { status: 200 }));
        expect((await expectClmError(http.json(get), CLM_ERROR.VALIDATION)).field).toBe('(body)');
    });

    it('backoff: jittered exponential, capped, never below Retry-After', () => {
        const policy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 1_000 };
        expect(backoffDelay(policy, 0, undefined, () => 0.999)).toBe(99);
        expect(backoffDelay(policy, 3, undefined, () => 0.999)).toBe(799);
        expect(backoffDelay(policy, 10, undefined, () => 0.999)).toBe(999);
        expect(backoffDelay(policy, 0, 2_500, () => 0)).toBe(2_500);
        expect(parseRetryAfter('7', 0)).toBe(7_000);
        expect(parseRetryAfter(new Date(60_000).toUTCString(), 0)).toBe(60_000);
        expect(parseRetryAfter('soon', 0)).toBeUndefined();
    });

    it("window limit: never more than the limit in any of the vendor's fixed windows, and all of it used", async () => {
        const clock = new ManualClock();
        const limit = new WindowLimit(10, 1_000, clock, 50);
        const start = clock.now();
        const times: number[] = [];
        for (let i = 0; i < 25; i++) {
            await limit.take();
            times.push(clock.now() - start);
        }
        // 10 at once, 10 once the first left the window (and its margin), 5 after the next.
        expect(times.filter((time) => time === 0)).toHaveLength(10);
        expect(times.slice(10, 20).every((time) => time === 1_050)).toBe(true);
        expect(times.slice(20).every((time) => time === 2_100)).toBe(true);
        // Wherever the vendor's windows start, none of them holds more than 10.
        for (let offset = 0; offset < 1_000; offset += 50) {
            const perWindow = new Map<number, number>();
            for (const time of times) {
                const window = Math.floor((start + time + offset) / 1_000);
                perWindow.set(window, (perWindow.get(window) ?? 0) + 1);
            }
            expect(Math.max(...perWindow.values())).toBeLessThanOrEqual(10);
        }
    });

    it('token bucket: a burst, then one call per 1/rate seconds', async () => {
        const clock = new ManualClock();
        const bucket = new TokenBucket(10, 10, clock);
        const start = clock.now();
        for (let i = 0; i < 30; i++) await bucket.take();
        // 10 from the burst, 20 more at 10/s.
        expect(clock.now() - start).toBe(2_000);
    });
});
