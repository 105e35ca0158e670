/**
 * The change log (append-only, hash-chained per org) and the conflicts.
 */
import { z } from 'zod';
import type {
    ChainVerification,
    ChangeLogInput,
    ChangeLogRecord,
    ConflictInput,
    ConflictRecord,
    Millis
} from '../../ports/store.ts';
import { canonicalJson, chainHash, GENESIS_HASH } from './changeLogChain.ts';
import { check } from './inputs.ts';
import type { SqlTx } from './sqlDriver.ts';
import { MAX_BATCH, VERIFY_PAGE, num, numOrNull, str, whereEquals, type Row } from './sqlRows.ts';
import type { SqlContext } from './sqlContext.ts';

export class SqlChangeLog {
    constructor(private readonly sql: SqlContext) {}

    /** Extends the org's chain under a lock on its head row; entries whose idempotency key exists are skipped. */
    async appendChangeLog(tx: SqlTx, orgId: string, entries: ChangeLogInput[], now: Millis): Promise<number[]> {
        await tx.run(
            `INSERT INTO change_log_heads (org_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (org_id) DO NOTHING`,
            [orgId, GENESIS_HASH]
        );
        const heads = await tx.all(`SELECT seq, hash FROM change_log_heads WHERE org_id = $1 ${this.sql.forUpdate}`, [
            orgId
        ]);
        let seq = num(heads[0]?.seq);
        let hash = str(heads[0]?.hash);
        const appended: number[] = [];
        for (const entry of entries) {
            const exists = await tx.all(`SELECT seq FROM change_log WHERE org_id = $1 AND idempotency_key = $2`, [
                orgId,
                entry.idempotencyKey
            ]);
            if (exists[0]) continue;
            const record = { ...entry, orgId, seq: seq + 1, at: now };
            const body = canonicalJson(record);
            const next = chainHash(hash, body);
            await tx.run(
                `INSERT INTO change_log (org_id, seq, pair_id, idempotency_key, at, entry, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
                [orgId, record.seq, entry.pairId, entry.idempotencyKey, now, body, hash, next]
            );
            seq = record.seq;
            hash = next;
            appended.push(seq);
        }
        await tx.run(`UPDATE change_log_heads SET seq = $2, hash = $3 WHERE org_id = $1`, [orgId, seq, hash]);
        return appended;
    }

    // ---- change log ----

    async readChangeLog(
        orgId: string,
        opts: { afterSeq?: number; limit?: number; pairId?: string } = {}
    ): Promise<ChangeLogRecord[]> {
        const limit = check(z.number().int().positive().max(MAX_BATCH), opts.limit ?? 500, 'limit');
        const afterSeq = check(z.number().int().nonnegative(), opts.afterSeq ?? 0, 'afterSeq');
        const filter = whereEquals({ org_id: orgId, pair_id: opts.pairId });
        const next = filter.params.length + 1;
        const rows = await this.sql.tx((tx) =>
            tx.all(`SELECT * FROM change_log WHERE ${filter.sql} AND seq > $${next} ORDER BY seq LIMIT $${next + 1}`, [
                ...filter.params,
                afterSeq,
                limit
            ])
        );
        return rows.map((row) => ({
            ...(JSON.parse(str(row.entry)) as ChangeLogRecord),
            prevHash: str(row.prev_hash),
            hash: str(row.hash)
        }));
    }

    /** Walks the org's chain from the start; reports the first row whose hash, link or sequence is wrong. */
    async verifyChangeLog(orgId: string): Promise<ChainVerification> {
        // The head first: rows appended while we walk lie beyond it and are left for the next run.
        const heads = await this.sql.tx((tx) =>
            tx.all(`SELECT seq, hash FROM change_log_heads WHERE org_id = $1`, [orgId])
        );
        const headSeq = heads[0] ? num(heads[0].seq) : 0;
        const headHash = heads[0] ? str(heads[0].hash) : GENESIS_HASH;
        let expectedSeq = 1;
        let prevHash = GENESIS_HASH;
        for (;;) {
            const rows = await this.sql.tx((tx) =>
                tx.all(`SELECT * FROM change_log WHERE org_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq LIMIT $4`, [
                    orgId,
                    expectedSeq,
                    headSeq,
                    VERIFY_PAGE
                ])
            );
            for (const row of rows) {
                const seq = num(row.seq);
                const count = expectedSeq - 1;
                if (seq !== expectedSeq) return { ok: false, count, brokenAt: expectedSeq, reason: 'sequence' };
                if (str(row.prev_hash) !== prevHash) return { ok: false, count, brokenAt: seq, reason: 'link' };
                if (!this.rowMatchesHash(orgId, row)) return { ok: false, count, brokenAt: seq, reason: 'hash' };
                prevHash = str(row.hash);
                expectedSeq++;
            }
            if (rows.length < VERIFY_PAGE) break;
        }
        const count = expectedSeq - 1;
        // Rows cut from the end leave a chain that is valid up to where it stops: the head still remembers.
        if (count !== headSeq || prevHash !== headHash)
            return { ok: false, count, brokenAt: count < headSeq ? count + 1 : headSeq, reason: 'head' };
        return { ok: true, count, headHash };
    }

    private rowMatchesHash(orgId: string, row: Row): boolean {
        let entry: Record<string, unknown>;
        try {
            entry = JSON.parse(str(row.entry)) as Record<string, unknown>;
        } catch {
            return false;
        }
        const columnsAgree =
            entry.orgId === orgId &&
            entry.seq === num(row.seq) &&
            entry.at === num(row.at) &&
            entry.pairId === str(row.pair_id) &&
            entry.idempotencyKey === str(row.idempotency_key);
        return columnsAgree && chainHash(str(row.prev_hash), canonicalJson(entry)) === str(row.hash);
    }

    async listConflicts(
        orgId: string,
        opts: { pairId?: string; status?: 'open' | 'resolved'; limit?: number } = {}
    ): Promise<ConflictRecord[]> {
        const limit = check(z.number().int().positive().max(MAX_BATCH), opts.limit ?? 500, 'limit');
        const filter = whereEquals({ org_id: orgId, pair_id: opts.pairId, status: opts.status });
        const rows = await this.sql.tx((tx) =>
            tx.all(`SELECT * FROM conflicts WHERE ${filter.sql} ORDER BY id LIMIT $${filter.params.length + 1}`, [
                ...filter.params,
                limit
            ])
        );
        return rows.map((row) => ({
            ...(JSON.parse(str(row.body)) as ConflictInput),
            id: num(row.id),
            orgId,
            status: str(row.status) as 'open' | 'resolved',
            createdAt: num(row.created_at),
            resolvedAt: numOrNull(row.resolved_at)
        }));
    }
}
