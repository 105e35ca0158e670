/**
 * SpotDraft's wire payloads as the adapter reads them (spotdraft-openapi.yaml, V2.1), and the mapping of
 * contract_status to the canonical lifecycle + signature (research/clm-apis.md §3.2).
 */
import { z } from 'zod';
import type { ContractStatus } from '../../../domain/clm.ts';

export const CONTRACT_STATUSES = ['DRAFT', 'REDLINING', 'SIGN', 'EXECUTED', 'ON_HOLD', 'VOIDED'] as const;
export const ContractStatusValue = z.enum(CONTRACT_STATUSES);
export type ContractStatusValue = z.infer<typeof ContractStatusValue>;

/** V2/V2.1 name contracts by composite id (T-123 template, H-123 historical); some answers give the bare number. */
export const CompositeId = z
    .union([z.string().regex(/^[A-Z]-\d+$/, 'a composite contract id like T-123'), z.number().int().positive()])
    .transform((value) => (typeof value === 'number' ? `T-${value}` : value));

export const SpotdraftContractRow = z.object({
    id: CompositeId,
    created: z.string().min(1),
    contract_name: z.string(),
    contract_status: ContractStatusValue,
    counter_party_name: z.string().nullable().optional(),
    contract_type_name: z.string().nullable().optional(),
    external_metadata: z.record(z.string(), z.string().nullable()).nullable().optional()
});
export type SpotdraftContractRow = z.infer<typeof SpotdraftContractRow>;

export const SpotdraftContractPage = z.object({
    page: z.number().int().min(1),
    limit: z.number().int().min(1),
    total_results: z.number().int().min(0),
    results: z.array(SpotdraftContractRow)
});

export const SpotdraftStatus = z.object({ contract_status: ContractStatusValue });

export const SpotdraftKeyPointer = z.object({
    id: z.number().int(),
    value: z.unknown(),
    label: z.string(),
    field_name: z.string().min(1),
    data_type: z.string()
});
export const SpotdraftKeyPointers = z.array(SpotdraftKeyPointer);
export type SpotdraftKeyPointer = z.infer<typeof SpotdraftKeyPointer>;

export const SpotdraftTemplates = z.object({ items: z.array(z.object({ id: z.number().int(), name: z.string() })) });

export const SpotdraftDownloadLink = z.object({ url: z.string().min(1), file_name: z.string().min(1) });

export const SpotdraftWebhook = z.object({
    id: z.union([z.string().min(1), z.number().int()]).transform(String),
    url: z.string()
});

export const SpotdraftHmacKey = z.object({ hmac_key: z.string().min(1) });

/** A delivery (the spec's ContractActivityDomainModel); fields the adapter needs are required. */
export const SpotdraftDelivery = z
    .object({
        activity: z.string().min(1),
        contract_id: CompositeId,
        contract_status: z.string().optional(),
        /** When the activity happened (created_at is the contract's creation time). */
        activity_data: z.object({ timestamp: z.string().min(1) }).loose(),
        created_at: z.string().min(1),
        external_metadata: z.record(z.string(), z.unknown()).nullable().optional()
    })
    .loose();

/** SpotDraft money: the template's currency variable is `{type: <ISO code>, value: <number>}`. */
export const SpotdraftMoney = z.object({ type: z.string(), value: z.union([z.number(), z.string()]) });

export function mapContractStatus(status: ContractStatusValue): ContractStatus {
    const base = { rawStatus: status, derivedFrom: 'vendor' as const };
    switch (status) {
        case 'DRAFT':
            return { ...base, lifecycle: 'Draft', signature: 'None' };
        case 'REDLINING':
            return { ...base, lifecycle: 'InReview', signature: 'None' };
        case 'SIGN':
            return { ...base, lifecycle: 'OutForSignature', signature: 'Sent' };
        case 'EXECUTED':
            return { ...base, lifecycle: 'Signed', signature: 'FullySigned' };
        case 'ON_HOLD':
            return { ...base, lifecycle: 'OnHold', signature: 'None' };
        case 'VOIDED':
            return { ...base, lifecycle: 'Cancelled', signature: 'Voided' };
    }
}
