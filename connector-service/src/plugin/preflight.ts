/**
 * The pre-flight check of `sf clm rules validate`, as a pure function of what was read from the org.
 *
 * Shape, types, formula/roll-up targets, compound addresses, restricted picklist values and conflict policies are
 * the domain's checks (loadRuleSet → checkRules), run against the live describe turned into a FieldCatalog. On top
 * come the facts only a live org has: what the integration user may see and change, picklist values per record
 * type, multi-currency, the lengths of the values a rule writes and the required fields of records the connector
 * creates.
 */
import { LIFECYCLES, SIGNATURE_STATES, clmFieldDefinition } from '../domain/clm.ts';
import { isConnectorError } from '../domain/errors.ts';
import { FieldRule, loadRuleSet, writesToClm, writesToSalesforce, type RuleProblem } from '../domain/rules.ts';
import { salesforceField, type FieldCatalog, type SalesforceField } from '../domain/salesforce.ts';
import { salesforceSourceFields } from '../domain/transforms.ts';
import { catalogFromDescribes, describedField, isMultiCurrency, type DescribeSObject } from './orgCatalog.ts';
import type { UserAccess } from './userAccess.ts';

/** Active picklist values of one field for one record type (from the UI API's picklist-values resource). */
export interface RecordTypePicklist {
    object: string;
    recordType: string;
    field: string;
    values: readonly string[];
}

export interface PreflightInput {
    /** Rules as read (records already turned into rule inputs); unparsable ones are reported by the domain. */
    rules: readonly unknown[];
    /** Problems found while reading the rules (e.g. a Transform__c that is not JSON). */
    readProblems?: readonly RuleProblem[];
    describes: readonly DescribeSObject[];
    integrationUser: { username: string; access: UserAccess };
    recordTypePicklists?: readonly RecordTypePicklist[];
    /** Objects the connector creates records of: their required fields must be written by some rule. */
    creates?: readonly string[];
}

export interface PreflightResult {
    problems: RuleProblem[];
    multiCurrency: boolean;
    catalog: FieldCatalog;
}

/** The values a rule writes into a Salesforce picklist or text field, when they are known up front. */
function writtenValues(rule: FieldRule): string[] {
    const { transform } = rule;
    if (transform.kind === 'picklistMap') return Object.keys(transform.map);
    if (transform.kind !== 'statusMap') return [];
    const kind = clmFieldDefinition(rule.clmField)?.kind;
    const canonical: readonly string[] =
        kind === 'lifecycle' ? LIFECYCLES : kind === 'signature' ? SIGNATURE_STATES : [];
    return [...new Set(canonical.map((value) => transform.map?.[value] ?? value))];
}

/** Canonical values a statusMap writes unchanged (the domain checks the mapped ones). */
function identityStatusValues(rule: FieldRule): string[] {
    if (rule.transform.kind !== 'statusMap') return [];
    const map = rule.transform.map ?? {};
    const kind = clmFieldDefinition(rule.clmField)?.kind;
    const canonical: readonly string[] =
        kind === 'lifecycle' ? LIFECYCLES : kind === 'signature' ? SIGNATURE_STATES : [];
    return canonical.filter((value) => !(value in map));
}

function writtenFields(rule: FieldRule, sf: SalesforceField): string[] {
    const fields = rule.transform.kind === 'address' && sf.components ? Object.values(sf.components) : [rule.sfField];
    if (rule.transform.kind === 'money' && rule.transform.currencyField) fields.push(rule.transform.currencyField);
    return fields;
}

function domainProblems(rules: readonly unknown[], catalog: FieldCatalog): RuleProblem[] {
    try {
        loadRuleSet(rules, catalog);
        return [];
    } catch (error) {
        if (isConnectorError(error, 'MAPPING.INVALID_RULE_SET')) return [...(error.details.problems as RuleProblem[])];
        throw error;
    }
}

export function preflight(input: PreflightInput): PreflightResult {
    const catalog = catalogFromDescribes(input.describes);
    const multiCurrency = isMultiCurrency(input.describes);
    const { access, username } = input.integrationUser;
    // A field of a type the domain cannot sync is missing from the catalog; it is reported below as unsupported.
    const described = (field: string | undefined) => {
        const [object = '', name = ''] = (field ?? '').split('.');
        return describedField(input.describes, object, name) !== undefined;
    };
    const problems: RuleProblem[] = [
        ...(input.readProblems ?? []),
        ...domainProblems(input.rules, catalog).filter(
            (p) => !(p.code === 'MAPPING.UNKNOWN_FIELD' && described(p.field))
        )
    ];
    const seen = new Set(problems.map((p) => `${p.code}|${p.rule}|${p.field ?? ''}`));
    const report = (rule: string, code: string, field: string, message: string) => {
        const key = `${code}|${rule}|${field}`;
        if (seen.has(key)) return;
        seen.add(key);
        problems.push({ code, rule, field, message: `${rule}: ${message}` });
    };

    const rules = input.rules.flatMap((raw) => {
        const parsed = FieldRule.safeParse(raw);
        return parsed.success && parsed.data.enabled && parsed.data.direction !== 'None' ? [parsed.data] : [];
    });
    const writtenToSalesforce = new Map<string, string>();

    for (const rule of rules) {
        const at = `${rule.sfObject}.${rule.sfField}`;
        const described = describedField(input.describes, rule.sfObject, rule.sfField);
        if (!described) continue; // the domain reported the unknown field
        const sf = salesforceField(catalog, rule.sfObject, rule.sfField);
        if (!sf) {
            report(
                rule.name,
                'MAPPING.UNSUPPORTED_FIELD_TYPE',
                at,
                `${at} is a ${described.type} field, which the connector cannot sync`
            );
            continue;
        }
        const writes = writesToSalesforce(rule.direction);
        const object = access.object(rule.sfObject);
        // The connector hears this object's change events: the subscription needs View All (CDC ignores sharing).
        if (writesToClm(rule.direction) && object.read && !access.viewAll(rule.sfObject)) {
            report(
                rule.name,
                'PERMISSION.VIEW_ALL_RECORDS_MISSING',
                rule.sfObject,
                `the integration user ${username} lacks View All Records on ${rule.sfObject} (or View All Data): without it the ${rule.sfObject} change event subscription is refused; grant it in the Clm_Connector_Integration permission set`
            );
        }
        if (!object.read) {
            report(
                rule.name,
                'MAPPING.OBJECT_NOT_ACCESSIBLE',
                rule.sfObject,
                `the integration user ${username} cannot read ${rule.sfObject}; grant Read in the Clm_Connector_Integration permission set`
            );
            continue;
        }
        if (writes && !object.edit) {
            report(
                rule.name,
                'MAPPING.OBJECT_NOT_EDITABLE',
                rule.sfObject,
                `the integration user ${username} cannot edit ${rule.sfObject}; grant Edit in the Clm_Connector_Integration permission set`
            );
        }
        for (const name of salesforceSourceFields(rule.transform, { sfField: rule.sfField, sf })) {
            const field = describedField(input.describes, rule.sfObject, name);
            if (field && !access.field(rule.sfObject, field).read) {
                report(
                    rule.name,
                    'MAPPING.FIELD_NOT_VISIBLE',
                    `${rule.sfObject}.${name}`,
                    `${rule.sfObject}.${name} is hidden from the integration user ${username} (field-level security); grant Read in the Clm_Connector_Integration permission set`
                );
            }
        }
        if (writes) {
            for (const name of writtenFields(rule, sf)) {
                writtenToSalesforce.set(`${rule.sfObject}.${name}`, rule.name);
                const field = describedField(input.describes, rule.sfObject, name);
                if (!field || field.calculated || field.autoNumber || !(field.createable || field.updateable)) continue;
                const fieldAccess = access.field(rule.sfObject, field);
                if (fieldAccess.read && object.edit && !fieldAccess.edit) {
                    report(
                        rule.name,
                        'MAPPING.FIELD_NOT_EDITABLE',
                        `${rule.sfObject}.${name}`,
                        `${rule.sfObject}.${name} is read-only for the integration user ${username} (field-level security); grant Edit in the Clm_Connector_Integration permission set`
                    );
                }
            }
            if (sf.picklist?.restricted) {
                for (const value of identityStatusValues(rule)) {
                    if (!sf.picklist.values.includes(value)) {
                        report(
                            rule.name,
                            'MAPPING.PICKLIST_VALUE_REJECTED',
                            at,
                            `${at} does not accept "${value}" (add the value to the picklist or map it with transform.map)`
                        );
                    }
                }
                for (const picklist of input.recordTypePicklists ?? []) {
                    if (picklist.object !== rule.sfObject || picklist.field !== rule.sfField) continue;
                    for (const value of writtenValues(rule)) {
                        if (sf.picklist.values.includes(value) && !picklist.values.includes(value)) {
                            report(
                                rule.name,
                                'MAPPING.PICKLIST_VALUE_REJECTED',
                                at,
                                `${at} does not accept "${value}" for record type ${picklist.recordType}`
                            );
                        }
                    }
                }
            }
            if (sf.length && ['string', 'textarea', 'picklist'].includes(sf.type)) {
                for (const value of writtenValues(rule)) {
                    if (value.length > sf.length) {
                        report(
                            rule.name,
                            'MAPPING.VALUE_TOO_LONG',
                            at,
                            `"${value}" is longer than ${at} (${sf.length} characters)`
                        );
                    }
                }
            }
            if (rule.transform.kind === 'money' && rule.transform.currencyField) {
                const currency = salesforceField(catalog, rule.sfObject, rule.transform.currencyField);
                if (currency?.length !== undefined && currency.length < 3) {
                    report(
                        rule.name,
                        'MAPPING.VALUE_TOO_LONG',
                        `${rule.sfObject}.${rule.transform.currencyField}`,
                        `${rule.sfObject}.${rule.transform.currencyField} holds ${currency.length} characters; an ISO 4217 code needs 3`
                    );
                }
            }
        }
        if (
            multiCurrency &&
            rule.transform.kind === 'money' &&
            sf.type === 'currency' &&
            rule.transform.currencyField !== 'CurrencyIsoCode'
        ) {
            report(
                rule.name,
                'MAPPING.CURRENCY_ISO_CODE_REQUIRED',
                at,
                `the org is multi-currency, so ${at} is in the record's CurrencyIsoCode; set transform.currencyField to "CurrencyIsoCode"`
            );
        }
    }

    for (const object of input.creates ?? []) {
        const describe = input.describes.find((d) => d.name === object);
        const owner = `${object} (create)`;
        if (!describe) {
            report(owner, 'MAPPING.UNKNOWN_OBJECT', object, `${object} does not exist in the org`);
            continue;
        }
        if (!access.object(object).create) {
            report(
                owner,
                'MAPPING.OBJECT_NOT_CREATEABLE',
                object,
                `the integration user ${username} cannot create ${object}; grant Create in the Clm_Connector_Integration permission set`
            );
        }
        for (const field of describe.fields) {
            const required =
                field.createable && !field.nillable && !field.defaultedOnCreate && field.type !== 'boolean';
            if (required && !writtenToSalesforce.has(`${object}.${field.name}`)) {
                report(
                    owner,
                    'MAPPING.REQUIRED_FIELD_UNMAPPED',
                    `${object}.${field.name}`,
                    `creating a ${object} needs ${field.name}, which no rule writes from the CLM`
                );
            }
        }
    }
    problems.sort(
        (a, b) =>
            a.rule.localeCompare(b.rule) || a.code.localeCompare(b.code) || (a.field ?? '').localeCompare(b.field ?? '')
    );
    return { problems, multiCurrency, catalog };
}
