// Builds the preview bundle: the package's components compiled by the LWC compiler with the REAL
// lightning-base-components (toolchain.md §7c), platform modules LBC lacks from ./platform, and
// `@salesforce/apex/Class.method` turned into a POST to the preview server, which runs the real controller in
// the emulator as the page's user.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { rollup, type Plugin } from 'rollup';
import lwc from '@lwc/rollup-plugin';
import replaceModule from '@rollup/plugin-replace';
import { repoRoot } from '../support/requirements.ts';
import { LWC_DIR, componentModules, type ModuleRecord } from './lwcModules.ts';

// Its typings are CommonJS, so under NodeNext TypeScript sees the module object; at run time the ESM
// build hands over the function itself.
type Replace = (options: { preventAssignment: boolean; values: Record<string, string> }) => Plugin;
const replace = ((replaceModule as unknown as { default?: Replace }).default ?? replaceModule) as unknown as Replace;

const PLATFORM_DIR = path.join(import.meta.dirname, 'platform');
export const PREVIEW_BUILD_DIR = path.join(repoRoot, '.tmp', 'preview-build');
export const BUNDLE_FILE = path.join(PREVIEW_BUILD_DIR, 'app.js');

function platformModules(): ModuleRecord[] {
    return ['empApi', 'actions', 'platformShowToastEvent', 'quickActionPanel'].map((name) => ({
        name: `lightning/${name}`,
        path: path.join(PLATFORM_DIR, name, `${name}.js`)
    }));
}

/** `import method from '@salesforce/apex/Class.method'` → a function POSTing its parameters to the preview. */
function apexOverHttp(): Plugin {
    const PREFIX = '\0apex:';
    return {
        name: 'clm-apex-over-http',
        resolveId(id) {
            return id.startsWith('@salesforce/apex/') ? PREFIX + id.slice('@salesforce/apex/'.length) : null;
        },
        load(id) {
            if (!id.startsWith(PREFIX)) return null;
            const [className, method] = id.slice(PREFIX.length).split('.');
            const url = `/apex/${encodeURIComponent(className ?? '')}/${encodeURIComponent(method ?? '')}`;
            return `export default async function apex(params) {
    const page = (window.PREVIEW && window.PREVIEW.page) || 'record';
    const response = await fetch(${JSON.stringify(url)} + '?page=' + encodeURIComponent(page), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(params || {})
    });
    const answer = await response.json();
    // An Apex exception arrives as the org's FetchResponse error ({status, body, ok, statusText, ...}); any
    // other failure of the call (no session, unknown method) keeps the REST error list as its body.
    if (!response.ok) throw answer && answer.errorType === 'fetchResponse' ? answer : { status: response.status, body: answer };
    return answer.returnValue;
}`;
        }
    };
}

/** Compiles the preview into .tmp/preview-build/app.js (10 s to a minute: LBC's icon templates dominate). */
export async function buildPreview(): Promise<string> {
    const bundle = await rollup({
        input: path.join(import.meta.dirname, 'app', 'main.js'),
        plugins: [
            apexOverHttp(),
            replace({
                preventAssignment: true,
                values: { 'process.env.NODE_ENV': JSON.stringify('production'), 'import.meta.env.SSR': 'false' }
            }),
            lwc({
                rootDir: repoRoot,
                modules: [...componentModules(), ...platformModules(), { npm: 'lightning-base-components' }],
                apiVersion: 62,
                // lightning-datatable renders its cells with lwc:is.
                enableDynamicComponents: true
            })
        ],
        onwarn(warning, warn) {
            // LBC's own templates repeat slot names in exclusive branches (LWC1137); nothing to act on here.
            if (warning.code === 'PLUGIN_WARNING' && /LWC1137/.test(warning.message)) return;
            if (warning.code === 'CIRCULAR_DEPENDENCY') return;
            // Third-party templates (lightning-base-components) warn about their own markup: not ours to act on, and
            // not for `npm start` to print. Warnings about our components still show.
            if (warning.code === 'PLUGIN_WARNING' && /[\\/]node_modules[\\/]/.test(warning.id ?? '')) return;
            warn(warning);
        }
    });
    await bundle.write({ file: BUNDLE_FILE, format: 'esm', sourcemap: false, inlineDynamicImports: true });
    await bundle.close();
    return BUNDLE_FILE;
}

const INPUTS_HASH_FILE = path.join(PREVIEW_BUILD_DIR, 'inputs.sha256');

function filesUnder(dir: string): string[] {
    return readdirSync(dir)
        .sort()
        .flatMap((name) => {
            const full = path.join(dir, name);
            if (name === '__tests__') return [];
            return statSync(full).isDirectory() ? filesUnder(full) : [full];
        });
}

/** A digest of everything the bundle is made from: our components, the stand-ins, the page and the LBC version. */
function inputsDigest(): string {
    const hash = createHash('sha256');
    const inputs = [
        ...filesUnder(LWC_DIR),
        ...filesUnder(PLATFORM_DIR),
        ...filesUnder(path.join(import.meta.dirname, 'app')),
        import.meta.filename,
        path.join(repoRoot, 'node_modules/lightning-base-components/package.json')
    ];
    for (const file of inputs) hash.update(path.relative(repoRoot, file)).update(readFileSync(file));
    return hash.digest('hex');
}

/** Builds the bundle unless one built from the same inputs is already there; returns whether it built. */
export async function ensurePreviewBuilt(): Promise<boolean> {
    const digest = inputsDigest();
    if (existsSync(BUNDLE_FILE) && existsSync(INPUTS_HASH_FILE) && readFileSync(INPUTS_HASH_FILE, 'utf8') === digest)
        return false;
    await buildPreview();
    writeFileSync(INPUTS_HASH_FILE, digest);
    return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
    const started = Date.now();
    const built = await ensurePreviewBuilt();
    console.log(
        `${built ? 'built' : 'up to date:'} ${path.relative(repoRoot, BUNDLE_FILE)} (${Date.now() - started} ms)`
    );
}
