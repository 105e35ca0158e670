// How a suite that needs something from the system (Chromium, Java, PostgreSQL, ../shared) behaves
// when it is missing: on a developer's machine it skips with one clear line saying what is missing and
// how to get it; under CI=true it fails, because CI installs everything the suites need.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedDir = path.resolve(repoRoot, '..', 'shared');

export interface Requirement {
    /** What is needed, e.g. "Chromium at /usr/bin/chromium". */
    what: string;
    /** How to get it, e.g. "apt-get install chromium". */
    how: string;
    present: boolean;
}

/** Returns true when the suite can run; logs the skip line or throws under CI. */
export function requireOrSkip(req: Requirement): boolean {
    if (req.present) return true;
    const line = `missing ${req.what} — ${req.how}`;
    if (process.env.CI === 'true') throw new Error(`CI requires ${line}`);
    console.warn(`[skip] ${line}`);
    return false;
}

export function sharedRequirement(sub: string): Requirement {
    const dir = path.join(sharedDir, sub);
    return {
        what: `../shared/${sub} (reference data beside the project)`,
        how: 'check out the shared/ folder next to the repository',
        present: existsSync(dir)
    };
}

export function commandRequirement(command: string, how: string): Requirement {
    let present = true;
    try {
        execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    } catch {
        present = false;
    }
    return { what: `\`${command}\` on PATH`, how, present };
}
