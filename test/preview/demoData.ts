// The data the preview shows, written through the emulator's REST API as the org's users would:
// a deal owned by the sales rep, and — as the connector writes them — a conflict and a quarantined item.
import type jsforce from 'jsforce';

export interface SeededDeal {
    accountId: string;
    opportunityId: string;
}

/** An Account and an Opportunity owned by the rep, created by the admin. */
export async function seedDeal(admin: jsforce.Connection, ownerId: string): Promise<SeededDeal> {
    const account = await admin
        .sobject('Account')
        .create({ Name: 'Acme GmbH', BillingCity: 'Berlin', BillingCountry: 'DE' });
    const opportunity = await admin.sobject('Opportunity').create({
        Name: 'Acme platform renewal',
        StageName: 'Negotiation/Review',
        CloseDate: '2026-12-15',
        Amount: 120000,
        AccountId: account.id,
        OwnerId: ownerId
    });
    return { accountId: String(account.id), opportunityId: String(opportunity.id) };
}

/** An open conflict and a quarantined sync error about a record, as the connector upserts them. */
export async function seedAdminItems(
    integration: jsforce.Connection,
    recordId: string
): Promise<{ conflictId: string; errorId: string }> {
    const conflict = await integration.sobject('Clm_Conflict__c').create({
        Conflict_Key__c: 'IC-1001:SpecialTerms:v3',
        Record_Id__c: recordId,
        Object_Api_Name__c: 'Contract',
        Field__c: 'SpecialTerms',
        Clm_Field__c: 'custom.specialTerms',
        Salesforce_Value__c: 'Net 30',
        Clm_Value__c: 'Net 45',
        Rule__c: 'Contract_Special_Terms',
        Conflict_Policy__c: 'Manual',
        Status__c: 'Open'
    });
    const error = await integration.sobject('Clm_Sync_Error__c').create({
        Error_Key__c: 'evt-77:Opportunity',
        Record_Id__c: recordId,
        Object_Api_Name__c: 'Opportunity',
        Code__c: 'MAPPING.PICKLIST_VALUE_REJECTED',
        Message__c: 'Stage "Closed Won" has no CLM value.',
        Correlation_Id__c: 'corr-77',
        Attempts__c: 5,
        Status__c: 'Quarantined'
    });
    return { conflictId: String(conflict.id), errorId: String(error.id) };
}
