// The Apex syntax tree the interpreter runs: a compact form of @apexdevtools/apex-parser's parse tree, built once
// per compile by lower.ts. Every node keeps its line and column (compile errors, stack traces, coverage).

export interface Pos {
    line: number;
    col: number;
}

/** A type as written: `List<Map<Id, Set<String>>>`, `Schema.SObjectType`, `String[]` (array → List). */
export interface TypeRef {
    /** Dotted name parts, as written (case kept). */
    names: string[];
    args: TypeRef[];
}

export type Expr = Pos &
    (
        | { k: 'lit'; v: unknown; t: 'String' | 'Integer' | 'Long' | 'Decimal' | 'Double' | 'Boolean' | 'null' }
        | { k: 'name'; name: string }
        | { k: 'this' }
        | { k: 'super' }
        | { k: 'field'; target: Expr; name: string; safe: boolean }
        | { k: 'call'; target: Expr | null; name: string; args: Expr[]; safe: boolean }
        | { k: 'ctorcall'; which: 'this' | 'super'; args: Expr[] }
        | { k: 'index'; target: Expr; index: Expr }
        | {
              k: 'new';
              type: TypeRef;
              args?: Expr[];
              named?: { name: string; value: Expr; pos: Pos }[];
              list?: Expr[];
              map?: [Expr, Expr][];
              size?: Expr;
          }
        | { k: 'assign'; op: string; target: Expr; value: Expr }
        | { k: 'bin'; op: string; l: Expr; r: Expr }
        | { k: 'and'; l: Expr; r: Expr }
        | { k: 'or'; l: Expr; r: Expr }
        | { k: 'cond'; c: Expr; a: Expr; b: Expr }
        | { k: 'coal'; l: Expr; r: Expr }
        | { k: 'not'; e: Expr }
        | { k: 'neg'; e: Expr }
        | { k: 'incdec'; op: '++' | '--'; prefix: boolean; e: Expr }
        | { k: 'cast'; type: TypeRef; e: Expr }
        | { k: 'instanceof'; e: Expr; type: TypeRef }
        | { k: 'soql'; parts: string[]; binds: Expr[]; mode: 'user' | 'system' | null }
        | { k: 'classlit'; type: TypeRef }
    );

export interface WhenClause extends Pos {
    /** null: `when else`. */
    values: Expr[] | null;
    /** `when Account a` on an sObject switch. */
    typed?: { type: TypeRef; name: string };
    body: Stmt;
}

export type Stmt = Pos &
    (
        | { k: 'block'; body: Stmt[] }
        | { k: 'local'; type: TypeRef; decls: { name: string; init: Expr | null }[] }
        | { k: 'expr'; e: Expr }
        | { k: 'if'; c: Expr; then: Stmt; else: Stmt | null }
        | { k: 'for'; init: Stmt | Expr[] | null; cond: Expr | null; update: Expr[]; body: Stmt }
        | { k: 'foreach'; type: TypeRef; name: string; iter: Expr; body: Stmt }
        | { k: 'while'; c: Expr; body: Stmt }
        | { k: 'do'; body: Stmt; c: Expr }
        | { k: 'switch'; e: Expr; whens: WhenClause[] }
        | {
              k: 'try';
              body: Stmt;
              catches: { type: TypeRef; name: string; body: Stmt }[];
              fin: Stmt | null;
          }
        | { k: 'return'; e: Expr | null }
        | { k: 'throw'; e: Expr }
        | { k: 'break' }
        | { k: 'continue' }
        | {
              k: 'dml';
              op: 'insert' | 'update' | 'delete' | 'upsert' | 'undelete';
              e: Expr;
              mode: 'user' | 'system' | null;
              extField: string[] | null;
          }
        | { k: 'runas'; user: Expr; body: Stmt }
    );

export interface Param {
    type: TypeRef;
    name: string;
}

export interface MethodDecl extends Pos {
    name: string;
    params: Param[];
    /** null: void. */
    ret: TypeRef | null;
    mods: Set<string>;
    annotations: Map<string, Record<string, string>>;
    body: Stmt | null;
}

export interface FieldDecl extends Pos {
    name: string;
    type: TypeRef;
    mods: Set<string>;
    annotations: Map<string, Record<string, string>>;
    init: Expr | null;
    /** Properties with a get or set body. */
    getter?: Stmt | null;
    setter?: Stmt | null;
}

export interface ClassDecl extends Pos {
    name: string;
    kind: 'class' | 'interface' | 'enum';
    mods: Set<string>;
    annotations: Map<string, Record<string, string>>;
    extends: TypeRef | null;
    implements: TypeRef[];
    fields: FieldDecl[];
    methods: MethodDecl[];
    ctors: MethodDecl[];
    inner: ClassDecl[];
    staticInits: Stmt[];
    instanceInits: Stmt[];
    enumValues: string[];
    /** The source file (coverage, stack traces). */
    source: string;
}

export interface TriggerDecl extends Pos {
    name: string;
    object: string;
    objectPos: Pos;
    events: string[];
    body: Stmt;
    source: string;
}
