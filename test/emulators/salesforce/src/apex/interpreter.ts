// The Apex interpreter: statements and expressions over the values of values.ts, in one execution context per
// transaction (static state, governor limits, debug log, the user stack of System.runAs). System classes live
// in system.ts; data access (SOQL, DML, triggers) in data.ts.
import type { ClassDecl, Expr, MethodDecl, Stmt, TypeRef } from './ast.ts';
import { EXCEPTION, findField, findMethods, isSubclass, systemException, type ClassInfo } from './classes.ts';
import type { Execution } from './execution.ts';
import { callStatic, callValueMethod, getValueProperty, resolveSystemName, typeMatches } from './system.ts';
import {
    ApexDate,
    ApexDatetime,
    ApexDecimal,
    ApexEnumValue,
    ApexList,
    ApexMap,
    ApexObject,
    ApexSet,
    ApexThrow,
    ApexTime,
    SObject,
    Token,
    isNumber,
    num
} from './values.ts';

/** A dotted name that is not (yet) a value: a class, namespace or sObject type. */
export class NameRef {
    constructor(readonly path: string[]) {}
}

const BREAK = { signal: 'break' } as const;
const CONTINUE = { signal: 'continue' } as const;
type Signal = typeof BREAK | typeof CONTINUE | { signal: 'return'; value: unknown } | undefined;

interface Frame {
    self: ApexObject | null;
    cls: ClassInfo | null;
    scopes: Map<string, { v: unknown; type: TypeRef | null }>[];
    /** Source name of the code running (stack traces, coverage). */
    source: string;
    method: string;
}

export interface Program {
    classes: Map<string, ClassInfo>;
    resolveClass(names: string[], from: ClassInfo | null): ClassInfo | undefined;
    cover(source: string, line: number): void;
}

export class Interpreter {
    constructor(
        readonly program: Program,
        readonly exec: Execution
    ) {}

    // ---- errors ---------------------------------------------------------------------------------------------

    /** Throws a system exception of the given type, as the platform does. */
    fail(type: string, message: string): never {
        const cls = systemException(type) ?? EXCEPTION;
        const obj = new ApexObject(cls);
        obj.fields.set('message', message);
        throw new ApexThrow(obj);
    }

    newException(cls: ClassInfo, message: string | null, cause: unknown = null): ApexObject {
        const obj = new ApexObject(cls);
        obj.fields.set('message', message);
        obj.fields.set('cause', cause);
        return obj;
    }

    // ---- classes and statics --------------------------------------------------------------------------------

    private statics(cls: ClassInfo): Map<string, unknown> {
        let s = this.exec.statics.get(cls);
        if (s) return s;
        s = new Map();
        this.exec.statics.set(cls, s);
        if (cls.decl) {
            if (cls.decl.kind === 'enum') {
                cls.decl.enumValues.forEach((v, i) => s!.set(v.toLowerCase(), new ApexEnumValue(cls.fullName, v, i)));
            }
            const frame = this.frame(null, cls, cls.decl.source, '<clinit>');
            for (const f of cls.decl.fields) {
                if (!f.mods.has('static')) continue;
                if (f.init) this.cover(cls.decl.source, f.line);
                s.set(f.name.toLowerCase(), f.init ? this.coerce(this.eval(f.init, frame), f.type) : defaultOf(f.type));
            }
            for (const b of cls.decl.staticInits) this.exec_(b, frame);
        }
        return s;
    }

    private frame(self: ApexObject | null, cls: ClassInfo | null, source: string, method: string): Frame {
        return { self, cls, scopes: [new Map()], source, method };
    }

    instantiate(cls: ClassInfo, args: unknown[], at: Expr | null): ApexObject {
        if (cls.decl?.mods.has('abstract') || cls.kind === 'interface')
            this.fail('TypeException', `Abstract classes cannot be constructed: ${cls.fullName}`);
        const obj = new ApexObject(cls);
        if (cls.isException || isSubclass(cls, EXCEPTION)) {
            obj.fields.set('message', null);
            obj.fields.set('cause', null);
            if (!cls.decl || cls.decl.ctors.length === 0) {
                this.initFields(obj, cls);
                const [a, b] = args;
                if (a instanceof ApexObject && isSubclass(a.cls, EXCEPTION)) obj.fields.set('cause', a);
                else if (a !== undefined) obj.fields.set('message', a === null ? null : String(a));
                if (b instanceof ApexObject) obj.fields.set('cause', b);
                obj.fields.set('line', at?.line ?? 0);
                return obj;
            }
        }
        this.construct(obj, cls, args, at);
        return obj;
    }

    private initFields(obj: ApexObject, cls: ClassInfo): void {
        if (!cls.decl) return;
        const frame = this.frame(obj, cls, cls.decl.source, '<init>');
        for (const f of cls.decl.fields) {
            if (f.mods.has('static')) continue;
            if (f.init) this.cover(cls.decl.source, f.line);
            obj.fields.set(
                f.name.toLowerCase(),
                f.init ? this.coerce(this.eval(f.init, frame), f.type) : defaultOf(f.type)
            );
        }
        for (const b of cls.decl.instanceInits) this.exec_(b, frame);
    }

    private construct(obj: ApexObject, cls: ClassInfo, args: unknown[], at: Expr | null): void {
        const decl = cls.decl;
        if (!decl) {
            // System superclass (Exception): message from the first argument.
            if (args.length > 0) obj.fields.set('message', args[0] === null ? null : String(args[0]));
            return;
        }
        const ctor = this.pick(decl.ctors, args, cls, '<init>', at, decl.ctors.length === 0);
        const body = ctor?.body as (Stmt & { k: 'block' }) | undefined;
        const first = body?.body[0];
        const explicit = first?.k === 'expr' && first.e.k === 'ctorcall' ? first.e : null;
        const frame = this.frame(obj, cls, decl.source, cls.name);
        if (ctor) ctor.params.forEach((p, i) => this.declare(frame, p.name, this.coerce(args[i], p.type), p.type));
        if (explicit?.which === 'this') {
            this.construct(
                obj,
                cls,
                explicit.args.map((a) => this.eval(a, frame)),
                explicit
            );
        } else {
            const superArgs = explicit?.which === 'super' ? explicit.args.map((a) => this.eval(a, frame)) : [];
            if (cls.superclass) this.construct(obj, cls.superclass, superArgs, explicit);
            else if (superArgs.length > 0) this.fail('TypeException', 'Object has no constructor with arguments');
            this.initFields(obj, cls);
        }
        if (body) {
            this.cover(decl.source, body.line);
            const rest = explicit ? body.body.slice(1) : body.body;
            if (explicit) this.cover(decl.source, first!.line);
            this.runBlock(rest, frame);
        }
    }

    /** Picks the overload whose parameters the arguments fit. */
    private pick(
        methods: MethodDecl[],
        args: unknown[],
        cls: ClassInfo,
        name: string,
        at: Expr | null,
        allowNone = false
    ): MethodDecl | undefined {
        const arity = methods.filter((m) => m.params.length === args.length);
        if (arity.length === 1) return arity[0];
        const fit = arity.filter((m) => m.params.every((p, i) => typeMatches(this, args[i], p.type, cls)));
        if (fit.length > 0) return fit[0];
        if (allowNone && args.length === 0) return undefined;
        return this.fail(
            'TypeException',
            `Method does not exist or incorrect signature: ${name}(${args.length} arguments) from the type ${cls.fullName}` +
                (at ? ` at ${at.line}:${at.col}` : '')
        );
    }

    callMethod(obj: ApexObject | null, cls: ClassInfo, name: string, args: unknown[], at: Expr | null): unknown {
        const candidates = findMethods(obj ? obj.cls : cls, name).filter((c) => !!c.method.body || !obj);
        let chosen = candidates.filter((c) => c.method.params.length === args.length);
        if (chosen.length > 1)
            chosen = chosen.filter((c) => c.method.params.every((p, i) => typeMatches(this, args[i], p.type, c.owner)));
        const hit = chosen[0];
        if (!hit) {
            return this.fail(
                'TypeException',
                `Method does not exist or incorrect signature: ${name} from the type ${cls.fullName}` +
                    (at ? ` at ${at.line}:${at.col}` : '')
            );
        }
        return this.invoke(obj, hit.owner, hit.method, args);
    }

    invoke(obj: ApexObject | null, owner: ClassInfo, m: MethodDecl, args: unknown[]): unknown {
        if (!m.body) this.fail('TypeException', `Abstract method ${m.name} has no body`);
        // @future: queued, run after the transaction (at Test.stopTest in a test) with async limits.
        if (m.annotations.has('future') && this.exec.asyncKind !== 'future') {
            if (this.exec.async)
                this.fail('AsyncException', 'Future method cannot be called from a future or batch method');
            this.exec.asyncQueue.push(() => {
                const saved = { counters: this.exec.counters, async: this.exec.async, kind: this.exec.asyncKind };
                this.exec.counters = { queries: 0, queryRows: 0, dmlStatements: 0, dmlRows: 0 };
                this.exec.async = true;
                this.exec.asyncKind = 'future';
                try {
                    this.invoke(null, owner, m, args);
                } finally {
                    this.exec.counters = saved.counters;
                    this.exec.async = saved.async;
                    this.exec.asyncKind = saved.kind;
                }
            });
            return null;
        }
        if (m.mods.has('static')) this.statics(owner);
        const frame = this.frame(m.mods.has('static') ? null : obj, owner, owner.decl!.source, m.name);
        m.params.forEach((p, i) => this.declare(frame, p.name, this.coerce(args[i], p.type), p.type));
        const callerSharing = this.exec.sharing;
        if (owner.sharing === 'with' || (owner.sharing === 'inherited' && this.exec.depth === 0))
            this.exec.sharing = true;
        else if (owner.sharing === 'without') this.exec.sharing = false;
        this.exec.depth++;
        if (this.exec.depth > 1000) this.fail('LimitException', 'Maximum stack depth reached: 1001');
        this.exec.stack.push(`Class.${owner.fullName}.${m.name}: line ${m.line}, column ${m.col}`);
        try {
            const sig = this.exec_(m.body!, frame);
            if (sig && sig.signal === 'return') return sig.value;
            return null;
        } finally {
            this.exec.depth--;
            this.exec.stack.pop();
            this.exec.sharing = callerSharing;
        }
    }

    /** Runs a trigger body or anonymous block as a frame of its own. */
    runTopLevel(body: Stmt, source: string, name: string): void {
        const frame = this.frame(null, null, source, name);
        // Triggers run without sharing, whatever class's DML fired them.
        const callerSharing = this.exec.sharing;
        this.exec.sharing = false;
        try {
            this.exec_(body, frame);
        } finally {
            this.exec.sharing = callerSharing;
        }
    }

    // ---- variables -----------------------------------------------------------------------------------------

    private declare(frame: Frame, name: string, v: unknown, type: TypeRef | null): void {
        frame.scopes[frame.scopes.length - 1]!.set(name.toLowerCase(), { v, type });
    }

    private lookup(frame: Frame, name: string): { v: unknown; type: TypeRef | null } | undefined {
        const key = name.toLowerCase();
        for (let i = frame.scopes.length - 1; i >= 0; i--) {
            const hit = frame.scopes[i]!.get(key);
            if (hit) return hit;
        }
        return undefined;
    }

    /** A static field visible from `cls` (its own, its superclasses', its outer classes'). */
    private staticOwner(cls: ClassInfo | null, name: string): ClassInfo | undefined {
        for (let c = cls; c; c = c.outer) {
            const f = findField(c, name);
            if (f && f.field.mods.has('static')) return f.owner;
            if (c.decl?.kind === 'enum' && c.decl.enumValues.some((v) => v.toLowerCase() === name.toLowerCase()))
                return c;
        }
        return undefined;
    }

    // ---- statements ----------------------------------------------------------------------------------------

    cover(source: string, line: number): void {
        this.program.cover(source, line);
    }

    private runBlock(body: Stmt[], frame: Frame): Signal {
        frame.scopes.push(new Map());
        try {
            for (const s of body) {
                const sig = this.exec_(s, frame);
                if (sig) return sig;
            }
            return undefined;
        } finally {
            frame.scopes.pop();
        }
    }

    exec_(s: Stmt, frame: Frame): Signal {
        if (s.k !== 'block') this.cover(frame.source, s.line);
        this.exec.line = s.line;
        switch (s.k) {
            case 'block':
                return this.runBlock(s.body, frame);
            case 'local':
                for (const d of s.decls)
                    this.declare(frame, d.name, d.init ? this.coerce(this.eval(d.init, frame), s.type) : null, s.type);
                return undefined;
            case 'expr':
                this.eval(s.e, frame);
                return undefined;
            case 'if':
                if (this.truthy(this.eval(s.c, frame), s.c)) return this.exec_(s.then, frame);
                return s.else ? this.exec_(s.else, frame) : undefined;
            case 'for': {
                frame.scopes.push(new Map());
                try {
                    if (Array.isArray(s.init)) for (const e of s.init) this.eval(e, frame);
                    else if (s.init) this.exec_(s.init, frame);
                    while (!s.cond || this.truthy(this.eval(s.cond, frame), s.cond)) {
                        const sig = this.exec_(s.body, frame);
                        if (sig === BREAK) break;
                        if (sig && sig !== CONTINUE) return sig;
                        for (const u of s.update) this.eval(u, frame);
                    }
                } finally {
                    frame.scopes.pop();
                }
                return undefined;
            }
            case 'foreach': {
                const iter = this.eval(s.iter, frame);
                const items =
                    iter instanceof ApexList
                        ? [...iter.items]
                        : iter instanceof ApexSet
                          ? iter.values()
                          : iter === null
                            ? this.fail('NullPointerException', 'Attempt to de-reference a null object')
                            : this.fail('TypeException', 'Loop must iterate over collection');
                for (const item of items) {
                    frame.scopes.push(new Map([[s.name.toLowerCase(), { v: item, type: s.type }]]));
                    let sig: Signal;
                    try {
                        sig = this.exec_(s.body, frame);
                    } finally {
                        frame.scopes.pop();
                    }
                    if (sig === BREAK) break;
                    if (sig && sig !== CONTINUE) return sig;
                }
                return undefined;
            }
            case 'while':
                while (this.truthy(this.eval(s.c, frame), s.c)) {
                    const sig = this.exec_(s.body, frame);
                    if (sig === BREAK) break;
                    if (sig && sig !== CONTINUE) return sig;
                }
                return undefined;
            case 'do':
                do {
                    const sig = this.exec_(s.body, frame);
                    if (sig === BREAK) break;
                    if (sig && sig !== CONTINUE) return sig;
                } while (this.truthy(this.eval(s.c, frame), s.c));
                return undefined;
            case 'switch':
                return this.switch_(s, frame);
            case 'try':
                return this.try_(s, frame);
            case 'return':
                return { signal: 'return', value: s.e ? this.eval(s.e, frame) : null };
            case 'throw': {
                const e = this.eval(s.e, frame);
                if (!(e instanceof ApexObject))
                    this.fail('NullPointerException', 'Attempt to de-reference a null object');
                if (!e.fields.get('line')) e.fields.set('line', s.line);
                throw new ApexThrow(e);
            }
            case 'break':
                return BREAK;
            case 'continue':
                return CONTINUE;
            case 'dml':
                this.exec.data.dmlStatement(this, s.op, this.eval(s.e, frame), s.mode, s.extField);
                return undefined;
            case 'runas': {
                const user = this.eval(s.user, frame);
                if (!(user instanceof SObject) || !user.get('Id'))
                    this.fail('NullPointerException', 'System.runAs needs a User with an Id');
                if (!this.exec.inTest) this.fail('Exception', 'System.runAs can only be used in a test method');
                this.exec.users.push(String(user.get('Id')));
                try {
                    return this.exec_(s.body, frame);
                } finally {
                    this.exec.users.pop();
                }
            }
        }
    }

    private switch_(s: Stmt & { k: 'switch' }, frame: Frame): Signal {
        const v = this.eval(s.e, frame);
        for (const w of s.whens) {
            let match = false;
            if (w.values === null) match = true;
            else if (w.typed) {
                match = v instanceof SObject && v.type.toLowerCase() === w.typed.type.names.join('.').toLowerCase();
            } else {
                for (const lit of w.values) {
                    const c =
                        lit.k === 'name' && v instanceof ApexEnumValue
                            ? v.name.toLowerCase() === lit.name.split('.').pop()!.toLowerCase()
                            : this.equals(v, this.eval(lit, frame), true);
                    if (c) {
                        match = true;
                        break;
                    }
                }
            }
            if (!match) continue;
            frame.scopes.push(new Map());
            try {
                if (w.typed) this.declare(frame, w.typed.name, v, w.typed.type);
                return this.exec_(w.body, frame);
            } finally {
                frame.scopes.pop();
            }
        }
        return undefined;
    }

    private try_(s: Stmt & { k: 'try' }, frame: Frame): Signal {
        try {
            return this.exec_(s.body, frame);
        } catch (e) {
            if (!(e instanceof ApexThrow)) throw e;
            const ex = e.exception;
            // System.LimitException cannot be caught.
            if (ex.cls.fullName === 'System.LimitException') throw e;
            for (const c of s.catches) {
                const cls = this.resolveType(c.type, frame.cls);
                if (!cls || !isSubclass(ex.cls, cls)) continue;
                frame.scopes.push(new Map([[c.name.toLowerCase(), { v: ex, type: c.type }]]));
                try {
                    return this.exec_(c.body, frame);
                } finally {
                    frame.scopes.pop();
                }
            }
            throw e;
        } finally {
            if (s.fin) {
                const sig = this.exec_(s.fin, frame);
                if (sig) return sig; // eslint-disable-line no-unsafe-finally
            }
        }
    }

    resolveType(t: TypeRef, from: ClassInfo | null): ClassInfo | undefined {
        return this.program.resolveClass(t.names, from) ?? systemException(t.names.join('.'));
    }

    truthy(v: unknown, at: Expr): boolean {
        if (v === null) this.fail('NullPointerException', 'Attempt to de-reference a null object');
        if (typeof v !== 'boolean') this.fail('TypeException', `Expected a Boolean at ${at.line}:${at.col}`);
        return v;
    }

    // ---- expressions ---------------------------------------------------------------------------------------

    eval(e: Expr, frame: Frame): unknown {
        switch (e.k) {
            case 'lit':
                return e.t === 'Decimal' ? ApexDecimal.parse(String(e.v)) : e.v;
            case 'name': {
                const v = this.nameValue(e.name, frame);
                if (v instanceof NameRef) return v;
                return v;
            }
            case 'this':
                return frame.self;
            case 'super':
                return frame.self;
            case 'field':
                return this.fieldOf(e, frame);
            case 'call':
                return this.call(e, frame);
            case 'ctorcall':
                return this.fail('Exception', 'this()/super() must be the first statement of a constructor');
            case 'index': {
                const t = this.deref(this.eval(e.target, frame));
                const i = this.eval(e.index, frame);
                if (t instanceof ApexList) return this.listGet(t, i);
                if (t instanceof ApexMap) return t.get(i);
                return this.fail('TypeException', 'Only lists can be indexed');
            }
            case 'new':
                return this.new_(e, frame);
            case 'assign':
                return this.assign(e, frame);
            case 'bin':
                return this.binary(e.op, this.eval(e.l, frame), this.eval(e.r, frame), e);
            case 'and':
                return this.truthy(this.eval(e.l, frame), e.l) && this.truthy(this.eval(e.r, frame), e.r);
            case 'or':
                return this.truthy(this.eval(e.l, frame), e.l) || this.truthy(this.eval(e.r, frame), e.r);
            case 'cond':
                return this.truthy(this.eval(e.c, frame), e.c) ? this.eval(e.a, frame) : this.eval(e.b, frame);
            case 'coal': {
                const l = this.eval(e.l, frame);
                return l !== null ? l : this.eval(e.r, frame);
            }
            case 'not':
                return !this.truthy(this.eval(e.e, frame), e.e);
            case 'neg': {
                const v = this.eval(e.e, frame);
                if (v === null) this.fail('NullPointerException', 'Attempt to de-reference a null object');
                if (v instanceof ApexDecimal) return new ApexDecimal(-v.n, v.scale);
                return -(v as number);
            }
            case 'incdec': {
                const old = this.eval(e.e, frame);
                const next = this.binary(e.op === '++' ? '+' : '-', old, 1, e);
                this.store(e.e, next, frame);
                return e.prefix ? next : old;
            }
            case 'cast':
                return this.cast(this.eval(e.e, frame), e.type, frame.cls, e);
            case 'instanceof': {
                const v = this.eval(e.e, frame);
                return v !== null && typeMatches(this, v, e.type, frame.cls);
            }
            case 'soql':
                return this.exec.data.inlineQuery(
                    this,
                    e.parts,
                    e.binds.map((b) => this.eval(b, frame)),
                    e.mode,
                    e
                );
            case 'classlit':
                return new Token('type', e.type.names.join('.'));
        }
    }

    private deref(v: unknown): unknown {
        if (v === null || v === undefined) this.fail('NullPointerException', 'Attempt to de-reference a null object');
        if (v instanceof NameRef) this.fail('TypeException', `Variable does not exist: ${v.path.join('.')}`);
        return v;
    }

    private listGet(t: ApexList, i: unknown): unknown {
        const n = num(i as number);
        if (!Number.isInteger(n) || n < 0 || n >= t.items.length)
            this.fail('ListException', `List index out of bounds: ${String(n)}`);
        return t.items[n];
    }

    nameValue(name: string, frame: Frame): unknown {
        const local = this.lookup(frame, name);
        if (local) return local.v;
        const key = name.toLowerCase();
        if (frame.self) {
            const f = findField(frame.self.cls, name);
            if (f && !f.field.mods.has('static')) return this.readField(frame.self, f.owner, f.field.name);
        }
        const owner = this.staticOwner(frame.cls, name);
        if (owner) return this.readStatic(owner, key);
        return new NameRef([name]);
    }

    private readField(obj: ApexObject, owner: ClassInfo, name: string): unknown {
        const f = owner.fields.get(name.toLowerCase());
        if (f?.getter) {
            const frame = this.frame(obj, owner, owner.decl!.source, `get ${name}`);
            const sig = this.exec_(f.getter, frame);
            return sig && sig.signal === 'return' ? sig.value : null;
        }
        return obj.fields.get(name.toLowerCase()) ?? null;
    }

    private readStatic(owner: ClassInfo, key: string): unknown {
        const s = this.statics(owner);
        const f = owner.fields.get(key);
        if (f?.getter) {
            const frame = this.frame(null, owner, owner.decl!.source, `get ${f.name}`);
            const sig = this.exec_(f.getter, frame);
            return sig && sig.signal === 'return' ? sig.value : null;
        }
        return s.get(key) ?? null;
    }

    /** A dotted path that starts with a class, namespace or sObject name. */
    resolvePath(path: string[], from: ClassInfo | null): unknown {
        for (let n = path.length; n >= 1; n--) {
            const cls = this.program.resolveClass(path.slice(0, n), from);
            if (!cls) continue;
            if (n === path.length) return new NameRef(path);
            const key = path[n]!.toLowerCase();
            const f = findField(cls, key);
            const owner = f?.field.mods.has('static')
                ? f.owner
                : cls.decl?.kind === 'enum' && cls.decl.enumValues.some((v) => v.toLowerCase() === key)
                  ? cls
                  : undefined;
            if (!owner) {
                if (cls.inner.has(key)) continue;
                return this.fail('TypeException', `Variable does not exist: ${path[n]}`);
            }
            let v = this.readStatic(owner, key);
            for (const p of path.slice(n + 1)) v = this.member(v, p);
            return v;
        }
        return resolveSystemName(this, path);
    }

    private fieldOf(e: Expr & { k: 'field' }, frame: Frame): unknown {
        const t = this.eval(e.target, frame);
        if (t instanceof NameRef) return this.resolvePath([...t.path, e.name], frame.cls);
        if (t === null && e.safe) return null;
        if (e.target.k === 'super' || e.target.k === 'this') {
            const self = frame.self!;
            const f = findField(self.cls, e.name);
            if (f) return this.readField(self, f.owner, f.field.name);
        }
        return this.member(t, e.name);
    }

    /** A SOQL result used as one sObject: its only row. */
    singleRow(t: ApexList): SObject {
        if (t.items.length === 0) this.fail('QueryException', 'List has no rows for assignment to SObject');
        if (t.items.length > 1) this.fail('QueryException', 'List has more than 1 row for assignment to SObject');
        return t.items[0] as SObject;
    }

    member(t: unknown, name: string): unknown {
        t = this.deref(t);
        if (t instanceof ApexList && t.items.every((x) => x instanceof SObject) && t.fromQuery) t = this.singleRow(t);
        if (t instanceof ApexObject) {
            const f = findField(t.cls, name);
            if (f) {
                if (f.field.mods.has('static')) return this.readStatic(f.owner, name.toLowerCase());
                return this.readField(t, f.owner, f.field.name);
            }
            return this.fail('TypeException', `Variable does not exist: ${name}`);
        }
        return getValueProperty(this, t, name);
    }

    private call(e: Expr & { k: 'call' }, frame: Frame): unknown {
        if (e.target === null) {
            const args = e.args.map((a) => this.eval(a, frame));
            // Own method (instance or static), else a static method of an outer class.
            for (let c = frame.cls; c; c = c.outer) {
                const ms = findMethods(frame.self && c === frame.cls ? frame.self.cls : c, e.name);
                if (ms.length > 0) {
                    const anyInstance = ms.some((m) => !m.method.mods.has('static'));
                    return this.callMethod(anyInstance && c === frame.cls ? frame.self : null, c, e.name, args, e);
                }
            }
            if (frame.self && isSubclass(frame.self.cls, EXCEPTION))
                return this.exceptionMethod(frame.self, e.name, args);
            return this.fail('TypeException', `Method does not exist or incorrect signature: ${e.name}`);
        }
        if (e.target.k === 'super') {
            const args = e.args.map((a) => this.eval(a, frame));
            const sup = frame.cls?.superclass;
            if (!sup) return this.fail('TypeException', 'No superclass');
            const hit = findMethods(sup, e.name).find((m) => m.method.params.length === args.length);
            if (!hit) return this.fail('TypeException', `Method does not exist: ${e.name}`);
            return this.invoke(frame.self, hit.owner, hit.method, args);
        }
        const t = this.eval(e.target, frame);
        if (t instanceof NameRef) {
            const cls = this.program.resolveClass(t.path, frame.cls);
            const args = e.args.map((a) => this.eval(a, frame));
            if (cls) return this.callMethod(null, cls, e.name, args, e);
            const resolved = this.tryResolveValue(t.path, frame.cls);
            if (resolved !== undefined && !(resolved instanceof NameRef)) return this.callOn(resolved, e.name, args, e);
            return callStatic(this, [...t.path, e.name], args, e);
        }
        if (t === null && e.safe) return null;
        const args = e.args.map((a) => this.eval(a, frame));
        return this.callOn(t, e.name, args, e);
    }

    /** A path that may name a static field (Class.FIELD.method()); undefined when it names a class or namespace. */
    private tryResolveValue(path: string[], from: ClassInfo | null): unknown {
        for (let n = path.length - 1; n >= 1; n--) {
            const cls = this.program.resolveClass(path.slice(0, n), from);
            if (cls) return this.resolvePath(path, from);
        }
        const sys = resolveSystemName(this, path, true);
        return sys;
    }

    callOn(t: unknown, name: string, args: unknown[], at: Expr): unknown {
        t = this.deref(t);
        if (t instanceof ApexObject) {
            if (t.cls.decl && findMethods(t.cls, name).length > 0) return this.callMethod(t, t.cls, name, args, at);
            if (isSubclass(t.cls, EXCEPTION)) return this.exceptionMethod(t, name, args);
            return this.fail(
                'TypeException',
                `Method does not exist or incorrect signature: ${name} from the type ${t.cls.fullName}`
            );
        }
        return callValueMethod(this, t, name, args, at);
    }

    private exceptionMethod(t: ApexObject, name: string, args: unknown[]): unknown {
        switch (name.toLowerCase()) {
            case 'getmessage':
                return t.fields.get('message') ?? null;
            case 'setmessage':
                t.fields.set('message', args[0] ?? null);
                return null;
            case 'gettypename':
                return t.cls.decl ? t.cls.fullName : t.cls.fullName;
            case 'getcause':
                return t.fields.get('cause') ?? null;
            case 'initcause':
                t.fields.set('cause', args[0] ?? null);
                return null;
            case 'getlinenumber':
                return t.fields.get('line') ?? -1;
            case 'getstacktracestring':
                return String(t.fields.get('stack') ?? '');
            default:
                return this.exec.data.dmlExceptionMethod(this, t, name, args);
        }
    }

    private new_(e: Expr & { k: 'new' }, frame: Frame): unknown {
        const t = e.type;
        const head = t.names.join('.').toLowerCase();
        if (head === 'list' || head === 'set' || head === 'map') {
            const elem = typeName(t.args[0]);
            if (head === 'map') {
                const m = new ApexMap(typeName(t.args[0]), typeName(t.args[1]));
                for (const [k, v] of e.map ?? []) m.put(this.eval(k, frame), this.eval(v, frame));
                if (e.args?.length === 1) {
                    const src = this.eval(e.args[0]!, frame);
                    if (src instanceof ApexMap) for (const [k, v] of src.map.values()) m.put(k, v);
                    else if (src instanceof ApexList) for (const r of src.items) m.put((r as SObject).get('Id'), r);
                    else this.fail('TypeException', 'Invalid initial value for a Map');
                }
                return m;
            }
            const items = (e.list ?? []).map((x) => this.coerce(this.eval(x, frame), t.args[0]!));
            if (e.args?.length === 1) {
                const src = this.eval(e.args[0]!, frame);
                if (src instanceof ApexList) items.push(...src.items);
                else if (src instanceof ApexSet) items.push(...src.values());
                else if (typeof src === 'number' && head === 'list') {
                    /* capacity */
                } else this.fail('NullPointerException', 'Attempt to de-reference a null object');
            }
            if (e.size) {
                const n = num(this.eval(e.size, frame) as number);
                for (let i = 0; i < n; i++) items.push(null);
            }
            if (head === 'list') return new ApexList(items, elem);
            const s = new ApexSet(elem);
            for (const i of items) s.add(i);
            return s;
        }
        const cls = this.program.resolveClass(t.names, frame.cls);
        if (cls) {
            if (e.named)
                this.fail(
                    'TypeException',
                    `Invalid constructor syntax, name=value pairs can only be used for SObjects: ${cls.fullName}`
                );
            return this.instantiate(
                cls,
                (e.args ?? []).map((a) => this.eval(a, frame)),
                e
            );
        }
        const sysEx = systemException(t.names.join('.'));
        if (sysEx)
            return this.instantiate(
                sysEx,
                (e.args ?? []).map((a) => this.eval(a, frame)),
                e
            );
        const sobject = this.exec.data.sobjectType(t.names.join('.'));
        if (sobject) {
            const rec = new SObject(sobject.name);
            for (const n of e.named ?? []) {
                const f = this.exec.data.fieldOf(sobject.name, n.name);
                rec.set(f, this.exec.data.coerceField(sobject.name, f, this.eval(n.value, frame)));
            }
            if (e.args && e.args.length > 0) this.fail('TypeException', 'SObject constructors take name=value pairs');
            return rec;
        }
        return callStatic(
            this,
            [...t.names, '<new>'],
            (e.args ?? []).map((a) => this.eval(a, frame)),
            e
        );
    }

    private assign(e: Expr & { k: 'assign' }, frame: Frame): unknown {
        let v = this.eval(e.value, frame);
        if (e.op !== '=') v = this.binary(e.op[0]!, this.eval(e.target, frame), v, e);
        this.store(e.target, v, frame);
        return v;
    }

    store(target: Expr, v: unknown, frame: Frame): void {
        if (target.k === 'name') {
            const local = this.lookup(frame, target.name);
            if (local) {
                local.v = local.type ? this.coerce(v, local.type) : v;
                return;
            }
            if (frame.self) {
                const f = findField(frame.self.cls, target.name);
                if (f && !f.field.mods.has('static')) return this.writeField(frame.self, f.owner, target.name, v);
            }
            const owner = this.staticOwner(frame.cls, target.name);
            if (owner) {
                const f = owner.fields.get(target.name.toLowerCase());
                this.statics(owner).set(target.name.toLowerCase(), f ? this.coerce(v, f.type) : v);
                return;
            }
            this.fail('TypeException', `Variable does not exist: ${target.name}`);
        }
        if (target.k === 'field') {
            const t = this.eval(target.target, frame);
            if (t instanceof NameRef) {
                const cls = this.program.resolveClass(t.path, frame.cls);
                const f = cls ? findField(cls, target.name) : undefined;
                if (!cls || !f) return void this.fail('TypeException', `Variable does not exist: ${target.name}`);
                this.statics(f.owner).set(target.name.toLowerCase(), this.coerce(v, f.field.type));
                return;
            }
            const obj = this.deref(t);
            if (obj instanceof ApexObject) {
                const f = findField(obj.cls, target.name);
                if (!f) return void this.fail('TypeException', `Variable does not exist: ${target.name}`);
                if (f.field.mods.has('static')) {
                    this.statics(f.owner).set(target.name.toLowerCase(), v);
                    return;
                }
                return this.writeField(obj, f.owner, target.name, v);
            }
            if (obj instanceof SObject) {
                const f = this.exec.data.fieldOf(obj.type, target.name);
                obj.set(f, this.exec.data.coerceField(obj.type, f, v));
                return;
            }
            this.fail('TypeException', `Field ${target.name} is not writeable`);
        }
        if (target.k === 'index') {
            const t = this.deref(this.eval(target.target, frame));
            const i = this.eval(target.index, frame);
            if (t instanceof ApexList) {
                this.listGet(t, i);
                t.items[num(i as number)] = v;
                return;
            }
            if (t instanceof ApexMap) {
                t.put(i, v);
                return;
            }
        }
        this.fail('TypeException', 'Expression cannot be assigned');
    }

    private writeField(obj: ApexObject, owner: ClassInfo, name: string, v: unknown): void {
        const f = owner.fields.get(name.toLowerCase())!;
        if (f.setter) {
            const frame = this.frame(obj, owner, owner.decl!.source, `set ${name}`);
            this.declare(frame, 'value', v, f.type);
            this.exec_(f.setter, frame);
            return;
        }
        obj.fields.set(name.toLowerCase(), this.coerce(v, f.type));
    }

    // ---- operators -----------------------------------------------------------------------------------------

    equals(a: unknown, b: unknown, ci: boolean): boolean {
        if (a === null || a === undefined) return b === null || b === undefined;
        if (b === null || b === undefined) return false;
        if (typeof a === 'string' && typeof b === 'string') {
            if (isId(a) && isId(b)) return a.slice(0, 15) === b.slice(0, 15);
            return ci ? a.toLowerCase() === b.toLowerCase() : a === b;
        }
        if (isNumber(a) && isNumber(b)) return num(a) === num(b);
        if (a instanceof ApexDate && b instanceof ApexDate) return a.ms === b.ms;
        if (a instanceof ApexDatetime && b instanceof ApexDatetime) return a.ms === b.ms;
        if (a instanceof ApexTime && b instanceof ApexTime) return a.ms === b.ms;
        if (a instanceof Token && b instanceof Token)
            return a.kind === b.kind && a.name.toLowerCase() === b.name.toLowerCase();
        if (a instanceof ApexList && b instanceof ApexList)
            return a.items.length === b.items.length && a.items.every((x, i) => this.equals(x, b.items[i], ci));
        if (a instanceof ApexSet && b instanceof ApexSet)
            return a.map.size === b.map.size && [...a.map.keys()].every((k) => b.map.has(k));
        if (a instanceof ApexMap && b instanceof ApexMap)
            return (
                a.map.size === b.map.size &&
                [...a.map.entries()].every(([k, [, v]]) => b.map.has(k) && this.equals(v, b.map.get(k)![1], ci))
            );
        if (a instanceof SObject && b instanceof SObject) {
            if (a.type !== b.type || a.values.size !== b.values.size) return false;
            for (const [k, [, v]] of a.values)
                if (!b.values.has(k) || !this.equals(v, b.values.get(k)![1], false)) return false;
            return true;
        }
        if (a instanceof ApexObject && b instanceof ApexObject) {
            const eq = findMethods(a.cls, 'equals').find((m) => m.method.params.length === 1);
            if (eq) return this.invoke(a, eq.owner, eq.method, [b]) === true;
            return a === b;
        }
        return a === b;
    }

    private compare(a: unknown, b: unknown, at: Expr): number {
        if (a === null || b === null)
            this.fail('NullPointerException', `Comparison arguments must not be null at ${at.line}:${at.col}`);
        if (isNumber(a) && isNumber(b)) return num(a) - num(b);
        if (typeof a === 'string' && typeof b === 'string') {
            const x = a.toLowerCase();
            const y = b.toLowerCase();
            return x < y ? -1 : x > y ? 1 : 0;
        }
        if (
            (a instanceof ApexDate || a instanceof ApexDatetime || a instanceof ApexTime) &&
            a.constructor === (b as object).constructor
        )
            return a.ms - (b as ApexDate).ms;
        return this.fail('TypeException', `Comparison arguments must be compatible types at ${at.line}:${at.col}`);
    }

    binary(op: string, a: unknown, b: unknown, at: Expr): unknown {
        switch (op) {
            case '==':
                return this.equals(a, b, true);
            case '!=':
                return !this.equals(a, b, true);
            case '===':
                return a === b || (a instanceof ApexObject ? false : a === null && b === null);
            case '!==':
                return a !== b;
            case '<':
                return this.compare(a, b, at) < 0;
            case '>':
                return this.compare(a, b, at) > 0;
            case '<=':
                return this.compare(a, b, at) <= 0;
            case '>=':
                return this.compare(a, b, at) >= 0;
        }
        if (op === '+' && (typeof a === 'string' || typeof b === 'string')) return this.toStr(a) + this.toStr(b);
        if (a === null || b === null) return this.fail('NullPointerException', 'Attempt to de-reference a null object');
        if (a instanceof ApexDate && isNumber(b)) return a.addDays(op === '+' ? num(b) : -num(b));
        if (a instanceof ApexDatetime && isNumber(b))
            return new ApexDatetime(a.ms + (op === '+' ? 1 : -1) * num(b) * 86_400_000);
        if (!isNumber(a) || !isNumber(b))
            return this.fail(
                'TypeException',
                `Arithmetic expressions must use numeric arguments at ${at.line}:${at.col}`
            );
        if (a instanceof ApexDecimal || b instanceof ApexDecimal) {
            const x = a instanceof ApexDecimal ? a : ApexDecimal.of(a);
            const y = b instanceof ApexDecimal ? b : ApexDecimal.of(b);
            switch (op) {
                case '+':
                    return new ApexDecimal(round(x.n + y.n, Math.max(x.scale, y.scale)), Math.max(x.scale, y.scale));
                case '-':
                    return new ApexDecimal(round(x.n - y.n, Math.max(x.scale, y.scale)), Math.max(x.scale, y.scale));
                case '*':
                    return new ApexDecimal(round(x.n * y.n, x.scale + y.scale), x.scale + y.scale);
                case '/': {
                    if (y.n === 0) return this.fail('MathException', 'Divide by 0');
                    return ApexDecimal.of(x.n / y.n);
                }
            }
        }
        const x = a as number;
        const y = b as number;
        switch (op) {
            case '+':
                return x + y;
            case '-':
                return x - y;
            case '*':
                return x * y;
            case '/':
                if (y === 0 && Number.isInteger(x) && Number.isInteger(y))
                    return this.fail('MathException', 'Divide by 0');
                return Number.isInteger(x) && Number.isInteger(y) ? Math.trunc(x / y) : x / y;
        }
        return this.fail('TypeException', `Operator ${op} is not supported`);
    }

    toStr(v: unknown): string {
        if (v === null || v === undefined) return 'null';
        if (typeof v === 'string') return v;
        if (typeof v === 'number') return String(v);
        if (typeof v === 'boolean') return v ? 'true' : 'false';
        if (v instanceof ApexDecimal) return v.toString();
        if (v instanceof ApexDate) return v.toString();
        if (v instanceof ApexDatetime) return this.exec.formatLocal(v.ms, 'yyyy-MM-dd HH:mm:ss');
        if (v instanceof ApexTime) return v.toString();
        if (v instanceof ApexEnumValue) return v.name;
        if (v instanceof Token) return v.name;
        if (v instanceof ApexList) return `(${v.items.map((x) => this.toStr(x)).join(', ')})`;
        if (v instanceof ApexSet)
            return `{${v
                .values()
                .map((x) => this.toStr(x))
                .join(', ')}}`;
        if (v instanceof ApexMap)
            return `{${[...v.map.values()].map(([k, x]) => `${this.toStr(k)}=${this.toStr(x)}`).join(', ')}}`;
        if (v instanceof SObject)
            return `${v.type}:{${[...v.values.values()].map(([k, x]) => `${k}=${this.toStr(x)}`).join(', ')}}`;
        if (v instanceof ApexObject) {
            if (isSubclass(v.cls, EXCEPTION))
                return `${v.cls.fullName}: ${this.toStr(v.fields.get('message') ?? null)}`;
            const ts = findMethods(v.cls, 'toString').find((m) => m.method.params.length === 0 && m.owner.decl);
            if (ts) return this.toStr(this.invoke(v, ts.owner, ts.method, []));
            return `${v.cls.fullName}:[${[...v.fields.entries()].map(([k, x]) => `${k}=${this.toStr(x)}`).join(', ')}]`;
        }
        return String(v);
    }

    /** Assignment conversion: Integer to Decimal/Double widening, checked collection element types. */
    coerce(v: unknown, type: TypeRef): unknown {
        if (v === null || v === undefined) return null;
        const t = type.names.join('.').toLowerCase();
        if (
            v instanceof ApexList &&
            v.fromQuery &&
            type.args.length === 0 &&
            this.exec.data.sobjectType(type.names.join('.'))
        )
            return this.singleRow(v);
        if ((t === 'decimal' || t === 'currency') && typeof v === 'number') return ApexDecimal.of(v);
        if ((t === 'double' || t === 'long' || t === 'integer') && v instanceof ApexDecimal) {
            return this.fail('TypeException', `Illegal assignment from Decimal to ${type.names.join('.')}`);
        }
        if (t === 'integer' && typeof v === 'string')
            return this.fail('TypeException', 'Illegal assignment from String to Integer');
        return v;
    }

    cast(v: unknown, type: TypeRef, from: ClassInfo | null, at: Expr): unknown {
        if (v === null) return null;
        const t = type.names.join('.').toLowerCase();
        if (t === 'decimal' && typeof v === 'number') return ApexDecimal.of(v);
        if ((t === 'integer' || t === 'long') && v instanceof ApexDecimal) return Math.trunc(v.n);
        if (t === 'double' && v instanceof ApexDecimal) return v.n;
        if (!typeMatches(this, v, type, from)) {
            return this.fail(
                'TypeException',
                `Invalid conversion from runtime type ${this.runtimeType(v)} to ${type.names.join('.')}${at ? '' : ''}`
            );
        }
        return v;
    }

    runtimeType(v: unknown): string {
        if (typeof v === 'string') return isId(v) ? 'Id' : 'String';
        if (typeof v === 'number') return Number.isInteger(v) ? 'Integer' : 'Double';
        if (typeof v === 'boolean') return 'Boolean';
        if (v instanceof ApexDecimal) return 'Decimal';
        if (v instanceof ApexDate) return 'Date';
        if (v instanceof ApexDatetime) return 'Datetime';
        if (v instanceof ApexList) return `List<${v.elem}>`;
        if (v instanceof ApexSet) return `Set<${v.elem}>`;
        if (v instanceof ApexMap) return `Map<${v.keyType},${v.valType}>`;
        if (v instanceof SObject) return v.type;
        if (v instanceof ApexObject) return v.cls.fullName;
        return 'Object';
    }
}

function round(n: number, scale: number): number {
    const f = 10 ** Math.min(scale, 15);
    return Math.round(n * f) / f;
}

export function typeName(t: TypeRef | undefined): string {
    if (!t) return 'Object';
    const base = t.names.join('.');
    return t.args.length > 0 ? `${base}<${t.args.map(typeName).join(',')}>` : base;
}

export function isId(s: string): boolean {
    return /^[a-zA-Z0-9]{3}[0-9][a-zA-Z0-9]{11}([a-zA-Z0-9]{3})?$/.test(s) && /[0-9]/.test(s.slice(3, 5));
}

/** Every Apex variable, primitives included, starts out null. */
export function defaultOf(_type: TypeRef): unknown {
    return null;
}

export type { Frame, ClassDecl };
