/**
 * Store throughput on this machine, for each adapter (not a test; `npx tsx connector-service/bench/store.ts`):
 * durable single-event appends (one commit per event, as a webhook acknowledgement needs), batched appends,
 * and claim + complete cycles. PostgreSQL comes from CLM_TEST_DATABASE_URL or a private throwaway cluster.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openPostgresStore } from '../src/adapters/store/postgres/postgresStore.ts';
import { openSqliteStore } from '../src/adapters/store/sqlite/sqliteStore.ts';
import type { InboxInput, StorePort } from '../src/ports/store.ts';
import { postgresAvailable, startTestPostgres } from '../../test/support/postgres.ts';

const SINGLE = Number(process.env.BENCH_STORE_SINGLE ?? 2_000);
const BATCHES = Number(process.env.BENCH_STORE_BATCHES ?? 100);
const BATCH_SIZE = 100;
const CLAIMS = Number(process.env.BENCH_STORE_CLAIMS ?? 2_000);

const event = (n: number, key: string): InboxInput => ({
    source: 'salesforce:/data/OpportunityChangeEvent',
    eventId: `evt-${n}`,
    orderingKey: key,
    objectType: 'Opportunity',
    payload: {
        ChangeEventHeader: { recordIds: [key], changeType: 'UPDATE' },
        StageName: 'Negotiation',
        Amount: 125000 + n
    },
    correlationId: `corr-${n}`
});

async function timed(work: () => Promise<void>): Promise<number> {
    const start = performance.now();
    await work();
    return (performance.now() - start) / 1000;
}

async function measure(label: string, store: StorePort): Promise<void> {
    const org = `00Dbench${Date.now()}`;
    let n = 0;
    const single = await timed(async () => {
        for (let i = 0; i < SINGLE; i++, n++)
            await store.appendInbox(org, [event(n, `pair-${n}`)], {
                channel: '/data/OpportunityChangeEvent',
                replayId: String(n)
            });
    });
    const batched = await timed(async () => {
        for (let b = 0; b < BATCHES; b++) {
            const batch = Array.from({ length: BATCH_SIZE }, () => event(n, `pair-${n++}`));
            await store.appendInbox(org, batch, { channel: '/data/OpportunityChangeEvent', replayId: String(n) });
        }
    });
    const now = Date.now() + 1;
    let claimed = 0;
    const cycles = await timed(async () => {
        while (claimed < CLAIMS) {
            const [item] = await store.claimInbox(org, 'bench', 1, now);
            if (!item) break;
            await store.complete('inbox', org, { id: item.id, worker: 'bench', attempt: item.attempts }, now);
            claimed++;
        }
    });
    let claimedInTens = 0;
    const tens = await timed(async () => {
        while (claimedInTens < CLAIMS) {
            const items = await store.claimInbox(org, 'bench', 10, now);
            if (items.length === 0) break;
            for (const item of items)
                await store.complete('inbox', org, { id: item.id, worker: 'bench', attempt: item.attempts }, now);
            claimedInTens += items.length;
        }
    });
    const rate = (count: number, seconds: number) => Math.round(count / seconds).toLocaleString('en-US');
    console.log(`${label}:`);
    console.log(`  inserts/s, one durable commit per event (+ checkpoint): ${rate(SINGLE, single)}`);
    console.log(`  inserts/s, ${BATCH_SIZE} events per commit:                 ${rate(BATCHES * BATCH_SIZE, batched)}`);
    console.log(`  claims/s, claim 1 + complete:                         ${rate(claimed, cycles)}`);
    console.log(`  claims/s, claim 10 + complete each:                   ${rate(claimedInTens, tens)}`);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'clm-bench-store-'));
try {
    const sqlite = await openSqliteStore({ file: path.join(dir, 'bench.db') });
    await measure('SQLite (WAL, synchronous=FULL, file in the temp dir)', sqlite);
    await sqlite.close();
} finally {
    rmSync(dir, { recursive: true, force: true });
}

if (postgresAvailable()) {
    const database = await startTestPostgres('bench');
    try {
        const postgres = await openPostgresStore({ connectionString: database.url });
        await measure(`PostgreSQL (${database.origin}, synchronous_commit=on)`, postgres);
        await postgres.close();
    } finally {
        await database.stop();
    }
}
