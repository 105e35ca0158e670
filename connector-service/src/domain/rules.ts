/**
 * Field mapping rules: per field, which system owns the value, how conflicts resolve, and how the value is
 * transformed. A rule set is validated once on load against the Salesforce field facts and the canonical CLM
 * fields; every problem names the rule.
 */
import { z } from 'zod';
import { clmFieldDefinition, type ClmValueKind } from './clm.ts';
import { ConnectorError } from './errors.ts';
import { DEFAULT_FIELD_CATALOG, salesforceField, type FieldCatalog, type SalesforceField } from './salesforce.ts';
import { Transform, salesforceSourceFields, type TransformTarget } from './transforms.ts';

export const DIRECTIONS = ['SalesforceToClm', 'ClmToSalesforce', 'Bidirectional', 'None'] as const;
export const Direction = z.enum(DIRECTIONS);
export type Direction = z.infer<typeof Direction>;

export const CONFLICT_POLICIES = ['SalesforceWins', 'ClmWins', 'NewestWins', 'Manual'] as const;
export const ConflictPolicy = z.enum(CONFLICT_POLICIES);
export type ConflictPolicy = z.infer<typeof ConflictPolicy>;

export const FieldRule = z.object({
    /** Unique, stable name (the custom metadata record's DeveloperName). */
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, 'a DeveloperName: letters, digits, underscores'),
    sfObject: z.string().min(1),
    sfField: z.string().min(1),
    clmField: z.string().min(1),
    direction: Direction,
    conflictPolicy: ConflictPolicy.optional(),
    transform: Transform.default({ kind: 'copy' }),
    enabled: z.boolean().default(true),
    description: z.string().optional()
});
export type FieldRule = z.infer<typeof FieldRule>;
export type FieldRuleInput = z.input<typeof FieldRule>;

/** A rule that passed validation, with the facts the planner and transforms need resolved once. */
export interface CompiledRule extends FieldRule {
    target: TransformTarget;
    /** Salesforce fields this rule reads (components for compound fields, plus a currency field). */
    sourceFields: string[];
}

export interface RuleSet {
    rules: CompiledRule[];
    byName: ReadonlyMap<string, CompiledRule>;
}

export interface RuleProblem {
    code: string;
    rule: string;
    field?: string;
    message: string;
}

export function writesToClm(direction: Direction): boolean {
    return direction === 'SalesforceToClm' || direction === 'Bidirectional';
}
export function writesToSalesforce(direction: Direction): boolean {
    return direction === 'ClmToSalesforce' || direction === 'Bidirectional';
}

/**
 * The rules as the CLM can honour them: a rule that writes a CLM field the CLM has no place for stops writing it
 * (Salesforce → CLM is left out, Bidirectional becomes CLM → Salesforce) instead of failing on every change.
 * `narrowed` says which, for the start-up log.
 */
export function narrowToWritable(
    ruleSet: RuleSet,
    clmCanWrite: (clmField: string) => boolean
): { rules: RuleSet; narrowed: { rule: string; clmField: string; direction: Direction }[] } {
    const narrowed: { rule: string; clmField: string; direction: Direction }[] = [];
    const rules: CompiledRule[] = [];
    for (const rule of ruleSet.rules) {
        if (!writesToClm(rule.direction) || clmCanWrite(rule.clmField)) {
            rules.push(rule);
            continue;
        }
        const direction: Direction = rule.direction === 'Bidirectional' ? 'ClmToSalesforce' : 'None';
        narrowed.push({ rule: rule.name, clmField: rule.clmField, direction });
        if (direction !== 'None') rules.push({ ...rule, direction });
    }
    return { rules: { rules, byName: new Map(rules.map((rule) => [rule.name, rule])) }, narrowed };
}

/** Which Salesforce types a transform can connect to which canonical kinds. */
function transformFits(transform: Transform, sf: SalesforceField, kind: ClmValueKind): boolean {
    const text = ['string', 'textarea', 'url', 'email', 'phone', 'picklist'].includes(sf.type);
    const number = ['int', 'double', 'percent', 'currency'].includes(sf.type);
    switch (transform.kind) {
        case 'copy':
            return (
                (text && (kind === 'string' || kind === 'email')) ||
                (number && (kind === 'integer' || kind === 'decimal')) ||
                (sf.type === 'boolean' && kind === 'boolean') ||
                (sf.type === 'date' && kind === 'date') ||
                (sf.type === 'datetime' && kind === 'datetime')
            );
        case 'date':
            return (sf.type === 'date' || sf.type === 'datetime') && (kind === 'date' || kind === 'datetime');
        case 'money':
            return (sf.type === 'currency' || sf.type === 'double') && kind === 'money';
        case 'address':
            return sf.type === 'address' && kind === 'address';
        case 'multiPicklist':
            return sf.type === 'multipicklist' && kind === 'stringList';
        case 'picklistMap':
            return (sf.type === 'picklist' || sf.type === 'string') && kind === 'string';
        case 'statusMap':
            return (sf.type === 'picklist' || sf.type === 'string') && (kind === 'lifecycle' || kind === 'signature');
    }
}

function isWritableTarget(field: SalesforceField): boolean {
    return !field.calculated && !field.autoNumber && (field.createable || field.updateable);
}

/**
 * Checks rules against the field facts. Returns every problem found (an empty list means the set is sound).
 * Disabled rules are checked for shape only, so an admin can switch off a broken rule to unblock the rest.
 */
export function checkRules(rules: readonly FieldRule[], catalog: FieldCatalog = DEFAULT_FIELD_CATALOG): RuleProblem[] {
    const problems: RuleProblem[] = [];
    const names = new Set<string>();
    const sfTargets = new Map<string, string>();
    const clmTargets = new Map<string, string>();
    const clmWrittenToSalesforce = new Map<string, string>();

    for (const rule of rules) {
        const add = (code: string, message: string, field = `${rule.sfObject}.${rule.sfField}`) =>
            problems.push({ code, rule: rule.name, field, message: `${rule.name}: ${message}` });
        if (names.has(rule.name)) add('MAPPING.DUPLICATE_RULE', 'another rule has the same name');
        names.add(rule.name);
        if (!rule.enabled || rule.direction === 'None') continue;

        const sf = salesforceField(catalog, rule.sfObject, rule.sfField);
        const clm = clmFieldDefinition(rule.clmField);
        if (!sf) add('MAPPING.UNKNOWN_FIELD', `Salesforce field ${rule.sfObject}.${rule.sfField} does not exist`);
        if (!clm) add('MAPPING.UNKNOWN_CLM_FIELD', `CLM field ${rule.clmField} does not exist`, rule.clmField);
        if (rule.direction === 'Bidirectional' && !rule.conflictPolicy) {
            add('MAPPING.MISSING_CONFLICT_POLICY', 'a field owned by both sides needs a conflict policy');
        }
        if (!sf || !clm) continue;

        if (!transformFits(rule.transform, sf, clm.kind)) {
            add(
                'MAPPING.TRANSFORM_TYPE_MISMATCH',
                `transform ${rule.transform.kind} cannot connect a Salesforce ${sf.type} to a CLM ${clm.kind}`
            );
            continue;
        }
        if (writesToSalesforce(rule.direction)) {
            const targets =
                rule.transform.kind === 'address' && sf.components ? Object.values(sf.components) : [rule.sfField];
            if (rule.transform.kind === 'money' && rule.transform.currencyField)
                targets.push(rule.transform.currencyField);
            for (const name of targets) {
                const field = salesforceField(catalog, rule.sfObject, name);
                if (!field) add('MAPPING.UNKNOWN_FIELD', `Salesforce field ${rule.sfObject}.${name} does not exist`);
                else if (!isWritableTarget(field)) {
                    const why = field.calculated
                        ? 'a formula or roll-up'
                        : field.autoNumber
                          ? 'an auto-number'
                          : 'read-only';
                    add(
                        'MAPPING.READ_ONLY_TARGET',
                        `${rule.sfObject}.${name} is ${why} and cannot be written from the CLM`
                    );
                }
                const key = `${rule.sfObject}.${name}`;
                const other = sfTargets.get(key);
                if (other) add('MAPPING.DUPLICATE_TARGET', `${key} is also written by rule ${other}`);
                sfTargets.set(key, rule.name);
            }
            clmWrittenToSalesforce.set(rule.clmField, rule.name);
        }
        if (writesToClm(rule.direction)) {
            if (clm.readOnly)
                add('MAPPING.READ_ONLY_TARGET', `CLM field ${rule.clmField} is set by the CLM only`, rule.clmField);
            const other = clmTargets.get(rule.clmField);
            if (other)
                add(
                    'MAPPING.DUPLICATE_TARGET',
                    `CLM field ${rule.clmField} is also written by rule ${other}`,
                    rule.clmField
                );
            clmTargets.set(rule.clmField, rule.name);
        }
        if (rule.transform.kind === 'money' && rule.transform.currencyField) {
            const currency = salesforceField(catalog, rule.sfObject, rule.transform.currencyField);
            if (currency && !['string', 'picklist'].includes(currency.type)) {
                add(
                    'MAPPING.TRANSFORM_TYPE_MISMATCH',
                    `currency field ${rule.transform.currencyField} must hold a text code`
                );
            }
        }
        if (
            rule.transform.kind === 'date' &&
            (sf.type === 'date') !== (clm.kind === 'date') &&
            !rule.transform.timeZone
        ) {
            add('MAPPING.TIME_ZONE_REQUIRED', 'converting between a date and a date-time needs transform.timeZone');
        }
        if (writesToSalesforce(rule.direction) && sf.picklist?.restricted) {
            const written =
                rule.transform.kind === 'picklistMap'
                    ? Object.keys(rule.transform.map)
                    : rule.transform.kind === 'statusMap'
                      ? Object.values(rule.transform.map ?? {})
                      : [];
            for (const value of written) {
                if (!sf.picklist.values.includes(value)) {
                    add(
                        'MAPPING.PICKLIST_VALUE_REJECTED',
                        `${rule.sfObject}.${rule.sfField} does not accept "${value}"`
                    );
                }
            }
        }
        if (rule.transform.kind === 'picklistMap' && writesToSalesforce(rule.direction)) {
            const clmValues = Object.values(rule.transform.map);
            if (new Set(clmValues).size !== clmValues.length) {
                add(
                    'MAPPING.AMBIGUOUS_MAP',
                    'two Salesforce values map to the same CLM value, so it cannot be written back'
                );
            }
        }
    }
    // A CLM field written from Salesforce by one rule and to Salesforce by another is owned by both sides
    // without a policy: only a single Bidirectional rule may say that.
    for (const [clmField, toSalesforceRule] of clmWrittenToSalesforce) {
        const fromSalesforceRule = clmTargets.get(clmField);
        if (fromSalesforceRule && fromSalesforceRule !== toSalesforceRule) {
            problems.push({
                code: 'MAPPING.OWNED_BY_BOTH_SIDES',
                rule: fromSalesforceRule,
                field: clmField,
                message: `${fromSalesforceRule}: CLM field ${clmField} is written from Salesforce here and to Salesforce by ${toSalesforceRule}; use one Bidirectional rule with a conflict policy`
            });
        }
    }
    return problems;
}

/**
 * Parses and validates a rule set. Throws MAPPING.INVALID_RULE_SET listing every problem (each naming its rule);
 * returns the compiled, enabled rules otherwise.
 */
export function loadRuleSet(input: unknown, catalog: FieldCatalog = DEFAULT_FIELD_CATALOG): RuleSet {
    const parsed = z.array(FieldRule).safeParse(input);
    if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => {
            const [index, ...path] = issue.path;
            const rule =
                Array.isArray(input) && typeof index === 'number'
                    ? (input[index] as { name?: unknown })?.name
                    : undefined;
            return {
                code: 'MAPPING.INVALID_RULE',
                rule: typeof rule === 'string' ? rule : `#${String(index)}`,
                field: path.join('.'),
                message: `${typeof rule === 'string' ? rule : `rule #${String(index)}`}: ${path.join('.') || 'rule'} — ${issue.message}`
            };
        });
        throw invalid(problems);
    }
    const problems = checkRules(parsed.data, catalog);
    if (problems.length > 0) throw invalid(problems);

    const rules: CompiledRule[] = parsed.data
        .filter((rule) => rule.enabled && rule.direction !== 'None')
        .map((rule) => {
            const sf = salesforceField(catalog, rule.sfObject, rule.sfField) as SalesforceField;
            const clm = clmFieldDefinition(rule.clmField)!;
            const target: TransformTarget = {
                rule: rule.name,
                sfObject: rule.sfObject,
                sfField: rule.sfField,
                sf,
                clmField: rule.clmField,
                clmKind: clm.kind
            };
            return { ...rule, target, sourceFields: salesforceSourceFields(rule.transform, target) };
        });
    return { rules, byName: new Map(rules.map((rule) => [rule.name, rule])) };
}

function invalid(problems: RuleProblem[]): ConnectorError {
    return new ConnectorError(
        'MAPPING.INVALID_RULE_SET',
        `The field rules are invalid:\n${problems.map((problem) => `- [${problem.code}] ${problem.message}`).join('\n')}`,
        { problems }
    );
}
