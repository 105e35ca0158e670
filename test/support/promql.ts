// What the ops tests need from PromQL and the Prometheus exposition format: the metric names an expression reads,
// and the metric names a /metrics page exports. Not a PromQL parser (promtool checks the syntax where it is
// installed); a tokenizer that drops strings, label matchers, ranges, grouping clauses, numbers and functions.

/** PromQL words that are not metric names: aggregations, functions, operators and modifiers. */
const PROMQL_WORDS = new Set([
    'and',
    'or',
    'unless',
    'bool',
    'offset',
    'by',
    'without',
    'on',
    'ignoring',
    'group_left',
    'group_right',
    'sum',
    'min',
    'max',
    'avg',
    'count',
    'stddev',
    'stdvar',
    'topk',
    'bottomk',
    'quantile',
    'count_values',
    'group',
    'inf',
    'nan'
]);

/** The metric names an expression selects (Grafana's $variables and Prometheus template text removed first). */
export function metricNames(expr: string): string[] {
    const stripped = expr
        .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
        .replace(/\{[^}]*\}/g, ' ')
        .replace(/\[[^\]]*\]/g, ' ')
        .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
        .replace(/\$\{?\w+\}?/g, ' ')
        .replace(/(^|[^\w:])\d+(\.\d+)?([eE][+-]?\d+)?/g, '$1 ');
    const names = new Set<string>();
    for (const match of stripped.matchAll(/[A-Za-z_:][\w:]*/g)) {
        const after = stripped.slice(match.index + match[0].length).trimStart();
        if (after.startsWith('(') || PROMQL_WORDS.has(match[0].toLowerCase())) continue;
        names.add(match[0]);
    }
    return [...names];
}

/** Every series name a /metrics page can be queried by: each family, with a histogram's _bucket, _sum and _count. */
export function exportedNames(exposition: string): Set<string> {
    const names = new Set<string>();
    for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        names.add(name!);
        if (type === 'histogram') ['_bucket', '_sum', '_count'].forEach((suffix) => names.add(`${name}${suffix}`));
        if (type === 'summary') ['_sum', '_count'].forEach((suffix) => names.add(`${name}${suffix}`));
    }
    return names;
}
