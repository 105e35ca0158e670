// Salesforce record ids: 15 case-sensitive characters (3-char key prefix, 12 more) plus a 3-character
// case-checksum suffix that makes the 18-character form case-insensitive. The REST API always answers with 18.
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_PATTERN = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

function checksumSuffix(id15: string): string {
    let suffix = '';
    for (let block = 0; block < 3; block++) {
        let flags = 0;
        for (let i = 0; i < 5; i++) {
            const ch = id15.charAt(block * 5 + i);
            if (ch >= 'A' && ch <= 'Z') flags |= 1 << i;
        }
        suffix += SUFFIX_ALPHABET.charAt(flags);
    }
    return suffix;
}

/** Returns the canonical 18-character id, or undefined when the text is not a well-formed id. */
export function normalizeId(text: string): string | undefined {
    if (!ID_PATTERN.test(text)) return undefined;
    const id15 = text.slice(0, 15);
    const expected = id15 + checksumSuffix(id15);
    if (text.length === 18 && text.slice(15).toUpperCase() !== expected.slice(15)) return undefined;
    return expected;
}

/** Hands out ids for one key prefix; the pod part ("5e") keeps them looking like a real instance's. */
export class IdGenerator {
    private counters = new Map<string, number>();

    next(keyPrefix: string): string {
        const n = (this.counters.get(keyPrefix) ?? 0) + 1;
        this.counters.set(keyPrefix, n);
        return IdGenerator.make(keyPrefix, n);
    }

    /** The counters per key prefix, for saving an org's state. */
    counts(): Record<string, number> {
        return Object.fromEntries(this.counters);
    }

    /** Continues numbering after saved counters (ids stay unique across runs). */
    static resume(counts: Record<string, number>): IdGenerator {
        const g = new IdGenerator();
        for (const [prefix, n] of Object.entries(counts)) g.counters.set(prefix, n);
        return g;
    }

    static make(keyPrefix: string, n: number): string {
        let body = '';
        let rest = n;
        while (rest > 0) {
            body = BASE62.charAt(rest % 62) + body;
            rest = Math.floor(rest / 62);
        }
        const id15 = (keyPrefix + '5e' + body.padStart(10, '0')).slice(0, 15);
        return id15 + checksumSuffix(id15);
    }
}
