/**
 * `sf.change` of a CPQ quote: the calculator touches the quote whenever its lines change, deletes included. When it
 * is the primary quote of a linked deal, its lines replace the contract's line items, where the CLM takes them.
 */
import type { InboxItem } from '../../ports/store.ts';
import { dealCurrency, readDeal } from '../dealParties.ts';
import type { EngineContext } from './engineContext.ts';
import { quoteLines } from './quoteLines.ts';
import { currentContractId } from '../currentContract.ts';

export class QuoteChange {
    constructor(private readonly ctx: EngineContext) {}

    async handle(item: InboxItem, quoteId: string): Promise<void> {
        const { ctx } = this;
        const done = () => ctx.complete(item);
        if (!ctx.options.clm.capabilities().lineItemsWritable) return done();
        const [quote] = await ctx.options.salesforce.readByIds(
            'SBQQ__Quote__c',
            ['SBQQ__Opportunity2__c', 'SBQQ__Primary__c'],
            [quoteId]
        );
        const opportunityId = typeof quote?.SBQQ__Opportunity2__c === 'string' ? quote.SBQQ__Opportunity2__c : null;
        if (!quote || quote.SBQQ__Primary__c !== true || !opportunityId) return done();
        const pair = await ctx.store.findPair(ctx.orgId, { salesforceId: opportunityId });
        const contractId = pair ? currentContractId(pair) : undefined;
        if (!pair || !contractId) return done();
        await ctx.store.commitPlan({
            orgId: ctx.orgId,
            inbox: ctx.claimOf(item),
            outbox: [
                ctx.outbox(
                    'clm',
                    'clm.replaceLineItems',
                    `${item.source}:${item.eventId}:lines`,
                    pair.pairId,
                    item.correlationId,
                    {
                        kind: 'clm.replaceLineItems',
                        pairId: pair.pairId,
                        contractId,
                        lineItems:
                            (await quoteLines(
                                ctx.options.salesforce,
                                opportunityId,
                                await this.dealCurrencyOf(opportunityId)
                            )) ?? []
                    }
                )
            ],
            now: ctx.now()
        });
    }

    private async dealCurrencyOf(opportunityId: string): Promise<string | null> {
        const deal = await readDeal(this.ctx.options.salesforce, opportunityId);
        return deal ? dealCurrency(deal, this.ctx.options.orgCurrency) : (this.ctx.options.orgCurrency ?? null);
    }
}
