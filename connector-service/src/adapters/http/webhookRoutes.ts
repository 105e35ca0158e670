/**
 * The CLM webhook endpoint: verifies the vendor's signature on the exact bytes received, writes the events to the
 * inbox durably, and only then answers 2xx — so an event the vendor saw acknowledged is never lost. A delivery the
 * vendor repeats (same event id) is answered 200 and stored once.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { isConnectorError } from '../../domain/index.ts';
import type { ClmPort } from '../../ports/clm.ts';
import type { Log } from '../../ports/logger.ts';
import type { InboxAppender, PairStore } from '../../ports/store.ts';

export interface WebhookServerOptions {
    orgId: string;
    store: Pick<InboxAppender, 'appendInbox'> & Pick<PairStore, 'findPair'>;
    clm: ClmPort;
    /** Largest body accepted; vendors' thin webhooks are a few hundred bytes. */
    bodyLimitBytes?: number;
    log?: Log;
    /** Called after events were stored, so the work loop starts at once instead of at its next poll. */
    onStored?: () => void;
    /** Counts a refused delivery (clm_connector_webhooks_refused_total on the service's /metrics). */
    onRefused?: (vendor: string, reason: string) => void;
}

export function buildWebhookServer(options: WebhookServerOptions): FastifyInstance {
    const app = Fastify({ logger: false });
    registerWebhookRoutes(app, options);
    return app;
}

/**
 * Adds `POST /webhooks/:vendor` to a server, in its own scope: there every content type arrives as raw bytes
 * (signatures are over the bytes, never over re-serialised JSON), with the body limit given.
 */
export function registerWebhookRoutes(server: FastifyInstance, options: WebhookServerOptions): void {
    const refuse = (vendor: string, reason: string, sourceAddress: string, fields: Record<string, unknown> = {}) => {
        options.onRefused?.(vendor, reason);
        options.log?.('warn', 'webhook refused', { vendor, reason, sourceAddress, ...fields });
    };
    void server.register(async (app) => {
        app.removeAllContentTypeParsers();
        app.addContentTypeParser(
            '*',
            { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes ?? 256 * 1024 },
            (_request, body, done) => done(null, body)
        );

        app.post<{ Params: { vendor: string } }>('/webhooks/:vendor', async (request, reply) => {
            const { clm, store, orgId } = options;
            if (request.params.vendor !== clm.vendor) {
                // The label is the configured vendor: a path segment an attacker picks must not mint new series.
                refuse(clm.vendor, 'unknown-vendor', request.ip, {
                    requestedVendor: request.params.vendor.slice(0, 40)
                });
                return reply.code(404).send({
                    code: 'WEBHOOK.UNKNOWN_VENDOR',
                    message: `No ${request.params.vendor} connection is configured`
                });
            }
            const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
            const webhook = { headers: request.headers, rawBody };
            const verification = await clm.verifyWebhook(webhook);
            if (!verification.ok && verification.reason !== 'replayed') {
                refuse(clm.vendor, verification.reason, request.ip);
                return reply.code(401).send({
                    code: `WEBHOOK.${verification.reason.toUpperCase().replace(/-/g, '_')}`,
                    message: 'The delivery is not signed by the configured CLM'
                });
            }
            let events;
            try {
                events = clm.parseWebhook(webhook);
            } catch (error) {
                const code = isConnectorError(error) ? error.code : 'WEBHOOK.MALFORMED';
                const field = isConnectorError(error) ? error.details.field : undefined;
                refuse(clm.vendor, 'malformed', request.ip, { code });
                return reply.code(400).send({ code, message: 'The delivery could not be read', field });
            }
            const items = [];
            for (const event of events) {
                const pair = await store.findPair(orgId, {
                    clm: {
                        vendor: event.contractRef.system,
                        objectType: event.contractRef.objectType,
                        id: event.contractRef.id
                    }
                });
                items.push({
                    source: `clm:${clm.vendor}:webhook`,
                    eventId: event.vendorEventId,
                    orderingKey: pair ? pair.pairId : `clm:${event.contractRef.id}`,
                    objectType: event.contractRef.objectType,
                    payload: {
                        kind: 'clm.event',
                        contractId: event.contractRef.id,
                        vendorEventId: event.vendorEventId,
                        at: event.at
                    },
                    correlationId: `wh-${event.vendorEventId}`.slice(0, 64)
                });
            }
            const result = await store.appendInbox(orgId, items);
            if (result.insertedIds.length > 0) options.onStored?.();
            return reply.code(200).send({ received: result.insertedIds.length, duplicates: result.duplicates });
        });
    });
}
