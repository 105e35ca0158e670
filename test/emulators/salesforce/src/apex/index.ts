// The org's Apex runtime: the contract the deploy, the SOAP/Tooling surfaces (src/apex/api/) and the preview build
// on. compileApex checks a whole set of classes and triggers against the org's schema and yields a program;
// the org runs the program of its last successful deploy (activeProgram).
import type { Org } from '../org.ts';
import { compileProgram } from './compiler.ts';

/** One class or trigger as deployed: its name, its file (for component failures) and its source text. */
export interface ApexSource {
    name: string;
    kind: 'class' | 'trigger';
    fileName: string;
    body: string;
}

/** A compile error, in the terms of the Metadata API's component failure. */
export interface ApexCompileProblem {
    componentName: string;
    componentType: 'ApexClass' | 'ApexTrigger';
    fileName: string;
    line: number;
    column: number;
    problem: string;
}

export interface ApexCompileResult {
    problems: ApexCompileProblem[];
    /** Present when there are no problems. */
    program?: ApexProgram;
}

/** The user a piece of Apex runs as (the session's user; the Automated Process user for event triggers). */
export interface ApexRunAs {
    userId: string;
}

/** executeAnonymous's result, as the SOAP Apex API and the Tooling REST resource return it. */
export interface AnonymousResult {
    compiled: boolean;
    compileProblem: string | null;
    /** Of the compile problem or the uncaught exception; -1 when there is none. */
    line: number;
    column: number;
    success: boolean;
    exceptionMessage: string | null;
    exceptionStackTrace: string | null;
    /** The debug log of the run, in the org's log line format. */
    debugLog: string;
}

export interface ApexTestMethodResult {
    className: string;
    methodName: string;
    outcome: 'Pass' | 'Fail' | 'CompileFail' | 'Skip';
    message: string | null;
    stackTrace: string | null;
    runTimeMs: number;
}

export interface ApexClassCoverage {
    name: string;
    kind: 'class' | 'trigger';
    coveredLines: number[];
    uncoveredLines: number[];
}

export interface ApexTestRun {
    methods: ApexTestMethodResult[];
    coverage: ApexClassCoverage[];
}

export interface AuraError {
    message: string;
    exceptionType: string;
    stackTrace?: string;
    statusCode?: number;
}

export type AuraResult = { ok: true; value: unknown } | { ok: false; error: AuraError };

export interface ApexTestRequest {
    /** Every method of these test classes. */
    classNames?: string[];
    /** These methods only. With neither, every test class of the program runs. */
    methods?: { className: string; methodNames: string[] }[];
}

export interface ApexProgram {
    /** Every top-level class name, as declared. */
    classNames(): string[];
    /** The classes annotated @IsTest that declare test methods. */
    testClassNames(): string[];
    /** The sources the program was compiled from (for ApexClass/ApexTrigger rows and coverage line counts). */
    sources(): ApexSource[];
    executeAnonymous(runAs: ApexRunAs, code: string): AnonymousResult;
    /** Calls an @AuraEnabled static method; params by parameter name, as the LWC sends them (JSON values). */
    invokeAura(runAs: ApexRunAs, className: string, methodName: string, params: Record<string, unknown>): AuraResult;
    /** Each method in its own rolled-back transaction over an isolated copy of the data; the org is unchanged. */
    runTests(
        runAs: ApexRunAs,
        request: ApexTestRequest,
        onProgress?: (r: ApexTestMethodResult) => void
    ): Promise<ApexTestRun>;
}

const programs = new WeakMap<Org, ApexProgram>();
const deferred = new WeakMap<Org, () => void>();

/** The program the org runs now (the last successful deploy's), or undefined when no Apex is deployed. */
export function activeProgram(org: Org): ApexProgram | undefined {
    deferred.get(org)?.();
    return programs.get(org);
}

/** Makes `program` the one the org runs (deploy success, or metadataDirs at start). */
export function installProgram(org: Org, program: ApexProgram | undefined): void {
    deferred.delete(org);
    if (program) programs.set(org, program);
    else programs.delete(org);
}

/** A program compiled on first need (the org's start does not wait for the parser); `load` installs it. */
export function deferProgram(org: Org, load: () => void): void {
    deferred.set(org, load);
}

/** Compiles `sources` as one unit against the org's schema; no side effects on the org. */
export function compileApex(org: Org, sources: ApexSource[]): ApexCompileResult {
    return compileProgram(org, sources);
}
