import { setTimeout as sleep } from 'node:timers/promises';
import { Messages } from '@salesforce/core';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { AdminApi, connectorUrlFlag, resolveAdminApi } from '../../plugin/adminApi.ts';
import { AuditResult, AuditStarted } from '../../plugin/results.ts';
import { auditFieldTable, differencesCsv, differenceTable } from '../../plugin/tables.ts';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@clm/connector-service', 'clm.audit');

const PROGRESS_FORMAT = '%s | {bar} | {value}/{total} linked pairs compared';
const percent = (rate: number) => `${(rate * 100).toFixed(2)} %`;

export default class Audit extends SfCommand<AuditResult> {
    public static override readonly summary = messages.getMessage('summary');
    public static override readonly description = messages.getMessage('description');
    public static override readonly examples = messages.getMessages('examples');
    public static override readonly flags = {
        'connector-url': connectorUrlFlag,
        repair: Flags.boolean({ summary: messages.getMessage('flags.repair.summary'), default: false }),
        csv: Flags.boolean({ summary: messages.getMessage('flags.csv.summary'), default: false }),
        wait: Flags.integer({ summary: messages.getMessage('flags.wait.summary'), min: 1, default: 30 }),
        'poll-interval': Flags.integer({
            summary: messages.getMessage('flags.poll-interval.summary'),
            min: 1,
            default: 2
        })
    };

    public async run(): Promise<AuditResult> {
        const { flags } = await this.parse(Audit);
        const api = new AdminApi(resolveAdminApi(flags['connector-url']));
        const { auditId } = await api.post('/admin/audit', { repair: flags.repair }, AuditStarted);
        const poll = () => api.get(`/admin/audit/${encodeURIComponent(auditId)}`, AuditResult);
        let run = await poll();
        const checks = Math.floor((flags.wait * 60) / flags['poll-interval']);
        if (!flags.csv)
            // No payload tokens in the format: sf-plugins-core draws the first frame before it applies a payload.
            this.progress.start(Math.max(run.pairs, 1), {}, { title: 'Audit', format: PROGRESS_FORMAT });
        for (let i = 0; i < checks && run.state === 'Running'; i++) {
            if (!flags.csv) {
                this.progress.setTotal(Math.max(run.pairs, 1));
                this.progress.update(run.processed);
            }
            await sleep(flags['poll-interval'] * 1000);
            run = await poll();
        }
        if (!flags.csv) {
            this.progress.setTotal(run.pairs);
            this.progress.update(run.processed);
            this.progress.stop();
        }
        if (run.state === 'Running') {
            this.warn(messages.getMessage('info.timedOut', [auditId]));
            return run;
        }
        if (run.state === 'Failed') {
            this.logToStderr(
                messages.getMessage('info.failed', [run.lastError?.code ?? '', run.lastError?.message ?? ''])
            );
            process.exitCode = 1;
            return run;
        }
        if (flags.csv) {
            this.log(differencesCsv(run.differences));
            return run;
        }
        this.table(auditFieldTable(run.fields));
        for (const object of run.objects)
            this.log(
                messages.getMessage('info.object', [
                    object.object,
                    object.compared,
                    object.agreeing,
                    percent(object.accuracy),
                    object.missingInSalesforce,
                    object.missingInClm
                ])
            );
        if (run.notAudited.length > 0)
            this.log(messages.getMessage('info.notAudited', [run.notAudited.map((entry) => entry.rule).join(', ')]));
        if (run.differences.length > 0) this.table(differenceTable(run.differences));
        if (run.differencesNotListed > 0) this.log(messages.getMessage('info.notListed', [run.differencesNotListed]));
        this.log(messages.getMessage('info.calls', [run.apiCalls.salesforce, run.apiCalls.clm]));
        const differing = run.objects.reduce((sum, object) => sum + object.differing, 0);
        if (differing === 0) this.logSuccess(messages.getMessage('info.agree', [run.pairs]));
        else if (run.repair) this.log(messages.getMessage('info.repairQueued', [run.repairQueued]));
        else {
            this.log(messages.getMessage('info.differ', [differing]));
            process.exitCode = 1;
        }
        return run;
    }
}
