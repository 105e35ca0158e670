// A metadata deploy over HTTP compiles its Apex with the org's: a compile error fails the deploy with a
// componentFailure (file, line, column, Salesforce's wording) and installs nothing; a clean deploy replaces
// the program the org runs, and its trigger then runs on the REST write path.
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeProgram } from '../src/apex/index.ts';
import type { RunningSalesforceEmulator } from '../src/index.ts';
import { call, dataPath, startFixtureOrg, tokenFor } from './helpers.ts';

const NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"';
const DEPLOY = dataPath('/metadata/deployRequest');
const META = (type: string) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<${type} ${NS}>\n    <apiVersion>62.0</apiVersion>\n    <status>Active</status>\n</${type}>\n`;

let emu: RunningSalesforceEmulator;
let token: string;

async function apexZip(classBody: string, triggerBody: string): Promise<Buffer> {
    const zip = new JSZip();
    zip.file(
        'package.xml',
        `<?xml version="1.0" encoding="UTF-8"?>\n<Package ${NS}>\n    <types>\n        <members>AccountNamer</members>\n        <name>ApexClass</name>\n    </types>\n    <types>\n        <members>AccountTrigger</members>\n        <name>ApexTrigger</name>\n    </types>\n    <version>62.0</version>\n</Package>\n`
    );
    zip.file('classes/AccountNamer.cls', classBody);
    zip.file('classes/AccountNamer.cls-meta.xml', META('ApexClass'));
    zip.file('triggers/AccountTrigger.trigger', triggerBody);
    zip.file('triggers/AccountTrigger.trigger-meta.xml', META('ApexTrigger'));
    return zip.generateAsync({ type: 'nodebuffer' });
}

async function deploy(zip: Buffer): Promise<Record<string, unknown>> {
    const form = new FormData();
    form.append('file', new Blob([zip], { type: 'application/zip' }), 'deploy.zip');
    form.append(
        'entity_content',
        new Blob([JSON.stringify({ deployOptions: { rollbackOnError: true } })], { type: 'application/json' })
    );
    const res = await fetch(`${emu.instanceUrl}${DEPLOY}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
        body: form
    });
    const id = String(((await res.json()) as { id: string }).id);
    for (let attempt = 0; attempt < 200; attempt++) {
        const poll = await call(emu, 'GET', `${DEPLOY}/${id}?includeDetails=true`, { token });
        const result = (poll.json as { deployResult: Record<string, unknown> }).deployResult;
        if (result.done === true) return result;
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('deploy did not finish');
}

const TRIGGER = `trigger AccountTrigger on Account (before insert) {
    for (Account a : Trigger.new) {
        a.Description = AccountNamer.describe(a.Name);
    }
}
`;

beforeAll(async () => {
    emu = await startFixtureOrg();
    token = await tokenFor(emu);
}, 60_000);

afterAll(async () => {
    await emu.close();
});

describe('Apex on deploy', () => {
    it('fails a deploy whose Apex does not compile, with the problem, its line and column, and installs nothing', async () => {
        const body = `public class AccountNamer {
    public static String describe(String name) {
        Account probe = new Account(Name = name, No_Such_Field__c = 1);
        return 'Account ' + name;
    }
}
`;
        const result = await deploy(await apexZip(body, TRIGGER));
        expect(result.status).toBe('Failed');
        const failures = (result.details as { componentFailures: Record<string, unknown>[] }).componentFailures;
        expect(failures).toEqual([
            expect.objectContaining({
                componentType: 'ApexClass',
                fullName: 'AccountNamer',
                fileName: 'classes/AccountNamer.cls',
                lineNumber: 3,
                columnNumber: 50,
                problem: 'Invalid field No_Such_Field__c for Account',
                problemType: 'Error'
            })
        ]);
        expect(activeProgram(emu.org)?.classNames() ?? []).not.toContain('AccountNamer');
    });

    it('installs a clean deploy: its trigger runs on a REST insert', async () => {
        const body = `public class AccountNamer {
    public static String describe(String name) {
        return 'Account ' + name.toUpperCase();
    }
}
`;
        const result = await deploy(await apexZip(body, TRIGGER));
        expect(result.status).toBe('Succeeded');
        expect(activeProgram(emu.org)!.classNames()).toContain('AccountNamer');
        const created = await call(emu, 'POST', dataPath('/sobjects/Account'), { token, body: { Name: 'Acme' } });
        expect(created.status).toBe(201);
        const id = (created.json as { id: string }).id;
        const read = await call(emu, 'GET', dataPath(`/sobjects/Account/${id}?fields=Description`), { token });
        expect((read.json as { Description: string }).Description).toBe('Account ACME');
    });

    it('compiles Apex against the objects the same deploy adds', async () => {
        const zip = new JSZip();
        zip.file(
            'package.xml',
            `<?xml version="1.0" encoding="UTF-8"?>\n<Package ${NS}>\n    <types>\n        <members>WidgetMaker</members>\n        <name>ApexClass</name>\n    </types>\n    <types>\n        <members>Widget__c</members>\n        <name>CustomObject</name>\n    </types>\n    <version>62.0</version>\n</Package>\n`
        );
        zip.file(
            'objects/Widget__c.object',
            `<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject ${NS}>\n    <deploymentStatus>Deployed</deploymentStatus>\n    <fields>\n        <fullName>Size__c</fullName>\n        <label>Size</label>\n        <precision>5</precision>\n        <scale>0</scale>\n        <type>Number</type>\n    </fields>\n    <label>Widget</label>\n    <nameField>\n        <label>Widget Name</label>\n        <type>Text</type>\n    </nameField>\n    <pluralLabel>Widgets</pluralLabel>\n    <sharingModel>ReadWrite</sharingModel>\n</CustomObject>\n`
        );
        zip.file(
            'classes/WidgetMaker.cls',
            `public class WidgetMaker {\n    public static Id make(Integer size) {\n        Widget__c w = new Widget__c(Name = 'w', Size__c = size);\n        insert w;\n        return w.Id;\n    }\n}\n`
        );
        zip.file('classes/WidgetMaker.cls-meta.xml', META('ApexClass'));
        const result = await deploy(await zip.generateAsync({ type: 'nodebuffer' }));
        expect((result.details as { componentFailures: unknown[] }).componentFailures).toEqual([]);
        expect(result.status).toBe('Succeeded');
        const run = activeProgram(emu.org)!.executeAnonymous(
            { userId: emu.org.userIds.admin },
            'System.debug([SELECT Size__c FROM Widget__c WHERE Id = :WidgetMaker.make(3)].Size__c);'
        );
        expect(run.exceptionMessage).toBeNull();
        expect(run.debugLog).toContain('|DEBUG|3');
    });
});
