/**
 * SpotDraft payload ↔ canonical contract: a list row and its key pointers read as a `ClmContract` (the version is a
 * hash of what was read: SpotDraft exposes no modification time), and canonical values written as `contract_data`.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../../clock.ts';
import { ClmContract, type ExternalRef, type Money } from '../../../domain/clm.ts';
import { CANONICAL_SLOTS, CLM_ERROR, clmError } from '../../../ports/clm.ts';
import {
    counterpartyAddress,
    decimalText,
    deriveFromDates,
    durationDays,
    durationMonths,
    noticeDeadlineFrom,
    vendorBoolean,
    vendorDate
} from '../values.ts';
import { parseVendorPayload } from '../vendorPayload.ts';
import type { SpotdraftConfig } from './config.ts';
import type { VersionTimes } from './versionTimes.ts';
import { templateCustomVariables, type SpotdraftVariable } from './template.ts';
import { mapContractStatus, SpotdraftMoney, type SpotdraftContractRow, type SpotdraftKeyPointer } from './payloads.ts';

export const VENDOR = 'spotdraft';

/** Connector custom slots this adapter writes to the template's own variables (the address). */
function nativeSlots(config: SpotdraftConfig): Record<string, string> {
    return {
        [CANONICAL_SLOTS.counterpartyAddress]: config.dataFields.counterpartyAddress,
        [CANONICAL_SLOTS.dealStage]: config.dataFields.dealStage
    };
}

/** Custom field → variable: configured, else a connector slot the template has a home for, else by name. */
export function spotdraftCustomMap(
    config: SpotdraftConfig,
    variables: SpotdraftVariable[] | undefined
): Record<string, string> {
    return {
        ...Object.fromEntries(templateCustomVariables(config, variables)),
        ...nativeSlots(config),
        ...config.customFields
    };
}

export function contractData(
    config: SpotdraftConfig,
    customMap: Record<string, string>,
    values: {
        naturalKey?: string;
        counterpartyAddress?: string;
        value?: Money | null;
        effectiveDate?: string | null;
        expirationDate?: string | null;
        custom?: Record<string, string | number | boolean | null>;
    }
): Record<string, unknown> {
    const fields = config.dataFields;
    const data: Record<string, unknown> = {};
    if (values.naturalKey !== undefined && fields.naturalKey) data[fields.naturalKey] = values.naturalKey;
    if (values.counterpartyAddress !== undefined) data[fields.counterpartyAddress] = values.counterpartyAddress;
    if (values.value !== undefined) {
        data[fields.value] =
            values.value === null ? null : { type: values.value.currency, value: Number(values.value.amount) };
    }
    if (values.effectiveDate !== undefined) data[fields.effectiveDate] = values.effectiveDate;
    if (values.expirationDate !== undefined) data[fields.expirationDate] = values.expirationDate;
    for (const [name, value] of Object.entries(values.custom ?? {})) {
        const variable = customMap[name];
        if (!variable) {
            throw clmError(CLM_ERROR.VALIDATION, `no SpotDraft variable is configured for custom field "${name}"`, {
                field: `custom.${name}`
            });
        }
        data[variable] = value;
    }
    // Absent values are left out at create (null means "clear" only on update).
    return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== undefined));
}

export function toContract(
    config: SpotdraftConfig,
    customMap: Record<string, string>,
    clock: Clock,
    versionTimes: VersionTimes,
    row: SpotdraftContractRow,
    keyPointers: SpotdraftKeyPointer[]
): ClmContract {
    const fields = config.dataFields;
    const pointer = (name: string) => {
        const index = keyPointers.findIndex((candidate) => candidate.field_name === name);
        return index < 0 ? undefined : { value: keyPointers[index]!.value, field: `key_pointers.${index}.value` };
    };
    const date = (name: string) => {
        const found = pointer(name);
        return found && found.value !== null && found.value !== '' ? vendorDate(found.value, found.field) : null;
    };
    const money = (() => {
        const found = pointer(fields.value);
        if (!found || found.value === null || found.value === undefined) return null;
        const parsed = parseVendorPayload(SpotdraftMoney, found.value, {
            vendor: VENDOR,
            operation: 'key pointers',
            fieldPrefix: found.field
        });
        if (!/^[A-Z]{3}$/.test(parsed.type)) {
            throw clmError(CLM_ERROR.VALIDATION, `vendor field "${found.field}.type" is not a currency code`, {
                field: `${found.field}.type`
            });
        }
        return { currency: parsed.type, amount: decimalText(parsed.value, `${found.field}.value`) };
    })();
    const effectiveDate = date(fields.effectiveDate);
    const expirationDate = date(fields.expirationDate);
    const present = (name: string) => {
        const found = pointer(name);
        return found && found.value !== null && found.value !== undefined && found.value !== '' ? found : null;
    };
    const read = <T>(name: string, parse: (raw: unknown, at: string) => T): T | null => {
        const found = present(name);
        return found ? parse(found.value, found.field) : null;
    };
    const noticeDays = read(fields.noticePeriod, durationDays);
    const keyTerms = {
        executedDate: date(fields.executedDate),
        noticeDeadline: date(fields.noticeDeadline) ?? noticeDeadlineFrom(expirationDate, noticeDays),
        termMonths: read(fields.term, durationMonths),
        autoRenew: read(fields.autoRenew, vendorBoolean),
        renewalTermMonths: read(fields.renewalTerm, durationMonths),
        noticeDays
    };
    const address = read(fields.counterpartyAddress, counterpartyAddress);
    const today = new Date(clock.now()).toISOString().slice(0, 10);
    const status = deriveFromDates(mapContractStatus(row.contract_status), effectiveDate, expirationDate, today);
    const refs: ExternalRef[] = [{ system: VENDOR, objectType: 'contract', id: row.id }];
    const naturalKey = row.external_metadata?.[config.externalMetadataKey];
    if (naturalKey) refs.push({ system: 'salesforce', objectType: config.naturalKeyObjectType, id: naturalKey });
    const custom: Record<string, unknown> = {};
    for (const [name, variable] of Object.entries(customMap)) {
        // The address is read into the counterparty, not as a custom value.
        if (variable === fields.counterpartyAddress && !(name in config.customFields)) continue;
        const found = pointer(variable);
        if (found !== undefined) custom[name] = found.value;
    }
    const created = new Date(Date.parse(row.created));
    if (Number.isNaN(created.getTime())) {
        throw clmError(CLM_ERROR.VALIDATION, 'SpotDraft contract "created" is not a date-time', {
            field: 'created'
        });
    }
    const version = createHash('sha256')
        .update(
            JSON.stringify([
                row.contract_status,
                row.contract_name,
                row.counter_party_name ?? null,
                row.external_metadata ?? null,
                keyPointers.map((kp) => [kp.field_name, kp.value])
            ])
        )
        .digest('hex')
        .slice(0, 20);
    const candidate = {
        id: row.id,
        vendor: VENDOR,
        refs,
        title: row.contract_name,
        status,
        counterparty: row.counter_party_name ? { name: row.counter_party_name, ...(address ? { address } : {}) } : null,
        effectiveDate,
        expirationDate,
        value: money,
        ...keyTerms,
        contacts: [],
        lineItems: [],
        custom,
        version,
        updatedAt: versionTimes.seenAt(row.id, version, created)
    };
    return parseVendorPayload(ClmContract, candidate, {
        vendor: VENDOR,
        operation: 'map contract',
        fieldPrefix: 'contract'
    });
}
