// A compiled set of classes and triggers, and what the org does with it: anonymous Apex, @AuraEnabled calls,
// triggers around record writes, platform-event triggers after commit, async Apex, and test runs (each method
// in its own transaction over an isolated copy of the org's data), with line coverage.
import { performance } from 'node:perf_hooks';
import { formatDateTime } from '../clock.ts';
import { SfError } from '../errors.ts';
import { IdGenerator } from '../ids.ts';
import type { ApexTriggerHook, Org } from '../org.ts';
import type { CallContext } from '../data.ts';
import type { ObjectDef } from '../schema/types.ts';
import { TransactionBus } from '../hook.ts';
import { RecordStore, type PublishedEvent, type SfRecord, type Transaction } from '../store.ts';
import type { ClassDecl, Stmt, TriggerDecl, TypeRef } from './ast.ts';
import { EXCEPTION, findMethods, isSubclass, type ClassInfo } from './classes.ts';
import { parseCron, nextFire, type Cron } from './cron.ts';
import { ApexData, recordToSObject, toStored, type ApexHost, type DeferredBatch } from './data.ts';
import { Execution } from './execution.ts';
import type {
    AnonymousResult,
    ApexCompileProblem,
    ApexClassCoverage,
    ApexProgram,
    ApexRunAs,
    ApexSource,
    ApexTestMethodResult,
    ApexTestRequest,
    ApexTestRun,
    AuraResult
} from './index.ts';
import { Interpreter, type Program } from './interpreter.ts';
import { CompileError, lowerAnonymous } from './lower.ts';
import { callStatic, triggerOperation } from './system.ts';
import type { SObject } from './values.ts';
import { ApexList, ApexMap, ApexObject, ApexThrow, NativeObject, Token } from './values.ts';

const AT_NOWHERE = { line: 0, col: 0, k: 'this' as const };

const SETUP_OBJECTS = new Set([
    'User',
    'Profile',
    'Organization',
    'PermissionSet',
    'PermissionSetAssignment',
    'ObjectPermissions',
    'FieldPermissions',
    'RecordType',
    'Group'
]);

/** Lines of a class or trigger that hold a statement: what coverage counts. */
function executableLines(stmts: Stmt[], out: Set<number>): void {
    for (const s of stmts) {
        if (s.k !== 'block') out.add(s.line);
        switch (s.k) {
            case 'block':
                executableLines(s.body, out);
                break;
            case 'if':
                executableLines([s.then, ...(s.else ? [s.else] : [])], out);
                break;
            case 'for':
            case 'foreach':
            case 'while':
            case 'do':
            case 'runas':
                executableLines([s.body], out);
                break;
            case 'switch':
                executableLines(
                    s.whens.map((w) => w.body),
                    out
                );
                break;
            case 'try':
                executableLines([s.body, ...s.catches.map((c) => c.body), ...(s.fin ? [s.fin] : [])], out);
                break;
        }
    }
}

function classLines(d: ClassDecl, out: Set<number>): void {
    for (const m of [...d.methods, ...d.ctors]) if (m.body) executableLines([m.body], out);
    for (const f of d.fields) {
        if (f.init) out.add(f.line);
        if (f.getter) executableLines([f.getter], out);
        if (f.setter) executableLines([f.setter], out);
    }
    executableLines([...d.staticInits, ...d.instanceInits], out);
    for (const i of d.inner) classLines(i, out);
}

export class CompiledProgram implements ApexProgram, Program {
    readonly classes = new Map<string, ClassInfo>();
    private readonly hits = new Map<string, Set<number>>();
    private readonly lines = new Map<string, Set<number>>();
    private unsubscribe: (() => void) | undefined;
    /** The compiler's name and type checks for an anonymous block (set by compileProgram). */
    checkAnonymous: (body: Stmt) => ApexCompileProblem[] = () => [];

    constructor(
        readonly org: Org,
        private readonly srcs: ApexSource[],
        readonly top: ClassInfo[],
        readonly triggers: TriggerDecl[]
    ) {
        for (const c of top) this.classes.set(c.name.toLowerCase(), c);
        for (const c of top) if (c.decl) classLines(c.decl, this.lineSet(c.decl.source));
        for (const t of triggers) executableLines([t.body], this.lineSet(t.source));
    }

    private lineSet(source: string): Set<number> {
        let s = this.lines.get(source);
        if (!s) this.lines.set(source, (s = new Set()));
        return s;
    }

    classNames(): string[] {
        return this.top.map((c) => c.name);
    }

    testClassNames(): string[] {
        return this.top.filter((c) => c.isTest && this.testMethods(c).length > 0).map((c) => c.name);
    }

    sources(): ApexSource[] {
        return this.srcs;
    }

    private testMethods(c: ClassInfo): string[] {
        return (c.decl?.methods ?? [])
            .filter((m) => (m.annotations.has('istest') || m.mods.has('testmethod')) && m.params.length === 0)
            .map((m) => m.name);
    }

    resolveClass(names: string[], from: ClassInfo | null): ClassInfo | undefined {
        if (names.length === 0) return undefined;
        const [first, ...rest] = names.map((n) => n.toLowerCase());
        let start: ClassInfo | undefined;
        for (let c = from; c && !start; c = c.outer) {
            if (c.name.toLowerCase() === first) start = c;
            else start = c.inner.get(first!);
            // inner classes of superclasses
            for (let s = c.superclass; s && !start; s = s.superclass) start = s.inner.get(first!);
        }
        start ??= this.classes.get(first!);
        if (!start) return undefined;
        let cur: ClassInfo | undefined = start;
        for (const r of rest) {
            cur = cur?.inner.get(r);
            if (!cur) return undefined;
        }
        return cur;
    }

    cover(source: string, line: number): void {
        let s = this.hits.get(source);
        if (!s) this.hits.set(source, (s = new Set()));
        s.add(line);
    }

    // ---- executions ----------------------------------------------------------------------------------------

    /** A fresh execution over `org` (the real org or a test copy) in transaction `tx`. */
    private execution(org: Org, tx: Transaction, userId: string): { exec: Execution; interp: Interpreter } {
        const data = new ApexData(org, tx);
        const exec = new Execution(userId, data, (u) => String(org.store.get('User', u)?.TimeZoneSidKey ?? 'GMT'));
        const interp = new Interpreter(this, exec);
        data.host = this.host(org, exec);
        return { exec, interp };
    }

    private describeThrow(interp: Interpreter, e: ApexThrow): { message: string; type: string; stack: string } {
        const ex = e.exception;
        const type = ex.cls.fullName;
        const message = `${type}: ${interp.toStr(ex.fields.get('message') ?? null)}`;
        const stack = String(ex.fields.get('stack') ?? `line ${String(ex.fields.get('line') ?? interp.exec.line)}`);
        return { message, type, stack };
    }

    executeAnonymous(runAs: ApexRunAs, code: string): AnonymousResult {
        let body: Stmt;
        try {
            body = lowerAnonymous(code);
            const problem = this.checkAnonymous(body)[0];
            if (problem) throw new CompileError(problem.problem, problem.line, problem.column);
        } catch (e) {
            if (!(e instanceof CompileError)) throw e;
            return {
                compiled: false,
                compileProblem: e.message,
                line: e.line,
                column: e.col,
                success: false,
                exceptionMessage: null,
                exceptionStackTrace: null,
                debugLog: ''
            };
        }
        const tx = this.org.begin({
            api: 'rest',
            apiVersion: '62.0',
            clientId: null,
            callOptions: null,
            userId: runAs.userId
        });
        const { exec, interp } = this.execution(this.org, tx, runAs.userId);
        const header = `62.0 APEX_CODE,DEBUG;APEX_PROFILING,INFO\nExecute Anonymous: ${code.split('\n').join('\nExecute Anonymous: ')}`;
        this.active.push(exec);
        try {
            interp.runTopLevel(body, '(anonymous)', 'anonymous');
            this.org.commit(tx);
            this.runAsync(exec);
            return {
                compiled: true,
                compileProblem: null,
                line: -1,
                column: -1,
                success: true,
                exceptionMessage: null,
                exceptionStackTrace: null,
                debugLog: [header, ...exec.log].join('\n') + '\n'
            };
        } catch (e) {
            tx.rollback();
            if (e instanceof ApexThrow) {
                const d = this.describeThrow(interp, e);
                exec.log.push(`FATAL_ERROR|${d.message}`);
                return {
                    compiled: true,
                    compileProblem: null,
                    line: exec.line,
                    column: 1,
                    success: false,
                    exceptionMessage: d.message,
                    exceptionStackTrace: `AnonymousBlock: line ${exec.line}, column 1`,
                    debugLog: [header, ...exec.log].join('\n') + '\n'
                };
            }
            throw e;
        } finally {
            this.active.pop();
        }
    }

    invokeAura(runAs: ApexRunAs, className: string, methodName: string, params: Record<string, unknown>): AuraResult {
        const cls = this.resolveClass(className.split('.'), null);
        const method = cls
            ? findMethods(cls, methodName).find(
                  (m) => m.method.annotations.has('auraenabled') && m.method.mods.has('static')
              )
            : undefined;
        if (!cls || !method)
            return {
                ok: false,
                error: {
                    message: `No @AuraEnabled method ${className}.${methodName}`,
                    exceptionType: 'System.TypeException',
                    statusCode: 400
                }
            };
        const tx = this.org.begin({
            api: 'rest',
            apiVersion: '62.0',
            clientId: null,
            callOptions: null,
            userId: runAs.userId
        });
        const { exec, interp } = this.execution(this.org, tx, runAs.userId);
        this.active.push(exec);
        try {
            const args = method.method.params.map((p) =>
                fromJsonParam(
                    interp,
                    params[p.name] ??
                        params[Object.keys(params).find((k) => k.toLowerCase() === p.name.toLowerCase()) ?? ''] ??
                        null,
                    p.type
                )
            );
            const value = interp.invoke(null, method.owner, method.method, args);
            this.org.commit(tx);
            this.runAsync(exec);
            return { ok: true, value: JSON.parse(interp.toStr(callJson(interp, value))) as unknown };
        } catch (e) {
            tx.rollback();
            if (e instanceof ApexThrow) {
                const ex = e.exception;
                const message = interp.toStr(ex.fields.get('message') ?? null);
                return {
                    ok: false,
                    error: {
                        message,
                        exceptionType: ex.cls.fullName,
                        stackTrace: String(ex.fields.get('line') ?? ''),
                        statusCode: ex.cls.fullName === 'System.AuraHandledException' ? 400 : 500
                    }
                };
            }
            throw e;
        } finally {
            this.active.pop();
        }
    }

    // ---- tests ---------------------------------------------------------------------------------------------

    /** A copy of the org for one test method: setup data only, unless SeeAllData. */
    private sandbox(seeAllData: boolean): Org {
        const org = this.org;
        const store = new RecordStore();
        for (const def of org.schema.all()) {
            if (!seeAllData && !(SETUP_OBJECTS.has(def.name) || def.kind === 'setup' || def.kind === 'customMetadata'))
                continue;
            for (const r of org.store.rows(def.name)) store.seed(def.name, { ...r });
        }
        const copy = Object.create(org) as Org;
        Object.defineProperty(copy, 'store', { value: store });
        Object.defineProperty(copy, 'hook', { value: new TransactionBus() });
        copy.ids = IdGenerator.resume(org.ids.counts());
        copy.autoNumbers = new Map(org.autoNumbers);
        copy.apexTriggers = this.triggerHook(copy);
        const immediate: PublishedEvent[] = [];
        this.immediateEvents.set(copy, immediate);
        copy.hook.subscribe((t) => immediate.push(...t.events));
        return copy;
    }

    async runTests(
        runAs: ApexRunAs,
        request: ApexTestRequest,
        onProgress?: (r: ApexTestMethodResult) => void
    ): Promise<ApexTestRun> {
        const wanted: { cls: ClassInfo; methods: string[] }[] = [];
        if (request.methods)
            for (const m of request.methods) {
                const cls = this.resolveClass([m.className], null);
                if (cls) wanted.push({ cls, methods: m.methodNames });
            }
        for (const n of request.classNames ?? []) {
            const cls = this.resolveClass([n], null);
            if (cls) wanted.push({ cls, methods: this.testMethods(cls) });
        }
        if (!request.methods && !request.classNames)
            for (const n of this.testClassNames())
                wanted.push({
                    cls: this.resolveClass([n], null)!,
                    methods: this.testMethods(this.resolveClass([n], null)!)
                });
        this.hits.clear();
        const methods: ApexTestMethodResult[] = [];
        for (const { cls, methods: names } of wanted) {
            for (const name of names) {
                const r = this.runTestMethod(runAs, cls, name);
                methods.push(r);
                onProgress?.(r);
                await new Promise((resolve) => setImmediate(resolve));
            }
        }
        return { methods, coverage: this.coverage() };
    }

    coverage(): ApexClassCoverage[] {
        const out: ApexClassCoverage[] = [];
        for (const s of this.srcs) {
            const top = this.top.find((c) => c.decl?.source === s.fileName);
            if (s.kind === 'class' && (!top || top.isTest)) continue;
            const all = [...(this.lines.get(s.fileName) ?? [])].sort((a, b) => a - b);
            const hit = this.hits.get(s.fileName) ?? new Set();
            out.push({
                name: s.name,
                kind: s.kind,
                coveredLines: all.filter((l) => hit.has(l)),
                uncoveredLines: all.filter((l) => !hit.has(l))
            });
        }
        return out;
    }

    private runTestMethod(runAs: ApexRunAs, cls: ClassInfo, name: string): ApexTestMethodResult {
        const started = performance.now();
        const seeAll = (cls.decl?.annotations.get('istest') ?? {}).seealldata === 'true';
        const org = this.sandbox(seeAll);
        const tx = org.begin({
            api: 'rest',
            apiVersion: '62.0',
            clientId: null,
            callOptions: null,
            userId: runAs.userId
        });
        const result = (
            outcome: ApexTestMethodResult['outcome'],
            message: string | null,
            stackTrace: string | null
        ): ApexTestMethodResult => ({
            className: cls.name,
            methodName: name,
            outcome,
            message,
            stackTrace,
            runTimeMs: Math.round(performance.now() - started)
        });
        const setups = (cls.decl?.methods ?? []).filter((m) => m.annotations.has('testsetup'));
        for (const s of setups) {
            const { exec, interp } = this.execution(org, tx, runAs.userId);
            exec.inTest = true;
            this.active.push(exec);
            try {
                interp.invoke(null, cls, s, []);
            } catch (e) {
                if (!(e instanceof ApexThrow)) throw e;
                const d = this.describeThrow(interp, e);
                return result('Fail', d.message, d.stack);
            } finally {
                this.active.pop();
            }
        }
        const { exec, interp } = this.execution(org, tx, runAs.userId);
        exec.inTest = true;
        exec.seeAllData = seeAll;
        this.active.push(exec);
        const method = cls.decl!.methods.find((m) => m.name === name);
        try {
            if (!method) return result('Fail', `Method does not exist: ${name}`, null);
            interp.invoke(null, cls, method, []);
            if (exec.testStarted) this.finishTest(interp);
            return result('Pass', null, null);
        } catch (e) {
            if (e instanceof ApexThrow) {
                const d = this.describeThrow(interp, e);
                return result('Fail', d.message, `Class.${cls.name}.${name}: ${d.stack}`);
            }
            if (e instanceof Error)
                return result('Fail', `Internal error of the org emulator: ${e.message}`, e.stack ?? null);
            throw e;
        } finally {
            this.active.pop();
            tx.rollback();
        }
    }

    private finishTest(interp: Interpreter): void {
        const exec = interp.exec;
        exec.testStarted = false;
        this.deliverPending(interp);
        for (let i = 0; i < 10 && exec.asyncQueue.length > 0; i++) {
            const q = exec.asyncQueue.splice(0);
            for (const job of q) job();
            this.deliverPending(interp);
        }
        exec.counters = { ...exec.savedCounters! };
    }

    // ---- async, events, triggers ----------------------------------------------------------------------------

    private readonly active: Execution[] = [];
    /** Writes whose triggers an Apex DML statement runs itself, as a batch (ApexData.dmlWithTriggers). */
    private readonly deferred = new WeakMap<Transaction, Map<string, DeferredBatch>>();
    /** Jobs System.schedule'd outside tests, fired when the org's clock passes their next fire time. */
    private readonly schedules: {
        row: SfRecord;
        cron: Cron;
        job: ApexObject;
        userId: string;
        zone: string;
        next: number;
        context: NativeObject;
    }[] = [];
    private timer: NodeJS.Timeout | undefined;
    private readonly delivered = new WeakMap<Transaction, number>();
    /** PublishImmediately events of a test's org copy, waiting for Test.getEventBus().deliver(). */
    private readonly immediateEvents = new WeakMap<Org, PublishedEvent[]>();

    private host(org: Org, exec: Execution): ApexHost {
        return {
            hasTriggers: (sobject, op) =>
                this.triggersFor(sobject, `before ${op}`).length + this.triggersFor(sobject, `after ${op}`).length > 0,
            fireTriggers: (interp, sobject, when, op, news, olds) => {
                const triggers = this.triggersFor(sobject, `${when} ${op}`);
                const size = (news ?? olds ?? []).length;
                for (let i = 0; i < size; i += 200) {
                    const n = news ? news.slice(i, i + 200) : null;
                    const o = olds ? olds.slice(i, i + 200) : null;
                    for (const t of triggers) this.fireTrigger(interp, t, `${when} ${op}`, n, o);
                }
            },
            deferTriggers: (tx, sobject, into) => {
                const key = `${sobject.toLowerCase()}`;
                const list = this.deferred.get(tx) ?? new Map();
                list.set(key, into);
                this.deferred.set(tx, list);
                return () => list.delete(key);
            },
            deliverEvents: (interp) => this.deliverPending(interp),
            startTest: (interp) => {
                interp.exec.testStarted = true;
                interp.exec.savedCounters = { ...interp.exec.counters };
                interp.exec.counters = { queries: 0, queryRows: 0, dmlStatements: 0, dmlRows: 0 };
            },
            stopTest: (interp) => this.finishTest(interp),
            schedule: (interp, name, expression, job) => {
                let cron: Cron;
                try {
                    cron = parseCron(expression);
                } catch (e) {
                    return interp.fail('StringException', e instanceof Error ? e.message : String(e));
                }
                const next = nextFire(cron, org.clock.peekMs(), interp.exec.zone());
                const rec = org.seedRecord('CronTrigger', {
                    CronExpression: expression,
                    CronJobDetailName: name,
                    State: 'WAITING',
                    TimesTriggered: 0,
                    NextFireTime: next === null ? null : formatDateTime(next)
                });
                const context = new NativeObject('SchedulableContext', { getTriggerId: () => rec.Id });
                if (interp.exec.inTest) {
                    // In a test the job runs once, at Test.stopTest.
                    interp.exec.asyncQueue.push(() => {
                        if (job instanceof ApexObject)
                            this.asyncRun(interp, 'scheduled', () =>
                                interp.callOn(job, 'execute', [context], AT_NOWHERE)
                            );
                    });
                } else if (job instanceof ApexObject && next !== null) {
                    this.schedules.push({
                        row: rec,
                        cron,
                        job,
                        userId: interp.exec.userId,
                        zone: interp.exec.zone(),
                        next,
                        context
                    });
                }
                return String(rec.Id);
            },
            enqueue: (interp, job) => {
                const rec = org.seedRecord('AsyncApexJob', {
                    JobType: 'Queueable',
                    ApexClassName: job instanceof ApexObject ? job.cls.fullName : null,
                    Status: 'Queued',
                    NumberOfErrors: 0
                });
                interp.exec.asyncQueue.push(() => {
                    const ctx = new NativeObject('QueueableContext', { getJobId: () => rec.Id });
                    this.asyncRun(interp, 'queueable', () =>
                        interp.callOn(job, 'execute', [ctx], { line: 0, col: 0, k: 'this' })
                    );
                    rec.Status = 'Completed';
                });
                return String(rec.Id);
            },
            hasCustomPermission: (userId, name) => org.hasCustomPermission(userId, name)
        };
        void exec;
    }

    /** Async Apex in a test: the same data, fresh limits, flagged async. */
    private asyncRun(interp: Interpreter, kind: 'queueable' | 'scheduled' | 'future', fn: () => void): void {
        const exec = interp.exec;
        const saved = { counters: exec.counters, async: exec.async, kind: exec.asyncKind };
        exec.counters = { queries: 0, queryRows: 0, dmlStatements: 0, dmlRows: 0 };
        exec.async = true;
        exec.asyncKind = kind;
        try {
            fn();
        } finally {
            exec.counters = saved.counters;
            exec.async = saved.async;
            exec.asyncKind = saved.kind;
        }
    }

    /** Test.getEventBus().deliver(): the events published since the last delivery, to their triggers. */
    private deliverPending(interp: Interpreter): void {
        const tx = interp.exec.data.tx;
        const from = this.delivered.get(tx) ?? 0;
        const immediate = this.immediateEvents.get(interp.exec.data.org) ?? [];
        const events = [...tx.events.slice(from), ...immediate.splice(0)];
        this.delivered.set(tx, tx.events.length);
        if (events.length === 0) return;
        this.runEventTriggers(interp.exec.data.org, events, (run) => run(interp));
    }

    private triggersFor(sobject: string, event: string): TriggerDecl[] {
        return this.triggers.filter(
            (t) => t.object.toLowerCase() === sobject.toLowerCase() && t.events.includes(event)
        );
    }

    private runEventTriggers(
        org: Org,
        events: PublishedEvent[],
        within: (run: (interp: Interpreter) => void) => void
    ): void {
        const bySobject = new Map<string, PublishedEvent[]>();
        for (const e of events) bySobject.set(e.sobject, [...(bySobject.get(e.sobject) ?? []), e]);
        for (const [sobject, list] of bySobject) {
            const triggers = this.triggersFor(sobject, 'after insert');
            if (triggers.length === 0) continue;
            const def = org.schema.require(sobject);
            for (let i = 0; i < list.length; i += 2000) {
                const batch = list.slice(i, i + 2000).map((e, n) => {
                    const s = recordToSObject(def, { ...e.fields, ReplayId: String(i + n + 1) } as SfRecord);
                    s.set('ReplayId', String(i + n + 1));
                    s.set('EventUuid', e.uuid);
                    return s;
                });
                within((interp) => {
                    for (const t of triggers) this.fireTrigger(interp, t, 'after insert', batch, null);
                });
            }
        }
    }

    private fireTrigger(
        interp: Interpreter,
        t: TriggerDecl,
        event: string,
        news: SObject[] | null,
        olds: SObject[] | null
    ): void {
        const exec = interp.exec;
        const [when, op] = event.split(' ') as [string, string];
        const mapOf = (list: SObject[] | null): ApexMap | null => {
            if (!list || (op === 'insert' && when === 'before')) return null;
            const m = new ApexMap('Id', t.object);
            for (const r of list) if (r.get('Id')) m.put(r.get('Id'), r);
            return m;
        };
        const saved = exec.trigger;
        exec.trigger = {
            new: news ? new ApexList(news, t.object) : null,
            old: olds ? new ApexList(olds, t.object) : null,
            newmap: mapOf(news),
            oldmap: mapOf(olds),
            isbefore: when === 'before',
            isafter: when === 'after',
            isinsert: op === 'insert',
            isupdate: op === 'update',
            isdelete: op === 'delete',
            isundelete: op === 'undelete',
            isexecuting: true,
            size: (news ?? olds ?? []).length,
            operationtype: triggerOperation(`${when}_${op}`.toUpperCase())
        };
        exec.stack.push(`Trigger.${t.name}: line ${t.line}, column ${t.col}`);
        try {
            interp.runTopLevel(t.body, t.source, t.name);
        } finally {
            exec.stack.pop();
            exec.trigger = saved;
        }
    }

    /** The hook DataService calls around each record write: before and after triggers of the object. */
    triggerHook(org: Org): ApexTriggerHook {
        const run = (
            ctx: CallContext,
            def: ObjectDef,
            when: 'before' | 'after',
            op: string,
            rec: SfRecord | undefined,
            old: SfRecord | undefined
        ): void => {
            const triggers = this.triggersFor(def.name, `${when} ${op}`);
            if (triggers.length === 0 || def.kind === 'platformEvent') return;
            const batch = this.deferred.get(ctx.tx)?.get(def.name.toLowerCase());
            if (batch) {
                if (when === 'before' && rec && batch.apply) Object.assign(rec, batch.apply);
                if (when === 'after')
                    batch.saved.push({ rec: rec ? { ...rec } : undefined, old: old ? { ...old } : undefined });
                return;
            }
            const current = this.active[this.active.length - 1];
            // A write from outside Apex (REST, Composite, Collections, Bulk) runs the triggers of each record in an
            // execution of its own: those paths write record by record, so a shared one would count one batch as many
            // trigger runs (a recursion guard would trip).
            const own =
                current && current.data.org === org && current.data.tx === ctx.tx
                    ? undefined
                    : this.execution(org, ctx.tx, ctx.userId);
            const exec = own?.exec ?? current!;
            const interp = own?.interp ?? new Interpreter(this, exec);
            const newRec = rec ? recordToSObject(def, rec) : null;
            if (newRec && when === 'before' && op === 'insert') newRec.values.delete('id');
            const oldRec = old ? recordToSObject(def, old) : null;
            if (own) this.active.push(own.exec);
            try {
                for (const t of triggers)
                    this.fireTrigger(interp, t, `${when} ${op}`, newRec ? [newRec] : null, oldRec ? [oldRec] : null);
            } catch (e) {
                if (e instanceof ApexThrow) {
                    const d = this.describeThrow(interp, e);
                    throw new SfError(
                        400,
                        'CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY',
                        `${triggers[0]!.name}: execution of ${when.toUpperCase()}_${op.toUpperCase()} caused by: ${d.message}`,
                        []
                    );
                }
                throw e;
            } finally {
                if (own) this.active.pop();
            }
            const err = newRec?.errors[0] ?? oldRec?.errors[0];
            if (err)
                throw new SfError(400, 'FIELD_CUSTOM_VALIDATION_EXCEPTION', err.message, err.field ? [err.field] : []);
            if (newRec && rec && when === 'before' && op !== 'delete') {
                for (const f of def.fields) {
                    if (f.name === 'Id' || !newRec.has(f.name)) continue;
                    const v = toStored(newRec.get(f.name));
                    if (rec[f.name] !== v) rec[f.name] = v as SfRecord[string];
                }
            }
        };
        return {
            before: (ctx, def, op, rec, old) => run(ctx, def, 'before', op, rec, old),
            after: (ctx, def, op, rec, old) => run(ctx, def, 'after', op, rec, old)
        };
    }

    /** Platform-event triggers of committed transactions: asynchronously, in batches of up to 2,000. */
    install(): void {
        this.org.apexTriggers = this.triggerHook(this.org);
        this.timer = setInterval(() => this.runDueSchedules(), 1000);
        this.timer.unref();
        this.unsubscribe?.();
        this.unsubscribe = this.org.hook.subscribe((committed) => {
            const events = committed.events.filter((e) => this.triggersFor(e.sobject, 'after insert').length > 0);
            if (events.length === 0) return;
            setImmediate(() => this.deliverCommitted(events));
        });
    }

    /** Runs every scheduled job whose fire time the org's clock has passed, each in its own transaction. */
    runDueSchedules(): number {
        let fired = 0;
        for (const s of [...this.schedules]) {
            // A job whose CronTrigger row is gone (org reset, abortJob) no longer fires.
            if (this.org.store.get('CronTrigger', String(s.row.Id)) !== s.row) {
                this.schedules.splice(this.schedules.indexOf(s), 1);
                continue;
            }
            const now = this.org.clock.peekMs();
            if (s.next > now) continue;
            fired++;
            const tx = this.org.begin({
                api: 'rest',
                apiVersion: '62.0',
                clientId: null,
                callOptions: null,
                userId: s.userId
            });
            const { exec, interp } = this.execution(this.org, tx, s.userId);
            exec.async = true;
            exec.asyncKind = 'scheduled';
            this.active.push(exec);
            try {
                interp.callOn(s.job, 'execute', [s.context], AT_NOWHERE);
                this.org.commit(tx);
                this.runAsync(exec);
            } catch (e) {
                tx.rollback();
                if (!(e instanceof ApexThrow)) throw e;
            } finally {
                this.active.pop();
            }
            const next = nextFire(s.cron, now, s.zone);
            Object.assign(s.row, {
                TimesTriggered: Number(s.row.TimesTriggered ?? 0) + 1,
                PreviousFireTime: formatDateTime(s.next),
                NextFireTime: next === null ? null : formatDateTime(next),
                State: next === null ? 'COMPLETE' : 'WAITING'
            });
            s.next = next ?? Number.POSITIVE_INFINITY;
        }
        return fired;
    }

    uninstall(): void {
        if (this.timer) clearInterval(this.timer);
        this.unsubscribe?.();
        if (this.org.apexTriggers) this.org.apexTriggers = undefined;
    }

    /** Runs event triggers as the Automated Process user, retrying a batch on EventBus.RetryableException. */
    private deliverCommitted(events: PublishedEvent[]): void {
        const userId = automatedProcessUser(this.org);
        this.runEventTriggers(this.org, events, (run) => {
            for (let retries = 0; retries <= 9; retries++) {
                const tx = this.org.begin({
                    api: 'rest',
                    apiVersion: '62.0',
                    clientId: null,
                    callOptions: null,
                    userId
                });
                const { exec, interp } = this.execution(this.org, tx, userId);
                exec.async = true;
                exec.eventRetries = retries;
                this.active.push(exec);
                try {
                    run(interp);
                    this.org.commit(tx);
                    this.runAsync(exec);
                    return;
                } catch (e) {
                    tx.rollback();
                    if (!(e instanceof ApexThrow) || e.exception.cls.fullName !== 'EventBus.RetryableException') return;
                } finally {
                    this.active.pop();
                }
            }
        });
    }

    /** Queueables and schedules queued by a committed transaction outside tests. */
    private runAsync(exec: Execution): void {
        const jobs = exec.asyncQueue.splice(0);
        if (jobs.length === 0) return;
        setImmediate(() => {
            for (const job of jobs) {
                const tx = this.org.begin({
                    api: 'rest',
                    apiVersion: '62.0',
                    clientId: null,
                    callOptions: null,
                    userId: exec.users[0]!
                });
                const { exec: e2 } = this.execution(this.org, tx, exec.users[0]!);
                e2.async = true;
                this.active.push(e2);
                try {
                    job();
                    this.org.commit(tx);
                } catch {
                    tx.rollback();
                } finally {
                    this.active.pop();
                }
            }
        });
    }
}

function automatedProcessUser(org: Org): string {
    const existing = org.findUser('autoproc@clm-emulator.example');
    if (existing) return String(existing.Id);
    const profileId = org.store.rows('Profile').find((p) => p.Name === 'System Administrator')?.Id ?? null;
    const row = org.seedRecord('User', {
        Username: 'autoproc@clm-emulator.example',
        LastName: 'Automated Process',
        Name: 'Automated Process',
        Alias: 'autoproc',
        Email: 'autoproc@clm-emulator.example',
        IsActive: true,
        TimeZoneSidKey: 'GMT',
        LocaleSidKey: 'en_US',
        EmailEncodingKey: 'UTF-8',
        LanguageLocaleKey: 'en_US',
        ProfileId: profileId,
        UserType: 'AutomatedProcess'
    });
    return String(row.Id);
}

function fromJsonParam(interp: Interpreter, v: unknown, type: TypeRef): unknown {
    const name = (t: TypeRef): string =>
        t.args.length ? `${t.names.join('.')}<${t.args.map(name).join(',')}>` : t.names.join('.');
    return v === null ? null : jsonDeserialize(interp, JSON.stringify(v), name(type));
}

function jsonDeserialize(interp: Interpreter, json: string, typeName: string): unknown {
    const at = { line: 0, col: 0, k: 'this' as const };
    return callStatic(interp, ['JSON', 'deserialize'], [json, new Token('type', typeName)], at);
}

function callJson(interp: Interpreter, v: unknown): unknown {
    const at = { line: 0, col: 0, k: 'this' as const };
    return callStatic(interp, ['JSON', 'serialize'], [v], at);
}

export { isSubclass, EXCEPTION };
