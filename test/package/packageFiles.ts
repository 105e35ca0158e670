// The package's files, found once for every static check in this folder.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../support/requirements.ts';

export const PACKAGE_DIRS = ['force-app', 'force-app-cpq'].map((dir) => path.join(repoRoot, dir));

/** Every file under the package directories (node_modules never lives there). */
export function packageFiles(predicate: (file: string) => boolean = () => true): string[] {
    const found: string[] = [];
    const walk = (dir: string): void => {
        for (const name of readdirSync(dir)) {
            const full = path.join(dir, name);
            if (statSync(full).isDirectory()) walk(full);
            else if (predicate(full)) found.push(full);
        }
    };
    for (const dir of PACKAGE_DIRS) walk(dir);
    return found.sort();
}

export const relative = (file: string): string => path.relative(repoRoot, file);
