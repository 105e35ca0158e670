// THE ONE SHIM of the preview. In an org, the components call the package's @AuraEnabled Apex
// (ClmStatusController, ClmSendController, ClmAdminController). Here nothing runs Apex, so this module
// answers the same methods with the same shapes from the Salesforce emulator's REST API, as the page's
// user (the sales rep on the record page, the admin on the admin page), so the emulator's object and
// field permissions apply as WITH USER_MODE would. Differences from the Apex, on purpose:
//   - field rules are read as the admin, as Clm_Field_Mapping__mdt.getAll() reads them regardless of user;
//   - "may this user send" is decided by the emulator refusing the publish, not by a describe check first;
//   - the validations are the ones the Apex service makes (counterparty, pending request, primary quote,
//     required CLM fields, picklist maps), kept to the Opportunity the page shows.
// Inputs are checked with zod; bad input answers 400 with the Apex error shape
// (`{"message":"{\"code\":..,\"field\":..,\"message\":..}"}`), never a stack trace.
import { randomUUID } from 'node:crypto';
import type jsforce from 'jsforce';
import { z } from 'zod';

const SalesforceId = z.string().regex(/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/);
type Row = Record<string, unknown> & { Id?: string };

export class ApexError extends Error {
    constructor(
        readonly code: string,
        readonly field: string | null,
        message: string,
        readonly status = 400
    ) {
        super(message);
    }
    /** The body the browser's @salesforce/apex stand-in throws, as an AuraHandledException arrives. */
    toBody(): { message: string } {
        return { message: JSON.stringify({ code: this.code, field: this.field, message: this.message }) };
    }
}

function recordId(params: unknown, field = 'recordId'): string {
    const value = (params as Record<string, unknown> | null)?.[field];
    if (value === undefined || value === null || value === '')
        throw new ApexError('CLM.RECORD_ID_REQUIRED', field, 'A record id is required.');
    const parsed = SalesforceId.safeParse(value);
    if (!parsed.success) throw new ApexError('CLM.RECORD_ID_INVALID', field, `${field} is not a Salesforce id.`);
    return parsed.data;
}

const quote = (id: string): string => `'${SalesforceId.parse(id)}'`;

async function rows<T extends Row>(conn: jsforce.Connection, soql: string): Promise<T[]> {
    const result = await conn.query<T>(soql);
    return result.records;
}

interface Rule {
    DeveloperName: string;
    Object__c: string;
    Field__c: string;
    Clm_Field__c: string;
    Direction__c: string;
    Conflict_Policy__c: string | null;
    Transform__c: string | null;
    Enabled__c: boolean;
    Description__c: string | null;
}

const REQUIRED_CLM_FIELDS = new Set(['title', 'counterparty.name']);
const OPEN_ERROR_STATUSES = "('Retrying','Quarantined','RetryRequested')";
const CONFLICT_FIELDS =
    'Id, Name, Conflict_Key__c, Record_Id__c, Object_Api_Name__c, Field__c, Clm_Field__c, Salesforce_Value__c, Clm_Value__c, Salesforce_Changed_At__c, Clm_Changed_At__c, Rule__c, Conflict_Policy__c, Status__c';
const ERROR_FIELDS =
    'Id, Name, Error_Key__c, Record_Id__c, Object_Api_Name__c, Code__c, Message__c, Correlation_Id__c, Attempts__c, Last_Attempt_At__c, Next_Retry_At__c, Status__c';

export interface ShimUsers {
    /** The page's user. */
    user: jsforce.Connection;
    userId: string;
    /** Reads configuration (custom metadata) as Apex's getAll() does. */
    system: jsforce.Connection;
    /** Whether the page's user holds Clm_Manage_Sync (the admin permission set). */
    canManage: boolean;
}

export type ApexMethod = (params: unknown) => Promise<unknown>;

export function apexShim(users: ShimUsers): Record<string, ApexMethod> {
    const { user, system } = users;

    const labels = new Map<string, Map<string, string>>();
    /** The field's label as the user's describe gives it (Apex uses the describe label too). */
    async function labelOf(path: string): Promise<string> {
        const [object, field] = path.includes('.') ? ['Account', path.split('.')[1] ?? ''] : ['Opportunity', path];
        if (!labels.has(object)) {
            const describe = await user.describe(object);
            labels.set(object, new Map(describe.fields.map((entry) => [entry.name, entry.label])));
        }
        return labels.get(object)?.get(field) ?? path;
    }

    async function rules(): Promise<Rule[]> {
        const all = await rows<Rule & Row>(
            system,
            'SELECT DeveloperName, Object__c, Field__c, Clm_Field__c, Direction__c, Conflict_Policy__c, Transform__c, Enabled__c, Description__c FROM Clm_Field_Mapping__mdt'
        );
        return all.sort((a, b) => `${a.Object__c}.${a.Field__c}`.localeCompare(`${b.Object__c}.${b.Field__c}`));
    }

    function health(status: {
        clmContractId: unknown;
        lastSyncResult: unknown;
        openConflicts: unknown[];
        openErrors: unknown[];
    }): string {
        if (!status.clmContractId && status.lastSyncResult == null) return 'NotLinked';
        if (status.openErrors.length || status.lastSyncResult === 'Error' || status.lastSyncResult === 'Quarantined')
            return 'Failing';
        if (status.openConflicts.length || status.lastSyncResult === 'Conflict') return 'Attention';
        if (status.lastSyncResult === 'Pending') return 'Pending';
        return 'Healthy';
    }

    async function getStatus(params: unknown): Promise<unknown> {
        const id = recordId(params);
        if (!id.startsWith('006'))
            throw new ApexError('CLM.OBJECT_NOT_SUPPORTED', 'recordId', 'The preview shows Opportunities.');
        const [opportunity] = await rows(
            user,
            `SELECT Id, CLM_Contract_Id__c, CLM_Contract_Url__c, CLM_Lifecycle__c, CLM_Signature_Status__c, CLM_Last_Sync__c, CLM_Last_Sync_Result__c, ContractId FROM Opportunity WHERE Id = ${quote(id)}`
        );
        if (!opportunity)
            throw new ApexError(
                'CLM.RECORD_NOT_FOUND',
                'recordId',
                'The record does not exist or is not shared with you.'
            );
        const contractId = (opportunity.ContractId as string | null) ?? null;
        const [contract] = contractId
            ? await rows(
                  user,
                  `SELECT Id, CLM_Expiration_Date__c, CLM_Executed_Date__c, CLM_Notice_Deadline__c, CLM_Contract_Value__c, CLM_Currency__c, CLM_Auto_Renew__c, CLM_Renewal_Term_Months__c FROM Contract WHERE Id = ${quote(contractId)}`
              )
            : [];
        const related = [id, ...(contractId ? [contractId] : [])].map(quote).join(', ');
        const provenance = await rows(
            user,
            `SELECT Field__c, Written_By__c, Written_At__c FROM Clm_Field_Provenance__c WHERE Record_Id__c IN (${related}) ORDER BY Field__c`
        );
        const openConflicts = await rows(
            user,
            `SELECT ${CONFLICT_FIELDS} FROM Clm_Conflict__c WHERE Record_Id__c IN (${related}) AND Status__c IN ('Open','ResolutionRequested') ORDER BY CreatedDate DESC LIMIT 50`
        );
        const openErrors = await rows(
            user,
            `SELECT ${ERROR_FIELDS} FROM Clm_Sync_Error__c WHERE Record_Id__c IN (${related}) AND Status__c IN ${OPEN_ERROR_STATUSES} LIMIT 20`
        );
        const status = {
            recordId: id,
            objectApiName: 'Opportunity',
            contractId,
            clmContractId: opportunity.CLM_Contract_Id__c ?? null,
            clmUrl: opportunity.CLM_Contract_Url__c ?? null,
            signedDocumentUrl: null,
            lifecycle: opportunity.CLM_Lifecycle__c ?? null,
            signatureStatus: opportunity.CLM_Signature_Status__c ?? null,
            lastSync: opportunity.CLM_Last_Sync__c ?? null,
            lastSyncResult: opportunity.CLM_Last_Sync_Result__c ?? null,
            expirationDate: contract?.CLM_Expiration_Date__c ?? null,
            executedDate: contract?.CLM_Executed_Date__c ?? null,
            noticeDeadline: contract?.CLM_Notice_Deadline__c ?? null,
            contractValue: contract?.CLM_Contract_Value__c ?? null,
            currencyCode: contract?.CLM_Currency__c ?? null,
            autoRenew: contract?.CLM_Auto_Renew__c ?? null,
            renewalTermMonths: contract?.CLM_Renewal_Term_Months__c ?? null,
            provenance: provenance.map((row) => ({
                field: row.Field__c,
                writtenBy: row.Written_By__c,
                writtenAt: row.Written_At__c
            })),
            openConflicts,
            openErrors
        };
        return { ...status, health: health(status) };
    }

    async function previewSend(params: unknown): Promise<PreviewResult> {
        const id = recordId(params);
        if (!id.startsWith('006'))
            throw new ApexError('CLM.OBJECT_NOT_SUPPORTED', 'recordId', 'The preview sends Opportunities.');
        const outbound = (await rules()).filter(
            (rule) =>
                rule.Enabled__c &&
                ['SalesforceToClm', 'Bidirectional'].includes(rule.Direction__c) &&
                ['Opportunity', 'Account'].includes(rule.Object__c)
        );
        const paths = outbound.map((rule) =>
            rule.Object__c === 'Account' ? `Account.${rule.Field__c}` : rule.Field__c
        );
        const [record] = await rows(
            user,
            `SELECT ${[...new Set(['Id', 'AccountId', 'CLM_Contract_Id__c', 'CLM_Last_Sync_Result__c', ...paths.filter((p) => !p.endsWith('Address'))])].join(', ')} FROM Opportunity WHERE Id = ${quote(id)}`
        );
        if (!record)
            throw new ApexError(
                'CLM.RECORD_NOT_FOUND',
                'recordId',
                'The record does not exist or is not shared with you.'
            );
        const valueAt = (path: string): unknown => {
            const [head, tail] = path.split('.');
            const value = tail ? (record[head ?? ''] as Row | null)?.[tail] : record[path];
            return value ?? null;
        };
        const issues: { code: string; field: string; message: string }[] = [];
        if (record.CLM_Last_Sync_Result__c === 'Pending') {
            issues.push({
                code: 'CLM.REQUEST_ALREADY_PENDING',
                field: 'CLM_Last_Sync_Result__c',
                message: 'A request for this record is still being processed.'
            });
        }
        if (!record.AccountId)
            issues.push({
                code: 'CLM.REQUIRED_VALUE_MISSING',
                field: 'AccountId',
                message: 'The CLM needs the counterparty: set the Account.'
            });
        const fieldLabels = await Promise.all(paths.map(labelOf));
        const fields = outbound.map((rule, index) => {
            const path = paths[index] ?? rule.Field__c;
            const raw = valueAt(path);
            const value = raw === null || typeof raw === 'object' ? null : String(raw);
            if (!value && REQUIRED_CLM_FIELDS.has(rule.Clm_Field__c)) {
                issues.push({
                    code: 'CLM.REQUIRED_VALUE_MISSING',
                    field: path,
                    message: `${path} is required by the CLM.`
                });
            }
            const transform = rule.Transform__c
                ? (JSON.parse(rule.Transform__c) as { kind?: string; map?: Record<string, string> })
                : {};
            if (transform.kind === 'picklistMap' && value && !(value in (transform.map ?? {}))) {
                issues.push({
                    code: 'TRANSFORM.UNKNOWN_PICKLIST_VALUE',
                    field: path,
                    message: `${path}: the CLM does not take the value "${value}".`
                });
            }
            return { field: path, label: fieldLabels[index] ?? path, clmField: rule.Clm_Field__c, value };
        });
        const clmContractId = (record.CLM_Contract_Id__c as string | null) ?? null;
        return {
            recordId: id,
            objectApiName: 'Opportunity',
            action: clmContractId ? 'Resync' : 'Send',
            clmContractId,
            fields,
            issues,
            canSend: issues.length === 0
        };
    }

    async function publishRequest(fields: Record<string, unknown>): Promise<string> {
        const requestId = randomUUID();
        try {
            await user
                .sobject('Clm_Sync_Request__e')
                .create({ Request_Id__c: requestId, Requested_By__c: users.userId, ...fields });
        } catch (error) {
            const code = (error as { errorCode?: string }).errorCode ?? '';
            if (/INSUFFICIENT_ACCESS|NOT_FOUND|INVALID_TYPE/.test(code)) {
                throw new ApexError(
                    'CLM.ACCESS_DENIED',
                    'Clm_Sync_Request__e',
                    'You do not have permission to send requests to the CLM.',
                    403
                );
            }
            throw new ApexError('CLM.PUBLISH_FAILED', 'Clm_Sync_Request__e', (error as Error).message, 502);
        }
        return requestId;
    }

    async function sendToClm(params: unknown): Promise<unknown> {
        const preview = await previewSend(params);
        if (!preview.canSend) return { status: 'Invalid', action: preview.action, issues: preview.issues };
        const requestId = await publishRequest({
            Record_Id__c: preview.recordId,
            Object_Api_Name__c: 'Opportunity',
            Action__c: preview.action
        });
        return { status: 'Sent', requestId, action: preview.action, issues: [] };
    }

    function requireManage(): void {
        if (!users.canManage) {
            throw new ApexError(
                'CLM.ACCESS_DENIED',
                'Clm_Manage_Sync',
                'Retrying items and resolving conflicts needs the CLM Connector Admin permission set.',
                403
            );
        }
    }

    async function getSyncHealth(): Promise<unknown> {
        const linkedByResult: Record<string, Record<string, number>> = { Opportunity: {}, Contract: {} };
        for (const object of ['Opportunity', 'Contract'] as const) {
            for (const row of await rows(
                user,
                `SELECT CLM_Last_Sync_Result__c FROM ${object} WHERE CLM_Contract_Id__c != null`
            )) {
                const result = String(row.CLM_Last_Sync_Result__c);
                const counts = linkedByResult[object] ?? {};
                counts[result] = (counts[result] ?? 0) + 1;
            }
        }
        const errors = await rows(
            user,
            `SELECT ${ERROR_FIELDS} FROM Clm_Sync_Error__c WHERE Status__c IN ${OPEN_ERROR_STATUSES} ORDER BY Status__c LIMIT 200`
        );
        const errorsByStatus: Record<string, number> = {};
        for (const error of errors)
            errorsByStatus[String(error.Status__c)] = (errorsByStatus[String(error.Status__c)] ?? 0) + 1;
        const openConflicts = (await rows(user, "SELECT Id FROM Clm_Conflict__c WHERE Status__c = 'Open'")).length;
        return { linkedByResult, errorsByStatus, openConflicts, errors, canManage: users.canManage };
    }

    async function getConflictQueue(): Promise<unknown> {
        return rows(
            user,
            `SELECT ${CONFLICT_FIELDS} FROM Clm_Conflict__c WHERE Status__c = 'Open' ORDER BY CreatedDate ASC LIMIT 200`
        );
    }

    async function resolveConflict(params: unknown): Promise<unknown> {
        requireManage();
        const conflictId = recordId(params, 'conflictId');
        const { resolution, editedValue } = (params ?? {}) as { resolution?: unknown; editedValue?: unknown };
        if (resolution !== 'SalesforceValue' && resolution !== 'ClmValue' && resolution !== 'EditedValue') {
            throw new ApexError(
                'CLM.RESOLUTION_INVALID',
                'resolution',
                'Resolution must be one of SalesforceValue, ClmValue, EditedValue.'
            );
        }
        if (resolution === 'EditedValue' && (typeof editedValue !== 'string' || !editedValue.trim())) {
            throw new ApexError('CLM.RESOLVED_VALUE_MISSING', 'editedValue', 'Enter the value to keep.');
        }
        const [conflict] = await rows(
            user,
            `SELECT ${CONFLICT_FIELDS} FROM Clm_Conflict__c WHERE Id = ${quote(conflictId)}`
        );
        if (!conflict)
            throw new ApexError(
                'CLM.RECORD_NOT_FOUND',
                'conflictId',
                'The conflict does not exist or is not shared with you.'
            );
        if (conflict.Status__c !== 'Open')
            throw new ApexError(
                'CLM.CONFLICT_NOT_OPEN',
                'Status__c',
                `This conflict is already ${String(conflict.Status__c)}.`
            );
        const value = resolution === 'EditedValue' ? String(editedValue) : null;
        await user.sobject('Clm_Conflict__c').update({
            Id: conflictId,
            Status__c: 'ResolutionRequested',
            Resolution__c: resolution,
            Resolved_Value__c: value
        });
        return publishRequest({
            Record_Id__c: conflict.Record_Id__c,
            Object_Api_Name__c: conflict.Object_Api_Name__c,
            Action__c: 'ResolveConflict',
            Subject_Id__c: conflictId,
            Subject_Key__c: conflict.Conflict_Key__c,
            Payload__c: JSON.stringify({ resolution, value, field: conflict.Field__c })
        });
    }

    async function retryItem(params: unknown): Promise<unknown> {
        requireManage();
        const errorId = recordId(params, 'errorId');
        const [error] = await rows(user, `SELECT ${ERROR_FIELDS} FROM Clm_Sync_Error__c WHERE Id = ${quote(errorId)}`);
        if (!error)
            throw new ApexError(
                'CLM.RECORD_NOT_FOUND',
                'errorId',
                'The sync error does not exist or is not shared with you.'
            );
        if (error.Status__c !== 'Retrying' && error.Status__c !== 'Quarantined') {
            throw new ApexError(
                'CLM.ERROR_NOT_RETRYABLE',
                'Status__c',
                `This item is already ${String(error.Status__c)}.`
            );
        }
        await user.sobject('Clm_Sync_Error__c').update({ Id: errorId, Status__c: 'RetryRequested' });
        return publishRequest({
            Record_Id__c: error.Record_Id__c,
            Object_Api_Name__c: error.Object_Api_Name__c,
            Action__c: 'RetryItem',
            Subject_Id__c: errorId,
            Subject_Key__c: error.Error_Key__c
        });
    }

    async function getFieldRules(): Promise<unknown> {
        return (await rules()).map((rule) => ({
            name: rule.DeveloperName,
            objectApiName: rule.Object__c,
            field: rule.Field__c,
            clmField: rule.Clm_Field__c,
            direction: rule.Direction__c,
            conflictPolicy: rule.Conflict_Policy__c,
            transformKind: rule.Transform__c
                ? ((JSON.parse(rule.Transform__c) as { kind?: string }).kind ?? 'copy')
                : 'copy',
            enabled: rule.Enabled__c,
            description: rule.Description__c
        }));
    }

    return {
        'ClmStatusController.getStatus': getStatus,
        'ClmSendController.previewSend': previewSend,
        'ClmSendController.sendToClm': sendToClm,
        'ClmAdminController.getSyncHealth': getSyncHealth,
        'ClmAdminController.getConflictQueue': getConflictQueue,
        'ClmAdminController.resolveConflict': resolveConflict,
        'ClmAdminController.retryItem': retryItem,
        'ClmAdminController.getFieldRules': getFieldRules
    };
}

interface PreviewResult {
    recordId: string;
    objectApiName: string;
    action: string;
    clmContractId: string | null;
    fields: { field: string; label: string; clmField: string; value: string | null }[];
    issues: { code: string; field: string; message: string }[];
    canSend: boolean;
}
