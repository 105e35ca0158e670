/**
 * The Salesforce side of the domain: the objects and fields in scope, with the describe facts the
 * mapping rules are checked against (type, length, scale, whether a value may be written).
 *
 * Standard and CPQ fields follow the object reference (research/sf-wire.md §6); the package's own
 * custom fields (`package: 'core' | 'cpq'`) are defined here once, and scripts/generate-metadata.ts
 * writes their `.field-meta.xml` into force-app from this table — edit here, then run
 * `npm run generate:metadata`.
 */
import { z } from 'zod';
import { LIFECYCLES, SIGNATURE_STATES } from './clm.ts';
import { SYNC_RESULT_VALUES } from './orgContract.ts';

export type SalesforceFieldType =
    | 'id'
    | 'string'
    | 'textarea'
    | 'picklist'
    | 'multipicklist'
    | 'date'
    | 'datetime'
    | 'currency'
    | 'double'
    | 'percent'
    | 'int'
    | 'boolean'
    | 'reference'
    | 'url'
    | 'email'
    | 'phone'
    | 'address';

export interface SalesforceField {
    type: SalesforceFieldType;
    label: string;
    /** Characters, for text types. */
    length?: number;
    /** Total digits and digits after the point, for number types. */
    precision?: number;
    scale?: number;
    /** Formula, roll-up summary or system-computed: never a write target. */
    calculated?: boolean;
    autoNumber?: boolean;
    createable: boolean;
    updateable: boolean;
    nillable: boolean;
    picklist?: { values: readonly string[]; restricted: boolean };
    referenceTo?: readonly string[];
    /** For a compound field: its component fields, in canonical address order. */
    components?: Readonly<Record<'street' | 'city' | 'state' | 'postalCode' | 'country', string>>;
    externalId?: boolean;
    unique?: boolean;
    /** Defined by this package (its metadata XML is generated from this entry). */
    package?: 'core' | 'cpq';
    description?: string;
    inlineHelpText?: string;
}

const writable = { createable: true, updateable: true, nillable: true } as const;
const readOnly = { createable: false, updateable: false, nillable: true } as const;

function text(label: string, length: number, extra: Partial<SalesforceField> = {}): SalesforceField {
    return { type: 'string', label, length, ...writable, ...extra };
}
function date(label: string, extra: Partial<SalesforceField> = {}): SalesforceField {
    return { type: 'date', label, ...writable, ...extra };
}
function picklist(label: string, values: readonly string[], restricted: boolean, extra: Partial<SalesforceField> = {}) {
    return {
        type: 'picklist',
        label,
        picklist: { values, restricted },
        ...writable,
        ...extra
    } satisfies SalesforceField;
}
function address(label: string, prefix: string): SalesforceField {
    return {
        type: 'address',
        label,
        ...readOnly,
        components: {
            street: `${prefix}Street`,
            city: `${prefix}City`,
            state: `${prefix}State`,
            postalCode: `${prefix}PostalCode`,
            country: `${prefix}Country`
        }
    };
}
function addressParts(label: string, prefix: string): Record<string, SalesforceField> {
    return {
        [`${prefix}Address`]: address(label, prefix),
        [`${prefix}Street`]: { type: 'textarea', label: `${label} Street`, length: 255, ...writable },
        [`${prefix}City`]: text(`${label} City`, 40),
        [`${prefix}State`]: text(`${label} State/Province`, 80),
        [`${prefix}PostalCode`]: text(`${label} Zip/Postal Code`, 20),
        [`${prefix}Country`]: text(`${label} Country`, 80)
    };
}
const system = {
    Id: { type: 'id', label: 'Record ID', ...readOnly, nillable: false },
    CreatedDate: { type: 'datetime', label: 'Created Date', ...readOnly },
    LastModifiedDate: { type: 'datetime', label: 'Last Modified Date', ...readOnly },
    SystemModstamp: { type: 'datetime', label: 'System Modstamp', ...readOnly },
    OwnerId: { type: 'reference', label: 'Owner ID', referenceTo: ['User'], ...writable, nillable: false }
} as const satisfies Record<string, SalesforceField>;

/** Canonical lifecycle values as the package's picklists show them (API name = canonical name). */
export const LIFECYCLE_PICKLIST = LIFECYCLES;
export const SIGNATURE_PICKLIST = SIGNATURE_STATES;

/** The CLM fields the package adds to Contract and Opportunity. */
function clmLinkFields(objectLabel: string): Record<string, SalesforceField> {
    const core = { package: 'core' } as const;
    return {
        CLM_Contract_Id__c: text('CLM Contract ID', 64, {
            ...core,
            externalId: true,
            unique: true,
            description: `The CLM's id for the contract linked to this ${objectLabel}; the connector upserts by it.`
        }),
        CLM_Contract_Url__c: {
            type: 'url',
            label: 'CLM Contract URL',
            length: 255,
            ...writable,
            ...core,
            description: 'Link to the contract in the CLM.'
        },
        CLM_Lifecycle__c: picklist('CLM Lifecycle', LIFECYCLE_PICKLIST, true, {
            ...core,
            description: 'Where the contract is in the CLM (canonical lifecycle), written by the connector.'
        }),
        CLM_Signature_Status__c: picklist('CLM Signature Status', SIGNATURE_PICKLIST, true, {
            ...core,
            description: 'Signature progress in the CLM, written by the connector.'
        }),
        CLM_Last_Sync__c: {
            type: 'datetime',
            label: 'CLM Last Sync',
            ...writable,
            ...core,
            description: 'When the connector last applied a change to this record.'
        },
        CLM_Last_Sync_Result__c: picklist('CLM Last Sync Result', SYNC_RESULT_VALUES, true, {
            ...core,
            description: "The outcome of the connector's last sync of this record."
        })
    };
}

export const SALESFORCE_OBJECTS = {
    Account: {
        ...system,
        Name: text('Account Name', 255, { nillable: false }),
        Type: picklist(
            'Account Type',
            ['Prospect', 'Customer - Direct', 'Customer - Channel', 'Partner', 'Other'],
            false
        ),
        Industry: picklist('Industry', ['Technology', 'Finance', 'Healthcare', 'Manufacturing', 'Other'], false),
        AccountNumber: text('Account Number', 40),
        Website: { type: 'url', label: 'Website', length: 255, ...writable },
        Phone: { type: 'phone', label: 'Account Phone', length: 40, ...writable },
        ...addressParts('Billing', 'Billing'),
        ...addressParts('Shipping', 'Shipping')
    },
    Contact: {
        ...system,
        FirstName: text('First Name', 40),
        LastName: text('Last Name', 80, { nillable: false }),
        Name: { type: 'string', label: 'Full Name', length: 121, ...readOnly, nillable: false },
        Email: { type: 'email', label: 'Email', length: 80, ...writable },
        Title: text('Title', 128),
        Phone: { type: 'phone', label: 'Business Phone', length: 40, ...writable },
        AccountId: { type: 'reference', label: 'Account ID', referenceTo: ['Account'], ...writable },
        ...addressParts('Mailing', 'Mailing')
    },
    Opportunity: {
        ...system,
        Name: text('Name', 120, { nillable: false }),
        StageName: picklist(
            'Stage',
            [
                'Prospecting',
                'Qualification',
                'Needs Analysis',
                'Value Proposition',
                'Id. Decision Makers',
                'Perception Analysis',
                'Proposal/Price Quote',
                'Negotiation/Review',
                'Closed Won',
                'Closed Lost'
            ],
            false,
            { nillable: false }
        ),
        CloseDate: date('Close Date', { nillable: false }),
        Amount: { type: 'currency', label: 'Amount', precision: 18, scale: 2, ...writable },
        Probability: { type: 'percent', label: 'Probability (%)', precision: 3, scale: 0, ...writable },
        IsClosed: { type: 'boolean', label: 'Closed', ...readOnly, calculated: true, nillable: false },
        IsWon: { type: 'boolean', label: 'Won', ...readOnly, calculated: true, nillable: false },
        ExpectedRevenue: {
            type: 'currency',
            label: 'Expected Amount',
            precision: 18,
            scale: 2,
            ...readOnly,
            calculated: true
        },
        AccountId: { type: 'reference', label: 'Account ID', referenceTo: ['Account'], ...writable },
        ContractId: { type: 'reference', label: 'Contract ID', referenceTo: ['Contract'], ...writable },
        Type: picklist('Opportunity Type', ['Existing Business', 'New Business'], false),
        NextStep: text('Next Step', 255),
        Description: { type: 'textarea', label: 'Description', length: 32000, ...writable },
        ...clmLinkFields('Opportunity')
    },
    Contract: {
        ...system,
        AccountId: { type: 'reference', label: 'Account ID', referenceTo: ['Account'], ...writable, nillable: false },
        Status: picklist('Status', ['Draft', 'In Approval Process', 'Activated'], true, { nillable: false }),
        StatusCode: picklist('Status Category', ['Draft', 'InApproval', 'Activated', 'Terminated', 'Expired'], true, {
            ...readOnly
        }),
        StartDate: date('Contract Start Date'),
        ContractTerm: { type: 'int', label: 'Contract Term (months)', precision: 4, scale: 0, ...writable },
        EndDate: date('Contract End Date', { ...readOnly, calculated: true }),
        ContractNumber: { type: 'string', label: 'Contract Number', length: 30, ...readOnly, autoNumber: true },
        Name: text('Contract Name', 80),
        Description: { type: 'textarea', label: 'Description', length: 32000, ...writable },
        SpecialTerms: { type: 'textarea', label: 'Special Terms', length: 4000, ...writable },
        CompanySignedDate: date('Company Signed Date'),
        CustomerSignedDate: date('Customer Signed Date'),
        ActivatedDate: { type: 'datetime', label: 'Activated Date', ...writable, createable: false },
        ...addressParts('Billing', 'Billing'),
        ...clmLinkFields('Contract'),
        CLM_Expiration_Date__c: date('CLM Expiration Date', {
            package: 'core',
            description: 'Expiration date as the CLM holds it (Contract.EndDate is computed by Salesforce).'
        }),
        CLM_Executed_Date__c: date('CLM Executed Date', {
            package: 'core',
            description: 'Date the contract was fully signed.'
        }),
        CLM_Notice_Deadline__c: date('CLM Notice Deadline', {
            package: 'core',
            description: 'Last day to give notice of non-renewal; drives the renewal automation.'
        }),
        CLM_Contract_Value__c: {
            type: 'currency',
            label: 'CLM Contract Value',
            precision: 16,
            scale: 2,
            ...writable,
            package: 'core',
            description: 'Total contract value as the CLM holds it, in CLM_Currency__c.'
        },
        CLM_Currency__c: text('CLM Currency', 3, {
            package: 'core',
            description: 'ISO 4217 code of CLM_Contract_Value__c as the CLM holds it.'
        }),
        CLM_Auto_Renew__c: {
            type: 'boolean',
            label: 'CLM Auto-Renew',
            ...writable,
            nillable: false,
            package: 'core',
            description: 'The contract renews automatically.'
        },
        CLM_Renewal_Term_Months__c: {
            type: 'double',
            label: 'CLM Renewal Term (months)',
            precision: 3,
            scale: 0,
            ...writable,
            package: 'core',
            description: 'Length of each renewal in months.'
        }
    },
    SBQQ__Quote__c: {
        ...system,
        Name: { type: 'string', label: 'Quote Number', length: 80, ...readOnly, autoNumber: true },
        SBQQ__Opportunity2__c: { type: 'reference', label: 'Opportunity', referenceTo: ['Opportunity'], ...writable },
        SBQQ__Account__c: { type: 'reference', label: 'Account', referenceTo: ['Account'], ...writable },
        SBQQ__Primary__c: { type: 'boolean', label: 'Primary', ...writable, nillable: false },
        SBQQ__Status__c: picklist(
            'Status',
            ['Draft', 'In Review', 'Approved', 'Denied', 'Presented', 'Accepted', 'Rejected'],
            false
        ),
        SBQQ__NetAmount__c: {
            type: 'currency',
            label: 'Net Amount',
            precision: 18,
            scale: 2,
            ...readOnly,
            calculated: true
        },
        SBQQ__StartDate__c: date('Start Date'),
        SBQQ__EndDate__c: date('End Date'),
        SBQQ__SubscriptionTerm__c: { type: 'double', label: 'Subscription Term', precision: 5, scale: 0, ...writable },
        CLM_Contract_Id__c: text('CLM Contract ID', 64, {
            package: 'cpq',
            externalId: true,
            description: "The CLM's id for the contract this quote was sent as."
        }),
        CLM_Last_Sync__c: {
            type: 'datetime',
            label: 'CLM Last Sync',
            ...writable,
            package: 'cpq',
            description: 'When the connector last answered a send of this quote.'
        },
        CLM_Last_Sync_Result__c: picklist('CLM Last Sync Result', SYNC_RESULT_VALUES, true, {
            package: 'cpq',
            description: "The outcome of the connector's last answer to a send of this quote (org contract)."
        })
    },
    SBQQ__QuoteLine__c: {
        ...system,
        SBQQ__Quote__c: {
            type: 'reference',
            label: 'Quote',
            referenceTo: ['SBQQ__Quote__c'],
            ...writable,
            updateable: false
        },
        SBQQ__Product__c: { type: 'reference', label: 'Product', referenceTo: ['Product2'], ...writable },
        SBQQ__ProductName__c: { type: 'string', label: 'Product Name', length: 255, ...readOnly, calculated: true },
        SBQQ__Quantity__c: { type: 'double', label: 'Quantity', precision: 18, scale: 2, ...writable },
        SBQQ__NetPrice__c: { type: 'currency', label: 'Net Unit Price', precision: 18, scale: 2, ...writable },
        SBQQ__NetTotal__c: {
            type: 'currency',
            label: 'Net Total',
            precision: 18,
            scale: 2,
            ...readOnly,
            calculated: true
        },
        SBQQ__Discount__c: { type: 'percent', label: 'Discount (%)', precision: 9, scale: 2, ...writable },
        SBQQ__Group__c: { type: 'reference', label: 'Group', referenceTo: ['SBQQ__QuoteLineGroup__c'], ...writable }
    }
} as const satisfies Record<string, Record<string, SalesforceField>>;

export type SalesforceObjectName = keyof typeof SALESFORCE_OBJECTS;
export const SalesforceObjectName = z.enum(
    Object.keys(SALESFORCE_OBJECTS) as [SalesforceObjectName, ...SalesforceObjectName[]]
);

/** Field facts for rule checks: the shape of a describe, reduced to what the domain needs. */
export type FieldCatalog = Readonly<Record<string, Readonly<Record<string, SalesforceField>>>>;
export const DEFAULT_FIELD_CATALOG: FieldCatalog = SALESFORCE_OBJECTS;

export function salesforceField(catalog: FieldCatalog, object: string, field: string): SalesforceField | undefined {
    return catalog[object]?.[field];
}

/** A Salesforce id: 15 or 18 case-sensitive alphanumerics. */
export const SalesforceId = z
    .string()
    .regex(/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/, 'a 15- or 18-character Salesforce id');

/** Key prefixes of the objects in scope (the first three characters of their ids). */
export const KEY_PREFIXES: Readonly<Record<string, string>> = {
    Account: '001',
    Contact: '003',
    Opportunity: '006',
    Contract: '800',
    User: '005'
};

/**
 * A Salesforce date-time as epoch ms, or null when it is not one. Salesforce writes `2026-11-23T09:00:00.000+0000`
 * (no colon in the offset), which not every ISO 8601 parser takes; both forms are read here.
 */
export function salesforceInstantMs(value: unknown): number | null {
    if (typeof value !== 'string') return null;
    const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    return Number.isFinite(ms) ? ms : null;
}

/**
 * A value written to Salesforce and the value read back: empty and absent are null (Salesforce stores '' as null),
 * numbers compare as numbers, date-times as instants (`Z` vs `+0000`). An unplanned value (undefined) matches any.
 */
export function sameSalesforceValue(written: unknown, current: unknown): boolean {
    if (written === undefined) return true;
    const normal = (value: unknown) => (value === '' || value === undefined ? null : value);
    const [a, b] = [normal(written), normal(current)];
    if (a === b) return true;
    if (a === null || b === null) return false;
    if (typeof a === 'number' || typeof b === 'number') return Number(a) === Number(b);
    if (typeof a === 'string' && typeof b === 'string' && /T\d\d:/.test(a)) {
        const [left, right] = [salesforceInstantMs(a), salesforceInstantMs(b)];
        return left !== null && left === right;
    }
    return false;
}
