/**
 * The store port's shared suite: the same cases run on every adapter (SQLite and PostgreSQL). A harness opens
 * stores on one database — each `open()` is a separate connection or pool, i.e. a second instance — and gives
 * raw SQL access for what no port method may do: tamper with the change log, or make an insert fail inside
 * a transaction (a trigger) to prove the transaction leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, chainHash } from '../../src/adapters/store/changeLogChain.ts';
import { isConnectorError } from '../../src/domain/errors.ts';
import type { ChangeLogEntry } from '../../src/domain/planner.ts';
import type { PairState } from '../../src/domain/syncState.ts';
import {
    STORE_ERROR,
    type ClaimRef,
    type InboxInput,
    type OutboxInput,
    type QueueItem,
    type StoreOptions,
    type StorePort
} from '../../src/ports/store.ts';

export interface StoreHarness {
    /** A store on the suite's database through its own connection (SQLite) or pool (PostgreSQL). */
    open(options?: StoreOptions): Promise<StorePort>;
    /** Raw SQL on the same database, outside the port. */
    exec(sql: string): Promise<void>;
    /** Makes every insert or update on `table` fail until the returned function is called. */
    failWrites(table: string): Promise<() => Promise<void>>;
}

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

const newOrg = () => `00D${randomBytes(6).toString('hex')}`;
const sfId = (prefix: string) => `${prefix}${randomBytes(6).toString('hex').toUpperCase()}AAA`; // 18 characters

function inbox(eventId: string, orderingKey: string, extra: Partial<InboxInput> = {}): InboxInput {
    return {
        source: 'salesforce:/data/OpportunityChangeEvent',
        eventId,
        orderingKey,
        objectType: 'Opportunity',
        payload: { eventId, fields: { StageName: 'Closed Won' } },
        correlationId: `corr-${eventId}`,
        ...extra
    };
}

function outbox(idempotencyKey: string, orderingKey: string): OutboxInput {
    return {
        target: 'clm',
        operation: 'clm.updateContract',
        idempotencyKey,
        orderingKey,
        objectType: 'contract',
        payload: { fields: { title: idempotencyKey } },
        correlationId: `corr-${idempotencyKey}`
    };
}

const claimOf = (item: QueueItem): ClaimRef => ({ id: item.id, worker: item.claimedBy!, attempt: item.attempts });

function logEntry(pairId: string, key: string, extra: Partial<ChangeLogEntry> = {}) {
    return {
        pairId,
        idempotencyKey: key,
        eventId: `evt-${key}`,
        correlationId: `corr-${key}`,
        source: 'clm' as const,
        rule: 'Contract_Lifecycle',
        outcome: 'applied' as const,
        value: 'Signed',
        previous: 'OutForSignature',
        ...extra
    };
}

function stateWith(pairId: string, value: string): PairState {
    return { pairId, fields: { Contract_Lifecycle: { synced: { value, at: new Date(T0).toISOString(), by: 'clm' } } } };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
    try {
        await promise;
    } catch (error) {
        return error;
    }
    throw new Error('expected the call to fail');
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
    const error = await rejection(promise);
    expect(isConnectorError(error) ? error.code : error).toBe(code);
    return (error as { details: Record<string, unknown> }).details;
}

/** Claims everything due, one claim call at a time, completing each item, until nothing is left. */
async function drain(
    store: StorePort,
    orgId: string,
    worker: string,
    now: number,
    log: QueueItem[],
    inFlight: Map<string, number>
) {
    for (let round = 0; round < 2_000; round++) {
        const items = await store.claimInbox(orgId, worker, 3, now);
        if (items.length === 0) {
            const left = await store.stats(orgId, now);
            if (left.inbox.byStatus.pending + left.inbox.byStatus.processing === 0) return;
            await new Promise((resolve) => setImmediate(resolve));
            continue;
        }
        for (const item of items) {
            if (inFlight.has(item.orderingKey))
                throw new Error(
                    `key ${item.orderingKey} claimed twice at once (${inFlight.get(item.orderingKey)} and ${item.id})`
                );
            inFlight.set(item.orderingKey, item.id);
            log.push(item);
        }
        await new Promise((resolve) => setImmediate(resolve));
        for (const item of items) {
            inFlight.delete(item.orderingKey); // before the commit: a claim seen after this is not a double claim
            await store.complete('inbox', orgId, claimOf(item), now);
        }
    }
    throw new Error('drain did not finish');
}

export function storeSuite(label: string, harness: () => StoreHarness): void {
    describe(`store port on ${label}`, () => {
        const opened: StorePort[] = [];
        const open = async (options?: StoreOptions) => {
            const store = await harness().open(options);
            opened.push(store);
            return store;
        };
        afterAll(async () => {
            await Promise.all(opened.map((store) => store.close()));
        });

        it('stores each event once per (org, source, event id), inside a batch and across batches', async () => {
            const store = await open();
            const org = newOrg();
            const first = await store.appendInbox(
                org,
                [inbox('e1', 'k1'), inbox('e2', 'k1'), inbox('e1', 'k1')],
                undefined,
                T0
            );
            expect(first.insertedIds).toHaveLength(2);
            expect(first.duplicates).toBe(1);
            const again = await store.appendInbox(org, [inbox('e2', 'k1'), inbox('e3', 'k2')], undefined, T0);
            expect(again.duplicates).toBe(1);
            expect(again.insertedIds).toHaveLength(1);
            // The same id from another source, or for another org, is another event.
            const otherSource = await store.appendInbox(
                org,
                [inbox('e1', 'k1', { source: 'clm:ironclad:webhook' })],
                undefined,
                T0
            );
            expect(otherSource.insertedIds).toHaveLength(1);
            expect((await store.appendInbox(newOrg(), [inbox('e1', 'k1')], undefined, T0)).insertedIds).toHaveLength(1);
            const stats = await store.stats(org, T0);
            expect(stats.inbox.byStatus.pending).toBe(4);
            const item = await store.getItem('inbox', org, first.insertedIds[0]!);
            expect(item).toMatchObject({
                eventId: 'e1',
                orderingKey: 'k1',
                correlationId: 'corr-e1',
                status: 'pending',
                attempts: 0
            });
            expect(item?.payload).toEqual({ eventId: 'e1', fields: { StageName: 'Closed Won' } });
        });

        it('advances the replay-id checkpoint with the rows, and neither when the transaction fails', async () => {
            const store = await open();
            const org = newOrg();
            const channel = '/data/OpportunityChangeEvent';
            expect(await store.getCheckpoint(org, channel)).toBeNull();
            await store.appendInbox(org, [inbox('a1', 'k1')], { channel, replayId: '100' }, T0);
            expect(await store.getCheckpoint(org, channel)).toBe('100');

            // The checkpoint write fails after the rows were inserted in the same transaction.
            const undo = await harness().failWrites('checkpoints');
            try {
                await expectCode(
                    store.appendInbox(org, [inbox('a2', 'k1'), inbox('a3', 'k2')], { channel, replayId: '200' }, T0),
                    STORE_ERROR.UNAVAILABLE
                );
            } finally {
                await undo();
            }
            expect(await store.getCheckpoint(org, channel)).toBe('100');
            expect((await store.stats(org, T0)).inbox.byStatus.pending).toBe(1);
            // After the failure the same batch goes in whole: nothing of it was kept.
            const retried = await store.appendInbox(
                org,
                [inbox('a2', 'k1'), inbox('a3', 'k2')],
                { channel, replayId: '200' },
                T0
            );
            expect(retried).toMatchObject({ duplicates: 0 });
            expect(await store.getCheckpoint(org, channel)).toBe('200');
        });

        it('claims the oldest due item of each key, one per key, and holds a key while it is in flight or waiting to retry', async () => {
            const store = await open();
            const org = newOrg();
            await store.appendInbox(
                org,
                [inbox('a1', 'A'), inbox('a2', 'A'), inbox('b1', 'B'), inbox('b2', 'B'), inbox('c1', 'C')],
                undefined,
                T0
            );
            const first = await store.claimInbox(org, 'w1', 10, T0);
            expect(first.map((item) => item.eventId)).toEqual(['a1', 'b1', 'c1']);
            expect(
                first.every((item) => item.status === 'processing' && item.attempts === 1 && item.claimedBy === 'w1')
            ).toBe(true);
            expect(await store.claimInbox(org, 'w2', 10, T0)).toEqual([]);

            const [a1, b1, c1] = first;
            await store.complete('inbox', org, claimOf(a1!), T0);
            expect(
                await store.fail(
                    'inbox',
                    org,
                    claimOf(b1!),
                    { error: { code: 'SF.UNABLE_TO_LOCK_ROW', message: 'row locked' }, retryAt: T0 + 5_000 },
                    T0
                )
            ).toBe('failed');
            // A's next item is due; B's head waits for its retry time and b2 must not overtake it.
            expect((await store.claimInbox(org, 'w2', 10, T0 + 1_000)).map((item) => item.eventId)).toEqual(['a2']);
            const retry = await store.claimInbox(org, 'w2', 10, T0 + 5_000);
            expect(retry.map((item) => [item.eventId, item.attempts])).toEqual([['b1', 2]]);
            expect(retry[0]?.lastError).toEqual({ code: 'SF.UNABLE_TO_LOCK_ROW', message: 'row locked' });
            await store.complete('inbox', org, claimOf(c1!), T0);
            await expectCode(store.complete('inbox', org, claimOf(c1!), T0), STORE_ERROR.CLAIM_LOST);
        });

        it('gives a crashed worker’s items back after the claim expires, and the late worker cannot finish them', async () => {
            const store = await open({ claimTtlMs: 30_000, maxAttempts: 3 });
            const org = newOrg();
            await store.appendInbox(org, [inbox('x1', 'X')], undefined, T0);
            const [held] = await store.claimInbox(org, 'crashed', 1, T0);
            expect(await store.claimInbox(org, 'w2', 1, T0 + 29_999)).toEqual([]);
            const [taken] = await store.claimInbox(org, 'w2', 1, T0 + 30_000);
            expect(taken).toMatchObject({ id: held!.id, claimedBy: 'w2', attempts: 2, claimExpiresAt: T0 + 60_000 });
            await expectCode(store.complete('inbox', org, claimOf(held!), T0 + 30_001), STORE_ERROR.CLAIM_LOST);
            // A third claim expiry uses the last attempt: the item is quarantined, not handed out again.
            const [third] = await store.claimInbox(org, 'w3', 1, T0 + 60_000);
            expect(third?.attempts).toBe(3);
            expect(await store.claimInbox(org, 'w4', 1, T0 + 90_000)).toEqual([]);
            const [quarantined] = await store.listQuarantined(org);
            expect(quarantined).toMatchObject({
                queue: 'inbox',
                id: held!.id,
                attempts: 3,
                lastError: { code: 'STORE.ATTEMPTS_EXHAUSTED' }
            });
        });

        it('ends every claim at once when the only process using the store restarts', async () => {
            const store = await open({ claimTtlMs: 30_000 });
            const org = newOrg();
            const other = newOrg();
            await store.appendInbox(org, [inbox('e1', 'E'), inbox('e2', 'F')], undefined, T0);
            await store.appendInbox(other, [inbox('e3', 'G')], undefined, T0);
            await store.commitPlan({ orgId: org, outbox: [outbox('o1', 'E')], now: T0 });
            await store.claimInbox(org, 'dead', 2, T0);
            await store.claimOutbox(org, 'dead', 1, T0);
            await store.claimInbox(other, 'alive', 1, T0);
            expect(await store.expireClaims(org, T0 + 1)).toBe(3);
            const inboxAgain = await store.claimInbox(org, 'restarted', 5, T0 + 1);
            expect(inboxAgain.map((item) => [item.eventId, item.attempts])).toEqual([
                ['e1', 2],
                ['e2', 2]
            ]);
            expect(await store.claimOutbox(org, 'restarted', 5, T0 + 1)).toHaveLength(1);
            // Another org's claims are not touched.
            expect(await store.claimInbox(other, 'restarted', 5, T0 + 1)).toEqual([]);
        });

        it('two instances claiming at once never take one item twice nor two items of one key, and keep each key in order', async () => {
            const [one, two] = [await open(), await open()];
            const org = newOrg();
            const keys = Array.from({ length: 12 }, (_, index) => `pair-${index}`);
            const items = Array.from({ length: 240 }, (_, index) =>
                inbox(`c${index}`, keys[(index * 7) % keys.length]!)
            );
            await one.appendInbox(org, items, undefined, T0);
            const log: QueueItem[] = [];
            const inFlight = new Map<string, number>();
            await Promise.all([drain(one, org, 'one', T0, log, inFlight), drain(two, org, 'two', T0, log, inFlight)]);

            expect(log).toHaveLength(240);
            expect(new Set(log.map((item) => item.id)).size).toBe(240);
            expect(new Set(log.map((item) => item.claimedBy))).toEqual(new Set(['one', 'two']));
            for (const key of keys) {
                const order = log.filter((item) => item.orderingKey === key).map((item) => item.id);
                expect(order).toEqual([...order].sort((a, b) => a - b));
            }
            expect((await one.stats(org, T0)).inbox.byStatus.done).toBe(240);
        });

        it('quarantines an item after its attempts without blocking its key, lists it, and replays it with attempts reset', async () => {
            const store = await open({ maxAttempts: 2 });
            const org = newOrg();
            await store.appendInbox(
                org,
                [inbox('q1', 'Q', { correlationId: 'corr-poison' }), inbox('q2', 'Q')],
                undefined,
                T0
            );
            const failure = { error: { code: 'MAPPING.PICKLIST_VALUE_REJECTED', message: 'bad stage' }, retryAt: T0 };
            const [first] = await store.claimInbox(org, 'w', 1, T0);
            expect(await store.fail('inbox', org, claimOf(first!), failure, T0)).toBe('failed');
            // Waiting for its retry: listed with the quarantined ones when asked for (sf clm sync errors).
            expect(await store.listQuarantined(org)).toEqual([]);
            expect(await store.listQuarantined(org, { statuses: ['failed', 'quarantined'] })).toEqual([
                expect.objectContaining({ id: first!.id, status: 'failed', nextAttemptAt: T0, attempts: 1 })
            ]);
            const [second] = await store.claimInbox(org, 'w', 1, T0);
            expect(await store.fail('inbox', org, claimOf(second!), failure, T0)).toBe('quarantined');

            const [next] = await store.claimInbox(org, 'w', 5, T0);
            expect(next?.eventId).toBe('q2');
            await store.complete('inbox', org, claimOf(next!), T0);

            // An outbox write refused for good is quarantined at once.
            await store.commitPlan({ orgId: org, outbox: [outbox('o-1', 'Q')], now: T0 });
            const [write] = await store.claimOutbox(org, 'w', 1, T0);
            await store.quarantine(
                'outbox',
                org,
                claimOf(write!),
                { code: 'CLM.NOT_WRITABLE_IN_STATE', message: 'signed' },
                T0 + 1
            );

            // Newest first.
            const listed = await store.listQuarantined(org);
            expect(listed).toEqual([
                expect.objectContaining({
                    queue: 'outbox',
                    id: write!.id,
                    attempts: 1,
                    lastError: { code: 'CLM.NOT_WRITABLE_IN_STATE', message: 'signed' },
                    origin: 'clm'
                }),
                expect.objectContaining({
                    queue: 'inbox',
                    id: first!.id,
                    correlationId: 'corr-poison',
                    attempts: 2,
                    lastError: failure.error,
                    origin: 'salesforce:/data/OpportunityChangeEvent'
                })
            ]);
            expect((await store.stats(org, T0)).quarantined).toBe(2);

            expect(await store.replay(org, [{ queue: 'inbox', id: first!.id }], T0 + 10)).toBe(1);
            expect(await store.getItem('inbox', org, first!.id)).toMatchObject({
                status: 'pending',
                attempts: 0,
                nextAttemptAt: T0 + 10
            });
            const [replayed] = await store.claimInbox(org, 'w', 5, T0 + 10);
            expect(replayed).toMatchObject({ id: first!.id, attempts: 1 });
            expect(await store.replay(org, 'all', T0 + 20)).toBe(1);
            expect(await store.getItem('outbox', org, write!.id)).toMatchObject({ status: 'pending', attempts: 0 });
            expect(await store.listQuarantined(org)).toEqual([]);
        });

        it('links a pair to Salesforce ids and a growing set of CLM refs, found by any of them', async () => {
            const store = await open();
            const org = newOrg();
            const opportunity = sfId('006');
            const contract = sfId('800');
            const created = await store.createPair(
                org,
                'pair-1',
                { salesforce: { opportunity }, clm: [{ vendor: 'ironclad', objectType: 'workflow', id: 'wf-1' }] },
                T0
            );
            expect(created).toMatchObject({
                pairId: 'pair-1',
                version: 0,
                state: { pairId: 'pair-1', fields: {} },
                salesforce: { opportunity }
            });
            const linked = await store.linkPair(
                org,
                'pair-1',
                {
                    salesforce: { contract },
                    clm: [
                        { vendor: 'ironclad', objectType: 'record', id: 'rec-9' },
                        { vendor: 'ironclad', objectType: 'workflow', id: 'wf-1' }
                    ]
                },
                T0 + 1
            );
            expect(linked.salesforce).toEqual({ opportunity, contract });
            expect(linked.clm).toEqual([
                { vendor: 'ironclad', objectType: 'workflow', id: 'wf-1' },
                { vendor: 'ironclad', objectType: 'record', id: 'rec-9' }
            ]);
            expect((await store.findPair(org, { salesforceId: contract }))?.pairId).toBe('pair-1');
            expect((await store.findPair(org, { salesforceId: opportunity.slice(0, 15) }))?.pairId).toBe('pair-1');
            expect(
                (await store.findPair(org, { clm: { vendor: 'ironclad', objectType: 'record', id: 'rec-9' } }))?.pairId
            ).toBe('pair-1');
            expect(
                await store.findPair(org, { clm: { vendor: 'spotdraft', objectType: 'record', id: 'rec-9' } })
            ).toBeNull();
            expect(await store.findPair(newOrg(), { salesforceId: contract })).toBeNull();

            await store.createPair(org, 'pair-2', {}, T0);
            expect(
                await expectCode(
                    store.linkPair(org, 'pair-2', { salesforce: { opportunity } }, T0),
                    STORE_ERROR.LINK_CONFLICT
                )
            ).toMatchObject({ field: 'salesforce.opportunity' });
            expect(
                await expectCode(
                    store.linkPair(org, 'pair-1', { salesforce: { opportunity: sfId('006') } }, T0),
                    STORE_ERROR.LINK_CONFLICT
                )
            ).toMatchObject({ field: 'salesforce.opportunity' });
            await expectCode(store.createPair(org, 'pair-1', {}, T0), STORE_ERROR.LINK_CONFLICT);
            expect(
                await expectCode(
                    store.createPair(org, 'pair-3', { salesforce: { quote: 'not-an-id' } }, T0),
                    STORE_ERROR.VALIDATION
                )
            ).toEqual({ field: 'links.salesforce.quote' });
            // The refused links left pair-2 as it was.
            expect(await store.findPair(org, { pairId: 'pair-2' })).toMatchObject({ salesforce: {}, clm: [] });
        });

        it('commits a plan in one transaction: inbox done, state versioned, change log, outbox (idempotent keys) and conflicts', async () => {
            const store = await open();
            const org = newOrg();
            await store.createPair(org, 'p1', {}, T0);
            await store.appendInbox(org, [inbox('ev-1', 'p1'), inbox('ev-2', 'p1')], undefined, T0);
            const [item] = await store.claimInbox(org, 'w', 1, T0);
            const conflict = {
                pairId: 'p1',
                rule: 'Opportunity_Amount',
                sfObject: 'Opportunity',
                sfField: 'Amount',
                clmField: 'value',
                salesforceValue: 100,
                clmValue: 120,
                eventId: 'ev-1',
                correlationId: 'corr-ev-1'
            };
            const result = await store.commitPlan({
                orgId: org,
                inbox: claimOf(item!),
                pair: { pairId: 'p1', expectedVersion: 0, state: stateWith('p1', 'Signed') },
                changeLog: [
                    logEntry('p1', 'clm:ev-1:Contract_Lifecycle'),
                    logEntry('p1', 'clm:ev-1:Opportunity_Amount', { outcome: 'conflict' })
                ],
                outbox: [outbox('sf:ev-1:Contract', 'p1'), outbox('sf:ev-1:Opportunity', 'p1')],
                conflicts: [conflict],
                now: T0 + 1
            });
            expect(result).toMatchObject({ pairVersion: 1, outboxDuplicates: 0, changeLogSeqs: [1, 2] });
            expect(result.outboxIds).toHaveLength(2);
            expect(result.conflictIds).toHaveLength(1);
            expect(await store.getItem('inbox', org, item!.id)).toMatchObject({ status: 'done' });
            expect(await store.findPair(org, { pairId: 'p1' })).toMatchObject({
                version: 1,
                state: stateWith('p1', 'Signed')
            });
            expect(await store.listConflicts(org)).toEqual([
                expect.objectContaining({ ...conflict, orgId: org, status: 'open', resolvedAt: null })
            ]);
            const log = await store.readChangeLog(org);
            expect(log.map((entry) => [entry.seq, entry.idempotencyKey, entry.outcome])).toEqual([
                [1, 'clm:ev-1:Contract_Lifecycle', 'applied'],
                [2, 'clm:ev-1:Opportunity_Amount', 'conflict']
            ]);

            // The same plan again (a redelivered event re-planned): outbox keys and log keys are no-ops.
            const [next] = await store.claimInbox(org, 'w', 1, T0 + 2);
            const repeat = await store.commitPlan({
                orgId: org,
                inbox: claimOf(next!),
                pair: { pairId: 'p1', expectedVersion: 1, state: stateWith('p1', 'Signed') },
                changeLog: [logEntry('p1', 'clm:ev-1:Contract_Lifecycle')],
                outbox: [outbox('sf:ev-1:Contract', 'p1'), outbox('sf:ev-2:Contract', 'p1')],
                conflicts: [conflict],
                now: T0 + 2
            });
            expect(repeat).toMatchObject({ pairVersion: 2, outboxDuplicates: 1, changeLogSeqs: [], conflictIds: [] });
            expect(repeat.outboxIds).toHaveLength(1);
            const stats = await store.stats(org, T0 + 2);
            expect(stats.outbox.byStatus.pending).toBe(3);
            expect(stats.openConflicts).toBe(1);

            // Outbox items of one pair go out one at a time, in order.
            const writes = await store.claimOutbox(org, 'writer', 10, T0 + 3);
            expect(writes.map((write) => write.idempotencyKey)).toEqual(['sf:ev-1:Contract']);
            expect(writes[0]).toMatchObject({
                target: 'clm',
                operation: 'clm.updateContract',
                payload: { fields: { title: 'sf:ev-1:Contract' } }
            });

            // A person resolved the conflict in the org: the plan applying it closes the record in its commit.
            await store.commitPlan({
                orgId: org,
                pair: { pairId: 'p1', expectedVersion: 2, state: stateWith('p1', 'Signed') },
                resolvedConflicts: [{ pairId: 'p1', rule: 'Opportunity_Amount' }],
                now: T0 + 4
            });
            expect(await store.listConflicts(org, { status: 'open' })).toEqual([]);
            expect(await store.listConflicts(org, { pairId: 'p1', status: 'resolved' })).toEqual([
                expect.objectContaining({ rule: 'Opportunity_Amount', status: 'resolved', resolvedAt: T0 + 4 })
            ]);
            expect(await store.listConflicts(org, { pairId: 'p2' })).toEqual([]);
            expect((await store.stats(org, T0 + 4)).openConflicts).toBe(0);
        });

        it('leaves nothing behind when any step of commitPlan fails', async () => {
            const store = await open();
            const org = newOrg();
            await store.createPair(org, 'p1', {}, T0);
            await store.appendInbox(org, [inbox('ev-1', 'p1')], undefined, T0);
            const [item] = await store.claimInbox(org, 'w', 1, T0);
            const plan = {
                orgId: org,
                inbox: claimOf(item!),
                pair: { pairId: 'p1', expectedVersion: 0, state: stateWith('p1', 'Signed') },
                changeLog: [logEntry('p1', 'k1')],
                outbox: [outbox('o1', 'p1')],
                conflicts: [
                    {
                        pairId: 'p1',
                        rule: 'R',
                        sfObject: 'Opportunity',
                        sfField: 'Amount',
                        clmField: 'value',
                        salesforceValue: 1,
                        clmValue: 2,
                        eventId: 'ev-1',
                        correlationId: 'c'
                    }
                ],
                now: T0
            };
            const undo = await harness().failWrites('conflicts'); // the last step of the transaction
            try {
                await expectCode(store.commitPlan(plan), STORE_ERROR.UNAVAILABLE);
            } finally {
                await undo();
            }
            expect(await store.getItem('inbox', org, item!.id)).toMatchObject({ status: 'processing' });
            expect(await store.findPair(org, { pairId: 'p1' })).toMatchObject({ version: 0, state: { fields: {} } });
            expect(await store.readChangeLog(org)).toEqual([]);
            expect((await store.stats(org, T0)).outbox.byStatus.pending).toBe(0);
            expect(await store.verifyChangeLog(org)).toMatchObject({ ok: true, count: 0 });
            // Then the same plan commits whole.
            expect(await store.commitPlan(plan)).toMatchObject({ pairVersion: 1, changeLogSeqs: [1] });
        });

        it('refuses a stale pair version with STORE.CONCURRENT_UPDATE and keeps nothing of the refused commit', async () => {
            const [one, two] = [await open(), await open()];
            const org = newOrg();
            await one.createPair(org, 'p1', {}, T0);
            const commit = (store: StorePort, tag: string) =>
                store.commitPlan({
                    orgId: org,
                    pair: { pairId: 'p1', expectedVersion: 0, state: stateWith('p1', tag) },
                    changeLog: [logEntry('p1', `log-${tag}`)],
                    outbox: [outbox(`out-${tag}`, 'p1')],
                    now: T0
                });
            // Two instances planned from version 0 and commit at once: exactly one wins.
            const outcomes = await Promise.allSettled([commit(one, 'one'), commit(two, 'two')]);
            const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
            const lost = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
            expect(won).toHaveLength(1);
            expect(lost).toHaveLength(1);
            expect(lost[0]!.reason).toMatchObject({
                code: STORE_ERROR.CONCURRENT_UPDATE,
                details: { pairId: 'p1', expectedVersion: 0, actualVersion: 1 }
            });
            const pair = await one.findPair(org, { pairId: 'p1' });
            const winner = pair!.state.fields.Contract_Lifecycle!.synced!.value as string;
            expect(pair!.version).toBe(1);
            expect((await one.readChangeLog(org)).map((entry) => entry.idempotencyKey)).toEqual([`log-${winner}`]);
            expect((await one.claimOutbox(org, 'w', 10, T0)).map((write) => write.idempotencyKey)).toEqual([
                `out-${winner}`
            ]);
            await expectCode(
                one.commitPlan({
                    orgId: org,
                    pair: { pairId: 'nope', expectedVersion: 0, state: stateWith('nope', 'x') },
                    now: T0
                }),
                STORE_ERROR.NOT_FOUND
            );
        });

        it('hash-chains the change log per org across instances and finds the first tampered, unlinked or missing row', async () => {
            const [one, two] = [await open(), await open()];
            const org = newOrg();
            const other = newOrg();
            for (const pairId of ['p1', 'p2', 'p3', 'p4']) await one.createPair(org, pairId, {}, T0);
            await one.createPair(other, 'p1', {}, T0);
            // Concurrent appends from two instances, each on its own pairs, extend one chain.
            await Promise.all(
                ['p1', 'p2', 'p3', 'p4'].map((pairId, index) =>
                    (index % 2 ? one : two).commitPlan({
                        orgId: org,
                        changeLog: Array.from({ length: 5 }, (_, n) =>
                            logEntry(pairId, `${pairId}-${n}`, { value: n })
                        ),
                        now: T0 + index
                    })
                )
            );
            await one.commitPlan({ orgId: other, changeLog: [logEntry('p1', 'x-1')], now: T0 });
            const verified = await two.verifyChangeLog(org);
            expect(verified).toMatchObject({ ok: true, count: 20 });
            const log = await one.readChangeLog(org, { limit: 100 });
            expect(log.map((entry) => entry.seq)).toEqual(Array.from({ length: 20 }, (_, n) => n + 1));
            expect(log[1]!.prevHash).toBe(log[0]!.hash);
            expect(log[19]!.hash).toBe(verified.ok ? verified.headHash : '');
            expect(await one.readChangeLog(org, { pairId: 'p3', afterSeq: 0 })).toHaveLength(5);

            const row = (seq: number) => `org_id = '${org}' AND seq = ${seq}`;
            const entry7 = log[6]!;
            // Edit a row's value: its own hash no longer matches.
            await harness().exec(
                `UPDATE change_log SET entry = REPLACE(entry, '"value":${String(entry7.value)}', '"value":999') WHERE ${row(7)}`
            );
            expect(await one.verifyChangeLog(org)).toMatchObject({ ok: false, brokenAt: 7, reason: 'hash' });
            expect(await one.verifyChangeLog(other)).toMatchObject({ ok: true, count: 1 });
            // Edit it and re-hash it consistently: the row passes, the next row's link to it breaks.
            const { prevHash, hash, ...fields } = entry7;
            void hash;
            const forged = canonicalJson({ ...fields, value: 999 });
            await harness().exec(
                `UPDATE change_log SET entry = '${forged}', hash = '${chainHash(prevHash, forged)}' WHERE ${row(7)}`
            );
            expect(await one.verifyChangeLog(org)).toMatchObject({ ok: false, brokenAt: 8, reason: 'link' });
            await harness().exec(`DELETE FROM change_log WHERE ${row(7)}`);
            expect(await one.verifyChangeLog(org)).toMatchObject({ ok: false, brokenAt: 7, reason: 'sequence' });
            // Cutting rows off the end leaves a valid prefix, which the head still exposes.
            await harness().exec(`DELETE FROM change_log WHERE org_id = '${other}'`);
            expect(await one.verifyChangeLog(other)).toMatchObject({ ok: false, brokenAt: 1, reason: 'head' });
        });

        it('verifies a chain longer than one read page and finds an edit near its end', async () => {
            const store = await open();
            const org = newOrg();
            await store.createPair(org, 'p1', {}, T0);
            const entries = Array.from({ length: 2_100 }, (_, n) => logEntry('p1', `long-${n}`, { value: n }));
            await store.commitPlan({ orgId: org, changeLog: entries, now: T0 });
            expect(await store.verifyChangeLog(org)).toMatchObject({ ok: true, count: 2_100 });
            await harness().exec(
                `UPDATE change_log SET entry = REPLACE(entry, '"value":2050', '"value":2051') WHERE org_id = '${org}' AND seq = 2051`
            );
            expect(await store.verifyChangeLog(org)).toMatchObject({
                ok: false,
                count: 2_050,
                brokenAt: 2_051,
                reason: 'hash'
            });
        });

        it('gives a lease to exactly one of many concurrent acquirers, renews it for the holder only and hands it over after expiry', async () => {
            const [one, two] = [await open(), await open()];
            const name = `pubsub:/data/OpportunityChangeEvent:${newOrg()}`;
            const holders = Array.from({ length: 10 }, (_, index) => `instance-${index}`);
            const results = await Promise.all(
                holders.map((holder, index) => (index % 2 ? one : two).acquireLease(name, holder, 10_000, T0))
            );
            const winners = results.filter((result) => result.acquired);
            expect(winners).toHaveLength(1);
            const winner = winners[0]!.acquired ? winners[0]!.lease : undefined;
            expect(winner).toMatchObject({ name, expiresAt: T0 + 10_000, generation: 1 });
            for (const result of results.filter((candidate) => !candidate.acquired)) {
                expect(result).toEqual({ acquired: false, current: winner });
            }
            const loser = holders.find((holder) => holder !== winner!.holder)!;
            expect(await one.renewLease(name, winner!.holder, 10_000, T0 + 5_000)).toBe(true);
            expect(await one.renewLease(name, loser, 10_000, T0 + 5_000)).toBe(false);
            expect((await two.acquireLease(name, loser, 10_000, T0 + 14_999)).acquired).toBe(false);
            // The holder stopped renewing (killed): after expiry another instance takes over, with a new generation.
            const takeover = await two.acquireLease(name, loser, 10_000, T0 + 15_000);
            expect(takeover).toEqual({
                acquired: true,
                lease: { name, holder: loser, expiresAt: T0 + 25_000, generation: 2 }
            });
            expect(await one.renewLease(name, winner!.holder, 10_000, T0 + 15_001)).toBe(false);
            expect(await two.releaseLease(name, loser)).toBe(true);
            expect(await one.acquireLease(name, winner!.holder, 10_000, T0 + 15_002)).toMatchObject({
                acquired: true,
                lease: { generation: 3 }
            });
        });

        it('binds the state to one org and refuses another until an admin relinks', async () => {
            const store = await open();
            const connector = `connector-${randomBytes(4).toString('hex')}`;
            const production = newOrg();
            const sandbox = newOrg();
            expect(await store.boundOrg(connector)).toBeNull();
            await store.bindOrg(connector, production, T0);
            await store.bindOrg(connector, production, T0 + 1);
            expect(await expectCode(store.bindOrg(connector, sandbox, T0 + 2), STORE_ERROR.ORG_MISMATCH)).toMatchObject(
                { boundOrgId: production, orgId: sandbox }
            );
            expect(await store.boundOrg(connector)).toBe(production);
            expect(await store.relinkOrg(connector, sandbox, T0 + 3)).toEqual({ previousOrgId: production });
            await store.bindOrg(connector, sandbox, T0 + 4);
            await expectCode(store.bindOrg(connector, production, T0 + 5), STORE_ERROR.ORG_MISMATCH);
        });

        it('reports counts per status, source and object, the oldest pending age and quarantine size', async () => {
            const store = await open({ maxAttempts: 1 });
            const org = newOrg();
            await store.appendInbox(
                org,
                [inbox('s1', 'A'), inbox('s2', 'B', { source: 'clm:ironclad:webhook', objectType: 'contract' })],
                undefined,
                T0
            );
            await store.appendInbox(org, [inbox('s3', 'C')], undefined, T0 + 60_000);
            const [a] = await store.claimInbox(org, 'w', 1, T0 + 60_000);
            await store.fail(
                'inbox',
                org,
                claimOf(a!),
                { error: { code: 'X', message: 'x' }, retryAt: T0 },
                T0 + 60_000
            );
            const stats = await store.stats(org, T0 + 90_000);
            expect(stats.inbox.byStatus).toEqual({ pending: 2, processing: 0, done: 0, failed: 0, quarantined: 1 });
            expect(stats.inbox.byOrigin).toEqual({
                'salesforce:/data/OpportunityChangeEvent': { pending: 1, quarantined: 1 },
                'clm:ironclad:webhook': { pending: 1 }
            });
            expect(stats.inbox.byObject).toEqual({
                Opportunity: { pending: 1, quarantined: 1 },
                contract: { pending: 1 }
            });
            expect(stats.inbox.oldestPendingAgeMs).toBe(90_000);
            expect(stats.quarantined).toBe(1);
            expect(stats.outbox.oldestPendingAgeMs).toBe(0);
        });

        it('rejects bad input with STORE.VALIDATION naming the field, before touching the database', async () => {
            const store = await open();
            const org = newOrg();
            expect(
                await expectCode(
                    store.appendInbox(org, [inbox('v1', 'k'), inbox('', 'k')], undefined, T0),
                    STORE_ERROR.VALIDATION
                )
            ).toEqual({ field: 'items[1].eventId' });
            expect(
                await expectCode(
                    store.appendInbox(org, [inbox('v1', 'k')], { channel: '/data/X', replayId: '' }, T0),
                    STORE_ERROR.VALIDATION
                )
            ).toEqual({ field: 'checkpoint.replayId' });
            expect(await expectCode(store.claimInbox(org, 'w', 0, T0), STORE_ERROR.VALIDATION)).toEqual({
                field: 'limit'
            });
            expect(
                await expectCode(
                    store.commitPlan({
                        orgId: org,
                        outbox: [{ ...outbox('o', 'p'), target: 'ftp' as 'clm' }],
                        now: T0
                    }),
                    STORE_ERROR.VALIDATION
                )
            ).toEqual({ field: 'outbox[0].target' });
            expect(
                await expectCode(
                    store.commitPlan({
                        orgId: org,
                        pair: { pairId: 'p', expectedVersion: 0, state: stateWith('q', 'x') },
                        now: T0
                    }),
                    STORE_ERROR.VALIDATION
                )
            ).toEqual({ field: 'pair.state.pairId' });
            expect((await store.stats(org, T0)).inbox.byStatus.pending).toBe(0);
        });

        it('keeps a backfill job: counters and cursor move with each batch, one transaction, refused to a stale runner', async () => {
            const store = await open();
            const second = await open();
            const org = newOrg();
            const job = await store.createBackfillJob(org, { jobId: 'bf-1', object: 'Opportunity', since: null }, T0);
            expect(job).toMatchObject({ state: 'Queued', phase: 'read', processed: 0, total: null, queryJobId: null });
            await expectCode(
                store.createBackfillJob(org, { jobId: 'bf-1', object: 'Opportunity', since: null }, T0),
                STORE_ERROR.LINK_CONFLICT
            );
            // The Bulk query's id is stored before waiting for it: a restart (another connection) reads it back.
            await store.updateBackfillJob(
                org,
                'bf-1',
                { state: 'Running', queryJobId: '750000000000001AAA', total: 3, transport: 'bulk', phase: 'plan' },
                T0 + 1
            );
            expect(await second.getBackfillJob(org, 'bf-1')).toMatchObject({
                state: 'Running',
                queryJobId: '750000000000001AAA',
                total: 3,
                transport: 'bulk'
            });
            const [oppA, oppB] = [sfId('006'), sfId('006')];
            const record = (opportunity: string, extra: Record<string, unknown> = {}) => ({
                pairId: `opp:${opportunity}`,
                links: {
                    salesforce: { opportunity },
                    clm: [{ vendor: 'memory', objectType: 'contract', id: `M-${opportunity}` }]
                },
                expectedVersion: null,
                state: stateWith(`opp:${opportunity}`, 'Draft'),
                changeLog: [logEntry(`opp:${opportunity}`, `bf:${opportunity}`)],
                outbox: [outbox(`bf:clm:${opportunity}`, `opp:${opportunity}`)],
                writes: [{ sfObject: 'Opportunity', recordId: opportunity, fields: { CLM_Lifecycle__c: 'Draft' } }],
                correlationId: `corr-${opportunity}`,
                ...extra
            });
            let after = await store.commitBackfillBatch({
                orgId: org,
                jobId: 'bf-1',
                expectedProcessed: 0,
                count: 2,
                linked: 2,
                errors: 0,
                cursor: oppB,
                records: [record(oppA), record(oppB)],
                now: T0 + 2
            });
            expect(after).toMatchObject({ processed: 2, linked: 2, errors: 0, cursor: oppB });
            expect(await store.findPair(org, { salesforceId: oppA })).toMatchObject({
                pairId: `opp:${oppA}`,
                version: 1,
                clm: [{ vendor: 'memory', id: `M-${oppA}` }]
            });
            // A runner that still thinks the cursor is at 0 (the killed one, say) is refused, and writes nothing.
            await expectCode(
                second.commitBackfillBatch({
                    orgId: org,
                    jobId: 'bf-1',
                    expectedProcessed: 0,
                    count: 1,
                    linked: 1,
                    errors: 0,
                    cursor: 'x',
                    records: [record(sfId('006'))],
                    now: T0 + 3
                }),
                STORE_ERROR.CONCURRENT_UPDATE
            );
            // A batch that fails part-way (a link owned by another pair) leaves nothing behind, the cursor included.
            const clash = record(sfId('006'), {
                links: { clm: [{ vendor: 'memory', objectType: 'contract', id: `M-${oppA}` }] }
            });
            await expectCode(
                store.commitBackfillBatch({
                    orgId: org,
                    jobId: 'bf-1',
                    expectedProcessed: 2,
                    count: 2,
                    linked: 2,
                    errors: 0,
                    cursor: 'y',
                    records: [record(sfId('006')), clash],
                    now: T0 + 3
                }),
                STORE_ERROR.LINK_CONFLICT
            );
            after = (await store.getBackfillJob(org, 'bf-1'))!;
            expect(after).toMatchObject({ processed: 2, cursor: oppB });
            expect((await store.listBackfillWrites(org, 'bf-1', { status: 'pending' })).length).toBe(2);
            expect((await store.readChangeLog(org)).length).toBe(2);
            expect((await store.stats(org, T0)).outbox.byStatus.pending).toBe(2);
            const failed = await store.commitBackfillBatch({
                orgId: org,
                jobId: 'bf-1',
                expectedProcessed: 2,
                count: 3,
                linked: 0,
                errors: 1,
                cursor: 'z',
                records: [],
                now: T0 + 4
            });
            expect(failed).toMatchObject({ processed: 5, linked: 2, errors: 1, cursor: 'z' });
            expect(await store.listBackfillJobs(org, { unfinished: true })).toHaveLength(1);
        });

        it("tracks a backfill's writes through a Bulk job: assigned before sending, settled once, failures to the outbox", async () => {
            const store = await open();
            const org = newOrg();
            await store.createBackfillJob(org, { jobId: 'bf-2', object: 'Opportunity', since: '2024-01-01' }, T0);
            const opportunities = [sfId('006'), sfId('006'), sfId('006')];
            await store.commitBackfillBatch({
                orgId: org,
                jobId: 'bf-2',
                expectedProcessed: 0,
                count: 3,
                linked: 3,
                errors: 0,
                cursor: opportunities[2]!,
                records: opportunities.map((opportunity) => ({
                    pairId: `opp:${opportunity}`,
                    links: { salesforce: { opportunity } },
                    expectedVersion: null,
                    state: stateWith(`opp:${opportunity}`, 'Draft'),
                    writes: [{ sfObject: 'Opportunity', recordId: opportunity, fields: { CLM_Lifecycle__c: null } }],
                    correlationId: `corr-${opportunity}`
                })),
                now: T0
            });
            const pending = await store.listBackfillWrites(org, 'bf-2', { status: 'pending', sfObject: 'Opportunity' });
            expect(pending.map((write) => write.recordId)).toEqual(opportunities);
            expect(pending[0]).toMatchObject({ fields: { CLM_Lifecycle__c: null }, bulkJobId: null });
            await store.assignBackfillWrites(
                org,
                'bf-2',
                pending.map((write) => write.id),
                '750000000000002AAA',
                T0
            );
            const sent = await store.listBackfillWrites(org, 'bf-2', {
                status: 'sent',
                bulkJobId: '750000000000002AAA'
            });
            expect(sent).toHaveLength(3);
            const settle = () =>
                store.settleBackfillWrites({
                    orgId: org,
                    jobId: 'bf-2',
                    outcomes: [
                        { id: sent[0]!.id, ok: true },
                        { id: sent[1]!.id, ok: true },
                        { id: sent[2]!.id, ok: false, error: { code: 'SF.FIELD_INTEGRITY', message: 'bad value' } }
                    ],
                    outbox: [outbox(`backfill:bf-2:${sent[2]!.id}`, `opp:${opportunities[2]}`)],
                    now: T0 + 1
                });
            expect(await settle()).toMatchObject({ written: 2, errors: 1 });
            // Settling the same results again (a restart that read them twice) counts nothing twice.
            expect(await settle()).toMatchObject({ written: 2, errors: 1 });
            expect((await store.stats(org, T0)).outbox.byStatus.pending).toBe(1);
            expect(await store.listBackfillWrites(org, 'bf-2', { status: 'failed' })).toHaveLength(1);
            // Writes can go back to pending (a Bulk job that never got its data).
            const [open_] = await store.listBackfillWrites(org, 'bf-2', { status: 'done', limit: 1 });
            await store.assignBackfillWrites(org, 'bf-2', [open_!.id], null, T0 + 2);
            expect(await store.listBackfillWrites(org, 'bf-2', { status: 'pending' })).toHaveLength(1);
            await store.updateBackfillJob(
                org,
                'bf-2',
                { state: 'Completed', phase: 'done', finishedAt: T0 + 3 },
                T0 + 3
            );
            expect(await store.listBackfillJobs(org, { unfinished: true })).toHaveLength(0);
            expect((await store.listBackfillJobs(org))[0]).toMatchObject({ since: '2024-01-01', finishedAt: T0 + 3 });
        });

        it('purges finished rows older than the dedupe window and keeps the rest', async () => {
            const store = await open();
            const org = newOrg();
            await store.appendInbox(org, [inbox('p1', 'A'), inbox('p2', 'B')], undefined, T0);
            const [first] = await store.claimInbox(org, 'w', 1, T0);
            await store.complete('inbox', org, claimOf(first!), T0);
            expect(await store.purgeDone(org, T0)).toBe(0);
            expect(await store.purgeDone(org, T0 + 1)).toBe(1);
            expect(await store.getItem('inbox', org, first!.id)).toBeNull();
            expect((await store.stats(org, T0)).inbox.byStatus.pending).toBe(1);
        });
    });
}
