// Schema from metadata (metadata-API `.object` files, custom metadata records), CPQ roll-ups and
// master-detail cascade, and the metadata deploy routes wired to the deploy service.
import JSZip from 'jszip';
import type jsforce from 'jsforce';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../src/index.ts';
import { API_VERSION, FIXTURE_ORG, call, connectAs, dataPath, startFixtureOrg } from './helpers.ts';

let emu: RunningSalesforceEmulator;
let conn: jsforce.Connection;

beforeAll(async () => {
    emu = await startFixtureOrg({ metadataDirs: [FIXTURE_ORG, path.join(path.dirname(FIXTURE_ORG), 'mdapi')] });
    conn = await connectAs(emu);
});
afterAll(async () => {
    await emu?.close();
});

describe('schema from metadata', () => {
    it('loads metadata-API .object files with their fields', async () => {
        expect(emu.org.loaded.flatMap((l) => l.problems)).toEqual([]);
        const d = await conn.sobject('Invoice__c').describe();
        const byName = Object.fromEntries(d.fields.map((f) => [f.name, f]));
        expect(byName.Amount__c).toMatchObject({
            type: 'currency',
            precision: 16,
            scale: 2,
            nillable: false,
            createable: true
        });
        expect(byName.Contract__c).toMatchObject({
            type: 'reference',
            referenceTo: ['Contract'],
            relationshipName: 'Contract__r'
        });
        expect(byName.Status__c).toMatchObject({ type: 'picklist', restrictedPicklist: true, defaultValue: 'Open' });
        expect(byName.Doubled__c).toMatchObject({
            calculated: true,
            createable: false,
            updateable: false,
            calculatedFormula: 'Amount__c * 2'
        });
        const contract = await conn.sobject('Contract').describe();
        expect(contract.childRelationships).toEqual(
            expect.arrayContaining([
                expect.objectContaining({
                    childSObject: 'Invoice__c',
                    field: 'Contract__c',
                    relationshipName: 'Invoices__r'
                })
            ])
        );
        const inv = await conn.sobject('Invoice__c').create({ Name: 'INV-1', Amount__c: 12 });
        const rec = (await conn.sobject('Invoice__c').retrieve(inv.id!)) as Record<string, unknown>;
        expect(rec.Status__c).toBe('Open');
    });

    it('serves custom metadata records through SOQL', async () => {
        const rows = await conn.query<{
            DeveloperName: string;
            Source_Field__c: string | null;
            Active__c: boolean;
            Priority__c: number | null;
        }>(
            'SELECT DeveloperName, Source_Field__c, Active__c, Priority__c FROM Fixture_Mapping__mdt WHERE Active__c = true'
        );
        expect(rows.records.map((r) => [r.DeveloperName, r.Source_Field__c, r.Active__c, r.Priority__c])).toEqual([
            ['Contract_Status', 'Contract.Status', true, 10]
        ]);
        await expect(conn.sobject('Fixture_Mapping__mdt').create({ DeveloperName: 'x' })).rejects.toMatchObject({
            errorCode: 'INSUFFICIENT_ACCESS_OR_READONLY'
        });
    });

    it('keeps CPQ roll-ups in step and deletes quote lines with their quote', async () => {
        const product = (await conn.sobject('Product2').create({ Name: 'Widget', IsActive: true })).id!;
        const quote = (await conn.sobject('SBQQ__Quote__c').create({ SBQQ__Primary__c: true })).id!;
        const lines = await conn.sobject('SBQQ__QuoteLine__c').create([
            { SBQQ__Quote__c: quote, SBQQ__Product__c: product, SBQQ__Quantity__c: 2, SBQQ__NetPrice__c: 10.5 },
            { SBQQ__Quote__c: quote, SBQQ__Product__c: product, SBQQ__Quantity__c: 1, SBQQ__NetPrice__c: 4 }
        ]);
        let q = (await conn.sobject('SBQQ__Quote__c').retrieve(quote)) as Record<string, unknown>;
        expect(q).toMatchObject({ SBQQ__NetAmount__c: 25, SBQQ__LineItemCount__c: 2, SBQQ__Status__c: 'Draft' });
        expect(String(q.Name)).toMatch(/^Q-\d{5}$/);
        await conn.sobject('SBQQ__QuoteLine__c').update({ Id: lines[1]!.id!, SBQQ__Quantity__c: 3 });
        q = (await conn.sobject('SBQQ__Quote__c').retrieve(quote)) as Record<string, unknown>;
        expect(q.SBQQ__NetAmount__c).toBe(33);
        await expect(conn.sobject('SBQQ__Quote__c').update({ Id: quote, SBQQ__NetAmount__c: 1 })).rejects.toMatchObject(
            { errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE' }
        );
        await conn.sobject('SBQQ__Quote__c').destroy(quote);
        expect(
            (await conn.query(`SELECT Id FROM SBQQ__QuoteLine__c WHERE SBQQ__Quote__c = '${quote}'`)).totalSize
        ).toBe(0);
        expect(
            (await conn.query(`SELECT Id FROM SBQQ__QuoteLine__c WHERE SBQQ__Quote__c = '${quote}'`, { scanAll: true }))
                .totalSize
        ).toBe(2);
    });
});

describe('the package (force-app, force-app-cpq)', () => {
    it('loads every object, field, permission set and custom metadata record it defines without a problem', async () => {
        const pkg = await startSalesforceEmulator({});
        try {
            // Only that it loads: what the package contains is the package's business, not this suite's.
            expect(pkg.org.loaded.flatMap((l) => l.problems)).toEqual([]);
        } finally {
            await pkg.close();
        }
    });
});

describe('files (ContentVersion)', () => {
    it('creates the document, links it to the record, versions it and serves VersionData', async () => {
        const account = (await conn.sobject('Account').create({ Name: 'Has files' })).id!;
        const pdf = Buffer.from('%PDF-1.4 contract body');
        const v1 = (
            await conn.sobject('ContentVersion').create({
                Title: 'MSA',
                PathOnClient: 'msa.pdf',
                VersionData: pdf.toString('base64'),
                FirstPublishLocationId: account
            })
        ).id!;
        const rec1 = (await conn.sobject('ContentVersion').retrieve(v1)) as Record<string, unknown>;
        expect(rec1).toMatchObject({
            FileType: 'PDF',
            FileExtension: 'pdf',
            ContentSize: pdf.length,
            VersionNumber: '1',
            IsLatest: true
        });
        expect(rec1.VersionData).toBe(`/services/data/v${API_VERSION}/sobjects/ContentVersion/${v1}/VersionData`);
        const docId = String(rec1.ContentDocumentId);
        const links = await conn.query<{ ContentDocumentId: string }>(
            `SELECT ContentDocumentId FROM ContentDocumentLink WHERE LinkedEntityId = '${account}'`
        );
        expect(links.records.map((l) => l.ContentDocumentId)).toEqual([docId]);
        const blob = await fetch(`${emu.instanceUrl}${String(rec1.VersionData)}`, {
            headers: { Authorization: `Bearer ${conn.accessToken}` }
        });
        expect(Buffer.from(await blob.arrayBuffer())).toEqual(pdf);
        const v2 = (
            await conn.sobject('ContentVersion').create({
                Title: 'MSA v2',
                PathOnClient: 'msa.pdf',
                VersionData: Buffer.from('v2').toString('base64'),
                ContentDocumentId: docId
            })
        ).id!;
        const doc = (await conn.sobject('ContentDocument').retrieve(docId)) as Record<string, unknown>;
        expect(doc).toMatchObject({ LatestPublishedVersionId: v2, Title: 'MSA v2', ContentSize: 2 });
        const versions = await conn.query<{ VersionNumber: string; IsLatest: boolean }>(
            `SELECT VersionNumber, IsLatest FROM ContentVersion WHERE ContentDocumentId = '${docId}' ORDER BY VersionNumber`
        );
        expect(versions.records.map((v) => [v.VersionNumber, v.IsLatest])).toEqual([
            ['1', false],
            ['2', true]
        ]);
    });
});

describe('metadata deploy routes', () => {
    async function deployZip(files: Record<string, string>): Promise<{ body: Buffer; contentType: string }> {
        const zip = new JSZip();
        for (const [name, text] of Object.entries(files)) zip.file(name, text);
        const content = await zip.generateAsync({ type: 'nodebuffer' });
        const boundary = 'emulatorBoundary42';
        const json = JSON.stringify({ deployOptions: { checkOnly: true, singlePackage: true } });
        const body = Buffer.concat([
            Buffer.from(
                `--${boundary}\r\nContent-Disposition: form-data; name="json"\r\nContent-Type: application/json\r\n\r\n${json}\r\n`
            ),
            Buffer.from(
                `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="deploy.zip"\r\nContent-Type: application/zip\r\n\r\n`
            ),
            content,
            Buffer.from(`\r\n--${boundary}--\r\n`)
        ]);
        return { body, contentType: `multipart/form-data; boundary=${boundary}` };
    }

    const packageXml = `<?xml version="1.0" encoding="UTF-8"?>
<Package xmlns="http://soap.sforce.com/2006/04/metadata"><types><members>Account.Deployed_Note__c</members><name>CustomField</name></types><version>${API_VERSION}</version></Package>`;
    const fieldXml = `<?xml version="1.0" encoding="UTF-8"?>
<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata"><fields><fullName>Deployed_Note__c</fullName><label>Deployed Note</label><length>40</length><type>Text</type></fields></CustomObject>`;

    it('accepts a multipart deploy, answers 201 Pending, then reports the checked result', async () => {
        const { body, contentType } = await deployZip({
            'package.xml': packageXml,
            'objects/Account.object': fieldXml
        });
        const res = await fetch(`${emu.instanceUrl}${dataPath('/metadata/deployRequest')}`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${conn.accessToken}`, 'Content-Type': contentType },
            body
        });
        expect(res.status).toBe(201);
        const started = (await res.json()) as { id: string; deployResult: { status: string } };
        expect(started.deployResult.status).toMatch(/Pending|InProgress/);
        let result: { deployResult: { done: boolean; success: boolean; status: string } } | undefined;
        for (let i = 0; i < 100; i++) {
            const poll = await call(emu, 'GET', dataPath(`/metadata/deployRequest/${started.id}?includeDetails=true`), {
                token: conn.accessToken!
            });
            expect(poll.status).toBe(200);
            result = poll.json as typeof result;
            if (result?.deployResult.done) break;
            await new Promise((r) => setTimeout(r, 20));
        }
        expect(result?.deployResult).toMatchObject({ done: true });
    });

    it('refuses deploys from users without Modify All Data', async () => {
        const rep = await connectAs(emu, emu.users.salesRep.username);
        const res = await call(emu, 'GET', dataPath('/metadata/deployRequest/0Af5e0000000001CAA'), {
            token: rep.accessToken!
        });
        expect(res.status).toBe(403);
        expect(res.json).toEqual([expect.objectContaining({ errorCode: 'INSUFFICIENT_ACCESS' })]);
    });
});
