import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Messages, type Connection } from '@salesforce/core';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { ComponentSet } from '@salesforce/source-deploy-retrieve';
import { z } from 'zod';
import { changeEventEntity, changeObjects } from '../../../domain/orgContract.ts';
import { FieldRule, writesToClm } from '../../../domain/rules.ts';
import { select, where } from '../../../domain/soql.ts';
import {
    INTEGRATION_PERMISSION_SET,
    explainOrgError,
    findUser,
    loadRules,
    usersWithPermissionSet,
    type UserRow
} from '../../../plugin/orgReader.ts';
import type { OrgSetupResult } from '../../../plugin/results.ts';

/** The integration user's CPQ access (force-app-cpq), assigned beside the integration set where deployed. */
const CPQ_INTEGRATION_PERMISSION_SET = 'Clm_Connector_Integration_Cpq';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@clm/connector-service', 'clm.org.setup');
const errors = Messages.loadMessages('@clm/connector-service', 'clm.errors');

export type { OrgSetupResult };

const ADMIN_PERMISSION_SET = 'Clm_Connector_Admin';
const USER_PERMISSION_SET = 'Clm_Connector_User';
const CPQ_OBJECT = 'SBQQ__Quote__c';

export { changeEventEntity };

/**
 * Objects whose changes the connector must hear: the org contract's change channels (the CPQ quote's where CPQ is
 * installed) and any other object an enabled rule reads from Salesforce.
 */
export function changeDataCaptureObjects(
    rules: readonly unknown[],
    options: { cpq: boolean } = { cpq: false }
): string[] {
    const objects = rules.flatMap((raw) => {
        const parsed = FieldRule.safeParse(raw);
        return parsed.success && parsed.data.enabled && writesToClm(parsed.data.direction)
            ? [parsed.data.sfObject]
            : [];
    });
    return [...new Set([...changeObjects(options), ...objects])].sort();
}

function channelMemberXml(entity: string): string {
    return `<?xml version="1.0" encoding="UTF-8"?>
<PlatformEventChannelMember xmlns="http://soap.sforce.com/2006/04/metadata">
    <eventChannel>ChangeEvents</eventChannel>
    <selectedEntity>${entity}</selectedEntity>
</PlatformEventChannelMember>
`;
}

const ProjectJson = z.object({ packageDirectories: z.array(z.object({ path: z.string() })).min(1) });

export default class OrgSetup extends SfCommand<OrgSetupResult> {
    public static override readonly summary = messages.getMessage('summary');
    public static override readonly description = messages.getMessage('description');
    public static override readonly examples = messages.getMessages('examples');

    public static override readonly flags = {
        'target-org': Flags.requiredOrg(),
        'api-version': Flags.orgApiVersion(),
        'integration-user': Flags.string({ summary: messages.getMessage('flags.integration-user.summary') }),
        user: Flags.string({ summary: messages.getMessage('flags.user.summary'), multiple: true }),
        'project-dir': Flags.directory({ summary: messages.getMessage('flags.project-dir.summary'), exists: true }),
        wait: Flags.integer({ summary: messages.getMessage('flags.wait.summary'), min: 1, default: 33 }),
        'cdc-allocation': Flags.integer({
            summary: messages.getMessage('flags.cdc-allocation.summary'),
            min: 0,
            default: 5
        })
    };

    public async run(): Promise<OrgSetupResult> {
        const { flags } = await this.parse(OrgSetup);
        const org = flags['target-org'];
        const conn = org.getConnection(flags['api-version']);
        const alias = org.getUsername() ?? 'your-org';

        const projectDir = path.resolve(flags['project-dir'] ?? process.cwd());
        const projectFile = path.join(projectDir, 'sfdx-project.json');
        if (!existsSync(projectFile)) throw messages.createError('error.noProject', [projectDir]);
        const directories = ProjectJson.parse(JSON.parse(readFileSync(projectFile, 'utf8'))).packageDirectories.map(
            (d) => d.path
        );

        const global = await conn.describeGlobal();
        const cpq = global.sobjects.some((s) => s.name === CPQ_OBJECT);
        const deployDirs = directories
            .filter((dir) => cpq || !/cpq/i.test(dir))
            .filter((dir) => existsSync(path.join(projectDir, dir)));

        // Change Data Capture for the objects the default rules read from Salesforce.
        const packageRules = (await loadRules(undefined)).rules;
        const entities = changeDataCaptureObjects(packageRules, { cpq }).map(changeEventEntity);
        const alreadyEnabled = await this.enabledChangeEvents(conn);
        const otherEnabled = alreadyEnabled.filter((e) => !entities.includes(e));
        const wanted = [...otherEnabled, ...entities];
        const exceedsAllocation = wanted.length > flags['cdc-allocation'];
        if (exceedsAllocation)
            this.warn(
                messages.getMessage('warn.allocation', [
                    String(wanted.length),
                    wanted.join(', '),
                    String(flags['cdc-allocation'])
                ])
            );
        const toEnable = entities.filter((e) => !alreadyEnabled.includes(e));

        const cdcDir = mkdtempSync(path.join(os.tmpdir(), 'clm-cdc-'));
        let deploy: OrgSetupResult['deploy'];
        try {
            mkdirSync(path.join(cdcDir, 'platformEventChannelMembers'));
            for (const entity of toEnable) {
                writeFileSync(
                    path.join(
                        cdcDir,
                        'platformEventChannelMembers',
                        `ChangeEvents_${entity}.platformEventChannelMember-meta.xml`
                    ),
                    channelMemberXml(entity)
                );
            }
            deploy = await this.deployPackage(
                conn,
                projectDir,
                deployDirs,
                toEnable.length ? cdcDir : undefined,
                flags.wait,
                cpq
            );
        } finally {
            rmSync(cdcDir, { recursive: true, force: true });
        }

        const assignments = await this.assignPermissionSets(conn, flags['integration-user'], flags.user ?? []);
        const rules = await loadRules(conn);

        const nextSteps = [
            ...(assignments.some((a) => a.permissionSet === INTEGRATION_PERMISSION_SET)
                ? []
                : [messages.getMessage('next.integrationUser', [alias])]),
            messages.getMessage('next.connectedApp'),
            messages.getMessage('next.config'),
            messages.getMessage('next.clm'),
            messages.getMessage('next.validate', [alias])
        ];
        const result: OrgSetupResult = {
            deploy,
            assignments,
            rules: { source: rules.source, count: rules.rules.length },
            changeDataCapture: {
                entities,
                alreadyEnabled,
                enabled: toEnable,
                allocation: flags['cdc-allocation'],
                exceedsAllocation
            },
            nextSteps
        };
        this.table({
            title: 'Permission sets',
            data: assignments.map((a) => ({ user: a.username, permissionSet: a.permissionSet, status: a.status })),
            columns: [
                { key: 'user', name: 'User' },
                { key: 'permissionSet', name: 'Permission set' },
                { key: 'status', name: 'Status' }
            ]
        });
        this.log(
            `Deployed ${deploy.components} components from ${deploy.directories.join(', ')}; ${rules.rules.length} field rules (${rules.source}); Change Data Capture: ${entities.join(', ')}.`
        );
        this.styledHeader('Next steps');
        nextSteps.forEach((step, i) => this.log(`${i + 1}. ${step}`));
        return result;
    }

    /** Change events already selected on the ChangeEvents channel (Tooling API); none when it cannot be read. */
    private async enabledChangeEvents(conn: Connection): Promise<string[]> {
        try {
            const result = await conn.tooling.query<{ SelectedEntity: string }>(
                select(['SelectedEntity'], 'PlatformEventChannelMember', {
                    where: where.eq('EventChannel', 'ChangeEvents')
                })
            );
            return result.records.map((r) => r.SelectedEntity).sort();
        } catch {
            this.debug('PlatformEventChannelMember is not readable; treating every change event as not yet enabled');
            return [];
        }
    }

    private async deployPackage(
        conn: Connection,
        projectDir: string,
        dirs: string[],
        cdcDir: string | undefined,
        waitMinutes: number,
        cpq: boolean
    ): Promise<OrgSetupResult['deploy']> {
        const components = ComponentSet.fromSource([
            ...dirs.map((d) => path.join(projectDir, d)),
            ...(cdcDir ? [cdcDir] : [])
        ]);
        components.apiVersion = conn.getApiVersion();
        components.sourceApiVersion = conn.getApiVersion();
        this.spinner.start(`Deploying ${components.size} components`);
        let deploy;
        try {
            deploy = await components.deploy({ usernameOrConnection: conn, apiOptions: { rest: true } });
        } catch (error) {
            this.spinner.stop('failed');
            explainOrgError(error, conn, 'deploy metadata (Modify Metadata or Modify All Data)');
        }
        const result = await deploy.pollStatus(1000, waitMinutes * 60);
        this.spinner.stop(result.response.status);
        if (!result.response.success) {
            const failures = result.getFileResponses().filter((f) => f.state === 'Failed');
            const lines = failures.slice(0, 20).map((f) => `- ${f.type} ${f.fullName}: ${'error' in f ? f.error : ''}`);
            throw messages.createError('error.deployFailed', [
                String(failures.length || result.response.numberComponentErrors),
                lines.join('\n') || (result.response.errorMessage ?? '')
            ]);
        }
        return {
            id: result.response.id,
            status: result.response.status,
            directories: dirs,
            components: components.size,
            cpq
        };
    }

    private async assignPermissionSets(
        conn: Connection,
        integrationUsername: string | undefined,
        usernames: string[]
    ): Promise<OrgSetupResult['assignments']> {
        const out: OrgSetupResult['assignments'] = [];
        const ids = new Map<string, string>();
        for (const name of [ADMIN_PERMISSION_SET, USER_PERMISSION_SET, INTEGRATION_PERMISSION_SET]) {
            const row = (await conn.query<{ Id: string }>(`SELECT Id FROM PermissionSet WHERE Name = '${name}'`))
                .records[0];
            if (!row) throw errors.createError('packageNotDeployed', [`permission set ${name}`]);
            ids.set(name, row.Id);
        }
        // Deployed with force-app-cpq only: where it is, the integration user reads the quotes and lines too.
        const cpqSet = (
            await conn.query<{ Id: string }>(
                `SELECT Id FROM PermissionSet WHERE Name = '${CPQ_INTEGRATION_PERMISSION_SET}'`
            )
        ).records[0];
        if (cpqSet) ids.set(CPQ_INTEGRATION_PERMISSION_SET, cpqSet.Id);
        const assigned = async (user: UserRow) =>
            new Map(
                (
                    await conn.query<{ Id: string; PermissionSetId: string }>(
                        `SELECT Id, PermissionSetId FROM PermissionSetAssignment WHERE AssigneeId = '${user.Id}'`
                    )
                ).records.map((r) => [r.PermissionSetId, r.Id])
            );
        const ensure = async (user: UserRow, permissionSet: string) => {
            const current = await assigned(user);
            if (current.has(ids.get(permissionSet)!))
                return out.push({ username: user.Username, permissionSet, status: 'alreadyAssigned' });
            try {
                await conn
                    .sobject('PermissionSetAssignment')
                    .create({ AssigneeId: user.Id, PermissionSetId: ids.get(permissionSet)! });
            } catch (error) {
                explainOrgError(error, conn, `assign ${permissionSet} (Assign Permission Sets)`);
            }
            return out.push({ username: user.Username, permissionSet, status: 'assigned' });
        };
        const user = async (username: string) => {
            const row = await findUser(conn, username);
            if (!row) throw errors.createError('integrationUserNotFound', [username]);
            return row;
        };

        const admin = await user(conn.getUsername()!);
        await ensure(admin, ADMIN_PERMISSION_SET);
        for (const username of usernames) await ensure(await user(username), USER_PERMISSION_SET);

        let integration: UserRow | undefined;
        if (integrationUsername) integration = await user(integrationUsername);
        else {
            const holders = await usersWithPermissionSet(conn, INTEGRATION_PERMISSION_SET);
            if (holders.length === 1) integration = holders[0];
        }
        if (integration) {
            await ensure(integration, INTEGRATION_PERMISSION_SET);
            if (ids.has(CPQ_INTEGRATION_PERMISSION_SET)) await ensure(integration, CPQ_INTEGRATION_PERMISSION_SET);
            // Least privilege: the integration user holds the integration set and no other CLM set.
            const current = await assigned(integration);
            for (const other of [ADMIN_PERMISSION_SET, USER_PERMISSION_SET]) {
                const assignmentId = current.get(ids.get(other)!);
                if (!assignmentId || integration.Id === admin.Id) continue;
                await conn.sobject('PermissionSetAssignment').destroy(assignmentId);
                out.push({ username: integration.Username, permissionSet: other, status: 'removed' });
            }
        }
        return out;
    }
}
