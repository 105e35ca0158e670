/**
 * `sf.syncRequest`: a rep sent an Opportunity or its primary CPQ quote. The deal is the Opportunity (the quote's,
 * when sent from a quote). Refused before anything is written when the CLM could not take it; else the pair is
 * created and the contract's create queued (clmCreate.ts), the sent record marked Pending until the create lands. A
 * deal already linked is read again from the CLM instead.
 */
import { ConnectorError } from '../../domain/index.ts';
import type { CreateContractInput } from '../../ports/clm.ts';
import type { SalesforceRecord } from '../../ports/salesforce.ts';
import type { InboxItem } from '../../ports/store.ts';
import { dealCurrency, dealSigner, dealValue, readDeal } from '../dealParties.ts';
import { asJson, type InboxPayload } from '../payloads.ts';
import { narrowCreate } from '../sendWriteSet.ts';
import type { EngineContext } from './engineContext.ts';
import { quoteLines } from './quoteLines.ts';
import { currentContractId } from '../currentContract.ts';

export class DealRequest {
    constructor(private readonly ctx: EngineContext) {}

    async handle(item: InboxItem, payload: Extract<InboxPayload, { kind: 'sf.syncRequest' }>): Promise<void> {
        const { ctx } = this;
        const salesforce = ctx.options.salesforce;
        const requestId = payload.requestId;
        const sent = { sfObject: payload.objectApiName, id: payload.recordId ?? payload.opportunityId ?? '' };
        if (!sent.id)
            throw new ConnectorError('PIPELINE.INVALID_INBOX_PAYLOAD', 'inbox payload: recordId — required', {
                field: 'recordId',
                retryable: false
            });
        const problems: string[] = [];
        let opportunityId: string | null = sent.id;
        let quoteFound = false;
        if (sent.sfObject === 'SBQQ__Quote__c') {
            const [quote] = await salesforce.readByIds(
                'SBQQ__Quote__c',
                ['SBQQ__Opportunity2__c', 'SBQQ__Primary__c'],
                [sent.id]
            );
            opportunityId = typeof quote?.SBQQ__Opportunity2__c === 'string' ? quote.SBQQ__Opportunity2__c : null;
            quoteFound = quote !== undefined;
            if (!quote) problems.push(`Quote ${sent.id} was not found or is not visible to the integration user`);
            else if (!opportunityId) problems.push('The quote has no Opportunity: the CLM contract belongs to a deal');
            else if (quote.SBQQ__Primary__c !== true) problems.push('Only the primary quote of an Opportunity is sent');
        }
        const existing = opportunityId ? await ctx.store.findPair(ctx.orgId, { salesforceId: opportunityId }) : null;
        if (existing?.clm.length && problems.length === 0) {
            // Already linked: a resend refreshes from the CLM.
            const contractId = currentContractId(existing)!;
            await ctx.store.appendInbox(ctx.orgId, [
                {
                    source: 'connector:resync',
                    eventId: `resync:${requestId}`,
                    orderingKey: existing.pairId,
                    objectType: 'contract',
                    payload: { kind: 'clm.event', contractId, vendorEventId: `resync:${requestId}` },
                    correlationId: item.correlationId
                }
            ]);
            return ctx.complete(item);
        }
        const opportunity =
            opportunityId && problems.length === 0 ? await readDeal(salesforce, opportunityId) : undefined;
        if (!opportunity && problems.length === 0)
            problems.push(`Opportunity ${opportunityId} was not found or is not visible to the integration user`);
        const accountId = typeof opportunity?.AccountId === 'string' ? opportunity.AccountId : null;
        const [account] = accountId
            ? await salesforce.readByIds(
                  'Account',
                  ['Name', 'BillingStreet', 'BillingCity', 'BillingState', 'BillingPostalCode', 'BillingCountry'],
                  [accountId]
              )
            : [];
        if (opportunity && !account) problems.push('The Opportunity has no Account: the CLM needs a counterparty');
        const signer = opportunity && opportunityId ? await dealSigner(salesforce, opportunityId, accountId) : null;
        if (account && !signer)
            problems.push(
                `Neither the Opportunity's contact roles nor Account ${String(account.Name)} have a contact with an email to sign`
            );
        const pairId = `opp:${opportunityId ?? sent.id}`;
        // The records that carry the result: the one sent and the deal, where they exist (a write to a missing one
        // would fail for good).
        const sentRecords = [
            ...((sent.sfObject === 'Opportunity' ? opportunity : quoteFound) ? [sent] : []),
            ...(opportunity && opportunityId !== sent.id ? [{ sfObject: 'Opportunity', id: opportunityId! }] : [])
        ];
        if (problems.length > 0 || !opportunity || !account || !opportunityId) {
            // Refused before anything is written anywhere; the rep sees why on the page.
            const rejected = ctx.statusOutbox(`rejected:${requestId}`, pairId, {
                kind: 'RequestRejected',
                result: 'Error',
                recordId: sent.id,
                objectApiName: sent.sfObject,
                requestId,
                message: problems.join('; '),
                correlationId: item.correlationId,
                eventKey: `rejected:${requestId}`
            });
            await ctx.store.commitPlan({
                orgId: ctx.orgId,
                inbox: ctx.claimOf(item),
                outbox: [
                    rejected,
                    ...sentRecords.map((record) =>
                        ctx.resultWrite(record, 'Error', `rejected:${requestId}`, pairId, item)
                    )
                ],
                now: ctx.now()
            });
            return;
        }
        const currency = dealCurrency(opportunity, ctx.options.orgCurrency);
        const created: CreateContractInput = {
            naturalKey: { system: 'salesforce', objectType: 'Opportunity', id: opportunityId },
            title: String(opportunity.Name),
            counterparty: { name: String(account.Name), address: addressOf(account) },
            contacts: signer ? [{ name: signer.name, email: signer.email, role: 'signer', side: 'theirs' }] : [],
            value: dealValue(opportunity, currency),
            // The deal's expected close is the contract's proposed start; legal settles it in the CLM, whose date
            // then comes back to the Contract (the CLM owns effectiveDate in the rules).
            effectiveDate: typeof opportunity.CloseDate === 'string' ? opportunity.CloseDate : null,
            lineItems: await quoteLines(salesforce, opportunityId, currency),
            custom: this.customForCreate({
                dealStage: typeof opportunity.StageName === 'string' ? opportunity.StageName : null
            })
        };
        // What the CLM does not take is left out: the preview in the org lists the same write set.
        const sendFields = ctx.options.sendFields;
        const input = sendFields ? narrowCreate(created, sendFields) : created;
        if (!existing)
            await ctx.store.createPair(ctx.orgId, pairId, { salesforce: { opportunity: opportunityId } }, ctx.now());
        await ctx.store.commitPlan({
            orgId: ctx.orgId,
            inbox: ctx.claimOf(item),
            outbox: [
                ...sentRecords.map((record) =>
                    ctx.resultWrite(record, 'Pending', `accepted:${requestId}`, pairId, item)
                ),
                ctx.outbox('clm', 'clm.create', `create:${opportunityId}`, pairId, item.correlationId, {
                    kind: 'clm.create',
                    pairId,
                    opportunityId,
                    accountId,
                    input: asJson(input) as Record<string, unknown>,
                    ...(sent.sfObject !== 'Opportunity' ? { sentFrom: sent } : {})
                })
            ],
            now: ctx.now()
        });
    }

    /** The custom values a create carries: those the config maps, and those the adapter has a native home for. */
    private customForCreate(values: Record<string, string | null>): Record<string, string | null> {
        const allowed = this.ctx.options.clmCustomFields;
        if (!allowed) return values;
        const native = this.ctx.options.clm.capabilities().writableFields ?? [];
        return Object.fromEntries(
            Object.entries(values).filter(([name]) => allowed.includes(name) || native.includes(`custom.${name}`))
        );
    }
}

function addressOf(account: SalesforceRecord) {
    const part = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : null);
    const address = {
        street: part(account.BillingStreet),
        city: part(account.BillingCity),
        state: part(account.BillingState),
        postalCode: part(account.BillingPostalCode),
        country: part(account.BillingCountry)
    };
    return Object.values(address).some((value) => value !== null) ? address : null;
}
