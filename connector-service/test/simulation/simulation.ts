// A deterministic simulation of the sync engine: the real engine, planner, store (SQLite :memory:) and CLM poller,
// on virtual time (ManualClock), against in-memory ports — the memory CLM and a simulated org (simSalesforce.ts) —
// with one seeded scheduler choosing every step: a person's edit on either side, a change event or webhook
// delivered (late, out of order across channels, twice, or never: the poller then finds the change), an engine
// round, a poll, a fault armed (REQUEST_LIMIT_EXCEEDED, UNABLE_TO_LOCK_ROW, a 429 or 5xx from the CLM, an answer
// lost after the write landed), or a crash (the engine dies inside a call, its claims expire, a new one takes
// over). Then faults and edits stop, everything due is delivered, and the history (chaos/history.ts) is judged,
// convergence included: both sides must agree (or hold a conflict) within 60 virtual seconds of the last fault.
// The same seed replays the same run exactly: no step reads real time or unseeded randomness.
import { MemoryClm } from '../../src/adapters/clm/memory/memoryClm.ts';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import type { DecodedEvent } from '../../src/adapters/salesforce/pubsub/changeEvents.ts';
import { cdcInboxItems } from '../../src/adapters/salesforce/pubsub/cdcInboxItems.ts';
import { ClmPoller } from '../../src/app/clmPoller.ts';
import { SyncEngine } from '../../src/app/syncEngine.ts';
import { ManualClock } from '../../src/clock.ts';
import { loadRuleSet, type FieldRuleInput, type PlanContext } from '../../src/domain/index.ts';
import type { ClmContract } from '../../src/domain/clm.ts';
import { clmError, type ClmPort, type ContractPatch } from '../../src/ports/clm.ts';
import type { StorePort } from '../../src/ports/store.ts';
import { History, type FieldSpec, type Verdict } from '../chaos/history.ts';
import { seeded } from '../chaos/seeded.ts';
import { SimSalesforce } from './simSalesforce.ts';

const ORG = '00D000000000001AAA';
const CLIENT_ID = 'clm-connector';
const START = Date.parse('2027-02-01T09:00:00.000Z');
/** The bound the history must converge within after the last fault (virtual time). */
export const CONVERGE_BOUND_MS = 60_000;

interface SimField extends FieldSpec {
    sfObject: 'Contract' | 'Opportunity';
    sfField: string;
    clmField: string;
    /** Sides people edit. */
    editedOn: readonly ('salesforce' | 'clm')[];
}

export const SIM_FIELDS: readonly SimField[] = [
    {
        rule: 'Sim_Title',
        direction: 'SalesforceToClm',
        sfObject: 'Opportunity',
        sfField: 'Name',
        clmField: 'title',
        editedOn: ['salesforce']
    },
    {
        rule: 'Sim_End_Date',
        direction: 'ClmToSalesforce',
        sfObject: 'Contract',
        sfField: 'CLM_Expiration_Date__c',
        clmField: 'expirationDate',
        editedOn: ['clm']
    },
    {
        rule: 'Sim_Special_Terms',
        direction: 'Bidirectional',
        policy: 'Manual',
        sfObject: 'Contract',
        sfField: 'SpecialTerms',
        clmField: 'custom.specialTerms',
        editedOn: ['salesforce', 'clm']
    },
    {
        rule: 'Sim_Payment_Terms',
        direction: 'Bidirectional',
        policy: 'NewestWins',
        sfObject: 'Contract',
        sfField: 'Description',
        clmField: 'custom.paymentTerms',
        editedOn: ['salesforce', 'clm']
    },
    {
        rule: 'Sim_Next_Step',
        direction: 'Bidirectional',
        policy: 'SalesforceWins',
        sfObject: 'Opportunity',
        sfField: 'NextStep',
        clmField: 'custom.nextStep',
        editedOn: ['salesforce', 'clm']
    },
    {
        rule: 'Sim_Deal_Notes',
        direction: 'Bidirectional',
        policy: 'ClmWins',
        sfObject: 'Opportunity',
        sfField: 'Description',
        clmField: 'custom.dealNotes',
        editedOn: ['salesforce', 'clm']
    }
];

const ruleInputs = (fields: readonly SimField[]): FieldRuleInput[] =>
    fields.map((field) => ({
        name: field.rule,
        sfObject: field.sfObject,
        sfField: field.sfField,
        clmField: field.clmField,
        direction: field.direction,
        ...(field.policy ? { conflictPolicy: field.policy } : {}),
        description: `simulation: ${field.policy ?? field.direction}`
    }));

export interface SimulationOptions {
    /** Scheduler steps with edits and faults (then the quiet drain). */
    steps?: number;
    deals?: number;
    /** The rules in play (default: all six, one per direction and policy). */
    rules?: readonly string[];
    /**
     * Deliberate breaks, to prove the checker sees them: `echo` gives the engine another client id than the one its
     * writes carry, so it no longer knows its own Salesforce writes when their change events come back.
     */
    break?: 'echo';
}

export interface SimulationResult {
    seed: number;
    verdict: Verdict;
    /** Virtual seconds from the last fault to both sides agreeing (null: never within the drain). */
    convergeSeconds: number | null;
    /** What happened, step by step (for a failing seed). */
    trace: string[];
}

type CrashState = { armed: boolean };
const never = new Promise<never>(() => undefined);

/**
 * The CLM port over the memory CLM with the simulation's faults and the CLM's own record of every change: each
 * write that changed a field is reported to the history and becomes a webhook the simulation may deliver.
 */
class SimClm implements ClmPort {
    readonly vendor = 'memory' as const;
    readonly faults: ('rateLimited' | 'unavailable' | 'lostResponse')[] = [];

    constructor(
        private readonly inner: MemoryClm,
        private readonly crash: CrashState,
        private readonly changed: (
            before: ClmContract,
            after: ClmContract,
            byConnector: boolean,
            patch: ContractPatch
        ) => void
    ) {}

    capabilities() {
        return this.inner.capabilities();
    }
    describeTemplate() {
        return this.inner.describeTemplate();
    }
    findByExternalRef(ref: Parameters<ClmPort['findByExternalRef']>[0]) {
        return this.inner.findByExternalRef(ref);
    }
    createContract(input: Parameters<ClmPort['createContract']>[0]) {
        return this.inner.createContract(input);
    }
    getContract(id: string) {
        return this.inner.getContract(id);
    }

    async updateContract(id: string, patch: ContractPatch, opts?: { ifVersion?: string }): Promise<ClmContract> {
        const fault = this.faults.shift();
        if (fault === 'rateLimited')
            throw clmError('CLM.RATE_LIMITED', 'too many requests', { retryAfterMs: 1000, retryable: true });
        if (fault === 'unavailable') throw clmError('CLM.TRANSIENT', '503 Service Unavailable', { retryable: true });
        const updated = await this.person(id, patch, opts, true);
        if (this.crash.armed) {
            this.crash.armed = false;
            return never;
        }
        if (fault === 'lostResponse') throw clmError('CLM.TRANSIENT', 'the connection closed before the answer');
        return updated;
    }

    /** A write as someone makes it (`byConnector` false: a person in the CLM's UI). */
    async person(id: string, patch: ContractPatch, opts: { ifVersion?: string } | undefined, byConnector = false) {
        const before = await this.inner.getContract(id);
        const after = await this.inner.updateContract(id, patch, opts);
        this.changed(before, after, byConnector, patch);
        return after;
    }

    transition(id: string, action: Parameters<ClmPort['transition']>[1]) {
        return this.inner.transition(id, action);
    }
    listLineItems(id: string) {
        return this.inner.listLineItems(id);
    }
    replaceLineItems(id: string, items: Parameters<ClmPort['replaceLineItems']>[1]) {
        return this.inner.replaceLineItems(id, items);
    }
    listParties(id: string) {
        return this.inner.listParties(id);
    }
    listDocuments(id: string) {
        return this.inner.listDocuments(id);
    }
    downloadDocument(id: string, documentId: string) {
        return this.inner.downloadDocument(id, documentId);
    }
    uploadDocument(id: string, file: Parameters<ClmPort['uploadDocument']>[1]) {
        return this.inner.uploadDocument(id, file);
    }
    listChanges(cursor: string | null, limit: number) {
        return this.inner.listChanges(cursor, limit);
    }
    verifyWebhook(req: Parameters<ClmPort['verifyWebhook']>[0]) {
        return this.inner.verifyWebhook(req);
    }
    parseWebhook(req: Parameters<ClmPort['parseWebhook']>[0]) {
        return this.inner.parseWebhook(req);
    }
    ensureWebhookSubscription(targetUrl: string) {
        return this.inner.ensureWebhookSubscription(targetUrl);
    }
}

function clmValue(contract: ClmContract, field: SimField): string | null {
    const raw = field.clmField.startsWith('custom.')
        ? contract.custom[field.clmField.slice('custom.'.length)]
        : (contract as unknown as Record<string, unknown>)[field.clmField];
    return raw === null || raw === undefined ? null : String(raw);
}

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

export async function simulate(seed: number, options: SimulationOptions = {}): Promise<SimulationResult> {
    const random = seeded(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const clock = new ManualClock(START);
    const trace: string[] = [];
    const note = (line: string) => trace.push(`${new Date(clock.now()).toISOString().slice(11, 23)} ${line}`);
    const inPlay = options.rules ? SIM_FIELDS.filter((field) => options.rules!.includes(field.rule)) : SIM_FIELDS;
    const history = new History(inPlay);
    const crash: CrashState = { armed: false };
    const dealCount = options.deals ?? 2;
    /** Writes before the deals' baseline was taken in are the link itself (values both sides already hold). */
    let afterBaseline = false;

    const store: StorePort = await openSqliteStore({ file: ':memory:', clock, maxAttempts: 100 });
    const deals: { index: number; opportunityId: string; contractId: string; clmId: string; pairId: string }[] = [];
    const dealOfRecord = (id: string) => deals.find((deal) => deal.opportunityId === id || deal.contractId === id);

    const salesforce = new SimSalesforce(clock, CLIENT_ID, (change) => {
        if (change.sobject === 'Clm_Conflict__c' && change.created) {
            const record = salesforce.get(change.id)!;
            const deal = dealOfRecord(String(record.Record_Id__c ?? ''));
            const text = (value: unknown) => {
                if (value === null || value === undefined) return null;
                try {
                    const parsed: unknown = JSON.parse(String(value));
                    return typeof parsed === 'string' ? parsed : null;
                } catch {
                    return String(value);
                }
            };
            if (deal) note(`conflict raised: ${String(record.Rule__c)} d${deal.index}`);
            if (deal)
                history.conflict(
                    deal.index,
                    String(record.Rule__c),
                    text(record.Salesforce_Value__c),
                    text(record.Clm_Value__c)
                );
            return;
        }
        const deal = dealOfRecord(change.id);
        if (!deal || change.created) return;
        for (const field of inPlay)
            if (
                afterBaseline &&
                change.byConnector &&
                field.sfObject === change.sobject &&
                change.unchanged.includes(field.sfField)
            ) {
                note(`connector writes ${field.rule} d${deal.index} to Salesforce again (no change)`);
                history.noopWrite('salesforce', deal.index, field.rule);
            }
        for (const field of inPlay) {
            if (field.sfObject !== change.sobject || !(field.sfField in change.fields)) continue;
            const value = change.fields[field.sfField];
            if (change.byConnector)
                note(`connector writes ${field.rule} d${deal.index} to Salesforce: ${String(value)}`);
            history.observe(
                'salesforce',
                change.byConnector ? 'connector' : 'person',
                deal.index,
                field.rule,
                value === null || value === undefined ? null : String(value),
                change.at
            );
        }
    });

    /** CLM change notices not yet delivered: the webhooks. */
    const webhooks: { contractId: string; eventId: string; at: string }[] = [];
    let webhookSeq = 0;
    const memory = new MemoryClm(clock);
    const clm = new SimClm(memory, crash, (before, after, byConnector, patch) => {
        const deal = deals.find((candidate) => candidate.clmId === after.id);
        if (!deal) return;
        for (const field of inPlay) {
            const was = clmValue(before, field);
            const now = clmValue(after, field);
            const inPatch = field.clmField.startsWith('custom.')
                ? field.clmField.slice('custom.'.length) in (patch.custom ?? {})
                : field.clmField in patch;
            if (afterBaseline && was === now && inPatch && byConnector) {
                note(`connector writes ${field.rule} d${deal.index} to the CLM again (no change)`);
                history.noopWrite('clm', deal.index, field.rule);
            }
            if (was === now) continue;
            if (byConnector)
                note(`connector writes ${field.rule} d${deal.index} to the CLM: ${now} (v${after.version})`);
            history.observe(
                'clm',
                byConnector ? 'connector' : 'person',
                deal.index,
                field.rule,
                now,
                Date.parse(after.updatedAt)
            );
        }
        webhooks.push({ contractId: after.id, eventId: `wh-${++webhookSeq}`, at: after.updatedAt });
    });

    // Deals: records on both sides with the same starting values, linked as a send would have linked them.
    const initial = (field: SimField, index: number) =>
        field.clmField === 'expirationDate' ? '2028-01-01' : `${field.rule} d${index} init`;
    for (let index = 0; index < dealCount; index++) {
        const start = (sfObject: SimField['sfObject']) =>
            Object.fromEntries(
                inPlay
                    .filter((field) => field.sfObject === sfObject)
                    .map((field) => [field.sfField, initial(field, index)])
            );
        const opportunityId = salesforce.seed('Opportunity', {}, start('Opportunity'));
        const contractId = salesforce.seed('Contract', {}, start('Contract'));
        const custom = Object.fromEntries(
            inPlay
                .filter((field) => field.clmField.startsWith('custom.'))
                .map((field) => [field.clmField.slice('custom.'.length), initial(field, index)])
        );
        const created = await memory.createContract({
            naturalKey: { system: 'salesforce', objectType: 'Opportunity', id: opportunityId },
            title: initial(SIM_FIELDS[0]!, index),
            counterparty: { name: `Counterparty ${index}` },
            contacts: [],
            expirationDate: '2028-01-01',
            custom
        });
        const pairId = `opp:${opportunityId}`;
        await store.createPair(
            ORG,
            pairId,
            {
                salesforce: { opportunity: opportunityId, contract: contractId },
                clm: [{ vendor: 'memory', objectType: 'contract', id: created.id }]
            },
            clock.now()
        );
        deals.push({ index, opportunityId, contractId, clmId: created.id, pairId });
        webhooks.push({ contractId: created.id, eventId: `wh-${++webhookSeq}`, at: created.updatedAt });
        for (const field of inPlay) {
            history.initial('salesforce', index, field.rule, initial(field, index));
            history.initial('clm', index, field.rule, initial(field, index));
        }
    }

    const context: PlanContext = {
        connectorClientId: options.break === 'echo' ? 'someone-else' : CLIENT_ID,
        transform: { orgCurrency: 'USD' }
    };
    let engines = 0;
    const newEngine = () =>
        new SyncEngine({
            orgId: ORG,
            store,
            salesforce,
            clm,
            rules: loadRuleSet(ruleInputs(inPlay)),
            context,
            worker: `sim-engine-${++engines}`,
            clock,
            retry: { baseDelayMs: 200, maxDelayMs: 5_000 },
            random,
            orgCurrency: 'USD',
            clmCustomFields: ['specialTerms', 'paymentTerms', 'nextStep', 'dealNotes']
        });
    let engine = newEngine();
    const poller = new ClmPoller({ orgId: ORG, store, clm, logger: silent });

    /** Change events not yet stored, per channel in commit order (Pub/Sub keeps a channel's order). */
    const cdcDelivered: DecodedEvent[] = [];
    const deliverCdc = async (event: DecodedEvent) => {
        const header = event.payload.ChangeEventHeader as { entityName: string };
        const channel = `/data/${header.entityName}ChangeEvent`;
        // The ingest's own mapping of a change event to inbox items.
        const items = await cdcInboxItems(store, ORG, channel, event);
        await store.appendInbox(ORG, items);
        cdcDelivered.push(event);
    };
    const deliverWebhook = async (webhook: (typeof webhooks)[number]) => {
        const deal = deals.find((candidate) => candidate.clmId === webhook.contractId)!;
        await store.appendInbox(ORG, [
            {
                source: 'clm:memory:webhook',
                eventId: webhook.eventId,
                orderingKey: deal.pairId,
                objectType: 'contract',
                payload: {
                    kind: 'clm.event',
                    contractId: webhook.contractId,
                    vendorEventId: webhook.eventId,
                    at: webhook.at
                },
                correlationId: `wh-${webhook.eventId}`
            }
        ]);
    };
    const runRound = async (work: () => Promise<unknown>): Promise<boolean> => {
        let finished = false;
        const running = work().then(() => {
            finished = true;
        });
        for (let i = 0; i < 400 && !finished; i++) await new Promise((resolve) => setImmediate(resolve));
        if (!finished) {
            // The engine died inside a call: its claims expire, a new process takes over.
            void running.catch(() => undefined);
            note(`crash of ${engines > 0 ? `sim-engine-${engines}` : 'engine'}; restart`);
            engine = newEngine();
            clock.advance(61_000);
            lastFaultAt = clock.now();
            return false;
        }
        return true;
    };

    // The baseline: the records' creation events and the contracts' first webhooks, taken in before anyone edits.
    const baseline = async () => {
        while (salesforce.cdc.length > 0) await deliverCdc(salesforce.cdc.shift()!);
        while (webhooks.length > 0) await deliverWebhook(webhooks.shift()!);
        await engine.runUntilIdle();
    };
    await baseline();
    await baseline();
    note('baseline taken in');
    afterBaseline = true;
    if (process.env.CLM_SIM_DEBUG)
        for (const deal of deals)
            note(`pair ${deal.index}: ${JSON.stringify((await store.findPair(ORG, { pairId: deal.pairId }))?.state)}`);

    let lastFaultAt = clock.now();
    const steps = options.steps ?? 120;
    const editCounter = new Map<string, number>();
    for (let step = 0; step < steps; step++) {
        clock.advance(Math.floor(random() * 1500));
        const roll = random();
        if (roll < 0.3) {
            const deal = pick(deals);
            const field = pick(inPlay);
            if (history.hasConflict(deal.index, field.rule)) continue;
            const side = pick(field.editedOn);
            const counterKey = `${deal.index}/${field.rule}`;
            const n = (editCounter.get(counterKey) ?? 0) + 1;
            editCounter.set(counterKey, n);
            if (side === 'salesforce') {
                const value = `${field.rule} d${deal.index} s${n}`;
                salesforce.edit(field.sfObject === 'Contract' ? deal.contractId : deal.opportunityId, {
                    [field.sfField]: value
                });
                note(`person edits ${field.rule} in Salesforce: ${value}`);
            } else {
                const value =
                    field.clmField === 'expirationDate'
                        ? new Date(Date.UTC(2028, 0, 1) + n * 86_400_000).toISOString().slice(0, 10)
                        : `${field.rule} d${deal.index} c${n}`;
                const patch: ContractPatch = field.clmField.startsWith('custom.')
                    ? { custom: { [field.clmField.slice('custom.'.length)]: value } }
                    : { [field.clmField]: value };
                await clm.person(deal.clmId, patch, undefined);
                note(`person edits ${field.rule} in the CLM: ${value}`);
            }
        } else if (roll < 0.45) {
            // Pub/Sub: the oldest undelivered event of one channel (channels interleave freely).
            const pending = salesforce.cdc;
            if (pending.length === 0) continue;
            const entity = pick(
                pending.map((event) => (event.payload.ChangeEventHeader as { entityName: string }).entityName)
            );
            const index = pending.findIndex(
                (event) => (event.payload.ChangeEventHeader as { entityName: string }).entityName === entity
            );
            const [event] = pending.splice(index, 1);
            await deliverCdc(event!);
            note(`change event ${event!.replayId} (${entity}) delivered`);
        } else if (roll < 0.5 && cdcDelivered.length > 0) {
            const event = pick(cdcDelivered);
            await deliverCdc(event);
            note(`change event ${event.replayId} delivered again`);
        } else if (roll < 0.62) {
            if (webhooks.length === 0) continue;
            // Webhooks: any order; now and then one twice, or one lost for good (the poller's job then).
            const index = Math.floor(random() * webhooks.length);
            const webhook = webhooks[index]!;
            const fate = random();
            if (fate < 0.1) {
                webhooks.splice(index, 1);
                note(`webhook ${webhook.eventId} lost`);
                lastFaultAt = clock.now();
                continue;
            }
            if (fate > 0.85) note(`webhook ${webhook.eventId} delivered twice`);
            else webhooks.splice(index, 1);
            await deliverWebhook(webhook);
            note(`webhook ${webhook.eventId} delivered`);
        } else if (roll < 0.8) {
            const limit = 1 + Math.floor(random() * 4);
            await runRound(() => engine.processInbox(limit));
        } else if (roll < 0.9) {
            const limit = 1 + Math.floor(random() * 4);
            await runRound(() => engine.dispatchOutbox(limit));
        } else if (roll < 0.93) {
            await poller.poll();
            note('CLM change feed polled');
        } else {
            const fault = pick([
                'requestLimit',
                'lockRow',
                'lostResponse',
                'rateLimited',
                'unavailable',
                'clmLost',
                'crash'
            ] as const);
            if (fault === 'requestLimit' || fault === 'lockRow' || fault === 'lostResponse')
                salesforce.faults.push(fault);
            else if (fault === 'rateLimited' || fault === 'unavailable') clm.faults.push(fault);
            else if (fault === 'clmLost') clm.faults.push('lostResponse');
            else if (random() < 0.5) crash.armed = true;
            else salesforce.crashNext = true;
            note(`fault armed: ${fault}`);
            lastFaultAt = clock.now();
        }
    }

    // The drain: no more edits, faults disarmed, everything delivered, the engine and the poller run until quiet.
    salesforce.faults.length = 0;
    clm.faults.length = 0;
    crash.armed = false;
    salesforce.crashNext = false;
    note('faults stop');
    let convergedAt: number | null = null;
    for (let round = 0; round < 400; round++) {
        while (salesforce.cdc.length > 0) await deliverCdc(salesforce.cdc.shift()!);
        while (webhooks.length > 0) await deliverWebhook(webhooks.shift()!);
        if (round % 5 === 0) await poller.poll();
        const moved = (await engine.processInbox(20)) + (await engine.dispatchOutbox(20));
        const stats = await store.stats(ORG, clock.now());
        const busy =
            moved > 0 ||
            salesforce.cdc.length > 0 ||
            webhooks.length > 0 ||
            ['pending', 'processing', 'failed'].some(
                (status) =>
                    (stats.inbox.byStatus[status as 'pending'] ?? 0) +
                        (stats.outbox.byStatus[status as 'pending'] ?? 0) >
                    0
            );
        if (!busy && history.converged(deals.map((deal) => deal.index))) {
            convergedAt ??= clock.now();
            if (round > 4 && clock.now() - convergedAt > 2_000) break;
        } else convergedAt = null;
        clock.advance(500);
    }
    const verdict = history.check(deals.map((deal) => deal.index));
    const convergeSeconds = convergedAt === null ? null : Math.max(0, convergedAt - lastFaultAt) / 1000;
    if (convergeSeconds === null || convergeSeconds * 1000 > CONVERGE_BOUND_MS)
        verdict.lost.push(
            `not converged within ${CONVERGE_BOUND_MS / 1000} s of the last fault (${convergeSeconds ?? 'never'})`
        );
    if (process.env.CLM_SIM_DEBUG)
        for (const entry of await store.readChangeLog(ORG, { limit: 5000 })) note(`log ${JSON.stringify(entry)}`);
    const quarantined = await store.listQuarantined(ORG);
    for (const item of quarantined)
        verdict.lost.push(
            `quarantined: ${item.queue} ${item.id} ${item.lastError?.code ?? ''} ${item.lastError?.message ?? ''}`
        );
    await store.close();
    return { seed, verdict, convergeSeconds, trace };
}

/** True when the verdict found nothing. */
export function clean(verdict: Verdict): boolean {
    return (
        verdict.lost.length + verdict.duplicated.length + verdict.outOfOrder.length + verdict.conflictsMissed.length ===
        0
    );
}
