// `sf clm sync status|errors|replay|backfill` and `sf clm conflicts list` against a small fake of the connector's
// admin API (docs/admin-api.md) on 127.0.0.1: bearer auth, the documented bodies, a backfill job that advances
// on each poll. Every result is checked against its schema; the token never shows up in output or errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import ConflictsList from '../../src/commands/clm/conflicts/list.ts';
import SyncBackfill from '../../src/commands/clm/sync/backfill.ts';
import SyncErrors from '../../src/commands/clm/sync/errors.ts';
import SyncReplay from '../../src/commands/clm/sync/replay.ts';
import SyncStatus from '../../src/commands/clm/sync/status.ts';
import {
    CONFLICT,
    ERROR_ITEM,
    STATUS,
    startFakeAdminApi,
    type FakeAdminApi,
    type RecordedRequest
} from './support/fakeAdminApi.ts';
import { useCommandContext } from './support/commandContext.ts';
import { schemaErrors } from './support/schemas.ts';

const TOKEN = `tok-${process.pid}-${Date.now().toString(36)}-secret`;

let admin: FakeAdminApi;
let baseUrl: string;
let recorded: RecordedRequest[];

beforeAll(async () => {
    admin = await startFakeAdminApi(TOKEN);
    baseUrl = admin.url;
    recorded = admin.recorded;
});
afterAll(() => admin.close());

describe('sf clm sync and conflicts commands', () => {
    const ctx = useCommandContext();
    const savedEnv = { ...process.env };

    /** Everything the commands printed (tables, logs, warnings, JSON). */
    const printed = () =>
        JSON.stringify(
            Object.values(ctx.ux)
                .map((stub) => stub.args)
                .flat()
        );

    beforeEach(() => {
        process.env.CLM_CONNECTOR_TOKEN = TOKEN;
        process.env.CLM_CONNECTOR_CONFIG = path.join(os.tmpdir(), `clm-no-config-${process.pid}.json`);
        delete process.env.CLM_CONNECTOR_URL;
        recorded.length = 0;
        admin.statusBody = STATUS;
    });
    afterEach(() => {
        process.env = { ...savedEnv };
    });

    it('sync status: health as tables, the result as the API gave it', async () => {
        const result = await SyncStatus.run(['--connector-url', baseUrl], ctx.config);
        expect(result).toEqual(STATUS);
        expect(schemaErrors('clm sync status', result)).toEqual([]);
        expect(ctx.ux.table.callCount).toBe(2);
        expect(recorded).toEqual([{ method: 'GET', url: '/admin/status', body: undefined }]);
        expect(printed()).not.toContain(TOKEN);
    });

    it('sync errors, replay and conflicts list send the documented requests', async () => {
        const errors = await SyncErrors.run(['--connector-url', baseUrl, '--limit', '5'], ctx.config);
        expect(errors).toEqual({ items: [ERROR_ITEM] });
        expect(schemaErrors('clm sync errors', errors)).toEqual([]);

        const replayIds = await SyncReplay.run(['--connector-url', baseUrl, '--id', '42', '--id', '43'], ctx.config);
        expect(replayIds).toEqual({ replayed: 2 });
        const replayAll = await SyncReplay.run(['--connector-url', baseUrl, '--all'], ctx.config);
        expect(replayAll).toEqual({ replayed: 7 });
        expect(schemaErrors('clm sync replay', replayAll)).toEqual([]);

        const conflicts = await ConflictsList.run(['--connector-url', baseUrl], ctx.config);
        expect(conflicts).toEqual({ items: [CONFLICT] });
        expect(schemaErrors('clm conflicts list', conflicts)).toEqual([]);

        expect(recorded.map((r) => `${r.method} ${r.url} ${JSON.stringify(r.body) ?? ''}`)).toEqual([
            'GET /admin/errors?limit=5 ',
            'POST /admin/replay {"ids":["42","43"]}',
            'POST /admin/replay {"all":true}',
            'GET /admin/conflicts '
        ]);
    });

    it('sync replay needs exactly one of --id and --all', async () => {
        await expect(SyncReplay.run(['--connector-url', baseUrl], ctx.config)).rejects.toThrow(
            /Exactly one of the following must be provided: --all, --id/
        );
        await expect(SyncReplay.run(['--connector-url', baseUrl, '--all', '--id', '1'], ctx.config)).rejects.toThrow(
            /cannot also be provided/
        );
        expect(recorded).toEqual([]);
    });

    it('sync backfill follows the job with a progress bar until it completes', async () => {
        const result = await SyncBackfill.run(
            ['--connector-url', baseUrl, '--object', 'Contract', '--since', '2024-01-01', '--poll-interval', '1'],
            ctx.config
        );
        expect(result).toEqual({
            jobId: 'job-1',
            object: 'Contract',
            state: 'Completed',
            processed: 40,
            total: 40,
            errors: 0,
            linked: 38,
            written: 5
        });
        expect(schemaErrors('clm sync backfill', result)).toEqual([]);
        // The summary says what happened to the records.
        expect(JSON.stringify(ctx.ux.logSuccess.args)).toContain(
            '40 Contract records read: 38 linked to a contract, 5 written, 33 unchanged (already in agreement), 0 errors.'
        );
        expect(recorded[0]).toEqual({
            method: 'POST',
            url: '/admin/backfill',
            body: { object: 'Contract', since: '2024-01-01' }
        });
        expect(recorded.filter((r) => r.url === '/admin/backfill/job-1')).toHaveLength(3);
        expect(process.exitCode).toBeUndefined();

        await expect(
            SyncBackfill.run(['--connector-url', baseUrl, '--object', 'Contract', '--since', 'yesterday'], ctx.config)
        ).rejects.toThrow(/--since must be an ISO 8601 date/);
        await expect(SyncBackfill.run(['--connector-url', baseUrl, '--object', 'Nope__c'], ctx.config)).rejects.toThrow(
            `The connector at ${baseUrl} answered POST /admin/backfill with HTTP 400: object Nope__c is not synced`
        );
    });

    it('reads URL and token from the config file when flags and environment do not give them', async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'clm-config-'));
        try {
            const file = path.join(dir, 'clm-connector.json');
            writeFileSync(file, JSON.stringify({ url: baseUrl, token: TOKEN }), { mode: 0o600 });
            process.env.CLM_CONNECTOR_CONFIG = file;
            delete process.env.CLM_CONNECTOR_TOKEN;
            expect(await SyncStatus.run([], ctx.config)).toEqual(STATUS);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it('explains a missing URL, a missing or wrong token, an unreachable connector and a bad answer — never echoing the token', async () => {
        const failure = (args: string[]) =>
            SyncStatus.run(args, ctx.config).then(
                () => expect.unreachable('the command should fail'),
                (error: unknown) => error as Error & { actions?: string[] }
            );

        const noUrl = await failure([]);
        expect(noUrl.message).toBe("The connector's admin API URL is not set.");
        expect(noUrl.actions?.[0]).toContain('--connector-url');

        delete process.env.CLM_CONNECTOR_TOKEN;
        const noToken = await failure(['--connector-url', baseUrl]);
        expect(noToken.message).toBe('No admin token for the connector.');
        expect(noToken.actions?.[0]).toContain('CLM_CONNECTOR_TOKEN');

        process.env.CLM_CONNECTOR_TOKEN = `${TOKEN}-old`;
        const refused = await failure(['--connector-url', baseUrl]);
        expect(refused.message).toBe(`The connector at ${baseUrl} refused the admin token (HTTP 401).`);
        expect(`${refused.message} ${refused.actions?.join(' ')} ${refused.stack}`).not.toContain(TOKEN);

        process.env.CLM_CONNECTOR_TOKEN = TOKEN;
        const closed = createServer();
        await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
        const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
        await new Promise((resolve) => closed.close(resolve));
        const unreachable = await failure(['--connector-url', deadUrl]);
        expect(unreachable.message).toBe(`The connector at ${deadUrl} cannot be reached (ECONNREFUSED).`);
        expect(unreachable.actions?.[0]).toContain('running');

        admin.statusBody = { ...STATUS, queues: { inbox: STATUS.queues.inbox } };
        const bad = await failure(['--connector-url', baseUrl]);
        expect(bad.message).toBe(
            `The connector at ${baseUrl} answered GET /admin/status with an unexpected body (queues.outbox: Invalid input: expected object, received undefined).`
        );
        expect(printed()).not.toContain(TOKEN);
    });
});
