// Avro schemas the event bus serves through GetSchema, generated from the org's own object definitions:
// `<Entity>ChangeEvent` for Change Data Capture and `<Name>__e` for platform events, both in namespace
// com.sforce.eventbus (sf-wire.md §5.3). A schema id is the MD5 fingerprint of the schema's canonical form in
// base64url (22 characters, the shape real ids have), so it stays the same for the same definition. The field
// positions here are the ones changedFields/nulledFields/diffFields bitmaps count (sf-wire.md §4.2).
import avro from 'avsc';
import { parseDateTime } from '../clock.ts';
import type { SfRecord, SfValue } from '../store.ts';
import type { FieldDef, ObjectDef } from '../schema/types.ts';

export const NAMESPACE = 'com.sforce.eventbus';

export const CHANGE_TYPES = [
    'CREATE',
    'UPDATE',
    'DELETE',
    'UNDELETE',
    'GAP_CREATE',
    'GAP_UPDATE',
    'GAP_DELETE',
    'GAP_UNDELETE',
    'GAP_OVERFLOW',
    'SNAPSHOT'
] as const;
export type CdcChangeType = (typeof CHANGE_TYPES)[number];

const CHANGE_EVENT_HEADER = {
    type: 'record',
    name: 'ChangeEventHeader',
    namespace: NAMESPACE,
    fields: [
        { name: 'entityName', type: 'string' },
        { name: 'recordIds', type: { type: 'array', items: 'string' } },
        { name: 'changeType', type: { type: 'enum', name: 'ChangeType', namespace: NAMESPACE, symbols: CHANGE_TYPES } },
        { name: 'changeOrigin', type: 'string' },
        { name: 'transactionKey', type: 'string' },
        { name: 'sequenceNumber', type: 'int' },
        { name: 'commitTimestamp', type: 'long' },
        { name: 'commitNumber', type: 'long' },
        { name: 'commitUser', type: 'string' },
        { name: 'nulledFields', type: { type: 'array', items: 'string' } },
        { name: 'diffFields', type: { type: 'array', items: 'string' } },
        { name: 'changedFields', type: { type: 'array', items: 'string' } }
    ]
};

export interface ChangeEventHeader {
    entityName: string;
    recordIds: string[];
    changeType: CdcChangeType;
    changeOrigin: string;
    transactionKey: string;
    sequenceNumber: number;
    commitTimestamp: number;
    commitNumber: number;
    commitUser: string;
    nulledFields: string[];
    diffFields: string[];
    changedFields: string[];
}

type AvroPrimitive = 'string' | 'boolean' | 'int' | 'long' | 'double';

/** One top-level payload field: a scalar (one org field) or a compound record (several org fields). */
export interface PayloadField {
    name: string;
    /** For a scalar: the org field it carries. */
    source?: FieldDef;
    /** For a compound: its components, in order (the child positions of the bitmaps). */
    children?: { name: string; source: FieldDef }[];
}

export interface EventSchema {
    /** The topic's record name, e.g. OpportunityChangeEvent, Clm_Sync_Status__e. */
    name: string;
    id: string;
    json: string;
    type: avro.Type;
    /** Top-level fields after the header (CDC) or the whole list (platform events), in Avro order. */
    fields: PayloadField[];
    /** Position of each top-level field in the Avro record (the header is position 0 for CDC). */
    positionOf: Map<string, number>;
}

function avroTypeOf(f: FieldDef): AvroPrimitive {
    switch (f.type) {
        case 'boolean':
            return 'boolean';
        case 'int':
            return 'int';
        case 'long':
        case 'date':
        case 'datetime':
        case 'time':
            return 'long';
        case 'double':
        case 'currency':
        case 'percent':
            return 'double';
        default:
            return 'string';
    }
}

const DOC_TYPES: Partial<Record<FieldDef['type'], string>> = {
    string: 'Text',
    textarea: 'Text',
    picklist: 'Picklist',
    multipicklist: 'MultiPicklist',
    reference: 'EntityId',
    boolean: 'Boolean',
    double: 'Double',
    currency: 'Currency',
    percent: 'Percent',
    int: 'Int',
    long: 'Long',
    date: 'Date',
    datetime: 'DateTime',
    time: 'Time',
    email: 'Email',
    phone: 'Phone',
    url: 'Url'
};

/** Converts a stored value (REST text forms) to the Avro value: dates and datetimes as epoch ms. */
export function toAvroValue(f: FieldDef, value: SfValue | undefined): string | number | boolean | null {
    if (value === null || value === undefined) return null;
    switch (avroTypeOf(f)) {
        case 'boolean':
            return value === true || value === 'true';
        case 'int':
        case 'long': {
            if (f.type === 'datetime') return parseDateTime(String(value)) ?? null;
            if (f.type === 'date') return Date.parse(`${String(value)}T00:00:00Z`);
            if (f.type === 'time') {
                const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?/.exec(String(value));
                return m ? ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4] ?? 0) : null;
            }
            return Math.trunc(Number(value));
        }
        case 'double':
            return Number(value);
        default:
            return String(value);
    }
}

/** Fields a change event leaves out: the id (in recordIds), IsDeleted, SystemModstamp and formulas. */
function inChangeEvent(f: FieldDef): boolean {
    if (f.type === 'id' || f.name === 'IsDeleted' || f.name === 'SystemModstamp') return false;
    if (f.calculated && f.type !== 'address') return false;
    return f.type !== 'location' && f.type !== 'base64';
}

/** Groups compound components (addresses, a contact's Name) under their compound field, in describe order. */
export function changeEventFields(def: ObjectDef): PayloadField[] {
    const compounds = new Set(
        def.fields
            .filter((f) => f.compoundFieldName && def.fields.some((c) => c.name === f.compoundFieldName))
            .map((f) => f.compoundFieldName!)
    );
    const out: PayloadField[] = [];
    const byName = new Map<string, PayloadField>();
    for (const f of def.fields) {
        if (!inChangeEvent(f)) continue;
        const parent = f.compoundFieldName && compounds.has(f.compoundFieldName) ? f.compoundFieldName : undefined;
        if (parent) {
            let compound = byName.get(parent);
            if (!compound) {
                compound = { name: parent, children: [] };
                byName.set(parent, compound);
                out.push(compound);
            }
            compound.children!.push({
                name: f.name.slice(parent === 'Name' ? 0 : parent.length - 'Address'.length),
                source: f
            });
            continue;
        }
        if (compounds.has(f.name)) {
            // The compound's own slot: keep its place when no component came first.
            if (!byName.has(f.name)) {
                const compound: PayloadField = { name: f.name, children: [] };
                byName.set(f.name, compound);
                out.push(compound);
            }
            continue;
        }
        const scalar = { name: f.name, source: f };
        byName.set(f.name, scalar);
        out.push(scalar);
    }
    return out.filter((p) => !p.children || p.children.length > 0);
}

function nullable(type: unknown, doc?: string): Record<string, unknown> {
    return { type: ['null', type], default: null, ...(doc ? { doc } : {}) };
}

function compoundTypeName(p: PayloadField): string {
    return p.name === 'Name' ? 'Name' : 'Address';
}

function build(name: string, headerFirst: unknown[], fields: PayloadField[]): EventSchema {
    const defined = new Set<string>();
    const avroFields = fields.map((p) => {
        if (p.children) {
            const typeName = compoundTypeName(p);
            const record = defined.has(typeName)
                ? `${NAMESPACE}.${typeName}`
                : {
                      type: 'record',
                      name: typeName,
                      namespace: NAMESPACE,
                      fields: p.children.map((c) => ({ name: c.name, ...nullable(avroTypeOf(c.source)) }))
                  };
            defined.add(typeName);
            return { name: p.name, ...nullable(record, `Data:${typeName}`) };
        }
        const f = p.source!;
        return { name: p.name, ...nullable(avroTypeOf(f), `Data:${DOC_TYPES[f.type] ?? 'Text'}`) };
    });
    const schema = { type: 'record', name, namespace: NAMESPACE, fields: [...headerFirst, ...avroFields] };
    const type = avro.Type.forSchema(schema as avro.Schema);
    const id = type.fingerprint('md5').toString('base64url');
    const positionOf = new Map<string, number>();
    fields.forEach((p, i) => positionOf.set(p.name, i + headerFirst.length));
    return { name, id, json: JSON.stringify({ ...schema, uuid: id }), type, fields, positionOf };
}

/** `Employee__c` → `Employee__ChangeEvent`; `Opportunity` → `OpportunityChangeEvent`. */
export function changeEventName(sobject: string): string {
    return sobject.endsWith('__c') ? `${sobject.slice(0, -1)}ChangeEvent` : `${sobject}ChangeEvent`;
}

export function changeEventSchema(def: ObjectDef): EventSchema {
    return build(
        changeEventName(def.name),
        [{ name: 'ChangeEventHeader', type: CHANGE_EVENT_HEADER }],
        changeEventFields(def)
    );
}

/** The data fields of a platform event (its custom fields); CreatedDate and CreatedById lead, as served. */
export function platformEventSchema(def: ObjectDef): EventSchema {
    const head = [
        { name: 'CreatedDate', type: 'long', doc: 'CreatedDate:DateTime' },
        { name: 'CreatedById', type: 'string', doc: 'CreatedBy:EntityId' }
    ];
    const data = def.fields.filter((f) => f.custom).map((f) => ({ name: f.name, source: f }));
    return build(def.name, head, data);
}

/** Avro record of one org record: every payload field, or only `only` (others null). */
export function payloadValues(schema: EventSchema, record: SfRecord, only?: Set<string>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const p of schema.fields) {
        if (p.children) {
            const carried = (name: string) => !only || only.has(name);
            const values = Object.fromEntries(
                p.children.map((c) => [
                    c.name,
                    carried(c.source.name) ? toAvroValue(c.source, record[c.source.name]) : null
                ])
            );
            // A full record nests the compound when any part has a value; an update when any part changed.
            const present = only
                ? p.children.some((c) => only.has(c.source.name))
                : Object.values(values).some((v) => v !== null);
            out[p.name] = present ? values : null;
            continue;
        }
        out[p.name] = !only || only.has(p.source!.name) ? toAvroValue(p.source!, record[p.source!.name]) : null;
    }
    return out;
}

function hex(bits: bigint): string {
    let text = bits.toString(16).toUpperCase();
    if (text.length % 2 === 1) text = `0${text}`;
    return `0x${text}`;
}

/**
 * The Pub/Sub bitmap form of a list of org field names: element 0 over top-level positions, then
 * `<parentPos>-0x<bitmap>` for components of compound fields. Empty when no field is named.
 */
export function fieldBitmaps(schema: EventSchema, orgFields: Iterable<string>): string[] {
    const names = new Set(orgFields);
    let top = 0n;
    const children: string[] = [];
    for (const p of schema.fields) {
        const pos = schema.positionOf.get(p.name)!;
        if (p.children) {
            let bits = 0n;
            p.children.forEach((c, i) => {
                if (names.has(c.source.name)) bits |= 1n << BigInt(i);
            });
            if (bits !== 0n) children.push(`${pos}-${hex(bits)}`);
        } else if (names.has(p.source!.name)) top |= 1n << BigInt(pos);
    }
    if (top === 0n && children.length === 0) return [];
    return [hex(top), ...children];
}
