/**
 * The default field rules — the one copy. The package's custom metadata records
 * (force-app/main/default/customMetadata/Clm_Field_Mapping.*.md-meta.xml) are generated from this list by
 * `npm run generate:metadata`, and the service loads the org's records at run time, so admins change rules in
 * Setup without a deploy. A test fails when the generated records drift from this list.
 *
 * Ownership follows the product brief: the CLM owns contract status, dates, value and renewal terms; Salesforce
 * owns the opportunity stage, the primary contact and the billing address; special terms are negotiated in both
 * places and go to manual review when both sides change them.
 */
import type { FieldRuleInput } from './rules.ts';

export const DEFAULT_RULES: readonly FieldRuleInput[] = [
    {
        name: 'Contract_Lifecycle',
        sfObject: 'Contract',
        sfField: 'CLM_Lifecycle__c',
        clmField: 'status.lifecycle',
        direction: 'ClmToSalesforce',
        transform: { kind: 'statusMap' },
        description: 'Where the contract is in the CLM.'
    },
    {
        name: 'Opportunity_Lifecycle',
        sfObject: 'Opportunity',
        sfField: 'CLM_Lifecycle__c',
        clmField: 'status.lifecycle',
        direction: 'ClmToSalesforce',
        transform: { kind: 'statusMap' },
        description: 'Contract lifecycle shown on the deal.'
    },
    {
        name: 'Contract_Signature',
        sfObject: 'Contract',
        sfField: 'CLM_Signature_Status__c',
        clmField: 'status.signature',
        direction: 'ClmToSalesforce',
        transform: { kind: 'statusMap' },
        description: 'Signature progress.'
    },
    {
        name: 'Opportunity_Signature',
        sfObject: 'Opportunity',
        sfField: 'CLM_Signature_Status__c',
        clmField: 'status.signature',
        direction: 'ClmToSalesforce',
        transform: { kind: 'statusMap' },
        description: 'Signature progress shown on the deal.'
    },
    {
        name: 'Contract_Start_Date',
        sfObject: 'Contract',
        sfField: 'StartDate',
        clmField: 'effectiveDate',
        direction: 'ClmToSalesforce',
        transform: { kind: 'date' },
        description: 'Effective date.'
    },
    {
        name: 'Contract_Term',
        sfObject: 'Contract',
        sfField: 'ContractTerm',
        clmField: 'termMonths',
        direction: 'ClmToSalesforce',
        description: 'Term in months (Salesforce computes EndDate from it).'
    },
    {
        name: 'Contract_End_Date',
        sfObject: 'Contract',
        sfField: 'CLM_Expiration_Date__c',
        clmField: 'expirationDate',
        direction: 'ClmToSalesforce',
        transform: { kind: 'date' },
        description: 'Expiration date as the CLM holds it.'
    },
    {
        name: 'Contract_Executed_Date',
        sfObject: 'Contract',
        sfField: 'CLM_Executed_Date__c',
        clmField: 'executedDate',
        direction: 'ClmToSalesforce',
        transform: { kind: 'date' },
        description: 'Date the contract was fully signed.'
    },
    {
        name: 'Contract_Value',
        sfObject: 'Contract',
        sfField: 'CLM_Contract_Value__c',
        clmField: 'value',
        direction: 'ClmToSalesforce',
        transform: { kind: 'money', currencyField: 'CLM_Currency__c' },
        description: 'Total contract value with its currency.'
    },
    {
        name: 'Contract_Auto_Renew',
        sfObject: 'Contract',
        sfField: 'CLM_Auto_Renew__c',
        clmField: 'autoRenew',
        direction: 'ClmToSalesforce',
        description: 'Renewal term: renews automatically.'
    },
    {
        name: 'Contract_Renewal_Term',
        sfObject: 'Contract',
        sfField: 'CLM_Renewal_Term_Months__c',
        clmField: 'renewalTermMonths',
        direction: 'ClmToSalesforce',
        description: 'Renewal term: length of each renewal.'
    },
    {
        name: 'Contract_Notice_Deadline',
        sfObject: 'Contract',
        sfField: 'CLM_Notice_Deadline__c',
        clmField: 'noticeDeadline',
        direction: 'ClmToSalesforce',
        transform: { kind: 'date' },
        description: 'Renewal term: last day to give notice.'
    },
    {
        name: 'Opportunity_Stage',
        sfObject: 'Opportunity',
        sfField: 'StageName',
        clmField: 'dealStage',
        direction: 'SalesforceToClm',
        description: 'The sales stage, owned by Salesforce.'
    },
    {
        name: 'Opportunity_Title',
        sfObject: 'Opportunity',
        sfField: 'Name',
        clmField: 'title',
        direction: 'SalesforceToClm',
        description: 'The contract title comes from the deal name.'
    },
    {
        name: 'Account_Name',
        sfObject: 'Account',
        sfField: 'Name',
        clmField: 'counterparty.name',
        direction: 'SalesforceToClm',
        description: 'Counterparty name.'
    },
    {
        name: 'Account_Billing_Address',
        sfObject: 'Account',
        sfField: 'BillingAddress',
        clmField: 'counterparty.address',
        direction: 'SalesforceToClm',
        transform: { kind: 'address' },
        description: 'Billing address, owned by Salesforce.'
    },
    {
        name: 'Primary_Contact_Email',
        sfObject: 'Contact',
        sfField: 'Email',
        clmField: 'primaryContact.email',
        direction: 'SalesforceToClm',
        description: "The primary contact's email (the counterparty signer)."
    },
    {
        name: 'Primary_Contact_Name',
        sfObject: 'Contact',
        sfField: 'Name',
        clmField: 'primaryContact.name',
        direction: 'SalesforceToClm',
        description: "The primary contact's name."
    },
    {
        name: 'Contract_Special_Terms',
        sfObject: 'Contract',
        sfField: 'SpecialTerms',
        clmField: 'custom.specialTerms',
        direction: 'Bidirectional',
        conflictPolicy: 'Manual',
        description: 'Negotiated in both places; concurrent edits go to the conflict queue.'
    }
];
