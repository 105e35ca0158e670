/**
 * The outbox dispatcher: claimed Salesforce writes go out together in Composite batches (status events among them),
 * each CLM operation through the port (clmCreate.ts, clmUpdate.ts, line items, signed documents); each item is
 * completed, or handed to failures.ts.
 */
import { ConnectorError, sameSalesforceValue, select, where, withoutSupersededFields } from '../../domain/index.ts';
import type { RecordWrite } from '../../ports/salesforce.ts';
import type { OutboxItem } from '../../ports/store.ts';
import { OutboxPayload, parsePayload } from '../payloads.ts';
import { createInClm } from './clmCreate.ts';
import { updateInClm } from './clmUpdate.ts';
import type { EngineContext } from './engineContext.ts';
import type { Failures } from './failures.ts';

type SalesforceWrite = Extract<OutboxPayload, { kind: 'sf.write' }>;

export class OutboxDispatcher {
    constructor(
        private readonly ctx: EngineContext,
        private readonly failures: Failures
    ) {}

    /** Salesforce writes (status events are published by inserting them) are the ones batched. */
    static toSalesforce(item: OutboxItem): boolean {
        return item.operation === 'sf.write' || item.operation === 'sf.publishStatus';
    }

    /**
     * All claimed Salesforce writes go out together, status events among them (a platform event is published by
     * inserting it): Composite batches them up to 5×200 records per call.
     */
    async dispatchSalesforceWrites(items: OutboxItem[]): Promise<void> {
        const parsed: { item: OutboxItem; payload: SalesforceWrite }[] = [];
        for (const item of items) {
            try {
                const payload = parsePayload(OutboxPayload, item.payload, 'outbox');
                if (payload.kind === 'sf.publishStatus')
                    parsed.push({
                        item,
                        payload: { kind: 'sf.write', sfObject: 'Clm_Sync_Status__e', fields: payload.fields }
                    });
                else if (payload.kind === 'sf.write') parsed.push({ item, payload });
                else
                    throw new ConnectorError('PIPELINE.INVALID_OUTBOX_PAYLOAD', 'not a Salesforce write', {
                        retryable: false
                    });
            } catch (error) {
                await this.failures.failItem('outbox', item, error);
            }
        }
        if (parsed.length === 0) return;
        await this.withoutSuperseded(parsed);
        const landed = await this.alreadyApplied(parsed);
        for (const entry of parsed.filter((candidate) => landed.has(candidate.item.id))) {
            await this.completeSalesforceWrite(entry.item, entry.payload, entry.payload.id ?? null);
        }
        parsed.splice(0, parsed.length, ...parsed.filter((candidate) => !landed.has(candidate.item.id)));
        if (parsed.length === 0) return;
        const writes: RecordWrite[] = parsed.map(({ item, payload }) => ({
            ref: String(item.id),
            sfObject: payload.sfObject,
            id: payload.id,
            externalId: payload.externalId,
            fields: payload.fields
        }));
        let results;
        try {
            results = await this.ctx.options.salesforce.write(writes);
        } catch (error) {
            for (const { item } of parsed) await this.failures.failItem('outbox', item, error);
            return;
        }
        const byRef = new Map(results.map((result) => [result.ref, result]));
        for (const { item, payload } of parsed) {
            const result = byRef.get(String(item.id));
            if (result?.success) {
                await this.completeSalesforceWrite(item, payload, result.id ?? null);
            } else {
                await this.failures.failItem(
                    'outbox',
                    item,
                    result?.error ?? new ConnectorError('SF.NO_RESULT', 'no result for the write', { ref: item.id })
                );
            }
        }
    }

    private async completeSalesforceWrite(
        item: OutboxItem,
        payload: SalesforceWrite,
        recordId: string | null
    ): Promise<void> {
        const { ctx } = this;
        if (payload.linkAs && payload.pairId && recordId) {
            await ctx.store.linkPair(
                ctx.orgId,
                payload.pairId,
                { salesforce: { [payload.linkAs]: recordId } },
                ctx.now()
            );
        }
        await ctx.store.complete('outbox', ctx.orgId, ctx.claimOf(item), ctx.now());
        await this.failures.afterSuccess('outbox', item);
    }

    /**
     * A write claimed again after an attempt that may have reached Salesforce (the process died before it recorded
     * the outcome, or the answer was lost) is read back first: when the record already holds every value of the
     * write, it landed, and sending it again would apply it twice. One query per object for the whole batch.
     */
    /** Leaves out of each record write the values its pair has since decided against (domain/supersededWrites.ts). */
    private async withoutSuperseded(parsed: { item: OutboxItem; payload: SalesforceWrite }[]): Promise<void> {
        for (const entry of parsed) {
            if (!entry.payload.id) continue;
            let fields = entry.payload.fields;
            await this.ctx.updatePairState(entry.item.orderingKey, (state) => {
                const result = withoutSupersededFields(
                    state,
                    this.ctx.options.rules,
                    entry.payload.sfObject,
                    entry.payload.fields,
                    this.ctx.options.context.transform
                );
                fields = result.fields;
                return result.state === state ? null : result.state;
            });
            entry.payload = { ...entry.payload, fields };
        }
    }

    private async alreadyApplied(
        parsed: readonly { item: OutboxItem; payload: SalesforceWrite }[]
    ): Promise<Set<number>> {
        const landed = new Set<number>();
        const retried = parsed.filter(({ item, payload }) => item.attempts > 1 && payload.id);
        const byObject = new Map<string, typeof retried>();
        for (const entry of retried)
            byObject.set(entry.payload.sfObject, [...(byObject.get(entry.payload.sfObject) ?? []), entry]);
        for (const [sfObject, entries] of byObject) {
            const fields = [...new Set(entries.flatMap(({ payload }) => Object.keys(payload.fields)))];
            const records = await this.ctx.options.salesforce.readByIds(
                sfObject,
                fields,
                entries.map(({ payload }) => payload.id!)
            );
            const byId = new Map(records.map((record) => [String(record.Id), record]));
            for (const { item, payload } of entries) {
                const current = byId.get(payload.id!);
                if (
                    current &&
                    Object.entries(payload.fields).every(([field, value]) => sameSalesforceValue(value, current[field]))
                )
                    landed.add(item.id);
            }
        }
        return landed;
    }

    /** One CLM operation from the outbox. */
    async dispatchOne(item: OutboxItem): Promise<void> {
        const { ctx } = this;
        try {
            const payload = parsePayload(OutboxPayload, item.payload, 'outbox');
            switch (payload.kind) {
                case 'clm.create':
                    await createInClm(ctx, item, payload);
                    break;
                case 'clm.update':
                    await updateInClm(ctx, item, payload);
                    break;
                case 'clm.replaceLineItems':
                    // Outside the states the CLM takes line items in (Ironclad: Review), this fails retryably: held
                    // and retried, then reported as a sync error if it never becomes writable.
                    await ctx.options.clm.replaceLineItems(payload.contractId, payload.lineItems);
                    break;
                case 'clm.attachSigned': {
                    const document = await ctx.options.clm.downloadDocument(payload.contractId, payload.documentId);
                    const file = {
                        title: document.name.replace(/\.[^.]+$/, ''),
                        fileName: document.name,
                        bytes: document.bytes
                    };
                    // An attempt that may have attached it already (the process died before recording the outcome)
                    // looks first: the signed PDF is on the Opportunity once.
                    if (item.attempts > 1 && (await this.fileAttached(payload.recordId, file))) break;
                    await ctx.options.salesforce.attachFile(payload.recordId, file);
                    break;
                }
                case 'sf.write':
                case 'sf.publishStatus':
                    throw new ConnectorError(
                        'PIPELINE.INVALID_OUTBOX_PAYLOAD',
                        'Salesforce writes are dispatched in batches',
                        { retryable: false }
                    );
            }
            await ctx.store.complete('outbox', ctx.orgId, ctx.claimOf(item), ctx.now());
            await this.failures.afterSuccess('outbox', item);
        } catch (error) {
            await this.failures.failItem('outbox', item, error);
        }
    }

    private async fileAttached(recordId: string, file: { title: string; fileName: string }): Promise<boolean> {
        const rows = await this.ctx.options.salesforce.query(
            select(['Id'], 'ContentVersion', {
                where: where.and(
                    where.eq('FirstPublishLocationId', recordId),
                    where.eq('PathOnClient', file.fileName),
                    where.eq('Title', file.title)
                ),
                limit: 1
            })
        );
        return rows.length > 0;
    }
}
