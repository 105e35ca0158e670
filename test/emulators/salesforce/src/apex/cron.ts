// Salesforce cron expressions (System.schedule): `Seconds Minutes Hours Day_of_month Month Day_of_week [Year]`,
// with numbers, `*`, `?`, lists, ranges, increments, month and day names. The next fire time is computed in the
// scheduling user's time zone, as the platform does.
import { fromZoned, zoned } from './execution.ts';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export class CronError extends Error {}

function field(text: string, min: number, max: number, names: string[] = [], base = min): Set<number> | null {
    if (text === '*' || text === '?') return null;
    const out = new Set<number>();
    const value = (v: string): number => {
        const i = names.indexOf(v.toUpperCase());
        const n = i >= 0 ? i + base : Number(v);
        if (!Number.isInteger(n) || n < min || n > max) throw new CronError(`Invalid cron value: ${v}`);
        return n;
    };
    for (const part of text.split(',')) {
        const [range, stepText] = part.split('/') as [string, string | undefined];
        const step = stepText === undefined ? 1 : Number(stepText);
        if (!Number.isInteger(step) || step < 1) throw new CronError(`Invalid cron increment: ${part}`);
        const [from, to] =
            range === '*'
                ? [min, max]
                : range.includes('-')
                  ? range.split('-').map(value)
                  : [value(range), stepText ? max : value(range)];
        for (let n = from!; n <= to!; n += step) out.add(n);
    }
    return out;
}

export interface Cron {
    seconds: Set<number> | null;
    minutes: Set<number> | null;
    hours: Set<number> | null;
    days: Set<number> | null;
    months: Set<number> | null;
    weekdays: Set<number> | null;
    years: Set<number> | null;
}

export function parseCron(expression: string): Cron {
    const parts = expression.trim().split(/\s+/);
    if (parts.length < 6 || parts.length > 7) throw new CronError(`Invalid cron expression: ${expression}`);
    const [s, mi, h, dom, mon, dow, y] = parts as [string, string, string, string, string, string, string?];
    if (/[LW#]/.test(dom + dow))
        throw new CronError(`not supported by the org emulator: L, W and # in cron expressions (${expression})`);
    return {
        seconds: field(s, 0, 59),
        minutes: field(mi, 0, 59),
        hours: field(h, 0, 23),
        days: field(dom, 1, 31),
        months: field(mon, 1, 12, MONTHS, 1),
        weekdays: field(dow, 1, 7, DAYS, 1),
        years: y === undefined ? null : field(y, 1970, 2099)
    };
}

const has = (set: Set<number> | null, n: number): boolean => set === null || set.has(n);

/** The first fire time strictly after `afterMs`, in `timeZone`; null when there is none within five years. */
export function nextFire(cron: Cron, afterMs: number, timeZone: string): number | null {
    const start = zoned(afterMs, timeZone);
    for (let day = 0; day < 366 * 5; day++) {
        const date = new Date(Date.UTC(start.y, start.m - 1, start.d + day));
        const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
        if (
            !has(cron.years, y) ||
            !has(cron.months, m) ||
            !has(cron.days, d) ||
            !has(cron.weekdays, date.getUTCDay() + 1)
        )
            continue;
        for (let h = 0; h < 24; h++) {
            if (!has(cron.hours, h)) continue;
            for (let mi = 0; mi < 60; mi++) {
                if (!has(cron.minutes, mi)) continue;
                for (let s = 0; s < 60; s++) {
                    if (!has(cron.seconds, s)) continue;
                    const ms = fromZoned(y, m, d, h, mi, s, timeZone);
                    if (ms > afterMs) return ms;
                }
            }
        }
    }
    return null;
}
