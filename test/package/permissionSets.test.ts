// The three permission sets: the integration set is exactly what the field rules need (regenerated and
// compared), every reference in every set exists in the package or the standard schema, and the
// least-privilege lines hold (no delete, no view/modify all, no CLM field editable by people).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { DEFAULT_FIELD_CATALOG, salesforceField } from '../../connector-service/src/domain/salesforce.ts';
import { changeObjects } from '../../connector-service/src/domain/orgContract.ts';
import { repoRoot } from '../support/requirements.ts';
import {
    changeEventObjects,
    INTEGRATION_PERMISSION_SET,
    integrationFieldAccess,
    modifyAllObjects,
    readFieldRules,
    renderIntegrationPermissionSet
} from './integrationPermissionSet.ts';

const DEFAULT_DIR = path.join(repoRoot, 'force-app/main/default');
const SETS = ['Clm_Connector_Admin', 'Clm_Connector_User', 'Clm_Connector_Integration'];
const ARRAYS = new Set([
    'fieldPermissions',
    'objectPermissions',
    'classAccesses',
    'tabSettings',
    'customPermissions',
    'customMetadataTypeAccesses',
    'applicationVisibilities',
    'userPermissions'
]);
const parser = new XMLParser({ parseTagValue: false, isArray: (name) => ARRAYS.has(name) });

interface PermissionSet {
    fieldPermissions?: { field: string; editable: string; readable: string }[];
    objectPermissions?: Record<string, string>[];
    classAccesses?: { apexClass: string }[];
    tabSettings?: { tab: string }[];
    customPermissions?: { name: string }[];
    applicationVisibilities?: { application: string }[];
}

function load(name: string): PermissionSet {
    const file = path.join(DEFAULT_DIR, 'permissionsets', `${name}.permissionset-meta.xml`);
    return (parser.parse(readFileSync(file, 'utf8')) as { PermissionSet: PermissionSet }).PermissionSet;
}

const packageObjects = new Set(readdirSync(path.join(DEFAULT_DIR, 'objects')));
function classNamesUnder(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory()
            ? classNamesUnder(path.join(dir, entry.name))
            : entry.name.endsWith('.cls')
              ? [entry.name.slice(0, -4)]
              : []
    );
}
const packageClasses = new Set(
    [path.join(DEFAULT_DIR, 'classes'), path.join(repoRoot, 'force-app/test/apex')].flatMap(classNamesUnder)
);

/** A field reference exists when the package defines it or the standard schema has it. */
function fieldExists(reference: string): boolean {
    const [object = '', field = ''] = reference.split('.');
    const packageField = path.join(DEFAULT_DIR, 'objects', object, 'fields', `${field}.field-meta.xml`);
    try {
        readFileSync(packageField);
        return true;
    } catch {
        return salesforceField(DEFAULT_FIELD_CATALOG, object, field) !== undefined;
    }
}

describe('permission sets', () => {
    it('Clm_Connector_Integration is exactly what the field rules need (regenerate with `npx tsx test/package/integrationPermissionSet.ts`)', () => {
        expect(readFileSync(INTEGRATION_PERMISSION_SET, 'utf8')).toBe(renderIntegrationPermissionSet(readFieldRules()));
    });

    it('the integration user reads Salesforce-owned fields and edits CLM-owned ones', () => {
        const access = integrationFieldAccess(readFieldRules());
        expect(access.get('Contract.CLM_Notice_Deadline__c')).toBe('edit');
        expect(access.get('Contract.SpecialTerms')).toBe('edit');
        expect(access.get('Contract.CLM_Currency__c')).toBe('edit');
        expect(access.get('Account.BillingCity')).toBe('read');
        expect(access.get('Contact.Email')).toBe('read');
        // Required fields have no field-level security; compound fields are granted through their parts.
        expect(access.has('Opportunity.StageName')).toBe(false);
        expect(access.has('Account.BillingAddress')).toBe(false);
        // A field no rule maps is not granted.
        expect(access.has('Opportunity.Amount')).toBe(false);
        expect(access.has('Contract.Description')).toBe(false);
    });

    it('a rule the generator has not seen changes the integration set', () => {
        const rules = readFieldRules();
        const withAmount = [
            ...rules,
            { name: 'Extra', object: 'Opportunity', field: 'Amount', direction: 'SalesforceToClm', transform: {} }
        ];
        expect(renderIntegrationPermissionSet(withAmount)).not.toBe(renderIntegrationPermissionSet(rules));
        expect(integrationFieldAccess(withAmount).get('Opportunity.Amount')).toBe('read');
    });

    it.each(SETS)('%s references only fields, objects, classes, tabs and permissions that exist', (name) => {
        const set = load(name);
        const missingFields = (set.fieldPermissions ?? [])
            .map((entry) => entry.field)
            .filter((field) => !fieldExists(field));
        const missingObjects = (set.objectPermissions ?? [])
            .map((entry) => entry.object ?? '')
            .filter((object) => object.includes('__') && !packageObjects.has(object));
        const missingClasses = (set.classAccesses ?? [])
            .map((entry) => entry.apexClass)
            .filter((cls) => !packageClasses.has(cls));
        const tabs = new Set(
            readdirSync(path.join(DEFAULT_DIR, 'tabs')).map((file) => file.replace('.tab-meta.xml', ''))
        );
        const missingTabs = (set.tabSettings ?? []).map((entry) => entry.tab).filter((tab) => !tabs.has(tab));
        expect({ missingFields, missingObjects, missingClasses, missingTabs }).toEqual({
            missingFields: [],
            missingObjects: [],
            missingClasses: [],
            missingTabs: []
        });
    });

    it.each(SETS)(
        '%s grants delete only with Modify All, and Modify All only to the integration user on what it edits',
        (name) => {
            const broad = (load(name).objectPermissions ?? []).filter(
                (entry) => entry.allowDelete === 'true' || entry.modifyAllRecords === 'true'
            );
            // Under a Private sharing model the connector edits deals and contracts the reps own: Modify All Records
            // (Salesforce ties Delete to it). People's sets never get either.
            const expected = name === 'Clm_Connector_Integration' ? modifyAllObjects(readFieldRules()) : [];
            expect(broad.map((entry) => entry.object).sort()).toEqual(expected);
            expect(broad.every((entry) => entry.modifyAllRecords === 'true')).toBe(true);
            if (name === 'Clm_Connector_Integration') expect(expected).toEqual(['Contract', 'Opportunity']);
        }
    );

    it('View All Records: only the integration user, only on the objects whose change events it hears', () => {
        const viewAll = (name: string) =>
            (load(name).objectPermissions ?? [])
                .filter((entry) => entry.viewAllRecords === 'true')
                .map((entry) => entry.object)
                .sort();
        // A change event subscription needs View All on its object (Change Data Capture ignores sharing).
        expect(viewAll('Clm_Connector_Integration')).toEqual(changeEventObjects(readFieldRules()));
        // Modify All implies View All; the objects it hears include every object it edits.
        expect(viewAll('Clm_Connector_Integration')).toEqual(['Account', 'Contact', 'Contract', 'Opportunity']);
        for (const name of SETS.filter((set) => set !== 'Clm_Connector_Integration'))
            expect(viewAll(name), name).toEqual([]);
    });

    it('View All Records in the CPQ integration set: exactly the CPQ objects whose change events the connector hears', () => {
        const file = path.join(
            repoRoot,
            'force-app-cpq/main/default/permissionsets/Clm_Connector_Integration_Cpq.permissionset-meta.xml'
        );
        const set = (parser.parse(readFileSync(file, 'utf8')) as { PermissionSet: PermissionSet }).PermissionSet;
        const viewAll = (set.objectPermissions ?? [])
            .filter((entry) => entry.viewAllRecords === 'true')
            .map((entry) => entry.object)
            .sort();
        expect(viewAll).toEqual(
            changeObjects({ cpq: true })
                .filter((object) => !changeObjects({ cpq: false }).includes(object))
                .sort()
        );
    });

    it('people never edit a CLM-owned field; only admins edit the decision fields', () => {
        for (const name of ['Clm_Connector_User', 'Clm_Connector_Admin']) {
            const editable = (load(name).fieldPermissions ?? [])
                .filter((entry) => entry.editable === 'true')
                .map((entry) => entry.field);
            expect(editable.filter((field) => /^(Contract|Opportunity)\./.test(field))).toEqual([]);
            if (name === 'Clm_Connector_User') expect(editable).toEqual([]);
            else {
                expect(editable.sort()).toEqual([
                    'Clm_Conflict__c.Resolution__c',
                    'Clm_Conflict__c.Resolved_Value__c',
                    'Clm_Conflict__c.Status__c',
                    'Clm_Sync_Error__c.Status__c'
                ]);
            }
        }
    });

    it('only the admin set holds the manage permission; only people send requests; only the integration publishes status', () => {
        const grants = (name: string, object: string, flag: string): boolean =>
            (load(name).objectPermissions ?? []).some((entry) => entry.object === object && entry[flag] === 'true');
        expect(
            SETS.filter((name) =>
                (load(name).customPermissions ?? []).some((entry) => entry.name === 'Clm_Manage_Sync')
            )
        ).toEqual(['Clm_Connector_Admin']);
        expect(SETS.filter((name) => grants(name, 'Clm_Sync_Request__e', 'allowCreate'))).toEqual([
            'Clm_Connector_Admin',
            'Clm_Connector_User'
        ]);
        expect(SETS.filter((name) => grants(name, 'Clm_Sync_Status__e', 'allowCreate'))).toEqual([
            'Clm_Connector_Integration'
        ]);
    });
});
