// The emulator's notion of "now". Tests move it forward (session expiry, retention) through the admin API;
// it never goes backwards, and successive readings are strictly increasing so that SystemModstamp orders writes.
export class Clock {
    private offsetMs = 0;
    private last = 0;

    now(): Date {
        return new Date(this.nowMs());
    }

    nowMs(): number {
        let t = Date.now() + this.offsetMs;
        if (t <= this.last) t = this.last + 1;
        this.last = t;
        return t;
    }

    /** Reads the time without reserving a unique millisecond (for comparisons only). */
    peekMs(): number {
        return Math.max(Date.now() + this.offsetMs, this.last);
    }

    advance(ms: number): void {
        this.offsetMs += ms;
    }

    reset(): void {
        this.offsetMs = 0;
    }
}

/** REST datetime format: 2021-11-06T17:38:40.000+0000 */
export function formatDateTime(ms: number): string {
    return new Date(ms).toISOString().replace('Z', '+0000');
}

export function parseDateTime(text: string): number | undefined {
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
    if (!m) return undefined;
    let zone = m[3] ?? 'Z';
    if (zone !== 'Z' && !zone.includes(':')) zone = zone.slice(0, 3) + ':' + zone.slice(3);
    const ms = Date.parse(`${m[1]}T${m[2]}${zone}`);
    return Number.isNaN(ms) ? undefined : ms;
}

export function parseDate(text: string): string | undefined {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
    if (!m) return undefined;
    const d = new Date(`${text.trim()}T00:00:00Z`);
    return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== text.trim() ? undefined : text.trim();
}

export function formatDate(ms: number): string {
    return new Date(ms).toISOString().slice(0, 10);
}
