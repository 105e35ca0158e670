/**
 * The Ironclad template as the connector sees it: the launch form's attributes (GET /workflow-schemas) and the
 * typed properties the archived record carries (GET /records/metadata), each tied to the canonical field the
 * adapter reads or writes through it. One table (`canonicalAttributes`) says which attribute means what, so the
 * adapter's reads, writes and the template check cannot disagree.
 */
import { z } from 'zod';
import type { ClmValueKind } from '../../../domain/clm.ts';
import type { ClmTemplate, ClmTemplateField } from '../../../ports/clm.ts';
import { customFieldsOf } from '../templateMatch.ts';
import type { IroncladConfig } from './config.ts';

export const IroncladSchemaEntry = z
    .object({
        type: z.string().min(1),
        displayName: z.string().optional(),
        readOnly: z.boolean().optional(),
        elementType: z.object({ type: z.string() }).loose().optional()
    })
    .loose();
export const IroncladWorkflowSchema = z.object({
    id: z.string().min(1),
    name: z.string(),
    schema: z.record(z.string(), IroncladSchemaEntry).default({})
});
export type IroncladWorkflowSchema = z.infer<typeof IroncladWorkflowSchema>;
export const IroncladWorkflowSchemaList = z.object({ list: z.array(IroncladWorkflowSchema) });

export const IroncladRecordsMetadata = z
    .object({
        properties: z.record(z.string(), z.object({ type: z.string(), displayName: z.string().optional() }).loose())
    })
    .loose();
export type IroncladRecordsMetadata = z.infer<typeof IroncladRecordsMetadata>;

/** Ironclad's attribute and record property types → canonical kinds (both spellings: schema and record). */
const KINDS: Readonly<Record<string, ClmValueKind>> = {
    string: 'string',
    email: 'email',
    number: 'decimal',
    boolean: 'boolean',
    date: 'date',
    monetaryAmount: 'money',
    monetary_amount: 'money'
};

/** Attribute ids a template commonly gives the contract title, tried when none is configured. */
const TITLE_ATTRIBUTES = ['title', 'contractTitle', 'agreementTitle'];

/** The title attribute: the configured one, else one of the usual ids the template has as a string. */
export function titleAttribute(config: IroncladConfig, schema: IroncladWorkflowSchema | undefined): string | null {
    if (config.attributes.title) return config.attributes.title;
    const found = TITLE_ATTRIBUTES.find((name) => schema?.schema[name]?.type === 'string');
    return found ?? null;
}

/** Workflow attribute id → canonical field path, from the adapter's configuration. */
export function canonicalAttributes(config: IroncladConfig, title: string | null): Map<string, string> {
    const names = config.attributes;
    const map = new Map<string, string>([
        [names.counterpartyName, 'counterparty.name'],
        [names.counterpartyAddress, 'counterparty.address'],
        [names.counterpartySignerName, 'primaryContact.name'],
        [names.counterpartySignerEmail, 'primaryContact.email'],
        [names.value, 'value'],
        [names.effectiveDate, 'effectiveDate'],
        [names.expirationDate, 'expirationDate'],
        [names.termMonths, 'termMonths'],
        [names.autoRenew, 'autoRenew'],
        [names.renewalTermMonths, 'renewalTermMonths'],
        [names.noticeDays, 'noticeDays'],
        [names.noticeDeadline, 'noticeDeadline'],
        [names.dealStage, 'dealStage']
    ]);
    if (title) map.set(title, 'title');
    for (const [name, attribute] of Object.entries(config.customAttributes)) map.set(attribute, `custom.${name}`);
    return map;
}

/**
 * Launch attributes the configuration gives no meaning (not canonical, not the natural key, not a table or
 * document), as connector custom fields: custom name → attribute id.
 */
export function templateCustomAttributes(
    config: IroncladConfig,
    schema: IroncladWorkflowSchema | undefined
): Map<string, string> {
    if (!schema) return new Map();
    const canonical = canonicalAttributes(config, titleAttribute(config, schema));
    const unmapped = Object.entries(schema.schema)
        .filter(([name, entry]) => KINDS[entry.type] && entry.readOnly !== true && !canonical.has(name))
        .filter(([name]) => name !== config.naturalKey.attribute)
        .map(([name]) => name);
    return customFieldsOf(unmapped);
}

export function ironcladTemplate(
    config: IroncladConfig,
    schema: IroncladWorkflowSchema,
    metadata: IroncladRecordsMetadata
): ClmTemplate {
    const title = titleAttribute(config, schema);
    const canonical = canonicalAttributes(config, title);
    for (const [name, attribute] of templateCustomAttributes(config, schema))
        canonical.set(attribute, `custom.${name}`);
    const fields: ClmTemplateField[] = Object.entries(schema.schema).map(([name, entry]) => {
        const kind = KINDS[entry.type] ?? null;
        const vendorType = entry.type === 'array' ? `array<${entry.elementType?.type ?? '?'}>` : entry.type;
        const input = entry.readOnly !== true && kind !== null;
        return {
            name,
            label: entry.displayName ?? name,
            vendorType,
            kind,
            clmField: canonical.get(name) ?? null,
            writable: input,
            setAtCreate: input
        };
    });
    if (!title) {
        // The template derives the workflow title itself: readable, never given.
        fields.push({
            name: 'title',
            label: 'Workflow title (set by the template)',
            vendorType: 'workflow title',
            kind: 'string',
            clmField: 'title',
            writable: false,
            setAtCreate: false
        });
    }
    // Values Ironclad mints on the record when the workflow completes (not on the launch form).
    const executed = metadata.properties[config.recordProperties.executedDate];
    if (executed) {
        fields.push({
            name: config.recordProperties.executedDate,
            label: executed.displayName ?? config.recordProperties.executedDate,
            vendorType: `record ${executed.type}`,
            kind: KINDS[executed.type] ?? null,
            clmField: 'executedDate',
            writable: false,
            setAtCreate: false
        });
    }
    return { vendor: 'ironclad', id: schema.id, name: schema.name, fields };
}
