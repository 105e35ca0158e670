// The SOQL subset the connector and the sf CLI use, evaluated against known rows.
import type jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSalesforceEmulator } from '../src/index.ts';
import { connectAs, startFixtureOrg } from './helpers.ts';

let emu: RunningSalesforceEmulator;
let conn: jsforce.Connection;
let acme: string;

beforeAll(async () => {
    emu = await startFixtureOrg();
    conn = await connectAs(emu);
    acme = (
        await conn
            .sobject('Account')
            .create({ Name: 'Acme', Industry: 'Energy', AnnualRevenue: 500, Clm_Account_Key__c: 'A-1' })
    ).id!;
    const globex = (await conn.sobject('Account').create({ Name: 'Globex', Industry: 'Banking', AnnualRevenue: 2000 }))
        .id!;
    await conn.sobject('Account').create({ Name: "O'Brien & Sons", AnnualRevenue: null });
    const today = new Date(emu.org.clock.peekMs()).toISOString().slice(0, 10);
    await conn.sobject('Opportunity').create([
        { Name: 'Big deal', StageName: 'Closed Won', CloseDate: today, Amount: 1000, AccountId: acme },
        { Name: 'Small deal', StageName: 'Prospecting', CloseDate: '2020-01-15', Amount: 10, AccountId: acme },
        { Name: 'Other deal', StageName: 'Negotiation/Review', CloseDate: today, Amount: 300, AccountId: globex }
    ]);
    await conn.sobject('Contact').create([
        { LastName: 'Zed', AccountId: acme },
        { LastName: 'Amy', AccountId: acme }
    ]);
});
afterAll(async () => {
    await emu?.close();
});

const names = async (soql: string) => (await conn.query<{ Name: string }>(soql)).records.map((r) => r.Name);

describe('SOQL', () => {
    it('filters with AND/OR/NOT, comparisons, IN, NOT IN, LIKE and null', async () => {
        expect(
            await names("SELECT Name FROM Account WHERE Industry = 'energy' OR AnnualRevenue > 1000 ORDER BY Name")
        ).toEqual(['Acme', 'Globex']);
        expect(
            await names("SELECT Name FROM Account WHERE NOT (Industry IN ('Energy', 'Banking')) ORDER BY Name")
        ).toEqual(["O'Brien & Sons"]);
        expect(
            await names("SELECT Name FROM Account WHERE Industry NOT IN ('Energy') AND AnnualRevenue != null")
        ).toEqual(['Globex']);
        expect(await names("SELECT Name FROM Account WHERE Name LIKE 'o\\'b%'")).toEqual(["O'Brien & Sons"]);
        expect(await names('SELECT Name FROM Account WHERE AnnualRevenue = null')).toEqual(["O'Brien & Sons"]);
        expect(
            await names(
                "SELECT Name FROM Account WHERE (Industry = 'Energy' AND AnnualRevenue < 100) OR Name = 'Globex'"
            )
        ).toEqual(['Globex']);
    });

    it('handles date literals and date values', async () => {
        expect(await names('SELECT Name FROM Opportunity WHERE CloseDate = TODAY ORDER BY Name')).toEqual([
            'Big deal',
            'Other deal'
        ]);
        expect(await names('SELECT Name FROM Opportunity WHERE CloseDate < 2021-01-01')).toEqual(['Small deal']);
        expect(await names('SELECT Name FROM Opportunity WHERE CloseDate = LAST_N_DAYS:7 ORDER BY Name')).toEqual([
            'Big deal',
            'Other deal'
        ]);
        expect(await names('SELECT Name FROM Account WHERE CreatedDate = TODAY ORDER BY Name LIMIT 1')).toEqual([
            'Acme'
        ]);
        expect(
            await names('SELECT Name FROM Account WHERE CreatedDate > 2020-01-01T00:00:00Z ORDER BY Name DESC LIMIT 1')
        ).toEqual(["O'Brien & Sons"]);
    });

    it('filters by semi-join and anti-join subqueries', async () => {
        expect(
            await names(
                "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Opportunity WHERE StageName = 'Closed Won')"
            )
        ).toEqual(['Acme']);
        expect(
            await names('SELECT Name FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact) ORDER BY Name')
        ).toEqual(['Globex', "O'Brien & Sons"]);
        await expect(
            conn.query('SELECT Name FROM Account WHERE Id IN (SELECT Name FROM Contact)')
        ).rejects.toMatchObject({ errorCode: 'MALFORMED_QUERY' });
    });

    it('orders with NULLS FIRST/LAST, pages with LIMIT and OFFSET', async () => {
        expect(await names('SELECT Name FROM Account ORDER BY AnnualRevenue DESC NULLS LAST')).toEqual([
            'Globex',
            'Acme',
            "O'Brien & Sons"
        ]);
        expect(await names('SELECT Name FROM Account ORDER BY AnnualRevenue ASC NULLS FIRST')).toEqual([
            "O'Brien & Sons",
            'Acme',
            'Globex'
        ]);
        expect(await names('SELECT Name FROM Account ORDER BY Name LIMIT 1 OFFSET 1')).toEqual(['Globex']);
    });

    it('follows parent relationships and child subqueries', async () => {
        const opps = await conn.query<{ Name: string; Account: { Name: string; Owner: { Name: string } } }>(
            "SELECT Name, Account.Name, Account.Owner.Name FROM Opportunity WHERE Account.Industry = 'Energy' ORDER BY Amount DESC"
        );
        expect(opps.records.map((o) => [o.Name, o.Account.Name, o.Account.Owner.Name])).toEqual([
            ['Big deal', 'Acme', 'Ada Admin'],
            ['Small deal', 'Acme', 'Ada Admin']
        ]);
        const accounts = await conn.query<{
            Name: string;
            Contacts: { totalSize: number; records: { LastName: string }[] } | null;
        }>('SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account ORDER BY Name');
        const acmeRow = accounts.records.find((a) => a.Name === 'Acme')!;
        expect(acmeRow.Contacts!.records.map((c) => c.LastName)).toEqual(['Amy', 'Zed']);
        expect(accounts.records.find((a) => a.Name === 'Globex')!.Contacts).toBeNull();
        const derived = await conn.query<{ IsWon: boolean; ForecastCategoryName: string; Probability: number }>(
            "SELECT IsWon, ForecastCategoryName, Probability FROM Opportunity WHERE Name = 'Big deal'"
        );
        expect(derived.records[0]).toMatchObject({ IsWon: true, ForecastCategoryName: 'Closed', Probability: 100 });
    });

    it('counts, and answers queryAll with deleted rows', async () => {
        expect((await conn.query("SELECT COUNT() FROM Opportunity WHERE StageName != 'Closed Won'")).totalSize).toBe(2);
        const agg = await conn.query<{ expr0: number }>('SELECT COUNT(Id) FROM Contact');
        expect(agg.records[0]!.expr0).toBe(2);
        const gone = (await conn.sobject('Contact').create({ LastName: 'Gone' })).id!;
        await conn.sobject('Contact').destroy(gone);
        expect((await conn.query("SELECT Id FROM Contact WHERE LastName = 'Gone'")).totalSize).toBe(0);
        const all = await conn.query<{ IsDeleted: boolean }>(
            "SELECT Id, IsDeleted FROM Contact WHERE LastName = 'Gone'",
            { scanAll: true }
        );
        expect(all.records).toEqual([expect.objectContaining({ IsDeleted: true })]);
        const byId = await conn.query(`SELECT Id FROM Account WHERE Id = '${acme.slice(0, 15)}'`);
        expect(byId.totalSize).toBe(1);
    });
});
