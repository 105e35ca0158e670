import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STORE_ERROR } from '../../src/ports/store.ts';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import { storeSuite } from './storeSuite.ts';

// One database file for the suite; every open() is its own connection, as a second store would be.
let dir = '';
let file = '';
beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'clm-store-sqlite-'));
    file = path.join(dir, 'store.db');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function raw<T>(work: (db: Database.Database) => T): T {
    const db = new Database(file);
    try {
        db.pragma('busy_timeout = 5000');
        return work(db);
    } finally {
        db.close();
    }
}

storeSuite('SQLite', () => ({
    open: (options) => openSqliteStore({ file, ...options }),
    exec: async (sql) => raw((db) => void db.exec(sql)),
    failWrites: async (table) => {
        raw((db) =>
            db.exec(
                ['INSERT', 'UPDATE']
                    .map(
                        (event) =>
                            `CREATE TRIGGER fail_${event}_${table} BEFORE ${event} ON ${table} BEGIN SELECT RAISE(ABORT, 'injected failure'); END;`
                    )
                    .join('\n')
            )
        );
        return async () =>
            raw((db) => void db.exec(`DROP TRIGGER fail_INSERT_${table}; DROP TRIGGER fail_UPDATE_${table};`));
    }
}));

it('reports a database it cannot open as STORE.UNAVAILABLE', async () => {
    await expect(openSqliteStore({ file: path.join(dir, 'missing-dir', 'store.db') })).rejects.toMatchObject({
        code: STORE_ERROR.UNAVAILABLE,
        details: { dialect: 'sqlite' }
    });
    await expect(openSqliteStore({ file: '' })).rejects.toMatchObject({
        code: STORE_ERROR.VALIDATION,
        details: { field: 'file' }
    });
});
