// A metadata deploy with a test level (over the SOAP Metadata API, with jsforce): the tests run on the deployed
// code before anything commits, a failing test fails the deploy and leaves the org's Apex as it was, and the
// 75 % coverage rule applies in a production org only (a Developer Edition org runs the tests, no rule).
import type jsforce from 'jsforce';
import JSZip from 'jszip';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { activeProgram } from '../src/apex/index.ts';
import type { RunningSalesforceEmulator } from '../src/index.ts';
import { connectAs, startFixtureOrg } from './helpers.ts';

const NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"';

let emu: RunningSalesforceEmulator;
let conn: jsforce.Connection;

const GREETER = `public with sharing class Greeter {
    public static String greet(String name) {
        if (name == null) {
            return 'Hello, nobody';
        }
        return 'Hello, ' + name;
    }
    public static Integer unused(Integer a) {
        Integer b = a * 2;
        Integer c = b + 1;
        Integer d = c * 3;
        Integer e = d - 4;
        return e;
    }
}`;

const greeterTest = (expected: string) => `@IsTest
private class GreeterTest {
    @IsTest
    static void greetsByName() {
        Assert.areEqual('${expected}', Greeter.greet('Ada'), 'the greeting names the person');
    }
}`;

async function zipOf(classes: Record<string, string>): Promise<Buffer> {
    const zip = new JSZip();
    const members = Object.keys(classes)
        .map((name) => `<members>${name}</members>`)
        .join('');
    zip.file(
        'package.xml',
        `<?xml version="1.0" encoding="UTF-8"?><Package ${NS}><types>${members}<name>ApexClass</name></types><version>62.0</version></Package>`
    );
    for (const [name, body] of Object.entries(classes)) {
        zip.file(`classes/${name}.cls`, body);
        zip.file(
            `classes/${name}.cls-meta.xml`,
            `<?xml version="1.0" encoding="UTF-8"?><ApexClass ${NS}><apiVersion>62.0</apiVersion><status>Active</status></ApexClass>`
        );
    }
    return zip.generateAsync({ type: 'nodebuffer' });
}

async function deploy(classes: Record<string, string>, options: Record<string, unknown>) {
    const { id } = await conn.metadata.deploy(await zipOf(classes), { rollbackOnError: true, ...options });
    for (let attempt = 0; attempt < 200; attempt++) {
        const result = await conn.metadata.checkDeployStatus(id, true);
        if (result.done) return result;
        await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`deploy ${id} did not finish`);
}

describe('a deploy that runs Apex tests', () => {
    beforeEach(async () => {
        emu = await startFixtureOrg();
        conn = await connectAs(emu);
    });

    afterEach(async () => {
        await emu?.close();
    });

    it('runs the local tests on the deployed code and succeeds when they pass', async () => {
        const result = await deploy(
            { Greeter: GREETER, GreeterTest: greeterTest('Hello, Ada') },
            { testLevel: 'RunLocalTests' }
        );
        expect(result).toMatchObject({
            status: 'Succeeded',
            success: true,
            runTestsEnabled: true,
            numberTestsTotal: 1,
            numberTestErrors: 0
        });
        expect(result.details.runTestResult).toMatchObject({
            numTestsRun: 1,
            numFailures: 0,
            successes: [expect.objectContaining({ name: 'GreeterTest', methodName: 'greetsByName' })],
            codeCoverage: [expect.objectContaining({ name: 'Greeter', type: 'Class' })]
        });
        expect(activeProgram(emu.org)?.classNames()).toEqual(expect.arrayContaining(['Greeter', 'GreeterTest']));
    });

    it('fails on a failing test, reports it, and installs nothing', async () => {
        const result = await deploy(
            { Greeter: GREETER, GreeterTest: greeterTest('Goodbye, Ada') },
            { testLevel: 'RunSpecifiedTests', runTests: ['GreeterTest'] }
        );
        expect(result).toMatchObject({ status: 'Failed', success: false, numberTestsTotal: 1, numberTestErrors: 1 });
        expect(result.details.runTestResult).toMatchObject({
            numFailures: 1,
            failures: [
                expect.objectContaining({
                    name: 'GreeterTest',
                    methodName: 'greetsByName',
                    message: expect.stringContaining('Assert')
                })
            ]
        });
        expect(activeProgram(emu.org)?.classNames() ?? []).not.toContain('Greeter');
    });

    it('applies the 75 % coverage rule in a production org only', async () => {
        const classes = { Greeter: GREETER, GreeterTest: greeterTest('Hello, Ada') };
        const developerEdition = await deploy(classes, { testLevel: 'RunLocalTests', checkOnly: true });
        expect(developerEdition.status).toBe('Succeeded');
        expect(developerEdition.details.runTestResult?.codeCoverageWarnings).toEqual([]);

        const organization = emu.org.store.rows('Organization')[0]!;
        organization.OrganizationType = 'Enterprise Edition';
        const production = await deploy(classes, { testLevel: 'RunLocalTests', checkOnly: true });
        expect(production).toMatchObject({ status: 'Failed', success: false, numberTestErrors: 0 });
        expect(production.details.runTestResult?.codeCoverageWarnings).toEqual([
            expect.objectContaining({
                message: expect.stringMatching(
                    /^Average test coverage across all Apex Classes and Triggers is \d+%, at least 75% test coverage is required\.$/
                )
            })
        ]);
    });
});
