/**
 * The SpotDraft template as the connector sees it: the contract_data variables of GET
 * /v2.1/public/templates/{id}/metadata (CfPublicDescriptor; CURRENCY and DURATION values are nested descriptors
 * under one parent variable), plus what every contract has outside contract_data — its name, the counterparty and
 * point of contact (given at create only) and the executed date (a system key pointer SpotDraft fills).
 */
import { z } from 'zod';
import type { ClmValueKind } from '../../../domain/clm.ts';
import type { ClmTemplate, ClmTemplateField } from '../../../ports/clm.ts';
import { customFieldsOf } from '../templateMatch.ts';
import type { SpotdraftConfig } from './config.ts';

export const SpotdraftDescriptor = z
    .object({
        variable: z.string().min(1),
        display_label: z.string(),
        type: z.string(),
        parent_variable: z.string().optional(),
        parent_type: z.string().optional()
    })
    .loose();
export const SpotdraftTemplateMetadata = z.object({ attributes: z.array(SpotdraftDescriptor) }).loose();
export type SpotdraftTemplateMetadata = z.infer<typeof SpotdraftTemplateMetadata>;

/** A contract_data variable, nested descriptors folded into their parent. */
export interface SpotdraftVariable {
    name: string;
    label: string;
    vendorType: string;
    kind: ClmValueKind | null;
}

const KINDS: Readonly<Record<string, ClmValueKind>> = {
    string: 'string',
    boolean: 'boolean',
    int: 'integer',
    float: 'decimal',
    date: 'date',
    enum: 'string',
    'array of strings': 'stringList',
    'array of options': 'stringList',
    CURRENCY: 'money',
    // A duration is mapped to a whole number of months or days (values.ts durationMonths / durationDays).
    DURATION: 'integer'
};

export function templateVariables(metadata: SpotdraftTemplateMetadata): SpotdraftVariable[] {
    const variables = new Map<string, SpotdraftVariable>();
    for (const descriptor of metadata.attributes) {
        const parent = descriptor.parent_variable;
        if (parent && descriptor.parent_type) {
            variables.set(parent, {
                name: parent,
                label: descriptor.display_label,
                vendorType: descriptor.parent_type,
                kind: KINDS[descriptor.parent_type] ?? null
            });
            continue;
        }
        variables.set(descriptor.variable, {
            name: descriptor.variable,
            label: descriptor.display_label,
            vendorType: descriptor.type,
            kind: KINDS[descriptor.type] ?? null
        });
    }
    return [...variables.values()];
}

/** contract_data variable → canonical field path, from the adapter's configuration. */
export function canonicalVariables(config: SpotdraftConfig): Map<string, string> {
    const fields = config.dataFields;
    const map = new Map<string, string>([
        [fields.effectiveDate, 'effectiveDate'],
        [fields.expirationDate, 'expirationDate'],
        [fields.value, 'value'],
        [fields.counterpartyAddress, 'counterparty.address'],
        [fields.term, 'termMonths'],
        [fields.autoRenew, 'autoRenew'],
        [fields.renewalTerm, 'renewalTermMonths'],
        [fields.noticePeriod, 'noticeDays'],
        [fields.noticeDeadline, 'noticeDeadline'],
        [fields.dealStage, 'dealStage']
    ]);
    for (const [name, variable] of Object.entries(config.customFields)) map.set(variable, `custom.${name}`);
    return map;
}

/** Variables the configuration gives no meaning, as connector custom fields: custom name → variable. */
export function templateCustomVariables(
    config: SpotdraftConfig,
    variables: readonly SpotdraftVariable[] | undefined
): Map<string, string> {
    if (!variables) return new Map();
    const canonical = canonicalVariables(config);
    return customFieldsOf(
        variables
            .filter((variable) => variable.kind !== null && !canonical.has(variable.name))
            .filter((variable) => variable.name !== config.dataFields.naturalKey)
            .map((variable) => variable.name)
    );
}

export function spotdraftTemplate(
    config: SpotdraftConfig,
    template: { id: number; name: string },
    variables: readonly SpotdraftVariable[]
): ClmTemplate {
    const canonical = canonicalVariables(config);
    for (const [name, variable] of templateCustomVariables(config, variables))
        canonical.set(variable, `custom.${name}`);
    const fields: ClmTemplateField[] = variables.map((variable) => ({
        ...variable,
        clmField: canonical.get(variable.name) ?? null,
        writable: variable.kind !== null,
        setAtCreate: variable.kind !== null
    }));
    const atCreate = (name: string, label: string, clmField: string, kind: ClmValueKind): ClmTemplateField => ({
        name,
        label,
        vendorType: 'create field',
        kind,
        clmField,
        writable: false,
        setAtCreate: true
    });
    fields.push(
        atCreate('contract_name', 'Contract name', 'title', 'string'),
        atCreate('counter_party_details.organization_name', 'Counterparty', 'counterparty.name', 'string'),
        atCreate('counter_party_details.poc_details.email', 'Point of contact email', 'primaryContact.email', 'email'),
        atCreate(
            'counter_party_details.poc_details.first_name',
            'Point of contact name',
            'primaryContact.name',
            'string'
        ),
        {
            name: config.dataFields.executedDate,
            label: 'Execution date (filled by SpotDraft)',
            vendorType: 'system key pointer DATE',
            kind: 'date',
            clmField: 'executedDate',
            writable: false,
            setAtCreate: false
        }
    );
    return { vendor: 'spotdraft', id: String(template.id), name: template.name, fields };
}
