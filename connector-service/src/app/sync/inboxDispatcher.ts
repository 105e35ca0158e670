/**
 * The inbox dispatcher: each claimed inbox item to the use case of its kind, then completed (by the use case's
 * commit) or handed to failures.ts.
 */
import type { InboxItem } from '../../ports/store.ts';
import { InboxPayload, parsePayload } from '../payloads.ts';
import { isOrgRequest, refusedRequest, type RequestGate } from '../requesterAccess.ts';
import { AuditRepair } from './auditRepair.ts';
import { ClmEventUseCase } from './clmEvent.ts';
import { ConflictResolution } from './conflictResolution.ts';
import { DealRequest } from './dealRequest.ts';
import type { EngineContext } from './engineContext.ts';
import type { Failures } from './failures.ts';
import { QuoteChange } from './quoteChange.ts';
import { RetryRequest } from './retryRequest.ts';
import { SalesforceChangeUseCase } from './salesforceChange.ts';

export class InboxDispatcher {
    private readonly salesforceChange: SalesforceChangeUseCase;
    private readonly quoteChange: QuoteChange;
    private readonly dealRequest: DealRequest;
    private readonly clmEvent: ClmEventUseCase;
    private readonly conflictResolution: ConflictResolution;
    private readonly retryRequest: RetryRequest;
    private readonly auditRepair: AuditRepair;

    constructor(
        private readonly ctx: EngineContext,
        private readonly failures: Failures
    ) {
        this.salesforceChange = new SalesforceChangeUseCase(ctx);
        this.quoteChange = new QuoteChange(ctx);
        this.dealRequest = new DealRequest(ctx);
        this.clmEvent = new ClmEventUseCase(ctx);
        this.conflictResolution = new ConflictResolution(ctx);
        this.retryRequest = new RetryRequest(ctx);
        this.auditRepair = new AuditRepair(ctx);
    }

    /** Handles a round's items in order, with what the round's Salesforce changes need read once for all. */
    async handleRound(items: readonly InboxItem[]): Promise<void> {
        await this.salesforceChange.prepareRound(items);
        await this.clmEvent.prepareRound(items);
        try {
            for (const item of items) await this.handle(item);
        } finally {
            this.salesforceChange.endRound();
        }
    }

    private async handle(item: InboxItem): Promise<void> {
        try {
            const payload = parsePayload(InboxPayload, item.payload, 'inbox');
            if (isOrgRequest(payload) && (await refusedRequest(this.requestGate(item), item, payload))) {
                await this.failures.afterSuccess('inbox', item);
                return;
            }
            switch (payload.kind) {
                case 'sf.change':
                    if (payload.change.sfObject === 'SBQQ__Quote__c')
                        await this.quoteChange.handle(item, payload.change.recordId);
                    else await this.salesforceChange.handle(item, payload.change, payload.pairId);
                    break;
                case 'sf.syncRequest':
                    await this.dealRequest.handle(item, payload);
                    break;
                case 'clm.event':
                    await this.clmEvent.handle(item, payload.contractId, payload.vendorEventId, payload.at);
                    break;
                case 'sf.conflictResolution':
                    await this.conflictResolution.handle(item, payload);
                    break;
                case 'sf.retryRequest':
                    await this.retryRequest.handle(item, payload);
                    break;
                case 'audit.repair':
                    await this.auditRepair.handle(item, payload);
                    break;
            }
            await this.failures.afterSuccess('inbox', item);
        } catch (error) {
            await this.failures.failItem('inbox', item, error);
        }
    }

    /** What requesterAccess.ts needs to check a request's requester and answer a refusal. */
    private requestGate(item: InboxItem): RequestGate {
        const { orgId, salesforce, log } = this.ctx.options;
        return {
            orgId,
            salesforce,
            store: this.ctx.store,
            now: this.ctx.now,
            claim: this.ctx.claimOf(item),
            ...(log ? { log } : {})
        };
    }
}
