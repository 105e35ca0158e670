/**
 * Rounds of work: claims due inbox items for the inbox dispatcher and due outbox items for the outbox dispatcher;
 * takes no work while the org's API allocation is nearly spent, and smaller rounds while it runs low.
 */
import type { OutboxItem } from '../../ports/store.ts';
import type { EngineContext } from './engineContext.ts';
import type { InboxDispatcher } from './inboxDispatcher.ts';
import { OutboxDispatcher } from './outboxDispatcher.ts';

export class RoundRunner {
    private paused = false;
    private budgetCheckedAt = 0;

    constructor(
        private readonly ctx: EngineContext,
        private readonly inbox: InboxDispatcher,
        private readonly outbox: OutboxDispatcher
    ) {}

    /** True while work is paused to spare the org's API allocation. */
    isPaused(): boolean {
        return this.paused;
    }

    /**
     * True while the org's daily API usage is past the slow-down share: rounds are small and the work loop waits
     * between them, so the allocation lasts (the pause comes later, at `pauseAtShare`).
     */
    isSlowed(): boolean {
        const limit = this.ctx.options.apiBudget;
        const budget = this.ctx.options.salesforce.apiBudget();
        if (!limit?.slowAtShare || !budget || budget.max === 0) return false;
        return budget.used / budget.max >= limit.slowAtShare;
    }

    /** Items per round: fewer while slowed. */
    private roundSize(limit: number): number {
        return this.isSlowed() ? Math.min(limit, this.ctx.options.apiBudget?.slowBatch ?? 5) : limit;
    }

    private async budgetAllowsWork(): Promise<boolean> {
        const { ctx } = this;
        const limit = ctx.options.apiBudget;
        if (!limit) return true;
        const underLimit = (budget: { used: number; max: number } | undefined) =>
            !budget || budget.max === 0 || budget.used / budget.max < limit.pauseAtShare;
        if (underLimit(ctx.options.salesforce.apiBudget())) return this.setPaused(false);
        // While paused nothing else calls Salesforce, so the figure only moves when we read it again.
        if (ctx.now() - this.budgetCheckedAt >= limit.recheckMs) {
            this.budgetCheckedAt = ctx.now();
            if (underLimit(await ctx.options.salesforce.refreshApiBudget())) return this.setPaused(false);
        }
        this.setPaused(true);
        return false;
    }

    private setPaused(paused: boolean): boolean {
        if (paused !== this.paused)
            this.ctx.options.log?.(
                paused ? 'warn' : 'info',
                paused ? 'paused: the org API allocation is nearly spent' : 'resumed',
                { budget: this.ctx.options.salesforce.apiBudget() }
            );
        this.paused = paused;
        return !paused;
    }

    /** Processes up to `limit` due inbox items; returns how many it claimed. */
    async processInbox(limit = 50): Promise<number> {
        const { ctx } = this;
        if (!(await this.budgetAllowsWork())) return 0;
        const items = await ctx.store.claimInbox(ctx.orgId, ctx.worker, this.roundSize(limit), ctx.now());
        await this.inbox.handleRound(items);
        return items.length;
    }

    /** Dispatches up to `limit` due outbox items; returns how many it claimed. */
    async dispatchOutbox(limit = 1000): Promise<number> {
        const { ctx } = this;
        if (!(await this.budgetAllowsWork())) return 0;
        // Outbox rounds stay whole while slowed: batched writes are the cheap ones.
        const items = await ctx.store.claimOutbox(ctx.orgId, ctx.worker, limit, ctx.now());
        const sfWrites = items.filter(OutboxDispatcher.toSalesforce);
        if (sfWrites.length > 0) await this.outbox.dispatchSalesforceWrites(sfWrites);
        for (const item of items.filter((candidate: OutboxItem) => !OutboxDispatcher.toSalesforce(candidate)))
            await this.outbox.dispatchOne(item);
        return items.length;
    }

    /** Alternates processing and dispatching until nothing is due (bounded). */
    async runUntilIdle(maxRounds = 100): Promise<void> {
        for (let round = 0; round < maxRounds; round += 1) {
            const moved = (await this.processInbox()) + (await this.dispatchOutbox());
            if (moved === 0) return;
        }
    }
}
