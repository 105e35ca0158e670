/**
 * Calendar dates and instants in an IANA time zone (Intl only, no library): where a Date field's value falls for
 * a zone, and when a date starts there. Used by the Date ↔ DateTime transforms.
 */
export function isValidTimeZone(timeZone: string): boolean {
    try {
        new Intl.DateTimeFormat('en-US', { timeZone });
        return true;
    } catch {
        return false;
    }
}

/** The calendar date an instant falls on in a time zone. */
export function localDate(instant: string, timeZone: string): string {
    const parts = zonedParts(Date.parse(instant), timeZone);
    return `${parts.year}-${pad(parts.month)}-${pad(parts.day)}`;
}

/** The instant a calendar date starts in a time zone (its local midnight). */
export function zonedMidnight(date: string, timeZone: string): string {
    const [year, month, day] = date.split('-').map(Number) as [number, number, number];
    const wall = Date.UTC(year, month - 1, day);
    // Two passes settle the offset even when the date is a DST change day.
    let instant = wall - offsetMs(wall, timeZone);
    instant = wall - offsetMs(instant, timeZone);
    return new Date(instant).toISOString();
}

function offsetMs(instant: number, timeZone: string): number {
    const p = zonedParts(instant, timeZone);
    const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    return asUtc - Math.floor(instant / 1000) * 1000;
}

function zonedParts(instant: number, timeZone: string) {
    const format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric'
    });
    const get = (type: string) => Number(format.formatToParts(instant).find((part) => part.type === type)?.value);
    return {
        year: get('year'),
        month: get('month'),
        day: get('day'),
        hour: get('hour'),
        minute: get('minute'),
        second: get('second')
    };
}

function pad(value: number): string {
    return String(value).padStart(2, '0');
}
