/**
 * Template fields without a canonical meaning are exposed as connector custom fields named by their vendor name in
 * camelCase (`special_terms` → `specialTerms`), so a rule on `custom.specialTerms` reads and writes the template's
 * own field on either vendor without a line of adapter config. A configured map entry always wins.
 */
export function customNameOf(vendorName: string): string {
    const words = vendorName.split(/[^A-Za-z0-9]+/).filter(Boolean);
    return words
        .map((word, index) => (index === 0 ? word[0]!.toLowerCase() : word[0]!.toUpperCase()) + word.slice(1))
        .join('');
}

/** Custom field name → template field, for the template fields the adapter gives no canonical meaning. */
export function customFieldsOf(unmapped: Iterable<string>): Map<string, string> {
    const out = new Map<string, string>();
    for (const name of unmapped) out.set(customNameOf(name), name);
    return out;
}
