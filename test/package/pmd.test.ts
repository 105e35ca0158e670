// PMD (bundled with @salesforce/code-analyzer-pmd-engine, run through @salesforce/code-analyzer-core) over
// the package with the Recommended and Security rules: no severity 1 or 2 finding at all, and every other
// finding explained in pmd-explanations.yaml (which may hold no stale entry). PMD needs Java.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import * as pmdEngine from '@salesforce/code-analyzer-pmd-engine';
import { commandRequirement, requireOrSkip } from '../support/requirements.ts';
import { Explanations, runAnalyzer, staleExplanations, unexplained, type Finding } from './analyzerFindings.ts';

const javaPresent = requireOrSkip(
    commandRequirement('java', 'install Java 17 (apt-get install -y openjdk-17-jre-headless)')
);

/** Runs PMD over the given folders (relative to the repository, or absolute) and returns its findings. */
export function runPmd(folders: string[]): Promise<Finding[]> {
    return runAnalyzer(pmdEngine.createEnginePlugin(), ['pmd:Recommended', 'pmd:Security'], folders);
}

const explanations = Explanations.parse(
    parse(readFileSync(path.join(import.meta.dirname, 'pmd-explanations.yaml'), 'utf8'))
);

describe.runIf(javaPresent)('PMD over the package', () => {
    let findings: Finding[] = [];
    beforeAll(async () => {
        findings = await runPmd(['force-app', 'force-app-cpq']);
    }, 180_000);

    it('finds no severity 1 or 2 violation', () => {
        expect(
            findings.filter((finding) => finding.severity <= 2).map((f) => `${f.file}:${f.line} ${f.rule} ${f.message}`)
        ).toEqual([]);
    });

    it('has an explanation for every remaining finding', () => {
        expect(unexplained(findings, explanations)).toEqual([]);
    });

    it('keeps no stale explanation', () => {
        expect(staleExplanations(findings, explanations)).toEqual([]);
    });

    it('reports a SOQL query in a loop and a missing sharing declaration in code it is shown', async () => {
        // The analyzer really runs the rules: a deliberately bad class in a scratch folder is caught.
        const scratch = mkdtempSync(path.join(os.tmpdir(), 'clm-pmd-'));
        try {
            mkdirSync(path.join(scratch, 'classes'));
            writeFileSync(
                path.join(scratch, 'classes', 'Bad.cls'),
                'public class Bad { public static void run(List<Id> ids) { for (Id i : ids) { Account a = [SELECT Id FROM Account WHERE Id = :i]; delete a; } } }'
            );
            const bad = await runPmd([scratch]);
            const rules = new Set(bad.map((finding) => finding.rule));
            expect(rules.has('OperationWithLimitsInLoop')).toBe(true);
            expect(rules.has('ApexSharingViolations')).toBe(true);
            expect(bad.some((finding) => finding.rule === 'ApexCRUDViolation' && finding.severity <= 2)).toBe(true);
        } finally {
            rmSync(scratch, { recursive: true, force: true });
        }
    }, 180_000);
});
