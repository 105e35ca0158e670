// The event bus: topics (CDC channels and platform events), the retained event log with 8-byte big-endian
// monotonic replay ids and 72-hour retention on the org clock, pull-based subscriptions with the 100-event
// cap, the per-subscriber delivery allocation and the faults tests inject (sf-wire.md §4.3, §5.3). It knows
// nothing about gRPC: grpc.ts adapts it to the Pub/Sub API wire.
import { randomUUID } from 'node:crypto';
import type { CommittedTransaction } from '../hook.ts';
import type { AccessView } from '../access.ts';
import type { Org } from '../org.ts';
import type { ObjectDef } from '../schema/types.ts';
import { changeEvents, gapEvent, type CdcEvent } from './cdc.ts';
import {
    changeEventName,
    changeEventSchema,
    platformEventSchema,
    toAvroValue,
    type CdcChangeType,
    type EventSchema
} from './schemas.ts';

export const RETENTION_MS = 72 * 60 * 60 * 1000;
export const MAX_NUM_REQUESTED = 100;
export const DEFAULT_CDC_ENTITIES = ['Contract', 'Opportunity', 'Account', 'SBQQ__Quote__c', 'SBQQ__QuoteLine__c'];
/** Entities selectable for CDC without an add-on (sf-wire.md §4.3). */
export const DEFAULT_CDC_ENTITY_ALLOCATION = 5;
/** Event delivery per rolling 24 hours, Developer Edition (sf-wire.md §4.3). */
export const DEFAULT_DELIVERY_ALLOCATION = 10_000;
const DAY_MS = 24 * 60 * 60 * 1000;
export const MAX_EVENT_BYTES = 1024 * 1024;
export const ALL_CHANGE_EVENTS = '/data/ChangeEvents';

/** Documented Pub/Sub error codes, sent in the `error-code` trailer (sf-wire.md §5.3). */
export const ERROR_CODES = {
    replayCorrupted: 'sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted',
    limitExceeded: 'sfdc.platform.eventbus.grpc.subscription.limit.exceeded',
    unavailable: 'sfdc.platform.eventbus.grpc.service.unavailable',
    // Not documented; the emulator's names for its own refusals.
    auth: 'sfdc.platform.eventbus.grpc.service.auth.error',
    topicNotFound: 'sfdc.platform.eventbus.grpc.topic.not.found',
    invalidArgument: 'sfdc.platform.eventbus.grpc.invalid.argument',
    permission: 'sfdc.platform.eventbus.grpc.topic.permission.denied'
} as const;

export type BusStatus =
    'INVALID_ARGUMENT' | 'NOT_FOUND' | 'PERMISSION_DENIED' | 'UNAUTHENTICATED' | 'RESOURCE_EXHAUSTED' | 'UNAVAILABLE';

/** A refusal with the gRPC status and the `error-code` trailer it travels with. */
export class BusError extends Error {
    constructor(
        readonly status: BusStatus,
        readonly errorCode: string,
        message: string
    ) {
        super(message);
    }
}

/** An input problem on the admin API or configuration: a stable code naming the field. */
export class BusConfigError extends Error {
    constructor(
        readonly code: string,
        readonly field: string,
        message: string
    ) {
        super(message);
    }
}

export interface RetainedEvent {
    replayId: bigint;
    /** The event's own channel: /data/<X>ChangeEvent or /event/<Name>__e. */
    channel: string;
    /** EventUuid for platform events; a generated id for change events (ProducerEvent.id). */
    id: string;
    schema: EventSchema;
    payload: Buffer;
    /** Decoded form, for the admin API. */
    values: Record<string, unknown>;
    publishedAt: number;
}

export interface TopicView {
    name: string;
    kind: 'cdc' | 'cdc-all' | 'platformEvent';
    def?: ObjectDef;
    schema?: EventSchema;
}

export interface FetchBatch {
    events: RetainedEvent[];
    latestReplayId: bigint;
    pendingNumRequested: number;
}

/** What a transport gives the bus for one Subscribe stream. */
export interface SubscriberSink {
    send(batch: FetchBatch): void;
    fail(error: BusError): void;
}

export class Subscription {
    readonly id = randomUUID();
    pending = 0;
    delivered = 0;
    open = true;
    keepalive?: NodeJS.Timeout;

    constructor(
        readonly topic: string,
        readonly userId: string,
        public cursor: bigint,
        readonly sink: SubscriberSink
    ) {}
}

export interface EventBusOptions {
    cdcEntities?: string[];
    cdcEntityAllocation?: number;
    deliveryAllocation?: number;
    retentionMs?: number;
    /** Interval of the empty keepalive FetchResponse on an idle stream (the platform: within 270 s). */
    keepaliveMs?: number;
    /** Merge identical changes of one transaction into one event with several recordIds (default true). */
    mergeIdenticalChanges?: boolean;
}

interface DeliveryFault {
    action: 'drop' | 'duplicate';
    topic?: string;
    remaining: number;
}

export function encodeReplayId(id: bigint): Buffer {
    const buf = Buffer.alloc(8);
    buf.writeBigUInt64BE(id);
    return buf;
}

function limitExceeded(): BusError {
    return new BusError(
        'RESOURCE_EXHAUSTED',
        ERROR_CODES.limitExceeded,
        'You have exceeded the event delivery limit for your org.'
    );
}

export class EventBus {
    private log: RetainedEvent[] = [];
    private lastReplayId = 0n;
    /** Every event at or below this id has been purged. */
    private purgedThrough = 0n;
    private schemasById = new Map<string, EventSchema>();
    private schemaCache = new Map<string, EventSchema>();
    private subscriptions = new Set<Subscription>();
    private deliveries: { at: number; count: number }[] = [];
    private faults: DeliveryFault[] = [];
    /** Deliveries per subscription id, kept after the stream closes (admin counters). */
    private counters = new Map<
        string,
        { subscriptionId: string; userId: string; topic: string; delivered: number; open: boolean }
    >();
    selection: string[] = [];
    cdcEntityAllocation: number;
    deliveryAllocation: number;
    mergeIdenticalChanges: boolean;
    readonly retentionMs: number;
    readonly keepaliveMs: number;

    constructor(
        readonly org: Org,
        private readonly options: EventBusOptions = {}
    ) {
        this.cdcEntityAllocation = options.cdcEntityAllocation ?? DEFAULT_CDC_ENTITY_ALLOCATION;
        this.deliveryAllocation = options.deliveryAllocation ?? DEFAULT_DELIVERY_ALLOCATION;
        this.mergeIdenticalChanges = options.mergeIdenticalChanges ?? true;
        this.retentionMs = options.retentionMs ?? RETENTION_MS;
        this.keepaliveMs = options.keepaliveMs ?? 60_000;
        this.select(options.cdcEntities ?? DEFAULT_CDC_ENTITIES.filter((e) => org.schema.objectExists(e)));
    }

    /** Selects the CDC entities; more than the allocation is refused, as Setup refuses it. */
    select(entities: string[]): void {
        if (entities.length > this.cdcEntityAllocation) {
            throw new BusConfigError(
                'CDC_ENTITY_LIMIT_EXCEEDED',
                'entities',
                `at most ${this.cdcEntityAllocation} entities can be selected for Change Data Capture without an add-on; got ${entities.length}`
            );
        }
        const defs = entities.map((name) => {
            const def = this.org.schema.get(name);
            if (!def || (def.kind !== 'standard' && def.kind !== 'custom'))
                throw new BusConfigError(
                    'UNKNOWN_ENTITY',
                    'entities',
                    `${name} is not an object that supports Change Data Capture`
                );
            return def.name;
        });
        this.selection = [...new Set(defs)];
    }

    /** Back to an empty bus with the start-up settings (admin reset). */
    reset(): void {
        this.killAll();
        this.log = [];
        this.purgedThrough = this.lastReplayId;
        this.faults = [];
        this.deliveries = [];
        this.counters.clear();
        this.cdcEntityAllocation = this.options.cdcEntityAllocation ?? DEFAULT_CDC_ENTITY_ALLOCATION;
        this.deliveryAllocation = this.options.deliveryAllocation ?? DEFAULT_DELIVERY_ALLOCATION;
        this.mergeIdenticalChanges = this.options.mergeIdenticalChanges ?? true;
        this.select(this.options.cdcEntities ?? DEFAULT_CDC_ENTITIES.filter((e) => this.org.schema.objectExists(e)));
    }

    // ---- topics and schemas ----

    /**
     * The schema of an object's events, built once per shape of its definition (a field added at run time
     * gives a new schema and id; the old one stays servable for events already retained).
     */
    schemaFor(def: ObjectDef): EventSchema {
        const shape = JSON.stringify([
            def.name,
            def.kind,
            def.fields.map((f) => [f.name, f.type, f.calculated, f.custom, f.compoundFieldName])
        ]);
        let schema = this.schemaCache.get(shape);
        if (!schema) {
            schema = def.kind === 'platformEvent' ? platformEventSchema(def) : changeEventSchema(def);
            this.schemaCache.set(shape, schema);
            this.schemasById.set(schema.id, schema);
        }
        return schema;
    }

    schemaById(id: string): EventSchema | undefined {
        return this.schemasById.get(id);
    }

    topics(): TopicView[] {
        const out: TopicView[] = [{ name: ALL_CHANGE_EVENTS, kind: 'cdc-all' }];
        for (const name of this.selection) out.push(this.topic(`/data/${changeEventName(name)}`)!);
        for (const def of this.org.schema.all().filter((d) => d.kind === 'platformEvent'))
            out.push({ name: `/event/${def.name}`, kind: 'platformEvent', def, schema: this.schemaFor(def) });
        return out;
    }

    /** A topic by its exact (case-sensitive) name, or undefined. */
    topic(name: string): TopicView | undefined {
        if (name === ALL_CHANGE_EVENTS) return { name, kind: 'cdc-all' };
        const cdc = /^\/data\/(.+)ChangeEvent$/.exec(name);
        if (cdc) {
            const entity = this.selection.find((e) => changeEventName(e) === `${cdc[1]}ChangeEvent`);
            const def = entity ? this.org.schema.get(entity) : undefined;
            return def ? { name, kind: 'cdc', def, schema: this.schemaFor(def) } : undefined;
        }
        const pe = /^\/event\/([A-Za-z][A-Za-z0-9_]*__e)$/.exec(name);
        const def = pe ? this.org.schema.get(pe[1]!) : undefined;
        if (!def || def.kind !== 'platformEvent' || def.name !== pe![1]) return undefined;
        return { name, kind: 'platformEvent', def, schema: this.schemaFor(def) };
    }

    /**
     * Whether the user may subscribe to / publish on the topic. Change events ignore sharing, so a per-entity
     * channel takes View All Records on the object or View All Data (View All Users for UserChangeEvent);
     * /data/ChangeEvents admits anyone and filters each delivery the same way (Change Data Capture Developer
     * Guide, "Required Permissions for Change Event Subscribers").
     */
    access(topic: TopicView, userId: string): { canSubscribe: boolean; canPublish: boolean } {
        const view = this.org.access(userId);
        if (topic.kind === 'cdc-all') return { canSubscribe: this.selection.length > 0, canPublish: false };
        if (topic.kind === 'cdc') return { canSubscribe: this.mayReceiveChanges(view, topic.def!), canPublish: false };
        const access = view.object(topic.def!);
        return { canSubscribe: access.read, canPublish: access.create };
    }

    /** Whether the user may receive change events of the object (the permission per entity). */
    mayReceiveChanges(view: AccessView, def: ObjectDef): boolean {
        if (def.name === 'User') return view.viewAllUsers;
        return view.viewAllData || view.object(def).viewAll;
    }

    // ---- the log ----

    private now(): number {
        return this.org.clock.peekMs();
    }

    /** Drops events older than the retention window (measured on the org clock). */
    purge(): void {
        const horizon = this.now() - this.retentionMs;
        let cut = 0;
        while (cut < this.log.length && this.log[cut]!.publishedAt < horizon) cut++;
        if (cut > 0) {
            this.purgedThrough = this.log[cut - 1]!.replayId;
            this.log = this.log.slice(cut);
        }
    }

    retained(topic?: string): RetainedEvent[] {
        this.purge();
        return topic ? this.log.filter((e) => this.matches(topic, e)) : [...this.log];
    }

    private matches(topic: string, e: RetainedEvent): boolean {
        return topic === e.channel || (topic === ALL_CHANGE_EVENTS && e.channel.startsWith('/data/'));
    }

    private append(channel: string, schema: EventSchema, values: Record<string, unknown>, id: string): RetainedEvent {
        const payload = schema.type.toBuffer(values);
        this.lastReplayId += 1n;
        const event: RetainedEvent = {
            replayId: this.lastReplayId,
            channel,
            id,
            schema,
            payload,
            values,
            publishedAt: this.now()
        };
        this.log.push(event);
        return event;
    }

    /** The hook listener: CDC events for selected entities, then the transaction's platform events. */
    onTransaction(tx: CommittedTransaction): void {
        const events = changeEvents(tx, {
            selected: (sobject) => this.selection.includes(sobject),
            schemaOf: (sobject) => this.schemaFor(this.org.schema.require(sobject)),
            merge: this.mergeIdenticalChanges
        });
        for (const e of events) this.appendChange(e);
        for (const pe of tx.events) {
            const def = this.org.schema.get(pe.sobject);
            if (!def) continue;
            const schema = this.schemaFor(def);
            const values: Record<string, unknown> = {};
            for (const p of schema.fields) values[p.name] = toAvroValue(p.source!, pe.fields[p.name]);
            values.CreatedDate = toAvroValue(
                def.fields.find((f) => f.name === 'CreatedDate')!,
                pe.fields.CreatedDate
            );
            values.CreatedById = String(pe.fields.CreatedById ?? tx.userId);
            this.append(`/event/${def.name}`, schema, values, pe.uuid);
        }
        this.pump();
    }

    private appendChange(e: CdcEvent): void {
        const channel = `/data/${e.schema.name}`;
        let values = e.values;
        if (e.schema.type.toBuffer(values).length > MAX_EVENT_BYTES) {
            // A change event over 1 MB is replaced by a gap event (sf-wire.md §4.3).
            values = gapEvent(e.schema, {
                ...e.header,
                changeType: `GAP_${e.header.changeType}` as CdcChangeType
            }).values;
        }
        this.append(channel, e.schema, values, randomUUID());
    }

    /** Admin: a GAP_<type> or GAP_OVERFLOW event for a selected entity. */
    injectGap(entity: string, changeType: CdcChangeType, recordIds: string[], userId: string): RetainedEvent {
        const def = this.org.schema.get(entity);
        if (!def || !this.selection.includes(def.name))
            throw new BusConfigError(
                'ENTITY_NOT_SELECTED',
                'entity',
                `${entity} is not selected for Change Data Capture`
            );
        const schema = this.schemaFor(def);
        const header = {
            entityName: def.name,
            recordIds: changeType === 'GAP_OVERFLOW' ? [] : recordIds,
            changeType,
            changeOrigin: '',
            transactionKey: randomUUID(),
            sequenceNumber: 1,
            commitTimestamp: this.now(),
            commitNumber: 0,
            commitUser: userId,
            nulledFields: [],
            diffFields: [],
            changedFields: []
        };
        const event = this.append(`/data/${schema.name}`, schema, gapEvent(schema, header).values, randomUUID());
        this.pump();
        return event;
    }

    /** Pub/Sub Publish: one platform event; returns its replay id. The server sets CreatedDate/CreatedById. */
    publishDecoded(topic: TopicView, values: Record<string, unknown>, userId: string): RetainedEvent {
        const event = this.append(
            topic.name,
            topic.schema!,
            { ...values, CreatedDate: this.org.clock.nowMs(), CreatedById: userId },
            randomUUID()
        );
        return event;
    }

    // ---- subscriptions ----

    /** Starting cursor for a new subscription; CUSTOM replay ids must be known and not expired. */
    startCursor(preset: 'LATEST' | 'EARLIEST' | 'CUSTOM', replayId: Buffer | undefined): bigint {
        this.purge();
        if (preset === 'LATEST') return this.lastReplayId;
        if (preset === 'EARLIEST') return this.purgedThrough;
        if (!replayId || replayId.length !== 8)
            throw new BusError(
                'INVALID_ARGUMENT',
                ERROR_CODES.replayCorrupted,
                'The Replay ID validation failed: a replay ID is 8 bytes.'
            );
        const id = replayId.readBigUInt64BE();
        // The event a replay id names must still be retained: one at or below the purge line has expired.
        if (id > this.lastReplayId || (this.purgedThrough > 0n && id <= this.purgedThrough))
            throw new BusError(
                'INVALID_ARGUMENT',
                ERROR_CODES.replayCorrupted,
                `The Replay ID validation failed: ${id} is unknown or outside the retention window.`
            );
        return id;
    }

    subscribe(topic: string, userId: string, cursor: bigint, sink: SubscriberSink): Subscription {
        const sub = new Subscription(topic, userId, cursor, sink);
        this.subscriptions.add(sub);
        this.counters.set(sub.id, { subscriptionId: sub.id, userId, topic, delivered: 0, open: true });
        sub.keepalive = setInterval(() => this.keepalive(sub), this.keepaliveMs);
        sub.keepalive.unref();
        return sub;
    }

    /** A later FetchRequest: more capacity, capped at 100 outstanding. */
    request(sub: Subscription, numRequested: number): void {
        sub.pending = Math.min(MAX_NUM_REQUESTED, sub.pending + numRequested);
        this.pump();
    }

    close(sub: Subscription): void {
        sub.open = false;
        clearInterval(sub.keepalive);
        this.subscriptions.delete(sub);
        const c = this.counters.get(sub.id);
        if (c) c.open = false;
    }

    private keepalive(sub: Subscription): void {
        if (!sub.open) return;
        this.advanceIdle(sub);
        sub.sink.send({ events: [], latestReplayId: sub.cursor, pendingNumRequested: sub.pending });
    }

    /** With nothing undelivered on its topic, a subscription's position is the tip of the bus. */
    private advanceIdle(sub: Subscription): void {
        if (!this.log.some((e) => e.replayId > sub.cursor && this.matches(sub.topic, e)))
            sub.cursor = this.lastReplayId;
    }

    private deliveredInWindow(): number {
        const since = this.now() - DAY_MS;
        this.deliveries = this.deliveries.filter((d) => d.at >= since);
        return this.deliveries.reduce((n, d) => n + d.count, 0);
    }

    /** On /data/ChangeEvents each delivery is checked against the subscriber's permission for its entity. */
    private permitted(sub: Subscription, e: RetainedEvent): boolean {
        if (sub.topic !== ALL_CHANGE_EVENTS) return true;
        const def = this.topic(e.channel)?.def;
        return def !== undefined && this.mayReceiveChanges(this.org.access(sub.userId), def);
    }

    /** Delivers what each subscription is owed, honouring faults and the delivery allocation. */
    pump(): void {
        this.purge();
        for (const sub of [...this.subscriptions]) {
            if (!sub.open || sub.pending <= 0) continue;
            const due = this.log
                .filter((e) => e.replayId > sub.cursor && this.matches(sub.topic, e) && this.permitted(sub, e))
                .slice(0, sub.pending);
            if (due.length === 0) continue;
            const room = this.deliveryAllocation - this.deliveredInWindow();
            if (room <= 0) {
                this.fail(sub, limitExceeded());
                continue;
            }
            const batch: RetainedEvent[] = [];
            for (const e of due.slice(0, room)) {
                const fault = this.faults.find((f) => f.remaining > 0 && (!f.topic || this.matches(f.topic, e)));
                if (fault) fault.remaining -= 1;
                if (fault?.action === 'drop') continue;
                batch.push(e);
                if (fault?.action === 'duplicate') batch.push(e);
            }
            this.faults = this.faults.filter((f) => f.remaining > 0);
            const last = due[Math.min(due.length, room) - 1]!;
            sub.cursor = last.replayId;
            const counted = Math.min(due.length, room);
            sub.pending -= counted;
            sub.delivered += batch.length;
            const c = this.counters.get(sub.id);
            if (c) c.delivered += batch.length;
            this.deliveries.push({ at: this.now(), count: batch.length });
            if (batch.length > 0)
                sub.sink.send({ events: batch, latestReplayId: sub.cursor, pendingNumRequested: sub.pending });
            // More was owed than the allocation allowed: the subscriber is disconnected at once.
            if (due.length > room) this.fail(sub, limitExceeded());
        }
    }

    private fail(sub: Subscription, error: BusError): void {
        this.close(sub);
        sub.sink.fail(error);
    }

    // ---- admin ----

    addFault(action: 'drop' | 'duplicate', count: number, topic?: string): void {
        this.faults.push({ action, topic, remaining: count });
    }

    /** Ends every open Subscribe stream with UNAVAILABLE (the platform's "retry after 5 s"). */
    killAll(): number {
        const open = [...this.subscriptions];
        for (const sub of open)
            this.fail(
                sub,
                new BusError(
                    'UNAVAILABLE',
                    ERROR_CODES.unavailable,
                    'The service is unavailable; retry after 5 seconds.'
                )
            );
        return open.length;
    }

    /** Closes every subscription without an error (shutdown: the transport ends the streams itself). */
    closeAll(): void {
        for (const sub of [...this.subscriptions]) this.close(sub);
    }

    deliveryCounters(): {
        allocation: number;
        deliveredLast24h: number;
        subscribers: { subscriptionId: string; userId: string; topic: string; delivered: number; open: boolean }[];
    } {
        return {
            allocation: this.deliveryAllocation,
            deliveredLast24h: this.deliveredInWindow(),
            subscribers: [...this.counters.values()].map((c) => ({ ...c }))
        };
    }

    latestReplayId(): bigint {
        return this.lastReplayId;
    }
}
