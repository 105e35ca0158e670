/**
 * What every section of the SQL store works with: the driver and its dialect, transactions that report a database
 * failure as STORE.UNAVAILABLE, the claim settings, the clock, and the dialect's row locks — PostgreSQL claims rows
 * with `FOR UPDATE SKIP LOCKED` and locks the change-log head with `FOR UPDATE`; SQLite runs one writer at a time,
 * so neither is needed there.
 */
import { z } from 'zod';
import type { StoreOptions } from '../../ports/store.ts';
import { systemClock, type Clock } from '../../clock.ts';
import { check } from './inputs.ts';
import type { SqlDriver, SqlTx } from './sqlDriver.ts';
import { DEFAULT_CLAIM_TTL_MS, DEFAULT_MAX_ATTEMPTS, unavailable } from './sqlRows.ts';

export class SqlContext {
    readonly kind: 'sqlite' | 'postgres';
    readonly claimTtlMs: number;
    readonly maxAttempts: number;
    /** PostgreSQL row-lock clauses; empty on SQLite, whose single writer makes them unnecessary. */
    readonly skipLocked: string;
    readonly forUpdate: string;
    readonly clock: Clock;

    constructor(
        readonly driver: SqlDriver,
        options: StoreOptions
    ) {
        this.kind = driver.dialect;
        this.claimTtlMs = check(z.number().int().positive(), options.claimTtlMs ?? DEFAULT_CLAIM_TTL_MS, 'claimTtlMs');
        this.maxAttempts = check(
            z.number().int().positive(),
            options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
            'maxAttempts'
        );
        this.clock = options.clock ?? systemClock;
        this.skipLocked = driver.dialect === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : '';
        this.forUpdate = driver.dialect === 'postgres' ? 'FOR UPDATE' : '';
    }

    tx<T>(work: (tx: SqlTx) => Promise<T>): Promise<T> {
        return this.driver.transaction(work).catch((error: unknown) => {
            throw unavailable(this.kind, 'store operation failed', error);
        });
    }
}
