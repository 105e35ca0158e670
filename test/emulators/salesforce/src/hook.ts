// The transaction hook: the event bus (CDC, platform events) subscribes here. One notification per committed
// transaction; rolled-back work is never announced.
import type { PublishedEvent, RecordChange, TransactionContext } from './store.ts';

export interface CommittedTransaction extends TransactionContext {
    /** Shared by every record of one REST call, collection or composite request, or one bulk chunk. */
    transactionKey: string;
    /** Epoch ms on the emulator clock. */
    commitTimestamp: number;
    /** Monotonic per org. */
    commitNumber: number;
    /** `com/salesforce/api/<api>/<version>[;client=<id>]`, as CDC's changeOrigin. */
    changeOrigin: string;
    changes: RecordChange[];
    /** Platform events published in this transaction (publish-after-commit semantics). */
    events: PublishedEvent[];
}

export type TransactionListener = (tx: CommittedTransaction) => void;

export interface TransactionHook {
    /** Registers a listener; returns a function that unregisters it. */
    subscribe(listener: TransactionListener): () => void;
}

export class TransactionBus implements TransactionHook {
    private listeners = new Set<TransactionListener>();
    private commitNumber = 0;

    subscribe(listener: TransactionListener): () => void {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
    }

    publish(tx: Omit<CommittedTransaction, 'commitNumber' | 'changeOrigin'>): void {
        const origin = `com/salesforce/api/${tx.api}/${tx.apiVersion}${tx.clientId ? `;client=${tx.clientId}` : ''}`;
        const full: CommittedTransaction = { ...tx, commitNumber: ++this.commitNumber, changeOrigin: origin };
        for (const l of this.listeners) {
            try {
                l(full);
            } catch {
                // A failing subscriber must not undo or block a committed write.
            }
        }
    }
}
