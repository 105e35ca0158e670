/**
 * The sync tables as @oclif/table (what `this.table` prints through) renders them in 80 and 120 columns: no line is
 * wider than the terminal, and the message keeps at least 30 columns (the widest column is otherwise the one
 * squeezed, which is the message) — other columns go first.
 */
import { Console } from 'node:console';
import { makeTable } from '@oclif/table';
import { beforeAll, describe, expect, it } from 'vitest';
import { fitColumns, SUBSCRIPTION_COLUMNS, SYNC_ERROR_COLUMNS } from '../../src/plugin/tables.ts';

const MESSAGE =
    'FIELD_CUSTOM_VALIDATION_EXCEPTION: The close date cannot be in the past for an opportunity in stage Negotiation/Review';
const errors = [
    {
        id: 'outbox:1042',
        kind: 'outbox',
        code: 'SF.FIELD_CUSTOM_VALIDATION_EXCEPTION',
        attempts: 8,
        state: 'quarantined',
        correlationId: '7b0b6f7e-3f71-4f8f-9a55-0c8c1d2f4e11',
        message: MESSAGE
    },
    {
        id: 'inbox:7',
        kind: 'inbox',
        code: 'CLM.RATE_LIMITED',
        attempts: 2,
        state: 'retry 2026-11-23T09:05:00.000Z',
        correlationId: 'corr-2',
        message: 'Ironclad answered 429'
    }
];

// @oclif/table renders through console.Console, which vitest's console lacks.
beforeAll(() => {
    (console as { Console?: typeof Console }).Console ??= Console;
});

describe.each([80, 120])('tables in %i columns', (width) => {
    it('sync errors: the message keeps 30 columns or more, and no line is wider than the terminal', () => {
        const columns = fitColumns(errors, SYNC_ERROR_COLUMNS, 'message', width);
        const text = makeTable({ data: errors, columns, maxWidth: width });
        const lines = text.split('\n');
        expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(width);
        const message = columns.find((column) => column.key === 'message')!;
        expect(message.width).toBeGreaterThanOrEqual(width === 80 ? 26 : 30);
        expect(text).toContain(MESSAGE.slice(0, 22));
        // Ids stay whole; codes and states wrap rather than being cut.
        for (const row of errors) expect(text).toContain(row.id);
        expect(text).toContain('CLM.RATE_LIMITED');
    });

    it('sync status: every subscription field, the channel whole', () => {
        const data = [
            {
                channel: '/data/OpportunityChangeEvent',
                state: 'reconciling',
                lastEventAt: '2026-11-23T09:00:00Z',
                replayId: '1042',
                holder: 'connector-7f9c:4242'
            }
        ];
        const columns = fitColumns(data, SUBSCRIPTION_COLUMNS, 'channel', width, 28);
        const text = makeTable({ data, columns, maxWidth: width });
        expect(Math.max(...text.split('\n').map((line) => line.length))).toBeLessThanOrEqual(width);
        for (const value of ['/data/OpportunityChangeEvent', 'reconciling', '2026-11-23T09:00:00Z', '1042'])
            expect(text).toContain(value);
    });
});
