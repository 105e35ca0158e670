/**
 * What a send writes to the CLM: the deal request's create (sync/dealRequest.ts) narrowed by the CLM's template and
 * the adapter's capabilities. One function for both sides: the connector narrows its create with it, and publishes
 * its answer in its status record (connectorStatus.ts), which the send preview in the org reads, so the preview
 * lists exactly what a send writes.
 */
import type { SendField } from '../domain/index.ts';
import type { ClmCapabilities, ClmTemplate, CreateContractInput } from '../ports/clm.ts';
import { clmCanWrite } from './clmFields.ts';
import { templateFieldFor } from './templateFit.ts';

/** Every value a create can carry, where it comes from on the Opportunity (`signer`: the deal's signer). */
export const SEND_SOURCES: readonly SendField[] = [
    { clmField: 'title', label: 'Title', from: 'Name' },
    { clmField: 'counterparty.name', label: 'Counterparty', from: 'Account.Name' },
    { clmField: 'counterparty.address', label: 'Counterparty address', from: 'Account.BillingAddress' },
    { clmField: 'primaryContact.name', label: 'Signer', from: 'signer' },
    { clmField: 'primaryContact.email', label: 'Signer email', from: 'signer' },
    { clmField: 'value', label: 'Value', from: 'Amount' },
    { clmField: 'dealStage', label: 'Stage', from: 'StageName' }
];

/** The counterparty's name is what the CLM needs to create a contract at all. */
const ALWAYS = new Set(['counterparty.name']);

export interface SendWriteSetInput {
    /** The vendor's template as it describes itself; null when the connector could not read it (the adapter alone). */
    template: ClmTemplate | null;
    capabilities: ClmCapabilities;
    /** Custom properties the adapter's config maps (dealStage travels as one). */
    clmCustomFields?: readonly string[];
}

/** The fields a send writes, in SEND_SOURCES order. */
export function sendWriteSet({ template, capabilities, clmCustomFields }: SendWriteSetInput): SendField[] {
    return SEND_SOURCES.filter((source) => {
        if (ALWAYS.has(source.clmField)) return true;
        if (source.clmField === 'dealStage') {
            const mapped =
                clmCustomFields === undefined ||
                clmCustomFields.includes('dealStage') ||
                (capabilities.writableFields ?? []).includes('custom.dealStage');
            if (!mapped) return false;
        }
        if (template) return Boolean(templateFieldFor(template, source.clmField)) || template.anyCustom === true;
        return clmCanWrite(capabilities.writableFields, source.clmField);
    });
}

/** The create as the write set allows it: what the CLM does not take is left out instead of sent and dropped. */
export function narrowCreate(input: CreateContractInput, fields: readonly SendField[]): CreateContractInput {
    const has = (clmField: string) => fields.some((field) => field.clmField === clmField);
    const custom = { ...(input.custom ?? {}) };
    if (!has('dealStage')) delete custom.dealStage;
    return {
        ...input,
        counterparty: {
            name: input.counterparty.name,
            address: has('counterparty.address') ? input.counterparty.address : null
        },
        contacts: has('primaryContact.email') ? input.contacts : [],
        value: has('value') ? input.value : null,
        custom
    };
}
