// One Apex transaction: who runs it, its static state, its governor limits, its debug log and its async work.
import type { ClassInfo } from './classes.ts';
import type { ApexData } from './data.ts';

/** Governor limits (Apex Developer Guide, "Execution Governors and Limits"). */
export const LIMITS = {
    soqlSync: 100,
    soqlAsync: 200,
    dml: 150,
    queryRows: 50_000,
    dmlRows: 10_000
} as const;

export interface Counters {
    queries: number;
    queryRows: number;
    dmlStatements: number;
    dmlRows: number;
}

export class Execution {
    readonly statics = new Map<ClassInfo, Map<string, unknown>>();
    /** System.runAs pushes; the first is the transaction's user. */
    readonly users: string[];
    readonly log: string[] = [];
    readonly stack: string[] = [];
    depth = 0;
    /**
     * Whether record sharing applies to system-mode data access now: set by the running class's `with sharing`,
     * cleared by `without sharing`, kept by a class that declares neither (inherited sharing: with at the entry).
     */
    sharing = false;
    line = 0;
    counters: Counters = { queries: 0, queryRows: 0, dmlStatements: 0, dmlRows: 0 };
    /** Queueables, @future calls, schedules: run at Test.stopTest in a test, after commit otherwise. */
    asyncQueue: (() => void)[] = [];
    inTest = false;
    seeAllData = false;
    testStarted = false;
    /** Limits of the test before Test.startTest, restored at stopTest. */
    savedCounters: Counters | null = null;
    async = false;
    asyncKind: 'batch' | 'future' | 'queueable' | 'scheduled' | null = null;
    /** Trigger context while a trigger runs. */
    trigger: Record<string, unknown> | null = null;
    /** EventBus.TriggerContext.currentContext().retries of the running platform-event trigger. */
    eventRetries = 0;

    constructor(
        userId: string,
        readonly data: ApexData,
        private readonly timeZone: (userId: string) => string
    ) {
        this.users = [userId];
    }

    get userId(): string {
        return this.users[this.users.length - 1]!;
    }

    debug(level: string, message: string): void {
        const t = new Date(this.data.nowMs());
        const stamp = t.toISOString().slice(11, 19) + '.' + String(t.getUTCMilliseconds()).padStart(3, '0');
        this.log.push(`${stamp} (${this.data.nowMs()})|USER_DEBUG|[${this.line}]|${level}|${message}`);
    }

    /** A Datetime in the running user's time zone, formatted with a Java SimpleDateFormat-style pattern. */
    formatLocal(ms: number, pattern: string): string {
        return formatPattern(ms, pattern, this.timeZone(this.userId));
    }

    zone(): string {
        return this.timeZone(this.userId);
    }
}

/** The wall-clock parts of an instant in a time zone. */
export function zoned(
    ms: number,
    timeZone: string
): { y: number; m: number; d: number; h: number; mi: number; s: number; ms: number } {
    const parts = new Intl.DateTimeFormat('en-US', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23'
    }).formatToParts(new Date(ms));
    const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
    return {
        y: get('year'),
        m: get('month'),
        d: get('day'),
        h: get('hour'),
        mi: get('minute'),
        s: get('second'),
        ms: ms % 1000
    };
}

/** Epoch ms of a wall-clock time in a time zone. */
export function fromZoned(y: number, m: number, d: number, h: number, mi: number, s: number, timeZone: string): number {
    const guess = Date.UTC(y, m - 1, d, h, mi, s);
    const z = zoned(guess, timeZone);
    const offset = Date.UTC(z.y, z.m - 1, z.d, z.h, z.mi, z.s) - guess;
    return guess - offset;
}

export function formatPattern(ms: number, pattern: string, timeZone: string): string {
    const z = zoned(ms, timeZone);
    const pad = (n: number, w: number): string => String(n).padStart(w, '0');
    let out = '';
    for (let i = 0; i < pattern.length;) {
        const c = pattern[i]!;
        if (c === "'") {
            const end = pattern.indexOf("'", i + 1);
            out += end === i + 1 ? "'" : pattern.slice(i + 1, end < 0 ? undefined : end);
            i = end < 0 ? pattern.length : end + 1;
            continue;
        }
        let n = 1;
        while (pattern[i + n] === c) n++;
        i += n;
        switch (c) {
            case 'y':
                out += n === 2 ? pad(z.y % 100, 2) : pad(z.y, n);
                break;
            case 'M':
                out += pad(z.m, n);
                break;
            case 'd':
                out += pad(z.d, n);
                break;
            case 'H':
                out += pad(z.h, n);
                break;
            case 'h':
                out += pad(z.h % 12 === 0 ? 12 : z.h % 12, n);
                break;
            case 'm':
                out += pad(z.mi, n);
                break;
            case 's':
                out += pad(z.s, n);
                break;
            case 'S':
                out += pad(new Date(ms).getUTCMilliseconds(), 3).slice(0, n);
                break;
            case 'a':
                out += z.h < 12 ? 'AM' : 'PM';
                break;
            case 'Z': {
                const off = Math.round((Date.UTC(z.y, z.m - 1, z.d, z.h, z.mi, z.s) - (ms - (ms % 1000))) / 60000);
                out += (off < 0 ? '-' : '+') + pad(Math.floor(Math.abs(off) / 60), 2) + pad(Math.abs(off) % 60, 2);
                break;
            }
            default:
                out += c.repeat(n);
        }
    }
    return out;
}
