import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_ERROR } from '../../src/ports/store.ts';
import { openPostgresStore } from '../../src/adapters/store/postgres/postgresStore.ts';
import { postgresAvailable, runSql, startTestPostgres, type TestPostgres } from '../../../test/support/postgres.ts';
import { storeSuite } from './storeSuite.ts';

// A database of its own for this run (a private cluster, or CLM_TEST_DATABASE_URL under CI); every open()
// is a separate pool, as a second connector instance would have.
let database: TestPostgres | undefined;

const raw = (sql: string) => runSql(database!.url, sql);

if (postgresAvailable()) {
    beforeAll(async () => {
        database = await startTestPostgres('store');
        console.info(`[store] PostgreSQL from ${database.origin}`);
    });
    afterAll(async () => database?.stop());
    storeSuite('PostgreSQL', () => ({
        open: (options) => openPostgresStore({ connectionString: database!.url, ...options }),
        exec: raw,
        failWrites: async (table) => {
            await raw(`CREATE OR REPLACE FUNCTION fail_injected() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql;
                       CREATE TRIGGER fail_${table} BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION fail_injected();`);
            return () => raw(`DROP TRIGGER fail_${table} ON ${table}`);
        }
    }));
    it('reports a server it cannot reach as STORE.UNAVAILABLE', async () => {
        const closedPort = await new Promise<number>((resolve) => {
            const server = net.createServer().listen(0, '127.0.0.1', () => {
                const { port } = server.address() as net.AddressInfo;
                server.close(() => resolve(port));
            });
        });
        await expect(
            openPostgresStore({
                connectionString: `postgres://postgres@127.0.0.1:${closedPort}/postgres`,
                connectTimeoutMs: 2_000
            })
        ).rejects.toMatchObject({ code: STORE_ERROR.UNAVAILABLE, details: { dialect: 'postgres' } });
    });
} else {
    describe.skip('store port on PostgreSQL', () => it('needs PostgreSQL', () => undefined));
}
