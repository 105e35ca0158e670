// Placeholder until the interpreter lands: every Apex set fails to compile, loudly.
import type { Org } from '../org.ts';
import type { ApexCompileResult, ApexSource } from './index.ts';

export function compileProgram(_org: Org, sources: ApexSource[]): ApexCompileResult {
    return {
        problems: sources.map((s) => ({
            componentName: s.name,
            componentType: s.kind === 'class' ? 'ApexClass' : 'ApexTrigger',
            fileName: s.fileName,
            line: 1,
            column: 1,
            problem: 'not supported by the org emulator: Apex execution at 1:1'
        }))
    };
}
