// The real sf CLI (@salesforce/cli, unmodified, as a child process) against the emulated org started in-process:
// it logs in with an access token, queries, and dry-runs a deploy of the package — which succeeds for the package
// as it is and fails, naming the file and the problem, when one component is broken in a copy of it.
import { execFile } from 'node:child_process';
import {
    cpSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    statSync,
    writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, requireOrSkip } from '../../../support/requirements.ts';
import { activeProgram } from '../src/apex/index.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../src/index.ts';
import { tokenFor } from './helpers.ts';
import { SF_BIN, sfCliEnv } from '../../../support/sfCli.ts';

const COMMAND_TIMEOUT_MS = 120_000;
const ALIAS = 'emu';

const sfPresent = requireOrSkip({
    what: `the sf CLI at ${path.relative(repoRoot, SF_BIN)}`,
    how: 'npm install (it is a dev dependency of the repository)',
    present: existsSync(SF_BIN)
});

interface SfRun {
    exitCode: number;
    json: { status: number; result?: Record<string, unknown>; name?: string; message?: string };
    stderr: string;
}

let emulator: RunningSalesforceEmulator;
let sfHome: string;
let workDir: string;

/**
 * Runs sf with a private HOME, no telemetry, no update checks, and the default (SOAP) deploy path; with
 * `--json` unless `printed` is set, in which case `stdout` is what a user sees on the screen.
 */
function sf(
    args: string[],
    options: { cwd?: string; env?: Record<string, string>; printed?: boolean } = {}
): Promise<SfRun & { stdout: string }> {
    const env: Record<string, string> = sfCliEnv(sfHome, options.env ?? {});
    return new Promise((resolve, reject) => {
        execFile(
            SF_BIN,
            options.printed ? args : [...args, '--json'],
            { cwd: options.cwd ?? workDir, env, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 32 * 1024 * 1024 },
            (error, stdout, stderr) => {
                if (error && typeof error.code !== 'number') return reject(error);
                const exitCode = typeof error?.code === 'number' ? error.code : 0;
                if (options.printed) return resolve({ exitCode, json: { status: exitCode }, stderr, stdout });
                try {
                    resolve({ exitCode, json: JSON.parse(stdout), stderr, stdout });
                } catch {
                    reject(
                        new Error(
                            `sf ${args.join(' ')} printed no JSON (exit ${String(error?.code)}):\n${stdout}\n${stderr}`
                        )
                    );
                }
            }
        );
    });
}

/** A copy of the SFDX project (sfdx-project.json, .forceignore and every package directory) to deploy from. */
function copyProject(): string {
    const dir = mkdtempSync(path.join(workDir, 'project-'));
    const project = JSON.parse(readFileSync(path.join(repoRoot, 'sfdx-project.json'), 'utf8')) as {
        packageDirectories: { path: string }[];
    };
    for (const entry of ['sfdx-project.json', '.forceignore', ...project.packageDirectories.map((p) => p.path)]) {
        const from = path.join(repoRoot, entry);
        if (existsSync(from)) cpSync(from, path.join(dir, entry), { recursive: true });
    }
    return dir;
}

function filesUnder(dir: string, suffix: string): string[] {
    return readdirSync(dir)
        .sort()
        .flatMap((name) => {
            const full = path.join(dir, name);
            if (statSync(full).isDirectory()) return name === '__tests__' ? [] : filesUnder(full, suffix);
            return full.endsWith(suffix) ? [full] : [];
        });
}

interface DeployFile {
    fullName: string;
    type: string;
    state: string;
    filePath?: string;
    error?: string;
    lineNumber?: number;
    columnNumber?: number;
}

function deployResult(run: SfRun) {
    const result = (run.json.result ?? {}) as {
        status?: string;
        success?: boolean;
        checkOnly?: boolean;
        numberComponentsTotal?: number;
        numberComponentErrors?: number;
        files?: DeployFile[];
    };
    return { ...result, files: result.files ?? [] };
}

/** The CLI's REST deploy (`metadata/deployRequest`) instead of its default, the SOAP Metadata API. */
const REST_DEPLOY = { SF_ORG_METADATA_REST_DEPLOY: 'true' };

const dryRun = (cwd: string, env: Record<string, string> = {}) =>
    sf(['project', 'deploy', 'start', '--dry-run', '--source-dir', 'force-app', '--target-org', ALIAS, '--wait', '2'], {
        cwd,
        env
    });

/** `sf data create record` of an Account with this name. */
const createAccount = (name: string) =>
    sf(['data', 'create', 'record', '--sobject', 'Account', '--values', `Name='${name}'`, '--target-org', ALIAS]);

/** `sf data upsert bulk` of a CSV file into Account, keyed on Id. */
const upsertOnId = (csv: string) =>
    sf([
        'data',
        'upsert',
        'bulk',
        '--sobject',
        'Account',
        '--file',
        csv,
        '--external-id',
        'Id',
        '--wait',
        '2',
        '--target-org',
        ALIAS
    ]);

/** The emulator's Bulk query results page size (admin API). */
const setQueryPageBytes = (queryPageBytes: number) =>
    fetch(`${emulator.adminUrl}/bulk/settings`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ queryPageBytes })
    });

describe.skipIf(!sfPresent)('the sf CLI against the emulated org', () => {
    beforeAll(async () => {
        workDir = mkdtempSync(path.join(os.tmpdir(), 'sf-cli-test-'));
        sfHome = path.join(workDir, 'home');
        emulator = await startSalesforceEmulator({ port: 0 });
        // Logged in as the admin (JWT bearer): deploys need Modify All Data.
        const accessToken = await tokenFor(emulator);
        const login = await sf(
            ['org', 'login', 'access-token', '--instance-url', emulator.instanceUrl, '--no-prompt', '--alias', ALIAS],
            { env: { SF_ACCESS_TOKEN: accessToken } }
        );
        expect(login.exitCode, JSON.stringify(login.json)).toBe(0);
        expect(login.json.result).toMatchObject({ username: emulator.username, orgId: emulator.orgId });
    }, 180_000);

    afterAll(async () => {
        await emulator?.close();
        if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    it('logs in with sf org login jwt (the CLI sends exp in milliseconds; Salesforce takes it)', async () => {
        const login = await sf([
            'org',
            'login',
            'jwt',
            '--client-id',
            emulator.jwtConsumerKey,
            '--jwt-key-file',
            emulator.jwtPrivateKeyPath,
            '--username',
            emulator.users.integration.username,
            '--instance-url',
            emulator.loginUrl,
            '--alias',
            'clm-jwt'
        ]);
        expect(login.exitCode, JSON.stringify(login.json)).toBe(0);
        expect(login.json.result).toMatchObject({
            username: emulator.users.integration.username,
            orgId: emulator.orgId
        });
    });

    it('runs sf data query as the logged-in user', async () => {
        const run = await sf([
            'data',
            'query',
            '--query',
            `SELECT Id, Username FROM User WHERE Username = '${emulator.username}'`,
            '--target-org',
            ALIAS
        ]);
        expect(run.exitCode, JSON.stringify(run.json)).toBe(0);
        expect(run.json.result).toMatchObject({
            totalSize: 1,
            done: true,
            records: [expect.objectContaining({ Id: emulator.userId, Username: emulator.username })]
        });
    }, 150_000);

    it('upserts on Id with sf data upsert bulk: the row without an Id is inserted', async () => {
        const existing = await createAccount('CLI upsert on Id');
        expect(existing.exitCode, JSON.stringify(existing.json)).toBe(0);
        const id = String(existing.json.result?.id);
        const csv = path.join(workDir, 'upsert-on-id.csv');
        writeFileSync(csv, `Id,Name\n${id},CLI upsert on Id renamed\n,CLI upsert on Id inserted\n`);
        const run = await upsertOnId(csv);
        expect(run.exitCode, JSON.stringify(run.json)).toBe(0);
        expect(run.json.result?.jobInfo).toMatchObject({
            state: 'JobComplete',
            numberRecordsProcessed: 2,
            numberRecordsFailed: 0
        });
        const names = await sf([
            'data',
            'query',
            '--query',
            "SELECT Id, Name FROM Account WHERE Name LIKE 'CLI upsert on Id%' ORDER BY Name",
            '--target-org',
            ALIAS
        ]);
        expect(
            (names.json.result?.records as { Id: string; Name: string }[]).map((r) => [r.Id === id, r.Name])
        ).toEqual([
            [false, 'CLI upsert on Id inserted'],
            [true, 'CLI upsert on Id renamed']
        ]);
    }, 150_000);

    it("reports a failed row's sf__Error as Salesforce writes it (sf data bulk results)", async () => {
        const csv = path.join(workDir, 'upsert-failing.csv');
        writeFileSync(csv, 'Id,Name,Phone\n,,555-0100\n');
        const run = await upsertOnId(csv);
        const jobId = String(run.json.result?.jobId ?? (run.json as { data?: { jobId?: string } }).data?.jobId ?? '');
        expect(jobId, JSON.stringify(run.json)).toMatch(/^750/);
        const results = await sf(['data', 'bulk', 'results', '--job-id', jobId, '--target-org', ALIAS], {
            cwd: workDir
        });
        expect(results.exitCode, JSON.stringify(results.json)).toBe(0);
        const failedFile = String(results.json.result?.failedFilePath);
        const failed = readFileSync(path.join(workDir, failedFile), 'utf8');
        expect(failed.split(/\r?\n/)[1]).toBe(
            '"","REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --","","","555-0100"'
        );
    }, 150_000);

    it('exports a bulk query whose results come in pages cut by size (sf data export bulk follows Sforce-Locator)', async () => {
        const rows = Array.from({ length: 9 }, (_, i) => `CLI paged ${i}`);
        writeFileSync(path.join(workDir, 'paged.csv'), `Name\n${rows.join('\n')}\n`);
        const load = await sf([
            'data',
            'import',
            'bulk',
            '--sobject',
            'Account',
            '--file',
            path.join(workDir, 'paged.csv'),
            '--wait',
            '2',
            '--target-org',
            ALIAS
        ]);
        expect(load.exitCode, JSON.stringify(load.json)).toBe(0);
        // "CLI paged n" quoted with its newline is 14 bytes: two rows a page, five pages.
        await setQueryPageBytes(30);
        const before = (await (await fetch(`${emulator.adminUrl}/counters`)).json()) as {
            endpoints: Record<string, number>;
        };
        const out = path.join(workDir, 'paged-export.csv');
        const run = await sf([
            'data',
            'export',
            'bulk',
            '--query',
            "SELECT Name FROM Account WHERE Name LIKE 'CLI paged%' ORDER BY Name",
            '--output-file',
            out,
            '--result-format',
            'csv',
            '--wait',
            '2',
            '--target-org',
            ALIAS
        ]);
        const after = (await (await fetch(`${emulator.adminUrl}/counters`)).json()) as {
            endpoints: Record<string, number>;
        };
        await setQueryPageBytes(100 * 1024 * 1024);
        expect(run.exitCode, JSON.stringify(run.json)).toBe(0);
        expect(run.json.result).toMatchObject({ totalSize: 9 });
        const exported = readFileSync(out, 'utf8').trim().split(/\r?\n/);
        expect(exported.slice(1).map((l) => l.replace(/"/g, ''))).toEqual(rows);
        const pages = (k: { endpoints: Record<string, number> }) =>
            k.endpoints['GET /services/data/:version/jobs/query/:id/results'] ?? 0;
        expect(pages(after) - pages(before)).toBe(5);
    }, 150_000);

    it('searches with sf data search (SOSL)', async () => {
        const created = await createAccount('Numbat Networks');
        expect(created.exitCode, JSON.stringify(created.json)).toBe(0);
        const run = await sf([
            'data',
            'search',
            '--query',
            'FIND {numbat} IN NAME FIELDS RETURNING Account(Id, Name)',
            '--target-org',
            ALIAS
        ]);
        expect(run.exitCode, JSON.stringify(run.json)).toBe(0);
        expect(run.json.result).toMatchObject({
            searchRecords: [expect.objectContaining({ Id: created.json.result?.id, Name: 'Numbat Networks' })]
        });
    }, 150_000);

    it('dry-runs the deploy of force-app successfully, and the dry run changes nothing in the org', async () => {
        const schemaSize = () => emulator.org.schema.all().reduce((n, o) => n + 1 + o.fields.length, 0);
        const sizeBefore = schemaSize();
        const run = await dryRun(copyProject());
        const result = deployResult(run);
        const failed = result.files.filter((f) => f.state === 'Failed');
        expect(failed, 'force-app components the emulator rejected').toEqual([]);
        expect(run.exitCode).toBe(0);
        expect(result).toMatchObject({ status: 'Succeeded', success: true, checkOnly: true, numberComponentErrors: 0 });
        const apexClasses = filesUnder(path.join(repoRoot, 'force-app'), '.cls').length;
        expect(new Set(result.files.filter((f) => f.type === 'ApexClass').map((f) => f.fullName)).size).toBe(
            apexClasses
        );
        expect(result.numberComponentsTotal).toBeGreaterThanOrEqual(apexClasses);
        expect(schemaSize()).toBe(sizeBefore);
    }, 150_000);

    it.each([
        ['the SOAP Metadata API (the default)', {}],
        ['the REST deployRequest', REST_DEPLOY]
    ])(
        'dry-runs the deploy of force-app successfully over %s, and the dry run changes nothing in the org',
        async (_, env) => {
            const schemaSize = () => emulator.org.schema.all().reduce((n, o) => n + 1 + o.fields.length, 0);
            const sizeBefore = schemaSize();
            const endpoint =
                env === REST_DEPLOY
                    ? 'POST /services/data/:version/metadata/deployRequest'
                    : 'POST /services/Soap/m/:version';
            const callsBefore = emulator.org.counters.endpoints[endpoint] ?? 0;
            const run = await dryRun(copyProject(), env);
            const result = deployResult(run);
            const failed = result.files.filter((f) => f.state === 'Failed');
            expect(failed, 'force-app components the emulator rejected').toEqual([]);
            expect(run.exitCode).toBe(0);
            expect(result).toMatchObject({
                status: 'Succeeded',
                success: true,
                checkOnly: true,
                numberComponentErrors: 0
            });
            const apexClasses = filesUnder(path.join(repoRoot, 'force-app'), '.cls').length;
            expect(new Set(result.files.filter((f) => f.type === 'ApexClass').map((f) => f.fullName)).size).toBe(
                apexClasses
            );
            expect(result.numberComponentsTotal).toBeGreaterThanOrEqual(apexClasses);
            expect(schemaSize()).toBe(sizeBefore);
            expect(emulator.org.counters.endpoints[endpoint] ?? 0).toBeGreaterThan(callsBefore);
        },
        150_000
    );

    it('fails the dry run when an Apex class in a copy of force-app has a syntax error, naming file, line and problem', async () => {
        const project = copyProject();
        const classFile = filesUnder(path.join(project, 'force-app'), '.cls')[0];
        if (!classFile) throw new Error('force-app has no Apex class to break');
        const source = readFileSync(classFile, 'utf8');
        const lines = source.endsWith('\n') ? source.split('\n').length : source.split('\n').length + 1;
        writeFileSync(classFile, `${source.endsWith('\n') ? source : `${source}\n`}}\n`);
        const run = await dryRun(project);
        const result = deployResult(run);
        expect(run.exitCode).toBe(1);
        expect(result).toMatchObject({ status: 'Failed', success: false, numberComponentErrors: 1 });
        expect(result.files.filter((f) => f.state === 'Failed')).toEqual([
            expect.objectContaining({
                type: 'ApexClass',
                fullName: path.basename(classFile, '.cls'),
                filePath: classFile,
                lineNumber: lines,
                error: expect.stringMatching(/^Syntax error: extraneous input '}'/)
            })
        ]);
    }, 150_000);

    it('a real deploy (not a dry run) adds its field to the org, so a query that failed on it then succeeds', async () => {
        const project = mkdtempSync(path.join(workDir, 'new-field-'));
        const fieldDir = path.join(project, 'force-app', 'main', 'default', 'objects', 'Account', 'fields');
        cpSync(path.join(repoRoot, 'sfdx-project.json'), path.join(project, 'sfdx-project.json'));
        const projectJson = JSON.parse(readFileSync(path.join(project, 'sfdx-project.json'), 'utf8')) as Record<
            string,
            unknown
        >;
        writeFileSync(
            path.join(project, 'sfdx-project.json'),
            JSON.stringify({ ...projectJson, packageDirectories: [{ path: 'force-app', default: true }] })
        );
        mkdirSync(fieldDir, { recursive: true });
        writeFileSync(
            path.join(fieldDir, 'Emulator_Tier__c.field-meta.xml'),
            '<?xml version="1.0" encoding="UTF-8"?>\n<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">\n' +
                '    <fullName>Emulator_Tier__c</fullName>\n    <label>Tier</label>\n    <length>20</length>\n    <type>Text</type>\n</CustomField>\n'
        );
        const query = ['data', 'query', '--query', 'SELECT Id, Emulator_Tier__c FROM Account', '--target-org', ALIAS];
        const before = await sf(query);
        expect(before.exitCode).not.toBe(0);
        expect(JSON.stringify(before.json)).toContain('INVALID_FIELD');

        const deploy = await sf(
            ['project', 'deploy', 'start', '--source-dir', 'force-app', '--target-org', ALIAS, '--wait', '2'],
            { cwd: project }
        );
        expect(deploy.exitCode, JSON.stringify(deploy.json)).toBe(0);
        expect(deployResult(deploy)).toMatchObject({ status: 'Succeeded', checkOnly: false, numberComponentsTotal: 1 });
        expect(emulator.org.schema.fieldExists('Account', 'Emulator_Tier__c')).toBe(true);

        const after = await sf(query);
        expect(after.exitCode, JSON.stringify(after.json)).toBe(0);
    }, 200_000);

    it('fails the dry run on a field file with an unclosed tag, which the CLI itself converts unchecked', async () => {
        const project = copyProject();
        const fieldFile = filesUnder(path.join(project, 'force-app'), '.field-meta.xml').find((f) => {
            const text = readFileSync(f, 'utf8');
            return text.includes('<label>') && text.indexOf('<label>') < text.indexOf('<type>');
        });
        if (!fieldFile) throw new Error('force-app has no field whose <label> precedes its <type>');
        writeFileSync(fieldFile, readFileSync(fieldFile, 'utf8').replace(/<\/label>/, ''));
        const objectName = path.basename(path.dirname(path.dirname(fieldFile)));
        const fieldName = path.basename(fieldFile, '.field-meta.xml');
        const run = await dryRun(project);
        const result = deployResult(run);
        expect(run.exitCode).toBe(1);
        expect(result.status).toBe('Failed');
        // SDR re-serialises the broken file into objects/<Object>.object with <type> swallowed by <label>:
        // well-formed XML, so the org (and the emulator) rejects the field for what is now missing.
        expect(result.files.filter((f) => f.state === 'Failed')).toEqual([
            expect.objectContaining({
                type: 'CustomField',
                fullName: `${objectName}.${fieldName}`,
                filePath: fieldFile,
                error: expect.stringMatching(new RegExp(`^Field ${fieldName}: type is required`))
            })
        ]);
    }, 150_000);

    it('deploys force-app over the default SOAP path: every Apex class and trigger compiles and is in the org', async () => {
        const project = copyProject();
        const run = await sf(
            ['project', 'deploy', 'start', '--source-dir', 'force-app', '--target-org', ALIAS, '--wait', '5'],
            { cwd: project }
        );
        const result = deployResult(run);
        expect(result.files.filter((f) => f.state === 'Failed')).toEqual([]);
        expect(run.exitCode, JSON.stringify(run.json).slice(0, 2000)).toBe(0);
        expect(result).toMatchObject({ status: 'Succeeded', success: true, checkOnly: false });
        const classes = filesUnder(path.join(project, 'force-app'), '.cls').map((f) => path.basename(f, '.cls'));
        const triggers = filesUnder(path.join(project, 'force-app'), '.trigger').map((f) =>
            path.basename(f, '.trigger')
        );
        const query = await sf([
            'data',
            'query',
            '--use-tooling-api',
            '--query',
            'SELECT Name FROM ApexClass',
            '--target-org',
            ALIAS
        ]);
        expect(query.exitCode, JSON.stringify(query.json)).toBe(0);
        const names = ((query.json.result as { records: { Name: string }[] }).records ?? []).map((r) => r.Name);
        expect(names.sort()).toEqual([...classes].sort());
        expect(
            activeProgram(emulator.org)
                ?.sources()
                .filter((x) => x.kind === 'trigger')
                .map((x) => x.name)
                .sort()
        ).toEqual(triggers.sort());
    }, 200_000);

    it('sf apex run --file prints the debug output of a block that writes, queries and calls the package', async () => {
        const block = path.join(workDir, 'block.apex');
        writeFileSync(
            block,
            [
                "insert new Account(Name = 'Apex Run Test Co');",
                "Integer found = [SELECT COUNT() FROM Account WHERE Name = 'Apex Run Test Co'];",
                "System.debug('accounts found: ' + found);",
                "System.debug(LoggingLevel.WARN, 'field rules: ' + ClmAdminController.getFieldRules().size());"
            ].join('\n')
        );
        const run = await sf(['apex', 'run', '--file', block, '--target-org', ALIAS], { printed: true });
        expect(run.exitCode, run.stderr).toBe(0);
        expect(run.stdout).toContain('Compiled successfully.');
        expect(run.stdout).toContain('Executed successfully.');
        expect(run.stdout).toMatch(/^\d+\.0 APEX_CODE,DEBUG;APEX_PROFILING,INFO$/m);
        expect(run.stdout).toContain("Execute Anonymous: insert new Account(Name = 'Apex Run Test Co');");
        expect(run.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} \(\d+\)\|USER_DEBUG\|\[3\]\|DEBUG\|accounts found: 1$/m);
        expect(run.stdout).toMatch(/\|USER_DEBUG\|\[\d+\]\|WARN\|field rules: [1-9]\d*$/m);

        const failing = path.join(workDir, 'failing.apex');
        writeFileSync(failing, "String s;\nSystem.debug('about to fail');\nInteger n = s.length();\n");
        const failed = await sf(['apex', 'run', '--file', failing, '--target-org', ALIAS], { printed: true });
        expect(failed.exitCode).toBe(1);
        expect(failed.stderr).toContain('System.NullPointerException: Attempt to de-reference a null object');
        const failedJson = await sf(['apex', 'run', '--file', failing, '--target-org', ALIAS]);
        expect(failedJson.json).toMatchObject({
            name: 'executeRuntimeFailure',
            // apex-node passes the SOAP text through, so the line is a string, as against an org.
            data: {
                success: false,
                compiled: true,
                line: '3',
                logs: expect.stringContaining('|USER_DEBUG|[2]|DEBUG|about to fail')
            }
        });
    }, 150_000);

    it('sf apex run test --test-level RunLocalTests --code-coverage --wait 10 passes every package test and prints org-wide coverage', async () => {
        const testMethods = filesUnder(path.join(repoRoot, 'force-app'), '.cls').reduce(
            (n, file) =>
                n +
                (readFileSync(file, 'utf8').match(
                    /@IsTest[^\n]*\n\s*(?:(?:private|public|global|static)\s+)*void\s+\w+\s*\(/gi
                )?.length ?? 0),
            0
        );
        expect(testMethods).toBeGreaterThan(0);
        const started = performance.now();
        const run = await sf([
            'apex',
            'run',
            'test',
            '--test-level',
            'RunLocalTests',
            '--code-coverage',
            '--wait',
            '10',
            '--target-org',
            ALIAS
        ]);
        const seconds = (performance.now() - started) / 1000;
        const result = run.json.result as {
            summary: Record<string, unknown>;
            tests: { FullName: string; Outcome: string; Message: string | null }[];
            coverage: { coverage: { name: string; coveredPercent: number }[] };
        };
        expect(result.tests.filter((t) => t.Outcome !== 'Pass')).toEqual([]);
        expect(run.exitCode).toBe(0);
        expect(result.summary).toMatchObject({ outcome: 'Passed', testsRan: testMethods, failing: 0 });
        const orgWide = Number(String(result.summary.orgWideCoverage).replace('%', ''));
        expect(orgWide).toBeGreaterThanOrEqual(75);
        expect(result.coverage.coverage.map((c) => c.name)).toEqual(
            expect.arrayContaining(['ClmSyncRequestService', 'ClmSyncStatusTrigger'])
        );
        process.stdout.write(
            `sf apex run test: ${testMethods} package tests passed, org-wide coverage ${orgWide}% (${seconds.toFixed(1)} s for the whole command)\n`
        );

        const printed = await sf(
            [
                'apex',
                'run',
                'test',
                '--class-names',
                'ClmErrorsTest',
                '--code-coverage',
                '--wait',
                '10',
                '--target-org',
                ALIAS
            ],
            { printed: true }
        );
        expect(printed.exitCode).toBe(0);
        expect(printed.stdout).toMatch(/Outcome\s+Passed/);
        expect(printed.stdout).toMatch(/Org Wide Coverage\s+\d+%/);
        expect(printed.stdout).toMatch(/ClmErrors\s+\d+%/);
    }, 200_000);

    it('fails the deploy of a copy of force-app with an unknown field, a wrong signature and a type mismatch, printing the three errors with their lines', async () => {
        const project = copyProject();
        const edit = (name: string, from: string, to: string): { file: string; line: number } => {
            const file = filesUnder(path.join(project, 'force-app'), '.cls').find(
                (f) => path.basename(f) === `${name}.cls`
            );
            if (!file) throw new Error(`force-app has no class ${name}`);
            const source = readFileSync(file, 'utf8');
            if (!source.includes(from)) throw new Error(`${name} no longer contains ${from}`);
            const changed = source.replace(from, to);
            writeFileSync(file, changed);
            const marker = to.split('\n').at(-1)!.trim();
            return { file, line: changed.split('\n').findIndex((l) => l.includes(marker)) + 1 };
        };
        const field = edit(
            'ClmTestData',
            "StageName = 'Prospecting',",
            "StageName = 'Prospecting', No_Such_Field__c = 1,"
        );
        const signature = edit(
            'ClmSendController',
            'return new ClmSyncRequestService().preview(recordId);',
            'return new ClmSyncRequestService().preview(recordId, 42);'
        );
        const mismatch = edit(
            'ClmTransformRules',
            'Check result = new Check();',
            "Check result = new Check();\n        Integer broken = 'text';"
        );
        const run = await dryRun(project);
        const failed = deployResult(run).files.filter((f) => f.state === 'Failed');
        expect(run.exitCode).toBe(1);
        expect(failed).toEqual(
            expect.arrayContaining([
                expect.objectContaining({
                    fullName: 'ClmTestData',
                    filePath: field.file,
                    lineNumber: field.line,
                    error: expect.stringMatching(
                        new RegExp(`^Invalid field No_Such_Field__c for Opportunity \\(${field.line}:\\d+\\)$`)
                    )
                }),
                expect.objectContaining({
                    fullName: 'ClmSendController',
                    filePath: signature.file,
                    lineNumber: signature.line,
                    error: expect.stringMatching(
                        /^Method does not exist or incorrect signature: .*preview\(Id, Integer\)/
                    )
                }),
                expect.objectContaining({
                    fullName: 'ClmTransformRules',
                    filePath: mismatch.file,
                    lineNumber: mismatch.line,
                    error: expect.stringMatching(
                        new RegExp(`^Illegal assignment from String to Integer \\(${mismatch.line}:\\d+\\)$`)
                    )
                })
            ])
        );
        expect(failed).toHaveLength(3);
        const printed = await sf(
            [
                'project',
                'deploy',
                'start',
                '--dry-run',
                '--source-dir',
                'force-app',
                '--target-org',
                ALIAS,
                '--wait',
                '2'
            ],
            { cwd: project, printed: true }
        );
        expect(printed.exitCode).toBe(1);
        const screen = printed.stdout + printed.stderr;
        expect(screen).toContain('Invalid field No_Such_Field__c for Opportunity');
        expect(screen).toContain(`(${field.line}:`);
        expect(screen).toContain('Illegal assignment from String to Integer');
        expect(screen).toContain(`(${mismatch.line}:`);
    }, 200_000);
});
