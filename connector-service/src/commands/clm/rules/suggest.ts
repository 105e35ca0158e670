import { writeFileSync } from 'node:fs';
import { Messages } from '@salesforce/core';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { suggestRules } from '../../../app/ruleSuggestions.ts';
import { createClm } from '../../../clmFromConfig.ts';
import { loadConfig } from '../../../config/config.ts';
import { FieldRule } from '../../../domain/rules.ts';
import { ruleRow, type RulesSuggestResult } from '../../../plugin/results.ts';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@clm/connector-service', 'clm.rules.suggest');

export type { RulesSuggestResult };

export default class RulesSuggest extends SfCommand<RulesSuggestResult> {
    public static override readonly summary = messages.getMessage('summary');
    public static override readonly description = messages.getMessage('description');
    public static override readonly examples = messages.getMessages('examples');

    public static override readonly flags = {
        'clm-config': Flags.file({
            summary: messages.getMessage('flags.clm-config.summary'),
            exists: true,
            required: true
        }),
        'output-file': Flags.file({ summary: messages.getMessage('flags.output-file.summary') })
    };

    public async run(): Promise<RulesSuggestResult> {
        const { flags } = await this.parse(RulesSuggest);
        this.spinner.start('Reading the CLM template');
        const clm = createClm(loadConfig(process.env, flags['clm-config']));
        const template = await clm.describeTemplate();
        this.spinner.stop();
        // Parsed, so each proposal has the shape `--rules-file` reads back (defaults filled in).
        const rules = suggestRules(template, clm.capabilities()).map(({ rule, templateField, basis }) => ({
            ...ruleRow(FieldRule.parse(rule)),
            templateField,
            basis
        }));
        const result: RulesSuggestResult = {
            template: { vendor: template.vendor, id: template.id, name: template.name },
            rules
        };
        this.table({
            title: `Rules proposed for the ${template.vendor} template "${template.name}"`,
            data: rules.map((rule) => ({
                template: rule.templateField,
                clm: rule.clmField,
                salesforce: `${rule.sfObject}.${rule.sfField}`,
                direction: rule.direction,
                basis: rule.basis === 'default' ? 'packaged rule' : 'new field'
            })),
            columns: [
                { key: 'template', name: 'Template field' },
                { key: 'clm', name: 'CLM field' },
                { key: 'salesforce', name: 'Salesforce field' },
                { key: 'direction', name: 'Direction' },
                { key: 'basis', name: 'Basis' }
            ]
        });
        if (flags['output-file']) {
            writeFileSync(flags['output-file'], `${JSON.stringify({ rules }, null, 4)}\n`);
            this.logSuccess(messages.getMessage('info.written', [String(rules.length), flags['output-file']]));
        }
        return result;
    }
}
