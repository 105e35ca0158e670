// What the code analyzer suites (pmd.test.ts, sfge.test.ts) share: a finding as they report it, and how an entry of
// their explanations file (rule + file globs + why) covers one.
import { z } from 'zod';

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
