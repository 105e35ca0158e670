// The classes of a compiled program, linked: superclass, interfaces, inner classes, members by lower-case name,
// plus the system exception types the runtime throws and the code may catch or extend.
import type { ClassDecl, FieldDecl, MethodDecl } from './ast.ts';

export interface ClassInfo {
    name: string;
    /** `Outer.Inner` for inner classes; for system types the qualified name (`System.DmlException`). */
    fullName: string;
    decl: ClassDecl | null;
    outer: ClassInfo | null;
    superclass: ClassInfo | null;
    interfaces: ClassInfo[];
    kind: 'class' | 'interface' | 'enum';
    methods: Map<string, MethodDecl[]>;
    fields: Map<string, FieldDecl>;
    inner: Map<string, ClassInfo>;
    sharing: 'with' | 'without' | 'inherited' | null;
    isTest: boolean;
    isException: boolean;
}

/** System exceptions: simple name → qualified name. */
export const SYSTEM_EXCEPTIONS: Record<string, string> = {
    exception: 'Exception',
    dmlexception: 'System.DmlException',
    queryexception: 'System.QueryException',
    nullpointerexception: 'System.NullPointerException',
    listexception: 'System.ListException',
    mathexception: 'System.MathException',
    stringexception: 'System.StringException',
    typeexception: 'System.TypeException',
    jsonexception: 'System.JSONException',
    noaccessexception: 'System.NoAccessException',
    limitexception: 'System.LimitException',
    sobjectexception: 'System.SObjectException',
    illegalargumentexception: 'System.IllegalArgumentException',
    asyncexception: 'System.AsyncException',
    finalexception: 'System.FinalException',
    invalidparametervalueexception: 'System.InvalidParameterValueException',
    assertexception: 'System.AssertException',
    unexpectedexception: 'System.UnexpectedException',
    nodatafoundexception: 'System.NoDataFoundException',
    securityexception: 'System.SecurityException',
    calloutexception: 'System.CalloutException',
    serializationexception: 'System.SerializationException',
    searchexception: 'System.SearchException',
    emailexception: 'System.EmailException',
    auraHandledexception: 'System.AuraHandledException',
    retryableexception: 'EventBus.RetryableException'
};

function systemClass(fullName: string, superclass: ClassInfo | null): ClassInfo {
    return {
        name: fullName.split('.').pop()!,
        fullName,
        decl: null,
        outer: null,
        superclass,
        interfaces: [],
        kind: 'class',
        methods: new Map(),
        fields: new Map(),
        inner: new Map(),
        sharing: null,
        isTest: false,
        isException: true
    };
}

export const EXCEPTION = systemClass('Exception', null);
const systemExceptions = new Map<string, ClassInfo>([['exception', EXCEPTION]]);
for (const [key, full] of Object.entries(SYSTEM_EXCEPTIONS)) {
    if (key === 'exception') continue;
    systemExceptions.set(key.toLowerCase(), systemClass(full, EXCEPTION));
}

export function systemException(name: string): ClassInfo | undefined {
    const n = name.toLowerCase();
    const simple = n.startsWith('system.') || n.startsWith('eventbus.') ? n.slice(n.indexOf('.') + 1) : n;
    return systemExceptions.get(simple);
}

export function isSubclass(c: ClassInfo, of: ClassInfo): boolean {
    for (let k: ClassInfo | null = c; k; k = k.superclass) {
        if (k === of) return true;
        if (k.interfaces.some((i) => isSubclass(i, of))) return true;
    }
    return false;
}

/** Links a program's declarations; names are resolved later, once every top-level class is known. */
export function classInfo(decl: ClassDecl, outer: ClassInfo | null): ClassInfo {
    const sharing = decl.mods.has('with sharing')
        ? 'with'
        : decl.mods.has('without sharing')
          ? 'without'
          : decl.mods.has('inherited sharing')
            ? 'inherited'
            : null;
    const info: ClassInfo = {
        name: decl.name,
        fullName: outer ? `${outer.fullName}.${decl.name}` : decl.name,
        decl,
        outer,
        superclass: null,
        interfaces: [],
        kind: decl.kind,
        methods: new Map(),
        fields: new Map(),
        inner: new Map(),
        sharing,
        isTest: decl.annotations.has('istest'),
        isException: false
    };
    for (const m of decl.methods) {
        const key = m.name.toLowerCase();
        info.methods.set(key, [...(info.methods.get(key) ?? []), m]);
    }
    for (const f of decl.fields) info.fields.set(f.name.toLowerCase(), f);
    for (const i of decl.inner) info.inner.set(i.name.toLowerCase(), classInfo(i, info));
    return info;
}

/** Looks a method up the superclass chain. */
export function findMethods(c: ClassInfo, name: string): { owner: ClassInfo; method: MethodDecl }[] {
    const out: { owner: ClassInfo; method: MethodDecl }[] = [];
    const key = name.toLowerCase();
    const seen = new Set<string>();
    const visit = (k: ClassInfo | null): void => {
        for (; k; k = k.superclass) {
            for (const m of k.methods.get(key) ?? []) {
                const sig = m.params.map((p) => p.type.names.join('.').toLowerCase()).join(',');
                if (seen.has(sig)) continue;
                seen.add(sig);
                out.push({ owner: k, method: m });
            }
            for (const i of k.interfaces) visit(i);
        }
    };
    visit(c);
    return out;
}

export function findField(c: ClassInfo, name: string): { owner: ClassInfo; field: FieldDecl } | undefined {
    const key = name.toLowerCase();
    for (let k: ClassInfo | null = c; k; k = k.superclass) {
        const f = k.fields.get(key);
        if (f) return { owner: k, field: f };
    }
    return undefined;
}
