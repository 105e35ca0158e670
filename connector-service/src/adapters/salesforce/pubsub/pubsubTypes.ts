/**
 * The Pub/Sub ingest's options and the state it keeps per channel (pubsubIngest.ts), and how a stream's error says
 * the org refused the stored replay id.
 */
import type { RuleSet } from '../../../domain/index.ts';
import type { Logger } from '../../../ports/logger.ts';
import type { SalesforcePort } from '../../../ports/salesforce.ts';
import type { Checkpoint, InboxAppender, LeaseStore, PairStore } from '../../../ports/store.ts';
import type { ReconcileReason } from '../../../app/reconcile.ts';
import type { Clock } from '../../../clock.ts';

export const SYNC_REQUEST_CHANNEL = '/event/Clm_Sync_Request__e';

export interface PubSubIngestOptions {
    orgId: string;
    store: InboxAppender & Pick<PairStore, 'findPair'> & LeaseStore;
    endpoint: string;
    instanceUrl: string;
    accessToken: () => string;
    channels: readonly string[];
    logger: Logger;
    /** Accept the emulator's self-signed certificate (tests and the local demo only). */
    allowSelfSignedTls?: boolean;
    /** The connector's clock (lease times, reconcile ids, replays). */
    clock?: Clock;
    /** Called after events were stored, so the work loop can start at once. */
    onStored?: () => void;
    /**
     * With several instances on one store, only the holder of this lease subscribes (the others wait and take
     * over when it lapses); renewed every `renewEveryMs`. Without it the instance subscribes at once.
     */
    lease?: { holder: string; ttlMs: number; renewEveryMs: number };
    /** Reads back what the stream could not deliver (reconcile.ts). Without it a refusal or gap is logged as an error. */
    reconcile?: {
        salesforce: Pick<SalesforcePort, 'query' | 'readByIds'>;
        /** The fields a reconciled record carries: every field the rules read from its object. */
        rules: RuleSet;
        /** Objects of channels whose name does not say (`/data/ChangeEvents`, custom `__chn` channels). */
        objects?: Readonly<Record<string, readonly string[]>>;
        /** Read this much before the watermark (default 5 min): rows are stamped before their transaction commits. */
        marginMs?: number;
        batchSize?: number;
    };
    /** Wait before opening a stream again after it ended (default 5 s, as the platform asks). */
    resubscribeDelayMs?: number;
    /** Store the watermark at most once per this much commit time (default 60 s). */
    watermarkEveryMs?: number;
    /** This instance's name in `/admin/status` when no lease is used (default host:pid). */
    instanceName?: string;
    /**
     * Channels that open at EARLIEST instead of LATEST when no replay id is stored: after a relink, the sync
     * requests reps made while the connector refused to run are still retained and are taken up.
     */
    fromEarliest?: readonly string[];
}

export type SubscriptionState = 'subscribed' | 'standby' | 'reconciling' | 'error';

/** One channel as `/admin/status` shows it (docs/admin-api.md). */
export interface SubscriptionStatus {
    channel: string;
    /** The last committed replay id; null before the first event. */
    replayId: string | null;
    /** The instance holding the subscription; null when nobody does (as far as this instance knows). */
    holder: string | null;
    state: SubscriptionState;
    /** When the last event stored on this channel was committed in the org (ISO), null before the first. */
    lastEventAt: string | null;
}

export interface PendingReconcile {
    reason: ReconcileReason;
    /** Records modified after this instant (captured when the fault was seen, before newer events moved it). */
    since: number | null;
    sfObjects: readonly string[];
    recordIds?: readonly string[];
    checkpoint?: Checkpoint;
}

export interface ChannelState {
    state: SubscriptionState;
    replayId: string | null;
    /** Commit time of the last event stored (ms, Salesforce's clock). */
    watermark: number | null;
    watermarkStored: number | null;
    /** Callbacks of an older stream of this channel are ignored. */
    generation: number;
    /** The last stream error refused the replay id. */
    refused: boolean;
    /** A reconcile waiting for the new stream's first answer. */
    pending: PendingReconcile | null;
    retryTimer: NodeJS.Timeout | null;
    /** The latest replay id the previous keepalive reported (see checkpointIdle). */
    idleAt: string | null;
}

export type Callback = (subscription: unknown, type: string, data: unknown) => void;

export function isReplayIdRefusal(error: unknown): boolean {
    const trailer = (error as { metadata?: { get?(key: string): unknown[] } })?.metadata?.get?.('error-code')?.[0];
    return /replayid/i.test(String(trailer ?? '')) || /replay id/i.test(String((error as Error)?.message ?? ''));
}
