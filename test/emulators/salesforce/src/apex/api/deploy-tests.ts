// The tests a metadata deploy runs (Metadata API DeployOptions.testLevel / runTests), on the program the deploy
// compiled, before anything is committed: a failing test fails the deploy; in a production org the deploy also
// needs 75 % org-wide coverage and some coverage of every trigger (Apex Developer Guide, "Deploying Apex";
// sandboxes, scratch and Developer Edition orgs run the tests asked for but do not enforce coverage). With no
// testLevel, a production deploy that contains Apex runs the local tests, anything else runs none.
import type { Org } from '../../org.ts';
import type { DeployOptions } from '../../metadata/request.ts';
import type { ApexClassCoverage, ApexProgram, ApexTestRequest } from '../index.ts';

export interface DeployTestOutcome {
    /** DeployDetails.runTestResult. */
    runTestResult: Record<string, unknown>;
    numberTestsTotal: number;
    numberTestErrors: number;
    /** Why the deploy fails because of its tests (failures or coverage), or null. */
    failure: string | null;
}

/** Production: not a sandbox and not a Developer Edition / scratch org (the Organization row says which). */
export function isProduction(org: Org): boolean {
    const organization = org.store.rows('Organization')[0];
    const type = String(organization?.OrganizationType ?? '');
    return organization?.IsSandbox !== true && type !== 'Developer Edition' && !/scratch/i.test(type);
}

function testsToRun(
    org: Org,
    program: ApexProgram,
    options: DeployOptions,
    deploysApex: boolean
): ApexTestRequest | undefined {
    const level = options.testLevel ?? (options.runAllTests ? 'RunAllTestsInOrg' : undefined);
    if (level === 'RunSpecifiedTests') {
        const methods = new Map<string, string[]>();
        const classNames: string[] = [];
        for (const entry of options.runTests) {
            const [cls = '', method] = entry.split('.');
            if (method) methods.set(cls, [...(methods.get(cls) ?? []), method]);
            else classNames.push(cls);
        }
        return {
            classNames,
            methods: [...methods].map(([className, methodNames]) => ({ className, methodNames }))
        };
    }
    if (level === 'RunLocalTests' || level === 'RunAllTestsInOrg') return { classNames: program.testClassNames() };
    if (level === undefined && deploysApex && isProduction(org)) return { classNames: program.testClassNames() };
    return undefined;
}

function coverageResult(c: ApexClassCoverage, idOf: (kind: 'class' | 'trigger', name: string) => string | null) {
    return {
        id: idOf(c.kind, c.name),
        locationsNotCovered: c.uncoveredLines.map((line) => ({ column: 0, line, numExecutions: 0, time: -1 })),
        name: c.name,
        namespace: null,
        numLocations: c.coveredLines.length + c.uncoveredLines.length,
        numLocationsNotCovered: c.uncoveredLines.length,
        type: c.kind === 'class' ? 'Class' : 'Trigger'
    };
}

/** Runs the deploy's tests as `userId`; undefined when the deploy runs none. */
export async function runDeployTests(
    org: Org,
    program: ApexProgram,
    options: DeployOptions,
    deploysApex: boolean,
    userId: string,
    idOf: (kind: 'class' | 'trigger', name: string) => string | null
): Promise<DeployTestOutcome | undefined> {
    const request = testsToRun(org, program, options, deploysApex);
    if (!request) return undefined;
    const known = new Set(program.testClassNames().map((n) => n.toLowerCase()));
    const unknown = [...(request.classNames ?? []), ...(request.methods ?? []).map((m) => m.className)].filter(
        (n) => !known.has(n.toLowerCase())
    );
    const started = Date.now();
    const run = unknown.length > 0 ? { methods: [], coverage: [] } : await program.runTests({ userId }, request);
    const entry = (r: (typeof run.methods)[number]) => ({
        id: idOf('class', r.className),
        methodName: r.methodName,
        name: r.className,
        namespace: null,
        seeAllData: false,
        time: Math.round(r.runTimeMs)
    });
    const failures = run.methods.filter((r) => r.outcome === 'Fail' || r.outcome === 'CompileFail');
    const warnings: { id: string | null; message: string; name: string | null; namespace: null }[] = [];
    let failure: string | null = null;
    if (unknown.length > 0) failure = `No test class named ${unknown.join(', ')} in the org or the deploy`;
    else if (failures.length > 0) failure = `${failures.length} of ${run.methods.length} Apex tests failed`;
    if (isProduction(org) && unknown.length === 0) {
        let total = 0;
        let covered = 0;
        for (const c of run.coverage) {
            total += c.coveredLines.length + c.uncoveredLines.length;
            covered += c.coveredLines.length;
            if (c.kind === 'trigger' && c.coveredLines.length === 0) {
                warnings.push({
                    id: idOf('trigger', c.name),
                    message: 'Test coverage of selected Apex Trigger is 0%, at least 1% test coverage is required',
                    name: c.name,
                    namespace: null
                });
            }
        }
        const percent = total === 0 ? 100 : Math.floor((covered / total) * 100);
        if (percent < 75) {
            warnings.push({
                id: null,
                message: `Average test coverage across all Apex Classes and Triggers is ${percent}%, at least 75% test coverage is required.`,
                name: null,
                namespace: null
            });
        }
        if (warnings.length > 0) failure ??= warnings.map((w) => w.message).join('; ');
    }
    return {
        runTestResult: {
            codeCoverage: run.coverage.map((c) => coverageResult(c, idOf)),
            codeCoverageWarnings: warnings,
            failures: failures.map((r) => ({
                ...entry(r),
                message: r.message ?? '',
                stackTrace: r.stackTrace ?? '',
                type: 'Class'
            })),
            numFailures: failures.length,
            numTestsRun: run.methods.length,
            successes: run.methods.filter((r) => r.outcome === 'Pass').map(entry),
            totalTime: Date.now() - started
        },
        numberTestsTotal: run.methods.length,
        numberTestErrors: failures.length,
        failure
    };
}
