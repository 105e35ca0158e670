/**
 * `sf.change`: a Salesforce record changed (CDC, or the SystemModstamp reconcile). A linked deal's change is
 * completed with the fields its rules need (one read per object for the whole round) and planned; an Account or
 * Contact change is fanned out, one item per linked deal of the account. A CPQ quote's goes to quoteChange.ts.
 */
import {
    isConnectorError,
    isOwnOrigin,
    ownEchoFields,
    planChange,
    select,
    where,
    type SalesforceChange
} from '../../domain/index.ts';
import type { SalesforceRecord } from '../../ports/salesforce.ts';
import type { InboxInput, InboxItem } from '../../ports/store.ts';
import { asJson, InboxPayload } from '../payloads.ts';
import type { EngineContext } from './engineContext.ts';
import { commitPlan } from './planCommit.ts';

/** Linked deals of the accounts an Account or Contact change of a round concerns. */
interface LinkedDeals {
    accountOf: Map<string, string | null>;
    dealsOf: Map<string, string[]>;
}

export class SalesforceChangeUseCase {
    constructor(private readonly ctx: EngineContext) {}

    /** Records read for this round's changes, by `<object>:<id>`. */
    private enrichment = new Map<string, SalesforceRecord>();

    /** What this round's own echoes lack, from the writes of ours they carry (no read), by inbox item id. */
    private echoFields = new Map<number, Record<string, unknown>>();

    /** Linked deals of the accounts an Account or Contact change of this round concerns, read once for the round. */
    private linkedDeals: LinkedDeals = { accountOf: new Map(), dealsOf: new Map() };

    /** Reads once what this round's changes need (enrichment and fan-out), before its items are handled. */
    async prepareRound(items: readonly InboxItem[]): Promise<void> {
        this.enrichment = await this.readForEnrichment(items);
        this.linkedDeals = await this.readForFanOut(items);
    }

    endRound(): void {
        this.enrichment = new Map();
        this.echoFields = new Map();
        this.linkedDeals = { accountOf: new Map(), dealsOf: new Map() };
    }

    async handle(item: InboxItem, change: SalesforceChange, pairId?: string): Promise<void> {
        const { ctx } = this;
        const pair = await ctx.store.findPair(ctx.orgId, pairId ? { pairId } : { salesforceId: change.recordId });
        if (!pair) {
            if (!pairId && (change.sfObject === 'Account' || change.sfObject === 'Contact'))
                return this.fanOut(item, change);
            return ctx.complete(item);
        }
        const echo =
            this.echoFields.get(item.id) ?? ownEchoFields(change, pair.state, ctx.options.rules, ctx.options.context);
        const enriched = echo ? { ...change, values: { ...change.values, ...echo } } : await this.enrich(change);
        const plan = planChange(enriched, pair.state, ctx.options.rules, ctx.options.context);
        await commitPlan(ctx, ctx.fromInbox(item), pair, plan, []);
    }

    /**
     * An Account or Contact belongs to no single pair: its change is queued once for each linked deal of the
     * account (in one transaction with completing this item), each then planned against that deal's state.
     */
    private async fanOut(item: InboxItem, change: SalesforceChange): Promise<void> {
        const { ctx } = this;
        let accountId: string | null = change.recordId;
        if (change.sfObject === 'Contact') {
            accountId = this.linkedDeals.accountOf.has(change.recordId)
                ? this.linkedDeals.accountOf.get(change.recordId)!
                : await this.accountsOf([change.recordId]).then((map) => map.get(change.recordId) ?? null);
        }
        const deals = !accountId
            ? []
            : (
                  this.linkedDeals.dealsOf.get(accountId) ??
                  (await this.linkedDealsOf([accountId])).get(accountId) ??
                  []
              ).map((Id) => ({ Id }));
        const items: InboxInput[] = [];
        for (const deal of deals) {
            const pair = await ctx.store.findPair(ctx.orgId, { salesforceId: String(deal.Id) });
            if (!pair) continue;
            items.push({
                source: `${item.source}:fanout`,
                eventId: `${item.eventId}:${pair.pairId}`,
                orderingKey: pair.pairId,
                objectType: change.sfObject,
                payload: asJson({ kind: 'sf.change', change, pairId: pair.pairId }),
                correlationId: item.correlationId
            });
        }
        if (items.length > 0) await ctx.store.appendInbox(ctx.orgId, items);
        await ctx.complete(item);
    }

    /** The fields the touched rules need but the change event did not carry (CDC sends changed fields only). */
    private fieldsToRead(change: SalesforceChange): Set<string> {
        const changed = new Set(change.changedFields ?? Object.keys(change.values));
        const needed = new Set<string>();
        for (const rule of this.ctx.options.rules.rules) {
            if (rule.sfObject !== change.sfObject || !rule.sourceFields.some((field) => changed.has(field))) continue;
            rule.sourceFields.filter((field) => !(field in change.values)).forEach((field) => needed.add(field));
        }
        return needed;
    }

    /**
     * One read per object for every change claimed in this round (up to 2,000 ids a call), instead of one per
     * change. A change whose item turns out not to need it (no pair) costs nothing extra.
     */
    private async readForEnrichment(items: readonly InboxItem[]): Promise<Map<string, SalesforceRecord>> {
        const wanted = new Map<string, { fields: Set<string>; ids: Set<string> }>();
        for (const item of items) {
            const parsed = InboxPayload.safeParse(item.payload);
            if (!parsed.success || parsed.data.kind !== 'sf.change') continue;
            const change = parsed.data.change;
            const fields = this.fieldsToRead(change);
            if (fields.size === 0 || (await this.completedAsOwnEcho(item.id, change, parsed.data.pairId))) continue;
            const entry = wanted.get(change.sfObject) ?? { fields: new Set(), ids: new Set() };
            fields.forEach((field) => entry.fields.add(field));
            entry.ids.add(change.recordId);
            wanted.set(change.sfObject, entry);
        }
        const records = new Map<string, SalesforceRecord>();
        for (const [sfObject, { fields, ids }] of wanted) {
            try {
                const rows = await this.ctx.options.salesforce.readByIds(sfObject, [...fields], [...ids]);
                for (const row of rows) records.set(`${sfObject}:${String(row.Id)}`, row);
            } catch (error) {
                // Each change reads for itself then, and fails (and retries) on its own.
                this.ctx.options.log?.('warn', 'batched enrichment read failed', {
                    object: sfObject,
                    code: isConnectorError(error) ? error.code : 'PIPELINE.UNEXPECTED'
                });
            }
        }
        return records;
    }

    /** An echo of our own write needs no read: what it lacks is what that write set (domain/echoes.ts). */
    private async completedAsOwnEcho(itemId: number, change: SalesforceChange, pairId?: string): Promise<boolean> {
        const { ctx } = this;
        if (!isOwnOrigin(change, ctx.options.context)) return false;
        const pair = await ctx.store.findPair(ctx.orgId, pairId ? { pairId } : { salesforceId: change.recordId });
        const fields = pair && ownEchoFields(change, pair.state, ctx.options.rules, ctx.options.context);
        if (fields) this.echoFields.set(itemId, fields);
        return fields !== null && fields !== undefined;
    }

    private async readForFanOut(items: readonly InboxItem[]): Promise<LinkedDeals> {
        const accounts = new Set<string>();
        const contacts = new Set<string>();
        for (const item of items) {
            const parsed = InboxPayload.safeParse(item.payload);
            if (!parsed.success || parsed.data.kind !== 'sf.change' || parsed.data.pairId) continue;
            const { sfObject, recordId } = parsed.data.change;
            if (sfObject === 'Account') accounts.add(recordId);
            if (sfObject === 'Contact') contacts.add(recordId);
        }
        try {
            const accountOf =
                contacts.size > 0 ? await this.accountsOf([...contacts]) : new Map<string, string | null>();
            for (const accountId of accountOf.values()) if (accountId) accounts.add(accountId);
            const dealsOf = accounts.size > 0 ? await this.linkedDealsOf([...accounts]) : new Map<string, string[]>();
            return { accountOf, dealsOf };
        } catch (error) {
            // Each change reads for itself then, and fails (and retries) on its own.
            this.ctx.options.log?.('warn', 'batched fan-out read failed', {
                code: isConnectorError(error) ? error.code : 'PIPELINE.UNEXPECTED'
            });
            return { accountOf: new Map(), dealsOf: new Map() };
        }
    }

    private async accountsOf(contactIds: readonly string[]): Promise<Map<string, string | null>> {
        const rows = await this.ctx.options.salesforce.readByIds('Contact', ['AccountId'], contactIds);
        const accountOf = new Map<string, string | null>(contactIds.map((id) => [id, null]));
        for (const row of rows) accountOf.set(String(row.Id), typeof row.AccountId === 'string' ? row.AccountId : null);
        return accountOf;
    }

    /** The deals linked to a CLM contract, per account: one query for every account given. */
    private async linkedDealsOf(accountIds: readonly string[]): Promise<Map<string, string[]>> {
        const rows = await this.ctx.options.salesforce.query(
            select(['Id', 'AccountId'], 'Opportunity', {
                where: where.and(where.idIn('AccountId', accountIds, 'Account'), where.ne('CLM_Contract_Id__c', null))
            })
        );
        const dealsOf = new Map<string, string[]>(accountIds.map((id) => [id, []]));
        for (const row of rows) dealsOf.get(String(row.AccountId))?.push(String(row.Id));
        return dealsOf;
    }

    private async enrich(change: SalesforceChange): Promise<SalesforceChange> {
        const needed = this.fieldsToRead(change);
        if (needed.size === 0) return change;
        const prefetched = this.enrichment.get(`${change.sfObject}:${change.recordId}`);
        const [record] =
            prefetched && [...needed].every((field) => field in prefetched)
                ? [prefetched]
                : await this.ctx.options.salesforce.readByIds(change.sfObject, [...needed], [change.recordId]);
        if (!record) return change;
        const values = { ...change.values };
        for (const field of needed) values[field] = record[field] ?? null;
        return { ...change, values };
    }
}
