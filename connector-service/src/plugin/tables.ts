/** Table layouts shared by the commands (the human output; `--json` prints the result instead). */
import type { RuleProblemResult } from './results.ts';

export function problemTable(problems: readonly RuleProblemResult[]) {
    return {
        title: 'Rule problems',
        data: problems.map((p) => ({ rule: p.rule, code: p.code, field: p.field ?? '', problem: p.message })),
        columns: [
            { key: 'rule' as const, name: 'Rule' },
            { key: 'code' as const, name: 'Code' },
            { key: 'field' as const, name: 'Field' },
            { key: 'problem' as const, name: 'Problem' }
        ],
        overflow: 'wrap' as const
    };
}
