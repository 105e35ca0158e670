/**
 * Bulk API 2.0 through the Salesforce adapter against the org emulator: a query read over several result pages,
 * an ingest job's rows (nulls, quotes, commas, line breaks) landing as sent, per-row failures as coded errors, the
 * connector's client id on the bulk transactions, and the exact calls each step costs.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { select, where } from '../../src/domain/index.ts';
import { csvRecords, parseCsv, toBulkCsv } from '../../src/adapters/salesforce/bulkCsv.ts';
import { connectWithJwt, JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import {
    startSalesforceEmulator,
    type CommittedTransaction,
    type RunningSalesforceEmulator
} from '@clm/emulators/salesforce';

let emu: RunningSalesforceEmulator;
let salesforce: JsforceSalesforce;
let ids: string[] = [];
const transactions: CommittedTransaction[] = [];

async function counters(): Promise<{ billedApiRequests: number; endpoints: Record<string, number> }> {
    return (await (await fetch(`${emu.adminUrl}/counters`)).json()) as {
        billedApiRequests: number;
        endpoints: Record<string, number>;
    };
}

beforeAll(async () => {
    emu = await startSalesforceEmulator();
    emu.hook.subscribe((tx) => transactions.push(tx));
    const conn = await connectWithJwt({
        loginUrl: emu.loginUrl,
        clientId: emu.jwtConsumerKey,
        username: emu.username,
        privateKeyPem: readFileSync(emu.jwtPrivateKeyPath, 'utf8'),
        apiVersion: emu.apiVersion
    });
    salesforce = new JsforceSalesforce(conn, {
        connectorClientId: 'clm-connector',
        apiVersion: emu.apiVersion,
        bulkResultsPage: 100
    });
    const results = await salesforce.write(
        Array.from({ length: 250 }, (_, index) => ({
            ref: String(index),
            sfObject: 'Opportunity',
            fields: { Name: `Deal, "${index}"`, StageName: 'Prospecting', CloseDate: '2027-03-31', Amount: index }
        }))
    );
    ids = results.map((result) => result.id!);
});

afterAll(async () => {
    await emu?.close();
});

describe('Bulk API 2.0 through JsforceSalesforce', () => {
    it('writes and reads CSV cells as the platform does', () => {
        const csv = toBulkCsv(
            ['Id', 'Name', 'Description', 'Amount'],
            [
                { Id: 'a', Name: 'Say "hi", then\nleave', Description: null, Amount: 5 },
                { Id: 'b', Name: ' padded ' }
            ]
        );
        expect(csv).toBe('Id,Name,Description,Amount\na,"Say ""hi"", then\nleave",#N/A,5\nb," padded ",,\n');
        expect(parseCsv(csv)).toEqual([
            ['Id', 'Name', 'Description', 'Amount'],
            ['a', 'Say "hi", then\nleave', '#N/A', '5'],
            ['b', ' padded ', '', '']
        ]);
        expect(csvRecords('"Id","Name"\r\nx,\r\n', true)).toEqual([{ Id: 'x', Name: null }]);
    });

    it('reads a query job over several result pages, one call per page', async () => {
        const before = await counters();
        const jobId = await salesforce.createBulkQuery(
            select(['Id', 'Name', 'Amount', 'Description'], 'Opportunity', { where: where.ne('Name', null) })
        );
        const job = await salesforce.waitForBulkJob('query', jobId, { pollIntervalMs: 10 });
        expect(job).toMatchObject({ state: 'JobComplete', processed: 250 });
        const calls = salesforce.callCount();
        const records = await salesforce.bulkQueryResults(jobId);
        expect(salesforce.callCount() - calls).toBe(3);
        expect(records).toHaveLength(250);
        expect(records.find((record) => record.Id === ids[7])).toEqual({
            Id: ids[7],
            Name: 'Deal, "7"',
            Amount: '7',
            Description: null
        });
        const after = await counters();
        expect(
            after.endpoints['POST /services/data/:version/jobs/query']! -
                (before.endpoints['POST /services/data/:version/jobs/query'] ?? 0)
        ).toBe(1);
        expect(
            after.endpoints['GET /services/data/:version/jobs/query/:id/results']! -
                (before.endpoints['GET /services/data/:version/jobs/query/:id/results'] ?? 0)
        ).toBe(3);
    });

    it('updates records by id in one ingest job marked with the connector id; failed rows come back coded', async () => {
        await salesforce.write([
            { ref: 'd', sfObject: 'Opportunity', id: ids[0]!, fields: { Description: 'to clear' } }
        ]);
        transactions.length = 0;
        const jobId = await salesforce.createBulkIngest('Opportunity', 'update');
        const rows = ids.slice(0, 200).map((Id, index) => ({
            Id,
            Description: index === 0 ? null : `line one\nline "two", ${index}`,
            ...(index === 1 ? { Name: 'x'.repeat(121) } : {})
        }));
        const calls = salesforce.callCount();
        await salesforce.uploadBulkIngest(jobId, rows);
        expect(salesforce.callCount() - calls).toBe(2);
        const job = await salesforce.waitForBulkJob('ingest', jobId, { pollIntervalMs: 10 });
        expect(job).toMatchObject({ state: 'JobComplete', processed: 200, failed: 1 });
        const results = await salesforce.bulkIngestResults(jobId);
        expect(results.filter((result) => result.success)).toHaveLength(199);
        const failed = results.find((result) => !result.success)!;
        expect(failed.row.Id).toBe(ids[1]);
        // From Salesforce's sf__Error format, `CODE:message:fields --`: the field, without the trailing marker.
        expect(failed.error).toMatchObject({ code: 'SF.STRING_TOO_LONG', details: { fields: ['Name'] } });
        const [second, first] = await salesforce.readByIds('Opportunity', ['Description'], [ids[2]!, ids[0]!]);
        expect(second!.Description).toBe('line one\nline "two", 2');
        expect(first!.Description).toBeNull();
        expect(transactions.length).toBeGreaterThan(0);
        expect(transactions.every((tx) => tx.api === 'bulkapi' && tx.clientId === 'clm-connector')).toBe(true);
        expect(transactions.flatMap((tx) => tx.changes)).toHaveLength(199);
    });
});
