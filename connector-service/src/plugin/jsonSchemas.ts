/**
 * Generates the checked-in `--json` schemas (schemas/clm-<topic>-<verb>.json) from the result schemas in
 * results.ts. Run after changing a result type: `npx tsx connector-service/src/plugin/jsonSchemas.ts`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { RESULT_SCHEMAS, type CommandId } from './results.ts';

export const SCHEMAS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schemas');

export function schemaFileName(id: CommandId): string {
    return `${id.replace(/ /g, '-')}.json`;
}

/** The JSON Schema (draft-07, which ajv reads by default) of a command's `result`, as the file holds it. */
export function jsonSchemaText(id: CommandId): string {
    const schema = z.toJSONSchema(RESULT_SCHEMAS[id], { target: 'draft-7', unrepresentable: 'any' });
    return `${JSON.stringify({ ...schema, title: `sf ${id} --json result` }, null, 4)}\n`;
}

export function writeSchemas(dir = SCHEMAS_DIR): string[] {
    return (Object.keys(RESULT_SCHEMAS) as CommandId[]).map((id) => {
        const file = path.join(dir, schemaFileName(id));
        writeFileSync(file, jsonSchemaText(id));
        return file;
    });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    for (const file of writeSchemas()) process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}
