// The deploy checks, one kind of failure at a time. Each test starts from a valid metadata-format package
// (the layout SDR writes for `sf project deploy start`), changes one file, deploys it through the service as
// the sf CLI would (multipart POST, then polling with includeDetails) and reads the documented deployResult.
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import type { DeployedComponents } from '../src/metadata/index.ts';
import { MetadataDeployService } from '../src/metadata/index.ts';

const NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"';
const XML = '<?xml version="1.0" encoding="UTF-8"?>\n';

type Files = Record<string, string | undefined>;

function packageXml(types: Record<string, string[]>): string {
    const body = Object.entries(types)
        .map(
            ([name, members]) =>
                `    <types>\n${members.map((m) => `        <members>${m}</members>\n`).join('')}        <name>${name}</name>\n    </types>\n`
        )
        .join('');
    return `${XML}<Package ${NS}>\n${body}    <version>62.0</version>\n</Package>\n`;
}

const MANIFEST: Record<string, string[]> = {
    ApexClass: ['ClmService'],
    ApexTrigger: ['ClmStatusTrigger'],
    CustomApplication: ['Clm_Admin'],
    CustomField: [
        'Clm_Conflict__c.Opportunity__c',
        'Clm_Conflict__c.Status__c',
        'Clm_Rule__mdt.Direction__c',
        'Clm_Rule__mdt.Enabled__c',
        'Clm_Sync_Status__e.Status__c',
        'Opportunity.Clm_Id__c'
    ],
    CustomMetadata: ['Clm_Rule.Opportunity_Amount'],
    CustomObject: ['Clm_Conflict__c', 'Clm_Rule__mdt', 'Clm_Sync_Status__e'],
    CustomTab: ['Clm_Conflict__c'],
    FlexiPage: ['Clm_Opportunity'],
    Layout: ['Clm_Conflict__c-CLM Conflict Layout'],
    LightningComponentBundle: ['clmStatus'],
    PermissionSet: ['Clm_Connector_User']
};

const APEX_META = (type: string) =>
    `${XML}<${type} ${NS}>\n    <apiVersion>62.0</apiVersion>\n    <status>Active</status>\n</${type}>\n`;

function basePackage(): Files {
    return {
        'package.xml': packageXml(MANIFEST),
        'classes/ClmService.cls':
            'public with sharing class ClmService {\n    public static Integer add(Integer a, Integer b) {\n        return a + b;\n    }\n}\n',
        'classes/ClmService.cls-meta.xml': APEX_META('ApexClass'),
        'triggers/ClmStatusTrigger.trigger':
            'trigger ClmStatusTrigger on Clm_Sync_Status__e (after insert) {\n    System.debug(Trigger.new.size());\n}\n',
        'triggers/ClmStatusTrigger.trigger-meta.xml': APEX_META('ApexTrigger'),
        'objects/Clm_Conflict__c.object': `${XML}<CustomObject ${NS}>
    <deploymentStatus>Deployed</deploymentStatus>
    <fields>
        <fullName>Opportunity__c</fullName>
        <label>Opportunity</label>
        <type>Lookup</type>
        <referenceTo>Opportunity</referenceTo>
        <relationshipName>Clm_Conflicts</relationshipName>
        <deleteConstraint>SetNull</deleteConstraint>
    </fields>
    <fields>
        <fullName>Status__c</fullName>
        <label>Status</label>
        <type>Picklist</type>
        <valueSet>
            <restricted>true</restricted>
            <valueSetDefinition>
                <sorted>false</sorted>
                <value><fullName>Open</fullName><default>true</default><label>Open</label></value>
                <value><fullName>Resolved</fullName><default>false</default><label>Resolved</label></value>
            </valueSetDefinition>
        </valueSet>
    </fields>
    <label>CLM Conflict</label>
    <nameField>
        <displayFormat>CF-{0000}</displayFormat>
        <label>Conflict Number</label>
        <type>AutoNumber</type>
    </nameField>
    <pluralLabel>CLM Conflicts</pluralLabel>
    <sharingModel>ReadWrite</sharingModel>
</CustomObject>
`,
        'objects/Opportunity.object': `${XML}<CustomObject ${NS}>
    <fields>
        <fullName>Clm_Id__c</fullName>
        <externalId>true</externalId>
        <label>CLM Id</label>
        <length>64</length>
        <type>Text</type>
        <unique>true</unique>
    </fields>
</CustomObject>
`,
        'objects/Clm_Sync_Status__e.object': `${XML}<CustomObject ${NS}>
    <deploymentStatus>Deployed</deploymentStatus>
    <eventType>HighVolume</eventType>
    <fields>
        <fullName>Status__c</fullName>
        <label>Status</label>
        <length>40</length>
        <type>Text</type>
    </fields>
    <label>CLM Sync Status</label>
    <pluralLabel>CLM Sync Statuses</pluralLabel>
    <publishBehavior>PublishAfterCommit</publishBehavior>
</CustomObject>
`,
        'objects/Clm_Rule__mdt.object': `${XML}<CustomObject ${NS}>
    <fields>
        <fullName>Direction__c</fullName>
        <label>Direction</label>
        <type>Picklist</type>
        <valueSet>
            <restricted>true</restricted>
            <valueSetDefinition>
                <value><fullName>ToClm</fullName><default>false</default><label>To CLM</label></value>
                <value><fullName>FromClm</fullName><default>false</default><label>From CLM</label></value>
            </valueSetDefinition>
        </valueSet>
    </fields>
    <fields>
        <fullName>Enabled__c</fullName>
        <defaultValue>true</defaultValue>
        <label>Enabled</label>
        <type>Checkbox</type>
    </fields>
    <label>CLM Rule</label>
    <pluralLabel>CLM Rules</pluralLabel>
    <visibility>Public</visibility>
</CustomObject>
`,
        'customMetadata/Clm_Rule.Opportunity_Amount.md': `${XML}<CustomMetadata ${NS} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
    <label>Opportunity Amount</label>
    <protected>false</protected>
    <values>
        <field>Direction__c</field>
        <value xsi:type="xsd:string">ToClm</value>
    </values>
    <values>
        <field>Enabled__c</field>
        <value xsi:type="xsd:boolean">true</value>
    </values>
</CustomMetadata>
`,
        'lwc/clmStatus/clmStatus.js':
            "import { LightningElement, api } from 'lwc';\nexport default class ClmStatus extends LightningElement {\n    @api recordId;\n}\n",
        'lwc/clmStatus/clmStatus.html': '<template><p>{recordId}</p></template>\n',
        'lwc/clmStatus/clmStatus.js-meta.xml': `${XML}<LightningComponentBundle ${NS}>
    <apiVersion>62.0</apiVersion>
    <isExposed>true</isExposed>
    <targets>
        <target>lightning__RecordPage</target>
    </targets>
</LightningComponentBundle>
`,
        'permissionsets/Clm_Connector_User.permissionset': `${XML}<PermissionSet ${NS}>
    <classAccesses>
        <apexClass>ClmService</apexClass>
        <enabled>true</enabled>
    </classAccesses>
    <fieldPermissions>
        <editable>false</editable>
        <field>Opportunity.Clm_Id__c</field>
        <readable>true</readable>
    </fieldPermissions>
    <fieldPermissions>
        <editable>false</editable>
        <field>Opportunity.Amount</field>
        <readable>true</readable>
    </fieldPermissions>
    <hasActivationRequired>false</hasActivationRequired>
    <label>CLM Connector User</label>
    <objectPermissions>
        <allowCreate>false</allowCreate>
        <allowDelete>false</allowDelete>
        <allowEdit>false</allowEdit>
        <allowRead>true</allowRead>
        <modifyAllRecords>false</modifyAllRecords>
        <object>Clm_Conflict__c</object>
        <viewAllRecords>false</viewAllRecords>
    </objectPermissions>
    <tabSettings>
        <tab>Clm_Conflict__c</tab>
        <visibility>Visible</visibility>
    </tabSettings>
</PermissionSet>
`,
        'tabs/Clm_Conflict__c.tab': `${XML}<CustomTab ${NS}>\n    <customObject>true</customObject>\n    <motif>Custom18: Form</motif>\n</CustomTab>\n`,
        'applications/Clm_Admin.app': `${XML}<CustomApplication ${NS}>
    <label>CLM Admin</label>
    <navType>Standard</navType>
    <tabs>Clm_Conflict__c</tabs>
    <tabs>standard-Opportunity</tabs>
    <uiType>Lightning</uiType>
</CustomApplication>
`,
        'layouts/Clm_Conflict__c-CLM Conflict Layout.layout': `${XML}<Layout ${NS}>
    <layoutSections>
        <editHeading>true</editHeading>
        <label>Information</label>
        <layoutColumns>
            <layoutItems>
                <behavior>Readonly</behavior>
                <field>Name</field>
            </layoutItems>
            <layoutItems>
                <behavior>Edit</behavior>
                <field>Status__c</field>
            </layoutItems>
        </layoutColumns>
        <style>OneColumn</style>
    </layoutSections>
</Layout>
`,
        'flexipages/Clm_Opportunity.flexipage': `${XML}<FlexiPage ${NS}>
    <flexiPageRegions>
        <itemInstances>
            <componentInstance>
                <componentName>c:clmStatus</componentName>
                <identifier>c_clmStatus</identifier>
            </componentInstance>
        </itemInstances>
        <name>main</name>
        <type>Region</type>
    </flexiPageRegions>
    <masterLabel>CLM Opportunity</masterLabel>
    <sobjectType>Opportunity</sobjectType>
    <template>
        <name>flexipage:recordHomeTemplateDesktop</name>
    </template>
    <type>RecordPage</type>
</FlexiPage>
`
    };
}

/** The org before the deploy: a few standard objects and fields. */
const ORG_FIELDS: Record<string, string[]> = {
    account: ['id', 'name', 'ownerid'],
    opportunity: ['id', 'name', 'amount', 'stagename', 'closedate', 'accountid'],
    user: ['id', 'username'],
    contract: ['id', 'status', 'accountid']
};

function makeService(onDeployed?: (d: DeployedComponents) => void) {
    const added = new Map<string, Set<string>>();
    const service = new MetadataDeployService({
        schema: {
            objectExists: (name) => name.toLowerCase() in ORG_FIELDS || added.has(name.toLowerCase()),
            fieldExists: (object, field) =>
                (ORG_FIELDS[object.toLowerCase()] ?? []).includes(field.toLowerCase()) ||
                added.get(object.toLowerCase())?.has(field.toLowerCase()) === true
        },
        now: () => new Date('2026-11-23T10:00:00.000Z'),
        userId: '0055e000000001AAA',
        onDeployed: (deployed) => {
            // What the emulator does with the callback: the deployed objects and fields join the schema.
            for (const object of deployed.objects) {
                const fields = added.get(object.name.toLowerCase()) ?? new Set<string>();
                for (const field of object.fields) fields.add(field.fullName.toLowerCase());
                added.set(object.name.toLowerCase(), fields);
            }
            onDeployed?.(deployed);
        }
    });
    return service;
}

interface DeployMessage {
    componentType: string;
    fullName: string;
    fileName: string;
    problem?: string;
    problemType?: string;
    lineNumber?: number | null;
    columnNumber?: number | null;
    created: boolean;
    changed: boolean;
    success: boolean;
}

interface DeployResult {
    status: string;
    success: boolean;
    done: boolean;
    checkOnly: boolean;
    numberComponentsTotal: number;
    numberComponentsDeployed: number;
    numberComponentErrors: number;
    errorStatusCode: string | null;
    details: { componentSuccesses: DeployMessage[]; componentFailures: DeployMessage[] };
}

async function zipOf(files: Files): Promise<Buffer> {
    const zip = new JSZip();
    for (const [path, text] of Object.entries(files)) if (text !== undefined) zip.file(path, text);
    return zip.generateAsync({ type: 'nodebuffer' });
}

async function deploy(
    files: Files,
    options: Record<string, unknown> = { checkOnly: true },
    service = makeService()
): Promise<DeployResult> {
    const form = new FormData();
    form.append('file', new Blob([await zipOf(files)], { type: 'application/zip' }), 'package.xml');
    form.append('entity_content', new Blob([JSON.stringify({ deployOptions: options })], { type: 'application/json' }));
    const encoded = new Response(form);
    const started = service.start(Buffer.from(await encoded.arrayBuffer()), encoded.headers.get('content-type') ?? '');
    expect(started.status).toBe(201);
    const { id } = started.body as { id: string };
    // Polled before the org has looked at the zip, the deploy is still pending and has no details.
    expect((service.get(id, true).body as { deployResult: DeployResult }).deployResult).toMatchObject({
        status: 'Pending',
        done: false,
        details: null
    });
    await service.whenDone(id);
    const polled = service.get(id, true);
    expect(polled.status).toBe(200);
    return (polled.body as { deployResult: DeployResult }).deployResult;
}

function edit(change: (files: Files) => void): Files {
    const files = basePackage();
    change(files);
    return files;
}

function replaceIn(files: Files, path: string, from: string, to: string): void {
    const text = files[path];
    if (text === undefined || !text.includes(from)) throw new Error(`fixture ${path} has no "${from}"`);
    files[path] = text.replace(from, to);
}

function failures(result: DeployResult): DeployMessage[] {
    return result.details.componentFailures;
}

describe('metadata deploy: a valid package', () => {
    it('succeeds with a success message per component, package.xml included, and the documented counts', async () => {
        const result = await deploy(basePackage());
        expect(failures(result)).toEqual([]);
        expect(result).toMatchObject({
            status: 'Succeeded',
            success: true,
            done: true,
            checkOnly: true,
            numberComponentErrors: 0
        });
        const successes = result.details.componentSuccesses.map((m) => `${m.componentType}:${m.fullName}`);
        expect(successes).toEqual(
            expect.arrayContaining([
                ':package.xml',
                'ApexClass:ClmService',
                'ApexTrigger:ClmStatusTrigger',
                'CustomObject:Clm_Conflict__c',
                'CustomField:Clm_Conflict__c.Opportunity__c',
                'CustomField:Opportunity.Clm_Id__c',
                'CustomMetadata:Clm_Rule.Opportunity_Amount',
                'LightningComponentBundle:clmStatus',
                'PermissionSet:Clm_Connector_User',
                'FlexiPage:Clm_Opportunity',
                'Layout:Clm_Conflict__c-CLM Conflict Layout'
            ])
        );
        // Opportunity exists already and is only a carrier for its field: it is not a component of this deploy.
        expect(successes).not.toContain('CustomObject:Opportunity');
        expect(result.numberComponentsTotal).toBe(successes.length - 1);
        expect(result.numberComponentsDeployed).toBe(result.numberComponentsTotal);
        const apex = result.details.componentSuccesses.find((m) => m.fullName === 'ClmService');
        expect(apex).toMatchObject({
            fileName: 'classes/ClmService.cls',
            created: true,
            changed: true,
            success: true,
            id: expect.stringMatching(/^01p/)
        });
    });

    it('accepts a zip whose files sit in one folder beside package.xml (unpackaged/…)', async () => {
        const files = Object.fromEntries(
            Object.entries(basePackage()).map(([path, text]) => [`unpackaged/${path}`, text])
        );
        const result = await deploy(files);
        expect(result.status).toBe('Succeeded');
    });
});

describe('metadata deploy: limits', () => {
    it('refuses a zip of more than 10,000 files as a whole, with LIMIT_EXCEEDED', async () => {
        const files = basePackage();
        for (let i = 0; i < 10_001; i++) files[`classes/Filler${i}.cls`] = '';
        const result = await deploy(files);
        expect(result).toMatchObject({
            status: 'Failed',
            success: false,
            errorStatusCode: 'LIMIT_EXCEEDED',
            numberComponentsTotal: 0
        });
    }, 60_000);
});

describe('metadata deploy: package.xml', () => {
    it('fails without package.xml', async () => {
        const result = await deploy(edit((f) => delete f['package.xml']));
        expect(result).toMatchObject({ status: 'Failed', success: false });
        expect(failures(result)).toContainEqual(
            expect.objectContaining({ fileName: 'package.xml', problem: 'No package.xml found' })
        );
    });

    it('fails when package.xml names a component the zip does not hold, unless allowMissingFiles', async () => {
        const files = edit((f) => {
            f['package.xml'] = packageXml({ ...MANIFEST, ApexClass: ['ClmService', 'Missing_Class'] });
        });
        const result = await deploy(files);
        expect(failures(result)).toContainEqual(
            expect.objectContaining({
                fileName: 'package.xml',
                problem:
                    "An object 'Missing_Class' of type ApexClass was named in package.xml, but was not found in zipped directory"
            })
        );
        expect((await deploy(files, { checkOnly: true, allowMissingFiles: true })).status).toBe('Succeeded');
    });

    it('fails on a type name package.xml may not use', async () => {
        const result = await deploy(edit((f) => (f['package.xml'] = packageXml({ ...MANIFEST, ApexKlass: ['X'] }))));
        expect(failures(result)).toContainEqual(
            expect.objectContaining({ problem: "Unknown type name 'ApexKlass' specified in package.xml" })
        );
    });

    it('fails a component that is in the zip but not named in package.xml', async () => {
        const { FlexiPage: _omitted, ...rest } = MANIFEST;
        const result = await deploy(edit((f) => (f['package.xml'] = packageXml(rest))));
        expect(failures(result)).toContainEqual(
            expect.objectContaining({
                componentType: 'FlexiPage',
                fullName: 'Clm_Opportunity',
                problem: expect.stringContaining('not named in package.xml')
            })
        );
    });

    it('accepts wildcards', async () => {
        const wildcard = Object.fromEntries(Object.keys(MANIFEST).map((type) => [type, ['*']]));
        expect((await deploy(edit((f) => (f['package.xml'] = packageXml(wildcard))))).status).toBe('Succeeded');
    });
});

describe('metadata deploy: files and XML', () => {
    it('fails malformed XML with the line and column of the parse error (SDR does not validate)', async () => {
        const result = await deploy(
            edit((f) =>
                replaceIn(
                    f,
                    'objects/Clm_Sync_Status__e.object',
                    '<label>CLM Sync Status</label>',
                    '<label>CLM Sync Status'
                )
            )
        );
        expect(result.status).toBe('Failed');
        expect(failures(result)).toEqual([
            expect.objectContaining({
                componentType: 'CustomObject',
                fullName: 'Clm_Sync_Status__e',
                fileName: 'objects/Clm_Sync_Status__e.object',
                problem: expect.stringMatching(/Error parsing file: Expected closing tag 'label' \(opened in line 11/),
                lineNumber: 14
            })
        ]);
    });

    it('fails an element the metadata type does not have (a typo SDR passes through), with its line', async () => {
        const result = await deploy(
            edit((f) => replaceIn(f, 'objects/Opportunity.object', '<length>64</length>', '<lenght>64</lenght>'))
        );
        expect(failures(result)).toEqual([
            expect.objectContaining({
                componentType: 'CustomObject',
                fullName: 'Opportunity',
                lineNumber: 7,
                problem:
                    'objects/Opportunity.object: Error parsing file: Element {http://soap.sforce.com/2006/04/metadata}lenght invalid at this location in type CustomField'
            })
        ]);
    });

    it('fails a boolean or number element whose value is not one', async () => {
        const result = await deploy(
            edit((f) => {
                replaceIn(
                    f,
                    'objects/Opportunity.object',
                    '<externalId>true</externalId>',
                    '<externalId>yes</externalId>'
                );
                replaceIn(
                    f,
                    'classes/ClmService.cls-meta.xml',
                    '<apiVersion>62.0</apiVersion>',
                    '<apiVersion>latest</apiVersion>'
                );
            })
        );
        expect(failures(result).map((m) => [m.componentType, m.lineNumber, m.problem])).toEqual(
            expect.arrayContaining([
                [
                    'CustomObject',
                    5,
                    "objects/Opportunity.object: Error parsing file: 'yes' is not a valid value for the type xsd:boolean (CustomField.externalId)"
                ],
                [
                    'ApexClass',
                    3,
                    "classes/ClmService.cls-meta.xml: Error parsing file: 'latest' is not a valid value for the type xsd:double (ApexClass.apiVersion)"
                ]
            ])
        );
    });

    it('fails a file whose root element is not its type', async () => {
        const result = await deploy(
            edit(
                (f) =>
                    (f['tabs/Clm_Conflict__c.tab'] =
                        `${XML}<CustomApplication ${NS}><label>x</label></CustomApplication>`)
            )
        );
        expect(failures(result)).toContainEqual(
            expect.objectContaining({
                componentType: 'CustomTab',
                problem: expect.stringContaining('root element must be CustomTab, not CustomApplication')
            })
        );
    });

    it('fails a file without the metadata namespace', async () => {
        const result = await deploy(edit((f) => replaceIn(f, 'applications/Clm_Admin.app', ` ${NS}`, '')));
        expect(failures(result)).toContainEqual(
            expect.objectContaining({
                componentType: 'CustomApplication',
                problem: expect.stringContaining('namespace')
            })
        );
    });

    it('fails a file that belongs to no metadata type', async () => {
        const result = await deploy(edit((f) => (f['widgets/Thing.widget'] = '<Widget/>')));
        expect(failures(result)).toContainEqual(
            expect.objectContaining({
                fileName: 'widgets/Thing.widget',
                problem: expect.stringContaining('does not belong to any known metadata type')
            })
        );
    });

    it('fails an Apex class without its -meta.xml', async () => {
        const result = await deploy(edit((f) => delete f['classes/ClmService.cls-meta.xml']));
        expect(failures(result)).toContainEqual(
            expect.objectContaining({
                componentType: 'ApexClass',
                fullName: 'ClmService',
                problem: 'The metadata file classes/ClmService.cls-meta.xml is missing'
            })
        );
    });
});

describe('metadata deploy: Apex', () => {
    it('fails a class with a syntax error, naming line and column', async () => {
        const result = await deploy(
            edit((f) => replaceIn(f, 'classes/ClmService.cls', 'return a + b;', 'return a + b'))
        );
        expect(failures(result)).toEqual([
            expect.objectContaining({
                componentType: 'ApexClass',
                fullName: 'ClmService',
                fileName: 'classes/ClmService.cls',
                lineNumber: 4,
                columnNumber: 5,
                problem: "Syntax error: missing ';' at '}'",
                problemType: 'Error'
            })
        ]);
    });

    it('fails a class whose declared name is not its file name', async () => {
        const result = await deploy(
            edit((f) => replaceIn(f, 'classes/ClmService.cls', 'class ClmService', 'class ClmServices'))
        );
        expect(failures(result)).toContainEqual(
            expect.objectContaining({
                problem: 'The type name ClmServices does not match the file name ClmService',
                lineNumber: 1
            })
        );
    });

    it('fails a trigger on an object that exists neither in the zip nor in the org', async () => {
        const result = await deploy(
            edit((f) =>
                replaceIn(f, 'triggers/ClmStatusTrigger.trigger', 'on Clm_Sync_Status__e', 'on Clm_Sync_State__e')
            )
        );
        expect(failures(result)).toContainEqual(
            expect.objectContaining({
                componentType: 'ApexTrigger',
                problem: 'Invalid SObject type name: Clm_Sync_State__e',
                lineNumber: 1,
                columnNumber: 29
            })
        );
    });

    it('checks inline SOQL against the zip and the org: unknown custom fields and custom objects fail the class', async () => {
        const method = (soql: string) =>
            `    public static List<SObject> find(Set<Id> ids) {\n        return [${soql}];\n    }\n}\n`;
        const withQuery = (soql: string) =>
            edit((f) => replaceIn(f, 'classes/ClmService.cls', '    }\n}\n', `    }\n${method(soql)}`));
        const good =
            'SELECT Id, Clm_Id__c, Amount FROM Opportunity WHERE Clm_Id__c != null AND Id IN :ids ORDER BY Clm_Id__c';
        expect((await deploy(withQuery(good))).status).toBe('Succeeded');
        expect((await deploy(withQuery('SELECT Id, Status__c FROM Clm_Conflict__c WITH USER_MODE'))).status).toBe(
            'Succeeded'
        );
        // Standard objects outside the emulator's schema cannot be decided and are let through.
        expect((await deploy(withQuery('SELECT Id, Subject FROM Task'))).status).toBe('Succeeded');

        const badField = await deploy(withQuery('SELECT Id FROM Opportunity WHERE Clm_Ident__c = null'));
        expect(failures(badField)).toEqual([
            expect.objectContaining({
                componentType: 'ApexClass',
                fullName: 'ClmService',
                lineNumber: 6,
                columnNumber: 16,
                problem: expect.stringMatching(/^No such column 'Clm_Ident__c' on entity 'Opportunity'\./)
            })
        ]);
        const badObject = await deploy(withQuery('SELECT Id FROM Clm_Conflicts__c'));
        expect(failures(badObject)).toEqual([
            expect.objectContaining({
                componentType: 'ApexClass',
                problem: "sObject type 'Clm_Conflicts__c' is not supported."
            })
        ]);
    });

    it('fails a trigger with a syntax error', async () => {
        const result = await deploy(
            edit((f) => replaceIn(f, 'triggers/ClmStatusTrigger.trigger', '(after insert)', '(after insert'))
        );
        expect(failures(result)).toContainEqual(
            expect.objectContaining({
                componentType: 'ApexTrigger',
                lineNumber: 1,
                problem: expect.stringMatching(/^Syntax error/)
            })
        );
    });
});

describe('metadata deploy: objects and fields', () => {
    it('fails a lookup to an object that exists nowhere, naming the referenceTo line', async () => {
        const result = await deploy(
            edit((f) =>
                replaceIn(
                    f,
                    'objects/Clm_Conflict__c.object',
                    '<referenceTo>Opportunity</referenceTo>',
                    '<referenceTo>Opportunityy</referenceTo>'
                )
            )
        );
        expect(failures(result)).toEqual([
            expect.objectContaining({
                componentType: 'CustomField',
                fullName: 'Clm_Conflict__c.Opportunity__c',
                fileName: 'objects/Clm_Conflict__c.object',
                lineNumber: 8,
                problem:
                    "Field Opportunity__c: referenceTo value of 'Opportunityy' does not resolve to a valid sObject type"
            })
        ]);
    });

    it('accepts a lookup to an object the same zip defines', async () => {
        const result = await deploy(
            edit((f) =>
                replaceIn(
                    f,
                    'objects/Clm_Conflict__c.object',
                    '<referenceTo>Opportunity</referenceTo>',
                    '<referenceTo>Clm_Conflict__c</referenceTo>'
                )
            )
        );
        expect(result.status).toBe('Succeeded');
    });

    it('fails a Text field without a length and a field of an unknown type', async () => {
        const result = await deploy(
            edit((f) => {
                replaceIn(f, 'objects/Opportunity.object', '<length>64</length>', '');
                replaceIn(f, 'objects/Clm_Sync_Status__e.object', '<type>Text</type>', '<type>Txt</type>');
            })
        );
        expect(failures(result).map((m) => [m.fullName, m.problem])).toEqual(
            expect.arrayContaining([
                ['Opportunity.Clm_Id__c', 'Field Clm_Id__c: length is required for Text'],
                ['Clm_Sync_Status__e.Status__c', 'Field Status__c: bad value for field type: Txt']
            ])
        );
    });

    it('fails a field type the kind of object does not allow (a picklist on a platform event)', async () => {
        const result = await deploy(
            edit((f) =>
                replaceIn(
                    f,
                    'objects/Clm_Sync_Status__e.object',
                    '<length>40</length>\n        <type>Text</type>',
                    '<type>Picklist</type>'
                )
            )
        );
        expect(failures(result)).toContainEqual(
            expect.objectContaining({
                fullName: 'Clm_Sync_Status__e.Status__c',
                problem: 'Field Status__c: the field type Picklist is not allowed on Clm_Sync_Status__e'
            })
        );
    });

    it('fails a custom field name without __c and an object without its required labels', async () => {
        const result = await deploy(
            edit((f) => {
                replaceIn(
                    f,
                    'objects/Clm_Conflict__c.object',
                    '<fullName>Status__c</fullName>',
                    '<fullName>Status</fullName>'
                );
                replaceIn(f, 'objects/Clm_Conflict__c.object', '<pluralLabel>CLM Conflicts</pluralLabel>', '');
                f['package.xml'] = packageXml({
                    ...MANIFEST,
                    CustomField: MANIFEST.CustomField!.map((m) => m.replace('Status__c', 'Status'))
                });
            })
        );
        const problems = failures(result).map((m) => m.problem);
        expect(problems).toContain('Custom field name Status must end with __c');
        expect(problems).toContain('Clm_Conflict__c: pluralLabel is required');
    });

    it('fails fields on a standard object the org does not have', async () => {
        const result = await deploy(
            edit((f) => {
                f['objects/Invoice.object'] = f['objects/Opportunity.object'];
                f['package.xml'] = packageXml({
                    ...MANIFEST,
                    CustomField: [...MANIFEST.CustomField!, 'Invoice.Clm_Id__c']
                });
            })
        );
        expect(failures(result)).toContainEqual(
            expect.objectContaining({
                fullName: 'Invoice.Clm_Id__c',
                problem: 'The object Invoice does not exist in the org and the deploy does not define it'
            })
        );
    });

    it('fails a restricted picklist with two defaults and duplicate values', async () => {
        const result = await deploy(
            edit((f) =>
                replaceIn(
                    f,
                    'objects/Clm_Conflict__c.object',
                    '<fullName>Resolved</fullName><default>false</default>',
                    '<fullName>Open</fullName><default>true</default>'
                )
            )
        );
        const problems = failures(result).map((m) => m.problem);
        expect(problems).toContain('Field Status__c: duplicate picklist value Open');
        expect(problems).toContain('Field Status__c: only one picklist value can be the default');
    });
});

describe('metadata deploy: permission sets', () => {
    it('fails a field permission for a field that does not exist, with the documented message', async () => {
        const result = await deploy(
            edit((f) =>
                replaceIn(
                    f,
                    'permissionsets/Clm_Connector_User.permissionset',
                    'Opportunity.Amount',
                    'Opportunity.Amount__c'
                )
            )
        );
        expect(failures(result)).toEqual([
            expect.objectContaining({
                componentType: 'PermissionSet',
                fullName: 'Clm_Connector_User',
                fileName: 'permissionsets/Clm_Connector_User.permissionset',
                problem: 'In field: field - no CustomField named Opportunity.Amount__c found',
                lineNumber: 14
            })
        ]);
    });

    it('fails object permissions for an unknown object and Edit without Read', async () => {
        const result = await deploy(
            edit((f) => {
                replaceIn(
                    f,
                    'permissionsets/Clm_Connector_User.permissionset',
                    '<object>Clm_Conflict__c</object>',
                    '<object>Clm_Conflicts__c</object>'
                );
                replaceIn(
                    f,
                    'permissionsets/Clm_Connector_User.permissionset',
                    '</objectPermissions>',
                    '</objectPermissions>\n    <objectPermissions><allowEdit>true</allowEdit><allowRead>false</allowRead><object>Account</object></objectPermissions>'
                );
            })
        );
        const problems = failures(result).map((m) => m.problem);
        expect(problems).toContain('In field: object - no CustomObject named Clm_Conflicts__c found');
        expect(problems).toContain('Permission allowEdit on Account depends on permission(s): allowRead');
    });

    it('fails field permissions on a required field and an unknown Apex class', async () => {
        const result = await deploy(
            edit((f) => {
                replaceIn(
                    f,
                    'objects/Opportunity.object',
                    '<unique>true</unique>',
                    '<unique>true</unique>\n        <required>true</required>'
                );
                replaceIn(
                    f,
                    'permissionsets/Clm_Connector_User.permissionset',
                    '<apexClass>ClmService</apexClass>',
                    '<apexClass>ClmMissing</apexClass>'
                );
            })
        );
        const problems = failures(result).map((m) => m.problem);
        expect(problems).toContain('You cannot deploy to a required field: Opportunity.Clm_Id__c');
        expect(problems).toContain('In field: apexClass - no ApexClass named ClmMissing found');
    });

    it('allows only Read and Create on a platform event', async () => {
        const result = await deploy(
            edit((f) =>
                replaceIn(
                    f,
                    'permissionsets/Clm_Connector_User.permissionset',
                    '</objectPermissions>',
                    '</objectPermissions>\n    <objectPermissions><allowEdit>true</allowEdit><allowRead>true</allowRead><object>Clm_Sync_Status__e</object></objectPermissions>'
                )
            )
        );
        expect(failures(result)).toContainEqual(
            expect.objectContaining({
                problem: expect.stringContaining('only supports the Read and Create permissions')
            })
        );
    });
});

describe('metadata deploy: custom metadata, LWC, pages and layouts', () => {
    it('fails a custom metadata record with an unknown field and a value outside its picklist', async () => {
        const result = await deploy(
            edit((f) => {
                replaceIn(
                    f,
                    'customMetadata/Clm_Rule.Opportunity_Amount.md',
                    '<field>Enabled__c</field>',
                    '<field>Enabeld__c</field>'
                );
                replaceIn(f, 'customMetadata/Clm_Rule.Opportunity_Amount.md', '>ToClm<', '>Sideways<');
            })
        );
        const problems = failures(result).map((m) => m.problem);
        expect(problems).toContain('Invalid field Enabeld__c for custom metadata type Clm_Rule__mdt');
        expect(problems).toContain(
            'Clm_Rule.Opportunity_Amount: Direction__c: bad value for restricted picklist field: Sideways'
        );
    });

    it('fails a custom metadata record of a type that does not exist', async () => {
        const result = await deploy(
            edit((f) => {
                f['customMetadata/Clm_Rules.X.md'] = f['customMetadata/Clm_Rule.Opportunity_Amount.md'];
                f['package.xml'] = packageXml({
                    ...MANIFEST,
                    CustomMetadata: ['Clm_Rule.Opportunity_Amount', 'Clm_Rules.X']
                });
            })
        );
        expect(failures(result)).toContainEqual(
            expect.objectContaining({
                fullName: 'Clm_Rules.X',
                problem: 'Custom metadata type Clm_Rules__mdt does not exist'
            })
        );
    });

    it('fails an LWC bundle without its JavaScript', async () => {
        const result = await deploy(edit((f) => delete f['lwc/clmStatus/clmStatus.js']));
        expect(failures(result)).toContainEqual(
            expect.objectContaining({
                componentType: 'LightningComponentBundle',
                fullName: 'clmStatus',
                problem: 'The bundle clmStatus has no clmStatus.js'
            })
        );
    });

    it('fails an LWC whose JavaScript or template does not compile, naming that file and position', async () => {
        const result = await deploy(
            edit((f) => {
                replaceIn(f, 'lwc/clmStatus/clmStatus.js', '@api recordId;', '@api recordId = ;');
                replaceIn(f, 'lwc/clmStatus/clmStatus.html', '</p>', '');
            })
        );
        const found = failures(result).map((m) => [m.fileName, m.lineNumber, m.columnNumber, m.problem]);
        expect(found).toHaveLength(2);
        expect(found).toEqual(
            expect.arrayContaining([
                ['lwc/clmStatus/clmStatus.html', 1, 11, 'LWC1078: <p> has no matching closing tag.'],
                ['lwc/clmStatus/clmStatus.js', 3, 21, 'LWC1007: lwc/clmStatus/clmStatus.js: Unexpected token (3:20)']
            ])
        );
    });

    it('fails a Lightning page placing a component that does not exist, and a layout field that does not exist', async () => {
        const result = await deploy(
            edit((f) => {
                replaceIn(f, 'flexipages/Clm_Opportunity.flexipage', 'c:clmStatus', 'c:clmStatusPanel');
                replaceIn(
                    f,
                    'layouts/Clm_Conflict__c-CLM Conflict Layout.layout',
                    '<field>Status__c</field>',
                    '<field>State__c</field>'
                );
            })
        );
        expect(failures(result).map((m) => [m.componentType, m.problem, m.lineNumber])).toEqual(
            expect.arrayContaining([
                ['FlexiPage', 'FlexiPage: the component c:clmStatusPanel does not exist', 6],
                ['Layout', 'Layout Clm_Conflict__c-CLM Conflict Layout: invalid field State__c on Clm_Conflict__c', 13]
            ])
        );
    });

    it('fails a tab for an object that does not exist', async () => {
        const result = await deploy(
            edit((f) => {
                f['tabs/Clm_Conflicts__c.tab'] = f['tabs/Clm_Conflict__c.tab'];
                f['package.xml'] = packageXml({ ...MANIFEST, CustomTab: ['Clm_Conflict__c', 'Clm_Conflicts__c'] });
            })
        );
        expect(failures(result)).toEqual([
            expect.objectContaining({
                componentType: 'CustomTab',
                fullName: 'Clm_Conflicts__c',
                problem: 'The tab Clm_Conflicts__c is for an object that does not exist',
                lineNumber: 3
            })
        ]);
    });

    it('checks quick actions: the object they are on and the LWC they open', async () => {
        const action = (lwc: string) =>
            `${XML}<QuickAction ${NS}>\n    <actionSubtype>ScreenAction</actionSubtype>\n    <label>Send to CLM</label>\n    <lightningWebComponent>${lwc}</lightningWebComponent>\n    <type>LightningWebComponent</type>\n</QuickAction>\n`;
        const withAction = (name: string, lwc: string) =>
            edit((f) => {
                f[`quickActions/${name}.quickAction`] = action(lwc);
                f['package.xml'] = packageXml({ ...MANIFEST, QuickAction: [name] });
            });
        expect((await deploy(withAction('Opportunity.Send_To_Clm', 'clmStatus'))).status).toBe('Succeeded');
        const result = await deploy(withAction('Opportunityy.Send_To_Clm', 'clmSend'));
        expect(failures(result).map((m) => [m.componentType, m.problem, m.lineNumber])).toEqual([
            ['QuickAction', 'QuickAction Opportunityy.Send_To_Clm: the object Opportunityy does not exist', 2],
            ['QuickAction', 'QuickAction Opportunityy.Send_To_Clm: no LightningComponentBundle named clmSend found', 5]
        ]);
    });

    it('checks change-event channel members: the entity must exist', async () => {
        const member = (entity: string) =>
            `${XML}<PlatformEventChannelMember ${NS}>\n    <eventChannel>ChangeEvents</eventChannel>\n    <selectedEntity>${entity}</selectedEntity>\n</PlatformEventChannelMember>\n`;
        const withMember = (entity: string) =>
            edit((f) => {
                f['platformEventChannelMembers/ChangeEvents_Contract.platformEventChannelMember'] = member(entity);
                f['package.xml'] = packageXml({ ...MANIFEST, PlatformEventChannelMember: ['ChangeEvents_Contract'] });
            });
        expect((await deploy(withMember('ContractChangeEvent'))).status).toBe('Succeeded');
        expect((await deploy(withMember('Clm_Conflict__ChangeEvent'))).status).toBe('Succeeded');
        expect(failures(await deploy(withMember('ContractsChangeEvent')))).toEqual([
            expect.objectContaining({
                problem: 'selectedEntity ContractsChangeEvent is not a valid entity',
                lineNumber: 4
            })
        ]);
    });

    it('checks a destructiveChanges manifest like package.xml (deletions themselves are not modelled)', async () => {
        const ok = await deploy(edit((f) => (f['destructiveChanges.xml'] = packageXml({ ApexClass: ['Old_Class'] }))));
        expect(ok.status).toBe('Succeeded');
        const bad = await deploy(edit((f) => (f['destructiveChanges.xml'] = packageXml({ ApexClas: ['Old_Class'] }))));
        expect(failures(bad)).toEqual([
            expect.objectContaining({
                fileName: 'destructiveChanges.xml',
                problem: "Unknown type name 'ApexClas' specified in destructiveChanges.xml"
            })
        ]);
    });

    it('fails an app listing a tab that does not exist', async () => {
        const result = await deploy(
            edit((f) =>
                replaceIn(
                    f,
                    'applications/Clm_Admin.app',
                    '<tabs>Clm_Conflict__c</tabs>',
                    '<tabs>Clm_Conflicts__c</tabs>'
                )
            )
        );
        expect(failures(result)).toContainEqual(
            expect.objectContaining({
                componentType: 'CustomApplication',
                problem: 'In field: tabs - no CustomTab named Clm_Conflicts__c found',
                lineNumber: 5
            })
        );
    });
});

describe('metadata deploy: effect on the org', () => {
    it('a checkOnly deploy changes nothing', async () => {
        const deployed: DeployedComponents[] = [];
        const service = makeService((d) => deployed.push(d));
        await deploy(basePackage(), { checkOnly: true }, service);
        expect(deployed).toEqual([]);
        expect(service.lastDeployedComponents()).toBeUndefined();
    });

    it('a real deploy hands its objects and fields to the schema, and a repeat reports them unchanged', async () => {
        const deployed: DeployedComponents[] = [];
        const service = makeService((d) => deployed.push(d));
        const first = await deploy(basePackage(), { checkOnly: false }, service);
        expect(first.status).toBe('Succeeded');
        expect(deployed).toHaveLength(1);
        const objects = Object.fromEntries(deployed[0]!.objects.map((o) => [o.name, o]));
        expect(Object.keys(objects).sort()).toEqual([
            'Clm_Conflict__c',
            'Clm_Rule__mdt',
            'Clm_Sync_Status__e',
            'Opportunity'
        ]);
        expect(objects.Clm_Sync_Status__e).toMatchObject({
            kind: 'platformEvent',
            eventType: 'HighVolume',
            publishBehavior: 'PublishAfterCommit'
        });
        expect(objects.Opportunity?.fields).toEqual([
            expect.objectContaining({ fullName: 'Clm_Id__c', type: 'Text', length: 64, externalId: true, unique: true })
        ]);
        expect(objects.Clm_Conflict__c?.fields.find((f) => f.fullName === 'Status__c')).toMatchObject({
            type: 'Picklist',
            restrictedPicklist: true,
            picklistValues: [
                { value: 'Open', label: 'Open', isDefault: true },
                { value: 'Resolved', label: 'Resolved', isDefault: false }
            ]
        });
        expect(objects.Clm_Conflict__c?.xml).toContain('<fullName>Opportunity__c</fullName>');
        expect(deployed[0]!.permissionSets[0]).toMatchObject({
            name: 'Clm_Connector_User',
            fieldPermissions: [
                { field: 'Opportunity.Clm_Id__c', readable: true, editable: false },
                { field: 'Opportunity.Amount', readable: true, editable: false }
            ]
        });
        expect(service.lastDeployedComponents()).toBe(deployed[0]);

        const second = await deploy(basePackage(), { checkOnly: true }, service);
        const apex = second.details.componentSuccesses.find((m) => m.fullName === 'ClmService');
        expect(apex).toMatchObject({ created: false, changed: false });
        const field = second.details.componentSuccesses.find((m) => m.fullName === 'Opportunity.Clm_Id__c');
        expect(field).toMatchObject({ created: false, changed: false });
    });

    it('a later deploy may reference what an earlier one added (a permission set for a deployed class)', async () => {
        const service = makeService();
        const classOnly: Files = {
            'package.xml': packageXml({ ApexClass: ['ClmService'] }),
            'classes/ClmService.cls': basePackage()['classes/ClmService.cls'],
            'classes/ClmService.cls-meta.xml': APEX_META('ApexClass')
        };
        const permissionSetOnly: Files = {
            'package.xml': packageXml({ PermissionSet: ['Clm_Apex'] }),
            'permissionsets/Clm_Apex.permissionset': `${XML}<PermissionSet ${NS}><classAccesses><apexClass>ClmService</apexClass><enabled>true</enabled></classAccesses><label>Apex</label></PermissionSet>`
        };
        expect((await deploy(permissionSetOnly, { checkOnly: true }, service)).status).toBe('Failed');
        expect((await deploy(classOnly, { checkOnly: false }, service)).status).toBe('Succeeded');
        expect((await deploy(permissionSetOnly, { checkOnly: true }, service)).status).toBe('Succeeded');
    });

    it('with rollbackOnError false a broken component leaves the rest deployed (SucceededPartial)', async () => {
        const deployed: DeployedComponents[] = [];
        const service = makeService((d) => deployed.push(d));
        const files = edit((f) => replaceIn(f, 'classes/ClmService.cls', 'return a + b;', 'return a + b'));
        const result = await deploy(files, { checkOnly: false, rollbackOnError: false }, service);
        expect(result).toMatchObject({ status: 'SucceededPartial', success: true, numberComponentErrors: 1 });
        expect(result.numberComponentsDeployed).toBe(result.numberComponentsTotal - 1);
        expect(deployed[0]!.components).not.toContainEqual({ type: 'ApexClass', fullName: 'ClmService' });
        expect(deployed[0]!.components).toContainEqual({ type: 'CustomObject', fullName: 'Clm_Conflict__c' });
    });

    it('with rollbackOnError false a broken field is left out while its object and sibling fields deploy', async () => {
        const deployed: DeployedComponents[] = [];
        const service = makeService((d) => deployed.push(d));
        const files = edit((f) =>
            replaceIn(
                f,
                'objects/Clm_Conflict__c.object',
                '<referenceTo>Opportunity</referenceTo>',
                '<referenceTo>Nothing__c</referenceTo>'
            )
        );
        const result = await deploy(files, { checkOnly: false, rollbackOnError: false }, service);
        expect(result.status).toBe('SucceededPartial');
        const conflict = deployed[0]!.objects.find((o) => o.name === 'Clm_Conflict__c');
        expect(conflict?.fields.map((f) => f.fullName)).toEqual(['Status__c']);
    });

    it('with rollbackOnError (the default) one broken component fails the whole deploy and nothing is added', async () => {
        const deployed: DeployedComponents[] = [];
        const service = makeService((d) => deployed.push(d));
        const files = edit((f) => replaceIn(f, 'classes/ClmService.cls', 'return a + b;', 'return a + b'));
        const result = await deploy(files, { checkOnly: false }, service);
        expect(result).toMatchObject({ status: 'Failed', success: false, numberComponentErrors: 1 });
        expect(deployed).toEqual([]);
    });
});
