// Run-time values of the Apex interpreter. Strings, Ids, Booleans, Integers/Longs/Doubles are JS primitives;
// Decimal, Date, Datetime, Time, collections, sObjects and objects are the classes below.
import type { ClassInfo } from './classes.ts';

export class ApexDecimal {
    constructor(
        readonly n: number,
        readonly scale: number
    ) {}
    static parse(text: string): ApexDecimal {
        const dot = text.indexOf('.');
        return new ApexDecimal(Number(text), dot < 0 ? 0 : text.length - dot - 1);
    }
    static of(n: number): ApexDecimal {
        const s = String(n);
        const dot = s.indexOf('.');
        return new ApexDecimal(n, dot < 0 || s.includes('e') ? 0 : s.length - dot - 1);
    }
    toString(): string {
        return this.n.toFixed(Math.min(this.scale, 20));
    }
}

const DAY = 86_400_000;

export class ApexDate {
    /** Midnight UTC of the day, in epoch ms. */
    constructor(readonly ms: number) {}
    static of(y: number, m: number, d: number): ApexDate {
        return new ApexDate(Date.UTC(y, m - 1, d));
    }
    static parse(text: string): ApexDate {
        return new ApexDate(Date.parse(`${text.slice(0, 10)}T00:00:00Z`));
    }
    get parts(): { y: number; m: number; d: number } {
        const dt = new Date(this.ms);
        return { y: dt.getUTCFullYear(), m: dt.getUTCMonth() + 1, d: dt.getUTCDate() };
    }
    addDays(n: number): ApexDate {
        return new ApexDate(this.ms + n * DAY);
    }
    addMonths(n: number): ApexDate {
        const { y, m, d } = this.parts;
        const last = new Date(Date.UTC(y, m - 1 + n + 1, 0)).getUTCDate();
        return ApexDate.of(y, m + n, Math.min(d, last));
    }
    toString(): string {
        return new Date(this.ms).toISOString().slice(0, 10);
    }
}

export class ApexDatetime {
    constructor(readonly ms: number) {}
}

export class ApexTime {
    /** Milliseconds since midnight. */
    constructor(readonly ms: number) {}
    toString(): string {
        const d = new Date(this.ms);
        return d.toISOString().slice(11, 23) + 'Z';
    }
}

export class ApexList {
    /** A SOQL result: usable as a single sObject (`[SELECT …].Name`). */
    fromQuery = false;
    constructor(
        public items: unknown[],
        readonly elem: string
    ) {}
}

/** Set and Map key: value equality as Apex defines it (String keys case-sensitive, sObjects by field values). */
export function keyOf(v: unknown): unknown {
    if (v === null || v === undefined) return null;
    if (typeof v !== 'object') return typeof v === 'string' && /^[a-zA-Z0-9]{18}$/.test(v) ? v : v;
    if (v instanceof ApexDecimal) return v.n;
    if (v instanceof ApexDate) return `date:${v.ms}`;
    if (v instanceof ApexDatetime) return `datetime:${v.ms}`;
    if (v instanceof SObject)
        return `sobject:${v.type}:${JSON.stringify([...v.values.values()].map(([k, x]) => [k, keyOf(x)]))}`;
    if (v instanceof ApexEnumValue) return v;
    if (v instanceof Token) return `token:${v.kind}:${v.name.toLowerCase()}`;
    return v;
}

export class ApexSet {
    readonly map = new Map<unknown, unknown>();
    constructor(readonly elem: string) {}
    add(v: unknown): boolean {
        const k = keyOf(v);
        if (this.map.has(k)) return false;
        this.map.set(k, v);
        return true;
    }
    has(v: unknown): boolean {
        return this.map.has(keyOf(v));
    }
    delete(v: unknown): boolean {
        return this.map.delete(keyOf(v));
    }
    values(): unknown[] {
        return [...this.map.values()];
    }
}

export class ApexMap {
    readonly map = new Map<unknown, [unknown, unknown]>();
    constructor(
        readonly keyType: string,
        readonly valType: string,
        /** describe().fields.getMap(): keys lower-case, lookups case-insensitive. */
        readonly ci = false
    ) {}
    private k(key: unknown): unknown {
        return this.ci && typeof key === 'string' ? key.toLowerCase() : keyOf(key);
    }
    put(key: unknown, value: unknown): unknown {
        const k = this.k(key);
        const prev = this.map.get(k);
        this.map.set(k, [this.ci && typeof key === 'string' ? key.toLowerCase() : key, value]);
        return prev ? prev[1] : null;
    }
    get(key: unknown): unknown {
        return this.map.get(this.k(key))?.[1] ?? null;
    }
    has(key: unknown): boolean {
        return this.map.has(this.k(key));
    }
    delete(key: unknown): unknown {
        const k = this.k(key);
        const prev = this.map.get(k);
        this.map.delete(k);
        return prev ? prev[1] : null;
    }
    keys(): unknown[] {
        return [...this.map.values()].map(([k]) => k);
    }
    values(): unknown[] {
        return [...this.map.values()].map(([, v]) => v);
    }
}

/** An sObject: its type (canonical API name) and the fields set on it, by lower-case name. */
export class SObject {
    readonly values = new Map<string, [string, unknown]>();
    /** addError messages, by field ('' for the record). */
    errors: { field: string | null; message: string }[] = [];
    /** Retrieved by SOQL: reading a field the query did not select is an SObjectException. */
    fromQuery = false;
    constructor(readonly type: string) {}
    get(name: string): unknown {
        return this.values.get(name.toLowerCase())?.[1] ?? null;
    }
    has(name: string): boolean {
        return this.values.has(name.toLowerCase());
    }
    set(name: string, value: unknown): void {
        this.values.set(name.toLowerCase(), [name, value]);
    }
    clone(): SObject {
        const c = new SObject(this.type);
        for (const [k, v] of this.values) c.values.set(k, [v[0], v[1]]);
        return c;
    }
}

/** An instance of an Apex class (user or system exception). */
export class ApexObject {
    readonly fields = new Map<string, unknown>();
    constructor(readonly cls: ClassInfo) {}
}

export class ApexEnumValue {
    constructor(
        readonly enumName: string,
        readonly name: string,
        readonly ordinal: number
    ) {}
}

/** Schema tokens and `X.class`: sObject types, fields, Apex types. */
export class Token {
    constructor(
        readonly kind: 'sobjecttype' | 'sobjectfield' | 'type',
        /** Canonical object name; for fields `Object.Field`; for types the Apex type name. */
        readonly name: string
    ) {}
}

/** A value of a system class the runtime implements natively (SaveResult, DescribeFieldResult, UUID…). */
export class NativeObject {
    constructor(
        readonly typeName: string,
        readonly methods: Record<string, (...args: unknown[]) => unknown>,
        readonly props: Record<string, unknown> = {}
    ) {}
}

/** What a running `throw` carries through the JS stack. */
export class ApexThrow extends Error {
    constructor(readonly exception: ApexObject) {
        super(String(exception.fields.get('message') ?? ''));
    }
}

export function isNumber(v: unknown): v is number | ApexDecimal {
    return typeof v === 'number' || v instanceof ApexDecimal;
}

export function num(v: number | ApexDecimal): number {
    return typeof v === 'number' ? v : v.n;
}
