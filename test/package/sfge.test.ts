// Salesforce Graph Engine (@salesforce/code-analyzer-sfge-engine, run through @salesforce/code-analyzer-core like
// PMD in pmd.test.ts) over the package: its data-flow rules (ApexFlsViolation above all: a read or write reachable
// from an entry point — an @AuraEnabled method, a trigger, a REST resource — without a CRUD/FLS check on its path)
// find nothing, or each finding is explained in sfge-explanations.yaml (which may hold no stale entry). A
// deliberately bad class in a scratch folder proves the engine really runs its paths. Graph Engine needs Java.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import * as sfgeEngine from '@salesforce/code-analyzer-sfge-engine';
import { commandRequirement, requireOrSkip } from '../support/requirements.ts';
import { Explanations, runAnalyzer, staleExplanations, unexplained, type Finding } from './analyzerFindings.ts';

const javaPresent = requireOrSkip(
    commandRequirement('java', 'install Java 17 (apt-get install -y openjdk-17-jre-headless)')
);

/** Runs every Graph Engine rule over the given folders and returns its findings. */
function runSfge(folders: string[]): Promise<Finding[]> {
    return runAnalyzer(sfgeEngine.createEnginePlugin(), ['sfge'], folders);
}

const explanations = Explanations.parse(
    parse(readFileSync(path.join(import.meta.dirname, 'sfge-explanations.yaml'), 'utf8')) ?? []
);

describe.runIf(javaPresent)('Salesforce Graph Engine over the package', () => {
    let findings: Finding[] = [];
    beforeAll(async () => {
        findings = await runSfge(['force-app']);
    }, 600_000);

    it('has no finding that is not explained', () => {
        expect(unexplained(findings, explanations)).toEqual([]);
    });

    it('keeps no stale explanation', () => {
        expect(staleExplanations(findings, explanations)).toEqual([]);
    });

    it('reports an unchecked read reachable from an @AuraEnabled method in code it is shown', async () => {
        const scratch = mkdtempSync(path.join(os.tmpdir(), 'clm-sfge-'));
        try {
            mkdirSync(path.join(scratch, 'classes'));
            writeFileSync(
                path.join(scratch, 'classes', 'Leaky.cls'),
                'public with sharing class Leaky { @AuraEnabled public static List<Account> names() { return [SELECT Id, Name FROM Account]; } }'
            );
            const bad = await runSfge([scratch]);
            expect(bad.map((finding) => finding.rule)).toContain('ApexFlsViolation');
        } finally {
            rmSync(scratch, { recursive: true, force: true });
        }
    }, 600_000);
});
