/**
 * The store for several instances: PostgreSQL through `pg`. Claims use `FOR UPDATE SKIP LOCKED` (two instances
 * never take the same item), the change-log head is locked per org, and leases are one atomic upsert.
 * Transactions run at READ COMMITTED: every check that guards a write is in the write's own WHERE clause.
 */
import pg from 'pg';
import { z } from 'zod';
import type { StoreOptions } from '../../../ports/store.ts';
import { check } from '../inputs.ts';
import { SqlStore } from '../sqlStore.ts';
import type { SqlDriver, SqlParam, SqlTx } from '../sqlDriver.ts';

/** Serialises schema migrations of concurrently starting instances. */
const MIGRATION_LOCK = 0x636c6d73; // 'clms'

export class PostgresDriver implements SqlDriver {
    readonly dialect = 'postgres' as const;

    constructor(private readonly pool: pg.Pool) {}

    async transaction<T>(work: (tx: SqlTx) => Promise<T>): Promise<T> {
        const client = await this.pool.connect();
        const tx: SqlTx = {
            all: async <Row>(sql: string, params: readonly SqlParam[] = []) =>
                (await client.query(sql, [...params])).rows as Row[],
            run: async (sql: string, params: readonly SqlParam[] = []) =>
                (await client.query(sql, [...params])).rowCount ?? 0
        };
        let broken = false;
        try {
            await client.query('BEGIN');
            const result = await work(tx);
            await client.query('COMMIT');
            return result;
        } catch (error) {
            try {
                await client.query('ROLLBACK');
            } catch {
                broken = true; // the connection is gone; do not hand it back to the pool
            }
            throw error;
        } finally {
            client.release(broken);
        }
    }

    async migrate(
        migrations: readonly { version: number; statements: readonly string[] }[],
        now: number
    ): Promise<void> {
        await this.transaction(async (tx) => {
            await tx.run('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
            await tx.run(
                'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)'
            );
            const applied = new Set(
                (await tx.all<{ version: number }>('SELECT version FROM schema_migrations')).map((row) => row.version)
            );
            for (const migration of migrations) {
                if (applied.has(migration.version)) continue;
                for (const statement of migration.statements) await tx.run(statement);
                await tx.run('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
                    migration.version,
                    now
                ]);
            }
        });
    }

    isUniqueViolation(error: unknown): boolean {
        return (error as { code?: unknown })?.code === '23505';
    }

    async close(): Promise<void> {
        await this.pool.end();
    }
}

export interface PostgresStoreOptions extends StoreOptions {
    connectionString: string;
    /** Connections in this instance's pool. */
    poolSize?: number;
    /** How long to wait for a connection before the call fails with STORE.UNAVAILABLE. */
    connectTimeoutMs?: number;
}

export async function openPostgresStore(options: PostgresStoreOptions): Promise<SqlStore> {
    const connectionString = check(z.string().min(1), options.connectionString, 'connectionString');
    const poolSize = check(z.number().int().min(1).max(100), options.poolSize ?? 5, 'poolSize');
    const pool = new pg.Pool({
        connectionString,
        max: poolSize,
        connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000
    });
    // An idle client's network error must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    return SqlStore.open(new PostgresDriver(pool), options);
}
