import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/requirements.ts';

describe('npm run plan:sample', () => {
    it('loads the default rules and prints the writes, echoes, duplicates and conflict it plans', () => {
        const output = execFileSync(
            process.execPath,
            [path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), 'scripts/plan-sample.ts'],
            {
                cwd: repoRoot,
                encoding: 'utf8',
                timeout: 60_000
            }
        );
        expect(output).toContain('19 default field rules loaded and validated');
        expect(output).toMatch(/write → Salesforce Contract: .*"CLM_Lifecycle__c":"OutForSignature"/);
        expect(output).toContain('echo      Opportunity_Lifecycle');
        expect(output).toContain('stale     Contract_Lifecycle');
        expect(output).toContain('notOwned  Contract_Value');
        expect(output).toContain('CONFLICT Contract_Special_Terms');
        expect(output.trim().split('\n').at(-1)).toBe(
            'Planned 5 writes; recognised 11 echoes and 4 duplicate deliveries; recorded 1 changes to fields the source does not own; queued 1 conflict.'
        );
    });
});
