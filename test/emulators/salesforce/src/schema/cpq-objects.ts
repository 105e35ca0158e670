// Salesforce CPQ (managed package, namespace SBQQ): the Quote and Quote Line fields the connector meets,
// written from the package's field metadata (types, lengths, references, roll-ups and formulas).
import { fieldFromMetadata, type MetadataField } from './metadata-fields.ts';
import { newCustomObject } from './metadata-loader.ts';
import type { ObjectDef } from './types.ts';

const QUOTE_FIELDS: MetadataField[] = [
    {
        fullName: 'SBQQ__Account__c',
        label: 'Account',
        type: 'Lookup',
        referenceTo: 'Account',
        relationshipName: 'Quotes'
    },
    {
        fullName: 'SBQQ__Opportunity2__c',
        label: 'Opportunity',
        type: 'Lookup',
        referenceTo: 'Opportunity',
        relationshipName: 'Quotes2'
    },
    {
        fullName: 'SBQQ__PrimaryContact__c',
        label: 'Primary Contact',
        type: 'Lookup',
        referenceTo: 'Contact',
        relationshipName: 'Quotes'
    },
    {
        fullName: 'SBQQ__SalesRep__c',
        label: 'Sales Rep',
        type: 'Lookup',
        referenceTo: 'User',
        relationshipName: 'Quotes'
    },
    {
        fullName: 'SBQQ__PriceBook__c',
        label: 'Price Book',
        type: 'Lookup',
        referenceTo: 'Pricebook2',
        relationshipName: 'Quotes'
    },
    { fullName: 'SBQQ__PricebookId__c', label: 'Pricebook Id', type: 'Text', length: 18 },
    { fullName: 'SBQQ__Primary__c', label: 'Primary', type: 'Checkbox', defaultValue: 'false' },
    { fullName: 'SBQQ__Ordered__c', label: 'Ordered', type: 'Checkbox', defaultValue: 'false' },
    {
        fullName: 'SBQQ__Status__c',
        label: 'Status',
        type: 'Picklist',
        values: ['Draft', 'In Review', 'Approved', 'Denied', 'Presented', 'Accepted', 'Rejected'].map((v) => ({
            fullName: v,
            default: v === 'Draft'
        }))
    },
    {
        fullName: 'SBQQ__Type__c',
        label: 'Type',
        type: 'Picklist',
        values: ['Quote', 'Renewal', 'Amendment', 'Re-Quote'].map((v) => ({ fullName: v, default: v === 'Quote' }))
    },
    { fullName: 'SBQQ__StartDate__c', label: 'Start Date', type: 'Date' },
    { fullName: 'SBQQ__EndDate__c', label: 'End Date', type: 'Date' },
    { fullName: 'SBQQ__ExpirationDate__c', label: 'Expiration Date', type: 'Date' },
    { fullName: 'SBQQ__SubscriptionTerm__c', label: 'Subscription Term', type: 'Number', precision: 5, scale: 0 },
    { fullName: 'SBQQ__Notes__c', label: 'Notes', type: 'LongTextArea', length: 2000 },
    { fullName: 'SBQQ__NetAmount__c', label: 'Net Amount', type: 'Summary', summaryOperation: 'sum' },
    { fullName: 'SBQQ__CustomerAmount__c', label: 'Customer Amount', type: 'Summary', summaryOperation: 'sum' },
    { fullName: 'SBQQ__ListAmount__c', label: 'List Amount', type: 'Summary', summaryOperation: 'sum' },
    { fullName: 'SBQQ__RegularAmount__c', label: 'Regular Amount', type: 'Summary', summaryOperation: 'sum' },
    { fullName: 'SBQQ__LineItemCount__c', label: 'Line Items', type: 'Summary', summaryOperation: 'count' }
];

const QUOTE_LINE_FIELDS: MetadataField[] = [
    {
        fullName: 'SBQQ__Quote__c',
        label: 'Quote',
        type: 'MasterDetail',
        referenceTo: 'SBQQ__Quote__c',
        relationshipName: 'LineItems'
    },
    {
        fullName: 'SBQQ__Product__c',
        label: 'Product',
        type: 'Lookup',
        referenceTo: 'Product2',
        relationshipName: 'QuoteLines'
    },
    { fullName: 'SBQQ__Number__c', label: '#', type: 'Number', precision: 5, scale: 0 },
    { fullName: 'SBQQ__Quantity__c', label: 'Quantity', type: 'Number', precision: 12, scale: 2, required: true },
    { fullName: 'SBQQ__ListPrice__c', label: 'List Unit Price', type: 'Currency', precision: 14, scale: 2 },
    { fullName: 'SBQQ__RegularPrice__c', label: 'Regular Unit Price', type: 'Currency', precision: 14, scale: 2 },
    { fullName: 'SBQQ__CustomerPrice__c', label: 'Customer Unit Price', type: 'Currency', precision: 14, scale: 2 },
    { fullName: 'SBQQ__NetPrice__c', label: 'Net Unit Price', type: 'Currency', precision: 14, scale: 2 },
    { fullName: 'SBQQ__Discount__c', label: 'Additional Disc. (%)', type: 'Percent', precision: 11, scale: 2 },
    {
        fullName: 'SBQQ__NetTotal__c',
        label: 'Net Total',
        type: 'Currency',
        precision: 18,
        scale: 2,
        formula: 'SBQQ__NetPrice__c * SBQQ__Quantity__c'
    },
    {
        fullName: 'SBQQ__AdditionalDiscount__c',
        label: 'Additional Disc.',
        type: 'Currency',
        precision: 18,
        scale: 2,
        formula: '(SBQQ__RegularPrice__c - SBQQ__CustomerPrice__c) * SBQQ__Quantity__c'
    },
    { fullName: 'SBQQ__ProductName__c', label: 'Product Name', type: 'Text', formula: 'SBQQ__Product__r.Name' },
    { fullName: 'SBQQ__ProductCode__c', label: 'Product Code', type: 'Text', formula: 'SBQQ__Product__r.ProductCode' },
    { fullName: 'SBQQ__Description__c', label: 'Description', type: 'Html', length: 32000 },
    { fullName: 'SBQQ__StartDate__c', label: 'Start Date', type: 'Date' },
    { fullName: 'SBQQ__EndDate__c', label: 'End Date', type: 'Date' },
    { fullName: 'SBQQ__SubscriptionTerm__c', label: 'Subscription Term', type: 'Number', precision: 5, scale: 0 }
];

/** A CPQ object as its object metadata defines it: autonumber name, owner unless controlled by its parent. */
function cpqObject(
    name: string,
    label: string,
    plural: string,
    nameLabel: string,
    displayFormat: string,
    fields: MetadataField[],
    owner: boolean
): ObjectDef {
    const xml = {
        label,
        pluralLabel: plural,
        nameField: { label: nameLabel, type: 'AutoNumber', displayFormat },
        sharingModel: owner ? 'ReadWrite' : 'ControlledByParent'
    };
    return newCustomObject(
        name,
        xml,
        fields.map((f) => fieldFromMetadata(f, name))
    );
}

export function cpqObjects(): ObjectDef[] {
    return [
        cpqObject('SBQQ__Quote__c', 'Quote', 'Quotes', 'Quote Number', 'Q-{00000}', QUOTE_FIELDS, true),
        cpqObject(
            'SBQQ__QuoteLine__c',
            'Quote Line',
            'Quote Lines',
            'Line Name',
            'QL-{0000000}',
            QUOTE_LINE_FIELDS,
            false
        )
    ];
}
