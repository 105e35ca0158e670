// The inline SOQL of Apex classes and triggers is compiled against the org's schema on deploy: a query on an
// object or a custom field that exists neither in the org nor in the deploy fails the class ("No such column").
// Queries are parsed with soql-parser-js; a query it cannot parse (some Apex-only syntax such as `LIMIT :n`) is
// left alone rather than failed. Only what can be decided exactly is checked: the FROM object when it is
// custom, and custom fields named directly on it (select list, WHERE, ORDER BY, GROUP BY).
import soqlParser from 'soql-parser-js';
import type { InlineSoql } from './apex.ts';
import type { Problem } from './model.ts';
import { objectKindOf } from './model.ts';
import type { Resolver } from './references.ts';

type ParsedQuery = ReturnType<typeof soqlParser.parseQuery>;

function parse(text: string): ParsedQuery | undefined {
    try {
        return soqlParser.parseQuery(text, { allowApexBindVariables: true, logErrors: false });
    } catch {
        return undefined;
    }
}

/** Field names the query uses directly on its FROM object (no relationship path, no subquery). */
function directFields(query: ParsedQuery): string[] {
    const names: string[] = [];
    for (const field of query.fields ?? []) {
        if (field.type === 'Field') names.push(field.field);
    }
    const visitCondition = (where: unknown): void => {
        if (!where || typeof where !== 'object') return;
        const { left, right } = where as { left?: { field?: unknown }; right?: unknown };
        if (typeof left?.field === 'string') names.push(left.field);
        visitCondition(right);
    };
    visitCondition(query.where);
    const orderBy = Array.isArray(query.orderBy) ? query.orderBy : query.orderBy ? [query.orderBy] : [];
    for (const clause of orderBy) if ('field' in clause && typeof clause.field === 'string') names.push(clause.field);
    const groupBy = Array.isArray(query.groupBy) ? query.groupBy : query.groupBy ? [query.groupBy] : [];
    for (const clause of groupBy) if ('field' in clause && typeof clause.field === 'string') names.push(clause.field);
    return names.filter((name) => !name.includes('.'));
}

export function checkInlineSoql(literal: InlineSoql, resolve: Resolver): Problem[] {
    const query = parse(literal.text);
    const object = query?.sObject;
    if (!query || !object) return [];
    const at = { problemType: 'Error' as const, lineNumber: literal.line, columnNumber: literal.column };
    if (!resolve.objectExists(object)) {
        // Standard objects outside the emulator's schema cannot be decided; custom ones must exist.
        return objectKindOf(object) === 'standard'
            ? []
            : [{ ...at, problem: `sObject type '${object}' is not supported.` }];
    }
    const unknown = [...new Set(directFields(query))].filter(
        (field) => field.toLowerCase().endsWith('__c') && !resolve.fieldExists(object, field)
    );
    return unknown.map((field) => ({
        ...at,
        problem: `No such column '${field}' on entity '${object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`
    }));
}
