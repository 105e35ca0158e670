// Starts the event bus beside an org: subscribes to the transaction hook and serves the Pub/Sub API over TLS
// gRPC on localhost. The certificate comes from the emulator's start-up; the admin routes are registered on
// the HTTP server before it listens (registerEventBusAdminRoutes).
import type { Org } from '../org.ts';
import { EventBus, type EventBusOptions } from './bus.ts';
import { PubSubServer } from './grpc.ts';

export { EventBus, type EventBusOptions } from './bus.ts';
export { registerEventBusAdminRoutes } from './admin.ts';

export interface PubSubOptions extends EventBusOptions {
    /** gRPC port; 0 (default) picks a free one. */
    port?: number;
}

export interface RunningEventBus {
    bus: EventBus;
    /** `localhost:<port>`: the client must use the name, not 127.0.0.1 (toolchain.md §8). */
    pubsubEndpoint: string;
    close(): Promise<void>;
}

export async function startEventBus(
    org: Org,
    tls: { key: string; cert: string },
    options: PubSubOptions = {}
): Promise<RunningEventBus> {
    const bus = new EventBus(org, options);
    const unsubscribe = org.hook.subscribe((tx) => bus.onTransaction(tx));
    const server = new PubSubServer(bus);
    const port = await server.listen(options.port ?? 0, tls);
    return {
        bus,
        pubsubEndpoint: `localhost:${port}`,
        async close() {
            unsubscribe();
            bus.closeAll();
            await server.close();
        }
    };
}
