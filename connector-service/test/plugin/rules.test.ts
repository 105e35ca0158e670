// `sf clm rules validate` and `sf clm rules list` as unit tests: @salesforce/core's TestContext with stubbed
// auth and a fake org answering describes, SOQL and the UI API (support/fakeOrg.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import RulesList from '../../src/commands/clm/rules/list.ts';
import RulesValidate from '../../src/commands/clm/rules/validate.ts';
import { DEFAULT_RULES } from '../../src/domain/defaultRules.ts';
import { LIFECYCLES } from '../../src/domain/clm.ts';
import { ruleToRecord } from '../../src/domain/ruleRecords.ts';
import type { FieldRuleInput } from '../../src/domain/rules.ts';
import type { RulesValidateResult } from '../../src/plugin/results.ts';
import { useCommandContext } from './support/commandContext.ts';
import { fakeOrg, type FakeField, type FakeOrgData, type Row } from './support/fakeOrg.ts';
import { schemaErrors } from './support/schemas.ts';

const INTEGRATION = { Id: '005000000000002AAA', Username: 'integration@example.com', IsActive: true };
const INTEGRATION_SET = '0PS000000000002AAA';

const CONTRACT_FIELDS: FakeField[] = [
    { name: 'Id', type: 'id', permissionable: false, createable: false, updateable: false, nillable: false },
    { name: 'AccountId', type: 'reference', nillable: false, permissionable: false },
    { name: 'StartDate', type: 'date' },
    { name: 'ContractTerm', type: 'int' },
    { name: 'SpecialTerms', type: 'textarea', length: 4000 },
    { name: 'EndDate', type: 'date', calculated: true },
    {
        name: 'Status',
        type: 'picklist',
        length: 40,
        restrictedPicklist: true,
        picklistValues: ['Draft', 'Activated'],
        nillable: false,
        defaultedOnCreate: true,
        permissionable: false
    },
    {
        name: 'CLM_Lifecycle__c',
        type: 'picklist',
        length: 255,
        restrictedPicklist: true,
        picklistValues: [...LIFECYCLES]
    },
    { name: 'CLM_Contract_Value__c', type: 'currency' },
    { name: 'CLM_Currency__c', type: 'string', length: 3 },
    { name: 'Geo__c', type: 'location' }
];
const GRANTED = [
    'StartDate',
    'ContractTerm',
    'SpecialTerms',
    'EndDate',
    'CLM_Lifecycle__c',
    'CLM_Contract_Value__c',
    'CLM_Currency__c',
    'CurrencyIsoCode',
    'Geo__c'
];

function org(
    overrides: {
        fields?: FakeField[];
        grants?: Row[];
        tables?: Record<string, Row[]>;
        denied?: string[];
        /** View All Records on Contract (the integration permission set grants it). */
        viewAll?: boolean;
    } = {}
): FakeOrgData {
    return {
        objects: [
            {
                name: 'Contract',
                fields: overrides.fields ?? CONTRACT_FIELDS,
                recordTypes: [
                    { recordTypeId: '012000000000009AAA', developerName: 'Renewal', picklists: { Status: ['Draft'] } }
                ]
            }
        ],
        tables: {
            User: [INTEGRATION, { Id: '005000000000001AAA', Username: 'admin@example.com', IsActive: true }],
            PermissionSet: [
                {
                    Id: INTEGRATION_SET,
                    Name: 'Clm_Connector_Integration',
                    PermissionsModifyAllData: false,
                    PermissionsViewAllData: false
                }
            ],
            PermissionSetAssignment: [{ AssigneeId: INTEGRATION.Id, PermissionSetId: INTEGRATION_SET }],
            ObjectPermissions: [
                {
                    ParentId: INTEGRATION_SET,
                    SobjectType: 'Contract',
                    PermissionsRead: true,
                    PermissionsCreate: true,
                    PermissionsEdit: true,
                    PermissionsViewAllRecords: overrides.viewAll ?? true
                }
            ],
            FieldPermissions:
                overrides.grants ??
                GRANTED.map((name) => ({
                    ParentId: INTEGRATION_SET,
                    SobjectType: 'Contract',
                    Field: `Contract.${name}`,
                    PermissionsRead: true,
                    PermissionsEdit: true
                })),
            Clm_Field_Mapping__mdt: [],
            ...overrides.tables
        },
        denied: overrides.denied
    };
}

const rule = (
    input: Partial<FieldRuleInput> & Pick<FieldRuleInput, 'name' | 'sfField' | 'clmField' | 'direction'>
): FieldRuleInput => ({ sfObject: 'Contract', ...input });
const START = rule({
    name: 'Contract_Start_Date',
    sfField: 'StartDate',
    clmField: 'effectiveDate',
    direction: 'ClmToSalesforce',
    transform: { kind: 'date' }
});
const TERM = rule({
    name: 'Contract_Term',
    sfField: 'ContractTerm',
    clmField: 'termMonths',
    direction: 'ClmToSalesforce'
});

describe('sf clm rules validate', () => {
    const ctx = useCommandContext();
    const { $$, testOrg } = ctx;
    let dir: string;
    let requests: string[];

    beforeEach(() => {
        dir = mkdtempSync(path.join(os.tmpdir(), 'clm-rules-'));
        requests = [];
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const rulesFile = (rules: unknown[]) => {
        const file = path.join(dir, 'rules.json');
        writeFileSync(file, JSON.stringify(rules));
        return file;
    };
    const validate = async (data: FakeOrgData, args: string[]) => {
        $$.fakeConnectionRequest = fakeOrg(data, requests);
        const result = await RulesValidate.run(['--target-org', testOrg.username, '--json', ...args], ctx.config);
        expect(schemaErrors('clm rules validate', result)).toEqual([]);
        return result;
    };
    const codes = (result: RulesValidateResult) =>
        result.problems.map((p) => `${p.rule} ${p.code} ${p.field ?? ''}`.trim());

    it('passes sound rules with exit code 0, as the integration user found by its permission set', async () => {
        const result = await validate(org(), ['--rules-file', rulesFile([START, TERM])]);
        expect(result).toEqual({
            valid: true,
            source: 'file',
            rulesChecked: 2,
            integrationUser: { id: INTEGRATION.Id, username: INTEGRATION.Username },
            multiCurrency: false,
            problems: []
        });
        expect(process.exitCode).toBeUndefined();
    });

    it('fails closed, naming View All Records, when the integration user could not subscribe to the changes it hears', async () => {
        const terms = rule({
            name: 'Special_Terms',
            sfField: 'SpecialTerms',
            clmField: 'custom.specialTerms',
            direction: 'Bidirectional',
            conflictPolicy: 'Manual'
        });
        const granted = await validate(org(), ['--rules-file', rulesFile([terms])]);
        expect(granted.problems).toEqual([]);
        const result = await validate(org({ viewAll: false }), ['--rules-file', rulesFile([terms])]);
        expect(result.valid).toBe(false);
        expect(codes(result)).toEqual(['Special_Terms PERMISSION.VIEW_ALL_RECORDS_MISSING Contract']);
        expect(result.problems[0]!.message).toContain('View All Records on Contract');
        expect(process.exitCode).toBe(1);
    });

    it('reports fields hidden from or read-only for the integration user (field-level security)', async () => {
        const grants: Row[] = [
            {
                ParentId: INTEGRATION_SET,
                SobjectType: 'Contract',
                Field: 'Contract.StartDate',
                PermissionsRead: true,
                PermissionsEdit: false
            },
            {
                ParentId: INTEGRATION_SET,
                SobjectType: 'Contract',
                Field: 'Contract.ContractTerm',
                PermissionsRead: true,
                PermissionsEdit: true
            }
        ];
        const special = rule({
            name: 'Special_Terms',
            sfField: 'SpecialTerms',
            clmField: 'custom.specialTerms',
            direction: 'Bidirectional',
            conflictPolicy: 'Manual'
        });
        const result = await validate(org({ grants }), ['--rules-file', rulesFile([START, TERM, special])]);
        expect(codes(result)).toEqual([
            'Contract_Start_Date MAPPING.FIELD_NOT_EDITABLE Contract.StartDate',
            'Special_Terms MAPPING.FIELD_NOT_VISIBLE Contract.SpecialTerms'
        ]);
        expect(result.problems[1]!.message).toBe(
            'Special_Terms: Contract.SpecialTerms is hidden from the integration user integration@example.com (field-level security); grant Read in the Clm_Connector_Integration permission set'
        );
        expect(process.exitCode).toBe(1);
    });

    it('runs the domain checks on the live describe: formula targets, restricted values, unsupported types', async () => {
        const rules = [
            rule({
                name: 'End_Date',
                sfField: 'EndDate',
                clmField: 'expirationDate',
                direction: 'ClmToSalesforce',
                transform: { kind: 'date' }
            }),
            rule({
                name: 'Status_Label',
                sfField: 'Status',
                clmField: 'custom.status',
                direction: 'ClmToSalesforce',
                transform: { kind: 'picklistMap', map: { Draft: 'draft', Terminated: 'gone' } }
            }),
            rule({ name: 'Geo', sfField: 'Geo__c', clmField: 'custom.geo', direction: 'SalesforceToClm' }),
            rule({ name: 'Nope', sfField: 'Nope__c', clmField: 'custom.nope', direction: 'SalesforceToClm' })
        ];
        const result = await validate(org(), ['--rules-file', rulesFile(rules)]);
        expect(codes(result)).toEqual([
            'End_Date MAPPING.READ_ONLY_TARGET Contract.EndDate',
            'Geo MAPPING.UNSUPPORTED_FIELD_TYPE Contract.Geo__c',
            'Nope MAPPING.UNKNOWN_FIELD Contract.Nope__c',
            'Status_Label MAPPING.PICKLIST_VALUE_REJECTED Contract.Status'
        ]);
        expect(result.problems.find((p) => p.rule === 'Status_Label')!.message).toContain('"Terminated"');
    });

    it('checks restricted picklist values per record type and canonical statuses written unmapped', async () => {
        const fields = CONTRACT_FIELDS.map((f) =>
            f.name === 'CLM_Lifecycle__c' ? { ...f, picklistValues: LIFECYCLES.filter((v) => v !== 'Expired') } : f
        );
        const rules = [
            rule({
                name: 'Status_Label',
                sfField: 'Status',
                clmField: 'custom.status',
                direction: 'ClmToSalesforce',
                transform: { kind: 'picklistMap', map: { Draft: 'draft', Activated: 'active' } }
            }),
            rule({
                name: 'Lifecycle',
                sfField: 'CLM_Lifecycle__c',
                clmField: 'status.lifecycle',
                direction: 'ClmToSalesforce',
                transform: { kind: 'statusMap' }
            })
        ];
        const result = await validate(org({ fields }), ['--rules-file', rulesFile(rules)]);
        expect(result.problems.map((p) => p.message)).toEqual([
            'Lifecycle: Contract.CLM_Lifecycle__c does not accept "Expired" (add the value to the picklist or map it with transform.map)',
            'Status_Label: Contract.Status does not accept "Activated" for record type Renewal'
        ]);
        expect(
            requests.some((url) => url.includes('/ui-api/object-info/Contract/picklist-values/012000000000009AAA'))
        ).toBe(true);
    });

    it('asks for CurrencyIsoCode in a multi-currency org and for required fields of created records', async () => {
        const fields = [
            ...CONTRACT_FIELDS,
            {
                name: 'CurrencyIsoCode',
                type: 'picklist',
                length: 3,
                picklistValues: ['EUR', 'USD'],
                restrictedPicklist: true
            }
        ];
        const value = rule({
            name: 'Contract_Value',
            sfField: 'CLM_Contract_Value__c',
            clmField: 'value',
            direction: 'ClmToSalesforce',
            transform: { kind: 'money', currencyField: 'CLM_Currency__c' }
        });
        const result = await validate(org({ fields }), [
            '--rules-file',
            rulesFile([START, value]),
            '--creates',
            'Contract'
        ]);
        expect(result.multiCurrency).toBe(true);
        expect(codes(result)).toEqual([
            'Contract (create) MAPPING.REQUIRED_FIELD_UNMAPPED Contract.AccountId',
            'Contract_Value MAPPING.CURRENCY_ISO_CODE_REQUIRED Contract.CLM_Contract_Value__c'
        ]);

        const fixed = { ...value, transform: { kind: 'money', currencyField: 'CurrencyIsoCode' } };
        expect(codes(await validate(org({ fields }), ['--rules-file', rulesFile([START, fixed])]))).toEqual([]);
    });

    it("reads the org's rule records and names a record whose transform is not JSON", async () => {
        const records = [
            ruleToRecord(START),
            { ...ruleToRecord(TERM), values: { ...ruleToRecord(TERM).values, Transform__c: '{kind:' } }
        ].map((r) => ({ DeveloperName: r.developerName, ...r.values }) as Row);
        const result = await validate(org({ tables: { Clm_Field_Mapping__mdt: records } }), []);
        expect(result.source).toBe('org');
        expect(codes(result)).toEqual(['Contract_Term MAPPING.INVALID_TRANSFORM_JSON Transform__c']);
    });

    it('falls back to the package defaults when no records are deployed', async () => {
        const result = await validate(org(), []);
        expect(result.source).toBe('defaults');
        expect(result.rulesChecked).toBe(DEFAULT_RULES.length);
    });

    it('says how to fix a missing package, a missing permission and an unknown integration user', async () => {
        const noPackage = org();
        delete noPackage.tables.Clm_Field_Mapping__mdt;
        $$.fakeConnectionRequest = fakeOrg(noPackage);
        const missing = await RulesValidate.run(['--target-org', testOrg.username, '--json'], ctx.config).catch(
            (e: unknown) => e
        );
        expect(missing).toMatchObject({
            name: 'PackageNotDeployedError',
            message: 'The CLM package is not deployed to this org (Clm_Field_Mapping__mdt is missing).'
        });
        expect((missing as { actions: string[] }).actions[0]).toContain('sf clm org setup');

        $$.fakeConnectionRequest = fakeOrg(org({ denied: ['FieldPermissions'] }));
        const denied = await RulesValidate.run(
            ['--target-org', testOrg.username, '--json', '--rules-file', rulesFile([START])],
            ctx.config
        ).catch((e: unknown) => e);
        expect(denied).toMatchObject({
            name: 'InsufficientAccessError',
            message: `You (${testOrg.username}) lack the permission this command needs: read field permissions`
        });

        $$.fakeConnectionRequest = fakeOrg(org());
        const unknown = await RulesValidate.run(
            ['--target-org', testOrg.username, '--json', '--integration-user', 'nobody@example.com'],
            ctx.config
        ).catch((e: unknown) => e);
        expect(unknown).toMatchObject({
            name: 'IntegrationUserNotFoundError',
            message: 'No active user nobody@example.com.'
        });
    });

    it('prints a table of the problems with the rule names', async () => {
        $$.fakeConnectionRequest = fakeOrg(org());
        const end = rule({
            name: 'End_Date',
            sfField: 'EndDate',
            clmField: 'expirationDate',
            direction: 'ClmToSalesforce',
            transform: { kind: 'date' }
        });
        await RulesValidate.run(
            ['--target-org', testOrg.username, '--rules-file', rulesFile([START, end])],
            ctx.config
        );
        const table = ctx.ux.table.firstCall.args[0] as { data: { rule: string; code: string }[] };
        expect(table.data).toEqual([expect.objectContaining({ rule: 'End_Date', code: 'MAPPING.READ_ONLY_TARGET' })]);
        expect(process.exitCode).toBe(1);
    });
});

describe('sf clm rules list', () => {
    const ctx = useCommandContext();
    const { $$, testOrg } = ctx;

    it('lists the package defaults without an org, as a direction/policy matrix', async () => {
        const result = await RulesList.run([], ctx.config);
        expect(schemaErrors('clm rules list', result)).toEqual([]);
        expect(result.source).toBe('defaults');
        expect(result.rules).toHaveLength(DEFAULT_RULES.length);
        expect(result.rules.find((r) => r.name === 'Contract_Special_Terms')).toEqual({
            name: 'Contract_Special_Terms',
            sfObject: 'Contract',
            sfField: 'SpecialTerms',
            clmField: 'custom.specialTerms',
            direction: 'Bidirectional',
            conflictPolicy: 'Manual',
            transform: { kind: 'copy' },
            enabled: true,
            description: 'Negotiated in both places; concurrent edits go to the conflict queue.'
        });
        const rows = (ctx.ux.table.firstCall.args[0] as { data: { rule: string; direction: string; policy: string }[] })
            .data;
        expect(rows.find((r) => r.rule === 'Contract_Special_Terms')).toMatchObject({
            direction: 'both ways',
            policy: 'Manual'
        });
        expect(rows.find((r) => r.rule === 'Opportunity_Stage')).toMatchObject({ direction: 'Salesforce → CLM' });
    });

    it("lists the org's records", async () => {
        const records = [ruleToRecord(TERM)].map((r) => ({ DeveloperName: r.developerName, ...r.values }) as Row);
        $$.fakeConnectionRequest = fakeOrg(org({ tables: { Clm_Field_Mapping__mdt: records } }));
        const result = await RulesList.run(['--target-org', testOrg.username, '--json'], ctx.config);
        expect(result).toEqual({
            source: 'org',
            rules: [
                {
                    name: 'Contract_Term',
                    sfObject: 'Contract',
                    sfField: 'ContractTerm',
                    clmField: 'termMonths',
                    direction: 'ClmToSalesforce',
                    transform: { kind: 'copy' },
                    enabled: true,
                    description: TERM.description
                }
            ]
        });
    });

    it('round-trips: its --json output, saved to a file, is read back by --rules-file as the same rules', async () => {
        const listed = await RulesList.run(['--json'], ctx.config);
        const dir = mkdtempSync(path.join(os.tmpdir(), 'clm-rules-'));
        try {
            const file = path.join(dir, 'rules.json');
            // What `sf clm rules list --json > rules.json` writes: the CLI's envelope around the result.
            writeFileSync(file, JSON.stringify({ status: 0, result: listed, warnings: [] }));
            const again = await RulesList.run(['--rules-file', file, '--json'], ctx.config);
            expect(again.source).toBe('file');
            expect(again.rules).toEqual(listed.rules);
            expect(again.rules.find((rule) => rule.name === 'Contract_Value')?.transform).toEqual({
                kind: 'money',
                currencyField: 'CLM_Currency__c'
            });
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
