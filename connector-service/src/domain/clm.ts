/**
 * The canonical CLM contract: what every vendor adapter maps to and from (research/clm-apis.md §3.2–3.3).
 * Lifecycle and signature are kept apart; the vendor's raw status is kept so a mapping can be fixed later.
 */
import { z } from 'zod';

export const LIFECYCLES = [
    'Draft',
    'InReview',
    'PendingApproval',
    'Approved',
    'OutForSignature',
    'Signed',
    'Active',
    'Amended',
    'Expired',
    'Terminated',
    'Cancelled',
    'OnHold',
    'Unknown'
] as const;
export const Lifecycle = z.enum(LIFECYCLES);
export type Lifecycle = z.infer<typeof Lifecycle>;

export const SIGNATURE_STATES = ['None', 'Sent', 'PartiallySigned', 'FullySigned', 'Declined', 'Voided'] as const;
export const SignatureState = z.enum(SIGNATURE_STATES);
export type SignatureState = z.infer<typeof SignatureState>;

export const VENDOR_IDS = ['ironclad', 'spotdraft', 'emulator', 'memory'] as const;
export const VendorId = z.enum(VENDOR_IDS);
export type VendorId = z.infer<typeof VendorId>;

/** ISO 4217 alphabetic code. Never guessed: a money value without one is rejected. */
export const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code of three capital letters');

/** A decimal amount as a string (no floating point on money), with its currency. */
export const Money = z.object({
    amount: z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal number written as a string'),
    currency: CurrencyCode
});
export type Money = z.infer<typeof Money>;

export const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'an ISO 8601 date (YYYY-MM-DD)');
export const IsoDateTime = z
    .string()
    .regex(
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/,
        'an ISO 8601 date-time with a zone'
    );

export const Address = z.object({
    street: z.string().nullable(),
    city: z.string().nullable(),
    state: z.string().nullable(),
    postalCode: z.string().nullable(),
    country: z.string().nullable()
});
export type Address = z.infer<typeof Address>;

export const ExternalRef = z.object({
    system: z.union([z.literal('salesforce'), VendorId]),
    objectType: z.string().min(1),
    id: z.string().min(1)
});
export type ExternalRef = z.infer<typeof ExternalRef>;

export const ContractStatus = z.object({
    lifecycle: Lifecycle,
    signature: SignatureState,
    rawStatus: z.string(),
    rawStage: z.string().optional(),
    derivedFrom: z.enum(['vendor', 'dates', 'config'])
});
export type ContractStatus = z.infer<typeof ContractStatus>;

export const Party = z.object({
    name: z.string(),
    address: Address.nullable().optional(),
    externalIds: z.array(ExternalRef).optional()
});

export const ClmContact = z.object({
    name: z.string(),
    email: z.string().email(),
    role: z.enum(['signer', 'approver', 'cc', 'counterpartyContact']),
    side: z.enum(['ours', 'theirs']),
    signedAt: IsoDateTime.optional()
});
export type ClmContact = z.infer<typeof ClmContact>;

export const LineItem = z.object({
    key: z.string(),
    sfQuoteLineId: z.string().optional(),
    product: z.string(),
    quantity: z.string().regex(/^-?\d+(\.\d+)?$/),
    unitPrice: Money.optional(),
    total: Money.optional(),
    start: IsoDate.optional(),
    end: IsoDate.optional(),
    group: z.string().optional(),
    extra: z.record(z.string(), z.unknown()).default({})
});
export type LineItem = z.infer<typeof LineItem>;

/**
 * The canonical contract. Mapped values live in flat, named fields (see CLM_FIELDS) so a mapping rule
 * addresses them by one path; vendor adapters fill what their API has and leave the rest null.
 */
export const ClmContract = z.object({
    id: z.string(),
    vendor: VendorId,
    refs: z.array(ExternalRef),
    title: z.string().nullable(),
    status: ContractStatus,
    counterparty: Party.nullable(),
    effectiveDate: IsoDate.nullable(),
    expirationDate: IsoDate.nullable(),
    executedDate: IsoDate.nullable(),
    noticeDeadline: IsoDate.nullable(),
    value: Money.nullable(),
    termMonths: z.number().int().nullable(),
    autoRenew: z.boolean().nullable(),
    renewalTermMonths: z.number().int().nullable(),
    noticeDays: z.number().int().nullable(),
    contacts: z.array(ClmContact),
    lineItems: z.array(LineItem),
    custom: z.record(z.string(), z.unknown()),
    /** Opaque concurrency token (vendor version or lastUpdated). */
    version: z.string(),
    updatedAt: IsoDateTime
});
export type ClmContract = z.infer<typeof ClmContract>;

/** The kind of value a canonical CLM field holds; transforms convert between these and Salesforce types. */
export type ClmValueKind =
    | 'string'
    | 'date'
    | 'datetime'
    | 'money'
    | 'integer'
    | 'decimal'
    | 'boolean'
    | 'lifecycle'
    | 'signature'
    | 'address'
    | 'stringList'
    | 'email';

export interface ClmFieldDefinition {
    kind: ClmValueKind;
    /** Written by the CLM only (e.g. the lifecycle): a Salesforce→CLM rule may not target it. */
    readOnly?: boolean;
    description: string;
}

/**
 * The canonical CLM fields a rule can address. `custom.<name>` paths address vendor custom properties
 * (kind given by the rule's transform).
 */
export const CLM_FIELDS = {
    title: { kind: 'string', description: 'Contract title' },
    'status.lifecycle': { kind: 'lifecycle', readOnly: true, description: 'Canonical lifecycle stage' },
    'status.signature': { kind: 'signature', readOnly: true, description: 'Signature progress' },
    'status.rawStatus': { kind: 'string', readOnly: true, description: "The vendor's own status value" },
    effectiveDate: { kind: 'date', description: 'Effective (start) date' },
    expirationDate: { kind: 'date', description: 'Expiration (end) date' },
    executedDate: { kind: 'date', readOnly: true, description: 'Date the contract was fully signed' },
    noticeDeadline: { kind: 'date', description: 'Last day to give notice of non-renewal' },
    value: { kind: 'money', description: 'Total contract value with its currency' },
    termMonths: { kind: 'integer', description: 'Contract term in months' },
    autoRenew: { kind: 'boolean', description: 'Renews automatically' },
    renewalTermMonths: { kind: 'integer', description: 'Length of each renewal in months' },
    noticeDays: { kind: 'integer', description: 'Notice period in days' },
    'counterparty.name': { kind: 'string', description: 'Counterparty (customer) name' },
    'counterparty.address': { kind: 'address', description: 'Counterparty address' },
    'primaryContact.email': { kind: 'email', description: "Counterparty signer's email" },
    'primaryContact.name': { kind: 'string', description: "Counterparty signer's name" },
    dealStage: { kind: 'string', description: 'Sales stage of the deal the contract comes from' },
    products: { kind: 'stringList', description: 'Products on the deal' }
} as const satisfies Record<string, ClmFieldDefinition>;
export type ClmFieldPath = keyof typeof CLM_FIELDS | `custom.${string}`;

export function clmFieldDefinition(path: string): ClmFieldDefinition | undefined {
    if (path.startsWith('custom.') && path.length > 'custom.'.length) {
        return { kind: 'string', description: `Vendor custom property ${path.slice(7)}` };
    }
    return (CLM_FIELDS as Record<string, ClmFieldDefinition>)[path];
}
