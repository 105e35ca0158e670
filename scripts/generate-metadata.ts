/** Writes the metadata generated from the domain (see scripts/metadata.ts) into force-app and force-app-cpq. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderGeneratedMetadata } from './metadata.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const files = renderGeneratedMetadata();
for (const [relative, content] of files) {
    const target = path.join(root, relative);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
}
console.log(`wrote ${files.size} generated metadata files`);
