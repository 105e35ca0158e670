// A small, valid PDF 1.4 document (one page of Helvetica text) built byte by byte, so the emulator serves real
// documents without a PDF library: objects, a cross-reference table with exact byte offsets, and a trailer.

function escapePdfText(text: string): string {
    // PDF literal strings: backslash-escape the delimiters; keep to printable ASCII so offsets stay byte-exact.
    return text.replace(/[^\x20-\x7e]/g, '?').replace(/([\\()])/g, '\\$1');
}

export function buildPdf(title: string, lines: string[]): Buffer {
    const textOps = [`BT /F1 16 Tf 72 760 Td (${escapePdfText(title)}) Tj ET`];
    lines.slice(0, 40).forEach((line, index) => {
        textOps.push(`BT /F1 10 Tf 72 ${730 - index * 16} Td (${escapePdfText(line)}) Tj ET`);
    });
    const stream = textOps.join('\n');
    const objects = [
        '<< /Type /Catalog /Pages 2 0 R >>',
        '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
        `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`,
        '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
        `<< /Title (${escapePdfText(title)}) /Producer (clm-emulator) >>`
    ];
    let body = '%PDF-1.4\n';
    const offsets: number[] = [];
    objects.forEach((object, index) => {
        offsets.push(Buffer.byteLength(body, 'latin1'));
        body += `${index + 1} 0 obj\n${object}\nendobj\n`;
    });
    const xrefOffset = Buffer.byteLength(body, 'latin1');
    body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
    for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
    body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info ${objects.length} 0 R >>\nstartxref\n${xrefOffset}\n%%EOF\n`;
    return Buffer.from(body, 'latin1');
}
