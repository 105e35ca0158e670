import { Messages } from '@salesforce/core';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { FieldRule } from '../../../domain/rules.ts';
import { loadRules } from '../../../plugin/orgReader.ts';
import { ruleRow, type RulesListResult } from '../../../plugin/results.ts';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@clm/connector-service', 'clm.rules.list');

export type { RulesListResult };

export default class RulesList extends SfCommand<RulesListResult> {
    public static override readonly summary = messages.getMessage('summary');
    public static override readonly description = messages.getMessage('description');
    public static override readonly examples = messages.getMessages('examples');

    public static override readonly flags = {
        'target-org': Flags.optionalOrg(),
        'api-version': Flags.orgApiVersion(),
        'rules-file': Flags.file({ summary: messages.getMessage('flags.rules-file.summary'), exists: true })
    };

    public async run(): Promise<RulesListResult> {
        const { flags } = await this.parse(RulesList);
        const loaded = await loadRules(flags['target-org']?.getConnection(flags['api-version']), flags['rules-file']);
        const rules = loaded.rules.flatMap((raw) => {
            const parsed = FieldRule.safeParse(raw);
            if (!parsed.success) {
                this.warn(
                    `Skipped an invalid rule (${String((raw as { name?: unknown })?.name ?? '?')}); run "sf clm rules validate" for details.`
                );
                return [];
            }
            return [ruleRow(parsed.data)];
        });
        this.table({
            title: `Field rules (${loaded.source})`,
            data: rules.map((r) => ({
                rule: r.name,
                salesforce: `${r.sfObject}.${r.sfField}`,
                direction:
                    r.direction === 'SalesforceToClm'
                        ? 'Salesforce → CLM'
                        : r.direction === 'ClmToSalesforce'
                          ? 'CLM → Salesforce'
                          : r.direction === 'Bidirectional'
                            ? 'both ways'
                            : 'not synced',
                clm: r.clmField,
                policy: r.conflictPolicy ?? '',
                transform: r.transform.kind,
                enabled: r.enabled ? 'yes' : 'no'
            })),
            columns: [
                { key: 'rule', name: 'Rule' },
                { key: 'salesforce', name: 'Salesforce field' },
                { key: 'direction', name: 'Direction' },
                { key: 'clm', name: 'CLM field' },
                { key: 'policy', name: 'Conflict policy' },
                { key: 'transform', name: 'Transform' },
                { key: 'enabled', name: 'Enabled' }
            ]
        });
        return { source: loaded.source, rules };
    }
}
