import { setTimeout as sleep } from 'node:timers/promises';
import { Messages } from '@salesforce/core';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { AdminApi, connectorUrlFlag, resolveAdminApi } from '../../../plugin/adminApi.ts';
import { BackfillStarted, SyncBackfillResult } from '../../../plugin/results.ts';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@clm/connector-service', 'clm.sync.backfill');

const FINISHED = new Set(['Completed', 'Failed']);

export default class SyncBackfill extends SfCommand<SyncBackfillResult> {
    public static override readonly summary = messages.getMessage('summary');
    public static override readonly description = messages.getMessage('description');
    public static override readonly examples = messages.getMessages('examples');
    public static override readonly flags = {
        'connector-url': connectorUrlFlag,
        object: Flags.string({ summary: messages.getMessage('flags.object.summary'), required: true }),
        since: Flags.string({
            summary: messages.getMessage('flags.since.summary'),
            parse: async (value) => {
                if (
                    !/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ||
                    Number.isNaN(Date.parse(value))
                ) {
                    throw new Error(
                        `--since must be an ISO 8601 date or date-time (2024-01-31 or 2024-01-31T08:00:00Z), not "${value}"`
                    );
                }
                return value;
            }
        }),
        wait: Flags.integer({ summary: messages.getMessage('flags.wait.summary'), min: 0, default: 30 }),
        'poll-interval': Flags.integer({
            summary: messages.getMessage('flags.poll-interval.summary'),
            min: 1,
            default: 2
        })
    };

    public async run(): Promise<SyncBackfillResult> {
        const { flags } = await this.parse(SyncBackfill);
        const api = new AdminApi(resolveAdminApi(flags['connector-url']));
        const { jobId } = await api.post(
            '/admin/backfill',
            { object: flags.object, ...(flags.since ? { since: flags.since } : {}) },
            BackfillStarted
        );
        const poll = () => api.get(`/admin/backfill/${encodeURIComponent(jobId)}`, SyncBackfillResult);
        let job = await poll();
        // Bounded: at most wait/interval checks.
        const checks = Math.floor((flags.wait * 60) / flags['poll-interval']);
        // No payload tokens in the format: sf-plugins-core draws the first frame before it applies a payload.
        this.progress.start(
            job.total ?? 0,
            {},
            { title: `Backfill ${flags.object}`, format: '%s | {bar} | {value}/{total} records read and planned' }
        );
        for (let i = 0; i < checks && !FINISHED.has(job.state); i++) {
            this.progress.update(job.processed);
            if (job.total !== null) this.progress.setTotal(job.total);
            await sleep(flags['poll-interval'] * 1000);
            job = await poll();
        }
        this.progress.update(job.processed);
        this.progress.stop();
        const summary = messages.getMessage('info.summary', [
            job.processed,
            flags.object,
            job.linked,
            job.written,
            Math.max(job.linked - job.written, 0),
            job.errors
        ]);
        if (!FINISHED.has(job.state)) this.warn(messages.getMessage('info.timedOut', [job.state]));
        else if (job.state === 'Failed' || job.errors > 0) {
            this.logToStderr(
                `Backfill ${jobId} ${job.state === 'Failed' ? 'failed' : 'finished'}: ${summary} See "sf clm sync errors".`
            );
            process.exitCode = 1;
        } else this.logSuccess(`Backfill ${jobId} done: ${summary}`);
        return job;
    }
}
