/**
 * Generates the checked-in `--json` schemas (schemas/clm-<topic>-<verb>.json) from the result schemas in
 * results.ts. Run after changing a result type: `npx tsx connector-service/src/plugin/jsonSchemas.ts`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { z } from 'zod';
import { RESULT_SCHEMAS, type CommandId } from './results.ts';

export const SCHEMAS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schemas');

export function schemaFileName(id: CommandId): string {
    return `${id.replace(/ /g, '-')}.json`;
}

/**
 * The JSON Schema (draft-07, which ajv reads by default) of a command's `result`, as the file holds it:
 * formatted with the repository's Prettier settings, so `npm run format:verify` and the drift test agree.
 */
export async function jsonSchemaText(id: CommandId): Promise<string> {
    const schema = z.toJSONSchema(RESULT_SCHEMAS[id], { target: 'draft-7', unrepresentable: 'any' });
    const file = path.join(SCHEMAS_DIR, schemaFileName(id));
    const options = (await resolveConfig(file)) ?? {};
    return format(JSON.stringify({ ...schema, title: `sf ${id} --json result` }), { ...options, filepath: file });
}

export async function writeSchemas(dir = SCHEMAS_DIR): Promise<string[]> {
    const files: string[] = [];
    for (const id of Object.keys(RESULT_SCHEMAS) as CommandId[]) {
        const file = path.join(dir, schemaFileName(id));
        writeFileSync(file, await jsonSchemaText(id));
        files.push(file);
    }
    return files;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    void writeSchemas().then((files) => {
        for (const file of files) process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
    });
}
