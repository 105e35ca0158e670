// What the code analyzer suites (pmd.test.ts, sfge.test.ts) share: a finding as they report it, and how an entry of
// their explanations file (rule + file globs + why) covers one.
import path from 'node:path';
import { z } from 'zod';
import { CodeAnalyzer, CodeAnalyzerConfig } from '@salesforce/code-analyzer-core';
import { repoRoot } from '../support/requirements.ts';

export const Explanations = z.array(
    z.object({ rule: z.string().min(1), files: z.array(z.string().min(1)).min(1), why: z.string().min(20) })
);
export type Explanation = z.infer<typeof Explanations>[number];

export interface Finding {
    rule: string;
    severity: number;
    file: string;
    line: number;
    message: string;
}

function globToRegExp(glob: string): RegExp {
    const escaped = glob
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*/g, '\0')
        .replace(/\*/g, '[^/]*')
        .replace(/\0/g, '.*');
    return new RegExp(`^${escaped}$`);
}

export function explains(explanation: Explanation, finding: Finding): boolean {
    return explanation.rule === finding.rule && explanation.files.some((glob) => globToRegExp(glob).test(finding.file));
}

/** Runs the rules `selectors` pick from one engine plugin over the folders (relative to the repository, or absolute). */
export async function runAnalyzer(
    plugin: Parameters<CodeAnalyzer['addEnginePlugin']>[0],
    selectors: string[],
    folders: string[]
): Promise<Finding[]> {
    const analyzer = new CodeAnalyzer(CodeAnalyzerConfig.fromObject({ log_level: 'error' }));
    await analyzer.addEnginePlugin(plugin);
    const workspace = await analyzer.createWorkspace(folders.map((folder) => path.resolve(repoRoot, folder)));
    const rules = await analyzer.selectRules(selectors, { workspace });
    const results = await analyzer.run(rules, { workspace });
    return results.getViolations().map((violation) => {
        const location = violation.getCodeLocations()[violation.getPrimaryLocationIndex()];
        return {
            rule: violation.getRule().getName(),
            severity: violation.getRule().getSeverityLevel(),
            file: path.relative(repoRoot, location?.getFile() ?? ''),
            line: location?.getStartLine() ?? 0,
            message: violation.getMessage()
        };
    });
}

/** Findings no explanation covers, one line each. */
export function unexplained(findings: readonly Finding[], explanations: readonly Explanation[]): string[] {
    return findings
        .filter((finding) => !explanations.some((explanation) => explains(explanation, finding)))
        .map((f) => `${f.file}:${f.line} ${f.rule} (severity ${f.severity}) ${f.message}`);
}

/** Explanation globs that no finding needs any more. */
export function staleExplanations(findings: readonly Finding[], explanations: readonly Explanation[]): string[] {
    return explanations.flatMap((explanation) =>
        explanation.files
            .filter((glob) => !findings.some((finding) => explains({ ...explanation, files: [glob] }, finding)))
            .map((glob) => `${explanation.rule} ${glob}`)
    );
}
