/** The full-scan change feed's cursor: the version hash of every contract seen, by composite id (base64url JSON). */
import { z } from 'zod';
import { CLM_ERROR, clmError } from '../../../ports/clm.ts';

const ChangeCursor = z.object({ fingerprints: z.record(z.string(), z.string()) });

export function encodeFingerprints(fingerprints: Record<string, string>): string {
    return Buffer.from(JSON.stringify({ fingerprints })).toString('base64url');
}

export function decodeFingerprints(cursor: string): Record<string, string> {
    try {
        return ChangeCursor.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).fingerprints;
    } catch {
        throw clmError(CLM_ERROR.VALIDATION, 'the change cursor is not one this adapter issued', { field: 'cursor' });
    }
}
