// Validates a command's `--json` result against its checked-in schema (schemas/clm-<topic>-<verb>.json).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { SCHEMAS_DIR, schemaFileName } from '../../../src/plugin/jsonSchemas.ts';
import type { CommandId } from '../../../src/plugin/results.ts';

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new Map<CommandId, ReturnType<Ajv['compile']>>();

/** The list of schema violations of `result` (empty when it conforms). */
export function schemaErrors(id: CommandId, result: unknown): string[] {
    let validate = validators.get(id);
    if (!validate) {
        validate = ajv.compile(JSON.parse(readFileSync(path.join(SCHEMAS_DIR, schemaFileName(id)), 'utf8')));
        validators.set(id, validate);
    }
    return validate(result) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}
