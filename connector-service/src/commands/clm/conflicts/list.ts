import { Messages } from '@salesforce/core';
import { SfCommand } from '@salesforce/sf-plugins-core';
import { AdminApi, connectorUrlFlag, resolveAdminApi } from '../../../plugin/adminApi.ts';
import { ConflictsListResult } from '../../../plugin/results.ts';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@clm/connector-service', 'clm.conflicts.list');

const show = (value: unknown) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));

export default class ConflictsList extends SfCommand<ConflictsListResult> {
    public static override readonly summary = messages.getMessage('summary');
    public static override readonly description = messages.getMessage('description');
    public static override readonly examples = messages.getMessages('examples');
    public static override readonly flags = { 'connector-url': connectorUrlFlag };

    public async run(): Promise<ConflictsListResult> {
        const { flags } = await this.parse(ConflictsList);
        const result = await new AdminApi(resolveAdminApi(flags['connector-url'])).get(
            '/admin/conflicts',
            ConflictsListResult
        );
        this.table({
            title: `Open conflicts (${result.items.length})`,
            data: result.items.map((c) => ({
                id: c.id,
                pair: c.pairId,
                rule: c.rule,
                salesforce: show(c.salesforceValue),
                clm: show(c.clmValue),
                detected: c.detectedAt
            })),
            columns: [
                { key: 'id', name: 'Id' },
                { key: 'pair', name: 'Pair' },
                { key: 'rule', name: 'Rule' },
                { key: 'salesforce', name: 'Salesforce value' },
                { key: 'clm', name: 'CLM value' },
                { key: 'detected', name: 'Detected' }
            ],
            overflow: 'wrap'
        });
        return result;
    }
}
