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
