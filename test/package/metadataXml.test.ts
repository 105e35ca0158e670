// Every metadata XML file in the package parses, and says what its file name says. SDR converts
// malformed XML without complaint (toolchain.md §3), so well-formedness and the project's own shape
// rules are checked here: the root element matches the file suffix, the Metadata API namespace is set,
// a field's fullName matches its file, each LWC bundle has its js-meta.xml, and each platform event
// states its publish behaviour on purpose.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { packageFiles, relative } from './packageFiles.ts';

const ROOT_BY_SUFFIX: Record<string, string> = {
    '.object-meta.xml': 'CustomObject',
    '.field-meta.xml': 'CustomField',
    '.md-meta.xml': 'CustomMetadata',
    '.cls-meta.xml': 'ApexClass',
    '.trigger-meta.xml': 'ApexTrigger',
    '.js-meta.xml': 'LightningComponentBundle',
    '.permissionset-meta.xml': 'PermissionSet',
    '.customPermission-meta.xml': 'CustomPermission',
    '.flexipage-meta.xml': 'FlexiPage',
    '.app-meta.xml': 'CustomApplication',
    '.tab-meta.xml': 'CustomTab',
    '.quickAction-meta.xml': 'QuickAction'
};
const METADATA_NS = 'http://soap.sforce.com/2006/04/metadata';
const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false });

const xmlFiles = packageFiles((file) => file.endsWith('.xml'));

function suffixOf(file: string): string | undefined {
    return Object.keys(ROOT_BY_SUFFIX).find((suffix) => file.endsWith(suffix));
}

/** Problems with one metadata file; empty when it is fine. */
export function metadataProblems(file: string, text: string): string[] {
    const valid = XMLValidator.validate(text);
    if (valid !== true) return [`not well-formed: ${valid.err.code} ${valid.err.msg} (line ${valid.err.line})`];
    const suffix = suffixOf(file);
    if (!suffix) return [`unknown metadata suffix (add it to ROOT_BY_SUFFIX if it is meant to deploy)`];
    const document = parser.parse(text) as Record<string, Record<string, unknown>>;
    const expectedRoot = ROOT_BY_SUFFIX[suffix] ?? '';
    const root = document[expectedRoot];
    if (!root) return [`root element is not <${expectedRoot}>`];
    const problems: string[] = [];
    if (root['@_xmlns'] !== METADATA_NS) problems.push(`<${expectedRoot}> lacks xmlns="${METADATA_NS}"`);
    if (suffix === '.field-meta.xml') {
        const name = path.basename(file, suffix);
        if (root.fullName !== name)
            problems.push(`fullName ${String(root.fullName)} differs from the file name ${name}`);
        if (!root.label) problems.push('a field needs a label');
    }
    if (suffix === '.object-meta.xml' && file.includes('__e')) {
        if (root.eventType !== 'HighVolume') problems.push('platform events here are HighVolume');
        if (!['PublishAfterCommit', 'PublishImmediately'].includes(String(root.publishBehavior))) {
            problems.push('a platform event must choose its publishBehavior');
        }
        if (!String(root.description ?? '').includes(String(root.publishBehavior))) {
            problems.push('the description must say why it publishes the way it does');
        }
    }
    if (
        (suffix === '.cls-meta.xml' || suffix === '.trigger-meta.xml' || suffix === '.js-meta.xml') &&
        root.apiVersion !== '62.0'
    ) {
        problems.push(`apiVersion ${String(root.apiVersion)} is not the project's 62.0`);
    }
    return problems;
}

describe('package metadata XML', () => {
    it('finds the package metadata', () => {
        expect(xmlFiles.length).toBeGreaterThan(100);
    });

    it.each(xmlFiles.map((file) => [relative(file), file]))(
        '%s is well-formed and shaped as its type',
        (_name, file) => {
            expect(metadataProblems(file, readFileSync(file, 'utf8'))).toEqual([]);
        }
    );

    it('every LWC bundle has its js-meta.xml', () => {
        const bundles = packageFiles((file) => /\/lwc\/[^/]+\/[^/]+\.js$/.test(file) && !file.includes('__tests__'));
        const missing = bundles.filter((file) => {
            const dir = path.dirname(file);
            const name = path.basename(dir);
            return path.basename(file) === `${name}.js` && !existsSync(path.join(dir, `${name}.js-meta.xml`));
        });
        expect(bundles.length).toBeGreaterThanOrEqual(7);
        expect(missing.map(relative)).toEqual([]);
    });

    it('every custom object and field of the package explains itself (description)', () => {
        const undocumented = packageFiles(
            (file) => file.endsWith('.object-meta.xml') || file.endsWith('.field-meta.xml')
        )
            .filter((file) => !/<description>[^<]+<\/description>/.test(readFileSync(file, 'utf8')))
            .map(relative);
        expect(undocumented).toEqual([]);
    });

    it('catches a malformed file, a wrong root and a platform event without a chosen behaviour', () => {
        expect(metadataProblems('x/Foo__c.field-meta.xml', '<CustomField><label>Foo</CustomField>')[0]).toMatch(
            /not well-formed: InvalidTag/
        );
        expect(metadataProblems('x/Foo__c.field-meta.xml', `<CustomObject xmlns="${METADATA_NS}"/>`)).toEqual([
            'root element is not <CustomField>'
        ]);
        expect(
            metadataProblems(
                'x/Foo__e.object-meta.xml',
                `<CustomObject xmlns="${METADATA_NS}"><eventType>HighVolume</eventType><description>d</description></CustomObject>`
            )
        ).toEqual([
            'a platform event must choose its publishBehavior',
            'the description must say why it publishes the way it does'
        ]);
    });

    it('covers every metadata folder in the package', () => {
        const folders = new Set(xmlFiles.map((file) => relative(file).split('/')[3]));
        expect([...folders].sort()).toEqual(
            expect.arrayContaining([
                'applications',
                'classes',
                'customMetadata',
                'flexipages',
                'lwc',
                'objects',
                'permissionsets',
                'quickActions',
                'tabs',
                'triggers'
            ])
        );
    });
});
