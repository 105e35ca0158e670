// The request pipeline every vendor route goes through, in the order the real services apply it:
// injected fault → authentication → rate-limit bucket → handler → (optionally) a lost response.
// Handlers return a VendorReply or throw VendorError; nothing else reaches the wire (no stack traces).
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Traffic } from './traffic.ts';
import type { Vendor } from './store.ts';
import type { WorkspaceUser } from './users.ts';

/** Who a vendor request acts as (Ironclad x-as-user-email, SpotDraft user-email). */
export interface ActorPrincipal {
    actor: WorkspaceUser;
}

/** Credential comparison that does not leak, through timing, how much of a guess was right. */
export function constantTimeEquals(a: string, b: string): boolean {
    const left = Buffer.from(a);
    const right = Buffer.from(b);
    return left.length === right.length && timingSafeEqual(left, right);
}

export interface VendorReply {
    status: number;
    body?: unknown;
    /** Raw bytes (documents); sent with `contentType`. */
    bytes?: Buffer;
    text?: string;
    contentType?: string;
    headers?: Record<string, string>;
}

export class VendorError extends Error {
    constructor(readonly reply: VendorReply) {
        super(`vendor error ${reply.status}`);
    }
}

export interface RouteContext<Principal> {
    request: FastifyRequest;
    principal: Principal;
    params: Record<string, string>;
    query: Record<string, unknown>;
    body: unknown;
    /** Absolute origin of this server (for links in responses). */
    origin: string;
}

export interface Dialect<Principal> {
    vendor: Vendor;
    /** URL prefix of the vendor API on this server, e.g. `/ironclad/public/api/v1`. */
    prefix: string;
    authenticate(request: FastifyRequest, route: RouteSpec<Principal>): VendorReply | { principal: Principal };
    rateLimited(retryAfterMs: number, bucket: string): VendorReply;
    faultReply(status: number): VendorReply;
}

export interface RouteSpec<Principal> {
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
    /** Vendor-relative template in OpenAPI form, e.g. `/workflows/{id}`; also the counter/fault operation name. */
    template: string;
    bucket?: string;
    scope?: string;
    /** Skip authentication (token endpoint, pre-signed file links). */
    public?: boolean;
    /** Overrides the prefix (the Ironclad token endpoint lives outside the API base). */
    prefix?: string;
    handler: (context: RouteContext<Principal>) => Promise<VendorReply> | VendorReply;
}

interface RouteConfig {
    vendor: Vendor;
    operation: string;
}

export function operationName(method: string, template: string): string {
    return `${method.toUpperCase()} ${template}`;
}

export function routeConfig(request: FastifyRequest): RouteConfig | undefined {
    const config = request.routeOptions.config as Partial<RouteConfig> | undefined;
    return config?.vendor && config.operation ? (config as RouteConfig) : undefined;
}

const dropped = new WeakSet<FastifyRequest>();

/** Counts every vendor request and its final status (errors from body parsing included). */
export function installCounting(app: FastifyInstance, traffic: Traffic): void {
    app.addHook('onRequest', async (request) => {
        const config = routeConfig(request);
        if (config) traffic.counter(config.vendor, config.operation).requests += 1;
    });
    app.addHook('onResponse', async (request, reply) => {
        const config = routeConfig(request);
        if (config && !dropped.has(request)) traffic.recordStatus(config.vendor, config.operation, reply.statusCode);
    });
}

function send(reply: FastifyReply, result: VendorReply): FastifyReply {
    reply.code(result.status);
    for (const [name, value] of Object.entries(result.headers ?? {})) reply.header(name, value);
    if (result.bytes) return reply.type(result.contentType ?? 'application/octet-stream').send(result.bytes);
    if (result.text !== undefined)
        return reply.type(result.contentType ?? 'text/plain; charset=utf-8').send(result.text);
    if (result.body === undefined) return reply.send();
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(result.body));
}

function dropConnection(request: FastifyRequest, reply: FastifyReply, traffic: Traffic, config: RouteConfig): void {
    dropped.add(request);
    traffic.counter(config.vendor, config.operation).dropped += 1;
    reply.hijack();
    request.raw.socket.destroy();
}

export function registerRoute<Principal>(
    app: FastifyInstance,
    traffic: Traffic,
    dialect: Dialect<Principal>,
    route: RouteSpec<Principal>
): void {
    const url = (route.prefix ?? dialect.prefix) + route.template.replace(/\{([^}]+)\}/g, ':$1');
    const config: RouteConfig = { vendor: dialect.vendor, operation: operationName(route.method, route.template) };
    app.route({
        method: route.method,
        url,
        config,
        handler: async (request, reply) => {
            const fault = traffic.takeFault(config.vendor, config.operation);
            if (fault?.kind === 'latency') await new Promise((resolve) => setTimeout(resolve, fault.latencyMs ?? 0));
            if (fault?.kind === 'drop' && fault.phase === 'before')
                return dropConnection(request, reply, traffic, config);
            if (fault?.kind === 'status') return send(reply, dialect.faultReply(fault.status!));
            // A download answered elsewhere: a redirect, or a JSON link (the shape of SpotDraft's download_link).
            if (fault?.kind === 'redirect')
                return send(reply, { status: fault.status ?? 302, headers: { location: fault.location! } });
            if (fault?.kind === 'link')
                return send(reply, { status: 200, body: { url: fault.location!, file_name: 'contract.pdf' } });
            if (fault?.kind === 'rate-limit') {
                traffic.counter(config.vendor, config.operation).rateLimited += 1;
                const retryAfterMs = (fault.retryAfterSeconds ?? 1) * 1000;
                return send(reply, dialect.rateLimited(retryAfterMs, 'injected'));
            }
            let principal: Principal | undefined;
            if (!route.public) {
                const auth = dialect.authenticate(request, route);
                if (!('principal' in auth)) return send(reply, auth);
                principal = auth.principal;
            }
            if (route.bucket) {
                const decision = traffic.take(config.vendor, route.bucket);
                if (!decision.allowed) {
                    traffic.counter(config.vendor, config.operation).rateLimited += 1;
                    return send(reply, dialect.rateLimited(decision.retryAfterMs, decision.bucket));
                }
            }
            let result: VendorReply;
            try {
                result = await route.handler({
                    request,
                    principal: principal as Principal,
                    params: request.params as Record<string, string>,
                    query: request.query as Record<string, unknown>,
                    body: request.body,
                    origin: `${request.protocol}://${request.host}`
                });
            } catch (error) {
                if (error instanceof VendorError) result = error.reply;
                else throw error;
            }
            if (fault?.kind === 'drop' && fault.phase === 'after')
                return dropConnection(request, reply, traffic, config);
            return send(reply, result);
        }
    });
}
