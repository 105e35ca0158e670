// A small TCP fault proxy for the test support (Toxiproxy's server is neither on npm nor in Debian): it listens on
// 127.0.0.1 (port 0), forwards every connection to one target, and applies the fault set when the connection
// opened — latency, a reset after some bytes, a half-open connection that never answers, a slow body trickled in
// small chunks, or refusing connections outright — to that connection for its whole life. A test wraps a client's
// base URL and breaks the transport under it while the HTTP layer above stays the real one; `dropAll` cuts the
// client's pooled keep-alive sockets so new connections (and the new fault) follow. Counters say what happened.
// The emulators inject the HTTP-level faults themselves (429/503 bursts, REQUEST_LIMIT_EXCEEDED, UNABLE_TO_LOCK_ROW,
// dropped streams, duplicated/reordered/delayed webhooks): this covers what lies below HTTP.
import net, { type AddressInfo, type Socket } from 'node:net';

export type TransportFault =
    | { kind: 'none' }
    /** Every chunk, both ways, waits this long. */
    | { kind: 'latency'; ms: number }
    /** The connection is reset (RST) once this many bytes came back from the target. */
    | { kind: 'reset'; afterBytes: number }
    /** The connection is accepted and then nothing: no bytes forwarded, none answered, until the client gives up. */
    | { kind: 'halfOpen' }
    /** The target's answer is trickled: `bytes` every `everyMs`. */
    | { kind: 'slow'; bytes: number; everyMs: number }
    /** New connections are closed at once (a service that is down). */
    | { kind: 'refuse' };

export interface FaultProxyCounters {
    connections: number;
    resets: number;
    halfOpen: number;
    refused: number;
}

export class FaultProxy {
    private fault: TransportFault = { kind: 'none' };
    /** Connections the fault still applies to (undefined: until cleared). */
    private remaining: number | undefined;
    private readonly sockets = new Set<Socket>();
    readonly counters: FaultProxyCounters = { connections: 0, resets: 0, halfOpen: 0, refused: 0 };

    private constructor(
        private readonly server: net.Server,
        readonly port: number
    ) {}

    /** A proxy in front of `target` (host:port on loopback). */
    static async start(target: { host: string; port: number }): Promise<FaultProxy> {
        const server = net.createServer();
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const proxy = new FaultProxy(server, (server.address() as AddressInfo).port);
        server.on('connection', (client) => proxy.accept(client, target));
        return proxy;
    }

    /** The same URL with its host and port replaced by the proxy's. */
    wrap(url: string): string {
        const wrapped = new URL(url);
        wrapped.hostname = '127.0.0.1';
        wrapped.port = String(this.port);
        return wrapped.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
    }

    /** Applies `fault` to new connections: the next `connections` of them, or all until cleared. */
    set(fault: TransportFault, connections?: number): void {
        this.fault = fault;
        this.remaining = connections;
    }

    clear(): void {
        this.fault = { kind: 'none' };
        this.remaining = undefined;
    }

    /** Ends every open connection (a network blip for the pooled keep-alive sockets of the client). */
    dropAll(): void {
        for (const socket of this.sockets) socket.destroy();
    }

    async close(): Promise<void> {
        this.dropAll();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }

    private track(socket: Socket): void {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
    }

    private accept(client: Socket, target: { host: string; port: number }): void {
        this.counters.connections += 1;
        this.track(client);
        const fault = this.fault;
        if (this.remaining !== undefined && --this.remaining <= 0) this.clear();
        if (fault.kind === 'refuse') {
            this.counters.refused += 1;
            client.destroy();
            return;
        }
        if (fault.kind === 'halfOpen') {
            // Read and discard; never connect, never answer, never close: the client's timeout must end it.
            this.counters.halfOpen += 1;
            client.on('data', () => {});
            return;
        }
        const upstream = net.connect(target.port, target.host);
        this.track(upstream);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        const flow = { returned: 0 };
        const pipe = (from: Socket, to: Socket, towardClient: boolean) => {
            // One queue per direction keeps the bytes in order whatever the fault delays.
            let chain = Promise.resolve();
            from.on('data', (chunk: Buffer) => {
                from.pause();
                chain = chain
                    .then(() => this.forward(chunk, to, fault, towardClient ? { flow, client, upstream } : null))
                    .then(() => {
                        from.resume();
                    });
            });
            from.on('end', () => void chain.then(() => to.end()));
        };
        pipe(client, upstream, false);
        pipe(upstream, client, true);
    }

    private async forward(
        chunk: Buffer,
        to: Socket,
        fault: TransportFault,
        towardClient: { flow: { returned: number }; client: Socket; upstream: Socket } | null
    ): Promise<void> {
        if (fault.kind === 'latency') await sleep(fault.ms);
        if (to.destroyed) return;
        if (towardClient && fault.kind === 'reset') {
            // Forward up to the reset point, then RST: the client sees a truncated answer and a reset.
            const room = Math.max(0, fault.afterBytes - towardClient.flow.returned);
            if (chunk.length >= room) {
                to.write(chunk.subarray(0, room), () => {
                    this.counters.resets += 1;
                    towardClient.client.resetAndDestroy();
                    towardClient.upstream.destroy();
                });
                towardClient.flow.returned += room;
                return;
            }
        }
        if (towardClient && fault.kind === 'slow') {
            for (let offset = 0; offset < chunk.length && !to.destroyed; offset += fault.bytes) {
                to.write(chunk.subarray(offset, offset + fault.bytes));
                await sleep(fault.everyMs);
            }
        } else to.write(chunk);
        if (towardClient) towardClient.flow.returned += chunk.length;
    }
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
