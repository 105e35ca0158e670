/**
 * Child process for the SQLite crash test: resumes from the stored checkpoint and appends batches of events
 * with their checkpoint, printing `ack <batch>` after each commit returns — until it is killed.
 */
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';

const [file, orgId, CHANNEL, perBatch] = process.argv.slice(2) as [string, string, string, string];
const EVENTS_PER_BATCH = Number(perBatch);
const store = await openSqliteStore({ file });
const stored = await store.getCheckpoint(orgId, CHANNEL);
for (let batch = stored === null ? 0 : Number(stored) + 1; batch < 100_000; batch++) {
    const items = Array.from({ length: EVENTS_PER_BATCH }, (_, n) => ({
        source: 'salesforce:' + CHANNEL,
        eventId: `b${batch}-e${n}`,
        orderingKey: `pair-${n}`,
        payload: { batch, n },
        correlationId: `corr-${batch}-${n}`
    }));
    await store.appendInbox(orgId, items, { channel: CHANNEL, replayId: String(batch) });
    process.stdout.write(`ack ${batch}\n`);
}
