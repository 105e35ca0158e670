// Apex semantics cases (apex/semantics.json, written from the Apex Developer Guide): each an anonymous block and
// the debug output, uncaught exception or compile problem the guide documents, run by the org's own Apex runtime.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { activeProgram, compileApex } from '../src/apex/index.ts';
import type { Org } from '../src/org.ts';
import type { CaseResult } from './runner.ts';

export const APEX_CASES = path.join(path.dirname(new URL(import.meta.url).pathname), 'apex', 'semantics.json');

const apexCaseSchema = z.array(
    z.object({
        name: z.string(),
        source: z.string(),
        code: z.string(),
        debug: z.array(z.string()).optional(),
        exception: z.string().optional(),
        compileProblem: z.string().optional()
    })
);
export type ApexCase = z.infer<typeof apexCaseSchema>[number];

export function readApexCases(): ApexCase[] {
    return apexCaseSchema.parse(JSON.parse(readFileSync(APEX_CASES, 'utf8')));
}

/** The USER_DEBUG messages of a debug log, in order. */
export function debugMessages(log: string): string[] {
    return log
        .split('\n')
        .filter((l) => l.includes('|USER_DEBUG|'))
        .map((l) => l.split('|').slice(4).join('|'));
}

/** Problems of one case run as the org's admin ([] when it gives the documented output). */
export function runApexCase(org: Org, c: ApexCase): string[] {
    const program = activeProgram(org) ?? compileApex(org, []).program!;
    const result = program.executeAnonymous({ userId: org.userIds.admin }, c.code);
    if (c.compileProblem !== undefined) {
        return result.compiled || result.compileProblem !== c.compileProblem
            ? [`compile problem ${result.compileProblem ?? '(none)'}, expected ${c.compileProblem}`]
            : [];
    }
    if (!result.compiled) return [`did not compile: ${result.compileProblem}`];
    if (c.exception !== undefined) {
        return result.success || result.exceptionMessage !== c.exception
            ? [`exception ${result.exceptionMessage ?? '(none)'}, expected ${c.exception}`]
            : [];
    }
    if (!result.success) return [`uncaught ${result.exceptionMessage}`];
    const got = debugMessages(result.debugLog);
    return JSON.stringify(got) === JSON.stringify(c.debug ?? [])
        ? []
        : [`debug ${JSON.stringify(got)}, expected ${JSON.stringify(c.debug ?? [])}`];
}

export function runApexConformance(org: Org): CaseResult[] {
    return readApexCases().map((c, i) => {
        const problems = runApexCase(org, c);
        return {
            file: `apex/semantics.json#${i + 1}`,
            name: c.name,
            outcome: problems.length === 0 ? 'passed' : 'failed',
            problems
        };
    });
}
