/**
 * Leases (one holder per name) and the org binding (a refreshed sandbox never writes into production state).
 */
import { z } from 'zod';
import { STORE_ERROR, storeError, type LeaseResult, type Millis } from '../../ports/store.ts';
import { check, schemas } from './inputs.ts';
import { str, leaseOf } from './sqlRows.ts';
import type { SqlContext } from './sqlContext.ts';

export class SqlLeases {
    constructor(private readonly sql: SqlContext) {}

    // ---- leases ----

    /**
     * One atomic upsert: it takes the lease when free or expired, extends it for its holder, and otherwise
     * changes nothing — so concurrent acquirers on PostgreSQL cannot both win.
     */
    async acquireLease(name: string, holder: string, ttlMs: number, now: Millis): Promise<LeaseResult> {
        check(schemas.key, name, 'name');
        check(schemas.key, holder, 'holder');
        check(z.number().int().positive(), ttlMs, 'ttlMs');
        return this.sql.tx(async (tx) => {
            const won = await tx.all(
                `INSERT INTO leases (name, holder, expires_at, generation) VALUES ($1, $2, $3, 1)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
                    generation = CASE WHEN leases.holder = excluded.holder THEN leases.generation ELSE leases.generation + 1 END
                 WHERE leases.holder = excluded.holder OR leases.expires_at <= $4
                 RETURNING name, holder, expires_at, generation`,
                [name, holder, now + ttlMs, now]
            );
            if (won[0]) return { acquired: true, lease: leaseOf(won[0]) };
            const current = await tx.all(`SELECT * FROM leases WHERE name = $1`, [name]);
            return { acquired: false, current: current[0] ? leaseOf(current[0]) : null };
        });
    }

    async renewLease(name: string, holder: string, ttlMs: number, now: Millis): Promise<boolean> {
        check(z.number().int().positive(), ttlMs, 'ttlMs');
        const changed = await this.sql.tx((tx) =>
            tx.run(`UPDATE leases SET expires_at = $3 WHERE name = $1 AND holder = $2`, [name, holder, now + ttlMs])
        );
        return changed > 0;
    }

    async releaseLease(name: string, holder: string): Promise<boolean> {
        // Expire rather than delete: the generation (fencing token) keeps counting up.
        const changed = await this.sql.tx((tx) =>
            tx.run(`UPDATE leases SET expires_at = 0 WHERE name = $1 AND holder = $2`, [name, holder])
        );
        return changed > 0;
    }

    // ---- org binding ----

    async bindOrg(connector: string, orgId: string, now: Millis): Promise<void> {
        check(schemas.key, connector, 'connector');
        check(schemas.key, orgId, 'orgId');
        await this.sql.tx(async (tx) => {
            await tx.run(
                `INSERT INTO org_bindings (connector, org_id, bound_at) VALUES ($1, $2, $3) ON CONFLICT (connector) DO NOTHING`,
                [connector, orgId, now]
            );
            const rows = await tx.all(`SELECT org_id FROM org_bindings WHERE connector = $1`, [connector]);
            const boundOrgId = str(rows[0]?.org_id);
            if (boundOrgId !== orgId) {
                throw storeError(
                    STORE_ERROR.ORG_MISMATCH,
                    `Connector ${connector} holds the state of org ${boundOrgId}, not ${orgId} (a refreshed sandbox?); an admin must relink it`,
                    { field: 'orgId', connector, boundOrgId, orgId }
                );
            }
        });
    }

    async relinkOrg(connector: string, orgId: string, now: Millis): Promise<{ previousOrgId: string | null }> {
        check(schemas.key, connector, 'connector');
        check(schemas.key, orgId, 'orgId');
        return this.sql.tx(async (tx) => {
            const rows = await tx.all(`SELECT org_id FROM org_bindings WHERE connector = $1 ${this.sql.forUpdate}`, [
                connector
            ]);
            const previousOrgId = rows[0] ? str(rows[0].org_id) : null;
            await tx.run(
                `INSERT INTO org_bindings (connector, org_id, previous_org_id, bound_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (connector) DO UPDATE SET org_id = excluded.org_id, previous_org_id = excluded.previous_org_id, bound_at = excluded.bound_at`,
                [connector, orgId, previousOrgId, now]
            );
            return { previousOrgId };
        });
    }

    async boundOrg(connector: string): Promise<string | null> {
        const rows = await this.sql.tx((tx) =>
            tx.all(`SELECT org_id FROM org_bindings WHERE connector = $1`, [connector])
        );
        return rows[0] ? str(rows[0].org_id) : null;
    }
}
