/**
 * The connector's one source of time. Everything that stamps, schedules, expires or measures takes a `Clock`,
 * and this module is the only place in the service that reads the wall clock (a lint rule holds the rest to it),
 * so a test that fixes or advances time does so for the store, the engine, the leases and the metrics at once.
 */

export interface Clock {
    /** Epoch milliseconds. */
    now(): number;
    /** Resolves once `ms` have passed on this clock. */
    sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))
};

/**
 * A clock that moves only when told (tests, simulations). `sleep` is virtual: it moves the clock forward by the
 * time asked for and yields once, so a loop that waits on it runs at once without reading real time.
 */
export class ManualClock implements Clock {
    private current: number;

    constructor(start: number | string | Date) {
        this.current = typeof start === 'number' ? start : new Date(start).getTime();
        if (!Number.isFinite(this.current)) throw new RangeError(`not an instant: ${String(start)}`);
    }

    now(): number {
        return this.current;
    }

    /** Sets the time; a clock never moves back. */
    set(at: number | string | Date): void {
        const next = typeof at === 'number' ? at : new Date(at).getTime();
        if (!(next >= this.current)) throw new RangeError(`the clock does not move back (${this.current} → ${next})`);
        this.current = next;
    }

    advance(ms: number): number {
        this.set(this.current + ms);
        return this.current;
    }

    sleep(ms: number): Promise<void> {
        this.advance(Math.max(0, ms));
        return new Promise((resolve) => setImmediate(resolve));
    }

    /** The time as an ISO string (handy for fixtures stated relative to the clock). */
    iso(offsetMs = 0): string {
        return new Date(this.current + offsetMs).toISOString();
    }
}
