/**
 * SIGKILL during appends: after every kill the replay-id checkpoint is never ahead of the stored rows, nor
 * behind a commit that was acknowledged, and each batch is either wholly stored or not at all.
 * Seeded (CLM_STORE_CRASH_SEED), so a failing run is reproducible.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it, onTestFinished } from 'vitest';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import { repoRoot } from '../../../test/support/requirements.ts';

const ROUNDS = 4;
const CHANNEL = '/data/OpportunityChangeEvent';
const EVENTS_PER_BATCH = 5;
const seed = Number(process.env.CLM_STORE_CRASH_SEED ?? Date.now() % 100_000);

/** mulberry32: a small seeded generator. */
function random(state: number): () => number {
    return () => {
        state = (state + 0x6d2b79f5) | 0;
        let t = Math.imul(state ^ (state >>> 15), 1 | state);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** Runs the writer until it has acknowledged `acks` batches, then kills it at once; returns the last ack. */
function runAndKill(file: string, orgId: string, acks: number): Promise<number> {
    return new Promise((resolve, reject) => {
        // node itself runs the writer (tsx as a loader, not its CLI wrapper), so the signal hits the writer.
        const writer = path.join(import.meta.dirname, 'crashWriter.ts');
        const child = spawn(
            process.execPath,
            ['--import', 'tsx', writer, file, orgId, CHANNEL, String(EVENTS_PER_BATCH)],
            {
                cwd: repoRoot,
                stdio: ['ignore', 'pipe', 'pipe']
            }
        );
        let lastAck = -1;
        let seen = 0;
        let buffer = '';
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.stdout.on('data', (chunk: Buffer) => {
            buffer += chunk.toString();
            const lines = buffer.split('\n');
            buffer = lines.pop() ?? '';
            for (const line of lines) {
                const match = /^ack (\d+)$/.exec(line);
                if (!match) continue;
                lastAck = Number(match[1]);
                if (++seen === acks) child.kill('SIGKILL');
            }
        });
        child.on('exit', (code, signal) => {
            if (signal === 'SIGKILL') resolve(lastAck);
            else reject(new Error(`writer exited (${code}) before it was killed: ${stderr.slice(-500)}`));
        });
    });
}

it(`keeps the checkpoint and the inbox rows together across SIGKILLs (seed ${seed})`, async () => {
    const next = random(seed);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'clm-store-crash-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'crash.db');
    const orgId = '00Dcrash';
    for (let round = 0; round < ROUNDS; round++) {
        const acked = await runAndKill(file, orgId, 1 + Math.floor(next() * 40));
        const store = await openSqliteStore({ file });
        try {
            const checkpoint = Number(await store.getCheckpoint(orgId, CHANNEL));
            // Not behind an acknowledged commit; at most the one batch committed after the last ack was read.
            expect(checkpoint).toBeGreaterThanOrEqual(acked);
            const stats = await store.stats(orgId, Date.now());
            // Exactly the batches up to the checkpoint are stored: none beyond it, none partially.
            expect(stats.inbox.byStatus.pending).toBe((checkpoint + 1) * EVENTS_PER_BATCH);
        } finally {
            await store.close();
        }
    }
}, 120_000);
