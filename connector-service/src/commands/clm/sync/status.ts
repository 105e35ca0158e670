import { Messages } from '@salesforce/core';
import { SfCommand } from '@salesforce/sf-plugins-core';
import { AdminApi, connectorUrlFlag, resolveAdminApi } from '../../../plugin/adminApi.ts';
import { SyncStatusResult } from '../../../plugin/results.ts';
import { fitColumns, SUBSCRIPTION_COLUMNS } from '../../../plugin/tables.ts';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@clm/connector-service', 'clm.sync.status');

export default class SyncStatus extends SfCommand<SyncStatusResult> {
    public static override readonly summary = messages.getMessage('summary');
    public static override readonly description = messages.getMessage('description');
    public static override readonly examples = messages.getMessages('examples');
    public static override readonly flags = { 'connector-url': connectorUrlFlag };

    public async run(): Promise<SyncStatusResult> {
        const { flags } = await this.parse(SyncStatus);
        const status = await new AdminApi(resolveAdminApi(flags['connector-url'])).get(
            '/admin/status',
            SyncStatusResult
        );
        this.styledHeader(`${status.connector} · org ${status.orgId}`);
        const subscriptions = status.subscriptions.map((s) => ({
            channel: s.channel,
            state: s.state,
            // To the second: the column stays narrow enough for an 80-column terminal.
            lastEventAt: s.lastEventAt ? s.lastEventAt.replace(/\.\d+Z$/, 'Z') : '',
            replayId: s.replayId ?? '',
            holder: s.holder ?? '(none)'
        }));
        this.table({
            title: 'Subscriptions',
            data: subscriptions,
            columns: fitColumns(subscriptions, SUBSCRIPTION_COLUMNS, 'channel', undefined, 28)
        });
        const holders = new Set(subscriptions.map((s) => s.holder));
        if (holders.size === 1) this.log(`Subscriptions held by ${[...holders][0]}`);
        this.table({
            title: 'Queues',
            data: (['inbox', 'outbox'] as const).map((queue) => ({ queue, ...status.queues[queue] })),
            columns: ['queue', 'pending', 'processing', 'failed', 'quarantined']
        });
        const { used, max, paused } = status.apiBudget;
        this.log(
            `API budget: ${used} of ${max} daily requests used${paused ? ' — PAUSED until the budget recovers' : ' (not paused)'}`
        );
        return status;
    }
}
