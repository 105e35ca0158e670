// scripts/setup-scratch-org.sh with a stand-in for the sf CLI (SF=…) that records each call: the order of the
// steps, the CPQ branch, the sample records linked to the created account, and that a failing step stops it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test/support/requirements.ts';

const SCRIPT = path.join(repoRoot, 'scripts', 'setup-scratch-org.sh');
let dir: string;

const FAKE_SF = `#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(process.env.SF_LOG, JSON.stringify(args) + '\\n');
if (process.env.SF_FAIL && args.join(' ').startsWith(process.env.SF_FAIL)) { console.error('failed: ' + args.join(' ')); process.exit(1); }
if (args[0] === 'data' && args.includes('Account')) console.log(JSON.stringify({ status: 0, result: { id: '001000000000001AAA' } }));
else if (args[0] === 'data') console.log(JSON.stringify({ status: 0, result: { id: '006000000000001AAA' } }));
`;

function run(
    args: string[],
    env: Record<string, string> = {}
): Promise<{ code: number; stdout: string; stderr: string; calls: string[][] }> {
    const log = path.join(dir, `calls-${Math.random().toString(36).slice(2)}.log`);
    writeFileSync(log, '');
    return new Promise((resolve) => {
        execFile(
            'bash',
            [SCRIPT, ...args],
            { env: { PATH: process.env.PATH ?? '', SF: path.join(dir, 'sf'), SF_LOG: log, ...env }, timeout: 30_000 },
            (error, stdout, stderr) => {
                const calls = readFileSync(log, 'utf8')
                    .trim()
                    .split('\n')
                    .filter(Boolean)
                    .map((line) => JSON.parse(line) as string[]);
                resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr, calls });
            }
        );
    });
}

describe('scripts/setup-scratch-org.sh', () => {
    beforeEach(() => {
        dir = mkdtempSync(path.join(os.tmpdir(), 'scratch-script-'));
        writeFileSync(path.join(dir, 'sf'), FAKE_SF, { mode: 0o755 });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('creates the org, the integration user, runs setup, seeds linked sample data and validates', async () => {
        const { code, calls, stderr } = await run(['-a', 'demo', '-v', 'hub']);
        expect(code, stderr).toBe(0);
        const steps = calls.map((c) => c.slice(0, 3).join(' '));
        expect(steps).toEqual([
            'org create scratch',
            'org create user',
            'clm org setup',
            'data create record',
            'data create record',
            'data create record',
            'data create record',
            'clm rules validate'
        ]);
        expect(calls[0]).toEqual(
            expect.arrayContaining([
                '--definition-file',
                'config/project-scratch-def.json',
                '--alias',
                'demo',
                '--target-dev-hub',
                'hub'
            ])
        );
        const user = calls[1]!.find((a) => a.startsWith('username='))!.slice('username='.length);
        expect(calls[1]).toContain('profileName=Minimum Access - API Only Integrations');
        expect(calls[2]).toEqual(['clm', 'org', 'setup', '--target-org', 'demo', '--integration-user', user]);
        for (const call of calls.slice(4, 7)) expect(call.join(' ')).toContain("AccountId='001000000000001AAA'");
        expect(calls[7]).toEqual(['clm', 'rules', 'validate', '--target-org', 'demo', '--integration-user', user]);
    });

    it('installs CPQ from the CPQ definition when a package id is given', async () => {
        const { code, calls } = await run(['-c', '04t000000000001AAA']);
        expect(code).toBe(0);
        expect(calls[0]).toEqual(expect.arrayContaining(['--definition-file', 'config/cpq-scratch-def.json']));
        expect(calls[1]!.slice(0, 4)).toEqual(['package', 'install', '--package', '04t000000000001AAA']);
    });

    it('stops at the first failing step and rejects bad arguments', async () => {
        const failed = await run([], { SF_FAIL: 'clm org setup' });
        expect(failed.code).not.toBe(0);
        expect(failed.calls.map((c) => c.slice(0, 2).join(' '))).toEqual(['org create', 'org create', 'clm org']);

        const bad = await run(['-c', 'SBQQ']);
        expect(bad.code).toBe(2);
        expect(bad.stderr).toContain("-c takes a package version id (04t followed by 12 or 15 characters), not 'SBQQ'");
        expect(bad.calls).toEqual([]);
    });
});
