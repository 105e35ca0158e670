// The LWC module records shared by the unit tests (vitest + jsdom) and the browser preview (rollup):
// the package's components under their `c/` names, plus where each environment finds `lightning/*`.
// SFDX lays components out as lwc/<name>/<name>.js with the implicit namespace "c"; the LWC module
// resolver wants <dir>/<namespace>/<name>, so each component gets an alias record instead.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'vite';
import { repoRoot } from '../support/requirements.ts';

export const LWC_DIR = path.join(repoRoot, 'force-app/main/default/lwc');
/** Test doubles for platform modules the stubs lack or that tests drive (empApi, actions). */
export const JEST_MOCKS_DIR = path.join(repoRoot, 'force-app/test/jest-mocks/lightning');
/** The sfdx-lwc-jest stubs: `@api` props and slots, no markup. */
export const LIGHTNING_STUBS_DIR = path.join(repoRoot, 'node_modules/@salesforce/sfdx-lwc-jest/src/lightning-stubs');

export interface ModuleRecord {
    name: string;
    path: string;
}

function folderModules(dir: string, namespace: string): ModuleRecord[] {
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
        .filter((name) => existsSync(path.join(dir, name, `${name}.js`)))
        .map((name) => ({ name: `${namespace}/${name}`, path: path.join(dir, name, `${name}.js`) }));
}

function fileModules(dir: string, namespace: string): ModuleRecord[] {
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
        .filter((file) => file.endsWith('.js'))
        .map((file) => ({ name: `${namespace}/${file.slice(0, -3)}`, path: path.join(dir, file) }));
}

/** The package's own components, as `c/<name>`. */
export function componentModules(): ModuleRecord[] {
    return folderModules(LWC_DIR, 'c');
}

/** Modules for unit tests: our components, our mocks first, then the sfdx-lwc-jest stubs. */
export function unitTestModules(): ModuleRecord[] {
    const mocks = fileModules(JEST_MOCKS_DIR, 'lightning');
    const mocked = new Set(mocks.map((record) => record.name));
    const stubs = folderModules(LIGHTNING_STUBS_DIR, 'lightning').filter((record) => !mocked.has(record.name));
    return [...componentModules(), ...mocks, ...stubs];
}

const SCOPED = /^@salesforce\/(apex|schema|label|user|customPermission|client|i18n|resourceUrl|contentAssetUrl)(\/|$)/;

/**
 * Resolves `@salesforce/*` scoped imports for unit tests: Apex methods reject unless a test mocks them
 * (vi.mock), schema imports become `{objectApiName, fieldApiName}` objects as on the platform, the user
 * id is a fixed test id and labels are their own names.
 */
export function salesforceScopedModules(): Plugin {
    return {
        name: 'clm-salesforce-scoped-modules',
        enforce: 'pre',
        resolveId(id) {
            return SCOPED.test(id) ? `\0sf:${id}` : undefined;
        },
        load(id) {
            if (!id.startsWith('\0sf:')) return undefined;
            const spec = id.slice(4);
            const [, kind = '', rest = ''] = /^@salesforce\/([^/]+)\/?(.*)$/.exec(spec) ?? [];
            if (kind === 'apex') {
                return `export default function apex() { return Promise.reject(new Error(${JSON.stringify(`${spec} is not mocked`)})); }`;
            }
            if (kind === 'schema') {
                const [objectApiName, ...field] = rest.split('.');
                const value = field.length ? { objectApiName, fieldApiName: field.join('.') } : { objectApiName };
                return `export default ${JSON.stringify(value)};`;
            }
            if (kind === 'user') return `export default '005000000000000AAA';`;
            return `export default ${JSON.stringify(rest)};`;
        }
    };
}
