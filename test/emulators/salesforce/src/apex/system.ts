// The system classes and the methods of built-in values the runtime implements (String, Date, List, Map,
// JSON, Schema, Database, EventBus, Test, Assert, UserInfo, Limits…). A method not here fails the call with
// "Method does not exist or incorrect signature", the platform's own wording.
import { randomInt, randomUUID } from 'node:crypto';
import type { Expr, TypeRef } from './ast.ts';
import { EXCEPTION, isSubclass, systemException, type ClassInfo } from './classes.ts';
import { fromZoned, LIMITS, zoned } from './execution.ts';
import { isId, NameRef, type Interpreter } from './interpreter.ts';
import { recordToSObject, saveResult, toStored } from './data.ts';
import {
    ApexDate,
    ApexDatetime,
    ApexDecimal,
    ApexEnumValue,
    ApexList,
    ApexMap,
    ApexObject,
    ApexSet,
    ApexTime,
    NativeObject,
    SObject,
    Token,
    isNumber,
    num
} from './values.ts';

const TRIGGER_OPERATIONS = [
    'BEFORE_INSERT',
    'BEFORE_UPDATE',
    'BEFORE_DELETE',
    'AFTER_INSERT',
    'AFTER_UPDATE',
    'AFTER_DELETE',
    'AFTER_UNDELETE'
];

const SYSTEM_ENUMS: Record<string, string[]> = {
    'system.triggeroperation': TRIGGER_OPERATIONS,
    triggeroperation: TRIGGER_OPERATIONS,
    accesslevel: ['USER_MODE', 'SYSTEM_MODE'],
    'system.accesslevel': ['USER_MODE', 'SYSTEM_MODE'],
    'schema.sobjectdescribeoptions': ['DEFERRED', 'FULL', 'DEFAULT'],
    'system.logginglevel': ['NONE', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'FINE', 'FINER', 'FINEST'],
    logginglevel: ['NONE', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'FINE', 'FINER', 'FINEST'],
    'system.roundingmode': ['CEILING', 'DOWN', 'FLOOR', 'HALF_DOWN', 'HALF_EVEN', 'HALF_UP', 'UNNECESSARY', 'UP'],
    roundingmode: ['CEILING', 'DOWN', 'FLOOR', 'HALF_DOWN', 'HALF_EVEN', 'HALF_UP', 'UNNECESSARY', 'UP']
};

function enumValue(enumName: string, name: string): ApexEnumValue | undefined {
    const values = SYSTEM_ENUMS[enumName.toLowerCase()];
    const i = values?.findIndex((v) => v.toLowerCase() === name.toLowerCase()) ?? -1;
    return i >= 0 ? new ApexEnumValue(enumName, values![i]!, i) : undefined;
}

export function triggerOperation(op: string): ApexEnumValue {
    return enumValue('System.TriggerOperation', op)!;
}

function strip(path: string[]): string[] {
    const p = [...path];
    if (p.length > 1 && p[0]!.toLowerCase() === 'system') p.shift();
    return p;
}

/** A dotted name that is not a user class: sObject tokens, system enums and static properties. */
export function resolveSystemName(interp: Interpreter, path: string[], soft = false): unknown {
    const p = strip(path);
    const lower = p.map((x) => x.toLowerCase());
    const data = interp.exec.data;
    // Enum constants.
    if (p.length >= 2) {
        const ev = enumValue(p.slice(0, -1).join('.'), p[p.length - 1]!);
        if (ev) return ev;
    }
    if (lower[0] === 'trigger' && p.length === 2) {
        const t = interp.exec.trigger;
        const key = lower[1]!;
        if (!t) return key === 'isexecuting' ? false : key.startsWith('is') ? false : null;
        return t[key] ?? null;
    }
    // Schema.SObjectType.X → describe of X; Schema.SObjectType.X.fields.Y → field describe.
    if (lower[0] === 'schema' && lower[1] === 'sobjecttype' && p.length >= 3) {
        const def = data.sobjectType(p[2]!);
        if (!def) return interp.fail('TypeException', `Invalid type: ${p[2]}`);
        let v: unknown = describeSObject(interp, def.name);
        for (const x of p.slice(3)) v = getValueProperty(interp, v, x);
        return v;
    }
    const start = lower[0] === 'schema' ? 1 : 0;
    const def = p.length > start ? data.sobjectType(p[start]!) : undefined;
    if (def && p.length > start + 1) {
        const rest = p.slice(start + 1);
        let v: unknown;
        if (rest[0]!.toLowerCase() === 'sobjecttype') v = new Token('sobjecttype', def.name);
        else {
            const f = data.fieldDef(def.name, rest[0]!);
            if (!f) return interp.fail('TypeException', `Variable does not exist: ${rest[0]}`);
            v = new Token('sobjectfield', `${def.name}.${f.name}`);
        }
        for (const x of rest.slice(1)) v = getValueProperty(interp, v, x);
        return v;
    }
    if (soft) return undefined;
    return new NameRef(path);
}

export function typeMatches(interp: Interpreter, v: unknown, type: TypeRef, from: ClassInfo | null): boolean {
    if (v === null || v === undefined) return true;
    const t = type.names
        .join('.')
        .toLowerCase()
        .replace(/^system\./, '')
        .replace(/^schema\./, '');
    switch (t) {
        case 'object':
            return true;
        case 'string':
            return typeof v === 'string';
        case 'id':
            return typeof v === 'string' && isId(v);
        case 'boolean':
            return typeof v === 'boolean';
        case 'integer':
        case 'long':
            return typeof v === 'number' && Number.isInteger(v);
        case 'double':
            return typeof v === 'number';
        case 'decimal':
            return v instanceof ApexDecimal || typeof v === 'number';
        case 'date':
            return v instanceof ApexDate;
        case 'datetime':
            return v instanceof ApexDatetime;
        case 'time':
            return v instanceof ApexTime;
        case 'list':
            return v instanceof ApexList;
        case 'set':
            return v instanceof ApexSet;
        case 'map':
            return v instanceof ApexMap;
        case 'sobject':
            return v instanceof SObject;
        case 'address':
            return v instanceof NativeObject && v.typeName === 'Address';
        case 'sobjecttype':
            return v instanceof Token && v.kind === 'sobjecttype';
        case 'sobjectfield':
            return v instanceof Token && v.kind === 'sobjectfield';
        case 'aggregateresult':
            return v instanceof SObject && v.type === 'AggregateResult';
    }
    if (v instanceof SObject) return v.type.toLowerCase() === t;
    if (v instanceof NativeObject) return v.typeName.toLowerCase().endsWith(t);
    if (v instanceof ApexEnumValue) return v.enumName.toLowerCase().endsWith(t);
    if (v instanceof ApexObject) {
        const cls = interp.resolveType(type, from);
        return !!cls && isSubclass(v.cls, cls);
    }
    return false;
}

// ---- static methods ------------------------------------------------------------------------------------------

function str(interp: Interpreter, v: unknown): string {
    return interp.toStr(v);
}

function need(interp: Interpreter, v: unknown): unknown {
    if (v === null || v === undefined) interp.fail('NullPointerException', 'Attempt to de-reference a null object');
    return v;
}

function assertFail(interp: Interpreter, message: string, custom: unknown): never {
    return interp.fail(
        'AssertException',
        `Assertion Failed${custom !== undefined && custom !== null ? `: ${str(interp, custom)}` : ''}${message ? `: ${message}` : ''}`
    );
}

export function callStatic(interp: Interpreter, path: string[], args: unknown[], at: Expr): unknown {
    const p = strip(path);
    const name = p.map((x) => x.toLowerCase()).join('.');
    const exec = interp.exec;
    const data = exec.data;
    const [a, b, c] = args;
    // Custom metadata: getAll() / getInstance(developerName) read the deployed records (no SOQL counted).
    const mdt = p.length === 2 ? data.sobjectType(p[0]!) : undefined;
    if (mdt?.kind === 'customMetadata') {
        const rows = data.org.store.rows(mdt.name).filter((r) => r.IsDeleted !== true);
        const method = p[1]!.toLowerCase();
        if (method === 'getall') {
            const m = new ApexMap('String', mdt.name);
            for (const r of rows) m.put(String(r.DeveloperName), recordToSObject(mdt, r));
            return m;
        }
        if (method === 'getinstance') {
            const hit = rows.find(
                (r) => String(r.DeveloperName).toLowerCase() === String(a).toLowerCase() || r.Id === a
            );
            return hit ? recordToSObject(mdt, hit) : null;
        }
    }
    switch (name) {
        // String
        case 'string.isblank':
            return a === null || String(a).trim() === '';
        case 'string.isnotblank':
            return !(a === null || String(a).trim() === '');
        case 'string.isempty':
            return a === null || a === '';
        case 'string.isnotempty':
            return !(a === null || a === '');
        case 'string.valueof':
            return a === null ? null : str(interp, a);
        case 'string.join': {
            const items = a instanceof ApexList ? a.items : a instanceof ApexSet ? a.values() : [];
            return items.map((i) => str(interp, i)).join(String(b ?? ''));
        }
        case 'string.escapesinglequotes':
            return String(need(interp, a)).replace(/'/g, "\\'");
        case 'string.format':
            return String(a).replace(/\{(\d+)\}/g, (_m, i: string) =>
                str(interp, (b as ApexList).items[Number(i)] ?? null)
            );
        // Numbers
        case 'integer.valueof':
            if (a === null) return null;
            if (typeof a === 'string') {
                if (!/^\s*-?\d+\s*$/.test(a)) return interp.fail('TypeException', `Invalid integer: ${a}`);
                return Number(a);
            }
            return Math.trunc(num(a as number));
        case 'long.valueof':
            return a === null ? null : Math.trunc(Number(typeof a === 'string' ? a : num(a as number)));
        case 'decimal.valueof':
        case 'double.valueof': {
            if (a === null) return null;
            const n = typeof a === 'string' ? Number(a) : num(a as number);
            if (Number.isNaN(n)) return interp.fail('TypeException', `Invalid decimal: ${String(a)}`);
            if (name === 'double.valueof') return n;
            return typeof a === 'string' ? ApexDecimal.parse(a.trim()) : ApexDecimal.of(n);
        }
        case 'boolean.valueof':
            return a === null ? null : typeof a === 'boolean' ? a : String(a).toLowerCase() === 'true';
        case 'math.abs':
            return a instanceof ApexDecimal ? new ApexDecimal(Math.abs(a.n), a.scale) : Math.abs(a as number);
        case 'math.max':
            return num(a as number) >= num(b as number) ? a : b;
        case 'math.min':
            return num(a as number) <= num(b as number) ? a : b;
        case 'math.round':
            return Math.round(num(a as number));
        case 'math.floor':
            return Math.floor(num(a as number));
        case 'math.ceil':
            return Math.ceil(num(a as number));
        case 'math.mod':
            return num(a as number) % num(b as number);
        case 'math.pow':
            return num(a as number) ** num(b as number);
        case 'math.sqrt':
            return Math.sqrt(num(a as number));
        case 'math.random':
            return Math.random();
        // Id
        case 'id.valueof': {
            const s = String(need(interp, a));
            if (!isId(s) || !data.org.schema.objectByPrefix(s.slice(0, 3)))
                return interp.fail('StringException', `Invalid id: ${s}`);
            return s.length === 15 ? s : s;
        }
        // Date / Datetime / Time
        case 'date.today':
            return today(interp);
        case 'date.newinstance':
            return ApexDate.of(num(a as number), num(b as number), num(c as number));
        case 'date.valueof':
            if (a === null) return null;
            if (a instanceof ApexDatetime) return gmtDate(a.ms);
            return ApexDate.parse(String(a));
        case 'date.isleapyear': {
            const y = num(a as number);
            return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
        }
        case 'date.daysinmonth':
            return new Date(Date.UTC(num(a as number), num(b as number), 0)).getUTCDate();
        case 'datetime.now':
            return new ApexDatetime(data.nowMs());
        case 'system.now':
        case 'now':
            return new ApexDatetime(data.nowMs());
        case 'system.today':
        case 'today':
            return today(interp);
        case 'datetime.newinstancegmt': {
            if (a instanceof ApexDate) return new ApexDatetime(a.ms + (b instanceof ApexTime ? b.ms : 0));
            const [y, m, d, h = 0, mi = 0, s = 0] = args.map((x) => num(x as number));
            return new ApexDatetime(Date.UTC(y!, m! - 1, d!, h, mi, s));
        }
        case 'datetime.newinstance': {
            if (args.length === 1) return new ApexDatetime(num(a as number));
            if (a instanceof ApexDate) {
                const { y, m, d } = a.parts;
                const t = b instanceof ApexTime ? b.ms : 0;
                return new ApexDatetime(fromZoned(y, m, d, 0, 0, 0, exec.zone()) + t);
            }
            const [y, m, d, h = 0, mi = 0, s = 0] = args.map((x) => num(x as number));
            return new ApexDatetime(fromZoned(y!, m!, d!, h, mi, s, exec.zone()));
        }
        case 'datetime.valueofgmt':
            return a === null ? null : new ApexDatetime(Date.parse(String(a).replace(' ', 'T') + 'Z'));
        case 'datetime.valueof': {
            if (a === null) return null;
            const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(String(a));
            if (!m) return interp.fail('TypeException', `Invalid date/time: ${String(a)}`);
            return new ApexDatetime(fromZoned(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, exec.zone()));
        }
        case 'time.newinstance':
            return new ApexTime(
                ((num(a as number) * 60 + num(b as number)) * 60 + num(c as number)) * 1000 +
                    num((args[3] ?? 0) as number)
            );
        // System
        case 'debug': {
            const v = args.length > 1 ? b : a;
            // System.debug prints a Date with a midnight time and a Datetime in GMT.
            const text =
                v instanceof ApexDate
                    ? `${v.toString()} 00:00:00`
                    : v instanceof ApexDatetime
                      ? new Date(v.ms).toISOString().slice(0, 19).replace('T', ' ')
                      : str(interp, v);
            exec.debug(args.length > 1 && a instanceof ApexEnumValue ? a.name : 'DEBUG', text);
            return null;
        }
        case 'assert':
            if (a !== true) assertFail(interp, '', b);
            return null;
        case 'assertequals':
            if (!interp.equals(a, b, false))
                assertFail(interp, `Expected: ${str(interp, a)}, Actual: ${str(interp, b)}`, c);
            return null;
        case 'assertnotequals':
            if (interp.equals(a, b, false)) assertFail(interp, `Same value: ${str(interp, a)}`, c);
            return null;
        case 'assert.areequal':
            if (!interp.equals(a, b, false))
                assertFail(interp, `Expected: ${str(interp, a)}, Actual: ${str(interp, b)}`, c);
            return null;
        case 'assert.arenotequal':
            if (interp.equals(a, b, false)) assertFail(interp, `Same value: ${str(interp, a)}`, c);
            return null;
        case 'assert.istrue':
            if (a !== true) assertFail(interp, 'Expected: true, Actual: ' + str(interp, a), b);
            return null;
        case 'assert.isfalse':
            if (a !== false) assertFail(interp, 'Expected: false, Actual: ' + str(interp, a), b);
            return null;
        case 'assert.isnull':
            if (a !== null) assertFail(interp, 'Expected: null, Actual: ' + str(interp, a), b);
            return null;
        case 'assert.isnotnull':
            if (a === null) assertFail(interp, 'Expected: not null, Actual: null', b);
            return null;
        case 'assert.fail':
            return assertFail(interp, '', a);
        case 'assert.isinstanceoftype':
            if (
                !(a instanceof Token) &&
                !typeMatches(interp, a, { names: String((b as Token).name).split('.'), args: [] }, null)
            )
                assertFail(interp, `Expected instance of ${(b as Token).name}`, c);
            return null;
        case 'runas':
            return interp.fail('TypeException', 'System.runAs is a statement');
        case 'schedule':
            return exec.data.schedule(interp, String(a), String(b), c);
        case 'enqueuejob':
            return exec.data.enqueue(interp, a);
        case 'isbatch':
        case 'isfuture':
        case 'isqueueable':
        case 'isscheduled':
            return exec.async && exec.asyncKind === name.slice(2);
        case 'abortjob': {
            const row = data.org.store.get('CronTrigger', String(need(interp, a)));
            if (!row) return interp.fail('StringException', `Invalid id: ${String(a)}`);
            data.org.store.table('CronTrigger').delete(String(row.Id));
            return null;
        }
        // UserInfo
        case 'userinfo.getuserid':
            return exec.userId;
        case 'userinfo.getorganizationid':
            return data.org.orgId;
        case 'userinfo.getusername':
        case 'userinfo.getname':
        case 'userinfo.getfirstname':
        case 'userinfo.getlastname':
        case 'userinfo.getuseremail':
        case 'userinfo.getprofileid':
        case 'userinfo.getlanguage':
        case 'userinfo.getlocale':
        case 'userinfo.gettimezone': {
            const u = data.org.store.get('User', exec.userId) ?? {};
            const key = name.slice('userinfo.get'.length);
            const field = (
                {
                    username: 'Username',
                    name: 'Name',
                    firstname: 'FirstName',
                    lastname: 'LastName',
                    useremail: 'Email',
                    profileid: 'ProfileId',
                    language: 'LanguageLocaleKey',
                    locale: 'LocaleSidKey',
                    timezone: 'TimeZoneSidKey'
                } as Record<string, string>
            )[key]!;
            const v = u[field] ?? null;
            if (key === 'timezone') return new NativeObject('TimeZone', { getID: () => v, toString: () => v });
            return v;
        }
        case 'userinfo.isCurrentUserLicensed':
            return true;
        // Crypto, UUID
        case 'crypto.getrandominteger':
            return randomInt(-2147483648, 2147483647);
        case 'crypto.getrandomlong':
            return randomInt(-(2 ** 47), 2 ** 47);
        case 'uuid.randomuuid': {
            const u = randomUUID();
            return new NativeObject('UUID', { toString: () => u });
        }
        // JSON
        case 'json.serialize':
        case 'json.serializepretty':
            return JSON.stringify(toJson(interp, a, b !== true), null, name.endsWith('pretty') ? 2 : undefined);
        case 'json.deserializeuntyped':
            return fromJsonUntyped(parseJson(interp, a));
        case 'json.deserialize':
            return fromJsonTyped(interp, parseJson(interp, a), b as Token);
        // Limits
        case 'limits.getqueries':
            return exec.counters.queries;
        case 'limits.getlimitqueries':
            return exec.async ? LIMITS.soqlAsync : LIMITS.soqlSync;
        case 'limits.getdmlstatements':
            return exec.counters.dmlStatements;
        case 'limits.getlimitdmlstatements':
            return LIMITS.dml;
        case 'limits.getqueryrows':
            return exec.counters.queryRows;
        case 'limits.getlimitqueryrows':
            return LIMITS.queryRows;
        case 'limits.getdmlrows':
            return exec.counters.dmlRows;
        case 'limits.getlimitdmlrows':
            return LIMITS.dmlRows;
        case 'limits.getcputime':
            return 0;
        case 'limits.getlimitcputime':
            return exec.async ? 60000 : 10000;
        // Test
        case 'test.isrunningtest':
            return exec.inTest;
        case 'test.starttest':
            return exec.data.startTest(interp);
        case 'test.stoptest':
            return exec.data.stopTest(interp);
        case 'test.geteventbus':
            return new NativeObject('EventBus.TestBroker', { deliver: () => exec.data.deliverEvents(interp) });
        case 'test.getstandardpricebookid':
            return String(data.org.store.rows('Pricebook2').find((r) => r.IsStandard === true)?.Id ?? null);
        // Database
        case 'database.insert':
        case 'database.update':
        case 'database.delete':
        case 'database.upsert': {
            const op = name.slice('database.'.length);
            let extField: string | null = null;
            let rest = args.slice(1);
            if (op === 'upsert' && b instanceof Token) {
                extField = b.name.split('.').pop()!;
                rest = args.slice(2);
            }
            let allOrNone = true;
            let mode: 'user' | 'system' = 'system';
            for (const r of rest) {
                if (typeof r === 'boolean') allOrNone = r;
                else if (r instanceof ApexEnumValue) mode = r.name === 'USER_MODE' ? 'user' : 'system';
                else if (r instanceof NativeObject && r.typeName === 'Database.DMLOptions')
                    allOrNone = r.props.allOrNone !== false;
            }
            const results = exec.data.dml(interp, op, a, allOrNone, mode, extField);
            return a instanceof ApexList ? new ApexList(results, 'Database.SaveResult') : results[0]!;
        }
        case 'database.query': {
            const mode = b instanceof ApexEnumValue && b.name === 'USER_MODE' ? 'user' : 'system';
            if (/:\s*[A-Za-z_]/.test(String(a)))
                return interp.fail(
                    'QueryException',
                    'not supported by the org emulator: bind variables in Database.query (use Database.queryWithBinds)'
                );
            return exec.data.run(exec, String(a), mode, at);
        }
        case 'database.querywithbinds':
            return exec.data.queryWithBinds(
                exec,
                String(a),
                b as ApexMap,
                c instanceof ApexEnumValue && c.name === 'USER_MODE' ? 'user' : 'system'
            );
        case 'database.countquery':
            return exec.data.run(
                exec,
                String(a),
                b instanceof ApexEnumValue && b.name === 'USER_MODE' ? 'user' : 'system',
                at
            );
        case 'database.setsavepoint': {
            const sp = exec.data.tx.savepoint();
            return new NativeObject('Savepoint', {}, { sp });
        }
        case 'database.rollback':
            exec.data.tx.rollbackTo(
                (a as NativeObject).props.sp as { journal: number; changes: number; events: number }
            );
            return null;
        // EventBus
        case 'eventbus.publish': {
            const results = exec.data.dml(interp, 'insert', a, false, 'system', null);
            return a instanceof ApexList ? new ApexList(results, 'Database.SaveResult') : results[0]!;
        }
        case 'eventbus.triggercontext.currentcontext':
            return new NativeObject(
                'EventBus.TriggerContext',
                {
                    setResumeCheckpoint: () => null,
                    getResumeCheckpoint: () => null
                },
                { retries: exec.eventRetries, lastError: null }
            );
        // Schema
        case 'schema.getglobaldescribe': {
            const m = new ApexMap('String', 'Schema.SObjectType', true);
            for (const def of data.org.schema.all()) m.put(def.name, new Token('sobjecttype', def.name));
            return m;
        }
        case 'schema.describesobjects':
            return new ApexList(
                (a as ApexList).items.map((n) => describeSObject(interp, String(n))),
                'Schema.DescribeSObjectResult'
            );
        // FeatureManagement
        case 'featuremanagement.checkpermission':
            return exec.data.hasCustomPermission(exec.userId, String(a));
        case 'type.forname': {
            const n = String(b ?? a);
            const cls = interp.program.resolveClass(n.split('.'), null);
            return cls ? new Token('type', cls.fullName) : null;
        }
    }
    // `new Foo()` of a system type.
    if (name.endsWith('.<new>')) {
        const type = p.slice(0, -1).join('.').toLowerCase();
        if (type === 'database.dmloptions') return new NativeObject('Database.DMLOptions', {}, { allOrNone: true });
        if (type === 'object') return new NativeObject('Object', {});
        return interp.fail('TypeException', `Invalid type: ${p.slice(0, -1).join('.')}`);
    }
    return interp.fail(
        'TypeException',
        `Method does not exist or incorrect signature: ${p.slice(0, -1).join('.') || 'System'}.${p[p.length - 1]}(${args.map((x) => interp.runtimeType(x)).join(', ')}) at ${at.line}:${at.col}`
    );
}

/**
 * The static system methods callStatic implements, `class.method` in lower case (`debug` for System.debug): read
 * from its own case labels, so the compiler's check and the runtime cannot disagree.
 */
export const STATIC_METHODS: ReadonlySet<string> = new Set(
    [...callStatic.toString().matchAll(/case\s*['"]([a-z0-9_.<>]+)['"]\s*:/g)].map((m) => m[1]!)
);

function today(interp: Interpreter): ApexDate {
    const z = zoned(interp.exec.data.nowMs(), interp.exec.zone());
    return ApexDate.of(z.y, z.m, z.d);
}

function gmtDate(ms: number): ApexDate {
    return new ApexDate(ms - (((ms % 86_400_000) + 86_400_000) % 86_400_000));
}

// ---- JSON ----------------------------------------------------------------------------------------------------

function parseJson(interp: Interpreter, text: unknown): unknown {
    try {
        return JSON.parse(String(need(interp, text)));
    } catch (e) {
        return interp.fail('JSONException', `Unexpected character: ${e instanceof Error ? e.message : ''}`);
    }
}

function toJson(interp: Interpreter, v: unknown, keepNulls: boolean): unknown {
    if (v === null || v === undefined) return null;
    if (typeof v !== 'object') return v;
    if (v instanceof ApexDecimal) return v.n;
    if (v instanceof ApexDate) return v.toString();
    if (v instanceof ApexDatetime) return new Date(v.ms).toISOString();
    if (v instanceof ApexTime) return v.toString();
    if (v instanceof ApexEnumValue) return v.name;
    if (v instanceof ApexList) return v.items.map((x) => toJson(interp, x, keepNulls));
    if (v instanceof ApexSet) return v.values().map((x) => toJson(interp, x, keepNulls));
    if (v instanceof ApexMap) {
        const o: Record<string, unknown> = {};
        for (const [k, x] of v.map.values()) o[interp.toStr(k)] = toJson(interp, x, keepNulls);
        return o;
    }
    if (v instanceof SObject) {
        const o: Record<string, unknown> = { attributes: { type: v.type } };
        for (const [, [k, x]] of v.values) o[k] = toJson(interp, x, keepNulls);
        return o;
    }
    if (v instanceof ApexObject) {
        const o: Record<string, unknown> = {};
        const names = new Map<string, string>();
        for (let c: ClassInfo | null = v.cls; c; c = c.superclass)
            for (const f of c.decl?.fields ?? [])
                if (!f.mods.has('static') && !f.mods.has('transient')) names.set(f.name.toLowerCase(), f.name);
        for (const [k, x] of v.fields) {
            const n = names.get(k);
            if (!n) continue;
            if (x === null && !keepNulls) continue;
            o[n] = toJson(interp, x, keepNulls);
        }
        return o;
    }
    if (v instanceof NativeObject && v.typeName === 'UUID') return v.methods.toString!();
    return null;
}

function fromJsonUntyped(j: unknown): unknown {
    if (j === null) return null;
    if (Array.isArray(j)) return new ApexList(j.map(fromJsonUntyped), 'Object');
    if (typeof j === 'object') {
        const m = new ApexMap('String', 'Object');
        for (const [k, v] of Object.entries(j)) m.put(k, fromJsonUntyped(v));
        return m;
    }
    if (typeof j === 'number' && !Number.isInteger(j)) return ApexDecimal.of(j);
    return j;
}

function fromJsonTyped(interp: Interpreter, j: unknown, type: Token): unknown {
    return fromJsonAs(interp, j, parseTypeName(type.name));
}

function parseTypeName(s: string): TypeRef {
    const m = /^([^<]+)(?:<(.*)>)?$/.exec(s.replace(/\s+/g, ''))!;
    const args: TypeRef[] = [];
    if (m[2]) {
        let depth = 0;
        let cur = '';
        for (const ch of m[2]) {
            if (ch === ',' && depth === 0) {
                args.push(parseTypeName(cur));
                cur = '';
                continue;
            }
            if (ch === '<') depth++;
            if (ch === '>') depth--;
            cur += ch;
        }
        if (cur) args.push(parseTypeName(cur));
    }
    return { names: m[1]!.split('.'), args };
}

function fromJsonAs(interp: Interpreter, j: unknown, t: TypeRef): unknown {
    if (j === null || j === undefined) return null;
    const name = t.names.join('.').toLowerCase();
    const data = interp.exec.data;
    if (name === 'list' || name === 'set') {
        if (!Array.isArray(j)) return interp.fail('JSONException', 'Expected a JSON array');
        const items = j.map((x) => fromJsonAs(interp, x, t.args[0] ?? { names: ['Object'], args: [] }));
        if (name === 'list') return new ApexList(items, t.args[0]?.names.join('.') ?? 'Object');
        const s = new ApexSet(t.args[0]?.names.join('.') ?? 'Object');
        items.forEach((i) => s.add(i));
        return s;
    }
    if (name === 'map') {
        const m = new ApexMap('String', 'Object');
        for (const [k, v] of Object.entries(j as object))
            m.put(k, fromJsonAs(interp, v, t.args[1] ?? { names: ['Object'], args: [] }));
        return m;
    }
    if (name === 'object') return fromJsonUntyped(j);
    if (name === 'string' || name === 'id') return String(j);
    if (name === 'integer' || name === 'long') return Math.trunc(Number(j));
    if (name === 'double') return Number(j);
    if (name === 'decimal') return ApexDecimal.of(Number(j));
    if (name === 'boolean') return j === true;
    if (name === 'date') return ApexDate.parse(String(j));
    if (name === 'datetime') return new ApexDatetime(Date.parse(String(j)));
    const def = data.sobjectType(t.names.join('.'));
    if (def) {
        const rec = new SObject(def.name);
        for (const [k, v] of Object.entries(j as object)) {
            if (k === 'attributes') continue;
            const f = data.fieldDef(def.name, k);
            if (!f) return interp.fail('JSONException', `No such column '${k}' on sobject of type ${def.name}`);
            rec.set(f.name, fromJsonField(f.type, v));
        }
        return rec;
    }
    const cls = interp.program.resolveClass(t.names, null);
    if (cls) {
        const obj = interp.instantiate(cls, [], null);
        for (const [k, v] of Object.entries(j as object)) {
            let f = null;
            for (let c: ClassInfo | null = cls; c && !f; c = c.superclass) f = c.fields.get(k.toLowerCase()) ?? null;
            if (!f) continue;
            obj.fields.set(k.toLowerCase(), fromJsonAs(interp, v, f.type));
        }
        return obj;
    }
    return interp.fail('JSONException', `Invalid type: ${t.names.join('.')}`);
}

function fromJsonField(type: string, v: unknown): unknown {
    if (v === null) return null;
    if (type === 'date') return ApexDate.parse(String(v));
    if (type === 'datetime') return new ApexDatetime(Date.parse(String(v)));
    if (['currency', 'double', 'percent'].includes(type)) return ApexDecimal.of(Number(v));
    return v;
}

// ---- describe --------------------------------------------------------------------------------------------------

export function describeSObject(interp: Interpreter, name: string): NativeObject {
    const data = interp.exec.data;
    const def = data.org.schema.require(name);
    const access = (): ReturnType<typeof data.access> => data.access(interp.exec, 'user');
    const fieldsMap = (): ApexMap => {
        const m = new ApexMap('String', 'Schema.SObjectField', true);
        for (const f of def.fields) m.put(f.name, new Token('sobjectfield', `${def.name}.${f.name}`));
        return m;
    };
    const fields = new NativeObject('Schema.SObjectTypeFields', { getMap: fieldsMap });
    return new NativeObject(
        'Schema.DescribeSObjectResult',
        {
            getName: () => def.name,
            getLocalName: () => def.name,
            getLabel: () => def.label,
            getLabelPlural: () => def.labelPlural,
            getKeyPrefix: () => def.keyPrefix,
            isCustom: () => def.custom,
            isAccessible: () => access().object(def).read,
            isQueryable: () => access().object(def).read,
            isCreateable: () => access().object(def).create,
            isUpdateable: () => access().object(def).edit,
            isDeletable: () => access().object(def).delete,
            getSObjectType: () => new Token('sobjecttype', def.name),
            fields: () => fields
        },
        { fields }
    );
}

export function describeField(interp: Interpreter, qualified: string): NativeObject {
    const data = interp.exec.data;
    const [obj, fieldName] = qualified.split('.') as [string, string];
    const def = data.org.schema.require(obj);
    const f = data.fieldDef(obj, fieldName)!;
    const access = (): ReturnType<typeof data.access> => data.access(interp.exec, 'user');
    return new NativeObject('Schema.DescribeFieldResult', {
        getName: () => f.name,
        getLocalName: () => f.name,
        getLabel: () => f.label,
        getType: () => new ApexEnumValue('Schema.DisplayType', f.type.toUpperCase(), 0),
        getLength: () => f.length,
        getPrecision: () => f.precision,
        getScale: () => f.scale,
        isAccessible: () => access().field(def, f).read,
        isCreateable: () => f.createable && access().field(def, f).edit,
        isUpdateable: () => f.updateable && access().field(def, f).edit,
        isNillable: () => f.nillable,
        isCustom: () => f.custom,
        isExternalId: () => f.externalId,
        isUnique: () => f.unique,
        isCalculated: () => f.calculated,
        getRelationshipName: () => f.relationshipName,
        getReferenceTo: () =>
            new ApexList(
                f.referenceTo.map((r) => new Token('sobjecttype', r)),
                'Schema.SObjectType'
            ),
        getPicklistValues: () =>
            new ApexList(
                f.picklistValues.map(
                    (p) =>
                        new NativeObject('Schema.PicklistEntry', {
                            getValue: () => p.value,
                            getLabel: () => p.label,
                            isActive: () => p.active,
                            isDefaultValue: () => p.defaultValue
                        })
                ),
                'Schema.PicklistEntry'
            ),
        getSObjectField: () => new Token('sobjectfield', qualified),
        getDefaultValue: () => f.defaultValue ?? null
    });
}

// ---- properties and methods of values ----------------------------------------------------------------------

export function getValueProperty(interp: Interpreter, t: unknown, name: string): unknown {
    const key = name.toLowerCase();
    if (t instanceof SObject) {
        if (t.type === 'AggregateResult') return t.get(name);
        const data = interp.exec.data;
        const canonical = data.fieldOf(t.type, name);
        if (!t.has(canonical)) {
            const f = data.fieldDef(t.type, canonical);
            // A field not queried: SObjectException, as the platform throws.
            if (f && t.fromQuery)
                return interp.fail(
                    'SObjectException',
                    `SObject row was retrieved via SOQL without querying the requested field: ${t.type}.${canonical}`
                );
            return null;
        }
        return t.get(canonical);
    }
    if (t instanceof NativeObject) {
        if (key in t.props) return t.props[key] ?? t.props[name];
        const p = Object.keys(t.props).find((k) => k.toLowerCase() === key);
        if (p) return t.props[p];
        const m = Object.keys(t.methods).find((k) => k.toLowerCase() === key);
        if (m) return t.methods[m]!();
    }
    if (t instanceof Token && t.kind === 'sobjecttype') {
        // Opportunity.SObjectType.fields.Name, Schema.SObjectType.X.fields.Y
        if (key === 'fields')
            return new NativeObject(
                'Schema.SObjectTypeFields',
                { getMap: () => describeSObject(interp, t.name).methods.fields!() },
                {}
            );
    }
    if (t instanceof NativeObject && t.typeName === 'Schema.SObjectTypeFields') {
        return describeField(interp, `${name}`);
    }
    return interp.fail('TypeException', `Variable does not exist: ${name}`);
}

export function callValueMethod(interp: Interpreter, t: unknown, name: string, args: unknown[], at: Expr): unknown {
    const key = name.toLowerCase();
    const [a, b] = args;
    if (typeof t === 'string') return stringMethod(interp, t, key, args, at);
    if (t instanceof ApexList) return listMethod(interp, t, key, args, at);
    if (t instanceof ApexSet) {
        switch (key) {
            case 'add':
                return t.add(a);
            case 'addall': {
                let changed = false;
                for (const x of a instanceof ApexList ? a.items : (a as ApexSet).values())
                    changed = t.add(x) || changed;
                return changed;
            }
            case 'contains':
                return t.has(a);
            case 'containsall':
                return (a instanceof ApexList ? a.items : (a as ApexSet).values()).every((x) => t.has(x));
            case 'remove':
                return t.delete(a);
            case 'removeall': {
                let changed = false;
                for (const x of a instanceof ApexList ? a.items : (a as ApexSet).values())
                    changed = t.delete(x) || changed;
                return changed;
            }
            case 'retainall': {
                const keep = a instanceof ApexList ? new Set(a.items) : new Set((a as ApexSet).values());
                const ks = new ApexSet(t.elem);
                for (const x of keep) ks.add(x);
                for (const x of t.values()) if (!ks.has(x)) t.delete(x);
                return true;
            }
            case 'size':
                return t.map.size;
            case 'isempty':
                return t.map.size === 0;
            case 'clear':
                t.map.clear();
                return null;
            case 'clone': {
                const c = new ApexSet(t.elem);
                for (const x of t.values()) c.add(x);
                return c;
            }
            case 'equals':
                return interp.equals(t, a, false);
            case 'hashcode':
                return t.map.size;
        }
    }
    if (t instanceof ApexMap) {
        switch (key) {
            case 'put':
                return t.put(a, b);
            case 'get':
                return t.get(a);
            case 'containskey':
                return t.has(a);
            case 'remove':
                return t.delete(a);
            case 'keyset': {
                const s = new ApexSet(t.keyType);
                for (const k of t.keys()) s.add(k);
                return s;
            }
            case 'values':
                return new ApexList(t.values(), t.valType);
            case 'size':
                return t.map.size;
            case 'isempty':
                return t.map.size === 0;
            case 'clear':
                t.map.clear();
                return null;
            case 'putall':
                if (a instanceof ApexMap) for (const [k, v] of a.map.values()) t.put(k, v);
                else for (const r of (a as ApexList).items) t.put((r as SObject).get('Id'), r);
                return null;
            case 'clone': {
                const c = new ApexMap(t.keyType, t.valType, t.ci);
                for (const [k, v] of t.map.values()) c.put(k, v);
                return c;
            }
        }
    }
    if (t instanceof SObject) return sobjectMethod(interp, t, key, args);
    if (isNumber(t)) return numberMethod(interp, t, key, args);
    if (t instanceof ApexDate) return dateMethod(interp, t, key, args);
    if (t instanceof ApexDatetime) return datetimeMethod(interp, t, key, args);
    if (typeof t === 'boolean' && key === 'equals') return t === a;
    if (t instanceof ApexEnumValue) {
        if (key === 'name') return t.name;
        if (key === 'ordinal') return t.ordinal;
        if (key === 'equals') return interp.equals(t, a, false);
    }
    if (t instanceof Token) {
        if (t.kind === 'sobjecttype') {
            if (key === 'getdescribe') return describeSObject(interp, t.name);
            if (key === 'newsobject') {
                const s = new SObject(t.name);
                if (a) s.set('Id', a);
                return s;
            }
        }
        if (t.kind === 'sobjectfield' && key === 'getdescribe') return describeField(interp, t.name);
        if (key === 'getname' || key === 'tostring') return t.name.split('.').pop();
        if (key === 'equals') return interp.equals(t, a, false);
        if (t.kind === 'type' && key === 'newinstance') {
            const cls = interp.program.resolveClass(t.name.split('.'), null);
            if (cls) return interp.instantiate(cls, [], at);
        }
    }
    if (t instanceof NativeObject) {
        const m = Object.keys(t.methods).find((k) => k.toLowerCase() === key);
        if (m) return t.methods[m]!(...args);
    }
    return interp.fail(
        'TypeException',
        `Method does not exist or incorrect signature: ${name}(${args.map((x) => interp.runtimeType(x)).join(', ')}) from the type ${interp.runtimeType(t)}`
    );
}

function stringMethod(interp: Interpreter, s: string, key: string, args: unknown[], at: Expr): unknown {
    const [a, b] = args;
    const sa = a === null || a === undefined ? '' : String(a);
    switch (key) {
        case 'contains':
            return s.includes(String(need(interp, a)));
        case 'containsignorecase':
            return s.toLowerCase().includes(String(need(interp, a)).toLowerCase());
        case 'startswith':
            return s.startsWith(String(need(interp, a)));
        case 'endswith':
            return s.endsWith(String(need(interp, a)));
        // String.removeEnd / removeStart: the substring goes only where it ends / starts the string (null: unchanged).
        case 'removeend':
            return a === null || !s.endsWith(sa) ? s : s.slice(0, s.length - sa.length);
        case 'removestart':
            return a === null || !s.startsWith(sa) ? s : s.slice(sa.length);
        case 'startswithignorecase':
            return s.toLowerCase().startsWith(sa.toLowerCase());
        case 'substringbefore': {
            const i = s.indexOf(sa);
            return a === null ? s : i < 0 ? s : s.slice(0, i);
        }
        case 'substringafter': {
            const i = s.indexOf(sa);
            return a === null ? '' : i < 0 ? '' : s.slice(i + sa.length);
        }
        case 'substringbeforelast': {
            const i = s.lastIndexOf(sa);
            return i < 0 ? s : s.slice(0, i);
        }
        case 'substringafterlast': {
            const i = s.lastIndexOf(sa);
            return i < 0 ? '' : s.slice(i + sa.length);
        }
        case 'substring': {
            const start = num(a as number);
            const end = b === undefined ? s.length : num(b as number);
            if (start < 0 || end > s.length || start > end)
                return interp.fail('StringException', `Ending position out of bounds: ${end}`);
            return s.slice(start, end);
        }
        case 'replace':
            return s.split(sa).join(String(need(interp, b)));
        case 'replaceall':
            return s.replace(new RegExp(sa, 'g'), String(b).replace(/\$(\d)/g, '$$$1'));
        case 'left':
            return s.slice(0, Math.max(0, num(a as number)));
        case 'right':
            return num(a as number) <= 0 ? '' : s.slice(-num(a as number));
        case 'tolowercase':
            return s.toLowerCase();
        case 'touppercase':
            return s.toUpperCase();
        case 'length':
            return s.length;
        case 'trim':
            return s.trim();
        case 'split': {
            const parts = s.split(new RegExp(sa));
            while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
            return new ApexList(parts, 'String');
        }
        case 'equals':
            return a === s;
        case 'equalsignorecase':
            return typeof a === 'string' && a.toLowerCase() === s.toLowerCase();
        case 'indexof':
            return s.indexOf(sa);
        case 'lastindexof':
            return s.lastIndexOf(sa);
        case 'isblank':
            return s.trim() === '';
        case 'capitalize':
            return s.charAt(0).toUpperCase() + s.slice(1);
        case 'abbreviate': {
            const n = num(a as number);
            return s.length <= n ? s : s.slice(0, n - 3) + '...';
        }
        case 'repeat':
            return s.repeat(num(a as number));
        case 'reverse':
            return [...s].reverse().join('');
        case 'charat':
            return s.charCodeAt(num(a as number));
        case 'isnumeric':
            return /^\d+$/.test(s);
        case 'isalpha':
            return /^[A-Za-z]+$/.test(s);
        case 'normalizespace':
            return s.trim().replace(/\s+/g, ' ');
        case 'deletewhitespace':
            return s.replace(/\s+/g, '');
        case 'remove':
            return s.split(sa).join('');
        case 'compareto':
            return s < sa ? -1 : s > sa ? 1 : 0;
        case 'hashcode':
            return [...s].reduce((h, c) => (Math.imul(31, h) + c.charCodeAt(0)) | 0, 0);
        case 'getsobjecttype': {
            const def = interp.exec.data.org.schema.objectByPrefix(s.slice(0, 3));
            if (!def) return interp.fail('StringException', `Invalid id: ${s}`);
            return new Token('sobjecttype', def.name);
        }
        case 'to15':
            return s.slice(0, 15);
        case 'tostring':
            return s;
    }
    return interp.fail(
        'TypeException',
        `Method does not exist or incorrect signature: ${key}(${args.map((x) => interp.runtimeType(x)).join(', ')}) from the type String at ${at.line}:${at.col}`
    );
}

function listMethod(interp: Interpreter, l: ApexList, key: string, args: unknown[], at: Expr): unknown {
    const [a, b] = args;
    const index = (i: unknown): number => {
        const n = num(i as number);
        if (n < 0 || n >= l.items.length) interp.fail('ListException', `List index out of bounds: ${n}`);
        return n;
    };
    switch (key) {
        case 'add':
            if (args.length === 2) l.items.splice(num(a as number), 0, b);
            else l.items.push(a);
            return null;
        case 'addall':
            l.items.push(...(a instanceof ApexList ? a.items : (need(interp, a) as ApexSet).values()));
            return null;
        case 'get':
            return l.items[index(a)];
        case 'set':
            l.items[index(a)] = b;
            return null;
        case 'size':
            return l.items.length;
        case 'isempty':
            return l.items.length === 0;
        case 'clear':
            l.items = [];
            return null;
        case 'remove':
            return l.items.splice(index(a), 1)[0];
        case 'contains':
            return l.items.some((x) => interp.equals(x, a, false));
        case 'indexof':
            return l.items.findIndex((x) => interp.equals(x, a, false));
        case 'clone':
        case 'deepclone':
            return new ApexList(
                l.items.map((x) => (key === 'deepclone' && x instanceof SObject ? x.clone() : x)),
                l.elem
            );
        case 'sort':
            l.items.sort((x, y) => {
                if (x === null) return -1;
                if (y === null) return 1;
                if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : x > y ? 1 : 0;
                if (isNumber(x) && isNumber(y)) return num(x) - num(y);
                if (x instanceof ApexDate && y instanceof ApexDate) return x.ms - y.ms;
                if (x instanceof ApexObject) {
                    const r = interp.callOn(x, 'compareTo', [y], at);
                    return num(r as number);
                }
                return 0;
            });
            return null;
        case 'equals':
            return interp.equals(l, a, false);
        case 'getsobjecttype':
            return new Token('sobjecttype', l.elem);
    }
    return interp.fail('TypeException', `Method does not exist or incorrect signature: ${key} from the type List`);
}

function sobjectMethod(interp: Interpreter, s: SObject, key: string, args: unknown[]): unknown {
    const [a, b] = args;
    const data = interp.exec.data;
    switch (key) {
        case 'get': {
            const n = a instanceof Token ? a.name.split('.').pop()! : String(a);
            if (s.type === 'AggregateResult') return s.get(n);
            return getValueProperty(interp, s, n);
        }
        case 'put': {
            const n = a instanceof Token ? a.name.split('.').pop()! : String(a);
            const f = data.fieldOf(s.type, n);
            const prev = s.get(f);
            s.set(f, data.coerceField(s.type, f, b));
            return prev;
        }
        case 'getsobject':
            return s.get(String(a));
        case 'getsobjects':
            return s.get(String(a));
        case 'getsobjecttype':
            return new Token('sobjecttype', s.type);
        case 'getpopulatedfieldsasmap': {
            const m = new ApexMap('String', 'Object');
            for (const [, [k, v]] of s.values) m.put(k, v);
            return m;
        }
        case 'clone': {
            const c = s.clone();
            if (a !== true) c.values.delete('id');
            return c;
        }
        case 'adderror':
            s.errors.push({
                field: null,
                message: interp.toStr(a instanceof ApexObject ? a.fields.get('message') : a)
            });
            return null;
        case 'isset':
            return s.has(String(a instanceof Token ? a.name.split('.').pop() : a));
        case 'equals':
            return interp.equals(s, a, false);
    }
    return interp.fail('TypeException', `Method does not exist or incorrect signature: ${key} from the type ${s.type}`);
}

function numberMethod(interp: Interpreter, n: number | ApexDecimal, key: string, args: unknown[]): unknown {
    const v = num(n);
    switch (key) {
        case 'intvalue':
            return Math.trunc(v);
        case 'longvalue':
            return Math.trunc(v);
        case 'doublevalue':
            return v;
        case 'setscale': {
            const sc = num(args[0] as number);
            const f = 10 ** sc;
            return new ApexDecimal(Math.round(v * f) / f, sc);
        }
        case 'scale':
            return n instanceof ApexDecimal ? n.scale : 0;
        case 'round':
            return Math.round(v);
        case 'abs':
            return n instanceof ApexDecimal ? new ApexDecimal(Math.abs(v), n.scale) : Math.abs(v);
        case 'format':
            return v.toLocaleString('en-US');
        case 'tostring':
        case 'toplainstring':
            return interp.toStr(n);
        case 'striptrailingzeros':
            return ApexDecimal.of(v);
        case 'divide': {
            const d = num(args[0] as number);
            const sc = num(args[1] as number);
            const f = 10 ** sc;
            return new ApexDecimal(Math.round((v / d) * f) / f, sc);
        }
        case 'equals':
            return isNumber(args[0]) && num(args[0]) === v;
    }
    return interp.fail('TypeException', `Method does not exist or incorrect signature: ${key} from the type Decimal`);
}

function dateMethod(interp: Interpreter, d: ApexDate, key: string, args: unknown[]): unknown {
    const [a] = args;
    const { y, m, d: day } = d.parts;
    switch (key) {
        case 'adddays':
            return d.addDays(num(a as number));
        case 'addmonths':
            return d.addMonths(num(a as number));
        case 'addyears':
            return d.addMonths(12 * num(a as number));
        case 'year':
            return y;
        case 'month':
            return m;
        case 'day':
            return day;
        case 'dayofyear':
            return Math.round((d.ms - Date.UTC(y, 0, 1)) / 86_400_000) + 1;
        case 'daysbetween':
            return Math.round(((a as ApexDate).ms - d.ms) / 86_400_000);
        case 'monthsbetween': {
            const o = (a as ApexDate).parts;
            return (o.y - y) * 12 + (o.m - m);
        }
        case 'tostartofmonth':
            return ApexDate.of(y, m, 1);
        case 'tostartofweek': {
            const dow = new Date(d.ms).getUTCDay();
            return d.addDays(-dow);
        }
        case 'format':
            return `${m}/${day}/${y}`;
        case 'issameday':
            return (a as ApexDate).ms === d.ms;
        case 'equals':
            return a instanceof ApexDate && a.ms === d.ms;
    }
    return interp.fail('TypeException', `Method does not exist or incorrect signature: ${key} from the type Date`);
}

function datetimeMethod(interp: Interpreter, t: ApexDatetime, key: string, args: unknown[]): unknown {
    const [a] = args;
    const exec = interp.exec;
    const z = zoned(t.ms, exec.zone());
    const g = new Date(t.ms);
    switch (key) {
        case 'gettime':
            return t.ms;
        case 'formatgmt':
            return exec.data.formatGmt(t.ms, String(a));
        case 'format':
            return args.length === 0
                ? exec.formatLocal(t.ms, 'M/d/yyyy h:mm a')
                : args.length === 2
                  ? exec.data.formatIn(t.ms, String(a), String(args[1]))
                  : exec.formatLocal(t.ms, String(a));
        case 'date':
            return ApexDate.of(z.y, z.m, z.d);
        case 'dategmt':
            return ApexDate.of(g.getUTCFullYear(), g.getUTCMonth() + 1, g.getUTCDate());
        case 'adddays':
            return new ApexDatetime(t.ms + num(a as number) * 86_400_000);
        case 'addhours':
            return new ApexDatetime(t.ms + num(a as number) * 3_600_000);
        case 'addminutes':
            return new ApexDatetime(t.ms + num(a as number) * 60_000);
        case 'addseconds':
            return new ApexDatetime(t.ms + num(a as number) * 1000);
        case 'year':
            return z.y;
        case 'month':
            return z.m;
        case 'day':
            return z.d;
        case 'hour':
            return z.h;
        case 'minute':
            return z.mi;
        case 'second':
            return z.s;
        case 'yeargmt':
            return g.getUTCFullYear();
        case 'monthgmt':
            return g.getUTCMonth() + 1;
        case 'daygmt':
            return g.getUTCDate();
        case 'hourgmt':
            return g.getUTCHours();
        case 'minutegmt':
            return g.getUTCMinutes();
        case 'time':
            return new ApexTime(((z.h * 60 + z.mi) * 60 + z.s) * 1000);
        case 'timegmt':
            return new ApexTime(t.ms % 86_400_000);
        case 'equals':
            return a instanceof ApexDatetime && a.ms === t.ms;
    }
    return interp.fail('TypeException', `Method does not exist or incorrect signature: ${key} from the type Datetime`);
}

export { toStored, saveResult, EXCEPTION, systemException };
