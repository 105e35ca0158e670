import { Messages } from '@salesforce/core';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { AdminApi, connectorUrlFlag, resolveAdminApi } from '../../../plugin/adminApi.ts';
import { SyncReplayResult } from '../../../plugin/results.ts';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@clm/connector-service', 'clm.sync.replay');

export default class SyncReplay extends SfCommand<SyncReplayResult> {
    public static override readonly summary = messages.getMessage('summary');
    public static override readonly description = messages.getMessage('description');
    public static override readonly examples = messages.getMessages('examples');
    public static override readonly flags = {
        'connector-url': connectorUrlFlag,
        id: Flags.string({
            summary: messages.getMessage('flags.id.summary'),
            multiple: true,
            exactlyOne: ['id', 'all']
        }),
        all: Flags.boolean({ summary: messages.getMessage('flags.all.summary'), exactlyOne: ['id', 'all'] })
    };

    public async run(): Promise<SyncReplayResult> {
        const { flags } = await this.parse(SyncReplay);
        const body = flags.all ? { all: true } : { ids: flags.id };
        const result = await new AdminApi(resolveAdminApi(flags['connector-url'])).post(
            '/admin/replay',
            body,
            SyncReplayResult
        );
        this.logSuccess(`${result.replayed} item(s) queued for another attempt.`);
        return result;
    }
}
