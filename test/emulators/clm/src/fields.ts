// The published templates the emulator ships and the typed fields behind them. One definition per field drives the
// vendor-facing schema (Ironclad workflow-schema, SpotDraft contract data / key pointers), request validation (zod)
// and the record properties minted on completion.
import { z } from 'zod';

export type FieldType = 'string' | 'email' | 'number' | 'boolean' | 'date' | 'money' | 'duration' | 'table';

export interface FieldDefinition {
    key: string;
    displayName: string;
    type: FieldType;
    required?: boolean;
    /** Columns of a table field (Ironclad table attribute, used for CPQ lines). */
    columns?: FieldDefinition[];
    /** SpotDraft: also exposed as a key pointer with this data type. */
    keyPointer?: 'STRING' | 'DATE' | 'CURRENCY' | 'NUMBER' | 'CHECK BOX' | 'DURATION';
    /**
     * Filled by the vendor itself, never accepted as input: `executed` is the date the last signature landed
     * (an Ironclad record property minted on completion, a SpotDraft system key pointer).
     */
    filledBy?: 'executed';
}

export interface TemplateDefinition {
    vendor: 'ironclad' | 'spotdraft';
    name: string;
    /** Ironclad record type minted on completion. */
    recordType?: string;
    fields: FieldDefinition[];
    /** Approver roles triggered when approvals are requested. */
    approverRoles: { id: string; displayName: string; email: string }[];
}

export const IRONCLAD_TEMPLATE_NAME = 'Sales Agreement';
export const SPOTDRAFT_TEMPLATE_NAME = 'Master Services Agreement';
/** SpotDraft template ids are integers; this one is stable across restarts so configs can name it. */
export const SPOTDRAFT_TEMPLATE_ID = 4201;

export const ironcladSalesAgreement: TemplateDefinition = {
    vendor: 'ironclad',
    name: IRONCLAD_TEMPLATE_NAME,
    recordType: 'salesAgreement',
    approverRoles: [
        { id: 'legal', displayName: 'Legal', email: 'legal@example.com' },
        { id: 'finance', displayName: 'Finance', email: 'finance@example.com' }
    ],
    fields: [
        { key: 'contractTitle', displayName: 'Contract Title', type: 'string' },
        { key: 'counterpartyName', displayName: 'Counterparty Name', type: 'string', required: true },
        { key: 'counterpartySignerName', displayName: 'Counterparty Signer Name', type: 'string' },
        { key: 'counterpartySignerEmail', displayName: 'Counterparty Signer Email', type: 'email' },
        { key: 'sfOpportunityId', displayName: 'Salesforce Opportunity Id', type: 'string' },
        { key: 'sfQuoteId', displayName: 'Salesforce Quote Id', type: 'string' },
        { key: 'agreementDate', displayName: 'Agreement Date', type: 'date' },
        { key: 'expirationDate', displayName: 'Expiration Date', type: 'date' },
        { key: 'contractValue', displayName: 'Contract Value', type: 'money' },
        { key: 'paymentTerms', displayName: 'Payment Terms', type: 'string' },
        { key: 'dealStage', displayName: 'Deal Stage', type: 'string' },
        { key: 'specialTerms', displayName: 'Special Terms', type: 'string' },
        { key: 'counterpartyAddress', displayName: 'Counterparty Address', type: 'string' },
        { key: 'autoRenew', displayName: 'Auto Renew', type: 'boolean' },
        { key: 'termMonths', displayName: 'Term (Months)', type: 'number' },
        { key: 'renewalTermMonths', displayName: 'Renewal Term (Months)', type: 'number' },
        { key: 'noticePeriodDays', displayName: 'Notice Period (Days)', type: 'number' },
        { key: 'noticeDeadline', displayName: 'Non-Renewal Notice Date', type: 'date' },
        { key: 'executedDate', displayName: 'Executed Date', type: 'date', filledBy: 'executed' },
        {
            key: 'lineItems',
            displayName: 'Line Items',
            type: 'table',
            columns: [
                { key: 'sfQuoteLineId', displayName: 'Salesforce Quote Line Id', type: 'string' },
                { key: 'product', displayName: 'Product', type: 'string', required: true },
                { key: 'quantity', displayName: 'Quantity', type: 'number', required: true },
                { key: 'unitPrice', displayName: 'Unit Price', type: 'money' },
                { key: 'totalPrice', displayName: 'Total Price', type: 'money' }
            ]
        }
    ]
};

export const spotdraftMasterServices: TemplateDefinition = {
    vendor: 'spotdraft',
    name: SPOTDRAFT_TEMPLATE_NAME,
    approverRoles: [{ id: 'legal', displayName: 'Legal', email: 'legal@example.com' }],
    fields: [
        {
            key: 'salesforce_opportunity_id',
            displayName: 'Salesforce Opportunity Id',
            type: 'string',
            keyPointer: 'STRING'
        },
        { key: 'start_date', displayName: 'Start Date', type: 'date', keyPointer: 'DATE' },
        { key: 'end_date', displayName: 'End Date', type: 'date', keyPointer: 'DATE' },
        { key: 'contract_value', displayName: 'Contract Value', type: 'money', keyPointer: 'CURRENCY' },
        { key: 'payment_terms', displayName: 'Payment Terms', type: 'string', keyPointer: 'STRING' },
        { key: 'deal_stage', displayName: 'Deal Stage', type: 'string', keyPointer: 'STRING' },
        { key: 'special_terms', displayName: 'Special Terms', type: 'string', keyPointer: 'STRING' },
        { key: 'auto_renew', displayName: 'Auto Renew', type: 'boolean', keyPointer: 'CHECK BOX' },
        { key: 'term', displayName: 'Term', type: 'duration', keyPointer: 'DURATION' },
        { key: 'renewal_term', displayName: 'Renewal Term', type: 'duration', keyPointer: 'DURATION' },
        { key: 'notice_period', displayName: 'Notice Period', type: 'duration', keyPointer: 'DURATION' },
        { key: 'notice_deadline', displayName: 'Notice Deadline', type: 'date', keyPointer: 'DATE' },
        { key: 'counterparty_address', displayName: 'Counterparty Address', type: 'string', keyPointer: 'STRING' },
        {
            key: 'execution_date',
            displayName: 'Execution Date',
            type: 'date',
            keyPointer: 'DATE',
            filledBy: 'executed'
        },
        { key: 'notes', displayName: 'Notes', type: 'string' }
    ]
};

const isoDate = z.string().refine((value) => /^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value)), {
    message: 'must be an ISO 8601 date'
});
const plainDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date in the form YYYY-MM-DD');
const currencyCode = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code');

/** The zod schema for one field's value in the given vendor's wire format. */
export function fieldValueSchema(field: FieldDefinition, vendor: 'ironclad' | 'spotdraft'): z.ZodType {
    switch (field.type) {
        case 'string':
            return z.string();
        case 'email':
            return z.email();
        case 'number':
            return z.number().finite();
        case 'boolean':
            return z.boolean();
        case 'date':
            return vendor === 'ironclad' ? isoDate : plainDate;
        case 'money':
            return vendor === 'ironclad'
                ? z.strictObject({ currency: currencyCode, amount: z.number().finite() })
                : z.strictObject({ type: currencyCode, value: z.number().finite() });
        case 'duration':
            return z.strictObject({
                days: z.number().int().nonnegative(),
                type: z.enum(['DAYS', 'MONTHS', 'YEARS']),
                value: z.number().int().nonnegative()
            });
        case 'table': {
            const shape: Record<string, z.ZodType> = {};
            for (const column of field.columns ?? []) {
                const schema = fieldValueSchema(column, vendor);
                shape[column.key] = column.required ? schema : schema.optional();
            }
            return z.array(z.strictObject(shape)).max(500);
        }
    }
}

export interface FieldProblem {
    field: string;
    message: string;
    kind: 'unknown' | 'missing' | 'invalid';
}

/** Validates a set of field values against a template; `partial` skips the required check (updates). */
export function checkFieldValues(
    template: TemplateDefinition,
    values: Record<string, unknown>,
    options: { partial: boolean }
): FieldProblem[] {
    const problems: FieldProblem[] = [];
    const byKey = new Map(template.fields.map((field) => [field.key, field]));
    for (const key of Object.keys(values)) {
        if (!byKey.has(key)) problems.push({ field: key, message: `unknown field ${key}`, kind: 'unknown' });
        else if (byKey.get(key)!.filledBy)
            problems.push({ field: key, message: `${key} is filled by the vendor and cannot be set`, kind: 'invalid' });
    }
    for (const field of template.fields) {
        if (field.filledBy) continue;
        const value = values[field.key];
        if (value === undefined || value === null) {
            if (field.required && !options.partial) {
                problems.push({ field: field.key, message: `missing required field ${field.key}`, kind: 'missing' });
            }
            continue;
        }
        const parsed = fieldValueSchema(field, template.vendor).safeParse(value);
        if (!parsed.success) {
            const issue = parsed.error.issues[0]!;
            const where = [field.key, ...issue.path.map(String)].join('.');
            problems.push({ field: where, message: `${where}: ${issue.message}`, kind: 'invalid' });
        }
    }
    return problems;
}
