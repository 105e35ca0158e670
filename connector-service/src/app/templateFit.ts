/**
 * Do the rules fit the CLM's template? The CLM side of the pre-flight (`sf clm rules validate --clm-config` and the
 * connector at start): every rule's CLM field exists on the configured template, the template's type holds what the
 * rule's transform gives or takes, and the field is writable where the connector writes it. Each problem names the
 * rule and the field, with a stable code.
 */
import { CLM_FIELDS, clmFieldDefinition, writesToClm, type ClmValueKind, type FieldRule } from '../domain/index.ts';
import type { ClmCapabilities, ClmTemplate, ClmTemplateField } from '../ports/clm.ts';
import { clmCanWrite } from './clmFields.ts';

export const TEMPLATE_PROBLEM = {
    /** The template has no field for the rule's CLM field. */
    MISSING: 'MAPPING.CLM_FIELD_MISSING',
    /** The template's field holds another kind of value than the rule moves. */
    TYPE: 'MAPPING.CLM_FIELD_TYPE',
    /** The rule writes the CLM field, but the template (or the vendor's API) cannot change it. */
    NOT_WRITABLE: 'MAPPING.CLM_FIELD_NOT_WRITABLE'
} as const;

export interface TemplateProblem {
    code: (typeof TEMPLATE_PROBLEM)[keyof typeof TEMPLATE_PROBLEM];
    rule: string;
    field: string;
    message: string;
}

/** What a send (the deal request's create) carries: a create-only template field is enough for these. */
const CARRIED_AT_CREATE = new Set([
    'title',
    'counterparty.name',
    'counterparty.address',
    'primaryContact.email',
    'primaryContact.name',
    'value',
    'dealStage'
]);

/** Canonical status values come from the vendor's own status, not from a template field. */
const FROM_VENDOR_STATUS = new Set(['status.lifecycle', 'status.signature', 'status.rawStatus']);

/** The template field a canonical CLM field is read and written through, if the template has one. */
export function templateFieldFor(template: ClmTemplate, clmField: string): ClmTemplateField | undefined {
    return template.fields.find((field) => field.clmField === clmField);
}

/**
 * True when the connector can change the canonical field after create on this template: the template field is
 * writable and the adapter can write it (capabilities().writableFields).
 */
export function templateCanWrite(template: ClmTemplate, capabilities: ClmCapabilities, clmField: string): boolean {
    if (FROM_VENDOR_STATUS.has(clmField)) return false;
    if (!clmCanWrite(capabilities.writableFields, clmField)) return false;
    if (template.anyCustom && clmField.startsWith('custom.')) return true;
    return templateFieldFor(template, clmField)?.writable === true;
}

export function checkTemplateFit(
    rules: readonly FieldRule[],
    template: ClmTemplate,
    capabilities: ClmCapabilities
): TemplateProblem[] {
    const problems: TemplateProblem[] = [];
    const where = `the ${template.vendor} template "${template.name}"`;
    for (const rule of rules) {
        if (!rule.enabled || rule.direction === 'None' || FROM_VENDOR_STATUS.has(rule.clmField)) continue;
        const problem = (code: TemplateProblem['code'], message: string) =>
            problems.push({ code, rule: rule.name, field: rule.clmField, message: `${rule.name}: ${message}` });
        const field = templateFieldFor(template, rule.clmField);
        if (!field) {
            if (template.anyCustom && rule.clmField.startsWith('custom.')) continue;
            const none = capabilities.unreadableFields?.includes(rule.clmField)
                ? ` (${template.vendor} has no such value at all)`
                : '';
            const unused = template.fields.filter((candidate) => candidate.kind && !candidate.clmField);
            problem(
                TEMPLATE_PROBLEM.MISSING,
                `${where} has no field for ${rule.clmField}${none}` +
                    (unused.length ? `; fields not yet mapped: ${unused.map((f) => f.name).join(', ')}` : '')
            );
            continue;
        }
        const expected = expectedKind(rule);
        if (!kindFits(expected, field.kind)) {
            problem(
                TEMPLATE_PROBLEM.TYPE,
                `${rule.clmField} is ${field.name} on ${where}, a ${field.vendorType} field, which does not hold ${expected ?? 'this value'}`
            );
            continue;
        }
        const carried = field.setAtCreate && CARRIED_AT_CREATE.has(rule.clmField);
        if (writesToClm(rule.direction) && !carried && !templateCanWrite(template, capabilities, rule.clmField)) {
            problem(
                TEMPLATE_PROBLEM.NOT_WRITABLE,
                field.writable
                    ? `the rule writes ${rule.clmField}, but the connector has no way to write ${field.name} on ${where}`
                    : `the rule writes ${rule.clmField}, but ${field.name} on ${where} is filled by ${template.vendor} (make the rule ClmToSalesforce)`
            );
        }
    }
    return problems;
}

/** The kind of value a rule moves to or from the CLM field: the canonical field's kind, or the transform's. */
function expectedKind(rule: FieldRule): ClmValueKind | null {
    if (!rule.clmField.startsWith('custom.')) return clmFieldDefinition(rule.clmField)?.kind ?? null;
    switch (rule.transform.kind) {
        case 'money':
            return 'money';
        case 'date':
            return 'date';
        case 'multiPicklist':
            return 'stringList';
        default:
            // Copies and text: any scalar the template holds (a custom property takes what the rule gives).
            return null;
    }
}

function kindFits(expected: ClmValueKind | null, actual: ClmValueKind | null): boolean {
    if (actual === null) return false;
    if (expected === null || expected === actual) return true;
    const numbers: ClmValueKind[] = ['integer', 'decimal'];
    const text: ClmValueKind[] = ['string', 'email'];
    if (numbers.includes(expected) && numbers.includes(actual)) return true;
    if (text.includes(expected) && text.includes(actual)) return true;
    // The connector keeps an address and a list as JSON text where the template has a text field for them.
    if ((expected === 'address' || expected === 'stringList') && actual === 'string') return true;
    if (expected === 'date' && actual === 'datetime') return true;
    return false;
}

/** Every canonical field a template could carry, for a suggestion or a report. */
export const TEMPLATE_CANONICAL_FIELDS = Object.keys(CLM_FIELDS).filter((path) => !FROM_VENDOR_STATUS.has(path));
