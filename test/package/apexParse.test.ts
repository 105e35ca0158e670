// Every Apex class and trigger in the package parses with the Apex grammar the Salesforce tooling uses
// (@apexdevtools/apex-parser), and every one has its -meta.xml (SDR silently drops a class without one).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApexErrorListener, ApexParserFactory } from '@apexdevtools/apex-parser';
import { packageFiles, relative } from './packageFiles.ts';

class CollectErrors extends ApexErrorListener {
    readonly errors: string[] = [];
    apexSyntaxError(line: number, column: number, message: string): void {
        // "expecting {...}" lists run to several KB; the position and the start say enough.
        this.errors.push(`${line}:${column} ${message.slice(0, 160)}`);
    }
}

/** Syntax errors of one Apex source, empty when it parses. */
export function apexSyntaxErrors(source: string, kind: 'class' | 'trigger'): string[] {
    const listener = new CollectErrors();
    const { parser } = ApexParserFactory.createLexerAndParser(source, listener);
    if (kind === 'trigger') parser.triggerUnit();
    else parser.compilationUnit();
    return listener.errors;
}

const sources = packageFiles((file) => file.endsWith('.cls') || file.endsWith('.trigger'));

describe('Apex sources', () => {
    it('finds the package classes and triggers', () => {
        expect(sources.length).toBeGreaterThanOrEqual(20);
    });

    it.each(sources.map((file) => [relative(file), file]))('%s parses without a syntax error', (_name, file) => {
        const kind = file.endsWith('.trigger') ? 'trigger' : 'class';
        expect(apexSyntaxErrors(readFileSync(file, 'utf8'), kind)).toEqual([]);
    });

    it.each(sources.map((file) => [relative(file), file]))('%s has its -meta.xml', (_name, file) => {
        expect(existsSync(`${file}-meta.xml`)).toBe(true);
    });

    it('reports a broken class with its line and column', () => {
        const errors = apexSyntaxErrors('public class Broken { void run() { Integer x = ; } }', 'class');
        expect(errors.length).toBeGreaterThan(0);
        expect(errors[0]).toMatch(/^1:\d+ /);
    });
});
