// Bad input never crashes the emulator: arbitrary JSON bodies and query strings get a 4xx in the vendor's documented
// error shape (checked against the spec by the harness), never a 500 or a stack trace; the Ironclad filter-formula
// parser only ever fails with FormulaError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormulaError, parseFormula } from '../src/formula.ts';
import { sampleIroncladLaunch, sampleSpotdraftContract, useHarness } from './support/setup.ts';

const h = useHarness();

const jsonValue = fc.jsonValue({ maxDepth: 3 });

/** A valid body with one place replaced by arbitrary JSON (or removed): reaches deep into the handlers. */
function corrupted(valid: Record<string, unknown>, paths: (string | number)[][]) {
    return fc
        .tuple(fc.constantFrom(...paths), fc.oneof(fc.constant(undefined), fc.constant(null), jsonValue))
        .map(([path, value]) => {
            if (path.length === 0) return value;
            const body = structuredClone(valid) as Record<string | number, unknown>;
            let node = body;
            for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
            node[path.at(-1)!] = value;
            return body;
        });
}

const launchLike = corrupted(sampleIroncladLaunch('64f0c0ffee00000000000a01'), [
    [],
    ['template'],
    ['creator'],
    ['creator', 'email'],
    ['attributes'],
    ['attributes', 'counterpartyName'],
    ['attributes', 'lineItems'],
    ['attributes', 'lineItems', 0],
    ['attributes', 'lineItems', 0, 'quantity'],
    ['attributes', 'contractValue'],
    ['attributes', 'contractValue', 'amount'],
    ['attributes', 'agreementDate'],
    ['attributes', 'termMonths'],
    ['attributes', 'bogus']
]);
const contractLike = corrupted(sampleSpotdraftContract(), [
    [],
    ['contract_template_id'],
    ['contract_data'],
    ['contract_data', 'start_date'],
    ['contract_data', 'contract_value'],
    ['contract_data', 'term'],
    ['contract_data', 'auto_renew'],
    ['counter_party_details'],
    ['counter_party_details', 0],
    ['counter_party_details', 0, 'poc_details'],
    ['counter_party_details', 0, 'is_individual'],
    ['external_metadata'],
    ['external_metadata', 'id'],
    ['signatories']
]);

describe('bad input', () => {
    it('answers arbitrary Ironclad launch bodies with 200 or a documented 400, never 500', async () => {
        // Rejected launches still count against the 40/min write bucket (it is checked before the body).
        await h.admin.ok('PUT', '/rate-limits/ironclad/workflows-write', { limit: 10_000, windowMs: 60_000 });
        await fc.assert(
            fc.asyncProperty(launchLike, async (body) => {
                const result = await h.ironclad.call('POST', '/workflows', { body, invalidRequest: true });
                expect([200, 400]).toContain(result.status);
                if (result.status === 400)
                    expect(result.json).toEqual({
                        code: expect.any(String),
                        message: expect.any(String),
                        param: expect.any(String)
                    });
            }),
            { numRuns: 150, seed: 20261123 }
        );
    });

    it('answers arbitrary SpotDraft create bodies with 201 or a 400 naming the field, never 500', async () => {
        await fc.assert(
            fc.asyncProperty(contractLike, async (body) => {
                const result = await h.spotdraft.call('POST', '/v2.1/public/contracts', { body, invalidRequest: true });
                expect([201, 400]).toContain(result.status);
                if (result.status === 400)
                    expect(result.json).toMatchObject({ detail: expect.any(String), code: expect.any(String) });
            }),
            { numRuns: 150, seed: 20261123 }
        );
    });

    it('answers malformed query parameters with 400 naming the parameter', async () => {
        const cases: [string, Record<string, string>, string][] = [
            ['/workflows', { lastUpdated: 'yesterday' }, 'lastUpdated'],
            ['/workflows', { status: 'archived' }, 'status'],
            ['/workflows', { page: 'one' }, 'page'],
            ['/records', { sortField: 'price' }, 'sortField'],
            ['/records', { filter: "Equals([a], 'b'" }, 'filter']
        ];
        for (const [path, query, param] of cases) {
            const result = await h.ironclad.call('GET', path, { query, invalidRequest: true });
            expect(result.status, `${path} ${JSON.stringify(query)}`).toBe(400);
            expect(result.json.param).toBe(param);
        }
    });

    it('parses any text as a formula or rejects it with FormulaError only', () => {
        fc.assert(
            fc.property(fc.string({ maxLength: 60 }), (text) => {
                try {
                    parseFormula(text);
                } catch (error) {
                    expect(error).toBeInstanceOf(FormulaError);
                }
            }),
            { numRuns: 500, seed: 7 }
        );
        fc.assert(
            fc.property(fc.string({ maxLength: 20 }), (value) => {
                const literal = value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
                const matches = parseFormula(`And(Equals([sfOpportunityId], '${literal}'))`);
                expect(matches((attribute) => (attribute === 'sfOpportunityId' ? value : undefined))).toBe(true);
                expect(matches(() => `${value}x`)).toBe(false);
            }),
            { numRuns: 300, seed: 11 }
        );
    });
});
