// Ironclad's `filter` query formulas: Equals([attr], 'value'), Contains([attr], 'value'), And(f, …), Or(f, …).
// Parsed into a predicate over a flat attribute map; a malformed formula is a FormulaError naming the position.

export class FormulaError extends Error {}

type Node =
    { kind: 'equals' | 'contains'; attribute: string; value: string } | { kind: 'and' | 'or'; children: Node[] };

export type AttributeLookup = (attribute: string) => unknown;

export function parseFormula(text: string): (lookup: AttributeLookup) => boolean {
    let position = 0;
    const skipSpace = () => {
        while (position < text.length && /\s/.test(text[position]!)) position += 1;
    };
    const expect = (token: string) => {
        skipSpace();
        if (!text.startsWith(token, position)) throw new FormulaError(`expected '${token}' at position ${position}`);
        position += token.length;
    };
    const parseNode = (depth: number): Node => {
        if (depth > 20) throw new FormulaError('formula nested too deeply');
        skipSpace();
        const name = /^[A-Za-z]+/.exec(text.slice(position))?.[0];
        if (!name) throw new FormulaError(`expected a function at position ${position}`);
        position += name.length;
        expect('(');
        const lower = name.toLowerCase();
        if (lower === 'and' || lower === 'or') {
            const children = [parseNode(depth + 1)];
            skipSpace();
            while (text[position] === ',') {
                position += 1;
                children.push(parseNode(depth + 1));
                skipSpace();
            }
            expect(')');
            return { kind: lower, children };
        }
        if (lower !== 'equals' && lower !== 'contains') {
            throw new FormulaError(`unsupported function ${name}; supported: Equals, Contains, And, Or`);
        }
        expect('[');
        const end = text.indexOf(']', position);
        if (end < 0) throw new FormulaError('unterminated attribute reference');
        const attribute = text.slice(position, end).trim();
        position = end + 1;
        expect(',');
        expect("'");
        let value = '';
        while (position < text.length && text[position] !== "'") {
            // A backslash escapes the next character (a quote inside the literal).
            if (text[position] === '\\' && position + 1 < text.length) position += 1;
            value += text[position];
            position += 1;
        }
        if (text[position] !== "'") throw new FormulaError('unterminated string literal');
        position += 1;
        expect(')');
        return { kind: lower, attribute, value };
    };
    const root = parseNode(0);
    skipSpace();
    if (position !== text.length) throw new FormulaError(`unexpected text at position ${position}`);
    const evaluate = (node: Node, lookup: AttributeLookup): boolean => {
        switch (node.kind) {
            case 'and':
                return node.children.every((child) => evaluate(child, lookup));
            case 'or':
                return node.children.some((child) => evaluate(child, lookup));
            case 'equals':
                return scalarText(lookup(node.attribute)) === node.value;
            case 'contains':
                return (scalarText(lookup(node.attribute)) ?? '').toLowerCase().includes(node.value.toLowerCase());
        }
    };
    return (lookup) => evaluate(root, lookup);
}

function scalarText(value: unknown): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
}
