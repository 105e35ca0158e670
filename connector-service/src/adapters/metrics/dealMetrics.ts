/**
 * How long deals take from the customer accepting the quote to the contract existing in the CLM, and to its
 * signature: two Prometheus histograms fed by the sync engine's milestones.
 *
 * When was the quote accepted? CPQ has no accepted-date field: `SBQQ__Quote__c` carries `SBQQ__Status__c`
 * (Draft … Presented, Accepted, Rejected) and `SBQQ__Primary__c`, and its date fields are the quote's own terms
 * (start, end, expiration) or CPQ's bookkeeping (`SBQQ__LastCalculatedOn__c`, `SBQQ__LastSavedOn__c`). The status
 * field is history-tracked in CPQ's object metadata (`enableHistory`, `trackHistory` on `SBQQ__Status__c`), so the
 * exact moment is the `SBQQ__Quote__History` row whose `NewValue` is Accepted. Where history is off for the object
 * (the query answers INVALID_TYPE) or holds no such row (tracking switched on later, older than the retention),
 * the quote's `LastModifiedDate` while it is Accepted is used instead: an upper bound, since any later edit moves
 * it, so those durations read short. The `accepted_from` label says which one a value came from, so dashboards can
 * leave the approximation out. No CPQ in the org, no primary quote or a primary quote not Accepted: nothing is
 * observed.
 */
import { Histogram, type Registry } from 'prom-client';
import { isConnectorError, salesforceInstantMs, select, where } from '../../domain/index.ts';
import type { SalesforcePort, SalesforceRecord } from '../../ports/salesforce.ts';
import type { Milestone } from '../../app/syncEngine.ts';
import type { Log } from '../../ports/logger.ts';
import { systemClock, type Clock } from '../../clock.ts';

type AcceptedFrom = 'field_history' | 'last_modified';

interface AcceptedQuote {
    at: number;
    from: AcceptedFrom;
}

export interface DealMetricsOptions {
    registry: Registry;
    salesforce: SalesforcePort;
    log?: Log;
    /** The connector's clock (the one the store, the engine and the leases use). */
    clock?: Clock;
}

/** Minutes to weeks: a deal's paperwork takes from an hour to a quarter. */
const DEAL_BUCKETS_SECONDS = [
    60,
    300,
    900,
    1800,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86_400,
    2 * 86_400,
    3 * 86_400,
    7 * 86_400,
    14 * 86_400,
    28 * 86_400,
    56 * 86_400,
    90 * 86_400
];
/** Deals remembered (accepted time, milestones observed) so a retried or repeated milestone reads nothing again. */
const REMEMBERED_DEALS = 10_000;
/** Without a history object the org is asked again after this long (an admin may switch history on). */
const HISTORY_RECHECK_MS = 3_600_000;

const instant = salesforceInstantMs;

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
    map.set(key, value);
    if (map.size > REMEMBERED_DEALS) map.delete(map.keys().next().value as K);
}

export class DealMetrics {
    private readonly histograms: Record<Milestone['kind'], Histogram<'accepted_from'>>;
    private readonly accepted = new Map<string, AcceptedQuote>();
    private readonly observed = new Map<string, true>();
    private readonly pending = new Set<Promise<void>>();
    private historyUnavailableUntil = 0;
    private readonly now: () => number;

    constructor(private readonly options: DealMetricsOptions) {
        const clock = options.clock ?? systemClock;
        this.now = () => clock.now();
        const histogram = (name: string, help: string) =>
            new Histogram({
                name,
                help,
                labelNames: ['accepted_from'],
                buckets: DEAL_BUCKETS_SECONDS,
                registers: [options.registry]
            });
        this.histograms = {
            contractCreated: histogram(
                'clm_connector_quote_to_contract_seconds',
                "Time from the deal's primary CPQ quote being accepted to its contract being created in the CLM " +
                    '(accepted_from: field_history is exact, last_modified an upper bound on the acceptance)'
            ),
            signed: histogram(
                'clm_connector_quote_to_signature_seconds',
                "Time from the deal's primary CPQ quote being accepted to its contract being signed " +
                    '(accepted_from: field_history is exact, last_modified an upper bound on the acceptance)'
            )
        };
    }

    /** The engine's hook: reads in the background and never throws into the engine. */
    onMilestone(milestone: Milestone): void {
        const key = `${milestone.kind}:${milestone.pairId}`;
        // A milestone repeated (a retried create) is measured once; taken now, before the read, so a repeat
        // arriving during the read does not read again.
        if (!milestone.opportunityId || this.observed.has(key)) return;
        remember(this.observed, key, true);
        const work = this.observe(milestone, milestone.opportunityId).catch((error: unknown) => {
            this.observed.delete(key); // a read that failed may be tried again by a repeated milestone
            this.options.log?.('warn', 'deal milestone not measured', {
                code: isConnectorError(error) ? error.code : 'METRICS.DEAL_READ_FAILED',
                reason: error instanceof Error ? error.message.slice(0, 300) : String(error),
                kind: milestone.kind,
                pairId: milestone.pairId,
                correlationId: milestone.correlationId
            });
        });
        this.pending.add(work);
        void work.finally(() => this.pending.delete(work));
    }

    /** Resolves when every milestone received so far is measured (tests, shutdown). */
    async settled(): Promise<void> {
        while (this.pending.size > 0) await Promise.all([...this.pending]);
    }

    private async observe(milestone: Milestone, opportunityId: string): Promise<void> {
        const accepted = this.accepted.get(opportunityId) ?? (await this.acceptedQuote(opportunityId));
        if (!accepted) return;
        // The signature reuses the time read at creation: a later read of LastModifiedDate may have moved on.
        remember(this.accepted, opportunityId, accepted);
        const seconds = (milestone.at - accepted.at) / 1000;
        if (seconds < 0) {
            this.options.log?.('info', 'quote accepted after the milestone; not measured', {
                kind: milestone.kind,
                pairId: milestone.pairId,
                acceptedFrom: accepted.from,
                correlationId: milestone.correlationId
            });
            return;
        }
        this.histograms[milestone.kind].observe({ accepted_from: accepted.from }, seconds);
    }

    /** When the deal's primary quote was accepted, or null (no CPQ, no primary quote, not accepted). */
    private async acceptedQuote(opportunityId: string): Promise<AcceptedQuote | null> {
        let quote: SalesforceRecord | undefined;
        try {
            [quote] = await this.options.salesforce.query(
                select(['Id', 'SBQQ__Status__c', 'LastModifiedDate'], 'SBQQ__Quote__c', {
                    where: where.and(
                        where.idIn('SBQQ__Opportunity2__c', [opportunityId], 'Opportunity'),
                        where.eq('SBQQ__Primary__c', true)
                    ),
                    limit: 1
                })
            );
        } catch (error) {
            if (isConnectorError(error, 'SF.INVALID_TYPE')) return null; // no CPQ in this org
            throw error;
        }
        if (!quote?.Id || quote.SBQQ__Status__c !== 'Accepted') return null;
        const fromHistory = await this.acceptedFromHistory(quote.Id);
        if (fromHistory !== null) return { at: fromHistory, from: 'field_history' };
        const lastModified = instant(quote.LastModifiedDate);
        return lastModified === null ? null : { at: lastModified, from: 'last_modified' };
    }

    /** The latest status change to Accepted in the quote's field history, or null when history cannot say. */
    private async acceptedFromHistory(quoteId: string): Promise<number | null> {
        if (this.now() < this.historyUnavailableUntil) return null;
        try {
            // NewValue cannot be filtered in SOQL: the latest status change is read and checked here.
            const [change] = await this.options.salesforce.query(
                select(['NewValue', 'CreatedDate'], 'SBQQ__Quote__History', {
                    where: where.and(where.idIn('ParentId', [quoteId]), where.eq('Field', 'SBQQ__Status__c')),
                    orderBy: [{ field: 'CreatedDate', direction: 'DESC' }],
                    limit: 1
                })
            );
            return change?.NewValue === 'Accepted' ? instant(change.CreatedDate) : null;
        } catch (error) {
            if (!isConnectorError(error, 'SF.INVALID_TYPE')) throw error;
            this.historyUnavailableUntil = this.now() + HISTORY_RECHECK_MS;
            return null;
        }
    }
}
