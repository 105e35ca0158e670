// The lint rules that hold the architecture, proven both ways: each fires on a deliberate breach, and the tree as
// committed has none (so `npm test` enforces them, not only `npm run lint`).
import { ESLint } from 'eslint';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: root });

async function messagesFor(code: string, file: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
    return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('time is injected', () => {
    const probes = [
        'export const at = Date.now();',
        'export const at = new Date();',
        'export const at = Date();',
        'export const at = performance.now();'
    ];

    it.each(probes)('refuses `%s` in the service', async (code) => {
        const messages = await messagesFor(code, 'connector-service/src/app/probe.ts');
        expect(messages.join('\n')).toMatch(/no-restricted-syntax: Take the time from the injected Clock/);
    });

    it('allows the clock module itself and dates built from a given instant', async () => {
        expect(await messagesFor('export const at = Date.now();', 'connector-service/src/clock.ts')).toEqual([]);
        expect(
            await messagesFor('export const at = (ms: number) => new Date(ms);', 'connector-service/src/app/probe.ts')
        ).toEqual([]);
    });

    it('finds no wall-clock read in connector-service/src', async () => {
        const results = await eslint.lintFiles(['connector-service/src/**/*.ts']);
        const breaches = results.flatMap((r) =>
            r.messages
                .filter((m) => m.ruleId === 'no-restricted-syntax')
                .map((m) => `${path.relative(root, r.filePath)}:${m.line} ${m.message}`)
        );
        expect(breaches).toEqual([]);
    });
});
