/**
 * Pairs and plans: a pair's links and state, and the one transaction that commits a plan.
 */
import { z } from 'zod';
import { emptyPairState, PairState } from '../../domain/syncState.ts';
import {
    STORE_ERROR,
    storeError,
    type ChangeLogInput,
    type CommitResult,
    type ConflictInput,
    type LinkedPair,
    type Millis,
    type OutboxInput,
    type PairLinks,
    type PairLookup,
    type PlanCommit,
    type SalesforceLinkKind
} from '../../ports/store.ts';
import { canonicalJson } from './changeLogChain.ts';
import { check, ClaimRefSchema, ClmRefSchema, OutboxInputSchema, PairLinksSchema, schemas } from './inputs.ts';
import type { SqlTx } from './sqlDriver.ts';
import {
    MAX_BATCH,
    ChangeLogInputSchema,
    ConflictInputSchema,
    num,
    str,
    salesforceKey,
    linkRows,
    clmRefType
} from './sqlRows.ts';
import type { SqlQueues } from './sqlQueues.ts';
import type { SqlChangeLog } from './sqlChangeLog.ts';
import type { SqlContext } from './sqlContext.ts';

export class SqlPairs {
    constructor(
        private readonly sql: SqlContext,
        private readonly queues: SqlQueues,
        private readonly changeLog: SqlChangeLog
    ) {}

    // ---- pairs ----

    async createPair(orgId: string, pairId: string, links: PairLinks, now: Millis): Promise<LinkedPair> {
        check(schemas.key, orgId, 'orgId');
        check(schemas.key, pairId, 'pairId');
        const parsed = check(PairLinksSchema, links, 'links');
        return this.sql.tx(async (tx) => {
            const inserted = await tx.all(
                `INSERT INTO pairs (org_id, pair_id, state, version, created_at, updated_at) VALUES ($1, $2, $3, 0, $4, $4)
                 ON CONFLICT (org_id, pair_id) DO NOTHING RETURNING pair_id`,
                [orgId, pairId, JSON.stringify(emptyPairState(pairId)), now]
            );
            if (!inserted[0])
                throw storeError(STORE_ERROR.LINK_CONFLICT, `Pair ${pairId} already exists`, {
                    field: 'pairId',
                    pairId
                });
            await this.addLinks(tx, orgId, pairId, parsed, now);
            return this.readPair(tx, orgId, pairId);
        });
    }

    async linkPair(orgId: string, pairId: string, links: PairLinks, now: Millis): Promise<LinkedPair> {
        const parsed = check(PairLinksSchema, links, 'links');
        return this.sql.tx(async (tx) => {
            const pair = await tx.all(
                `SELECT pair_id FROM pairs WHERE org_id = $1 AND pair_id = $2 ${this.sql.forUpdate}`,
                [orgId, pairId]
            );
            if (!pair[0]) throw storeError(STORE_ERROR.NOT_FOUND, `No pair ${pairId}`, { pairId });
            await this.addLinks(tx, orgId, pairId, parsed, now);
            await tx.run(`UPDATE pairs SET updated_at = $3 WHERE org_id = $1 AND pair_id = $2`, [orgId, pairId, now]);
            return this.readPair(tx, orgId, pairId);
        });
    }

    /** Adds links; a ref already on this pair is kept, one on another pair (or a second id of a kind) is refused. */
    async addLinks(tx: SqlTx, orgId: string, pairId: string, links: PairLinks, now: Millis): Promise<void> {
        for (const link of linkRows(links)) {
            const owner = await tx.all(
                `SELECT pair_id FROM pair_links WHERE org_id = $1 AND ref_type = $2 AND ref_key = $3`,
                [orgId, link.refType, link.refKey]
            );
            if (owner[0]) {
                if (str(owner[0].pair_id) === pairId) continue;
                throw storeError(
                    STORE_ERROR.LINK_CONFLICT,
                    `${link.field} ${link.externalId} is linked to another pair`,
                    {
                        field: link.field,
                        pairId,
                        linkedPairId: owner[0].pair_id
                    }
                );
            }
            if (link.refType.startsWith('sf:')) {
                const sameKind = await tx.all(
                    `SELECT external_id FROM pair_links WHERE org_id = $1 AND pair_id = $2 AND ref_type = $3`,
                    [orgId, pairId, link.refType]
                );
                if (sameKind[0]) {
                    throw storeError(
                        STORE_ERROR.LINK_CONFLICT,
                        `Pair ${pairId} already links ${link.field} ${String(sameKind[0].external_id)}`,
                        {
                            field: link.field,
                            pairId
                        }
                    );
                }
            }
            try {
                await tx.run(
                    `INSERT INTO pair_links (org_id, ref_type, ref_key, external_id, pair_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
                    [orgId, link.refType, link.refKey, link.externalId, pairId, now]
                );
            } catch (error) {
                // Another instance linked the same ref between our check and our insert.
                if (!this.sql.driver.isUniqueViolation(error)) throw error;
                throw storeError(
                    STORE_ERROR.LINK_CONFLICT,
                    `${link.field} ${link.externalId} was linked concurrently`,
                    { field: link.field, pairId },
                    error
                );
            }
        }
    }

    private async readPair(tx: SqlTx, orgId: string, pairId: string): Promise<LinkedPair> {
        const pairs = await tx.all(`SELECT * FROM pairs WHERE org_id = $1 AND pair_id = $2`, [orgId, pairId]);
        const row = pairs[0];
        if (!row) throw storeError(STORE_ERROR.NOT_FOUND, `No pair ${pairId}`, { pairId });
        const links = await tx.all(
            `SELECT ref_type, external_id FROM pair_links WHERE org_id = $1 AND pair_id = $2 ORDER BY created_at, ref_type, ref_key`,
            [orgId, pairId]
        );
        const pair: LinkedPair = {
            orgId,
            pairId,
            salesforce: {},
            clm: [],
            state: PairState.parse(JSON.parse(str(row.state))),
            version: num(row.version),
            createdAt: num(row.created_at),
            updatedAt: num(row.updated_at)
        };
        for (const link of links) {
            const [system, vendor = '', ...objectType] = str(link.ref_type).split(':');
            if (system === 'sf') pair.salesforce[vendor as SalesforceLinkKind] = str(link.external_id);
            else pair.clm.push({ vendor, objectType: objectType.join(':'), id: str(link.external_id) });
        }
        return pair;
    }

    async findPair(orgId: string, lookup: PairLookup): Promise<LinkedPair | null> {
        return this.sql.tx(async (tx) => {
            let pairId: string | undefined;
            if ('pairId' in lookup) {
                pairId = check(schemas.key, lookup.pairId, 'pairId');
            } else if ('salesforceId' in lookup) {
                const rows = await tx.all(
                    `SELECT pair_id FROM pair_links WHERE org_id = $1 AND ref_key = $2 AND ref_type LIKE 'sf:%'`,
                    [orgId, salesforceKey(check(schemas.key, lookup.salesforceId, 'salesforceId'))]
                );
                pairId = rows[0] ? str(rows[0].pair_id) : undefined;
            } else {
                const ref = check(ClmRefSchema, lookup.clm, 'clm');
                const rows = await tx.all(
                    `SELECT pair_id FROM pair_links WHERE org_id = $1 AND ref_type = $2 AND ref_key = $3`,
                    [orgId, clmRefType(ref), ref.id]
                );
                pairId = rows[0] ? str(rows[0].pair_id) : undefined;
            }
            if (pairId === undefined) return null;
            const exists = await tx.all(`SELECT 1 AS found FROM pairs WHERE org_id = $1 AND pair_id = $2`, [
                orgId,
                pairId
            ]);
            return exists[0] ? this.readPair(tx, orgId, pairId) : null;
        });
    }

    async listPairs(orgId: string, opts: { afterPairId?: string; limit: number }): Promise<LinkedPair[]> {
        const limit = check(z.number().int().min(1).max(10_000), opts.limit, 'limit');
        return this.sql.tx(async (tx) => {
            const rows = await tx.all(
                `SELECT pair_id FROM pairs WHERE org_id = $1 AND pair_id > $2 ORDER BY pair_id LIMIT $3`,
                [orgId, opts.afterPairId ?? '', limit]
            );
            const pairs: LinkedPair[] = [];
            for (const row of rows) pairs.push(await this.readPair(tx, orgId, str(row.pair_id)));
            return pairs;
        });
    }

    // ---- commitPlan ----

    async commitPlan(commit: PlanCommit): Promise<CommitResult> {
        const orgId = check(schemas.key, commit.orgId, 'orgId');
        const now = check(schemas.millis, commit.now, 'now');
        const inbox = commit.inbox === undefined ? undefined : check(ClaimRefSchema, commit.inbox, 'inbox');
        const pair =
            commit.pair === undefined
                ? undefined
                : check(
                      z.object({
                          pairId: schemas.key,
                          expectedVersion: z.number().int().nonnegative(),
                          state: PairState
                      }),
                      commit.pair,
                      'pair'
                  );
        if (pair && pair.state.pairId !== pair.pairId) {
            throw storeError(STORE_ERROR.VALIDATION, `pair.state.pairId ${pair.state.pairId} is not ${pair.pairId}`, {
                field: 'pair.state.pairId'
            });
        }
        const changeLog = check(z.array(ChangeLogInputSchema).max(MAX_BATCH), commit.changeLog ?? [], 'changeLog');
        const outbox = check(z.array(OutboxInputSchema).max(MAX_BATCH), commit.outbox ?? [], 'outbox');
        const conflicts = check(z.array(ConflictInputSchema).max(MAX_BATCH), commit.conflicts ?? [], 'conflicts');
        const resolvedConflicts = check(
            z.array(z.object({ pairId: schemas.key, rule: schemas.key })).max(MAX_BATCH),
            commit.resolvedConflicts ?? [],
            'resolvedConflicts'
        );

        return this.sql.tx(async (tx) => {
            if (inbox) await this.queues.finish(tx, 'inbox', orgId, inbox, `status = 'done', updated_at = $5`, [now]);
            return this.applyPlan(tx, orgId, { pair, changeLog, outbox, conflicts, resolvedConflicts }, now);
        });
    }

    /** The part of a commit that writes the plan: pair state, change log, outbox, settled and new conflicts. */
    async applyPlan(
        tx: SqlTx,
        orgId: string,
        plan: {
            pair?: { pairId: string; expectedVersion: number; state: PairState };
            changeLog: ChangeLogInput[];
            outbox: OutboxInput[];
            conflicts: ConflictInput[];
            resolvedConflicts: { pairId: string; rule: string }[];
        },
        now: Millis
    ): Promise<CommitResult> {
        const { pair, changeLog, outbox, conflicts, resolvedConflicts } = plan;
        const result: CommitResult = { outboxIds: [], outboxDuplicates: 0, changeLogSeqs: [], conflictIds: [] };
        if (pair) result.pairVersion = await this.writePairState(tx, orgId, pair, now);
        if (changeLog.length > 0)
            result.changeLogSeqs = await this.changeLog.appendChangeLog(tx, orgId, changeLog, now);
        for (const item of outbox) {
            const rows = await tx.all(
                `INSERT INTO outbox (org_id, target, operation, idempotency_key, ordering_key, object_type, payload, correlation_id,
                    status, attempts, next_attempt_at, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $9, $9)
                 ON CONFLICT (org_id, idempotency_key) DO NOTHING RETURNING id`,
                [
                    orgId,
                    item.target,
                    item.operation,
                    item.idempotencyKey,
                    item.orderingKey,
                    item.objectType ?? null,
                    JSON.stringify(item.payload),
                    item.correlationId,
                    now
                ]
            );
            if (rows[0]) result.outboxIds.push(num(rows[0].id));
            else result.outboxDuplicates++;
        }
        // Settled conflicts close before new ones open, so a plan may close a rule's conflict and raise another.
        for (const settled of resolvedConflicts) {
            await tx.run(
                `UPDATE conflicts SET status = 'resolved', resolved_at = $4
                 WHERE org_id = $1 AND pair_id = $2 AND rule = $3 AND status = 'open'`,
                [orgId, settled.pairId, settled.rule, now]
            );
        }
        for (const conflict of conflicts) {
            const rows = await tx.all(
                `INSERT INTO conflicts (org_id, pair_id, rule, event_id, body, status, created_at) VALUES ($1, $2, $3, $4, $5, 'open', $6)
                 ON CONFLICT (org_id, pair_id, rule, event_id) DO NOTHING RETURNING id`,
                [orgId, conflict.pairId, conflict.rule, conflict.eventId, canonicalJson(conflict), now]
            );
            if (rows[0]) result.conflictIds.push(num(rows[0].id));
        }
        return result;
    }

    private async writePairState(
        tx: SqlTx,
        orgId: string,
        pair: { pairId: string; expectedVersion: number; state: PairState },
        now: Millis
    ): Promise<number> {
        const rows = await tx.all(
            `UPDATE pairs SET state = $3, version = version + 1, updated_at = $5
             WHERE org_id = $1 AND pair_id = $2 AND version = $4 RETURNING version`,
            [orgId, pair.pairId, JSON.stringify(pair.state), pair.expectedVersion, now]
        );
        if (rows[0]) return num(rows[0].version);
        const current = await tx.all(`SELECT version FROM pairs WHERE org_id = $1 AND pair_id = $2`, [
            orgId,
            pair.pairId
        ]);
        if (!current[0]) throw storeError(STORE_ERROR.NOT_FOUND, `No pair ${pair.pairId}`, { pairId: pair.pairId });
        throw storeError(
            STORE_ERROR.CONCURRENT_UPDATE,
            `Pair ${pair.pairId} changed since version ${pair.expectedVersion}`,
            {
                pairId: pair.pairId,
                expectedVersion: pair.expectedVersion,
                actualVersion: num(current[0].version)
            }
        );
    }
}
