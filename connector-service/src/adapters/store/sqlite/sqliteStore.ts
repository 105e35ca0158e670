/**
 * The embedded store: SQLite through better-sqlite3, in WAL mode with `synchronous=FULL`, so a commit that
 * gates an acknowledgement or a replay-id advance is on disk before the call returns.
 *
 * SQLite has one writer at a time. Every transaction here is `BEGIN IMMEDIATE`, and transactions of all
 * connections to the same file in this process take turns through one queue (better-sqlite3 is synchronous:
 * a connection waiting on the file lock would block the thread that must finish the other transaction).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import type { StoreOptions } from '../../../ports/store.ts';
import { check } from '../inputs.ts';
import { SqlStore, unavailable } from '../sqlStore.ts';
import type { SqlDriver, SqlParam, SqlTx } from '../sqlDriver.ts';

/** Runs tasks one at a time, in arrival order. */
class TurnQueue {
    private tail: Promise<unknown> = Promise.resolve();
    run<T>(task: () => Promise<T>): Promise<T> {
        const result = this.tail.then(task, task);
        this.tail = result.catch(() => undefined);
        return result;
    }
}

const queuesByFile = new Map<string, TurnQueue>();

function queueFor(file: string): TurnQueue {
    if (file === ':memory:') return new TurnQueue();
    const key = path.resolve(file);
    let queue = queuesByFile.get(key);
    if (!queue) queuesByFile.set(key, (queue = new TurnQueue()));
    return queue;
}

/** Rewrites `$1`-style parameters to SQLite's anonymous `?`, returning the order to bind them in. */
function positional(sql: string): { sql: string; order: number[] } {
    const order: number[] = [];
    const rewritten = sql.replace(/\$(\d+)/g, (_, n: string) => {
        order.push(Number(n) - 1);
        return '?';
    });
    return { sql: rewritten, order };
}

export class SqliteDriver implements SqlDriver {
    readonly dialect = 'sqlite' as const;
    private readonly db: Database.Database;
    private readonly statements = new Map<string, { statement: Database.Statement; order: number[] }>();
    private readonly turns: TurnQueue;
    private readonly tx: SqlTx;

    constructor(readonly file: string) {
        this.db = new Database(file);
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = FULL');
        this.db.pragma('busy_timeout = 5000');
        this.turns = queueFor(file);
        this.tx = {
            all: async <Row>(sql: string, params: readonly SqlParam[] = []) => {
                const { statement, values } = this.prepare(sql, params);
                return (statement.reader ? statement.all(...values) : (statement.run(...values), [])) as Row[];
            },
            run: async (sql: string, params: readonly SqlParam[] = []) => {
                const { statement, values } = this.prepare(sql, params);
                return statement.run(...values).changes;
            }
        };
    }

    private prepare(sql: string, params: readonly SqlParam[]): { statement: Database.Statement; values: SqlParam[] } {
        let prepared = this.statements.get(sql);
        if (!prepared) {
            const { sql: rewritten, order } = positional(sql);
            prepared = { statement: this.db.prepare(rewritten), order };
            this.statements.set(sql, prepared);
        }
        return { statement: prepared.statement, values: prepared.order.map((index) => params[index] ?? null) };
    }

    transaction<T>(work: (tx: SqlTx) => Promise<T>): Promise<T> {
        return this.turns.run(async () => {
            this.db.exec('BEGIN IMMEDIATE');
            try {
                const result = await work(this.tx);
                this.db.exec('COMMIT');
                return result;
            } catch (error) {
                if (this.db.inTransaction) this.db.exec('ROLLBACK');
                throw error;
            }
        });
    }

    async migrate(
        migrations: readonly { version: number; statements: readonly string[] }[],
        now: number
    ): Promise<void> {
        this.db.exec(
            'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)'
        );
        await this.transaction(async (tx) => {
            const applied = new Set(
                (await tx.all<{ version: number }>('SELECT version FROM schema_migrations')).map((row) => row.version)
            );
            for (const migration of migrations) {
                if (applied.has(migration.version)) continue;
                for (const statement of migration.statements) this.db.exec(statement);
                await tx.run('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
                    migration.version,
                    now
                ]);
            }
        });
    }

    isUniqueViolation(error: unknown): boolean {
        const code = (error as { code?: unknown })?.code;
        return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
    }

    async close(): Promise<void> {
        await this.turns.run(async () => this.db.close());
    }
}

export interface SqliteStoreOptions extends StoreOptions {
    /** A file path, or `:memory:` for a throwaway store. */
    file: string;
}

export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqlStore> {
    const file = check(z.string().min(1), options.file, 'file');
    let driver: SqliteDriver;
    try {
        driver = new SqliteDriver(file);
    } catch (error) {
        throw unavailable('sqlite', `could not open ${file}`, error);
    }
    return SqlStore.open(driver, options);
}
