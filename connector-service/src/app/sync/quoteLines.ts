/**
 * The primary CPQ quote's lines as the CLM's line items: read for a deal's create (dealRequest.ts) and again when
 * the quote changes (quoteChange.ts).
 */
import { isConnectorError, select, where } from '../../domain/index.ts';
import type { CreateContractInput } from '../../ports/clm.ts';
import type { SalesforcePort } from '../../ports/salesforce.ts';

/** The primary CPQ quote's lines, when CPQ is installed; prices are in the deal's currency. */
export async function quoteLines(
    salesforce: SalesforcePort,
    opportunityId: string,
    currency: string | null
): Promise<CreateContractInput['lineItems']> {
    try {
        const quotes = await salesforce.query(
            select(['Id'], 'SBQQ__Quote__c', {
                where: where.and(where.eq('SBQQ__Opportunity2__c', opportunityId), where.eq('SBQQ__Primary__c', true)),
                limit: 1
            })
        );
        if (quotes.length === 0) return [];
        const lines = await salesforce.query(
            select(
                ['Id', 'SBQQ__Product__c', 'SBQQ__ProductName__c', 'SBQQ__Quantity__c', 'SBQQ__NetPrice__c'],
                'SBQQ__QuoteLine__c',
                {
                    where: where.eq('SBQQ__Quote__c', String(quotes[0]!.Id))
                }
            )
        );
        return lines.map((line) => ({
            key: String(line.Id),
            sfQuoteLineId: String(line.Id),
            // The product's name, as people read it in the CLM (its id when the line has no name). The integration
            // permission set grants read on SBQQ__ProductName__c: without it the query fails and the request waits.
            product: String(line.SBQQ__ProductName__c ?? line.SBQQ__Product__c ?? ''),
            quantity: String(line.SBQQ__Quantity__c ?? 0),
            ...(typeof line.SBQQ__NetPrice__c === 'number' && currency
                ? { unitPrice: { amount: String(line.SBQQ__NetPrice__c), currency } }
                : {}),
            extra: {}
        }));
    } catch (error) {
        if (isConnectorError(error, 'SF.INVALID_TYPE')) return []; // no CPQ in this org
        throw error;
    }
}
