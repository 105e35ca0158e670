import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, FieldRule, loadRuleSet, ruleFromRecord } from '../connector-service/src/domain/index.ts';
import { repoRoot } from '../test/support/requirements.ts';
import { renderGeneratedMetadata } from './metadata.ts';

describe('metadata generated from the domain', () => {
    it('is what force-app holds (run `npm run generate:metadata` after changing the domain)', () => {
        for (const [relative, content] of renderGeneratedMetadata()) {
            expect(readFileSync(path.join(repoRoot, relative), 'utf8'), relative).toBe(content);
        }
    });

    it('has no stale rule records beside the generated ones', () => {
        const generated = new Set([...renderGeneratedMetadata().keys()].map((file) => path.basename(file)));
        const onDisk = readdirSync(path.join(repoRoot, 'force-app/main/default/customMetadata')).filter((file) =>
            file.startsWith('Clm_Field_Mapping.')
        );
        expect(onDisk.filter((file) => !generated.has(file))).toEqual([]);
    });

    it('reads back from the org records as exactly the default rule set', () => {
        const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' });
        const dir = path.join(repoRoot, 'force-app/main/default/customMetadata');
        const rules = readdirSync(dir)
            .filter((file) => file.startsWith('Clm_Field_Mapping.'))
            .map((file) => {
                const doc = parser.parse(readFileSync(path.join(dir, file), 'utf8')).CustomMetadata;
                const record: Record<string, unknown> = { DeveloperName: file.split('.')[1] };
                for (const entry of [doc.values].flat()) {
                    const value = entry.value;
                    record[entry.field] =
                        value?.['@xsi:nil'] === 'true'
                            ? null
                            : value['@xsi:type'] === 'xsd:boolean'
                              ? value['#text'] === true || value['#text'] === 'true'
                              : String(value['#text']);
                }
                return FieldRule.parse(ruleFromRecord(record));
            });
        const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
        expect(rules.sort(byName)).toEqual(DEFAULT_RULES.map((rule) => FieldRule.parse(rule)).sort(byName));
        expect(loadRuleSet(rules).rules).toHaveLength(DEFAULT_RULES.length);
    });
});
