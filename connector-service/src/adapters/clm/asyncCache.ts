/**
 * A value loaded on first use and shared by concurrent callers (an OAuth token, a template id, a
 * verification key). A failed load is not kept, so the next caller tries again; `invalidate()` forces a
 * reload (expired token, republished template, rotated key).
 */
export class AsyncCache<T> {
    private pending: Promise<T> | undefined;

    constructor(private readonly load: () => Promise<T>) {}

    get(): Promise<T> {
        if (!this.pending) {
            const pending = this.load();
            pending.catch(() => {
                if (this.pending === pending) this.pending = undefined;
            });
            this.pending = pending;
        }
        return this.pending;
    }

    invalidate(): void {
        this.pending = undefined;
    }
}

/**
 * One run at a time per key: a second caller with the same key while the first is running shares its
 * result. Used for creates, so two concurrent creates for one natural key cannot both miss the lookup.
 */
export class SingleFlight<T> {
    private readonly running = new Map<string, Promise<T>>();

    run(key: string, task: () => Promise<T>): Promise<T> {
        const current = this.running.get(key);
        if (current) return current;
        const started = task().finally(() => this.running.delete(key));
        this.running.set(key, started);
        return started;
    }
}
