// The checked-in `--json` schemas are generated from the result types (src/plugin/results.ts): a change to a
// result type without regenerating its schema fails here. Every command has a schema and a messages file.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMAS_DIR, jsonSchemaText, schemaFileName } from '../../src/plugin/jsonSchemas.ts';
import { RESULT_SCHEMAS, type CommandId } from '../../src/plugin/results.ts';

const PLUGIN_ROOT = path.resolve(SCHEMAS_DIR, '..');
const COMMANDS_DIR = path.join(PLUGIN_ROOT, 'src', 'commands');

function commandIds(dir = COMMANDS_DIR, prefix: string[] = []): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory()
            ? commandIds(path.join(dir, entry.name), [...prefix, entry.name])
            : entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')
              ? [[...prefix, entry.name.replace(/\.ts$/, '')].join(' ')]
              : []
    );
}

describe('--json schemas', () => {
    it.each(Object.keys(RESULT_SCHEMAS) as CommandId[])(
        'schemas/%s is the one generated from its result type',
        async (id) => {
            const file = path.join(SCHEMAS_DIR, schemaFileName(id));
            expect(
                existsSync(file),
                `${file} is missing: run npx tsx connector-service/src/plugin/jsonSchemas.ts`
            ).toBe(true);
            expect(
                readFileSync(file, 'utf8'),
                `${schemaFileName(id)} drifted from its result type: run npx tsx connector-service/src/plugin/jsonSchemas.ts`
            ).toBe(await jsonSchemaText(id));
        }
    );

    it('every command has a result schema and a messages file, and no schema lacks its command', () => {
        const ids = commandIds().sort();
        expect(ids).toEqual(Object.keys(RESULT_SCHEMAS).sort());
        for (const id of ids)
            expect(existsSync(path.join(PLUGIN_ROOT, 'messages', `${id.replace(/ /g, '.')}.md`)), id).toBe(true);
        expect(readdirSync(SCHEMAS_DIR).sort()).toEqual(ids.map((id) => schemaFileName(id as CommandId)).sort());
    });
});
