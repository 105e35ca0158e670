/**
 * Rules proposed for a CLM template (`sf clm rules suggest`), for an admin to review and deploy. A template field
 * with a canonical meaning gets the packaged default rule for it when there is one; any other field of the template
 * gets a rule to a Contract custom field named after it, typed after the template's type. Fields the connector can
 * change are proposed both ways with manual conflict review; the others come back to Salesforce only.
 */
import { DEFAULT_RULES, type FieldRuleInput, type Transform } from '../domain/index.ts';
import type { ClmCapabilities, ClmTemplate, ClmTemplateField } from '../ports/clm.ts';
import { templateCanWrite } from './templateFit.ts';

export interface SuggestedRule {
    rule: FieldRuleInput;
    /** The template field it maps. */
    templateField: string;
    /** `default`: the packaged rule; `new`: needs the Salesforce field created (named in the rule). */
    basis: 'default' | 'new';
}

export function suggestRules(template: ClmTemplate, capabilities: ClmCapabilities): SuggestedRule[] {
    const suggestions: SuggestedRule[] = [];
    const taken = new Set<string>();
    for (const field of template.fields) {
        if (!field.kind || !field.clmField) continue;
        const defaults = DEFAULT_RULES.filter((rule) => rule.clmField === field.clmField);
        if (defaults.length > 0) {
            for (const rule of defaults) {
                if (taken.has(rule.name)) continue;
                taken.add(rule.name);
                suggestions.push({ rule: { ...rule }, templateField: field.name, basis: 'default' });
            }
            continue;
        }
        const rule = newRule(field, templateCanWrite(template, capabilities, field.clmField));
        if (rule && !taken.has(rule.name)) {
            taken.add(rule.name);
            suggestions.push({ rule, templateField: field.name, basis: 'new' });
        }
    }
    return suggestions;
}

function newRule(field: ClmTemplateField, twoWay: boolean): FieldRuleInput | null {
    const base = field
        .clmField!.replace(/^custom\./, '')
        .replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''));
    const pascal = base[0]!.toUpperCase() + base.slice(1);
    const name = `Contract_${pascal}`.slice(0, 40);
    const transform = transformFor(field);
    if (!transform) return null;
    return {
        name,
        sfObject: 'Contract',
        sfField: `CLM_${pascal}__c`.slice(0, 43),
        clmField: field.clmField!,
        direction: twoWay ? 'Bidirectional' : 'ClmToSalesforce',
        ...(twoWay ? { conflictPolicy: 'Manual' as const } : {}),
        transform,
        description: `${field.label} (${template(field)})`
    };
}

function transformFor(field: ClmTemplateField): Transform | null {
    switch (field.kind) {
        case 'date':
            return { kind: 'date' };
        case 'money':
            return { kind: 'money', currencyField: 'CurrencyIsoCode' };
        case 'address':
            return { kind: 'address' };
        case 'string':
        case 'email':
        case 'integer':
        case 'decimal':
        case 'boolean':
            return { kind: 'copy' };
        default:
            return null;
    }
}

function template(field: ClmTemplateField): string {
    return `template field ${field.name}, ${field.vendorType}`;
}
