/**
 * The sf CLI as the project runs it (tests, CI) with a fresh home starts no detached `sf update`: oclif's update hook
 * reads SF_DISABLE_AUTOUPDATE (the CLI's own SF_AUTOUPDATE_DISABLE is not carried over to it when it is set), and
 * the hook leaves its marker file in the CLI's cache directory when it spawns the updater.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { SF_BIN, sfCliEnv } from '../support/sfCli.ts';
import { repoRoot, requireOrSkip } from '../support/requirements.ts';

const home = mkdtempSync(path.join(os.tmpdir(), 'clm-sf-home-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe.runIf(requireOrSkip({ what: 'the sf CLI in node_modules', how: 'npm install', present: existsSync(SF_BIN) }))(
    'the sf CLI environment',
    () => {
        it('runs the CLI without starting its auto-update', async () => {
            const env = sfCliEnv(home);
            expect(env.SF_DISABLE_AUTOUPDATE).toBe('true');
            await promisify(execFile)(SF_BIN, ['--version'], { env, timeout: 60_000 });
            expect(existsSync(path.join(env.XDG_CACHE_HOME!, 'sf', 'autoupdate'))).toBe(false);
        }, 90_000);

        it('CI sets the same variable', () => {
            expect(readFileSync(path.join(repoRoot, '.ci/run'), 'utf8')).toMatch(/\bSF_DISABLE_AUTOUPDATE=true\b/);
        });
    }
);
