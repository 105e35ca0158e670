// What the Apex must promise to the rest of the package, checked without an org:
// - every `@salesforce/apex/Class.method` an LWC imports is a static @AuraEnabled method of that class
//   (the preview runs those same methods in the org emulator, so nothing else has to answer them);
// - every class has its `<Class>Test`, and every test method has Given/When/Then and gives each Assert a message.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
    ApexParseTreeWalker,
    ApexParserBaseListener,
    type ClassBodyDeclarationContext
} from '@apexdevtools/apex-parser';
import { parseApex } from './apexSource.ts';
import { packageFiles, relative } from './packageFiles.ts';

const classFiles = packageFiles((file) => file.endsWith('.cls'));
const productClasses = classFiles.filter((file) => !file.includes(`${path.sep}test${path.sep}apex${path.sep}`));
const testClasses = classFiles.filter((file) => file.includes(`${path.sep}test${path.sep}apex${path.sep}`));
const className = (file: string): string => path.basename(file, '.cls');

/** Methods of a class's top level, with their modifiers (`@AuraEnabled`, `public`, `static`, ...). */
function methodsOf(source: string): Map<string, string[]> {
    const methods = new Map<string, string[]>();
    const { tree, errors } = parseApex(source, 'class');
    if (errors.length) throw new Error(`does not parse: ${errors[0]}`);
    class Collect extends ApexParserBaseListener {
        enterClassBodyDeclaration = (ctx: ClassBodyDeclarationContext): void => {
            const method = ctx.memberDeclaration()?.methodDeclaration();
            if (method)
                methods.set(
                    method.id().getText(),
                    ctx.modifier_list().map((modifier) => modifier.getText())
                );
        };
    }
    ApexParseTreeWalker.DEFAULT.walk(new Collect(), tree);
    return methods;
}

const lwcImports = packageFiles((file) => /\/lwc\/[^/]+\/[^/]+\.js$/.test(file)).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/from '@salesforce\/apex\/(\w+)\.(\w+)'/g)].map((match) => ({
        component: relative(file),
        cls: match[1] ?? '',
        method: match[2] ?? ''
    }))
);

/** The arguments of each `Assert.x(...)` call: the source split at top-level commas. */
export function assertCalls(source: string): { name: string; args: string[] }[] {
    const calls: { name: string; args: string[] }[] = [];
    const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    for (const match of code.matchAll(/\bAssert\.(\w+)\(/g)) {
        let depth = 1;
        let quoted = false;
        let current = '';
        const args: string[] = [];
        for (let i = (match.index ?? 0) + match[0].length; i < code.length && depth > 0; i++) {
            const char = code[i] ?? '';
            if (quoted) {
                if (char === '\\') current += char + (code[++i] ?? '');
                else {
                    if (char === "'") quoted = false;
                    current += char;
                }
                continue;
            }
            if (char === "'") quoted = true;
            if ('({['.includes(char)) depth++;
            if (')}]'.includes(char)) depth--;
            if (depth === 0) break;
            if (char === ',' && depth === 1) {
                args.push(current.trim());
                current = '';
            } else current += char;
        }
        if (current.trim()) args.push(current.trim());
        calls.push({ name: match[1] ?? '', args });
    }
    return calls;
}

/** How many arguments each Assert method takes when it carries its message. */
const ARGS_WITH_MESSAGE: Record<string, number> = {
    areEqual: 3,
    areNotEqual: 3,
    isTrue: 2,
    isFalse: 2,
    isNull: 2,
    isNotNull: 2,
    isInstanceOfType: 3,
    isNotInstanceOfType: 3,
    fail: 1
};

describe('Apex contracts', () => {
    it('finds the components’ Apex imports', () => {
        expect(lwcImports.length).toBeGreaterThanOrEqual(8);
    });

    it.each(lwcImports.map((entry) => [`${entry.cls}.${entry.method}`, entry]))(
        '%s is a static @AuraEnabled method',
        (_name, entry) => {
            const file = productClasses.find((candidate) => className(candidate) === entry.cls);
            expect(file, `${entry.component} imports a class that does not exist`).toBeDefined();
            const modifiers = methodsOf(readFileSync(file ?? '', 'utf8')).get(entry.method);
            expect(modifiers, `${entry.cls} has no method ${entry.method}`).toBeDefined();
            expect(modifiers?.map((modifier) => modifier.toLowerCase())).toEqual(
                expect.arrayContaining(['@auraenabled', 'static'])
            );
        }
    );

    it.each(productClasses.map((file) => [className(file)]))('%s has its test class', (name) => {
        expect(testClasses.map(className)).toContain(`${name}Test`);
    });

    it.each(testClasses.filter((file) => className(file).endsWith('Test')).map((file) => [relative(file), file]))(
        '%s: Given/When/Then in each test, a message on each assert',
        (_name, file) => {
            const source = readFileSync(file, 'utf8');
            expect(source).toMatch(/^@IsTest\s*\n(private|public) class /m);
            const methods = source.split(/@IsTest\s*\n\s*static void /).slice(1);
            expect(methods.length).toBeGreaterThan(0);
            for (const method of methods) {
                const name = method.slice(0, method.indexOf('('));
                expect(/\/\/ (When|Then)/.test(method), `${name} marks its When or Then`).toBe(true);
            }
            const missing = assertCalls(source).filter(
                (call) => call.args.length < (ARGS_WITH_MESSAGE[call.name] ?? 2)
            );
            expect(missing.map((call) => `Assert.${call.name}(${call.args.join(', ')})`)).toEqual([]);
        }
    );

    it('recognises an assert without a message', () => {
        expect(assertCalls("Assert.areEqual(1, f(2, 3)); Assert.isTrue(x, 'why, really');")).toEqual([
            { name: 'areEqual', args: ['1', 'f(2, 3)'] },
            { name: 'isTrue', args: ['x', "'why, really'"] }
        ]);
    });
});
