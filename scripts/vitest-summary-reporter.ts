// Prints one plain closing line, "N passed, N failed, N skipped", after vitest's own summary,
// so CI reads the same figures whatever reporter a developer uses locally. A run with CLM_TEST_RUN_LABEL set
// (CI's run under a shifted calendar) says which run it was: "shifted: N passed, N failed, N skipped".
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
    onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
        let passed = 0;
        let failed = 0;
        let skipped = 0;
        for (const module of testModules) {
            if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed += 1;
            for (const test of module.children.allTests()) {
                const state = test.result().state;
                if (state === 'passed') passed += 1;
                else if (state === 'failed') failed += 1;
                else skipped += 1;
            }
        }
        failed += unhandledErrors.length;
        const label = /^[a-z-]+$/.test(process.env.CLM_TEST_RUN_LABEL ?? '')
            ? `${process.env.CLM_TEST_RUN_LABEL}: `
            : '';
        process.stdout.write(`\n${label}${passed} passed, ${failed} failed, ${skipped} skipped\n`);
    }
}
