// Lightning web component bundles are compiled on deploy; a JavaScript, template or style error fails the
// bundle. The emulator compiles each file with @lwc/compiler (the LWC platform's own compiler) and checks the
// bundle's shape and its -meta.xml.
import { transformSync } from '@lwc/compiler';
import { resolve } from 'node:path';
import type { Problem } from './model.ts';
import type { ParsedXml } from './xml.ts';
import { childBoolean, children, childText, childTexts } from './xml.ts';

const LWC_NAME = /^[a-z](?:[A-Za-z0-9]|_(?!_))*(?<!_)$/;
const COMPILED = /\.(js|html|css)$/;

interface CompilerError {
    message?: string;
    location?: { line?: number; column?: number };
}

function compileProblem(path: string, source: string, bundle: string): Problem | undefined {
    try {
        transformSync(source, path, { name: bundle, namespace: 'c' });
        return undefined;
    } catch (error) {
        const { message = String(error), location } = error as CompilerError;
        // The compiler repeats a code frame after the first line; the first line says what and where.
        // Babel makes the file name absolute against the emulator's cwd; the zip path is what the deployer knows.
        const firstLine = (message.split('\n')[0] ?? message)
            .replace(/^SyntaxError: /, '')
            .replace(resolve(path), path);
        // Script positions come from Babel (0-based columns), template positions are 1-based already.
        const column = location?.column === undefined ? undefined : location.column + (path.endsWith('.js') ? 1 : 0);
        return {
            problem: firstLine,
            problemType: 'Error',
            lineNumber: location?.line,
            columnNumber: column,
            fileName: path
        };
    }
}

/** Checks one bundle: `files` maps zip paths (lwc/name/…) to their text; `meta` is the parsed -meta.xml. */
export function checkLwcBundle(name: string, files: Map<string, string>, meta: ParsedXml | undefined): Problem[] {
    const problems: Problem[] = [];
    const fail = (problem: string) => problems.push({ problem, problemType: 'Error' });
    if (!LWC_NAME.test(name)) {
        fail(
            `The LWC name ${name} must start with a lowercase letter and contain only letters, digits and single underscores`
        );
    }
    if (!files.has(`lwc/${name}/${name}.js`)) fail(`The bundle ${name} has no ${name}.js`);
    if (meta) {
        if (!childText(meta.root, 'apiVersion')) fail(`${name}.js-meta.xml: apiVersion is required`);
        const targets = children(meta.root, 'targets').flatMap((t) => childTexts(t, 'target'));
        if (childBoolean(meta.root, 'isExposed') !== true && targets.length > 0) {
            fail(`${name}.js-meta.xml: targets are only allowed when isExposed is true`);
        }
    }
    for (const [path, source] of files) {
        if (!COMPILED.test(path) || path.includes('/__tests__/')) continue;
        const problem = compileProblem(path, source, name);
        if (problem) problems.push(problem);
    }
    return problems;
}
