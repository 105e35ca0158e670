import { Messages } from '@salesforce/core';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { FieldRule, writesToSalesforce } from '../../../domain/rules.ts';
import {
    describeObjects,
    loadRules,
    readRecordTypePicklists,
    readUserAccess,
    resolveIntegrationUser
} from '../../../plugin/orgReader.ts';
import { checkTemplateFit, type TemplateProblem } from '../../../app/templateFit.ts';
import { createClm } from '../../../clmFromConfig.ts';
import { loadConfig } from '../../../config/config.ts';
import { preflight } from '../../../plugin/preflight.ts';
import type { RulesValidateResult } from '../../../plugin/results.ts';
import { problemTable } from '../../../plugin/tables.ts';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@clm/connector-service', 'clm.rules.validate');

export type { RulesValidateResult };

export default class RulesValidate extends SfCommand<RulesValidateResult> {
    public static override readonly summary = messages.getMessage('summary');
    public static override readonly description = messages.getMessage('description');
    public static override readonly examples = messages.getMessages('examples');

    public static override readonly flags = {
        'target-org': Flags.requiredOrg(),
        'api-version': Flags.orgApiVersion(),
        'integration-user': Flags.string({ summary: messages.getMessage('flags.integration-user.summary') }),
        'rules-file': Flags.file({ summary: messages.getMessage('flags.rules-file.summary'), exists: true }),
        creates: Flags.string({ summary: messages.getMessage('flags.creates.summary'), multiple: true }),
        'clm-config': Flags.file({ summary: messages.getMessage('flags.clm-config.summary'), exists: true })
    };

    public async run(): Promise<RulesValidateResult> {
        const { flags } = await this.parse(RulesValidate);
        const conn = flags['target-org'].getConnection(flags['api-version']);

        this.spinner.start('Reading the rules, the describe and the integration user’s permissions');
        const loaded = await loadRules(conn, flags['rules-file']);
        const user = await resolveIntegrationUser(conn, flags['integration-user']);
        const creates = flags.creates ?? [];
        const objects = [
            ...new Set([
                ...loaded.rules.flatMap((rule) => {
                    const sfObject = (rule as { sfObject?: unknown })?.sfObject;
                    return typeof sfObject === 'string' && sfObject !== '' ? [sfObject] : [];
                }),
                ...creates
            ])
        ];
        const describes = await describeObjects(conn, objects);
        const access = await readUserAccess(conn, user.Id, objects);
        // Picklist values per record type matter only where a rule writes into Salesforce.
        const written = new Set(
            loaded.rules.flatMap((raw) => {
                const rule = FieldRule.safeParse(raw);
                return rule.success && writesToSalesforce(rule.data.direction) ? [rule.data.sfObject] : [];
            })
        );
        const recordTypePicklists = await readRecordTypePicklists(
            conn,
            describes.filter((d) => written.has(d.name))
        );
        // The CLM side: the rules against the configured template as the vendor describes it.
        const clmCheck = flags['clm-config'] ? await checkClmTemplate(flags['clm-config'], loaded.rules) : undefined;
        this.spinner.stop();

        const { problems: orgProblems, multiCurrency } = preflight({
            rules: loaded.rules,
            readProblems: loaded.problems,
            describes,
            integrationUser: { username: user.Username, access },
            recordTypePicklists,
            creates
        });
        const problems = [...orgProblems, ...(clmCheck?.problems ?? [])];
        const result: RulesValidateResult = {
            valid: problems.length === 0,
            source: loaded.source,
            rulesChecked: loaded.rules.length,
            integrationUser: { id: user.Id, username: user.Username },
            multiCurrency,
            ...(clmCheck ? { clmTemplate: clmCheck.template } : {}),
            problems: problems.map(({ code, rule, field, message }) => ({
                code,
                rule,
                ...(field ? { field } : {}),
                message
            }))
        };
        if (problems.length === 0) {
            this.logSuccess(
                messages.getMessage('info.valid', [
                    String(result.rulesChecked),
                    loaded.source,
                    conn.getUsername() ?? 'the org',
                    user.Username
                ])
            );
        } else {
            this.table(problemTable(result.problems));
            this.logToStderr(messages.getMessage('error.invalid', [String(problems.length)]));
            process.exitCode = 1;
        }
        return result;
    }
}

/** Reads the template the connector's config names and checks the valid rules against it. */
async function checkClmTemplate(
    configFile: string,
    rules: readonly unknown[]
): Promise<{ template: { vendor: string; id: string; name: string }; problems: TemplateProblem[] }> {
    const config = loadConfig(process.env, configFile);
    const clm = createClm(config);
    const template = await clm.describeTemplate();
    const valid = rules.flatMap((raw) => {
        const rule = FieldRule.safeParse(raw);
        return rule.success ? [rule.data] : [];
    });
    return {
        template: { vendor: template.vendor, id: template.id, name: template.name },
        problems: checkTemplateFit(valid, template, clm.capabilities())
    };
}
