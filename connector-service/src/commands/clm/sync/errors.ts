import { Messages } from '@salesforce/core';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { AdminApi, connectorUrlFlag, resolveAdminApi } from '../../../plugin/adminApi.ts';
import { SyncErrorsResult } from '../../../plugin/results.ts';
import { fitColumns, SYNC_ERROR_COLUMNS } from '../../../plugin/tables.ts';

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
        const data = result.items.map((e) => ({
            id: e.id,
            kind: e.kind,
            code: e.code,
            attempts: e.attempts,
            state: e.quarantined ? 'quarantined' : `retry ${e.nextAttemptAt ?? ''}`.trim(),
            correlationId: e.correlationId ?? '',
            message: e.message
        }));
        const retrying = result.items.filter((e) => !e.quarantined).length;
        if (result.items.length === 0) {
            this.log('No failed or quarantined items.');
            return result;
        }
        this.table({
            title: `Sync errors: ${result.items.length - retrying} quarantined, ${retrying} retrying`,
            data,
            // The message keeps its room; the correlation id, the queue and the attempts go first on a narrow terminal.
            columns: fitColumns(data, SYNC_ERROR_COLUMNS, 'message')
        });
        return result;
    }
}
