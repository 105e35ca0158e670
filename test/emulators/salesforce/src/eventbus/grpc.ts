// The Pub/Sub API over TLS gRPC (sf-wire.md §5), with the official proto as shipped inside
// salesforce-pubsub-api-client. Every RPC checks its metadata (accesstoken, instanceurl, tenantid); refusals
// carry the gRPC status plus the `error-code` and `rpc-id` trailers, and the rpc id in the description.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
    BusError,
    encodeReplayId,
    ERROR_CODES,
    MAX_EVENT_BYTES,
    type EventBus,
    type FetchBatch,
    type Subscription,
    type TopicView
} from './bus.ts';

/** The proto the real client uses (not in the package's exports map: resolved beside its entry point). */
export const PUBSUB_PROTO = path.join(
    path.dirname(createRequire(import.meta.url).resolve('salesforce-pubsub-api-client')),
    '..',
    'pubsub_api.proto'
);

interface ProducerEventMsg {
    id?: string;
    schemaId?: string;
    payload?: Buffer;
}
interface FetchRequestMsg {
    topicName?: string;
    replayPreset?: 'LATEST' | 'EARLIEST' | 'CUSTOM';
    replayId?: Buffer;
    numRequested?: number;
}
interface PublishRequestMsg {
    topicName?: string;
    events?: ProducerEventMsg[];
}

export function loadPubSubService(): grpc.ServiceDefinition {
    const definition = protoLoader.loadSync(PUBSUB_PROTO, {
        keepCase: false,
        enums: String,
        defaults: true,
        longs: String
    });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
        eventbus: { v1: { PubSub: grpc.ServiceClientConstructor } };
    };
    return pkg.eventbus.v1.PubSub.service;
}

function serviceError(error: BusError, rpcId: string): grpc.ServiceError {
    const metadata = new grpc.Metadata();
    metadata.set('error-code', error.errorCode);
    metadata.set('rpc-id', rpcId);
    return Object.assign(new Error(error.message), {
        code: grpc.status[error.status],
        details: `${error.message} rpcId: ${rpcId}`,
        metadata
    });
}

interface Caller {
    userId: string;
}

export class PubSubServer {
    private server = new grpc.Server();
    private openCalls = new Set<grpc.ServerDuplexStream<unknown, unknown>>();
    port = 0;

    constructor(private readonly bus: EventBus) {
        this.server.addService(loadPubSubService(), {
            GetTopic: (call: grpc.ServerUnaryCall<{ topicName?: string }, unknown>, cb: grpc.sendUnaryData<unknown>) =>
                this.unary(call, cb, (caller, rpcId) => {
                    const topic = this.requireTopic(call.request.topicName);
                    const access = this.bus.access(topic, caller.userId);
                    return {
                        topicName: topic.name,
                        tenantGuid: this.bus.org.orgId,
                        canPublish: access.canPublish,
                        canSubscribe: access.canSubscribe,
                        schemaId: topic.schema?.id ?? '',
                        rpcId
                    };
                }),
            GetSchema: (call: grpc.ServerUnaryCall<{ schemaId?: string }, unknown>, cb: grpc.sendUnaryData<unknown>) =>
                this.unary(call, cb, (_caller, rpcId) => {
                    const schema = this.bus.schemaById(call.request.schemaId ?? '');
                    if (!schema)
                        throw new BusError(
                            'NOT_FOUND',
                            ERROR_CODES.invalidArgument,
                            `No schema with id '${call.request.schemaId ?? ''}'.`
                        );
                    return { schemaJson: schema.json, schemaId: schema.id, rpcId };
                }),
            Publish: (call: grpc.ServerUnaryCall<PublishRequestMsg, unknown>, cb: grpc.sendUnaryData<unknown>) =>
                this.unary(call, cb, (caller, rpcId) => this.publish(call.request, caller, rpcId)),
            PublishStream: (call: grpc.ServerDuplexStream<PublishRequestMsg, unknown>) => this.publishStream(call),
            Subscribe: (call: grpc.ServerDuplexStream<FetchRequestMsg, unknown>) => this.subscribe(call),
            ManagedSubscribe: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
                this.track(call);
                call.emit(
                    'error',
                    serviceError(
                        new BusError(
                            'UNAVAILABLE',
                            ERROR_CODES.unavailable,
                            'ManagedSubscribe is not offered by the emulator.'
                        ),
                        randomUUID()
                    )
                );
            }
        });
    }

    async listen(port: number, credentials: { key: string; cert: string }): Promise<number> {
        const creds = grpc.ServerCredentials.createSsl(
            null,
            [{ private_key: Buffer.from(credentials.key), cert_chain: Buffer.from(credentials.cert) }],
            false
        );
        this.port = await new Promise<number>((resolve, reject) =>
            this.server.bindAsync(`localhost:${port}`, creds, (err, bound) => (err ? reject(err) : resolve(bound)))
        );
        return this.port;
    }

    /** Ends open streams server-side first (so no client sees an unhandled 'error'), then stops. */
    async close(): Promise<void> {
        for (const call of this.openCalls) call.end();
        this.openCalls.clear();
        await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    }

    private track(call: grpc.ServerDuplexStream<unknown, unknown>): void {
        this.openCalls.add(call);
        const forget = () => this.openCalls.delete(call);
        call.on('finish', forget);
        call.on('cancelled', forget);
        call.on('close', forget);
    }

    /** Checks accesstoken (a live session of an active user), tenantid (this org) and instanceurl. */
    private authenticate(metadata: grpc.Metadata): Caller {
        const one = (key: string) => {
            const v = metadata.get(key)[0];
            return typeof v === 'string' ? v : v?.toString('utf8');
        };
        const token = one('accesstoken');
        const tenant = one('tenantid');
        const instance = one('instanceurl');
        const missing = [
            ['accesstoken', token],
            ['instanceurl', instance],
            ['tenantid', tenant]
        ].find(([, v]) => !v)?.[0];
        if (missing) throw new BusError('UNAUTHENTICATED', ERROR_CODES.auth, `The ${missing} header is missing.`);
        const org = this.bus.org;
        if (tenant !== org.orgId && tenant !== org.orgId15)
            throw new BusError('UNAUTHENTICATED', ERROR_CODES.auth, 'The tenantid header does not name this org.');
        const session = org.sessions.use(token!);
        const user = session ? org.store.get('User', session.userId) : undefined;
        if (!session || !user || user.IsActive !== true)
            throw new BusError('UNAUTHENTICATED', ERROR_CODES.auth, 'The access token is invalid or expired.');
        return { userId: session.userId };
    }

    private requireTopic(name: string | undefined): TopicView {
        if (!name) throw new BusError('INVALID_ARGUMENT', ERROR_CODES.invalidArgument, 'topic_name is required.');
        const topic = this.bus.topic(name);
        if (!topic)
            throw new BusError(
                'NOT_FOUND',
                ERROR_CODES.topicNotFound,
                `Topic '${name}' does not exist or is not enabled.`
            );
        return topic;
    }

    private unary<Req, Res>(
        call: grpc.ServerUnaryCall<Req, unknown>,
        cb: grpc.sendUnaryData<unknown>,
        fn: (caller: Caller, rpcId: string) => Res
    ): void {
        const rpcId = randomUUID();
        try {
            cb(null, fn(this.authenticate(call.metadata), rpcId));
        } catch (e) {
            cb(serviceError(this.asBusError(e), rpcId));
        }
    }

    private asBusError(e: unknown): BusError {
        if (e instanceof BusError) return e;
        return new BusError(
            'INVALID_ARGUMENT',
            ERROR_CODES.invalidArgument,
            e instanceof Error ? e.message : String(e)
        );
    }

    private publish(request: PublishRequestMsg, caller: Caller, rpcId: string, fixedTopic?: TopicView) {
        const topic = fixedTopic ?? this.requireTopic(request.topicName);
        if (fixedTopic && request.topicName && request.topicName !== fixedTopic.name)
            throw new BusError(
                'INVALID_ARGUMENT',
                ERROR_CODES.invalidArgument,
                'The topic of a PublishStream cannot change.'
            );
        if (topic.kind !== 'platformEvent' || !this.bus.access(topic, caller.userId).canPublish)
            throw new BusError(
                'PERMISSION_DENIED',
                ERROR_CODES.permission,
                `Publishing to '${topic.name}' is not allowed.`
            );
        const results = (request.events ?? []).map((ev) => {
            const correlationKey = ev.id ?? '';
            const reject = (msg: string) => ({
                replayId: Buffer.alloc(0),
                error: { code: 'PUBLISH', msg },
                correlationKey
            });
            if (ev.schemaId !== topic.schema!.id)
                return reject(`schema_id '${ev.schemaId ?? ''}' is not the topic's schema ${topic.schema!.id}.`);
            if (!ev.payload || ev.payload.length > MAX_EVENT_BYTES)
                return reject('The event payload is missing or larger than 1 MB.');
            let values: Record<string, unknown>;
            try {
                values = topic.schema!.type.fromBuffer(ev.payload) as Record<string, unknown>;
            } catch (e) {
                return reject(
                    `The payload does not decode with schema ${topic.schema!.id}: ${e instanceof Error ? e.message : String(e)}`
                );
            }
            const event = this.bus.publishDecoded(topic, values, caller.userId);
            return { replayId: encodeReplayId(event.replayId), correlationKey };
        });
        this.bus.pump();
        return { results, schemaId: topic.schema!.id, rpcId };
    }

    private publishStream(call: grpc.ServerDuplexStream<PublishRequestMsg, unknown>): void {
        this.track(call);
        let topic: TopicView | undefined;
        let caller: Caller | undefined;
        call.on('data', (request: PublishRequestMsg) => {
            const rpcId = randomUUID();
            try {
                caller ??= this.authenticate(call.metadata);
                topic ??= this.requireTopic(request.topicName);
                call.write(this.publish(request, caller, rpcId, topic));
            } catch (e) {
                call.emit('error', serviceError(this.asBusError(e), rpcId));
            }
        });
        call.on('end', () => call.end());
        call.on('error', () => undefined);
    }

    private subscribe(call: grpc.ServerDuplexStream<FetchRequestMsg, unknown>): void {
        this.track(call);
        const rpcId = randomUUID();
        let sub: Subscription | undefined;
        const fail = (e: unknown) => {
            if (sub) this.bus.close(sub);
            call.emit('error', serviceError(this.asBusError(e), rpcId));
        };
        call.on('data', (request: FetchRequestMsg) => {
            try {
                const num = request.numRequested ?? 0;
                if (num < 0)
                    throw new BusError(
                        'INVALID_ARGUMENT',
                        ERROR_CODES.invalidArgument,
                        'num_requested must not be negative.'
                    );
                if (!sub) {
                    const caller = this.authenticate(call.metadata);
                    const topic = this.requireTopic(request.topicName);
                    if (!this.bus.access(topic, caller.userId).canSubscribe)
                        throw new BusError(
                            'PERMISSION_DENIED',
                            ERROR_CODES.permission,
                            `Subscribing to '${topic.name}' is not allowed.`
                        );
                    const cursor = this.bus.startCursor(request.replayPreset ?? 'LATEST', request.replayId);
                    sub = this.bus.subscribe(topic.name, caller.userId, cursor, {
                        send: (batch) => this.sendBatch(call, batch, rpcId),
                        fail: (error) => call.emit('error', serviceError(error, rpcId))
                    });
                } else if (request.topicName && request.topicName !== sub.topic) {
                    throw new BusError(
                        'INVALID_ARGUMENT',
                        ERROR_CODES.invalidArgument,
                        `A subscription's topic cannot change (was '${sub.topic}').`
                    );
                }
                this.bus.request(sub, num);
            } catch (e) {
                fail(e);
            }
        });
        const stop = () => {
            if (sub) this.bus.close(sub);
        };
        call.on('end', () => {
            stop();
            call.end();
        });
        call.on('cancelled', stop);
        call.on('error', stop);
    }

    private sendBatch(call: grpc.ServerDuplexStream<FetchRequestMsg, unknown>, batch: FetchBatch, rpcId: string): void {
        call.write({
            events: batch.events.map((e) => ({
                event: { id: e.id, schemaId: e.schema.id, payload: e.payload, headers: [] },
                replayId: encodeReplayId(e.replayId)
            })),
            latestReplayId: encodeReplayId(batch.latestReplayId),
            rpcId,
            pendingNumRequested: batch.pendingNumRequested
        });
    }
}
