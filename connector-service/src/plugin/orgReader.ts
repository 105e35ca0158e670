/**
 * Reads what the `sf clm` commands need from an org through the admin's sf CLI connection: the rules
 * (Clm_Field_Mapping__mdt records), describes, the integration user and that user's permission rows, and
 * picklist values per record type. Every answer is parsed with zod before use.
 */
import { readFileSync } from 'node:fs';
import { Messages, SfError, type Connection } from '@salesforce/core';
import { z } from 'zod';
import { DEFAULT_RULES } from '../domain/defaultRules.ts';
import { isConnectorError } from '../domain/errors.ts';
import { RULE_METADATA_FIELDS, RULE_METADATA_TYPE, ruleFromRecord } from '../domain/ruleRecords.ts';
import { select, where } from '../domain/soql.ts';
import type { RuleProblem } from '../domain/rules.ts';
import { DescribeSObject, type RecordTypeInfo } from './orgCatalog.ts';
import type { RecordTypePicklist } from './preflight.ts';
import type { RuleSource } from './results.ts';
import { FieldPermissionRow, ObjectPermissionRow, PermissionSetRow, UserAccess } from './userAccess.ts';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const errors = Messages.loadMessages('@clm/connector-service', 'clm.errors');

export const INTEGRATION_PERMISSION_SET = 'Clm_Connector_Integration';

export interface LoadedRules {
    source: RuleSource;
    rules: unknown[];
    problems: RuleProblem[];
}

function errorCode(error: unknown): string | undefined {
    const e = error as { errorCode?: unknown; name?: unknown; data?: { errorCode?: unknown } };
    for (const candidate of [e?.errorCode, e?.data?.errorCode, e?.name])
        if (typeof candidate === 'string') return candidate;
    return undefined;
}

/** Turns the org's refusals into errors that say how to fix them; anything else is rethrown as it is. */
export function explainOrgError(error: unknown, conn: Connection, what: string): never {
    const code = errorCode(error);
    if (
        code === 'INSUFFICIENT_ACCESS' ||
        code === 'INSUFFICIENT_ACCESS_OR_READONLY' ||
        code === 'API_DISABLED_FOR_ORG'
    ) {
        throw errors.createError('insufficientAccess', [conn.getUsername() ?? 'this user', what]);
    }
    throw error;
}

async function queryAll<T>(conn: Connection, soql: string, row: z.ZodType<T>, what: string): Promise<T[]> {
    try {
        const result = await conn.autoFetchQuery(soql);
        return result.records.map((record) => row.parse(record));
    } catch (error) {
        explainOrgError(error, conn, what);
    }
}

/** A rules file, or the org's rule records, or the package defaults (no org, or no records deployed yet). */
export async function loadRules(conn: Connection | undefined, rulesFile?: string): Promise<LoadedRules> {
    if (rulesFile) {
        let parsed: unknown;
        try {
            parsed = JSON.parse(readFileSync(rulesFile, 'utf8'));
        } catch (error) {
            throw errors.createError('invalidRulesFile', [
                rulesFile,
                error instanceof Error ? error.message : String(error)
            ]);
        }
        // An array of rules, `{rules}`, or the `--json` output of `sf clm rules list` (`{status, result: {rules}}`).
        const holder = parsed as { rules?: unknown; result?: { rules?: unknown } } | null;
        const rules = Array.isArray(parsed) ? parsed : (holder?.rules ?? holder?.result?.rules);
        if (!Array.isArray(rules))
            throw errors.createError('invalidRulesFile', [rulesFile, 'it holds no array of rules']);
        return { source: 'file', rules, problems: [] };
    }
    if (!conn) return { source: 'defaults', rules: [...DEFAULT_RULES], problems: [] };
    const fields = ['DeveloperName', ...RULE_METADATA_FIELDS.map((f) => f.name)];
    let records: Record<string, unknown>[];
    try {
        records = (
            await conn.autoFetchQuery(select(fields, RULE_METADATA_TYPE, { orderBy: [{ field: 'DeveloperName' }] }))
        ).records;
    } catch (error) {
        if (errorCode(error) === 'INVALID_TYPE' || errorCode(error) === 'INVALID_FIELD') {
            throw errors.createError('packageNotDeployed', [RULE_METADATA_TYPE]);
        }
        explainOrgError(error, conn, `read ${RULE_METADATA_TYPE}`);
    }
    if (records.length === 0) return { source: 'defaults', rules: [...DEFAULT_RULES], problems: [] };
    const rules: unknown[] = [];
    const problems: RuleProblem[] = [];
    for (const record of records) {
        try {
            rules.push(ruleFromRecord(record));
        } catch (error) {
            if (!isConnectorError(error)) throw error;
            const rule = String(record.DeveloperName ?? '?');
            problems.push({ code: error.code, rule, field: String(error.details.field ?? ''), message: error.message });
        }
    }
    return { source: 'org', rules, problems };
}

export async function describeObjects(conn: Connection, objects: readonly string[]): Promise<DescribeSObject[]> {
    const global = await conn.describeGlobal();
    const existing = new Set(global.sobjects.map((s) => s.name));
    const described: DescribeSObject[] = [];
    for (const name of [...new Set(objects)].sort()) {
        if (!existing.has(name)) continue;
        try {
            described.push(DescribeSObject.parse(await conn.describe(name)));
        } catch (error) {
            explainOrgError(error, conn, `describe ${name}`);
        }
    }
    return described;
}

export const UserRow = z.object({ Id: z.string(), Username: z.string(), IsActive: z.boolean().nullish() });
export type UserRow = z.infer<typeof UserRow>;

async function permissionSetId(conn: Connection, name: string): Promise<string | undefined> {
    const rows = await queryAll(
        conn,
        select(['Id', 'Name'], 'PermissionSet', { where: where.eq('Name', name) }),
        PermissionSetRow,
        'read permission sets'
    );
    return rows[0]?.Id;
}

/** Active users holding a permission set. */
export async function usersWithPermissionSet(conn: Connection, name: string): Promise<UserRow[]> {
    const id = await permissionSetId(conn, name);
    if (!id) return [];
    const assignments = await queryAll(
        conn,
        select(['AssigneeId'], 'PermissionSetAssignment', { where: where.eq('PermissionSetId', id) }),
        z.object({ AssigneeId: z.string() }),
        'read permission set assignments'
    );
    if (assignments.length === 0) return [];
    const users = await queryAll(
        conn,
        select(['Id', 'Username', 'IsActive'], 'User', {
            where: where.in(
                'Id',
                assignments.map((a) => a.AssigneeId)
            ),
            orderBy: [{ field: 'Username' }]
        }),
        UserRow,
        'read users'
    );
    return users.filter((u) => u.IsActive !== false);
}

export async function findUser(conn: Connection, username: string): Promise<UserRow | undefined> {
    const rows = await queryAll(
        conn,
        select(['Id', 'Username', 'IsActive'], 'User', { where: where.eq('Username', username) }),
        UserRow,
        'read users'
    );
    return rows.find((u) => u.IsActive !== false);
}

/** The user the connector runs as: the one named, or the one active holder of the integration permission set. */
export async function resolveIntegrationUser(conn: Connection, username?: string): Promise<UserRow> {
    if (username) {
        const user = await findUser(conn, username);
        if (!user) throw errors.createError('integrationUserNotFound', [username]);
        return user;
    }
    const holders = await usersWithPermissionSet(conn, INTEGRATION_PERMISSION_SET);
    if (holders.length === 0) throw errors.createError('integrationUserMissing');
    if (holders.length > 1) {
        throw errors.createError('integrationUserAmbiguous', [
            String(holders.length),
            holders.map((u) => u.Username).join(', ')
        ]);
    }
    return holders[0]!;
}

/** The user's effective object and field permissions, from their permission sets (profile included). */
export async function readUserAccess(
    conn: Connection,
    userId: string,
    objects: readonly string[]
): Promise<UserAccess> {
    const assignments = await queryAll(
        conn,
        select(['PermissionSetId'], 'PermissionSetAssignment', { where: where.eq('AssigneeId', userId) }),
        z.object({ PermissionSetId: z.string() }),
        'read permission set assignments'
    );
    const ids = [...new Set(assignments.map((a) => a.PermissionSetId))];
    if (ids.length === 0 || objects.length === 0) return new UserAccess([], [], []);
    const sets = await queryAll(
        conn,
        select(['Id', 'Name', 'PermissionsModifyAllData', 'PermissionsViewAllData'], 'PermissionSet', {
            where: where.in('Id', ids)
        }),
        PermissionSetRow,
        'read permission sets'
    );
    const objectRows = await queryAll(
        conn,
        select(
            [
                'ParentId',
                'SobjectType',
                'PermissionsRead',
                'PermissionsCreate',
                'PermissionsEdit',
                'PermissionsViewAllRecords'
            ],
            'ObjectPermissions',
            { where: where.and(where.in('ParentId', ids), where.in('SobjectType', objects)) }
        ),
        ObjectPermissionRow,
        'read object permissions'
    );
    const fieldRows = await queryAll(
        conn,
        select(['ParentId', 'Field', 'PermissionsRead', 'PermissionsEdit'], 'FieldPermissions', {
            where: where.and(where.in('ParentId', ids), where.in('SobjectType', objects))
        }),
        FieldPermissionRow,
        'read field permissions'
    );
    return new UserAccess(sets, objectRows, fieldRows);
}

const PicklistValuesByRecordType = z.object({
    picklistFieldValues: z.record(z.string(), z.object({ values: z.array(z.object({ value: z.string() })) }))
});

/** Picklist values of every active record type other than the master (which the describe already shows). */
export async function readRecordTypePicklists(
    conn: Connection,
    describes: readonly DescribeSObject[]
): Promise<RecordTypePicklist[]> {
    const out: RecordTypePicklist[] = [];
    for (const describe of describes) {
        const recordTypes = describe.recordTypeInfos.filter((rt: RecordTypeInfo) => rt.active && !rt.master);
        for (const recordType of recordTypes) {
            const url = `/services/data/v${conn.getApiVersion()}/ui-api/object-info/${describe.name}/picklist-values/${recordType.recordTypeId}`;
            let body: unknown;
            try {
                body = await conn.request(url);
            } catch (error) {
                explainOrgError(error, conn, `read picklist values of ${describe.name} record types`);
            }
            const parsed = PicklistValuesByRecordType.safeParse(body);
            if (!parsed.success)
                throw new SfError(`Unexpected picklist values answer for ${describe.name}`, 'UnexpectedOrgAnswer');
            for (const [field, { values }] of Object.entries(parsed.data.picklistFieldValues)) {
                out.push({
                    object: describe.name,
                    recordType: recordType.developerName ?? recordType.name,
                    field,
                    values: values.map((v) => v.value)
                });
            }
        }
    }
    return out;
}
