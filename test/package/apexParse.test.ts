// Every Apex class and trigger in the package parses with the Apex grammar the Salesforce tooling uses
// (@apexdevtools/apex-parser), and every one has its -meta.xml (SDR silently drops a class without one).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseApex } from './apexSource.ts';
import { packageFiles, relative } from './packageFiles.ts';

/** Syntax errors of one Apex source, empty when it parses. */
const apexSyntaxErrors = (source: string, kind: 'class' | 'trigger'): string[] => parseApex(source, kind).errors;

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
