// Apex tests over the Tooling REST API, as `sf apex run test` (apex-node) drives them:
//   POST tooling/runTestsAsynchronous → the AsyncApexJob id; the run then proceeds after the reply, writing
//        ApexTestRunResult, ApexTestQueueItem (one per class) and ApexTestResult (one per method) as it goes,
//        which the client polls over tooling/query until the run result is Completed;
//   POST tooling/runTestsSynchronous → the RunTestsResult of one class, at once;
//   GET  tooling/query → those objects plus ApexClass/ApexTrigger and coverage (see tooling-objects.ts).
// Tests run as the calling user on the org's active program, each method in its own rolled-back transaction.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Services } from '../../context.ts';
import { SfError } from '../../errors.ts';
import type { Org } from '../../org.ts';
import { activeProgram, type ApexProgram, type ApexTestMethodResult, type ApexTestRequest } from '../index.ts';
import { canAuthorApex } from './anonymous.ts';
import { ApexToolingStore } from './tooling-objects.ts';

const TestItemSchema = z
    .object({
        className: z.string().min(1).optional(),
        classId: z.string().min(1).optional(),
        namespace: z.string().optional(),
        testMethods: z.array(z.string().min(1)).optional()
    })
    .refine((t) => t.className !== undefined || t.classId !== undefined, {
        message: 'each tests entry needs className or classId'
    });

/** The documented request body of runTestsAsynchronous / runTestsSynchronous. */
const RunTestsSchema = z.object({
    classids: z.string().optional(),
    classNames: z.string().optional(),
    suiteids: z.string().optional(),
    suiteNames: z.string().optional(),
    tests: z.array(TestItemSchema).optional(),
    testLevel: z.enum(['RunSpecifiedTests', 'RunLocalTests', 'RunAllTestsInOrg']).optional(),
    maxFailedTests: z.number().int().optional(),
    skipCodeCoverage: z.boolean().optional(),
    category: z.array(z.string()).optional()
});
type RunTestsBody = z.infer<typeof RunTestsSchema>;

const split = (list: string | undefined) =>
    (list ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

function invalid(message: string, field: string): SfError {
    return new SfError(400, 'INVALID_INPUT', message, [field]);
}

/** The classes (and methods) a request names, checked against the program's test classes. */
function resolveRequest(
    program: ApexProgram,
    tooling: ApexToolingStore,
    body: RunTestsBody
): { request: ApexTestRequest; classes: string[] } {
    if (body.suiteids || body.suiteNames) {
        throw invalid(
            'Test suites are not supported by the org emulator: name the classes or a test level',
            'suiteNames'
        );
    }
    if (body.category && body.category.some((c) => c.toLowerCase() !== 'apex')) {
        throw invalid('Only Apex tests run in the org emulator (no Flow tests)', 'category');
    }
    const testClasses = program.testClassNames();
    const byLowerName = new Map(testClasses.map((n) => [n.toLowerCase(), n]));
    const nameOfId = (id: string): string => {
        const row =
            tooling.store.get('ApexClass', id) ??
            tooling.store.rows('ApexClass').find((r) => String(r.Id).startsWith(id));
        if (!row) throw invalid(`No Apex class with id ${id}`, 'classids');
        return String(row.Name);
    };
    const testClass = (name: string, field: string): string => {
        const found = byLowerName.get(name.toLowerCase());
        if (found) return found;
        if (program.classNames().some((n) => n.toLowerCase() === name.toLowerCase())) {
            throw invalid(`${name} is not a test class (no @IsTest methods)`, field);
        }
        throw invalid(`No Apex class named ${name}`, field);
    };
    const methods: { className: string; methodNames: string[] }[] = [];
    const classNames: string[] = [];
    for (const item of body.tests ?? []) {
        const name = testClass(item.className ?? nameOfId(item.classId ?? ''), 'tests');
        if (item.testMethods && item.testMethods.length > 0)
            methods.push({ className: name, methodNames: item.testMethods });
        else classNames.push(name);
    }
    for (const name of split(body.classNames)) classNames.push(testClass(name, 'classNames'));
    for (const id of split(body.classids)) classNames.push(testClass(nameOfId(id), 'classids'));
    if (methods.length === 0 && classNames.length === 0) {
        if (body.testLevel === 'RunLocalTests' || body.testLevel === 'RunAllTestsInOrg') {
            return { request: { classNames: testClasses }, classes: testClasses };
        }
        throw invalid('Name the tests to run (tests, classNames or classids) or a test level', 'tests');
    }
    const classes = [...new Set([...classNames, ...methods.map((m) => m.className)])];
    return {
        request: { ...(classNames.length ? { classNames } : {}), ...(methods.length ? { methods } : {}) },
        classes
    };
}

export class ApexTestRuns {
    readonly tooling: ApexToolingStore;
    private readonly runs = new Map<string, Promise<void>>();

    constructor(
        private readonly org: Org,
        s: Services
    ) {
        this.tooling = new ApexToolingStore(org, s.data);
    }

    program(): ApexProgram {
        const program = activeProgram(this.org);
        if (!program) throw invalid('The org has no Apex classes: deploy some before running tests', 'tests');
        this.tooling.syncComponents(program);
        return program;
    }

    /** Starts an asynchronous run; resolves at once with the AsyncApexJob id. */
    startAsync(userId: string, body: RunTestsBody): string {
        const program = this.program();
        const { request, classes } = resolveRequest(program, this.tooling, body);
        const jobId = this.tooling.ids.next('707');
        const runResult = this.tooling.insert('ApexTestRunResult', {
            AsyncApexJobId: jobId,
            Status: 'Queued',
            ClassesCompleted: 0,
            ClassesEnqueued: classes.length,
            MethodsCompleted: 0,
            MethodsEnqueued: 0,
            MethodsFailed: 0,
            StartTime: this.tooling.now(),
            TestTime: 0,
            TestSetupTime: 0,
            UserId: userId,
            JobName: null,
            IsAllTests: body.testLevel === 'RunAllTestsInOrg' || body.testLevel === 'RunLocalTests',
            Source: 'Tooling'
        });
        const queueItems = new Map<string, string>();
        for (const name of classes) {
            const item = this.tooling.insert('ApexTestQueueItem', {
                ApexClassId: this.tooling.idOf('class', name) ?? null,
                Status: 'Queued',
                ExtendedStatus: null,
                ParentJobId: jobId,
                TestRunResultId: String(runResult.Id),
                ShouldSkipCodeCoverage: body.skipCodeCoverage === true
            });
            queueItems.set(name.toLowerCase(), String(item.Id));
        }
        const run = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
            this.execute(program, userId, request, body, jobId, String(runResult.Id), queueItems)
        );
        this.runs.set(jobId, run);
        return jobId;
    }

    /** Resolves when the run has finished (tests that need the outcome without polling). */
    async whenDone(jobId: string): Promise<void> {
        await this.runs.get(jobId);
    }

    private async execute(
        program: ApexProgram,
        userId: string,
        request: ApexTestRequest,
        body: RunTestsBody,
        jobId: string,
        runResultId: string,
        queueItems: Map<string, string>
    ): Promise<void> {
        const started = Date.now();
        const { tooling } = this;
        tooling.update('ApexTestRunResult', runResultId, { Status: 'Processing' });
        let completed = 0;
        let failed = 0;
        const perClass = new Map<string, { done: number; failed: number }>();
        const onProgress = (r: ApexTestMethodResult) => {
            const itemId = queueItems.get(r.className.toLowerCase()) ?? null;
            if (itemId) tooling.update('ApexTestQueueItem', itemId, { Status: 'Processing' });
            tooling.insert('ApexTestResult', {
                ApexClassId: tooling.idOf('class', r.className) ?? null,
                QueueItemId: itemId,
                AsyncApexJobId: jobId,
                ApexTestRunResultId: runResultId,
                ApexLogId: null,
                MethodName: r.methodName,
                Outcome: r.outcome,
                Message: r.message,
                StackTrace: r.stackTrace,
                RunTime: Math.round(r.runTimeMs),
                TestTimestamp: tooling.now(),
                IsTestSetup: false
            });
            completed += 1;
            if (r.outcome === 'Fail' || r.outcome === 'CompileFail') failed += 1;
            const counts = perClass.get(r.className.toLowerCase()) ?? { done: 0, failed: 0 };
            counts.done += 1;
            if (r.outcome !== 'Pass' && r.outcome !== 'Skip') counts.failed += 1;
            perClass.set(r.className.toLowerCase(), counts);
            tooling.update('ApexTestRunResult', runResultId, { MethodsCompleted: completed, MethodsFailed: failed });
        };
        let outcome: 'Completed' | 'Failed' = 'Completed';
        try {
            const run = await program.runTests({ userId }, request, onProgress);
            if (body.skipCodeCoverage !== true) tooling.recordCoverage(run.coverage);
        } catch (error) {
            outcome = 'Failed';
            process.stderr.write(
                `[salesforce-emulator] Apex test run ${jobId} failed: ${error instanceof Error ? error.message : String(error)}\n`
            );
        }
        for (const [name, itemId] of queueItems) {
            const counts = perClass.get(name) ?? { done: 0, failed: 0 };
            tooling.update('ApexTestQueueItem', itemId, {
                Status: outcome === 'Failed' ? 'Failed' : 'Completed',
                ExtendedStatus: `(${counts.done - counts.failed}/${counts.done})`
            });
        }
        tooling.update('ApexTestRunResult', runResultId, {
            Status: outcome,
            ClassesCompleted: queueItems.size,
            MethodsEnqueued: completed,
            EndTime: tooling.now(),
            TestTime: Date.now() - started
        });
    }

    /** runTestsSynchronous: one class, answered with the RunTestsResult. */
    async runSync(userId: string, body: RunTestsBody): Promise<Record<string, unknown>> {
        const program = this.program();
        const { request, classes } = resolveRequest(program, this.tooling, body);
        if (classes.length !== 1) {
            throw invalid(
                'runTestsSynchronous runs the tests of one class; use runTestsAsynchronous for more',
                'tests'
            );
        }
        const started = Date.now();
        const run = await program.runTests({ userId }, request);
        if (body.skipCodeCoverage !== true) this.tooling.recordCoverage(run.coverage);
        const entry = (r: ApexTestMethodResult) => ({
            id: this.tooling.idOf('class', r.className) ?? null,
            methodName: r.methodName,
            name: r.className,
            namespace: null,
            seeAllData: false,
            time: Math.round(r.runTimeMs)
        });
        const failures = run.methods.filter((r) => r.outcome === 'Fail' || r.outcome === 'CompileFail');
        return {
            apexLogId: null,
            codeCoverage:
                body.skipCodeCoverage === true
                    ? []
                    : run.coverage.map((c) => ({
                          id: this.tooling.idOf(c.kind, c.name) ?? null,
                          locationsNotCovered: c.uncoveredLines.map((line) => ({
                              column: 0,
                              line,
                              numExecutions: 0,
                              time: -1
                          })),
                          name: c.name,
                          namespace: null,
                          numLocations: c.coveredLines.length + c.uncoveredLines.length,
                          numLocationsNotCovered: c.uncoveredLines.length,
                          type: c.kind === 'class' ? 'Class' : 'Trigger'
                      })),
            codeCoverageWarnings: [],
            failures: failures.map((r) => ({
                ...entry(r),
                message: r.message ?? '',
                stackTrace: r.stackTrace ?? '',
                type: 'Class'
            })),
            flowCoverage: [],
            flowCoverageWarnings: [],
            numFailures: failures.length,
            numTestsRun: run.methods.length,
            successes: run.methods.filter((r) => r.outcome === 'Pass').map(entry),
            totalTime: Date.now() - started
        };
    }
}

type ToolingReq = FastifyRequest<{ Params: { version: string }; Querystring: { q?: string } }>;

export function registerApexTestRoutes(app: FastifyInstance, s: Services): ApexTestRuns {
    const runs = new ApexTestRuns(s.org, s);
    const authorised = (request: FastifyRequest): string => {
        const { userId } = s.auth(request);
        if (!canAuthorApex(s.org, userId)) {
            throw new SfError(
                403,
                'INSUFFICIENT_ACCESS',
                'User does not have the Author Apex / View Setup permission the Tooling API needs'
            );
        }
        return userId;
    };

    app.post('/services/data/:version/tooling/runTestsAsynchronous', async (request: ToolingReq) => {
        Services.version(request.params.version);
        const userId = authorised(request);
        return runs.startAsync(userId, RunTestsSchema.parse(request.body ?? {}));
    });

    app.post('/services/data/:version/tooling/runTestsSynchronous', async (request: ToolingReq) => {
        Services.version(request.params.version);
        const userId = authorised(request);
        return runs.runSync(userId, RunTestsSchema.parse(request.body ?? {}));
    });

    app.get('/services/data/:version/tooling/query', async (request: ToolingReq) => {
        const version = Services.version(request.params.version);
        authorised(request);
        const soql = request.query.q;
        if (!soql) throw new SfError(400, 'MALFORMED_QUERY', 'A query string (q) is required', ['q']);
        runs.tooling.syncComponents(activeProgram(s.org));
        if ((request.query as Record<string, string | undefined>).columns === 'true') return runs.tooling.columns(soql);
        const result = runs.tooling.query(soql, version);
        return {
            size: result.totalSize,
            totalSize: result.totalSize,
            done: true,
            queryLocator: null,
            entityTypeName: /\bfrom\s+(\w+)/i.exec(soql)?.[1] ?? null,
            records: result.records
        };
    });
    return runs;
}
