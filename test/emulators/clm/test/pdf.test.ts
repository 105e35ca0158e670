// The documents the emulator serves are real PDFs: header, objects, a cross-reference table whose offsets point at
// the objects, and a trailer whose startxref points at the table.
import { describe, expect, it } from 'vitest';
import { buildPdf } from '../src/pdf.ts';

describe('buildPdf', () => {
    it('writes a PDF whose xref offsets are exact', () => {
        const pdf = buildPdf('Sales Agreement (Acme)', [
            'Counterparty: Acme \\ Co',
            'Value: 120000 USD',
            'Ünicode → ascii'
        ]);
        const text = pdf.toString('latin1');
        expect(text.startsWith('%PDF-1.4\n')).toBe(true);
        expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
        const startxref = Number(/startxref\n(\d+)\n/.exec(text)![1]);
        expect(text.slice(startxref, startxref + 4)).toBe('xref');
        const entries = text.slice(startxref).split('\n').slice(2, 9);
        expect(entries[0]).toBe('0000000000 65535 f ');
        entries.slice(1).forEach((entry, index) => {
            const offset = Number(entry.slice(0, 10));
            expect(text.slice(offset, offset + `${index + 1} 0 obj`.length)).toBe(`${index + 1} 0 obj`);
        });
        const length = Number(/\/Length (\d+)/.exec(text)![1]);
        const streamStart = text.indexOf('stream\n') + 'stream\n'.length;
        expect(text.slice(streamStart + length, streamStart + length + '\nendstream'.length)).toBe('\nendstream');
        expect(text).toContain('(Counterparty: Acme \\\\ Co)');
        expect(text).toContain('(Sales Agreement \\(Acme\\))');
    });
});
