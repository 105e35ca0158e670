// From @apexdevtools/apex-parser's parse tree to the interpreter's tree (ast.ts). A construct without a lowering
// here is a compile error "not supported by the org emulator: <construct> at <line:col>": nothing is skipped.
import type {
    AnonymousUnitContext,
    BlockContext,
    ClassBodyDeclarationContext,
    ExpressionContext,
    ModifierContext
} from '@apexdevtools/apex-parser';
import {
    ApexErrorListener,
    BoundExpressionContext,
    ApexParserFactory,
    Arth1ExpressionContext,
    Arth2ExpressionContext,
    ArrayExpressionContext,
    AssignExpressionContext,
    BitAndExpressionContext,
    BitExpressionContext,
    BitNotExpressionContext,
    BitOrExpressionContext,
    CastExpressionContext,
    ClassDeclarationContext,
    CmpExpressionContext,
    CoalExpressionContext,
    CondExpressionContext,
    DotExpressionContext,
    EnumDeclarationContext,
    EqualityExpressionContext,
    IdPrimaryContext,
    InstanceOfExpressionContext,
    InterfaceDeclarationContext,
    LiteralPrimaryContext,
    LogAndExpressionContext,
    LogOrExpressionContext,
    MethodCallExpressionContext,
    NegExpressionContext,
    NewExpressionContext,
    PostOpExpressionContext,
    PreOpExpressionContext,
    PrimaryExpressionContext,
    SoqlPrimaryContext,
    StatementContext,
    SubExpressionContext,
    SuperPrimaryContext,
    ThisPrimaryContext,
    TypeRefPrimaryContext,
    VoidPrimaryContext,
    type CompilationUnitContext,
    type CreatorContext,
    type LiteralContext,
    type LocalVariableDeclarationContext,
    type SoqlLiteralContext,
    type TriggerUnitContext,
    type TypeRefContext,
    type WhenLiteralContext
} from '@apexdevtools/apex-parser';
import type { ClassDecl, Expr, FieldDecl, Pos, Stmt, TriggerDecl, TypeRef, WhenClause } from './ast.ts';

interface TokenLike {
    line: number;
    column: number;
    start: number;
    stop: number;
}

/** What lowering reads of any parse-tree node (antlr4's ParserRuleContext). */
interface ParserRuleContext {
    start: TokenLike;
    stop?: TokenLike | null;
    children?: unknown[] | null;
    getChildCount(): number;
    getText(): string;
}

/** A compile error at a place in one source. */
export class CompileError extends Error {
    constructor(
        message: string,
        readonly line: number,
        readonly col: number
    ) {
        super(message);
    }
}

function pos(ctx: ParserRuleContext): Pos {
    return { line: ctx.start.line, col: ctx.start.column + 1 };
}

function unsupported(what: string, ctx: ParserRuleContext): never {
    const p = pos(ctx);
    throw new CompileError(`not supported by the org emulator: ${what} at ${p.line}:${p.col}`, p.line, p.col);
}

class SyntaxListener extends ApexErrorListener {
    first: CompileError | undefined;
    apexSyntaxError(line: number, column: number, msg: string): void {
        const expecting = msg.indexOf(' expecting {');
        const message = (expecting > 0 ? msg.slice(0, expecting) : msg).slice(0, 200);
        this.first ??= new CompileError(`Syntax error: ${message}`, line, column + 1);
    }
}

function parse<T>(source: string, rule: (p: ReturnType<typeof ApexParserFactory.createParser>) => T): T {
    const listener = new SyntaxListener();
    const { parser } = ApexParserFactory.createLexerAndParser(source, listener);
    const tree = rule(parser);
    if (listener.first) throw listener.first;
    return tree;
}

export function lowerClass(source: string, fileName: string): ClassDecl {
    const unit = parse(source, (p) => p.compilationUnit()) as CompilationUnitContext;
    const td = unit.typeDeclaration();
    const mods = td.modifier_list();
    const cls = td.classDeclaration();
    if (cls) return new Lowerer(source, fileName).classDecl(cls, mods);
    const itf = td.interfaceDeclaration();
    if (itf) return new Lowerer(source, fileName).interfaceDecl(itf, mods);
    const en = td.enumDeclaration();
    if (en) return new Lowerer(source, fileName).enumDecl(en, mods);
    return unsupported('type declaration', td);
}

export function lowerTrigger(source: string, fileName: string): TriggerDecl {
    const unit = parse(source, (p) => p.triggerUnit()) as TriggerUnitContext;
    const [nameId, objectId] = unit.id_list();
    const l = new Lowerer(source, fileName);
    const events = unit.triggerCase_list().map((c) =>
        c
            .getText()
            .toLowerCase()
            .replace(/^(before|after)/, '$1 ')
            .trim()
    );
    const body: Stmt[] = [];
    for (const m of unit.triggerBlock().triggerBlockMember_list()) {
        const s = m.statement();
        if (!s) unsupported('declarations in a trigger body', m);
        body.push(l.stmt(s));
    }
    return {
        ...pos(unit),
        name: nameId!.getText(),
        object: objectId!.getText(),
        objectPos: pos(objectId!),
        events,
        body: { ...pos(unit.triggerBlock()), k: 'block', body },
        source: fileName
    };
}

/** An anonymous block: its statements, and any classes or methods it declares (those are refused). */
export function lowerAnonymous(source: string): Stmt {
    const unit = parse(source, (p) => p.anonymousUnit()) as AnonymousUnitContext;
    const l = new Lowerer(source, '(anonymous)');
    const body: Stmt[] = [];
    for (const m of unit.anonymousBlock().anonymousBlockMember_list()) {
        const s = m.statement();
        const fd = m.anonymousMemberDeclaration()?.fieldDeclaration();
        // `Integer x = 1;` at the top of a block parses as a field declaration: it is a local variable.
        if (fd) {
            body.push({
                ...pos(fd),
                k: 'local',
                type: l.typeRef(fd.typeRef()),
                decls: fd
                    .variableDeclarators()
                    .variableDeclarator_list()
                    .map((v) => ({ name: v.id().getText(), init: v.expression() ? l.expr(v.expression()) : null }))
            });
            continue;
        }
        if (!s) unsupported('declarations in anonymous Apex', m);
        body.push(l.stmt(s));
    }
    return { line: 1, col: 1, k: 'block', body };
}

function modifiers(list: ModifierContext[]): {
    mods: Set<string>;
    annotations: Map<string, Record<string, string>>;
} {
    const mods = new Set<string>();
    const annotations = new Map<string, Record<string, string>>();
    for (const m of list) {
        const a = m.annotation();
        if (a) {
            const params: Record<string, string> = {};
            for (const pair of a.elementValuePairs()?.elementValuePair_list() ?? [])
                params[pair.id().getText().toLowerCase()] = pair.elementValue().getText().toLowerCase();
            annotations.set(a.id().getText().toLowerCase(), params);
        } else mods.add(m.getText().toLowerCase().replace(/\s+/g, ' '));
    }
    // `with sharing` arrives as three tokens' text glued: normalise.
    for (const m of [...mods]) {
        const s = m.replace(/sharing$/, ' sharing').replace(/\s+/g, ' ');
        if (s !== m) {
            mods.delete(m);
            mods.add(s.trim());
        }
    }
    return { mods, annotations };
}

class Lowerer {
    constructor(
        private readonly text: string,
        private readonly fileName: string
    ) {}

    typeRef(ctx: TypeRefContext): TypeRef {
        const names: string[] = [];
        let args: TypeRef[] = [];
        for (const tn of ctx.typeName_list()) {
            if (tn.LIST()) names.push('List');
            else if (tn.SET()) names.push('Set');
            else if (tn.MAP()) names.push('Map');
            else names.push(tn.id().getText());
            const ta = tn.typeArguments();
            if (ta)
                args = ta
                    .typeList()
                    .typeRef_list()
                    .map((t) => this.typeRef(t));
        }
        const t: TypeRef = { names, args };
        if (ctx.arraySubscripts() && ctx.arraySubscripts().LBRACK_list().length > 0) {
            if (ctx.arraySubscripts().LBRACK_list().length > 1) unsupported('multi-dimensional arrays', ctx);
            return { names: ['List'], args: [t] };
        }
        return t;
    }

    classDecl(ctx: ClassDeclarationContext, modList: ModifierContext[]): ClassDecl {
        const { mods, annotations } = modifiers(modList);
        const decl: ClassDecl = {
            ...pos(ctx),
            name: ctx.id().getText(),
            kind: 'class',
            mods,
            annotations,
            extends: ctx.typeRef() ? this.typeRef(ctx.typeRef()) : null,
            implements:
                ctx
                    .typeList()
                    ?.typeRef_list()
                    .map((t) => this.typeRef(t)) ?? [],
            fields: [],
            methods: [],
            ctors: [],
            inner: [],
            staticInits: [],
            instanceInits: [],
            enumValues: [],
            source: this.fileName
        };
        for (const member of ctx.classBody().classBodyDeclaration_list()) this.member(decl, member);
        return decl;
    }

    interfaceDecl(ctx: InterfaceDeclarationContext, modList: ModifierContext[]): ClassDecl {
        const { mods, annotations } = modifiers(modList);
        return {
            ...pos(ctx),
            name: ctx.id().getText(),
            kind: 'interface',
            mods,
            annotations,
            extends: null,
            implements:
                ctx
                    .typeList()
                    ?.typeRef_list()
                    .map((t) => this.typeRef(t)) ?? [],
            fields: [],
            methods: ctx
                .interfaceBody()
                .interfaceMethodDeclaration_list()
                .map((m) => ({
                    ...pos(m),
                    name: m.id().getText(),
                    params: this.params(m.formalParameters()),
                    ret: m.typeRef() ? this.typeRef(m.typeRef()) : null,
                    mods: new Set(['abstract', 'public']),
                    annotations: new Map(),
                    body: null
                })),
            ctors: [],
            inner: [],
            staticInits: [],
            instanceInits: [],
            enumValues: [],
            source: this.fileName
        };
    }

    enumDecl(ctx: EnumDeclarationContext, modList: ModifierContext[]): ClassDecl {
        const { mods, annotations } = modifiers(modList);
        return {
            ...pos(ctx),
            name: ctx.id().getText(),
            kind: 'enum',
            mods,
            annotations,
            extends: null,
            implements: [],
            fields: [],
            methods: [],
            ctors: [],
            inner: [],
            staticInits: [],
            instanceInits: [],
            enumValues:
                ctx
                    .enumConstants()
                    ?.id_list()
                    .map((i) => i.getText()) ?? [],
            source: this.fileName
        };
    }

    private params(fp: {
        formalParameterList(): { formalParameter_list(): { typeRef(): TypeRefContext; id(): { getText(): string } }[] };
    }): { type: TypeRef; name: string }[] {
        return (fp.formalParameterList()?.formalParameter_list() ?? []).map((p) => ({
            type: this.typeRef(p.typeRef()),
            name: p.id().getText()
        }));
    }

    private member(decl: ClassDecl, ctx: ClassBodyDeclarationContext): void {
        const block = ctx.block();
        if (block) {
            (ctx.STATIC() ? decl.staticInits : decl.instanceInits).push(this.block(block));
            return;
        }
        const m = ctx.memberDeclaration();
        if (!m) return; // a lone `;`
        const { mods, annotations } = modifiers(ctx.modifier_list());
        const md = m.methodDeclaration();
        if (md) {
            decl.methods.push({
                ...pos(md),
                name: md.id().getText(),
                params: this.params(md.formalParameters()),
                ret: md.typeRef() ? this.typeRef(md.typeRef()) : null,
                mods,
                annotations,
                body: md.block() ? this.block(md.block()) : null
            });
            return;
        }
        const cd = m.constructorDeclaration();
        if (cd) {
            decl.ctors.push({
                ...pos(cd),
                name: cd.qualifiedName().getText(),
                params: this.params(cd.formalParameters()),
                ret: null,
                mods,
                annotations,
                body: this.block(cd.block())
            });
            return;
        }
        const fd = m.fieldDeclaration();
        if (fd) {
            const type = this.typeRef(fd.typeRef());
            for (const v of fd.variableDeclarators().variableDeclarator_list()) {
                decl.fields.push({
                    ...pos(v),
                    name: v.id().getText(),
                    type,
                    mods,
                    annotations,
                    init: v.expression() ? this.expr(v.expression()) : null
                });
            }
            return;
        }
        const pd = m.propertyDeclaration();
        if (pd) {
            const f: FieldDecl = {
                ...pos(pd),
                name: pd.id().getText(),
                type: this.typeRef(pd.typeRef()),
                mods,
                annotations,
                init: null
            };
            for (const pb of pd.propertyBlock_list()) {
                const g = pb.getter();
                const s = pb.setter();
                if (g) f.getter = g.block() ? this.block(g.block()) : null;
                if (s) f.setter = s.block() ? this.block(s.block()) : null;
            }
            decl.fields.push(f);
            return;
        }
        const inner = m.classDeclaration();
        if (inner) {
            decl.inner.push(this.classDecl(inner, ctx.modifier_list()));
            return;
        }
        const itf = m.interfaceDeclaration();
        if (itf) {
            decl.inner.push(this.interfaceDecl(itf, ctx.modifier_list()));
            return;
        }
        const en = m.enumDeclaration();
        if (en) {
            decl.inner.push(this.enumDecl(en, ctx.modifier_list()));
            return;
        }
        unsupported('class member', m);
    }

    block(ctx: BlockContext): Stmt {
        return { ...pos(ctx), k: 'block', body: ctx.statement_list().map((s) => this.stmt(s)) };
    }

    private local(ctx: LocalVariableDeclarationContext): Stmt {
        return {
            ...pos(ctx),
            k: 'local',
            type: this.typeRef(ctx.typeRef()),
            decls: ctx
                .variableDeclarators()
                .variableDeclarator_list()
                .map((v) => ({ name: v.id().getText(), init: v.expression() ? this.expr(v.expression()) : null }))
        };
    }

    stmt(ctx: StatementContext): Stmt {
        const p = pos(ctx);
        if (ctx.block()) return this.block(ctx.block());
        const lv = ctx.localVariableDeclarationStatement();
        if (lv) return this.local(lv.localVariableDeclaration());
        const es = ctx.expressionStatement();
        if (es) return { ...p, k: 'expr', e: this.expr(es.expression()) };
        const ifs = ctx.ifStatement();
        if (ifs) {
            const [a, b] = ifs.statement_list();
            return {
                ...p,
                k: 'if',
                c: this.expr(ifs.parExpression().expression()),
                then: this.stmt(a!),
                else: b ? this.stmt(b) : null
            };
        }
        const fs = ctx.forStatement();
        if (fs) {
            const fc = fs.forControl();
            const body = this.stmt(fs.statement());
            const en = fc.enhancedForControl();
            if (en)
                return {
                    ...p,
                    k: 'foreach',
                    type: this.typeRef(en.typeRef()),
                    name: en.id().getText(),
                    iter: this.expr(en.expression()),
                    body
                };
            const init = fc.forInit();
            return {
                ...p,
                k: 'for',
                init: init
                    ? init.localVariableDeclaration()
                        ? this.local(init.localVariableDeclaration())
                        : init
                              .expressionList()
                              .expression_list()
                              .map((e) => this.expr(e))
                    : null,
                cond: fc.expression() ? this.expr(fc.expression()) : null,
                update:
                    fc
                        .forUpdate()
                        ?.expressionList()
                        .expression_list()
                        .map((e) => this.expr(e)) ?? [],
                body
            };
        }
        const ws = ctx.whileStatement();
        if (ws) {
            if (!ws.statement()) unsupported('a while loop without a body', ws);
            return { ...p, k: 'while', c: this.expr(ws.parExpression().expression()), body: this.stmt(ws.statement()) };
        }
        const ds = ctx.doWhileStatement();
        if (ds) return { ...p, k: 'do', body: this.block(ds.block()), c: this.expr(ds.parExpression().expression()) };
        const ts = ctx.tryStatement();
        if (ts)
            return {
                ...p,
                k: 'try',
                body: this.block(ts.block()),
                catches: ts.catchClause_list().map((c) => ({
                    type: {
                        names: c
                            .qualifiedName()
                            .id_list()
                            .map((i) => i.getText()),
                        args: []
                    },
                    name: c.id().getText(),
                    body: this.block(c.block())
                })),
                fin: ts.finallyBlock() ? this.block(ts.finallyBlock().block()) : null
            };
        const rs = ctx.returnStatement();
        if (rs) return { ...p, k: 'return', e: rs.expression() ? this.expr(rs.expression()) : null };
        const th = ctx.throwStatement();
        if (th) return { ...p, k: 'throw', e: this.expr(th.expression()) };
        if (ctx.breakStatement()) return { ...p, k: 'break' };
        if (ctx.continueStatement()) return { ...p, k: 'continue' };
        const sw = ctx.switchStatement();
        if (sw) {
            const whens: WhenClause[] = sw.whenControl_list().map((w) => {
                const wv = w.whenValue();
                const body = this.block(w.block());
                if (wv.ELSE()) return { ...pos(w), values: null, body };
                if (wv.typeRef())
                    return {
                        ...pos(w),
                        values: [],
                        typed: { type: this.typeRef(wv.typeRef()), name: wv.id().getText() },
                        body
                    };
                return {
                    ...pos(w),
                    values: wv.whenLiteral_list().map((l) => this.whenLiteral(l)),
                    body
                };
            });
            return { ...p, k: 'switch', e: this.expr(sw.expression()), whens };
        }
        for (const op of ['insert', 'update', 'delete', 'upsert', 'undelete'] as const) {
            const d = (ctx as unknown as Record<string, () => ParserRuleContext | null>)[`${op}Statement`]!.call(ctx);
            if (d) {
                const dc = d as unknown as {
                    expression(): ExpressionContext;
                    accessLevel(): { USER(): unknown; SYSTEM(): unknown } | null;
                    qualifiedName?: () => { id_list(): { getText(): string }[] } | null;
                };
                const al = dc.accessLevel();
                const qn = dc.qualifiedName?.();
                return {
                    ...p,
                    k: 'dml',
                    op,
                    e: this.expr(dc.expression()),
                    mode: al ? (al.USER() ? 'user' : 'system') : null,
                    extField: qn ? qn.id_list().map((i) => i.getText()) : null
                };
            }
        }
        const ra = ctx.runAsStatement();
        if (ra) {
            const args = ra.expressionList()?.expression_list() ?? [];
            if (args.length !== 1) unsupported('System.runAs with other than one argument', ra);
            return { ...p, k: 'runas', user: this.expr(args[0]!), body: this.block(ra.block()) };
        }
        if (ctx.mergeStatement()) unsupported('merge', ctx);
        return unsupported('statement', ctx);
    }

    private whenLiteral(ctx: WhenLiteralContext): Expr {
        const p = pos(ctx);
        const neg = ctx.SUB_list().length % 2 === 1 ? -1 : 1;
        if (ctx.IntegerLiteral())
            return { ...p, k: 'lit', t: 'Integer', v: neg * Number(ctx.IntegerLiteral().getText()) };
        if (ctx.LongLiteral())
            return { ...p, k: 'lit', t: 'Long', v: neg * Number(ctx.LongLiteral().getText().replace(/l$/i, '')) };
        if (ctx.StringLiteral()) return { ...p, k: 'lit', t: 'String', v: unquote(ctx.StringLiteral().getText()) };
        if (ctx.NULL()) return { ...p, k: 'lit', t: 'null', v: null };
        if (ctx.qualifiedName()) {
            const ids = ctx.qualifiedName().id_list();
            // `when BEFORE_INSERT`: an enum constant of the switch's type, resolved at run time.
            return { ...p, k: 'name', name: ids.map((i) => i.getText()).join('.') };
        }
        if (ctx.whenLiteral()) return this.whenLiteral(ctx.whenLiteral());
        return unsupported('when value', ctx);
    }

    private literal(ctx: LiteralContext): Expr {
        const p = pos(ctx);
        if (ctx.IntegerLiteral()) return { ...p, k: 'lit', t: 'Integer', v: Number(ctx.IntegerLiteral().getText()) };
        if (ctx.LongLiteral())
            return { ...p, k: 'lit', t: 'Long', v: Number(ctx.LongLiteral().getText().replace(/l$/i, '')) };
        if (ctx.NumberLiteral()) {
            const text = ctx.NumberLiteral().getText();
            if (/d$/i.test(text)) return { ...p, k: 'lit', t: 'Double', v: Number(text.slice(0, -1)) };
            return { ...p, k: 'lit', t: 'Decimal', v: text };
        }
        if (ctx.StringLiteral()) return { ...p, k: 'lit', t: 'String', v: unquote(ctx.StringLiteral().getText()) };
        if (ctx.BooleanLiteral())
            return { ...p, k: 'lit', t: 'Boolean', v: ctx.BooleanLiteral().getText().toLowerCase() === 'true' };
        if (ctx.NULL()) return { ...p, k: 'lit', t: 'null', v: null };
        return unsupported('literal', ctx);
    }

    private args(list: { expression_list(): ExpressionContext[] } | null): Expr[] {
        return (list?.expression_list() ?? []).map((e) => this.expr(e));
    }

    expr(ctx: ExpressionContext): Expr {
        const p = pos(ctx);
        if (ctx instanceof PrimaryExpressionContext) {
            const pr = ctx.primary();
            if (pr instanceof IdPrimaryContext) return { ...p, k: 'name', name: pr.id().getText() };
            if (pr instanceof LiteralPrimaryContext) return this.literal(pr.literal());
            if (pr instanceof ThisPrimaryContext) return { ...p, k: 'this' };
            if (pr instanceof SuperPrimaryContext) return { ...p, k: 'super' };
            if (pr instanceof TypeRefPrimaryContext) return { ...p, k: 'classlit', type: this.typeRef(pr.typeRef()) };
            if (pr instanceof VoidPrimaryContext) return { ...p, k: 'classlit', type: { names: ['void'], args: [] } };
            if (pr instanceof SoqlPrimaryContext) return this.soql(pr.soqlLiteral());
            return unsupported('SOSL', pr);
        }
        if (ctx instanceof DotExpressionContext) {
            const target = this.expr(ctx.expression());
            const safe = !!ctx.QUESTIONDOT();
            const dm = ctx.dotMethodCall();
            if (dm)
                return {
                    ...pos(dm),
                    k: 'call',
                    target,
                    name: dm.anyId().getText(),
                    args: this.args(dm.expressionList()),
                    safe
                };
            return { ...p, k: 'field', target, name: ctx.anyId().getText(), safe };
        }
        if (ctx instanceof MethodCallExpressionContext) {
            const mc = ctx.methodCall();
            const args = this.args(mc.expressionList());
            if (mc.THIS()) return { ...p, k: 'ctorcall', which: 'this', args };
            if (mc.SUPER()) return { ...p, k: 'ctorcall', which: 'super', args };
            return { ...p, k: 'call', target: null, name: mc.id().getText(), args, safe: false };
        }
        if (ctx instanceof NewExpressionContext) return this.creator(ctx.creator(), p);
        if (ctx instanceof AssignExpressionContext) {
            const [t, v] = ctx.expression_list();
            const op = ctx.getChild(1)!.getText();
            if (!['=', '+=', '-=', '*=', '/='].includes(op)) unsupported(`the ${op} operator`, ctx);
            return { ...p, k: 'assign', op, target: this.expr(t!), value: this.expr(v!) };
        }
        if (ctx instanceof Arth1ExpressionContext || ctx instanceof Arth2ExpressionContext) {
            const [l, r] = ctx.expression_list();
            return { ...p, k: 'bin', op: ctx.getChild(1)!.getText(), l: this.expr(l!), r: this.expr(r!) };
        }
        if (ctx instanceof CmpExpressionContext) {
            const [l, r] = ctx.expression_list();
            const op = (ctx.GT() ? '>' : '<') + (ctx.ASSIGN() ? '=' : '');
            return { ...p, k: 'bin', op, l: this.expr(l!), r: this.expr(r!) };
        }
        if (ctx instanceof EqualityExpressionContext) {
            const [l, r] = ctx.expression_list();
            let op = ctx.getChild(1)!.getText();
            if (op === '<>') op = '!=';
            return { ...p, k: 'bin', op, l: this.expr(l!), r: this.expr(r!) };
        }
        if (ctx instanceof LogAndExpressionContext) {
            const [l, r] = ctx.expression_list();
            return { ...p, k: 'and', l: this.expr(l!), r: this.expr(r!) };
        }
        if (ctx instanceof LogOrExpressionContext) {
            const [l, r] = ctx.expression_list();
            return { ...p, k: 'or', l: this.expr(l!), r: this.expr(r!) };
        }
        if (ctx instanceof CondExpressionContext) {
            const [c, a, b] = ctx.expression_list();
            return { ...p, k: 'cond', c: this.expr(c!), a: this.expr(a!), b: this.expr(b!) };
        }
        if (ctx instanceof CoalExpressionContext) {
            const [l, r] = ctx.expression_list();
            return { ...p, k: 'coal', l: this.expr(l!), r: this.expr(r!) };
        }
        if (ctx instanceof NegExpressionContext) {
            if (ctx.TILDE()) unsupported('the ~ operator', ctx);
            return { ...p, k: 'not', e: this.expr(ctx.expression()) };
        }
        if (ctx instanceof PreOpExpressionContext) {
            const e = this.expr(ctx.expression());
            if (ctx.SUB()) return { ...p, k: 'neg', e };
            if (ctx.ADD()) return e;
            return { ...p, k: 'incdec', op: ctx.INC() ? '++' : '--', prefix: true, e };
        }
        if (ctx instanceof PostOpExpressionContext)
            return { ...p, k: 'incdec', op: ctx.INC() ? '++' : '--', prefix: false, e: this.expr(ctx.expression()) };
        if (ctx instanceof SubExpressionContext) return this.expr(ctx.expression());
        if (ctx instanceof CastExpressionContext)
            return { ...p, k: 'cast', type: this.typeRef(ctx.typeRef()), e: this.expr(ctx.expression()) };
        if (ctx instanceof InstanceOfExpressionContext)
            return { ...p, k: 'instanceof', e: this.expr(ctx.expression()), type: this.typeRef(ctx.typeRef()) };
        if (ctx instanceof ArrayExpressionContext) {
            const [t, i] = ctx.expression_list();
            return { ...p, k: 'index', target: this.expr(t!), index: this.expr(i!) };
        }
        if (
            ctx instanceof BitAndExpressionContext ||
            ctx instanceof BitOrExpressionContext ||
            ctx instanceof BitNotExpressionContext ||
            ctx instanceof BitExpressionContext
        )
            unsupported('bitwise operators', ctx);
        return unsupported('expression', ctx);
    }

    private creator(ctx: CreatorContext, p: Pos): Expr {
        const pairs = ctx.createdName().idCreatedNamePair_list();
        const names = pairs.map((x) => x.anyId().getText());
        const last = pairs[pairs.length - 1];
        const args =
            last
                ?.typeList()
                ?.typeRef_list()
                .map((t) => this.typeRef(t)) ?? [];
        const type: TypeRef = { names, args };
        if (ctx.noRest()) {
            return { ...p, k: 'new', type, list: [] };
        }
        const cr = ctx.classCreatorRest();
        if (cr) {
            const list = cr.arguments().expressionList()?.expression_list() ?? [];
            // `new Account(Name = 'x')`: name = value pairs.
            if (list.length > 0 && list.every((e) => e instanceof AssignExpressionContext && isSimpleName(e))) {
                return {
                    ...p,
                    k: 'new',
                    type,
                    named: list.map((e) => {
                        const [t, v] = (e as AssignExpressionContext).expression_list();
                        return { name: t!.getText(), value: this.expr(v!), pos: pos(t!) };
                    })
                };
            }
            return { ...p, k: 'new', type, args: list.map((e) => this.expr(e)) };
        }
        const ar = ctx.arrayCreatorRest();
        if (ar) {
            const listType: TypeRef = { names: ['List'], args: [type] };
            if (ar.arrayInitializer())
                return {
                    ...p,
                    k: 'new',
                    type: listType,
                    list: ar
                        .arrayInitializer()
                        .expression_list()
                        .map((e) => this.expr(e))
                };
            return { ...p, k: 'new', type: listType, size: this.expr(ar.expression()) };
        }
        const mr = ctx.mapCreatorRest();
        if (mr) {
            return {
                ...p,
                k: 'new',
                type,
                map: mr.mapCreatorRestPair_list().map((pair) => {
                    const [a, b] = pair.expression_list();
                    return [this.expr(a!), this.expr(b!)] as [Expr, Expr];
                })
            };
        }
        const sr = ctx.setCreatorRest();
        if (sr) return { ...p, k: 'new', type, list: sr.expression_list().map((e) => this.expr(e)) };
        return unsupported('creator', ctx);
    }

    private soql(ctx: SoqlLiteralContext): Expr {
        const p = pos(ctx);
        const q = ctx.query();
        const start = q.start.start;
        const parts: string[] = [];
        const binds: Expr[] = [];
        let cursor = start;
        const visit = (node: ParserRuleContext): void => {
            if (node instanceof BoundExpressionContext) {
                const be = node as unknown as { expression(): ExpressionContext };
                parts.push(this.text.slice(cursor, node.start.start));
                binds.push(this.expr(be.expression()));
                cursor = (node.stop ?? node.start).stop + 1;
                return;
            }
            for (const child of node.children ?? []) {
                if ((child as ParserRuleContext).start && (child as ParserRuleContext).getChildCount)
                    visit(child as ParserRuleContext);
            }
        };
        visit(q);
        parts.push(this.text.slice(cursor, (q.stop ?? q.start).stop + 1));
        // WITH USER_MODE / SYSTEM_MODE decide the access check; the SOQL engine sees the query without them.
        let mode: 'user' | 'system' | null = null;
        const cleaned = parts.map((part) =>
            part.replace(/\bWITH\s+(USER_MODE|SYSTEM_MODE|SECURITY_ENFORCED)\b/gi, (_m, w: string) => {
                mode = w.toUpperCase() === 'SYSTEM_MODE' ? 'system' : 'user';
                return ' ';
            })
        );
        return { ...p, k: 'soql', parts: cleaned, binds, mode };
    }
}

function isSimpleName(e: AssignExpressionContext): boolean {
    const t = e.expression(0);
    return !!t && !!e.ASSIGN() && t instanceof PrimaryExpressionContext && t.primary() instanceof IdPrimaryContext;
}

function unquote(text: string): string {
    const body = text.slice(1, -1);
    return body.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, c: string) => {
        if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
        return ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' } as Record<string, string>)[c] ?? c;
    });
}

export { ClassDeclarationContext, InterfaceDeclarationContext, EnumDeclarationContext, StatementContext };
