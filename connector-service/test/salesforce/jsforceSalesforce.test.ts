/**
 * The Salesforce adapter against the local org emulator: batching, call counts from the emulator's own counters,
 * the connector's client id on every write, and the platform's errors as coded ConnectorErrors.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { select, where } from '../../src/domain/index.ts';
import { connectWithJwt, JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import type { RecordWrite } from '../../src/ports/salesforce.ts';
import {
    startSalesforceEmulator,
    type CommittedTransaction,
    type RunningSalesforceEmulator
} from '@clm/emulators/salesforce';

let emu: RunningSalesforceEmulator;
let salesforce: JsforceSalesforce;
let accountId: string;
const transactions: CommittedTransaction[] = [];

async function billed(): Promise<number> {
    const response = await fetch(`${emu.adminUrl}/counters`);
    return ((await response.json()) as { billedApiRequests: number }).billedApiRequests;
}

function opportunities(count: number, from = 0): RecordWrite[] {
    return Array.from({ length: count }, (_, index) => ({
        ref: `opp-${from + index}`,
        sfObject: 'Opportunity',
        fields: {
            Name: `Deal ${from + index}`,
            StageName: 'Prospecting',
            CloseDate: '2027-03-31',
            AccountId: accountId
        }
    }));
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
    salesforce = new JsforceSalesforce(conn, { connectorClientId: 'clm-connector', apiVersion: emu.apiVersion });
    const [account] = await salesforce.write([{ ref: 'acct', sfObject: 'Account', fields: { Name: 'Acme' } }]);
    accountId = account!.id!;
});

afterAll(async () => {
    await emu?.close();
});

beforeEach(() => {
    transactions.length = 0;
});

describe('JsforceSalesforce against the org emulator', () => {
    it('creates 450 records in one Composite call of three collections, marked with the connector id', async () => {
        const before = await billed();
        const results = await salesforce.write(opportunities(450));
        expect(results.filter((result) => result.success)).toHaveLength(450);
        expect(results.map((result) => result.ref)).toEqual(opportunities(450).map((write) => write.ref));
        expect((await billed()) - before).toBe(1);
        expect(transactions.every((tx) => tx.changeOrigin.endsWith(';client=clm-connector'))).toBe(true);
        expect(transactions.reduce((sum, tx) => sum + tx.changes.length, 0)).toBe(450);
    });

    it('updates 1,000 records in one call and 1,001 in two (five collections of 200 per call)', async () => {
        const created = await salesforce.write(opportunities(1001, 1000));
        const updates = created.map((result) => ({
            ref: result.ref,
            sfObject: 'Opportunity',
            id: result.id!,
            fields: { StageName: 'Qualification' }
        }));
        let before = await billed();
        expect((await salesforce.write(updates.slice(0, 1000))).every((result) => result.success)).toBe(true);
        expect((await billed()) - before).toBe(1);
        before = await billed();
        await salesforce.write(updates.map((write) => ({ ...write, fields: { StageName: 'Needs Analysis' } })));
        expect((await billed()) - before).toBe(2);
    });

    it('reads 2,500 records by id in two calls', async () => {
        const created = await salesforce.write(opportunities(2500, 5000));
        const ids = created.map((result) => result.id!);
        const before = await billed();
        const records = await salesforce.readByIds('Opportunity', ['Name', 'StageName'], ids);
        expect(records).toHaveLength(2500);
        expect(new Set(records.map((record) => record.Id))).toEqual(new Set(ids));
        expect((await billed()) - before).toBe(2);
    });

    it('reports a per-record platform error with its code and keeps the other records', async () => {
        const [bad, good] = await salesforce.write([
            { ref: 'bad', sfObject: 'Opportunity', fields: { Name: 'No stage', CloseDate: '2027-01-01' } },
            {
                ref: 'good',
                sfObject: 'Opportunity',
                fields: { Name: 'Fine', StageName: 'Prospecting', CloseDate: '2027-01-01' }
            }
        ]);
        expect(bad).toMatchObject({ ref: 'bad', success: false });
        expect(bad?.error?.code).toBe('SF.REQUIRED_FIELD_MISSING');
        expect(bad?.error?.details.fields).toEqual(['StageName']);
        expect(good).toMatchObject({ ref: 'good', success: true });
    });

    it('marks lock contention as retryable', async () => {
        await fetch(`${emu.adminUrl}/faults`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({
                sobject: 'Opportunity',
                operation: 'create',
                errorCode: 'UNABLE_TO_LOCK_ROW',
                count: 1
            })
        });
        const [result] = await salesforce.write(opportunities(1, 9000));
        await fetch(`${emu.adminUrl}/faults`, { method: 'DELETE' });
        expect(result?.error?.code).toBe('SF.UNABLE_TO_LOCK_ROW');
        expect(result?.error?.details.retryable).toBe(true);
    });

    it('queries only through the builder, and the budget comes from Sforce-Limit-Info', async () => {
        const rows = await salesforce.query(
            select(['Id', 'Name'], 'Account', { where: where.eq('Name', "Acme' OR Name != '") })
        );
        expect(rows).toEqual([]);
        const budget = salesforce.apiBudget();
        expect(budget?.max).toBeGreaterThan(0);
        expect(budget?.used).toBe(await billed());
    });
});
