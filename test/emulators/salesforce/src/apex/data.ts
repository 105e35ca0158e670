// Apex's data access over the emulator's own services: inline and dynamic SOQL through the SOQL engine, DML
// statements and Database.* through DataService (so validation, derived fields and FLS are the REST API's), with
// user or system mode from the permission model, governor limits counted, and results as Apex values.
import { AccessView, type FieldAccess, type ObjectAccess } from '../access.ts';
import type { AccessLevel } from '../sharing.ts';
import { DataService, type CallContext } from '../data.ts';
import { SfError } from '../errors.ts';
import type { Org } from '../org.ts';
import type { FieldDef, ObjectDef } from '../schema/types.ts';
import { QueryEngine } from '../soql/engine.ts';
import type { SfRecord, SfValue, Transaction } from '../store.ts';
import type { Expr } from './ast.ts';
import { systemException } from './classes.ts';
import { formatPattern, LIMITS, type Execution } from './execution.ts';
import type { Interpreter } from './interpreter.ts';
import type { ApexMap } from './values.ts';
import {
    ApexDate,
    ApexDatetime,
    ApexDecimal,
    ApexList,
    ApexObject,
    ApexSet,
    ApexThrow,
    ApexTime,
    NativeObject,
    SObject,
    isNumber,
    num
} from './values.ts';

const ALL_ACCESS: ObjectAccess = { read: true, create: true, edit: true, delete: true, viewAll: true, modifyAll: true };

/** System mode: every object and field readable and writable (what the platform's own checks still allow). */
export class SystemAccessView extends AccessView {
    override object(def: ObjectDef): ObjectAccess {
        return def.kind === 'platformEvent' ? { ...ALL_ACCESS, read: true } : ALL_ACCESS;
    }
    override field(_def: ObjectDef, _field: FieldDef): FieldAccess {
        return { read: true, edit: true };
    }
}

/** System mode in a `with sharing` class: no object or field checks, but only the records the user may see. */
class SharingSystemAccessView extends SystemAccessView {
    constructor(
        org: Org,
        private readonly user: AccessView
    ) {
        super(org.store, org.schema, user.userId);
    }
    override record(def: ObjectDef, rec: SfRecord): AccessLevel {
        return this.user.record(def, rec);
    }
}

export interface DmlFailure {
    index: number;
    code: string;
    message: string;
    fields: string[];
    id: string | null;
}

type Mode = 'user' | 'system';

export class ApexData {
    readonly service: DataService;
    readonly query: QueryEngine;
    private userViews = new Map<string, AccessView>();
    private sharingViews = new Map<string, AccessView>();
    private systemView: AccessView;

    host!: ApexHost;

    constructor(
        readonly org: Org,
        readonly tx: Transaction
    ) {
        this.service = new DataService(org);
        this.query = new QueryEngine(org, this.service);
        this.systemView = new SystemAccessView(org.store, org.schema, org.userIds.admin);
    }

    nowMs(): number {
        return this.org.clock.peekMs();
    }

    startTest(interp: Interpreter): null {
        this.host.startTest(interp);
        return null;
    }
    stopTest(interp: Interpreter): null {
        this.host.stopTest(interp);
        return null;
    }
    deliverEvents(interp: Interpreter): null {
        this.host.deliverEvents(interp);
        return null;
    }
    schedule(interp: Interpreter, name: string, cron: string, job: unknown): string {
        return this.host.schedule(interp, name, cron, job);
    }
    enqueue(interp: Interpreter, job: unknown): string {
        return this.host.enqueue(interp, job);
    }
    hasCustomPermission(userId: string, name: string): boolean {
        return this.host.hasCustomPermission(userId, name);
    }
    formatGmt(ms: number, pattern: string): string {
        return formatPattern(ms, pattern, 'GMT');
    }
    formatIn(ms: number, pattern: string, zone: string): string {
        return formatPattern(ms, pattern, zone);
    }

    /** User mode: the user's permissions and sharing; system mode: everything, or the user's sharing only. */
    access(exec: Execution, mode: Mode): AccessView {
        if (mode === 'system' && !exec.sharing) return this.systemView;
        let v = this.userViews.get(exec.userId);
        if (!v) {
            v = this.org.access(exec.userId);
            this.userViews.set(exec.userId, v);
        }
        if (mode === 'user') return v;
        let shared = this.sharingViews.get(exec.userId);
        if (!shared) {
            shared = new SharingSystemAccessView(this.org, v);
            this.sharingViews.set(exec.userId, shared);
        }
        return shared;
    }

    /** Forget cached permissions (after a PermissionSetAssignment is written). */
    invalidateAccess(): void {
        this.userViews.clear();
        this.sharingViews.clear();
    }

    ctx(exec: Execution, mode: Mode): CallContext {
        return { access: this.access(exec, mode), userId: exec.userId, tx: this.tx, version: '62.0' };
    }

    sobjectType(name: string): ObjectDef | undefined {
        const n = name.toLowerCase().startsWith('schema.') ? name.slice(7) : name;
        return this.org.schema.get(n);
    }

    /** The canonical name of a field (or parent relationship) of an sObject; SObjectException when unknown. */
    fieldOf(sobject: string, name: string): string {
        const f = this.org.schema.field(sobject, name);
        if (f) return f.name;
        const def = this.org.schema.get(sobject);
        const rel = def?.fields.find((x) => x.relationshipName?.toLowerCase() === name.toLowerCase());
        if (rel) return rel.relationshipName!;
        const child = this.org.schema.childRelationship(sobject, name);
        if (child?.relationshipName) return child.relationshipName;
        throw this.exception('SObjectException', `Invalid field ${name} for ${sobject}`);
    }

    fieldDef(sobject: string, name: string): FieldDef | undefined {
        return this.org.schema.field(sobject, name);
    }

    /** A value written to an sObject field: numbers to Decimal where the field is a number, strings kept. */
    coerceField(sobject: string, field: string, v: unknown): unknown {
        const f = this.org.schema.field(sobject, field);
        if (!f || v === null) return v;
        if (['currency', 'double', 'percent'].includes(f.type) && typeof v === 'number') return ApexDecimal.of(v);
        if ((f.type === 'id' || f.type === 'reference') && typeof v === 'string' && v.length === 15) return v;
        return v;
    }

    exception(type: string, message: string): ApexThrow {
        const obj = new ApexObject(systemException(type)!);
        obj.fields.set('message', message);
        return new ApexThrow(obj);
    }

    // ---- SOQL ----------------------------------------------------------------------------------------------

    literal(v: unknown): string {
        if (v === null || v === undefined) return 'NULL';
        if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
        if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
        if (isNumber(v)) return String(num(v));
        if (v instanceof ApexDate) return v.toString();
        if (v instanceof ApexDatetime) return new Date(v.ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
        if (v instanceof SObject) return this.literal(v.get('Id'));
        if (v instanceof ApexList || v instanceof ApexSet) {
            const items = v instanceof ApexList ? v.items : v.values();
            // An empty bind list matches nothing: a value no Id or text field holds.
            return `(${items.length === 0 ? "'\u0001'" : items.map((i) => this.literal(i)).join(', ')})`;
        }
        throw this.exception('QueryException', `Invalid bind expression type of ${typeof v}`);
    }

    inlineQuery(interp: Interpreter, parts: string[], binds: unknown[], mode: Mode | null, at: Expr): unknown {
        let soql = parts[0]!;
        binds.forEach((b, i) => (soql += this.literal(b) + parts[i + 1]!));
        return this.run(interp.exec, soql, mode ?? 'system', at);
    }

    /** Database.queryWithBinds: `:name` from the map. */
    queryWithBinds(exec: Execution, soql: string, binds: ApexMap | null, mode: Mode): unknown {
        const text = soql.replace(/:\s*([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
            const hit = [...(binds?.map.values() ?? [])].find(([k]) => String(k).toLowerCase() === name.toLowerCase());
            if (!hit) throw this.exception('QueryException', `Variable does not exist: ${name}`);
            return this.literal(hit[1]);
        });
        return this.run(exec, text, mode, null);
    }

    run(exec: Execution, soql: string, mode: Mode, at: Expr | null): unknown {
        exec.counters.queries++;
        const max = exec.async ? LIMITS.soqlAsync : LIMITS.soqlSync;
        if (exec.counters.queries > max)
            throw this.exception('LimitException', `Too many SOQL queries: ${exec.counters.queries}`);
        let out;
        try {
            out = this.query.run(this.access(exec, mode), soql, '62.0', false);
        } catch (e) {
            if (e instanceof SfError) {
                const msg =
                    e.errorCode === 'INVALID_TYPE' || e.errorCode === 'INVALID_FIELD' || e.errorCode === 'NOT_FOUND'
                        ? `${e.message}${mode === 'user' ? ' (insufficient access in user mode)' : ''}`
                        : e.message;
                throw this.exception('QueryException', msg || e.errorCode);
            }
            throw e;
        }
        const isCount = /^\s*SELECT\s+COUNT\(\s*\)\s+FROM/i.test(soql);
        exec.counters.queryRows += isCount ? out.totalSize : out.records.length;
        if (exec.counters.queryRows > LIMITS.queryRows)
            throw this.exception('LimitException', `Too many query rows: ${exec.counters.queryRows}`);
        if (isCount) return out.totalSize;
        const rows = out.records.map((r) => this.toSObject(r));
        void at;
        const list = new ApexList(rows, rows[0]?.type ?? 'SObject');
        list.fromQuery = true;
        return list;
    }

    /** A REST-shaped record (the engine's output) as an sObject, relationships nested. */
    toSObject(r: Record<string, unknown>): SObject {
        const type = String((r.attributes as { type?: string } | undefined)?.type ?? 'SObject');
        const rec = new SObject(type);
        rec.fromQuery = type !== 'AggregateResult';
        const def = type === 'AggregateResult' ? undefined : this.org.schema.get(type);
        for (const [k, v] of Object.entries(r)) {
            if (k === 'attributes') continue;
            if (v !== null && typeof v === 'object' && 'records' in (v as object)) {
                const recs = (v as { records: Record<string, unknown>[] }).records.map((x) => this.toSObject(x));
                rec.set(k, new ApexList(recs, recs[0]?.type ?? 'SObject'));
            } else if (v !== null && typeof v === 'object' && 'attributes' in (v as object)) {
                rec.set(k, this.toSObject(v as Record<string, unknown>));
            } else if (v !== null && typeof v === 'object') {
                rec.set(k, new NativeObject('Address', addressMethods(v as Record<string, unknown>)));
            } else {
                const f = def?.fields.find((x) => x.name === k);
                rec.set(k, f ? fromStored(f, v as SfValue) : (v as unknown));
            }
        }
        return rec;
    }

    // ---- DML -----------------------------------------------------------------------------------------------

    /** The REST body of an sObject for a write: stored values, without Id and fields the operation cannot set. */
    private body(rec: SObject, op: 'create' | 'update'): Record<string, unknown> {
        const def = this.org.schema.require(rec.type);
        const out: Record<string, unknown> = {};
        for (const [, [name, v]] of rec.values) {
            if (name.toLowerCase() === 'id') continue;
            const f = this.org.schema.field(def.name, name);
            if (!f) continue; // relationship values (queried parents) are not written
            if (op === 'create' ? !f.createable : !f.updateable) continue;
            out[f.name] = toStored(v);
        }
        return out;
    }

    dmlStatement(interp: Interpreter, op: string, value: unknown, mode: Mode | null, extField: string[] | null): void {
        this.dml(interp, op, value, true, mode ?? 'system', extField ? extField[extField.length - 1]! : null);
    }

    /** One DML operation over one record or a list; allOrNone throws DmlException, else returns results. */
    dml(
        interp: Interpreter,
        op: string,
        value: unknown,
        allOrNone: boolean,
        mode: Mode,
        extField: string | null
    ): NativeObject[] {
        const exec = interp.exec;
        if (value === null)
            throw this.exception(
                'DmlException',
                `${cap(op)} failed. First exception on row 0; first error: INVALID_ARGUMENT, Argument cannot be null.: []`
            );
        const records: unknown[] = value instanceof ApexList ? value.items : [value];
        exec.counters.dmlStatements++;
        if (exec.counters.dmlStatements > LIMITS.dml)
            throw this.exception('LimitException', `Too many DML statements: ${exec.counters.dmlStatements}`);
        exec.counters.dmlRows += records.length;
        if (exec.counters.dmlRows > LIMITS.dmlRows)
            throw this.exception('LimitException', `Too many DML rows: ${exec.counters.dmlRows}`);
        const ctx = this.ctx(exec, mode);
        const failures: DmlFailure[] = [];
        const results: NativeObject[] = [];
        const statementSp = this.tx.savepoint();
        const type = records[0] instanceof SObject ? records[0].type : null;
        if (
            type &&
            (op === 'insert' || op === 'update' || op === 'delete') &&
            records.every((r) => r instanceof SObject && r.type === type) &&
            this.host.hasTriggers(type, op)
        ) {
            this.dmlWithTriggers(interp, ctx, op, records as SObject[], failures, results);
        } else
            records.forEach((r, index) => {
                if (!(r instanceof SObject)) throw this.exception('DmlException', `${cap(op)} failed: not an sObject`);
                const sp = this.tx.savepoint();
                try {
                    const id = this.writeOne(ctx, op, r, extField);
                    results.push(saveResult(id, true, [], op));
                } catch (e) {
                    if (!(e instanceof SfError)) throw e;
                    this.tx.rollbackTo(sp);
                    const f: DmlFailure = {
                        index,
                        code: e.errorCode,
                        message: e.message,
                        fields: e.fields ?? [],
                        id: (r.get('Id') as string | null) ?? null
                    };
                    failures.push(f);
                    results.push(saveResult(f.id, false, [f], op));
                }
            });
        if (records.some((r) => r instanceof SObject && r.type === 'PermissionSetAssignment')) this.invalidateAccess();
        if (allOrNone && failures.length > 0) {
            this.tx.rollbackTo(statementSp);
            const first = failures[0]!;
            const ex = this.exception(
                'DmlException',
                `${cap(op)} failed. First exception on row ${first.index}${first.id ? ` with id ${first.id}` : ''}; first error: ${first.code}, ${first.message}: [${first.fields.join(', ')}]`
            );
            ex.exception.fields.set('dml', failures);
            throw ex;
        }
        return results;
    }

    /**
     * One DML statement over records of an object with triggers: before triggers see the whole list (in chunks of
     * 200), each record is then saved with its trigger changes (addError fails only that record), and after
     * triggers see every record saved — one trigger invocation per chunk, as the platform runs them.
     */
    private dmlWithTriggers(
        interp: Interpreter,
        ctx: CallContext,
        op: 'insert' | 'update' | 'delete',
        records: SObject[],
        failures: DmlFailure[],
        results: NativeObject[]
    ): void {
        const def = this.org.schema.require(records[0]!.type);
        const stored = records.map((r) => {
            const id = r.get('Id');
            const row = typeof id === 'string' ? this.org.store.get(def.name, id) : undefined;
            return row && row.IsDeleted !== true ? row : undefined;
        });
        const olds = op === 'insert' ? null : stored.map((row) => (row ? recordToSObject(def, row) : null));
        const news =
            op === 'delete'
                ? null
                : records.map((r, i) => {
                      if (op === 'insert') {
                          const c = r.clone();
                          c.values.delete('id');
                          return c;
                      }
                      const merged = stored[i] ? recordToSObject(def, stored[i]!) : r.clone();
                      for (const [k, v] of r.values) merged.values.set(k, [v[0], v[1]]);
                      return merged;
                  });
        const before = news?.map((n) => n.clone());
        const fire = (when: 'before' | 'after', n: SObject[] | null, o: SObject[] | null): string | null => {
            try {
                this.host.fireTriggers(interp, def.name, when, op, n, o);
                return null;
            } catch (e) {
                if (!(e instanceof ApexThrow)) throw e;
                return `${when === 'before' ? 'Before' : 'After'}${cap(op)} caused by: ${e.exception.cls.fullName}: ${interp.toStr(e.exception.fields.get('message') ?? null)}`;
            }
        };
        const live = (list: (SObject | null)[] | null): SObject[] | null =>
            list ? (list.filter((x, i) => x !== null && (op === 'insert' || stored[i])) as SObject[]) : null;
        const failAll = (message: string): void => {
            records.forEach((r, index) => {
                const f: DmlFailure = {
                    index,
                    code: 'CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY',
                    message,
                    fields: [],
                    id: (r.get('Id') as string | null) ?? null
                };
                failures.push(f);
                results.push(saveResult(f.id, false, [f], op));
            });
        };
        const beforeError = fire('before', live(news), live(olds));
        if (beforeError) return failAll(beforeError);
        const batch: DeferredBatch = { saved: [], apply: null };
        const saved = batch.saved;
        const pending = this.host.deferTriggers(this.tx, def.name, batch);
        try {
            records.forEach((r, index) => {
                const sp = this.tx.savepoint();
                const id = (r.get('Id') as string | null) ?? null;
                try {
                    const n = news?.[index];
                    const err = n?.errors[0] ?? olds?.[index]?.errors[0];
                    if (err)
                        throw new SfError(
                            400,
                            'FIELD_CUSTOM_VALIDATION_EXCEPTION',
                            err.message,
                            err.field ? [err.field] : []
                        );
                    // The caller's values go through the save's checks (FLS in user mode); what a before trigger
                    // changed is applied to the record being saved, as the platform does.
                    batch.apply = null;
                    if (n) {
                        const changed: SfRecord = {};
                        for (const [k, [name, v]] of n.values) {
                            const was = before![index]!.values.get(k);
                            if (k === 'id' || (was && was[1] === v)) continue;
                            const f = this.org.schema.field(def.name, name);
                            if (f) changed[f.name] = toStored(v) as SfValue;
                        }
                        batch.apply = changed;
                    }
                    let written: string;
                    if (op === 'insert') {
                        written = this.writeOne(ctx, 'insert', r, null);
                    } else written = this.writeOne(ctx, op, r, null);
                    results.push(saveResult(written, true, [], op));
                } catch (e) {
                    if (!(e instanceof SfError)) throw e;
                    this.tx.rollbackTo(sp);
                    const f: DmlFailure = { index, code: e.errorCode, message: e.message, fields: e.fields ?? [], id };
                    failures.push(f);
                    results.push(saveResult(id, false, [f], op));
                }
            });
        } finally {
            pending();
        }
        if (saved.length === 0) return;
        const afterNews = op === 'delete' ? null : saved.map((x) => recordToSObject(def, x.rec!));
        const afterOlds = op === 'insert' ? null : saved.map((x) => recordToSObject(def, x.old!));
        const afterError = fire('after', afterNews, afterOlds);
        if (afterError) {
            failures.length = 0;
            results.length = 0;
            failAll(afterError);
        }
    }

    private writeOne(ctx: CallContext, op: string, r: SObject, extField: string | null): string {
        const def = this.org.schema.get(r.type);
        if (!def) throw new SfError(400, 'INVALID_TYPE', `Invalid type: ${r.type}`);
        const id = r.get('Id') as string | null;
        switch (op) {
            case 'insert': {
                if (id)
                    throw new SfError(400, 'INVALID_FIELD_FOR_INSERT_UPDATE', 'cannot specify Id in an insert call', [
                        'Id'
                    ]);
                const res = this.service.create(ctx, def.name, this.body(r, 'create'));
                if (def.kind !== 'platformEvent') r.set('Id', res.id);
                if (def.name === 'User') this.assignProfile(ctx, res.id);
                return res.id;
            }
            case 'update': {
                if (!id) throw new SfError(400, 'MISSING_ARGUMENT', 'Id not specified in an update call', []);
                this.service.update(ctx, def.name, id, this.body(r, 'update'));
                return id;
            }
            case 'upsert': {
                if (extField) {
                    const f = this.fieldOf(def.name, extField);
                    const key = r.get(f);
                    const body = this.body(r, 'create');
                    const res = this.service.upsert(ctx, def.name, f, key === null ? '' : String(toStored(key)), body);
                    r.set('Id', res.id);
                    return res.id;
                }
                if (id) {
                    this.service.update(ctx, def.name, id, this.body(r, 'update'));
                    return id;
                }
                const res = this.service.create(ctx, def.name, this.body(r, 'create'));
                r.set('Id', res.id);
                return res.id;
            }
            case 'delete': {
                if (!id) throw new SfError(400, 'MISSING_ARGUMENT', 'Id not specified in a delete call', []);
                this.service.delete(ctx, def.name, id);
                return id;
            }
            default:
                throw new SfError(400, 'INVALID_OPERATION', `${op} is not supported by the org emulator`);
        }
    }

    /** A new user holds its profile's permission set, as the platform assigns it. */
    private assignProfile(ctx: CallContext, userId: string): void {
        const profileId = this.org.store.get('User', userId)?.ProfileId;
        const ps = this.org.store
            .rows('PermissionSet')
            .find((p) => p.IsOwnedByProfile === true && p.ProfileId === profileId);
        if (!ps) return;
        this.service.create({ ...ctx, access: this.systemView }, 'PermissionSetAssignment', {
            AssigneeId: userId,
            PermissionSetId: ps.Id
        });
        this.invalidateAccess();
    }

    dmlExceptionMethod(interp: Interpreter, ex: ApexObject, name: string, args: unknown[]): unknown {
        const list = (ex.fields.get('dml') as DmlFailure[] | undefined) ?? [];
        const i = args.length > 0 ? num(args[0] as number) : 0;
        const item = list[i];
        switch (name.toLowerCase()) {
            case 'getnumdml':
                return list.length;
            case 'getdmlmessage':
                return item?.message ?? null;
            case 'getdmlid':
                return item?.id ?? null;
            case 'getdmlindex':
                return item?.index ?? null;
            case 'getdmlfieldnames':
                return new ApexList([...(item?.fields ?? [])], 'String');
            case 'getdmltype':
                return item?.code ?? null;
        }
        return interp.fail(
            'TypeException',
            `Method does not exist or incorrect signature: ${name} from the type ${ex.cls.fullName}`
        );
    }
}

function cap(op: string): string {
    return op[0]!.toUpperCase() + op.slice(1);
}

export function saveResult(id: string | null, ok: boolean, errors: DmlFailure[], op: string): NativeObject {
    const errs = errors.map(
        (f) =>
            new NativeObject('Database.Error', {
                getMessage: () => f.message,
                getStatusCode: () => f.code,
                getFields: () => new ApexList([...f.fields], 'String')
            })
    );
    const type =
        op === 'delete' ? 'Database.DeleteResult' : op === 'upsert' ? 'Database.UpsertResult' : 'Database.SaveResult';
    return new NativeObject(type, {
        isSuccess: () => ok,
        getId: () => (ok ? id : null),
        getErrors: () => new ApexList(errs, 'Database.Error'),
        isCreated: () => op === 'insert'
    });
}

function addressMethods(v: Record<string, unknown>): Record<string, () => unknown> {
    const g = (k: string) => () => (v[k] ?? null) as unknown;
    return {
        getStreet: g('street'),
        getCity: g('city'),
        getState: g('state'),
        getPostalCode: g('postalCode'),
        getCountry: g('country'),
        getLatitude: g('latitude'),
        getLongitude: g('longitude')
    };
}

/** A stored value (REST JSON) as an Apex value of the field's type. */
export function fromStored(f: FieldDef, v: SfValue): unknown {
    if (v === null) return null;
    switch (f.type) {
        case 'date':
            return ApexDate.parse(String(v));
        case 'datetime':
            return new ApexDatetime(Date.parse(String(v).replace(/\+0000$/, 'Z')));
        case 'time':
            return new ApexTime(Date.parse(`1970-01-01T${String(v).replace(/Z$/, '')}Z`));
        case 'currency':
        case 'double':
        case 'percent':
            return ApexDecimal.of(Number(v));
        default:
            return v;
    }
}

/** An Apex value as the REST body carries it. */
export function toStored(v: unknown): unknown {
    if (v === null || v === undefined) return null;
    if (v instanceof ApexDecimal) return v.n;
    if (v instanceof ApexDate) return v.toString();
    if (v instanceof ApexDatetime) return new Date(v.ms).toISOString();
    if (v instanceof ApexTime) return v.toString();
    return v;
}

/** The stored record (SfRecord, canonical names) as an sObject: what a trigger's Trigger.new holds. */
export function recordToSObject(def: ObjectDef, rec: SfRecord): SObject {
    const s = new SObject(def.name);
    for (const f of def.fields) {
        if (!(f.name in rec)) continue;
        s.set(f.name, fromStored(f, rec[f.name] ?? null));
    }
    return s;
}

/** An Apex DML statement's batch: the records saved (for the after triggers), the before-trigger changes to apply. */
export interface DeferredBatch {
    saved: { rec: SfRecord | undefined; old: SfRecord | undefined }[];
    /** Stored values a before trigger set on the record being saved now. */
    apply: SfRecord | null;
}

/** What ApexData needs from the program that runs it: triggers, async work, test lifecycle. */
export interface ApexHost {
    /** Whether the object has triggers on the operation (before or after). */
    hasTriggers(sobject: string, op: string): boolean;
    /** Runs the object's `when op` triggers over the records, in chunks of 200. */
    fireTriggers(
        interp: Interpreter,
        sobject: string,
        when: 'before' | 'after',
        op: string,
        news: SObject[] | null,
        olds: SObject[] | null
    ): void;
    /** Until the returned function is called, writes of `sobject` in `tx` run no triggers and are collected. */
    deferTriggers(tx: Transaction, sobject: string, into: DeferredBatch): () => void;
    deliverEvents(interp: Interpreter): void;
    startTest(interp: Interpreter): void;
    stopTest(interp: Interpreter): void;
    schedule(interp: Interpreter, name: string, cron: string, job: unknown): string;
    enqueue(interp: Interpreter, job: unknown): string;
    hasCustomPermission(userId: string, name: string): boolean;
}
