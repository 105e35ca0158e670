import { Messages } from '@salesforce/core';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { AdminApi, connectorUrlFlag, resolveAdminApi } from '../../../plugin/adminApi.ts';
import { SyncErrorsResult } from '../../../plugin/results.ts';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@clm/connector-service', 'clm.sync.errors');

export default class SyncErrors extends SfCommand<SyncErrorsResult> {
    public static override readonly summary = messages.getMessage('summary');
    public static override readonly description = messages.getMessage('description');
    public static override readonly examples = messages.getMessages('examples');
    public static override readonly flags = {
        'connector-url': connectorUrlFlag,
        limit: Flags.integer({ summary: messages.getMessage('flags.limit.summary'), min: 1, max: 1000, default: 50 })
    };

    public async run(): Promise<SyncErrorsResult> {
        const { flags } = await this.parse(SyncErrors);
        const result = await new AdminApi(resolveAdminApi(flags['connector-url'])).get(
            `/admin/errors?limit=${flags.limit}`,
            SyncErrorsResult
        );
        this.table({
            title: `Sync errors (${result.items.length})`,
            data: result.items.map((e) => ({
                id: e.id,
                kind: e.kind,
                code: e.code,
                attempts: e.attempts,
                next: e.quarantined ? 'quarantined' : (e.nextAttemptAt ?? ''),
                correlationId: e.correlationId ?? '',
                message: e.message
            })),
            columns: [
                { key: 'id', name: 'Id' },
                { key: 'kind', name: 'Queue' },
                { key: 'code', name: 'Code' },
                { key: 'attempts', name: 'Attempts' },
                { key: 'next', name: 'Next attempt' },
                { key: 'correlationId', name: 'Correlation id' },
                { key: 'message', name: 'Message' }
            ],
            overflow: 'wrap'
        });
        return result;
    }
}
