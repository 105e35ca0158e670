// The set-up every command unit test shares: @salesforce/core's TestContext (with stubbed auth for a mock org),
// the sf-plugins-core UX stubs to read tables and warnings from, and the plugin's oclif config.
import path from 'node:path';
import { Config } from '@oclif/core';
import { MockTestOrgData, TestContext } from '@salesforce/core/testSetup';
import { stubSfCommandUx } from '@salesforce/sf-plugins-core';
import { afterEach, beforeAll, beforeEach } from 'vitest';

export const PLUGIN_ROOT = path.resolve(import.meta.dirname, '../../..');

export interface CommandContext {
    $$: TestContext;
    testOrg: MockTestOrgData;
    /** Set in beforeAll / beforeEach; read them inside tests. */
    config: Config;
    ux: ReturnType<typeof stubSfCommandUx>;
}

/** Registers the hooks in the calling describe block; the exit code a command set is cleared after each test. */
export function useCommandContext(): CommandContext {
    const context = { $$: new TestContext({ setup: false }), testOrg: new MockTestOrgData() } as CommandContext;
    beforeAll(async () => {
        context.config = await Config.load(PLUGIN_ROOT);
    });
    beforeEach(async () => {
        context.$$.init();
        context.ux = stubSfCommandUx(context.$$.SANDBOX);
        await context.$$.stubAuths(context.testOrg);
    });
    afterEach(() => {
        context.$$.restore();
        process.exitCode = undefined;
    });
    return context;
}
