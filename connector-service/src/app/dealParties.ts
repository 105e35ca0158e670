/**
 * Who signs a deal's contract and what the deal is worth, read from the org when a rep sends the deal.
 *
 * The signer is the Opportunity's primary contact role (the person the rep marked as primary on the deal). Fallback,
 * in order: the deal's other contact roles (earliest first), then the Account's oldest contact — for orgs that do not
 * use contact roles. Only a contact with an email can sign.
 *
 * The value carries the Opportunity's own CurrencyIsoCode in a multi-currency org. A single-currency org has no such
 * field; there the configured org currency applies (and without one the value is left out rather than guessed).
 */
import { isConnectorError, select, where, type Money } from '../domain/index.ts';
import type { SalesforcePort, SalesforceRecord } from '../ports/salesforce.ts';

export interface DealSigner {
    name: string;
    email: string;
    /** Where the signer came from, for the log and the rep's message. */
    source: 'primaryContactRole' | 'contactRole' | 'accountContact';
}

export const DEAL_FIELDS = ['Name', 'StageName', 'AccountId', 'Amount', 'CloseDate'] as const;

/** The Opportunity with its own CurrencyIsoCode where the org is multi-currency. */
export async function readDeal(
    salesforce: SalesforcePort,
    opportunityId: string
): Promise<SalesforceRecord | undefined> {
    try {
        const [deal] = await salesforce.readByIds('Opportunity', [...DEAL_FIELDS, 'CurrencyIsoCode'], [opportunityId]);
        return deal;
    } catch (error) {
        // No CurrencyIsoCode field: multi-currency is off in this org.
        if (!isConnectorError(error, 'SF.INVALID_FIELD')) throw error;
        const [deal] = await salesforce.readByIds('Opportunity', DEAL_FIELDS, [opportunityId]);
        return deal;
    }
}

/** The currency the deal's amounts are in: its own, else the single-currency org's configured currency. */
export function dealCurrency(deal: SalesforceRecord, orgCurrency: string | undefined): string | null {
    if (typeof deal.CurrencyIsoCode === 'string' && deal.CurrencyIsoCode !== '') return deal.CurrencyIsoCode;
    return orgCurrency ?? null;
}

export function dealValue(deal: SalesforceRecord, currency: string | null): Money | null {
    return typeof deal.Amount === 'number' && currency ? { amount: String(deal.Amount), currency } : null;
}

export async function dealSigner(
    salesforce: SalesforcePort,
    opportunityId: string,
    accountId: string | null
): Promise<DealSigner | null> {
    const roles = await salesforce.query(
        select(['ContactId', 'Contact.Name', 'Contact.Email', 'IsPrimary'], 'OpportunityContactRole', {
            where: where.eq('OpportunityId', opportunityId),
            orderBy: [{ field: 'IsPrimary', direction: 'DESC' }, { field: 'CreatedDate' }]
        })
    );
    for (const role of roles) {
        const contact = role.Contact as SalesforceRecord | null | undefined;
        if (contact && typeof contact.Email === 'string' && contact.Email !== '') {
            return {
                name: String(contact.Name),
                email: contact.Email,
                source: role.IsPrimary === true ? 'primaryContactRole' : 'contactRole'
            };
        }
    }
    if (!accountId) return null;
    const [oldest] = await salesforce.query(
        select(['Id', 'Name', 'Email'], 'Contact', {
            where: where.and(where.eq('AccountId', accountId), where.ne('Email', null)),
            orderBy: [{ field: 'CreatedDate' }],
            limit: 1
        })
    );
    return oldest ? { name: String(oldest.Name), email: String(oldest.Email), source: 'accountContact' } : null;
}
