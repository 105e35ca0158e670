// The emulator's clock. Vendor schedules (token expiry, rate-limit windows, webhook retry back-off measured in
// hours) run on virtual time so tests and demos can compress or step them: virtual time advances `scale` times
// faster than real time (0 = frozen, only `advance` moves it) and timers fire in virtual-time order.

interface Timer {
    id: number;
    dueAt: number;
    run: () => void;
}

export class VirtualClock {
    private realBase = Date.now();
    private virtualBase: number;
    private scaleFactor: number;
    private timers: Timer[] = [];
    private nextId = 1;
    private wakeup: NodeJS.Timeout | undefined;

    constructor(options: { start?: number; scale?: number } = {}) {
        this.virtualBase = options.start ?? Date.now();
        this.scaleFactor = options.scale ?? 1;
    }

    now(): number {
        return this.virtualBase + (Date.now() - this.realBase) * this.scaleFactor;
    }

    iso(): string {
        return new Date(this.now()).toISOString();
    }

    get scale(): number {
        return this.scaleFactor;
    }

    setScale(scale: number): void {
        this.rebase();
        this.scaleFactor = scale;
        this.arm();
    }

    /** Moves virtual time forward and runs every timer that became due, in due order. */
    advance(ms: number): void {
        this.rebase();
        this.virtualBase += ms;
        this.fireDue();
    }

    /** Runs `run` once `delayMs` of virtual time has passed. Returns a cancel function. */
    setTimer(delayMs: number, run: () => void): () => void {
        const timer: Timer = { id: this.nextId++, dueAt: this.now() + Math.max(0, delayMs), run };
        this.timers.push(timer);
        this.timers.sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
        this.arm();
        return () => {
            this.timers = this.timers.filter((candidate) => candidate !== timer);
            this.arm();
        };
    }

    /** Virtual milliseconds until the next timer is due (Infinity when none). */
    nextDueIn(): number {
        const next = this.timers[0];
        return next ? Math.max(0, next.dueAt - this.now()) : Number.POSITIVE_INFINITY;
    }

    pendingTimers(): number {
        return this.timers.length;
    }

    /** Real milliseconds until `virtualMs` of virtual time will have passed (Infinity when frozen). */
    realDelayFor(virtualMs: number): number {
        return this.scaleFactor > 0 ? virtualMs / this.scaleFactor : Number.POSITIVE_INFINITY;
    }

    stop(): void {
        if (this.wakeup) clearTimeout(this.wakeup);
        this.wakeup = undefined;
        this.timers = [];
    }

    private rebase(): void {
        const now = this.now();
        this.realBase = Date.now();
        this.virtualBase = now;
    }

    private fireDue(): void {
        // Bounded: each pass removes the timers it runs; timers scheduled while running wait for the next pass.
        const now = this.now();
        const due = this.timers.filter((timer) => timer.dueAt <= now);
        this.timers = this.timers.filter((timer) => timer.dueAt > now);
        for (const timer of due) timer.run();
        this.arm();
    }

    private arm(): void {
        if (this.wakeup) clearTimeout(this.wakeup);
        this.wakeup = undefined;
        const next = this.timers[0];
        if (!next || this.scaleFactor <= 0) return;
        const realMs = Math.min(2_147_000_000, Math.max(0, (next.dueAt - this.now()) / this.scaleFactor));
        this.wakeup = setTimeout(() => this.fireDue(), Math.ceil(realMs));
        this.wakeup.unref();
    }
}
