import { readdirSync } from 'node:fs';
// The org runs the package's Apex: every package test passes through ApexProgram.runTests (each method in an
// isolated, rolled-back copy of the org), a broken copy of the package fails to compile with Salesforce's
// messages and lines, triggers run on the REST write path, and the Apex semantics cases written from the Apex
// Developer Guide (conformance/apex/semantics.json) give the documented debug output.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apexSourcesIn } from '../src/apex/deploy.ts';
import { readApexCases, runApexCase } from '../conformance/apex.ts';
import { activeProgram, compileApex } from '../src/apex/index.ts';
import type { CompiledProgram } from '../src/apex/program.ts';
import { DataService } from '../src/data.ts';
import { Org, packageMetadataDirs } from '../src/org.ts';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../..');

function packageOrg(): Org {
    return new Org({ metadataDirs: packageMetadataDirs(repoRoot), dailyApiMax: 15_000, sessionTimeoutMs: 3_600_000 });
}

describe('the package Apex', () => {
    it('compiles, and every package test passes through runTests', async () => {
        const org = packageOrg();
        const program = activeProgram(org)!;
        // Every test class the package ships (force-app/test/apex/**/*Test.cls) is compiled and found.
        const shipped = readdirSync(path.join(repoRoot, 'force-app/test/apex'), { recursive: true })
            .map(String)
            .filter((file) => file.endsWith('Test.cls'))
            .map((file) => path.basename(file, '.cls'))
            .sort();
        expect([...program.testClassNames()].sort()).toEqual(shipped);
        const started = performance.now();
        const run = await program.runTests({ userId: org.userIds.admin }, {});
        const ms = Math.round(performance.now() - started);
        const failures = run.methods.filter((m) => m.outcome !== 'Pass');
        expect(failures.map((f) => `${f.className}.${f.methodName}: ${f.message}`)).toEqual([]);
        expect(run.methods.length).toBeGreaterThanOrEqual(55);
        let covered = 0;
        let total = 0;
        for (const c of run.coverage) {
            covered += c.coveredLines.length;
            total += c.coveredLines.length + c.uncoveredLines.length;
        }
        console.log(
            `apex: ${run.methods.length} package test methods passed in ${ms} ms; org-wide coverage ${((100 * covered) / total).toFixed(1)} % (${covered}/${total} lines)`
        );
        expect(total).toBeGreaterThan(0);
    }, 60_000);

    it('a test run leaves the org data unchanged', async () => {
        const org = packageOrg();
        const before = org.store.rows('Opportunity').length;
        await activeProgram(org)!.runTests({ userId: org.userIds.admin }, { classNames: ['ClmAutomationServiceTest'] });
        expect(org.store.rows('Opportunity').length).toBe(before);
    }, 30_000);

    it('a broken copy fails to compile with the three messages and their lines', () => {
        const org = packageOrg();
        const sources = apexSourcesIn(packageMetadataDirs(repoRoot)).map((s) => {
            if (s.name === 'ClmTestData')
                return {
                    ...s,
                    body: s.body.replace(
                        "StageName = 'Prospecting',",
                        "StageName = 'Prospecting', No_Such_Field__c = 1,"
                    )
                };
            if (s.name === 'ClmSendController')
                return {
                    ...s,
                    body: s.body.replace(
                        'return new ClmSyncRequestService().preview(recordId);',
                        'return new ClmSyncRequestService().preview(recordId, 42);'
                    )
                };
            if (s.name === 'ClmTransformRules')
                return {
                    ...s,
                    body: s.body.replace(
                        'Check result = new Check();',
                        "Check result = new Check();\n        Integer broken = 'text';"
                    )
                };
            return s;
        });
        const lineOf = (name: string, needle: string): number =>
            sources
                .find((s) => s.name === name)!
                .body.split('\n')
                .findIndex((l) => l.includes(needle)) + 1;
        const result = compileApex(org, sources);
        expect(result.program).toBeUndefined();
        const got = result.problems.map((p) => ({ name: p.componentName, line: p.line, problem: p.problem }));
        expect(got).toEqual(
            expect.arrayContaining([
                {
                    name: 'ClmTestData',
                    line: lineOf('ClmTestData', 'No_Such_Field__c'),
                    problem: 'Invalid field No_Such_Field__c for Opportunity'
                },
                {
                    name: 'ClmSendController',
                    line: lineOf('ClmSendController', 'preview(recordId, 42)'),
                    problem:
                        'Method does not exist or incorrect signature: Preview preview(Id, Integer) from the type ClmSyncRequestService'
                },
                {
                    name: 'ClmTransformRules',
                    line: lineOf('ClmTransformRules', "Integer broken = 'text'"),
                    problem: 'Illegal assignment from String to Integer'
                }
            ])
        );
        expect(got).toHaveLength(3);
    });

    it('DML from Apex runs triggers once per batch: ten decided conflicts in one insert are all stamped', () => {
        // TriggerHandler stops a handler after five runs in a transaction: record-by-record invocation would
        // leave the last five unstamped.
        const org = packageOrg();
        const result = activeProgram(org)!.executeAnonymous(
            { userId: org.userIds.admin },
            `List<Clm_Conflict__c> decided = new List<Clm_Conflict__c>();
            for (Integer i = 0; i < 10; i++) {
                decided.add(new Clm_Conflict__c(Conflict_Key__c = 'k-' + i, Status__c = 'Resolved'));
            }
            insert decided;
            System.debug([SELECT COUNT() FROM Clm_Conflict__c WHERE Resolved_By__c = :UserInfo.getUserId()]);`
        );
        expect(result.exceptionMessage).toBeNull();
        expect(result.debugLog).toContain('|DEBUG|10');
    });

    it('a trigger runs on the REST write path (DataService): the conflict trigger stamps the decider', () => {
        const org = packageOrg();
        const data = new DataService(org);
        const userId = org.userIds.admin;
        const tx = org.begin({ api: 'rest', apiVersion: '62.0', clientId: null, callOptions: null, userId });
        const ctx = { access: org.access(userId), userId, tx, version: '62.0' };
        const { id } = data.create(ctx, 'Clm_Conflict__c', { Conflict_Key__c: 'k-1', Status__c: 'Open' });
        expect(org.store.get('Clm_Conflict__c', id)!.Resolved_By__c).toBeNull();
        data.update(ctx, 'Clm_Conflict__c', id, { Status__c: 'Dismissed' });
        org.commit(tx);
        expect(org.store.get('Clm_Conflict__c', id)!.Resolved_By__c).toBe(userId);
        expect(org.store.get('Clm_Conflict__c', id)!.Resolved_At__c).not.toBeNull();
    });
});

describe('Apex semantics conformance (conformance/apex/semantics.json)', () => {
    const org = packageOrg();
    it.each(readApexCases().map((c) => [c.name, c] as const))('%s', (_name, c) => {
        expect(runApexCase(org, c)).toEqual([]);
    });
});

describe('platform-event triggers after commit', () => {
    it("the connector's status event, published over the REST path, runs the real trigger: a review Task for the owner", async () => {
        const org = packageOrg();
        // An admin switches review tasks on in Setup (the deployed Default record has every switch off).
        const setting = org.store.rows('Clm_Automation_Setting__mdt').find((r) => r.DeveloperName === 'Default')!;
        setting.Create_Review_Tasks__c = true;
        const data = new DataService(org);
        const userId = org.userIds.integration;
        const admin = org.userIds.admin;
        const adminTx = org.begin({
            api: 'rest',
            apiVersion: '62.0',
            clientId: null,
            callOptions: null,
            userId: admin
        });
        const adminCtx = { access: org.access(admin), userId: admin, tx: adminTx, version: '62.0' };
        const deal = data.create(adminCtx, 'Opportunity', {
            Name: 'Deal',
            StageName: 'Prospecting',
            CloseDate: '2027-01-01',
            OwnerId: org.userIds.salesRep
        });
        org.commit(adminTx);
        const tx = org.begin({ api: 'rest', apiVersion: '62.0', clientId: null, callOptions: null, userId });
        const ctx = { access: org.access(userId), userId, tx, version: '62.0' };
        data.create(ctx, 'Clm_Sync_Status__e', {
            Record_Id__c: deal.id,
            Object_Api_Name__c: 'Opportunity',
            Kind__c: 'Quarantined',
            Event_Key__c: 'err-e2e',
            Correlation_Id__c: 'corr-e2e',
            Message__c: 'Quarantined by the connector'
        });
        org.commit(tx);
        expect(org.store.rows('Task')).toHaveLength(0);
        await new Promise((resolve) => setTimeout(resolve, 50));
        const tasks = org.store.rows('Task');
        expect(tasks).toHaveLength(1);
        expect(tasks[0]!.OwnerId).toBe(org.userIds.salesRep);
        expect(tasks[0]!.WhatId).toBe(deal.id);
        expect(String(tasks[0]!.Description)).toContain('corr-e2e');
        expect(String(tasks[0]!.CreatedById)).toBe(String(org.findUser('autoproc@clm-emulator.example')!.Id));
    });
});

describe('System.schedule on the emulator clock', () => {
    it('the renewal job scheduled daily at 06:00 fires once the org clock passes 06:00, in its own transaction', () => {
        const org = packageOrg();
        const program = activeProgram(org) as CompiledProgram;
        const setting = org.store.rows('Clm_Automation_Setting__mdt').find((r) => r.DeveloperName === 'Default')!;
        setting.Create_Renewal__c = true;
        const admin = { userId: org.userIds.admin };
        const setup = program.executeAnonymous(
            admin,
            `Account a = new Account(Name = 'Acme');
            insert a;
            Opportunity deal = new Opportunity(Name = 'Deal', StageName = 'Prospecting', CloseDate = Date.today(), AccountId = a.Id);
            insert deal;
            Contract c = new Contract(AccountId = a.Id, Status = 'Draft', StartDate = Date.today(), ContractTerm = 12,
                CLM_Lifecycle__c = 'Active', CLM_Notice_Deadline__c = Date.today().addDays(30));
            insert c;
            update new Opportunity(Id = deal.Id, ContractId = c.Id);
            System.debug(System.schedule('CLM renewals', '0 0 6 * * ?', new ClmRenewalJob()));`
        );
        expect(setup.exceptionMessage).toBeNull();
        const cronId = setup.debugLog.split('|DEBUG|')[1]!.trim();
        const cronRow = org.store.get('CronTrigger', cronId)!;
        expect(cronRow.TimesTriggered).toBe(0);
        const nextFire = Date.parse(String(cronRow.NextFireTime).replace('+0000', 'Z'));
        expect(new Date(nextFire).getUTCHours()).toBe(6);
        expect(program.runDueSchedules()).toBe(0);
        expect(org.store.rows('Opportunity')).toHaveLength(1);
        org.clock.advance(nextFire - org.clock.peekMs() + 1000);
        expect(program.runDueSchedules()).toBe(1);
        expect(
            org.store
                .rows('Opportunity')
                .map((o) => o.Name)
                .sort()
        ).toEqual(['Deal', 'Deal - Renewal']);
        expect(org.store.get('CronTrigger', cronId)!.TimesTriggered).toBe(1);
        expect(Date.parse(String(org.store.get('CronTrigger', cronId)!.NextFireTime).replace('+0000', 'Z'))).toBe(
            nextFire + 86_400_000
        );
    });
});
