// Apex tests over the Tooling REST API with jsforce, as apex-node drives them: runTestsAsynchronous then the
// run's records over tooling/query (run result, queue items, results, coverage), runTestsSynchronous, and what
// the org answers bad requests (errorCode, never a 500).
import type jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../src/index.ts';
import { call, connectAs, dataPath, tokenFor } from './helpers.ts';

let emu: RunningSalesforceEmulator;
let conn: jsforce.Connection;
let adminToken: string;

const tooling = (sub: string) => dataPath(`/tooling${sub}`);

async function startAsync(body: unknown): Promise<string> {
    return conn.tooling.request<string>({
        method: 'POST',
        url: `${conn.tooling._baseUrl()}/runTestsAsynchronous`,
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' }
    });
}

/** Polls the run result as apex-node does, until its status is final (bounded). */
async function untilFinished(jobId: string): Promise<Record<string, unknown>> {
    for (let attempt = 0; attempt < 200; attempt++) {
        const { records } = await conn.tooling.query<Record<string, unknown>>(
            `SELECT AsyncApexJobId, Status, ClassesCompleted, ClassesEnqueued, MethodsEnqueued, StartTime, EndTime, TestTime, TestSetupTime, UserId FROM ApexTestRunResult WHERE AsyncApexJobId = '${jobId}'`
        );
        expect(records).toHaveLength(1);
        if (['Completed', 'Failed', 'Aborted'].includes(String(records[0]!.Status))) return records[0]!;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`test run ${jobId} did not finish`);
}

describe('Apex tests over the Tooling API', () => {
    beforeAll(async () => {
        emu = await startSalesforceEmulator({ port: 0 });
        conn = await connectAs(emu);
        adminToken = await tokenFor(emu);
    }, 120_000);

    afterAll(async () => {
        await emu?.close();
    });

    it('runs two classes asynchronously and serves the run, queue items, results and coverage over tooling/query', async () => {
        const jobId = await startAsync({
            tests: [
                { className: 'ClmErrorsTest' },
                { className: 'ClmTransformRulesTest', testMethods: ['valuesBecomeIsoText'] }
            ],
            testLevel: 'RunSpecifiedTests'
        });
        expect(jobId).toMatch(/^707[A-Za-z0-9]{15}$/);
        const summary = await untilFinished(jobId);
        expect(summary).toMatchObject({
            Status: 'Completed',
            ClassesEnqueued: 2,
            ClassesCompleted: 2,
            UserId: emu.userId
        });
        expect(summary.EndTime).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));

        const items = await conn.tooling.query<Record<string, unknown>>(
            `SELECT Id, Status, ApexClassId, TestRunResultId, ParentJobId FROM ApexTestQueueItem WHERE ParentJobId = '${jobId}'`
        );
        expect(items.records.map((r) => r.Status)).toEqual(['Completed', 'Completed']);
        const ids = items.records.map((r) => `'${String(r.Id)}'`).join(',');
        const results = await conn.tooling.query<{
            MethodName: string;
            Outcome: string;
            QueueItemId: string;
            ApexClass: { Id: string; Name: string; NamespacePrefix: string | null };
        }>(
            `SELECT Id, QueueItemId, StackTrace, Message, RunTime, TestTimestamp, AsyncApexJobId, MethodName, Outcome, ApexLogId, IsTestSetup, ApexClass.Id, ApexClass.Name, ApexClass.NamespacePrefix FROM ApexTestResult WHERE QueueItemId IN (${ids})`
        );
        const names = results.records.map((r) => `${r.ApexClass.Name}.${r.MethodName}:${r.Outcome}`).sort();
        expect(names).toEqual([
            'ClmErrorsTest.accessFailuresBecomeAccessDenied:Pass',
            'ClmErrorsTest.anythingElseIsUnexpected:Pass',
            'ClmErrorsTest.knownErrorsKeepTheirCode:Pass',
            'ClmTransformRulesTest.valuesBecomeIsoText:Pass'
        ]);
        const classIds = await conn.tooling.query<{ Id: string }>(
            "SELECT Id FROM ApexClass WHERE Name = 'ClmErrorsTest' AND (NamespacePrefix = null OR NamespacePrefix = '') LIMIT 1"
        );
        expect(results.records.find((r) => r.ApexClass.Name === 'ClmErrorsTest')?.ApexClass.Id).toBe(
            classIds.records[0]?.Id
        );

        const aggregate = await conn.tooling.query<{
            ApexClassOrTrigger: { Id: string; Name: string };
            NumLinesCovered: number;
            NumLinesUncovered: number;
            Coverage: { coveredLines: number[]; uncoveredLines: number[] };
        }>(
            'SELECT ApexClassOrTrigger.Id, ApexClassOrTrigger.Name, NumLinesCovered, NumLinesUncovered, Coverage FROM ApexCodeCoverageAggregate'
        );
        const errors = aggregate.records.find((r) => r.ApexClassOrTrigger.Name === 'ClmErrors');
        expect(errors?.ApexClassOrTrigger.Id).toMatch(/^01p/);
        expect(errors?.NumLinesCovered).toBe(errors?.Coverage.coveredLines.length);
        expect(errors?.NumLinesUncovered).toBe(errors?.Coverage.uncoveredLines.length);
        expect(errors!.NumLinesCovered).toBeGreaterThan(0);
        const orgWide = await conn.tooling.query<{ PercentCovered: number }>(
            'SELECT PercentCovered FROM ApexOrgWideCoverage'
        );
        expect(orgWide.records).toHaveLength(1);
        expect(orgWide.records[0]!.PercentCovered).toBeGreaterThan(0);
        expect(orgWide.records[0]!.PercentCovered).toBeLessThan(100);
    }, 60_000);

    it('runs one class synchronously and answers the RunTestsResult', async () => {
        const result = await conn.tooling.request<Record<string, unknown>>({
            method: 'POST',
            url: `${conn.tooling._baseUrl()}/runTestsSynchronous`,
            body: JSON.stringify({ tests: [{ className: 'ClmExceptionTest' }] }),
            headers: { 'content-type': 'application/json' }
        });
        expect(result).toMatchObject({
            numTestsRun: 1,
            numFailures: 0,
            failures: [],
            successes: [
                expect.objectContaining({
                    name: 'ClmExceptionTest',
                    methodName: 'carriesCodeFieldAndMessageToTheLwc',
                    id: expect.stringMatching(/^01p/)
                })
            ]
        });
        expect(result.codeCoverage).toEqual(
            expect.arrayContaining([
                expect.objectContaining({ name: 'ClmException', type: 'Class', numLocations: expect.any(Number) })
            ])
        );
    }, 60_000);

    it.each([
        ['an unknown class', { tests: [{ className: 'NoSuchTest' }] }, 'INVALID_INPUT', 'tests'],
        ['a class that is not a test class', { classNames: 'ClmErrors' }, 'INVALID_INPUT', 'classNames'],
        ['test suites', { suiteNames: 'Smoke' }, 'INVALID_INPUT', 'suiteNames'],
        ['nothing to run', {}, 'INVALID_INPUT', 'tests'],
        ['a test level the API does not know', { testLevel: 'RunEverything' }, 'INVALID_INPUT', 'testLevel']
    ])('refuses %s with 400 and a code naming the field', async (_, body, errorCode, field) => {
        const res = await call(emu, 'POST', tooling('/runTestsAsynchronous'), { token: adminToken, body });
        expect(res.status).toBe(400);
        expect(res.json).toEqual([expect.objectContaining({ errorCode, fields: [field] })]);
    });

    it('refuses more than one class synchronously, other users, no session, and bad tooling SOQL', async () => {
        const sync = await call(emu, 'POST', tooling('/runTestsSynchronous'), {
            token: adminToken,
            body: { tests: [{ className: 'ClmErrorsTest' }, { className: 'ClmExceptionTest' }] }
        });
        expect(sync.status).toBe(400);
        expect(sync.json).toEqual([expect.objectContaining({ errorCode: 'INVALID_INPUT' })]);
        const rep = await tokenFor(emu, emu.users.salesRep.username);
        const denied = await call(emu, 'POST', tooling('/runTestsAsynchronous'), {
            token: rep,
            body: { testLevel: 'RunLocalTests' }
        });
        expect(denied.status).toBe(403);
        expect(denied.json).toEqual([expect.objectContaining({ errorCode: 'INSUFFICIENT_ACCESS' })]);
        const anonymous = await call(emu, 'GET', tooling('/query?q=SELECT+Id+FROM+ApexClass'));
        expect(anonymous.status).toBe(401);
        expect(anonymous.json).toEqual([expect.objectContaining({ errorCode: 'INVALID_SESSION_ID' })]);
        const malformed = await call(emu, 'GET', tooling('/query?q=SELEKT+Id+FROM+ApexClass'), { token: adminToken });
        expect(malformed.status).toBe(400);
        expect(malformed.json).toEqual([expect.objectContaining({ errorCode: 'MALFORMED_QUERY' })]);
        const unknown = await call(emu, 'GET', tooling('/query?q=SELECT+Id+FROM+Account'), { token: adminToken });
        expect(unknown.status).toBe(400);
        expect(unknown.json).toEqual([expect.objectContaining({ errorCode: 'INVALID_TYPE' })]);
        const badJson = await call(emu, 'POST', tooling('/runTestsAsynchronous'), {
            token: adminToken,
            body: '{"tests": ['
        });
        expect(badJson.status).toBe(400);
        expect(badJson.json).toEqual([expect.objectContaining({ errorCode: 'JSON_PARSER_ERROR' })]);
    });
});
