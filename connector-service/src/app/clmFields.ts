/**
 * The canonical CLM fields a rule addresses, read from and written to the CLM port's contract model. One table
 * for both directions, so what the connector writes is what it reads back (echoes compare equal).
 */
import { ConnectorError, type ClmContract, type Json } from '../domain/index.ts';
import { CANONICAL_SLOTS, type ContractPatch } from '../ports/clm.ts';

/** Canonical fields the port has no first-class slot for travel as vendor custom properties under these names. */
const CUSTOM_SLOTS: Readonly<Record<string, string>> = {
    dealStage: CANONICAL_SLOTS.dealStage,
    products: CANONICAL_SLOTS.products,
    'counterparty.address': CANONICAL_SLOTS.counterpartyAddress,
    'primaryContact.email': CANONICAL_SLOTS.primaryContactEmail,
    'primaryContact.name': CANONICAL_SLOTS.primaryContactName
};

function customSlot(path: string): string | undefined {
    if (path.startsWith('custom.')) return path.slice('custom.'.length);
    return CUSTOM_SLOTS[path];
}

/** Structured values stored in a custom text property are JSON text there. */
function fromCustom(path: string, raw: unknown): Json {
    if (raw === undefined || raw === null) return null;
    if ((path === 'counterparty.address' || path === 'products') && typeof raw === 'string') {
        try {
            return JSON.parse(raw) as Json;
        } catch {
            return null;
        }
    }
    return raw as Json;
}

/** The contract as canonical field values, keyed by rule path. */
export function canonicalValues(contract: ClmContract): Record<string, Json> {
    const signer = contract.contacts.find((contact) => contact.side === 'theirs') ?? null;
    const values: Record<string, Json> = {
        title: contract.title,
        'status.lifecycle': contract.status.lifecycle,
        'status.signature': contract.status.signature,
        'status.rawStatus': contract.status.rawStatus,
        effectiveDate: contract.effectiveDate,
        expirationDate: contract.expirationDate,
        executedDate: contract.executedDate,
        noticeDeadline: contract.noticeDeadline,
        value: contract.value ? { amount: contract.value.amount, currency: contract.value.currency } : null,
        termMonths: contract.termMonths,
        autoRenew: contract.autoRenew,
        renewalTermMonths: contract.renewalTermMonths,
        noticeDays: contract.noticeDays,
        'counterparty.name': contract.counterparty?.name ?? null,
        'primaryContact.email': signer?.email ?? null,
        'primaryContact.name': signer?.name ?? null
    };
    for (const [path, slot] of Object.entries(CUSTOM_SLOTS)) {
        if (slot in contract.custom) values[path] = fromCustom(path, contract.custom[slot]);
    }
    if (!('counterparty.address' in values) && contract.counterparty?.address) {
        values['counterparty.address'] = contract.counterparty.address as Json;
    }
    for (const [name, raw] of Object.entries(contract.custom)) {
        if (!Object.values(CUSTOM_SLOTS).includes(name)) values[`custom.${name}`] = (raw ?? null) as Json;
    }
    return values;
}

/** The ContractPatch field a canonical CLM field is written through (`custom.<slot>` for custom properties). */
export function patchFieldOf(path: string): string | null {
    if (path === 'counterparty.name') return 'counterpartyName';
    if (['title', 'value', 'effectiveDate', 'expirationDate'].includes(path)) return path;
    const slot = customSlot(path);
    return slot ? `custom.${slot}` : null;
}

/** True when the CLM, as configured, can write the canonical field (capabilities().writableFields). */
export function clmCanWrite(writableFields: readonly string[] | undefined, path: string): boolean {
    const field = patchFieldOf(path);
    return field !== null && (writableFields === undefined || writableFields.includes(field));
}

/** The port patch that writes canonical field values to the CLM. */
export function contractPatch(fields: Readonly<Record<string, Json>>): ContractPatch {
    const patch: ContractPatch = {};
    const custom: Record<string, string | number | boolean | null> = {};
    for (const [path, value] of Object.entries(fields)) {
        switch (path) {
            case 'title':
                patch.title = value === null ? '' : String(value);
                continue;
            case 'counterparty.name':
                patch.counterpartyName = value === null ? '' : String(value);
                continue;
            case 'value':
                patch.value = value as ContractPatch['value'];
                continue;
            case 'effectiveDate':
            case 'expirationDate':
                patch[path] = value as string | null;
                continue;
        }
        const slot = customSlot(path);
        if (!slot) {
            throw new ConnectorError('CLM.UNSUPPORTED', `The CLM port cannot write ${path}`, { field: path });
        }
        custom[slot] =
            value !== null && typeof value === 'object'
                ? JSON.stringify(value)
                : (value as string | number | boolean | null);
    }
    if (Object.keys(custom).length > 0) patch.custom = custom;
    return patch;
}
