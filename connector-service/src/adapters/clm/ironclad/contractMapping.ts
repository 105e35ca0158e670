/**
 * Ironclad payload ↔ canonical contract: a workflow (and its archived record once completed) read as a `ClmContract`,
 * and canonical values written as launch attributes, attribute updates and the line-item table.
 */
import type { Clock } from '../../../clock.ts';
import { ClmContract, type ClmContact, type ExternalRef, type LineItem } from '../../../domain/clm.ts';
import {
    CANONICAL_SLOTS,
    CLM_ERROR,
    clmError,
    type ContractPatch,
    type CreateContractInput
} from '../../../ports/clm.ts';
import { counterpartySigner } from '../contractInput.ts';
import {
    addressText,
    counterpartyAddress,
    decimalText,
    deriveFromDates,
    noticeDeadlineFrom,
    optionalString,
    vendorBoolean,
    vendorDate,
    vendorInteger,
    vendorMoney
} from '../values.ts';
import { parseVendorPayload } from '../vendorPayload.ts';
import type { IroncladConfig } from './config.ts';
import { mapWorkflowStatus, type IroncladRecord, type IroncladWorkflow } from './payloads.ts';
import { templateCustomAttributes, titleAttribute, type IroncladWorkflowSchema } from './template.ts';

export const VENDOR = 'ironclad';

/** The configuration and the template's launch schema once read: what the mapping depends on. */
export interface IroncladTemplateView {
    config: IroncladConfig;
    schema: IroncladWorkflowSchema | undefined;
}

/** Custom field → attribute: configured, else a connector slot the template has a home for, else by name. */
export function ironcladCustomMap(view: IroncladTemplateView): Record<string, string> {
    return {
        ...Object.fromEntries(templateCustomAttributes(view.config, view.schema)),
        ...nativeSlots(view.config),
        ...view.config.customAttributes
    };
}

/** Connector custom slots this adapter writes to the template's own attributes (signer, address). */
function nativeSlots(config: IroncladConfig): Record<string, string> {
    const names = config.attributes;
    return {
        [CANONICAL_SLOTS.counterpartyAddress]: names.counterpartyAddress,
        [CANONICAL_SLOTS.primaryContactEmail]: names.counterpartySignerEmail,
        [CANONICAL_SLOTS.primaryContactName]: names.counterpartySignerName,
        [CANONICAL_SLOTS.dealStage]: names.dealStage
    };
}

export function launchAttributes(view: IroncladTemplateView, input: CreateContractInput): Record<string, unknown> {
    const names = view.config.attributes;
    const signer = counterpartySigner(input.contacts);
    const attributes: Record<string, unknown> = {
        [names.counterpartyName]: input.counterparty.name,
        [view.config.naturalKey.attribute]: input.naturalKey.id
    };
    const title = titleAttribute(view.config, view.schema);
    if (title) attributes[title] = input.title;
    if (signer) {
        attributes[names.counterpartySignerName] = signer.name;
        attributes[names.counterpartySignerEmail] = signer.email;
    }
    if (input.counterparty.address) attributes[names.counterpartyAddress] = addressText(input.counterparty.address);
    if (input.value) attributes[names.value] = ironcladMoney(input.value);
    if (input.effectiveDate) attributes[names.effectiveDate] = input.effectiveDate;
    if (input.expirationDate) attributes[names.expirationDate] = input.expirationDate;
    if (input.lineItems && input.lineItems.length > 0)
        attributes[names.lineItems] = lineItemTable(view, input.lineItems);
    Object.assign(attributes, customAttributes(view, input.custom ?? {}));
    return attributes;
}

export function lineItemTable(view: IroncladTemplateView, items: readonly LineItem[]): Record<string, unknown>[] {
    const columns = view.config.lineItemColumns;
    return items.map((item) => ({
        [columns.key]: item.sfQuoteLineId ?? item.key,
        [columns.product]: item.product,
        [columns.quantity]: Number(item.quantity),
        ...(item.unitPrice ? { [columns.unitPrice]: ironcladMoney(item.unitPrice) } : {}),
        ...(item.total ? { [columns.total]: ironcladMoney(item.total) } : {})
    }));
}

export function customAttributes(
    view: IroncladTemplateView,
    custom: Record<string, string | number | boolean | null>
): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(custom)) {
        const attribute = ironcladCustomMap(view)[name];
        if (!attribute) {
            throw clmError(CLM_ERROR.VALIDATION, `no Ironclad attribute is configured for custom field "${name}"`, {
                field: `custom.${name}`
            });
        }
        out[attribute] = value;
    }
    return out;
}

/**
 * A checked patch as attribute updates, leaving out values that would not change. The spec types
 * `value` as a string, so structured values (money) travel as JSON text.
 */
export function attributeUpdates(
    view: IroncladTemplateView,
    patch: ContractPatch,
    current: Record<string, unknown>
): AttributeUpdate[] {
    const names = view.config.attributes;
    const wanted: [string, unknown][] = [];
    const title = titleAttribute(view.config, view.schema);
    if (patch.title !== undefined) {
        if (!title) {
            throw clmError(CLM_ERROR.UNSUPPORTED, 'no Ironclad title attribute is configured', {
                op: 'update title',
                field: 'title'
            });
        }
        wanted.push([title, patch.title]);
    }
    if (patch.counterpartyName !== undefined) wanted.push([names.counterpartyName, patch.counterpartyName]);
    if (patch.value !== undefined) wanted.push([names.value, patch.value === null ? null : ironcladMoney(patch.value)]);
    if (patch.effectiveDate !== undefined) wanted.push([names.effectiveDate, patch.effectiveDate]);
    if (patch.expirationDate !== undefined) wanted.push([names.expirationDate, patch.expirationDate]);
    wanted.push(...Object.entries(customAttributes(view, patch.custom ?? {})));
    const updates: AttributeUpdate[] = [];
    for (const [path, value] of wanted) {
        if (value === null) {
            if (current[path] !== undefined && current[path] !== null) updates.push({ action: 'remove', path });
            continue;
        }
        if (JSON.stringify(current[path]) === JSON.stringify(value)) continue;
        updates.push({ action: 'set', path, value: typeof value === 'string' ? value : JSON.stringify(value) });
    }
    return updates;
}

export function toContract(
    view: IroncladTemplateView,
    clock: Clock,
    workflow: IroncladWorkflow,
    record: IroncladRecord | undefined
): ClmContract {
    const names = view.config.attributes;
    const attrs = workflow.attributes;
    const field = (name: string) => `attributes.${name}`;
    const property = (name: string) => record?.properties[name]?.value;
    const props = view.config.recordProperties;

    const valueSource = property(props.value) ?? attrs[names.value];
    const value =
        valueSource === undefined || valueSource === null
            ? null
            : vendorMoney(valueSource, record ? `properties.${props.value}.value` : field(names.value));
    // The archived record's typed property wins over the launch attribute once the workflow completed.
    const read = <T>(
        recordName: string | undefined,
        attribute: string | undefined,
        parse: (raw: unknown, at: string) => T
    ) => {
        const fromRecord = recordName === undefined ? undefined : property(recordName);
        const raw = fromRecord ?? (attribute === undefined ? undefined : attrs[attribute]);
        if (raw === undefined || raw === null || raw === '') return null;
        return parse(raw, fromRecord !== undefined ? `properties.${recordName}.value` : field(attribute!));
    };
    const effectiveDate = read(props.effectiveDate, names.effectiveDate, vendorDate);
    const expirationDate = read(props.expirationDate, names.expirationDate, vendorDate);
    const noticeDays = read(props.noticeDays, names.noticeDays, vendorInteger);
    const keyTerms = {
        executedDate: read(props.executedDate, undefined, vendorDate),
        noticeDeadline:
            read(props.noticeDeadline, names.noticeDeadline, vendorDate) ??
            noticeDeadlineFrom(expirationDate, noticeDays),
        termMonths: read(props.termMonths, names.termMonths, vendorInteger),
        autoRenew: read(props.autoRenew, names.autoRenew, vendorBoolean),
        renewalTermMonths: read(props.renewalTermMonths, names.renewalTermMonths, vendorInteger),
        noticeDays
    };
    const address = read(undefined, names.counterpartyAddress, counterpartyAddress);
    const today = new Date(clock.now()).toISOString().slice(0, 10);
    const status = deriveFromDates(mapWorkflowStatus(workflow), effectiveDate, expirationDate, today);

    const refs: ExternalRef[] = [{ system: VENDOR, objectType: 'workflow', id: workflow.id }];
    for (const recordId of workflow.recordIds ?? []) refs.push({ system: VENDOR, objectType: 'record', id: recordId });
    const naturalKey = optionalString(attrs[view.config.naturalKey.attribute], field(view.config.naturalKey.attribute));
    if (naturalKey) refs.push({ system: 'salesforce', objectType: view.config.naturalKey.objectType, id: naturalKey });

    const signerEmail = optionalString(attrs[names.counterpartySignerEmail], field(names.counterpartySignerEmail));
    const contacts: ClmContact[] = signerEmail
        ? [
              {
                  name:
                      optionalString(attrs[names.counterpartySignerName], field(names.counterpartySignerName)) ??
                      signerEmail,
                  email: signerEmail,
                  role: 'signer',
                  side: 'theirs'
              }
          ]
        : [];
    const counterpartyName = optionalString(attrs[names.counterpartyName], field(names.counterpartyName));
    const title = titleAttribute(view.config, view.schema);
    const custom: Record<string, unknown> = {};
    // The signer and address are read into their canonical places (contacts, counterparty), not as custom.
    const homed = new Set([names.counterpartyAddress, names.counterpartySignerEmail, names.counterpartySignerName]);
    for (const [name, attribute] of Object.entries(ironcladCustomMap(view))) {
        if (attrs[attribute] !== undefined && (!homed.has(attribute) || name in view.config.customAttributes))
            custom[name] = attrs[attribute];
    }
    const candidate = {
        id: workflow.id,
        vendor: VENDOR,
        refs,
        title: (title ? optionalString(attrs[title], field(title)) : null) ?? workflow.title,
        status,
        counterparty: counterpartyName ? { name: counterpartyName, ...(address ? { address } : {}) } : null,
        effectiveDate,
        expirationDate,
        value,
        ...keyTerms,
        contacts,
        lineItems: lineItems(view, attrs[names.lineItems], field(names.lineItems)),
        custom,
        version: workflow.lastUpdated,
        updatedAt: record && record.lastUpdated > workflow.lastUpdated ? record.lastUpdated : workflow.lastUpdated
    };
    return parseVendorPayload(ClmContract, candidate, {
        vendor: VENDOR,
        operation: 'map workflow',
        fieldPrefix: 'contract'
    });
}

export function lineItems(view: IroncladTemplateView, table: unknown, field: string): LineItem[] {
    if (table === undefined || table === null) return [];
    if (!Array.isArray(table))
        throw clmError(CLM_ERROR.VALIDATION, `vendor field "${field}" is not a table`, { field });
    const columns = view.config.lineItemColumns;
    return table.map((row: unknown, index) => {
        const at = `${field}.${index}`;
        if (!row || typeof row !== 'object')
            throw clmError(CLM_ERROR.VALIDATION, `vendor field "${at}" is not a row`, { field: at });
        const cells = row as Record<string, unknown>;
        const key = optionalString(cells[columns.key], `${at}.${columns.key}`);
        const product = optionalString(cells[columns.product], `${at}.${columns.product}`);
        if (!product)
            throw clmError(CLM_ERROR.VALIDATION, `vendor field "${at}.${columns.product}" is missing`, {
                field: `${at}.${columns.product}`
            });
        const money = (column: string) =>
            cells[column] === undefined || cells[column] === null
                ? undefined
                : vendorMoney(cells[column], `${at}.${column}`);
        const unitPrice = money(columns.unitPrice);
        const total = money(columns.total);
        return {
            key: key ?? String(index),
            ...(key ? { sfQuoteLineId: key } : {}),
            product,
            quantity: decimalText(cells[columns.quantity], `${at}.${columns.quantity}`),
            ...(unitPrice ? { unitPrice } : {}),
            ...(total ? { total } : {}),
            extra: {}
        };
    });
}

export type AttributeUpdate = { action: 'set' | 'remove'; path: string; value?: string };

/** Ironclad monetary values: `{currency, amount}` with a JSON number amount. */
export function ironcladMoney(money: { amount: string; currency: string }): { currency: string; amount: number } {
    return { currency: money.currency, amount: Number(money.amount) };
}
