import { Messages } from '@salesforce/core';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { AdminApi, connectorUrlFlag, resolveAdminApi } from '../../../plugin/adminApi.ts';
import { OrgRelinkResult, RelinkPreview } from '../../../plugin/results.ts';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@clm/connector-service', 'clm.org.relink');

export default class OrgRelink extends SfCommand<OrgRelinkResult> {
    public static override readonly summary = messages.getMessage('summary');
    public static override readonly description = messages.getMessage('description');
    public static override readonly examples = messages.getMessages('examples');
    public static override readonly flags = {
        'connector-url': connectorUrlFlag,
        'target-org': Flags.optionalOrg({ summary: messages.getMessage('flags.target-org.summary') }),
        'org-id': Flags.salesforceId({
            summary: messages.getMessage('flags.org-id.summary'),
            length: 'both',
            startsWith: '00D',
            exclusive: ['target-org']
        }),
        'no-prompt': Flags.boolean({ char: 'p', summary: messages.getMessage('flags.no-prompt.summary') })
    };

    public async run(): Promise<OrgRelinkResult> {
        const { flags } = await this.parse(OrgRelink);
        const org = flags['target-org'];
        const orgId = flags['org-id'] ?? org?.getOrgId();
        if (!orgId) throw messages.createError('error.noOrg');
        const api = new AdminApi(resolveAdminApi(flags['connector-url']));
        const current = await api.get('/admin/relink', RelinkPreview);
        // Already bound: nothing to confirm, the connector says so (ADMIN.NOT_NEEDED).
        if (current.state === 'refusing') {
            this.log(messages.getMessage('info.orgs', [current.boundOrgId ?? 'none', current.orgId, orgId]));
            if (!flags['no-prompt']) {
                if (this.jsonEnabled()) throw messages.createError('error.promptInJson');
                const message = messages.getMessage('prompt.confirm', [current.boundOrgId ?? 'none', orgId]);
                if (!(await this.confirm({ message }))) throw messages.createError('error.cancelled');
            }
        }
        const result = await api.post(
            '/admin/relink',
            { orgId, ...(org?.getUsername() ? { requestedBy: org.getUsername() } : {}) },
            OrgRelinkResult
        );
        this.logSuccess(messages.getMessage('success', [result.previousOrgId ?? 'none', result.orgId]));
        return result;
    }
}
