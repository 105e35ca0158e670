// `sf clm org setup` as a unit test: TestContext with stubbed auth and a fake org that takes the REST metadata
// deploy, PermissionSetAssignment writes and the Tooling API's PlatformEventChannelMember query.
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import OrgSetup, { changeDataCaptureObjects, changeEventEntity } from '../../src/commands/clm/org/setup.ts';
import { DEFAULT_RULES } from '../../src/domain/defaultRules.ts';
import type { OrgSetupResult } from '../../src/plugin/results.ts';
import { PLUGIN_ROOT, useCommandContext } from './support/commandContext.ts';
import { fakeOrg, type FakeOrgData, type Row } from './support/fakeOrg.ts';
import { schemaErrors } from './support/schemas.ts';

const REPO_ROOT = path.resolve(PLUGIN_ROOT, '..');
const SETS = {
    Clm_Connector_Admin: '0PS00000000000AAAA',
    Clm_Connector_User: '0PS00000000000BAAA',
    Clm_Connector_Integration: '0PS00000000000CAAA'
};
const INTEGRATION = { Id: '005000000000002AAA', Username: 'integration@example.com', IsActive: true };
const REP = { Id: '005000000000003AAA', Username: 'rep@example.com', IsActive: true };
const DEFAULT_ENTITIES = ['AccountChangeEvent', 'ContactChangeEvent', 'ContractChangeEvent', 'OpportunityChangeEvent'];

describe('sf clm org setup', () => {
    const ctx = useCommandContext();
    const { $$, testOrg } = ctx;
    let admin: Row;

    const org = (extra: { assignments?: Row[]; enabled?: string[] | null } = {}): FakeOrgData => ({
        objects: [{ name: 'Contract', fields: [] }],
        tables: {
            User: [admin, INTEGRATION, REP],
            PermissionSet: Object.entries(SETS).map(([Name, Id]) => ({ Id, Name })),
            PermissionSetAssignment: extra.assignments ?? [],
            Clm_Field_Mapping__mdt: []
        },
        ...(extra.enabled === null
            ? {}
            : {
                  tooling: {
                      PlatformEventChannelMember: (extra.enabled ?? []).map((SelectedEntity) => ({
                          SelectedEntity,
                          EventChannel: 'ChangeEvents'
                      }))
                  }
              }),
        deploys: []
    });
    const run = async (data: FakeOrgData, args: string[] = []) => {
        $$.fakeConnectionRequest = fakeOrg(data);
        const result = await OrgSetup.run(
            ['--target-org', testOrg.username, '--project-dir', REPO_ROOT, '--json', ...args],
            ctx.config
        );
        expect(schemaErrors('clm org setup', result)).toEqual([]);
        return result;
    };
    const deployedFiles = (data: FakeOrgData) => (data.deploys ?? []).map((zip) => zip.toString('latin1'));

    beforeEach(() => {
        admin = { Id: '005000000000001AAA', Username: testOrg.username, IsActive: true };
    });

    it('derives the change events from the rules that read Salesforce', () => {
        expect(changeDataCaptureObjects(DEFAULT_RULES).map(changeEventEntity)).toEqual(DEFAULT_ENTITIES);
        expect(changeEventEntity('SBQQ__Quote__c')).toBe('SBQQ__Quote__ChangeEvent');
    });

    it('deploys the core package with the change events, assigns the sets and leaves the integration user only its own', async () => {
        const data = org({
            assignments: [
                { Id: '0Pa000000000009AAA', AssigneeId: INTEGRATION.Id, PermissionSetId: SETS.Clm_Connector_User }
            ]
        });
        const result: OrgSetupResult = await run(data, [
            '--integration-user',
            INTEGRATION.Username,
            '--user',
            REP.Username
        ]);
        expect(result.deploy).toEqual({
            id: '0Af000000000001AAA',
            status: 'Succeeded',
            directories: ['force-app'],
            components: expect.any(Number),
            cpq: false
        });
        expect(result.assignments).toEqual([
            { username: testOrg.username, permissionSet: 'Clm_Connector_Admin', status: 'assigned' },
            { username: REP.Username, permissionSet: 'Clm_Connector_User', status: 'assigned' },
            { username: INTEGRATION.Username, permissionSet: 'Clm_Connector_Integration', status: 'assigned' },
            { username: INTEGRATION.Username, permissionSet: 'Clm_Connector_User', status: 'removed' }
        ]);
        expect(
            data.tables
                .PermissionSetAssignment!.filter((a) => a.AssigneeId === INTEGRATION.Id)
                .map((a) => a.PermissionSetId)
        ).toEqual([SETS.Clm_Connector_Integration]);
        expect(result.changeDataCapture).toEqual({
            entities: DEFAULT_ENTITIES,
            alreadyEnabled: [],
            enabled: DEFAULT_ENTITIES,
            allocation: 5,
            exceedsAllocation: false
        });
        const [zip] = deployedFiles(data);
        for (const entity of DEFAULT_ENTITIES)
            expect(zip).toContain(`platformEventChannelMembers/ChangeEvents_${entity}.platformEventChannelMember`);
        expect(zip).toContain('permissionsets/Clm_Connector_Integration.permissionset');
        expect(zip).not.toContain('SBQQ');
        expect(result.rules).toEqual({ source: 'defaults', count: DEFAULT_RULES.length });
        expect(result.nextSteps.at(-1)).toContain('sf clm rules validate');
    });

    it('changes nothing that is in place on a second run', async () => {
        const assignments = [
            { Id: '0Pa000000000001AAA', AssigneeId: admin.Id, PermissionSetId: SETS.Clm_Connector_Admin },
            { Id: '0Pa000000000002AAA', AssigneeId: INTEGRATION.Id, PermissionSetId: SETS.Clm_Connector_Integration }
        ] as Row[];
        const data = org({ assignments: [...assignments], enabled: DEFAULT_ENTITIES });
        const result = await run(data);
        expect(result.assignments.map((a) => `${a.username} ${a.permissionSet} ${a.status}`)).toEqual([
            `${testOrg.username} Clm_Connector_Admin alreadyAssigned`,
            `${INTEGRATION.Username} Clm_Connector_Integration alreadyAssigned`
        ]);
        expect(data.tables.PermissionSetAssignment).toEqual(assignments);
        expect(result.changeDataCapture.enabled).toEqual([]);
        expect(deployedFiles(data)[0]).not.toContain('platformEventChannelMembers/');
    });

    it('warns when change data capture would exceed the entity allocation', async () => {
        const result = await run(org({ enabled: ['CaseChangeEvent', 'LeadChangeEvent'] }));
        expect(result.changeDataCapture).toMatchObject({
            alreadyEnabled: ['CaseChangeEvent', 'LeadChangeEvent'],
            enabled: DEFAULT_ENTITIES,
            exceedsAllocation: true
        });
        expect(ctx.ux.warn.args.flat().join('\n')).toContain('Change Data Capture would need 6 entities');
        expect(result.nextSteps[0]).toContain('--integration-user');
    });

    it('stops with the failing components when the deploy fails, and without a project', async () => {
        const data = org();
        data.deployFailures = [
            { componentType: 'CustomField', fullName: 'Contract.CLM_Lifecycle__c', problem: 'Field is in use' }
        ];
        $$.fakeConnectionRequest = fakeOrg(data);
        await expect(
            OrgSetup.run(['--target-org', testOrg.username, '--project-dir', REPO_ROOT, '--json'], ctx.config)
        ).rejects.toThrow(
            /The package deploy failed \(1 component errors\):\n- CustomField Contract\.CLM_Lifecycle__c: Field is in use/
        );
        await expect(
            OrgSetup.run(['--target-org', testOrg.username, '--project-dir', PLUGIN_ROOT, '--json'], ctx.config)
        ).rejects.toThrow(`No sfdx-project.json in ${PLUGIN_ROOT}.`);
    });
});
