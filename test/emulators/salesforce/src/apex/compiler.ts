// Compiles a set of Apex sources as one unit: parse and lower each, link classes (superclasses, interfaces),
// then check names against the program and the org's schema with Salesforce's wording: unknown sObject
// fields, unknown types, methods that do not exist with the arguments given, and illegal assignments.
import type { Org } from '../org.ts';
import type { ClassDecl, Expr, Stmt, TriggerDecl, TypeRef } from './ast.ts';
import { classInfo, findMethods, systemException, type ClassInfo } from './classes.ts';
import type { ApexCompileProblem, ApexCompileResult, ApexSource } from './index.ts';
import { CompileError, lowerClass, lowerTrigger } from './lower.ts';
import { CompiledProgram } from './program.ts';
import { STATIC_METHODS } from './system.ts';

const PRIMITIVES = new Set([
    'string',
    'integer',
    'long',
    'decimal',
    'double',
    'boolean',
    'id',
    'date',
    'datetime',
    'time',
    'object',
    'blob',
    'list',
    'set',
    'map',
    'sobject',
    'void'
]);

/** System types the runtime knows (system.ts), qualified or not. */
const SYSTEM_TYPES = new Set([
    'schema.sobjecttype',
    'sobjecttype',
    'schema.sobjectfield',
    'sobjectfield',
    'schema.describesobjectresult',
    'schema.describefieldresult',
    'describesobjectresult',
    'describefieldresult',
    'schema.picklistentry',
    'database.saveresult',
    'database.upsertresult',
    'database.deleteresult',
    'database.error',
    'database.dmloptions',
    'aggregateresult',
    'address',
    'schedulable',
    'schedulablecontext',
    'queueable',
    'queueablecontext',
    'system.triggeroperation',
    'triggeroperation',
    'accesslevel',
    'system.accesslevel',
    'uuid',
    'savepoint',
    'system.savepoint',
    'type',
    'timezone',
    'database.batchable',
    'database.batchablecontext',
    'eventbus.triggercontext',
    'schema.sobjectdescribeoptions',
    'logginglevel',
    'system.logginglevel'
]);

class Problems {
    readonly list: ApexCompileProblem[] = [];
    constructor(private readonly source: ApexSource) {}
    add(message: string, line: number, col: number): void {
        this.list.push({
            componentName: this.source.name,
            componentType: this.source.kind === 'class' ? 'ApexClass' : 'ApexTrigger',
            fileName: this.source.fileName,
            line,
            column: col,
            problem: message
        });
    }
}

/** Lowered trees by source text: parsing is the slow part, and every org of a test run compiles the same package. */
const lowered = new Map<string, ClassDecl | TriggerDecl | CompileError>();

function lowerCached<T extends ClassDecl | TriggerDecl>(src: ApexSource, lower: (body: string, file: string) => T): T {
    const key = `${src.kind}\u0000${src.fileName}\u0000${src.body}`;
    let hit = lowered.get(key);
    if (!hit) {
        try {
            hit = lower(src.body, src.fileName);
        } catch (e) {
            if (!(e instanceof CompileError)) throw e;
            hit = e;
        }
        if (lowered.size > 500) lowered.clear();
        lowered.set(key, hit);
    }
    if (hit instanceof CompileError) throw hit;
    return hit as T;
}

export function compileProgram(org: Org, sources: ApexSource[]): ApexCompileResult {
    const problems: ApexCompileProblem[] = [];
    const classes: { src: ApexSource; decl: ClassDecl }[] = [];
    const triggers: { src: ApexSource; decl: TriggerDecl }[] = [];
    for (const src of sources) {
        const p = new Problems(src);
        try {
            if (src.kind === 'class') {
                const decl = lowerCached(src, lowerClass);
                if (decl.name.toLowerCase() !== src.name.toLowerCase())
                    p.add(`The type name ${decl.name} does not match the file name ${src.name}`, decl.line, decl.col);
                else classes.push({ src, decl });
            } else {
                const decl = lowerCached(src, lowerTrigger);
                if (!org.schema.get(decl.object))
                    p.add(`Invalid type: ${decl.object}`, decl.objectPos.line, decl.objectPos.col);
                else triggers.push({ src, decl: { ...decl, object: org.schema.get(decl.object)!.name } });
            }
        } catch (e) {
            if (!(e instanceof CompileError)) throw e;
            p.add(e.message, e.line, e.col);
        }
        problems.push(...p.list);
    }
    const top = classes.map((c) => classInfo(c.decl, null));
    const program = new CompiledProgram(
        org,
        sources,
        top,
        triggers.map((t) => t.decl)
    );
    // Link superclasses and interfaces.
    const link = (c: ClassInfo, src: ApexSource): void => {
        const p = new Problems(src);
        const d = c.decl!;
        if (d.extends) {
            const sup =
                program.resolveClass(d.extends.names, c.outer ?? c) ?? systemException(d.extends.names.join('.'));
            if (!sup) p.add(`Invalid type: ${d.extends.names.join('.')}`, d.line, d.col);
            else c.superclass = sup;
            if (sup?.isException || (sup && sup.superclass === null && sup.name === 'Exception')) c.isException = true;
        }
        for (const i of d.implements) {
            const itf = program.resolveClass(i.names, c.outer ?? c);
            if (itf) c.interfaces.push(itf);
            else if (!SYSTEM_TYPES.has(i.names.join('.').toLowerCase()))
                p.add(`Invalid type: ${i.names.join('.')}`, d.line, d.col);
        }
        problems.push(...p.list);
        for (const inner of c.inner.values()) link(inner, src);
    };
    top.forEach((c, i) => link(c, classes[i]!.src));
    for (const c of top) markExceptions(c);
    // Name and type checks.
    top.forEach((c, i) => problems.push(...new Checker(org, program, classes[i]!.src).checkClass(c)));
    triggers.forEach((t) => problems.push(...new Checker(org, program, t.src).checkBody(t.decl.body, null, new Map())));
    if (problems.length > 0) return { problems };
    const anonymous: ApexSource = { name: 'AnonymousBlock', kind: 'class', fileName: '(anonymous)', body: '' };
    program.checkAnonymous = (body) => new Checker(org, program, anonymous).checkBody(body, null, new Map());
    return { problems, program };
}

function markExceptions(c: ClassInfo): void {
    for (let k: ClassInfo | null = c.superclass; k; k = k.superclass)
        if (k.isException || k.name === 'Exception') c.isException = true;
    for (const i of c.inner.values()) markExceptions(i);
}

type Scope = Map<string, TypeRef>;

/** Static checks: a light type inference over locals, parameters, fields, sObject fields and user methods. */
class Checker {
    private readonly p: Problems;
    constructor(
        private readonly org: Org,
        private readonly program: CompiledProgram,
        src: ApexSource
    ) {
        this.p = new Problems(src);
    }

    checkClass(c: ClassInfo): ApexCompileProblem[] {
        const d = c.decl!;
        for (const f of d.fields) {
            this.checkType(f.type, c, f.line, f.col);
            if (f.init) this.assignable(f.type, this.expr(f.init, c, [new Map()]), f.init, c);
            if (f.getter) this.checkBody(f.getter, c, new Map());
            if (f.setter) this.checkBody(f.setter, c, new Map([['value', f.type]]));
        }
        for (const m of [...d.methods, ...d.ctors]) {
            const scope: Scope = new Map(m.params.map((p) => [p.name.toLowerCase(), p.type]));
            for (const p of m.params) this.checkType(p.type, c, m.line, m.col);
            if (m.ret) this.checkType(m.ret, c, m.line, m.col);
            if (m.body) this.checkBody(m.body, c, scope);
        }
        for (const b of [...d.staticInits, ...d.instanceInits]) this.checkBody(b, c, new Map());
        for (const i of c.inner.values()) this.checkClass(i);
        return this.p.list;
    }

    checkBody(s: Stmt, c: ClassInfo | null, scope: Scope): ApexCompileProblem[] {
        this.stmt(s, c, [scope]);
        return this.p.list;
    }

    private checkType(t: TypeRef, c: ClassInfo | null, line: number, col: number): void {
        const name = t.names.join('.').toLowerCase();
        for (const a of t.args) this.checkType(a, c, line, col);
        if (
            PRIMITIVES.has(name) ||
            SYSTEM_TYPES.has(name) ||
            name.startsWith('system.') ||
            name.startsWith('schema.') ||
            name.startsWith('database.') ||
            name.startsWith('eventbus.')
        )
            return;
        if (this.program.resolveClass(t.names, c) || systemException(name) || this.org.schema.get(t.names.join('.')))
            return;
        this.p.add(`Invalid type: ${t.names.join('.')}`, line, col);
    }

    private stmt(s: Stmt, c: ClassInfo | null, scopes: Scope[]): void {
        const inner = (): Scope[] => [...scopes, new Map()];
        switch (s.k) {
            case 'block': {
                const sc = inner();
                for (const x of s.body) this.stmt(x, c, sc);
                return;
            }
            case 'local':
                this.checkType(s.type, c, s.line, s.col);
                for (const d of s.decls) {
                    if (d.init) this.assignable(s.type, this.expr(d.init, c, scopes), d.init, c);
                    scopes[scopes.length - 1]!.set(d.name.toLowerCase(), s.type);
                }
                return;
            case 'expr':
                this.expr(s.e, c, scopes);
                return;
            case 'if':
                this.expr(s.c, c, scopes);
                this.stmt(s.then, c, inner());
                if (s.else) this.stmt(s.else, c, inner());
                return;
            case 'for': {
                const sc = inner();
                if (Array.isArray(s.init)) s.init.forEach((e) => this.expr(e, c, sc));
                else if (s.init) this.stmt(s.init, c, sc);
                if (s.cond) this.expr(s.cond, c, sc);
                s.update.forEach((e) => this.expr(e, c, sc));
                this.stmt(s.body, c, sc);
                return;
            }
            case 'foreach': {
                this.checkType(s.type, c, s.line, s.col);
                this.expr(s.iter, c, scopes);
                const sc = inner();
                sc[sc.length - 1]!.set(s.name.toLowerCase(), s.type);
                this.stmt(s.body, c, sc);
                return;
            }
            case 'while':
            case 'do':
                this.expr(s.c, c, scopes);
                this.stmt(s.body, c, inner());
                return;
            case 'switch':
                this.expr(s.e, c, scopes);
                for (const w of s.whens) {
                    const sc = inner();
                    if (w.typed) sc[sc.length - 1]!.set(w.typed.name.toLowerCase(), w.typed.type);
                    this.stmt(w.body, c, sc);
                }
                return;
            case 'try':
                this.stmt(s.body, c, inner());
                for (const k of s.catches) {
                    if (!this.program.resolveClass(k.type.names, c) && !systemException(k.type.names.join('.')))
                        this.p.add(`Invalid type: ${k.type.names.join('.')}`, s.line, s.col);
                    const sc = inner();
                    sc[sc.length - 1]!.set(k.name.toLowerCase(), k.type);
                    this.stmt(k.body, c, sc);
                }
                if (s.fin) this.stmt(s.fin, c, inner());
                return;
            case 'return':
            case 'throw':
                if (s.e) this.expr(s.e, c, scopes);
                return;
            case 'dml':
                this.expr(s.e, c, scopes);
                return;
            case 'runas':
                this.expr(s.user, c, scopes);
                this.stmt(s.body, c, inner());
                return;
            default:
                return;
        }
    }

    private local(name: string, scopes: Scope[]): TypeRef | undefined {
        for (let i = scopes.length - 1; i >= 0; i--) {
            const t = scopes[i]!.get(name.toLowerCase());
            if (t) return t;
        }
        return undefined;
    }

    private fieldType(c: ClassInfo | null, name: string): TypeRef | undefined {
        for (let k = c; k; k = k.outer)
            for (let s: ClassInfo | null = k; s; s = s.superclass) {
                const f = s.fields.get(name.toLowerCase());
                if (f) return f.type;
                if (s.decl?.kind === 'enum' && s.decl.enumValues.some((v) => v.toLowerCase() === name.toLowerCase()))
                    return { names: [s.fullName], args: [] };
            }
        return undefined;
    }

    /** The static type of an expression when it is known; undefined when it is not (then nothing is checked). */
    private expr(e: Expr, c: ClassInfo | null, scopes: Scope[]): TypeRef | undefined {
        const T = (n: string): TypeRef => ({ names: [n], args: [] });
        switch (e.k) {
            case 'lit':
                return e.t === 'null' ? undefined : T(e.t);
            case 'name': {
                const t = this.local(e.name, scopes) ?? this.fieldType(c, e.name);
                if (t) return t;
                const known =
                    this.program.resolveClass([e.name], c) ||
                    this.org.schema.get(e.name) ||
                    systemException(e.name) ||
                    isSystemName(e.name);
                if (!known) this.p.add(`Variable does not exist: ${e.name}`, e.line, e.col);
                return undefined;
            }
            case 'field': {
                const t = this.expr(e.target, c, scopes);
                if (t) {
                    const def = this.org.schema.get(t.names.join('.'));
                    if (def) {
                        const f = this.org.schema.field(def.name, e.name);
                        if (f) return apexTypeOf(f.type);
                        const rel = def.fields.find((x) => x.relationshipName?.toLowerCase() === e.name.toLowerCase());
                        if (rel) return rel.referenceTo.length === 1 ? T(rel.referenceTo[0]!) : undefined;
                        if (this.org.schema.childRelationship(def.name, e.name)) return undefined;
                        this.p.add(`Variable does not exist: ${e.name}`, e.line, e.col);
                        return undefined;
                    }
                }
                return undefined;
            }
            case 'call': {
                const argTypes = e.args.map((a) => this.expr(a, c, scopes));
                if (
                    e.target &&
                    e.target.k === 'name' &&
                    !this.local(e.target.name, scopes) &&
                    !this.fieldType(c, e.target.name)
                ) {
                    const cls = this.program.resolveClass([e.target.name], c);
                    if (cls?.decl) return this.checkCall(cls, e.name, argTypes, e, true);
                    if (!cls && !this.org.schema.get(e.target.name) && isSystemName(e.target.name)) {
                        const owner = e.target.name.toLowerCase();
                        const key = owner === 'system' ? e.name.toLowerCase() : `${owner}.${e.name.toLowerCase()}`;
                        if (!STATIC_METHODS.has(key)) {
                            const sig = argTypes.map((a) => (a ? typeText(a) : 'Object')).join(', ');
                            this.p.add(
                                `Method does not exist or incorrect signature: void ${e.name}(${sig}) from the type ${e.target.name}`,
                                e.line,
                                e.col
                            );
                        }
                    }
                    return undefined;
                }
                if (e.target) {
                    const t = this.expr(e.target, c, scopes);
                    const cls = t ? this.program.resolveClass(t.names, c) : undefined;
                    if (cls?.decl && !cls.isException) return this.checkCall(cls, e.name, argTypes, e, false);
                    return undefined;
                }
                for (let k = c; k; k = k.outer)
                    if (findMethods(k, e.name).length > 0) return this.checkCall(k, e.name, argTypes, e, false);
                return undefined;
            }
            case 'new': {
                this.checkType(e.type, c, e.line, e.col);
                const def = this.org.schema.get(e.type.names.join('.'));
                for (const n of e.named ?? []) {
                    const vt = this.expr(n.value, c, scopes);
                    if (def) {
                        const f = this.org.schema.field(def.name, n.name);
                        if (!f) this.p.add(`Invalid field ${n.name} for ${def.name}`, n.pos.line, n.pos.col);
                        else this.assignable(apexTypeOf(f.type), vt, n.value, c);
                    }
                }
                (e.args ?? []).forEach((a) => this.expr(a, c, scopes));
                (e.list ?? []).forEach((a) => this.expr(a, c, scopes));
                (e.map ?? []).forEach(([a, b]) => (this.expr(a, c, scopes), this.expr(b, c, scopes)));
                if (e.size) this.expr(e.size, c, scopes);
                return e.type;
            }
            case 'assign': {
                const t = this.expr(e.target, c, scopes);
                const v = this.expr(e.value, c, scopes);
                if (e.op === '=' && t) this.assignable(t, v, e.value, c);
                return t;
            }
            case 'bin': {
                const l = this.expr(e.l, c, scopes);
                const r = this.expr(e.r, c, scopes);
                if (['==', '!=', '<', '>', '<=', '>=', '===', '!=='].includes(e.op)) return T('Boolean');
                if (e.op === '+' && (isT(l, 'string') || isT(r, 'string'))) return T('String');
                return l && r && isT(l, 'integer') && isT(r, 'integer') ? T('Integer') : undefined;
            }
            case 'and':
            case 'or':
                this.expr(e.l, c, scopes);
                this.expr(e.r, c, scopes);
                return T('Boolean');
            case 'not':
                this.expr(e.e, c, scopes);
                return T('Boolean');
            case 'cond': {
                this.expr(e.c, c, scopes);
                const a = this.expr(e.a, c, scopes);
                this.expr(e.b, c, scopes);
                return a;
            }
            case 'coal':
                this.expr(e.r, c, scopes);
                return this.expr(e.l, c, scopes);
            case 'neg':
            case 'incdec':
                return this.expr(e.e, c, scopes);
            case 'cast':
                this.checkType(e.type, c, e.line, e.col);
                this.expr(e.e, c, scopes);
                return e.type;
            case 'instanceof':
                this.expr(e.e, c, scopes);
                return T('Boolean');
            case 'index': {
                const t = this.expr(e.target, c, scopes);
                this.expr(e.index, c, scopes);
                if (t && isT(t, 'list')) return t.args[0];
                if (t && isT(t, 'map')) return t.args[1];
                return undefined;
            }
            case 'soql':
                e.binds.forEach((b) => this.expr(b, c, scopes));
                return undefined;
            default:
                return undefined;
        }
    }

    private checkCall(
        cls: ClassInfo,
        name: string,
        args: (TypeRef | undefined)[],
        at: Expr,
        statically: boolean
    ): TypeRef | undefined {
        const ms = findMethods(cls, name);
        const fit = ms.filter(
            (m) =>
                m.method.params.length === args.length && m.method.params.every((p, i) => compatible(p.type, args[i]))
        );
        if (fit.length === 0) {
            const sig = args.map((a) => (a ? typeText(a) : 'Object')).join(', ');
            const ret = ms[0]?.method.ret ? typeText(ms[0].method.ret) : 'void';
            this.p.add(
                `Method does not exist or incorrect signature: ${ret} ${name}(${sig}) from the type ${cls.fullName}`,
                at.line,
                at.col
            );
            return undefined;
        }
        void statically;
        return fit[0]!.method.ret ?? undefined;
    }

    private assignable(target: TypeRef, value: TypeRef | undefined, at: Expr, c: ClassInfo | null): void {
        if (!value || compatible(target, value)) return;
        void c;
        this.p.add(`Illegal assignment from ${typeText(value)} to ${typeText(target)}`, at.line, at.col);
    }
}

const SYSTEM_NAMES = new Set([
    'system',
    'string',
    'integer',
    'long',
    'decimal',
    'double',
    'boolean',
    'id',
    'date',
    'datetime',
    'time',
    'math',
    'json',
    'schema',
    'database',
    'eventbus',
    'test',
    'assert',
    'userinfo',
    'limits',
    'crypto',
    'uuid',
    'trigger',
    'featuremanagement',
    'accesslevel',
    'logginglevel',
    'type',
    'blob',
    'encodingutil',
    'url',
    'label',
    'sobjecttype'
]);

function isSystemName(n: string): boolean {
    return SYSTEM_NAMES.has(n.toLowerCase());
}

function isT(t: TypeRef | undefined, n: string): boolean {
    return !!t && t.names.join('.').toLowerCase() === n;
}

function typeText(t: TypeRef): string {
    const base = t.names.join('.');
    return t.args.length ? `${base}<${t.args.map(typeText).join(', ')}>` : base;
}

/** Whether a value of static type `v` may be assigned to `t` (only the clear-cut primitive mismatches are refused). */
function compatible(t: TypeRef, v: TypeRef | undefined): boolean {
    if (!v) return true;
    const a = t.names.join('.').toLowerCase();
    const b = v.names.join('.').toLowerCase();
    if (a === b || a === 'object') return true;
    const prim = ['string', 'integer', 'long', 'decimal', 'double', 'boolean', 'date', 'datetime', 'id'];
    if (!prim.includes(a) || !prim.includes(b)) return true;
    const widen: Record<string, string[]> = {
        long: ['integer'],
        decimal: ['integer', 'long', 'double'],
        double: ['integer', 'long', 'decimal'],
        string: ['id'],
        id: ['string']
    };
    return (widen[a] ?? []).includes(b);
}

function apexTypeOf(type: string): TypeRef {
    const map: Record<string, string> = {
        id: 'Id',
        reference: 'Id',
        boolean: 'Boolean',
        int: 'Integer',
        long: 'Long',
        double: 'Decimal',
        currency: 'Decimal',
        percent: 'Decimal',
        date: 'Date',
        datetime: 'Datetime',
        time: 'Time',
        address: 'Address',
        location: 'Object',
        base64: 'Blob'
    };
    return { names: [map[type] ?? 'String'], args: [] };
}
