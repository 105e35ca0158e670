/**
 * What the shared SQL store needs from a database: transactions with positional parameters (`$1`, `$2`… in
 * both dialects; the SQLite driver rewrites them) and a way to tell a unique-key violation from other failures.
 */
export type Dialect = 'sqlite' | 'postgres';
export type SqlParam = string | number | null;

export interface SqlTx {
    all<Row = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<Row[]>;
    /** Runs a statement and returns the number of rows it changed. */
    run(sql: string, params?: readonly SqlParam[]): Promise<number>;
}

export interface SqlDriver {
    readonly dialect: Dialect;
    /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
    transaction<T>(work: (tx: SqlTx) => Promise<T>): Promise<T>;
    /** Applies DDL statements once each, in order, recording them in schema_migrations. */
    migrate(migrations: readonly { version: number; statements: readonly string[] }[], now: number): Promise<void>;
    isUniqueViolation(error: unknown): boolean;
    close(): Promise<void>;
}
