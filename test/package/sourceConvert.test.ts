// SDR (the library under `sf project deploy`) converts both package directories to Metadata API format
// offline, and .forceignore keeps tests, TypeScript and LWC test doubles out of what would deploy.
// The API version is set on the component set: without it SDR asks the network for the latest one.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ComponentSet, ForceIgnore, MetadataConverter } from '@salesforce/source-deploy-retrieve';
import { repoRoot } from '../support/requirements.ts';

const API_VERSION = '62.0';
const outputRoot = mkdtempSync(path.join(os.tmpdir(), 'clm-mdapi-'));
afterAll(() => rmSync(outputRoot, { recursive: true, force: true }));

/** Every file under a directory, as absolute paths. */
function filesUnder(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
        const full = path.join(dir, name);
        return statSync(full).isDirectory() ? filesUnder(full) : [full];
    });
}

async function convert(packageDir: string): Promise<{ set: ComponentSet; files: string[] }> {
    const set = ComponentSet.fromSource(path.join(repoRoot, packageDir));
    set.apiVersion = API_VERSION;
    set.sourceApiVersion = API_VERSION;
    const outputDirectory = path.join(outputRoot, packageDir);
    await new MetadataConverter().convert(set, 'metadata', { type: 'directory', outputDirectory, genUniqueDir: false });
    return { set, files: filesUnder(outputDirectory).map((file) => path.relative(outputDirectory, file)) };
}

function countsByType(set: ComponentSet): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const component of set.getSourceComponents())
        counts[component.type.name] = (counts[component.type.name] ?? 0) + 1;
    return counts;
}

describe('SDR conversion', () => {
    it('converts force-app to metadata format with every kind of component', async () => {
        const { set, files } = await convert('force-app');
        const counts = countsByType(set);
        expect(counts).toMatchObject({
            ApexTrigger: 2,
            PermissionSet: 3,
            CustomPermission: 1,
            FlexiPage: 2,
            CustomApplication: 1,
            QuickAction: 1
        });
        expect(counts.ApexClass).toBeGreaterThanOrEqual(24);
        expect(counts.LightningComponentBundle).toBe(8);
        expect(files).toEqual(
            expect.arrayContaining([
                'package.xml',
                'objects/Clm_Conflict__c.object',
                'objects/Clm_Sync_Request__e.object',
                'objects/Clm_Sync_Status__e.object',
                'objects/Clm_Field_Mapping__mdt.object',
                'customMetadata/Clm_Automation_Setting.Default.md',
                'permissionsets/Clm_Connector_Integration.permissionset',
                'lwc/clmContractStatus/clmContractStatus.js',
                'classes/ClmSyncRequestService.cls',
                'classes/ClmSyncRequestServiceTest.cls',
                'triggers/ClmSyncStatusTrigger.trigger'
            ])
        );
    });

    it('keeps tests, TypeScript and LWC test doubles out of the converted package', async () => {
        const { files } = await convert('force-app');
        const leaked = files.filter((file) => /__tests__|jest-mocks|\.test\.js$|\.ts$|testUtils/.test(file));
        expect(leaked).toEqual([]);
    });

    it('converts force-app-cpq on its own', async () => {
        const { set, files } = await convert('force-app-cpq');
        expect(countsByType(set)).toMatchObject({ QuickAction: 1 });
        expect(files).toEqual(
            expect.arrayContaining(['package.xml', 'quickActions/SBQQ__Quote__c.Send_to_CLM.quickAction'])
        );
    });
});

describe('.forceignore', () => {
    const ignore = ForceIgnore.findAndCreate(repoRoot);
    const lwc = path.join(repoRoot, 'force-app/main/default/lwc/clmContractStatus');

    it.each([
        [path.join(lwc, '__tests__/clmContractStatus.test.js')],
        [path.join(lwc, '__tests__/data/getStatus.json')],
        [path.join(repoRoot, 'force-app/test/jest-mocks/lightning/empApi.js')],
        [path.join(repoRoot, 'force-app/test/lwc/testUtils.js')],
        [path.join(repoRoot, 'force-app/main/default/staticresources/tool.ts')]
    ])('denies %s', (file) => {
        expect(ignore.denies(file)).toBe(true);
    });

    it.each([
        [path.join(lwc, 'clmContractStatus.js')],
        [path.join(repoRoot, 'force-app/test/apex/services/ClmSyncRequestServiceTest.cls')]
    ])('accepts %s', (file) => {
        expect(ignore.accepts(file)).toBe(true);
    });
});
