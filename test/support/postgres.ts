// PostgreSQL for tests, never assumed: CLM_TEST_DATABASE_URL when set (.ci/run starts a private cluster and sets
// it); otherwise a private throwaway cluster from /usr/lib/postgresql/*/bin (initdb + pg_ctl as the postgres user
// in a temp dir on a free port, stopped by `stop()`); otherwise the suite skips with one line (fails under CI).
// Each suite gets its own database, dropped by `stop()`, so runs never see each other's rows.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { requireOrSkip } from './requirements.ts';

const PG_ROOT = '/usr/lib/postgresql';

export interface TestPostgres {
    /** Connection string of a database created for this suite. */
    url: string;
    /** Where it came from, for the test log. */
    origin: 'CLM_TEST_DATABASE_URL' | 'private cluster';
    stop(): Promise<void>;
}

function findPgBin(): string | null {
    if (!existsSync(PG_ROOT)) return null;
    const versions = readdirSync(PG_ROOT)
        .filter((version) => existsSync(path.join(PG_ROOT, version, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a));
    return versions[0] ? path.join(PG_ROOT, versions[0], 'bin') : null;
}

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

/** Runs a PostgreSQL binary as the postgres user when we are root (initdb refuses root), else as ourselves. */
function runPg(binary: string, args: string[]): void {
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
        const quoted = [binary, ...args].map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' ');
        execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', quoted], { stdio: 'pipe' });
    } else {
        execFileSync(binary, args, { stdio: 'pipe' });
    }
}

async function startPrivateCluster(bin: string): Promise<{ adminUrl: string; stop: () => void }> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'clm-test-pg-'));
    if (process.getuid?.() === 0) {
        const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
        const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
        chownSync(dir, uid, gid);
    }
    const data = path.join(dir, 'data');
    const port = await freePort();
    runPg(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync']);
    runPg(path.join(bin, 'pg_ctl'), [
        '-D',
        data,
        '-o',
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on`,
        '-l',
        path.join(dir, 'server.log'),
        '-w',
        'start'
    ]);
    return {
        adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
        stop: () => {
            try {
                runPg(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
            } finally {
                rmSync(dir, { recursive: true, force: true });
            }
        }
    };
}

/**
 * Whether PostgreSQL can be had here; prints the skip line (or throws under CI=true) when not. Cheap: call it
 * when the suite is collected, and start the database in `beforeAll`, so a filtered-out suite starts nothing.
 */
export function postgresAvailable(): boolean {
    return requireOrSkip({
        what: 'PostgreSQL (CLM_TEST_DATABASE_URL, or initdb under /usr/lib/postgresql/*/bin)',
        how: 'apt-get install postgresql, or point CLM_TEST_DATABASE_URL at a server where the user may create databases',
        present: Boolean(process.env.CLM_TEST_DATABASE_URL || findPgBin())
    });
}

/** Runs SQL once on its own connection (administration, and tests that act outside the code under test). */
export async function runSql(url: string, sql: string): Promise<void> {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
        await admin.query(sql);
    } finally {
        await admin.end();
    }
}

/** A database of its own for this suite (on CLM_TEST_DATABASE_URL's server, or a private cluster). */
export async function startTestPostgres(label: string): Promise<TestPostgres> {
    const configured = process.env.CLM_TEST_DATABASE_URL;
    const bin = configured ? null : findPgBin();
    if (!configured && !bin) throw new Error('PostgreSQL is not available: check postgresAvailable() first');
    const cluster = configured ? { adminUrl: configured, stop: () => undefined } : await startPrivateCluster(bin!);
    const database = `clm_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}_${randomBytes(4).toString('hex')}`;
    try {
        await runSql(cluster.adminUrl, `CREATE DATABASE ${database}`);
    } catch (error) {
        cluster.stop();
        throw error;
    }
    const url = new URL(cluster.adminUrl);
    url.pathname = `/${database}`;
    return {
        url: url.toString(),
        origin: configured ? 'CLM_TEST_DATABASE_URL' : 'private cluster',
        stop: async () => {
            try {
                await runSql(cluster.adminUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
            } finally {
                cluster.stop();
            }
        }
    };
}
