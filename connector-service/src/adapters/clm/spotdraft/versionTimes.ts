/**
 * SpotDraft exposes no modification time, and a contract's version is a content hash, which orders nothing: the time
 * the adapter first read the current version does (stable while the contract does not change, later at each change,
 * a change back to an earlier state included). With the creation time, a signature read after the create could rank
 * older and be dropped by the planner. Remembers the last 10,000 contracts; one forgotten reads as changed, which
 * plans nothing when nothing changed.
 */
export class VersionTimes {
    private readonly seen = new Map<string, { version: string; at: string }>();

    constructor(private readonly now: () => number) {}

    seenAt(id: string, version: string, created: Date): string {
        const last = this.seen.get(id);
        if (last?.version === version) return last.at;
        const at = new Date(Math.max(created.getTime(), this.now())).toISOString();
        this.seen.delete(id);
        this.seen.set(id, { version, at });
        if (this.seen.size > 10_000) this.seen.delete(this.seen.keys().next().value!);
        return at;
    }
}
