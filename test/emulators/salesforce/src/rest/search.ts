// SOSL over REST (`GET /search?q=FIND {…} …`, what jsforce's search() and `sf data search` send), on the data the
// emulator holds: no search index, so a row is found when one of its searched fields has a word that matches every
// term (`*` any characters, `?` one; OR between terms, NOT before one). Each RETURNING item is run as SOQL (its
// fields, WHERE and ORDER BY) through the query engine, so access and field checks are the query's own.
// Served: FIND {…}, IN ALL|NAME|EMAIL|PHONE FIELDS, RETURNING Object[(fields [WHERE] [ORDER BY] [LIMIT n])], LIMIT n.
// Anything else (WITH …, UPDATE TRACKING, OFFSET, TO LABEL, snippets) answers 400 MALFORMED_SEARCH naming it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Services } from '../context.ts';
import { SfError } from '../errors.ts';
import type { FieldDef, ObjectDef } from '../schema/types.ts';

const MAX_RESULTS = 2000;
const TEXT_TYPES = new Set(['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist', 'combobox']);

interface Returning {
    object: string;
    fields: string;
    clauses: string;
    limit?: number;
}
interface Sosl {
    terms: { words: RegExp[]; negated: boolean }[];
    scope: 'ALL' | 'NAME' | 'EMAIL' | 'PHONE';
    returning?: Returning[];
    limit: number;
}

const malformed = (message: string) => new SfError(400, 'MALFORMED_SEARCH', message, ['q']);

/** Splits at commas outside parentheses. */
function topLevelItems(text: string): string[] {
    const out: string[] = [];
    let depth = 0;
    let current = '';
    for (const ch of text) {
        if (ch === '(') depth += 1;
        if (ch === ')') depth -= 1;
        if (ch === ',' && depth === 0) {
            out.push(current.trim());
            current = '';
        } else current += ch;
    }
    if (current.trim() !== '') out.push(current.trim());
    return out;
}

function wordPattern(word: string): RegExp {
    const body = word
        .toLowerCase()
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.');
    return new RegExp(`^${body}$`, 'u');
}

/** FIND {term}: words, OR alternatives and NOT exclusions (quotes group words of one phrase). */
function parseTerm(raw: string): Sosl['terms'] {
    const words = raw.replace(/\\(.)/g, '$1').replace(/"/g, ' ').split(/\s+/).filter(Boolean);
    if (words.join('').replace(/[*?]/g, '').length < 2)
        throw new SfError(400, 'INVALID_SEARCH', `search term must be longer than one character: ${raw}`, ['q']);
    const terms: Sosl['terms'] = [];
    let negate = false;
    let alternative = false;
    for (const word of words) {
        const upper = word.toUpperCase();
        if (upper === 'AND') continue;
        if (upper === 'NOT') negate = true;
        else if (upper === 'OR') alternative = true;
        else if (alternative && terms.length > 0) {
            terms.at(-1)!.words.push(wordPattern(word));
            alternative = false;
        } else {
            terms.push({ words: [wordPattern(word)], negated: negate });
            negate = false;
        }
    }
    return terms;
}

function parseReturning(item: string): Returning {
    const m = /^([A-Za-z][A-Za-z0-9_]*)\s*(?:\((.*)\))?$/s.exec(item);
    if (!m) throw malformed(`Unsupported RETURNING item: ${item}`);
    const inner = (m[2] ?? 'Id').trim();
    const limit = /\bLIMIT\s+(\d+)\s*$/i.exec(inner);
    const body = limit ? inner.slice(0, limit.index).trim() : inner;
    const clause = /\b(WHERE|ORDER\s+BY)\b/i.exec(body);
    const unsupported = /\b(OFFSET|USING|WITH|UPDATE|TO\s+LABEL)\b/i.exec(body);
    if (unsupported) throw malformed(`${unsupported[1]!.toUpperCase()} in RETURNING is not supported by this emulator`);
    return {
        object: m[1]!,
        fields: (clause ? body.slice(0, clause.index) : body).trim() || 'Id',
        clauses: clause ? body.slice(clause.index) : '',
        limit: limit ? Number(limit[1]) : undefined
    };
}

export function parseSosl(q: string): Sosl {
    const outside = q.replace(/\{(?:[^}\\]|\\.)*\}/g, '{}').replace(/\([^()]*\)/g, '()');
    const unmodelled = /\b(WITH|UPDATE|OFFSET|USING|TO\s+LABEL|IN\s+SIDEBAR\s+FIELDS)\b/i.exec(outside);
    if (unmodelled) throw malformed(`${unmodelled[1]!.toUpperCase()} is not supported by this emulator`);
    const m =
        /^\s*FIND\s+\{((?:[^}\\]|\\.)*)\}\s*(?:IN\s+(ALL|NAME|EMAIL|PHONE)\s+FIELDS\s*)?(?:RETURNING\s+(.+?))?\s*(?:LIMIT\s+(\d+))?\s*$/is.exec(
            q
        );
    if (!m) throw malformed(`Malformed SOSL: expected FIND {term} [IN … FIELDS] [RETURNING …] [LIMIT n]: ${q}`);
    return {
        terms: parseTerm(m[1]!),
        scope: (m[2]?.toUpperCase() ?? 'ALL') as Sosl['scope'],
        returning: m[3] ? topLevelItems(m[3]).map(parseReturning) : undefined,
        limit: Math.min(m[4] ? Number(m[4]) : MAX_RESULTS, MAX_RESULTS)
    };
}

function searched(def: ObjectDef, scope: Sosl['scope']): (f: FieldDef) => boolean {
    switch (scope) {
        case 'NAME':
            return (f) => f.nameField;
        case 'EMAIL':
            return (f) => f.type === 'email';
        case 'PHONE':
            return (f) => f.type === 'phone';
        default:
            return (f) => TEXT_TYPES.has(f.type) || f.nameField;
    }
}

function matches(values: unknown[], terms: Sosl['terms']): boolean {
    const words = values
        .filter((v): v is string => typeof v === 'string')
        .flatMap((v) => [v.toLowerCase(), ...v.toLowerCase().split(/[^\p{L}\p{N}]+/u)])
        .filter(Boolean);
    return terms.every((t) => t.words.some((w) => words.some((x) => w.test(x))) !== t.negated);
}

export function registerSearchRoutes(app: FastifyInstance, s: Services): void {
    const { org } = s;
    app.get(
        '/services/data/:version/search',
        async (request: FastifyRequest<{ Params: { version: string }; Querystring: { q?: string } }>) => {
            const v = Services.version(request.params.version);
            const ctx = s.read(request, v);
            if (!request.query.q) throw malformed('A search string (q) is required');
            const sosl = parseSosl(request.query.q);
            const targets =
                sosl.returning ??
                org.schema
                    .all()
                    .filter(
                        (d) =>
                            (d.kind === 'standard' || d.kind === 'custom') &&
                            d.customSetting === undefined &&
                            ctx.access.object(d).read
                    )
                    .map((d) => ({ object: d.name, fields: 'Id', clauses: '' }) as Returning);
            const searchRecords: unknown[] = [];
            for (const target of targets) {
                const def = s.data.object(ctx, target.object);
                const fields = def.fields
                    .filter(searched(def, sosl.scope))
                    .filter((f) => ctx.access.field(def, f).read);
                if (fields.length === 0) continue;
                const where = /^WHERE\s+(.*?)(\s+ORDER\s+BY\s+.*)?$/is.exec(target.clauses);
                const filter = where ? ` WHERE ${where[1]}` : '';
                const candidates = s.query.run(
                    ctx.access,
                    `SELECT Id, ${fields.map((f) => f.name).join(', ')} FROM ${def.name}${filter}`,
                    v,
                    false
                ).records as Record<string, unknown>[];
                const found = new Set(
                    candidates
                        .filter((r) =>
                            matches(
                                fields.map((f) => r[f.name]),
                                sosl.terms
                            )
                        )
                        .map((r) => r.Id)
                );
                if (found.size === 0) continue;
                const rows = (
                    s.query.run(ctx.access, `SELECT ${target.fields} FROM ${def.name} ${target.clauses}`, v, false)
                        .records as Record<string, unknown>[]
                ).filter((r) => found.has(idOf(r)));
                searchRecords.push(...rows.slice(0, target.limit ?? MAX_RESULTS));
                if (searchRecords.length >= sosl.limit) break;
            }
            org.counters.operation('search');
            const records = searchRecords.slice(0, sosl.limit);
            // Before API 37.0 the answer was the bare list.
            return Number(v) < 37 ? records : { searchRecords: records };
        }
    );
}

/** A SOQL row's Id, from the field or (when the RETURNING list leaves Id out) its attributes URL. */
function idOf(rec: Record<string, unknown>): unknown {
    if (rec.Id !== undefined) return rec.Id;
    const url = (rec.attributes as { url?: string } | undefined)?.url;
    return url?.split('/').pop();
}
