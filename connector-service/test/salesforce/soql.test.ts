import fc from 'fast-check';
import soqlParser from 'soql-parser-js';
import { describe, expect, it } from 'vitest';
import { assertRecordId, ConnectorError, select, to18, where } from '../../src/domain/index.ts';

const { parseQuery } = soqlParser as unknown as { parseQuery: (soql: string) => { where?: Record<string, unknown> } };

/** SOQL's own reading of a string literal, written independently of the builder. */
function unescapeLiteral(raw: string): string {
    expect(raw.startsWith("'") && raw.endsWith("'")).toBe(true);
    const body = raw.slice(1, -1);
    const map: Record<string, string> = {
        n: '\n',
        r: '\r',
        t: '\t',
        b: '\b',
        f: '\f',
        '"': '"',
        "'": "'",
        '\\': '\\',
        '%': '\\%',
        _: '\\_'
    };
    let out = '';
    for (let index = 0; index < body.length; index += 1) {
        const char = body[index]!;
        if (char === '\\') {
            const next = body[index + 1]!;
            expect(next in map, `escape \\${next}`).toBe(true);
            out += map[next];
            index += 1;
        } else {
            expect(char, 'an unescaped quote inside a literal').not.toBe("'");
            out += char;
        }
    }
    return out;
}

function codeOf(run: () => unknown): string {
    try {
        run();
    } catch (error) {
        if (error instanceof ConnectorError) return error.code;
        throw error;
    }
    return 'no error';
}

describe('SOQL builder', () => {
    it('keeps any string a value: it parses as one condition whose literal reads back as the string', () => {
        fc.assert(
            fc.property(
                fc.string({ unit: 'binary', maxLength: 40 }),
                fc.constantFrom("' OR Name != '", "\\' OR Id != null --", "'\n"),
                (random, hostile) => {
                    for (const value of [random, hostile, random + hostile]) {
                        const soql = select(['Id'], 'Account', { where: where.eq('Name', value) });
                        const parsed = parseQuery(soql).where as {
                            left: { field: string; operator: string; value: string };
                            right?: unknown;
                        };
                        expect(parsed.right).toBeUndefined();
                        expect(parsed.left.field).toBe('Name');
                        expect(parsed.left.operator).toBe('=');
                        expect(unescapeLiteral(parsed.left.value)).toBe(value);
                    }
                }
            ),
            { numRuns: 1000 }
        );
    });

    it('matches % and _ literally in LIKE patterns', () => {
        const soql = select(['Id'], 'Account', { where: where.like('Name', "50%_off's", 'prefix') });
        expect(soql).toBe("SELECT Id FROM Account WHERE Name LIKE '50\\%\\_off\\'s%'");
        expect(parseQuery(soql).where).toBeDefined();
    });

    it('refuses identifiers that are not API names', () => {
        expect(codeOf(() => select(['Id, (SELECT Id FROM Contacts)'], 'Account'))).toBe('SF.INVALID_IDENTIFIER');
        expect(codeOf(() => select(['Id'], 'Account WHERE Id != null'))).toBe('SF.INVALID_IDENTIFIER');
        expect(codeOf(() => where.eq('Name = 1 OR Name', 'x'))).toBe('SF.INVALID_IDENTIFIER');
        expect(select(['Id', 'Account.Name', 'SBQQ__Primary__c'], 'SBQQ__Quote__c', { limit: 10 })).toBe(
            'SELECT Id, Account.Name, SBQQ__Primary__c FROM SBQQ__Quote__c LIMIT 10'
        );
    });

    it('validates ids: length, characters, the 18-character checksum and the key prefix', () => {
        const id15 = '0065g00000AbCdE';
        const id18 = to18(id15);
        expect(id18).toHaveLength(18);
        expect(assertRecordId(id18, 'Opportunity')).toBe(id18);
        expect(assertRecordId(id15, 'Opportunity')).toBe(id15);
        expect(codeOf(() => assertRecordId(`${id15}AAA`, 'Opportunity'))).toBe('SF.INVALID_ID');
        expect(codeOf(() => assertRecordId(id18, 'Contract'))).toBe('SF.INVALID_ID');
        expect(codeOf(() => assertRecordId("006' OR Id != '", 'Opportunity'))).toBe('SF.INVALID_ID');
        expect(codeOf(() => where.idIn('Id', [id18, 'x'], 'Opportunity'))).toBe('SF.INVALID_ID');
        expect(where.idIn('Id', [id18], 'Opportunity').sql).toBe(`Id IN ('${id18}')`);
    });
});
