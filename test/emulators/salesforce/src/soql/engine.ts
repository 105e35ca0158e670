// SOQL over the in-memory store, parsed by soql-parser-js: field lists with parent relationships and child
// subqueries, WHERE (AND/OR/NOT, comparison, IN, LIKE, INCLUDES, date literals), ORDER BY with NULLS,
// LIMIT, OFFSET, COUNT() and COUNT(field). Fields the user cannot see do not exist (INVALID_FIELD).
import soqlParser from 'soql-parser-js';

// The package is CommonJS: its named exports are not visible to ESM imports.
const { parseQuery } = soqlParser;
import type { AccessView } from '../access.ts';
import { USER_RECORD_ACCESS, userRecordAccessRows } from './userRecordAccess.ts';
import { SfError } from '../errors.ts';
import type { DataService } from '../data.ts';
import type { Org } from '../org.ts';
import type { FieldDef, ObjectDef } from '../schema/types.ts';
import type { SfRecord } from '../store.ts';
import { buildWhere, matchCondition, parseLiteral, type BoolExpr, type Condition } from './where.ts';

interface FieldPath {
    /** Relationship hops from the queried object, each a reference field. */
    hops: { field: FieldDef; target: ObjectDef }[];
    field: FieldDef;
    owner: ObjectDef;
}

type Selection =
    | { kind: 'field'; path: FieldPath }
    | { kind: 'count'; alias: string; path?: FieldPath }
    | { kind: 'subquery'; relationshipName: string; child: ObjectDef; parentField: string; plan: Plan };

interface Plan {
    def: ObjectDef;
    /** Whose query: rows the user may not see by sharing are left out, as the platform leaves them out. */
    access: QueryAccess;
    alias?: string;
    selections: Selection[];
    where?: BoolExpr;
    orderBy: { path: FieldPath; desc: boolean; nullsLast: boolean }[];
    limit?: number;
    offset?: number;
    countOnly: boolean;
}

export interface QueryOutput {
    totalSize: number;
    records: Record<string, unknown>[];
}

const APEX_TYPES: Partial<Record<FieldDef['type'], string>> = {
    id: 'Id',
    reference: 'Id',
    boolean: 'Boolean',
    int: 'Integer',
    long: 'Long',
    double: 'Double',
    currency: 'Decimal',
    percent: 'Decimal',
    date: 'Date',
    datetime: 'Datetime',
    time: 'Time',
    address: 'Address',
    base64: 'Blob'
};

interface ParsedQuery {
    fields?: Array<Record<string, unknown>>;
    sObject?: string;
    sObjectAlias?: string;
    relationshipName?: string;
    where?: unknown;
    orderBy?:
        Array<{ field?: string; order?: string; nulls?: string }> | { field?: string; order?: string; nulls?: string };
    limit?: number;
    offset?: number;
    groupBy?: unknown;
    having?: unknown;
}

/** Parses SOQL; a syntax error is 400 MALFORMED_QUERY with the parser's first line. */
function parseSoql(soql: string): ParsedQuery {
    try {
        return parseQuery(soql) as unknown as ParsedQuery;
    } catch (e) {
        throw new SfError(
            400,
            'MALFORMED_QUERY',
            `\n${soql}\n${e instanceof Error ? e.message.split('\n')[0] : 'unexpected token'}`
        );
    }
}

/** What a query reads: the schema, the rows and the clock (the org's, or another store such as the Tooling API's). */
export type QuerySource = Pick<Org, 'schema' | 'store' | 'clock'> & Partial<Pick<Org, 'access' | 'sharing'>>;
/** The access checks a query makes (an AccessView, or the Tooling API's fixed view without record sharing). */
export type QueryAccess = Pick<AccessView, 'object' | 'field'> & Partial<Pick<AccessView, 'canSee'>>;

export class QueryEngine {
    constructor(
        private readonly org: QuerySource,
        private readonly data: Pick<DataService, 'value' | 'render'>
    ) {}

    private get schema() {
        return this.org.schema;
    }

    run(access: QueryAccess, soql: string, version: string, includeDeleted: boolean): QueryOutput {
        const parsed = parseSoql(soql);
        if (parsed.having) throw new SfError(400, 'MALFORMED_QUERY', 'HAVING is not supported by this emulator');
        if (parsed.groupBy) return this.grouped(access, parsed, includeDeleted);
        const def = this.object(access, parsed.sObject ?? '');
        const plan = this.plan(access, parsed, def);
        const rows = this.rows(plan, includeDeleted);
        if (plan.countOnly) return { totalSize: rows.length, records: [] };
        const aggregate = plan.selections.filter((s) => s.kind === 'count');
        if (aggregate.length > 0) {
            const rec: Record<string, unknown> = { attributes: { type: 'AggregateResult' } };
            for (const s of aggregate) {
                if (s.kind !== 'count') continue;
                rec[s.alias] = s.path ? rows.filter((r) => this.valueAt(r, s.path!) !== null).length : rows.length;
            }
            return { totalSize: 1, records: [rec] };
        }
        const page = this.window(plan, rows);
        return { totalSize: page.length, records: page.map((r) => this.render(plan, r, version, includeDeleted)) };
    }

    /** GROUP BY fields with COUNT() / COUNT(field): one AggregateResult row per group, columns by alias. */
    private grouped(access: QueryAccess, parsed: ParsedQuery, includeDeleted: boolean): QueryOutput {
        const def = this.object(access, parsed.sObject ?? '');
        const plan = this.plan(access, { ...parsed, groupBy: undefined }, def);
        const groupList = (Array.isArray(parsed.groupBy) ? parsed.groupBy : [parsed.groupBy]) as { field?: string }[];
        const groupPaths = groupList.map((g) => {
            if (!g.field) throw new SfError(400, 'MALFORMED_QUERY', 'GROUP BY supports fields only');
            return this.path(access, def, g.field, plan.alias);
        });
        const groups = new Map<string, SfRecord[]>();
        for (const row of this.rows(plan, includeDeleted)) {
            const key = JSON.stringify(groupPaths.map((p) => this.valueAt(row, p)));
            groups.set(key, [...(groups.get(key) ?? []), row]);
        }
        const fields = parsed.fields ?? [];
        const records = [...groups.values()].map((rows) => {
            const rec: Record<string, unknown> = { attributes: { type: 'AggregateResult' } };
            let expr = 0;
            plan.selections.forEach((s, i) => {
                const alias = fields[i]?.alias as string | undefined;
                if (s.kind === 'field') rec[alias ?? s.path.field.name] = this.valueAt(rows[0]!, s.path);
                else if (s.kind === 'count') {
                    rec[alias ?? `expr${expr++}`] = s.path
                        ? rows.filter((r) => this.valueAt(r, s.path!) !== null).length
                        : rows.length;
                }
            });
            return rec;
        });
        const page = this.window(plan, records as unknown as SfRecord[]) as unknown as Record<string, unknown>[];
        return { totalSize: page.length, records: page };
    }

    /**
     * Column metadata (`/query?q=…&columns=true`), what `sf data query` asks for before the rows: one entry
     * per selected item, parent relationships as nested joinColumns.
     */
    columns(access: QueryAccess, soql: string): Record<string, unknown> {
        const parsed = parseSoql(soql);
        const def = this.object(access, parsed.sObject ?? '');
        const plan = this.plan(access, parsed, def);
        const column = (
            name: string,
            display: string,
            field?: FieldDef,
            join: Record<string, unknown>[] = [],
            aggregate = false
        ): Record<string, unknown> => ({
            aggregate,
            apexType: field ? (APEX_TYPES[field.type] ?? 'String') : null,
            booleanType: field?.type === 'boolean',
            columnName: name,
            custom: field?.custom ?? false,
            displayName: display,
            foreignKeyName: null,
            insertable: field?.createable ?? false,
            joinColumns: join,
            numberType: field ? ['int', 'double', 'currency', 'percent', 'long'].includes(field.type) : false,
            textType: field
                ? ['string', 'textarea', 'picklist', 'email', 'phone', 'url', 'id', 'reference'].includes(field.type)
                : false,
            updatable: field?.updateable ?? false
        });
        const fieldColumn = (path: FieldPath, prefix = ''): Record<string, unknown> => {
            if (path.hops.length === 0) return column(path.field.name, `${prefix}${path.field.name}`, path.field);
            const [hop, ...rest] = path.hops;
            const name = hop!.field.relationshipName!;
            return column(name, `${prefix}${name}`, undefined, [
                fieldColumn({ ...path, hops: rest }, `${prefix}${name}.`)
            ]);
        };
        const out: Record<string, unknown>[] = [];
        for (const sel of plan.selections) {
            if (sel.kind === 'field') {
                const col = fieldColumn(sel.path);
                const same = out.find(
                    (c) => c.columnName === col.columnName && (col.joinColumns as unknown[]).length > 0
                );
                if (same) (same.joinColumns as unknown[]).push(...(col.joinColumns as unknown[]));
                else out.push(col);
            } else if (sel.kind === 'count') out.push(column(sel.alias, sel.alias, undefined, [], true));
            else {
                const children = sel.plan.selections
                    .filter((c) => c.kind === 'field')
                    .map((c) => fieldColumn((c as { path: FieldPath }).path));
                out.push(column(sel.relationshipName, sel.relationshipName, undefined, children, true));
            }
        }
        if (plan.countOnly) out.push(column('expr0', 'expr0', undefined, [], true));
        return {
            columnMetadata: out,
            entityName: def.name,
            groupBy: false,
            idSelected: plan.selections.some(
                (x) => x.kind === 'field' && x.path.hops.length === 0 && x.path.field.name === 'Id'
            ),
            keyPrefix: def.keyPrefix
        };
    }

    private object(access: QueryAccess, name: string): ObjectDef {
        const def = this.schema.get(name);
        if (!def || !def.queryable || !access.object(def).read) {
            throw new SfError(
                400,
                'INVALID_TYPE',
                `\nFROM ${name}\n     ^\nERROR at Row:1:Column:1\nsObject type '${name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`
            );
        }
        return def;
    }

    private invalidField(name: string, def: ObjectDef): SfError {
        return new SfError(
            400,
            'INVALID_FIELD',
            `\n${name}\n^\nERROR at Row:1:Column:1\nNo such column '${name}' on entity '${def.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`
        );
    }

    /** Resolves "Name", "Account.Owner.Name" or "alias.Name" to field definitions, honouring FLS. */
    private path(access: QueryAccess, def: ObjectDef, dotted: string, alias?: string): FieldPath {
        const parts = dotted.split('.');
        if (
            parts.length > 1 &&
            (parts[0]!.toLowerCase() === alias?.toLowerCase() || parts[0]!.toLowerCase() === def.name.toLowerCase()) &&
            !def.fields.some((f) => f.relationshipName?.toLowerCase() === parts[0]!.toLowerCase())
        ) {
            parts.shift();
        }
        const hops: FieldPath['hops'] = [];
        let current = def;
        for (const rel of parts.slice(0, -1)) {
            const ref = current.fields.find(
                (f) => f.type === 'reference' && f.relationshipName?.toLowerCase() === rel.toLowerCase()
            );
            if (!ref || !access.field(current, ref).read) throw this.invalidField(dotted, current);
            const target = this.schema.get(ref.referenceTo[0] ?? '');
            if (!target || !access.object(target).read) throw this.invalidField(dotted, current);
            hops.push({ field: ref, target });
            current = target;
        }
        const last = parts[parts.length - 1]!;
        const field = this.schema.field(current.name, last);
        if (!field || !access.field(current, field).read) throw this.invalidField(dotted, current);
        return { hops, field, owner: current };
    }

    private plan(access: QueryAccess, q: ParsedQuery, def: ObjectDef): Plan {
        const alias = q.sObjectAlias;
        const selections: Selection[] = [];
        let countOnly = false;
        for (const f of q.fields ?? []) {
            switch (f.type) {
                case 'Field':
                    selections.push({ kind: 'field', path: this.path(access, def, String(f.field), alias) });
                    break;
                case 'FieldRelationship':
                    selections.push({
                        kind: 'field',
                        path: this.path(
                            access,
                            def,
                            String(f.rawValue ?? [...(f.relationships as string[]), f.field].join('.')),
                            alias
                        )
                    });
                    break;
                case 'FieldFunctionExpression': {
                    if (String(f.functionName).toUpperCase() !== 'COUNT') {
                        throw new SfError(
                            400,
                            'MALFORMED_QUERY',
                            `${String(f.functionName)}() is not supported by this emulator`
                        );
                    }
                    const params = (f.parameters as string[] | undefined) ?? [];
                    if (params.length === 0) countOnly = true;
                    else
                        selections.push({
                            kind: 'count',
                            alias: String(f.alias ?? `expr${selections.filter((s) => s.kind === 'count').length}`),
                            path: this.path(access, def, params[0]!, alias)
                        });
                    break;
                }
                case 'FieldSubquery': {
                    const sub = f.subquery as ParsedQuery;
                    const rel = this.schema.childRelationship(def.name, String(sub.relationshipName));
                    if (!rel)
                        throw new SfError(
                            400,
                            'INVALID_TYPE',
                            `Didn't understand relationship '${String(sub.relationshipName)}' in FROM part of query call.`
                        );
                    const child = this.object(access, rel.childSObject);
                    selections.push({
                        kind: 'subquery',
                        relationshipName: rel.relationshipName!,
                        child,
                        parentField: rel.field,
                        plan: this.plan(access, sub, child)
                    });
                    break;
                }
                default:
                    throw new SfError(400, 'MALFORMED_QUERY', `unsupported select item ${String(f.type)}`);
            }
        }
        const where = buildWhere(q.where);
        if (where) this.checkWhere(access, def, where, alias);
        const orderList = q.orderBy === undefined ? [] : Array.isArray(q.orderBy) ? q.orderBy : [q.orderBy];
        const orderBy = orderList.map((o) => {
            if (!o.field) throw new SfError(400, 'MALFORMED_QUERY', 'ORDER BY supports fields only');
            const desc = o.order?.toUpperCase() === 'DESC';
            return {
                path: this.path(access, def, o.field, alias),
                desc,
                nullsLast: o.nulls ? o.nulls.toUpperCase() === 'LAST' : desc
            };
        });
        return { def, access, alias, selections, where, orderBy, limit: q.limit, offset: q.offset, countOnly };
    }

    private conditionPaths = new WeakMap<Condition, FieldPath>();
    /** Semi-join subqueries of WHERE conditions, with the one field they select. */
    private semiJoins = new WeakMap<Condition, { plan: Plan; path: FieldPath }>();

    private checkWhere(access: QueryAccess, def: ObjectDef, expr: BoolExpr, alias?: string): void {
        if (expr.kind === 'cond') {
            if (expr.cond.field === undefined)
                throw new SfError(400, 'MALFORMED_QUERY', 'functions in WHERE are not supported by this emulator');
            this.conditionPaths.set(expr.cond, this.path(access, def, expr.cond.field, alias));
            if (expr.cond.valueQuery !== undefined) {
                const sub = expr.cond.valueQuery as ParsedQuery;
                const subDef = this.object(access, sub.sObject ?? '');
                const plan = this.plan(access, sub, subDef);
                const only = plan.selections[0];
                if (
                    plan.selections.length !== 1 ||
                    only?.kind !== 'field' ||
                    !['id', 'reference'].includes(only.path.field.type)
                ) {
                    throw new SfError(
                        400,
                        'MALFORMED_QUERY',
                        'a semi-join subquery must select exactly one Id or reference field'
                    );
                }
                this.semiJoins.set(expr.cond, { plan, path: only.path });
            }
        } else if (expr.kind === 'not') this.checkWhere(access, def, expr.item, alias);
        else for (const item of expr.items) this.checkWhere(access, def, item, alias);
    }

    private evaluate(expr: BoolExpr, row: SfRecord, nowMs: number, joins: Map<Condition, Set<string>>): boolean {
        switch (expr.kind) {
            case 'and':
                return expr.items.every((e) => this.evaluate(e, row, nowMs, joins));
            case 'or':
                return expr.items.some((e) => this.evaluate(e, row, nowMs, joins));
            case 'not':
                return !this.evaluate(expr.item, row, nowMs, joins);
            case 'cond': {
                const c = expr.cond;
                const path = this.conditionPaths.get(c)!;
                const semi = this.semiJoins.get(c);
                if (semi) {
                    let ids = joins.get(c);
                    if (!ids) {
                        ids = new Set(
                            this.rows(semi.plan, false).map((r) => String(this.valueAt(r, semi.path)).slice(0, 15))
                        );
                        joins.set(c, ids);
                    }
                    const hit = ids.has(String(this.valueAt(row, path)).slice(0, 15));
                    return c.operator.toUpperCase() === 'NOT IN' ? !hit : hit;
                }
                const raw = Array.isArray(c.value) ? c.value : [c.value ?? 'NULL'];
                const types = Array.isArray(c.literalType)
                    ? c.literalType
                    : raw.map(() => String(c.literalType ?? 'NULL'));
                const literals = raw.map((v, i) => parseLiteral(String(v), types[i] ?? types[0] ?? 'STRING', nowMs));
                return matchCondition(path.field, this.valueAt(row, path), c.operator, literals);
            }
        }
    }

    valueAt(row: SfRecord, path: FieldPath): unknown {
        let current: SfRecord | undefined = row;
        for (const hop of path.hops) {
            const id: unknown = current?.[hop.field.name];
            current = typeof id === 'string' ? this.targetRow(hop.field, id) : undefined;
            if (!current) return null;
        }
        return this.data.value(path.owner, current!, path.field);
    }

    private targetRow(ref: FieldDef, id: string): SfRecord | undefined {
        const target = this.schema.objectByPrefix(id.slice(0, 3));
        if (!target || !ref.referenceTo.includes(target.name)) return undefined;
        return this.org.store.get(target.name, id);
    }

    private rows(plan: Plan, includeDeleted: boolean, restrict?: (r: SfRecord) => boolean): SfRecord[] {
        const nowMs = this.org.clock.peekMs();
        const visible = (r: SfRecord) => !plan.access.canSee || plan.access.canSee(plan.def, r);
        const source =
            plan.def.name === USER_RECORD_ACCESS && this.org.access && this.org.sharing
                ? userRecordAccessRows(this.org as Org, plan.access, plan.where)
                : this.org.store.rows(plan.def.name);
        let rows = source.filter(
            (r) => (includeDeleted || r.IsDeleted !== true) && (!restrict || restrict(r)) && visible(r)
        );
        if (plan.where) {
            const joins = new Map<Condition, Set<string>>();
            rows = rows.filter((r) => this.evaluate(plan.where!, r, nowMs, joins));
        }
        if (plan.orderBy.length > 0) {
            rows.sort((a, b) => {
                for (const o of plan.orderBy) {
                    const va = this.valueAt(a, o.path);
                    const vb = this.valueAt(b, o.path);
                    if (va === vb) continue;
                    if (va === null || va === undefined) return o.nullsLast ? 1 : -1;
                    if (vb === null || vb === undefined) return o.nullsLast ? -1 : 1;
                    const cmp =
                        typeof va === 'number' && typeof vb === 'number'
                            ? va - vb
                            : String(va).localeCompare(String(vb), 'en', { sensitivity: 'base' });
                    if (cmp !== 0) return o.desc ? -cmp : cmp;
                }
                return 0;
            });
        } else {
            rows.sort((a, b) => String(a.Id).localeCompare(String(b.Id)));
        }
        return rows;
    }

    private window(plan: Plan, rows: SfRecord[]): SfRecord[] {
        const start = plan.offset ?? 0;
        return rows.slice(start, plan.limit === undefined ? undefined : start + plan.limit);
    }

    private render(plan: Plan, row: SfRecord, version: string, includeDeleted: boolean): Record<string, unknown> {
        const out = this.data.render(plan.def, row, [], version);
        for (const s of plan.selections) {
            if (s.kind === 'field') this.place(out, row, s.path, version, plan.access);
            else if (s.kind === 'subquery') {
                const children = this.window(
                    s.plan,
                    this.rows(s.plan, includeDeleted, (r) => r[s.parentField] === row.Id)
                );
                out[s.relationshipName] =
                    children.length === 0
                        ? null
                        : {
                              totalSize: children.length,
                              done: true,
                              records: children.map((c) => this.render(s.plan, c, version, includeDeleted))
                          };
            }
        }
        return out;
    }

    /** Writes a selected value into the output, nesting parent relationships as {attributes, …} objects. */
    private place(
        out: Record<string, unknown>,
        row: SfRecord,
        path: FieldPath,
        version: string,
        access: QueryAccess
    ): void {
        let target = out;
        let current: SfRecord | undefined = row;
        for (const hop of path.hops) {
            const key = hop.field.relationshipName!;
            const id: unknown = current?.[hop.field.name];
            current = typeof id === 'string' ? this.targetRow(hop.field, id) : undefined;
            // A parent the user may not see by sharing reads as no parent.
            const parentDef = current && this.schema.objectByPrefix(String(current.Id).slice(0, 3));
            if (current && parentDef && access.canSee && !access.canSee(parentDef, current)) current = undefined;
            if (!current) {
                if (!(key in target)) target[key] = null;
                return;
            }
            let nested = target[key] as Record<string, unknown> | null | undefined;
            if (!nested) {
                const def = this.schema.objectByPrefix(String(current.Id).slice(0, 3)) ?? hop.target;
                nested = this.data.render(def, current, [], version);
                target[key] = nested;
            }
            target = nested;
        }
        target[path.field.name] = this.data.value(path.owner, current!, path.field);
    }
}
