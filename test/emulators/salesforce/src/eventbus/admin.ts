// Admin API of the event bus, under `<adminUrl>/eventbus`: topics and retained events, CDC selection, gap and
// overflow injection, delivery faults (drop / duplicate), killing every stream, delivery counters per subscriber
// and the allocation. The clock is the emulator's (`POST <adminUrl>/clock`), so retention expiry is testable.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BusConfigError, type EventBus } from './bus.ts';
import { CHANGE_TYPES, type CdcChangeType } from './schemas.ts';

const selectionSchema = z
    .object({ entities: z.array(z.string().min(1)), allocation: z.number().int().min(1).max(100).optional() })
    .strict();
const gapSchema = z
    .object({
        entity: z.string().min(1),
        changeType: z.enum(CHANGE_TYPES.filter((t) => t.startsWith('GAP_')) as [CdcChangeType, ...CdcChangeType[]]),
        recordIds: z
            .array(z.string().regex(/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/, 'recordIds must be record ids'))
            .default([])
    })
    .strict();
const faultSchema = z
    .object({
        action: z.enum(['drop', 'duplicate']),
        topic: z.string().min(1).optional(),
        count: z.number().int().min(1).max(10_000).default(1)
    })
    .strict();
const settingsSchema = z
    .object({
        deliveryAllocation: z.number().int().min(0).optional(),
        mergeIdenticalChanges: z.boolean().optional()
    })
    .strict();

function invalid(reply: FastifyReply, code: string, field: string, message: string) {
    return reply.code(400).send([{ errorCode: code, message, fields: field ? [field] : [] }]);
}

function parse<T>(schema: z.ZodType<T>, body: unknown, reply: FastifyReply): T | undefined {
    const r = schema.safeParse(body ?? {});
    if (r.success) return r.data;
    const issue = r.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    void invalid(reply, 'INVALID_INPUT', field, `${field ? `${field}: ` : ''}${issue?.message ?? 'invalid input'}`);
    return undefined;
}

export function registerEventBusAdminRoutes(app: FastifyInstance, bus: EventBus, adminPrefix: string): void {
    const p = `${adminPrefix}/eventbus`;

    app.get(`${p}/topics`, async () =>
        bus.topics().map((t) => ({
            topicName: t.name,
            kind: t.kind,
            schemaId: t.schema?.id ?? null,
            retained: bus.retained(t.name).length
        }))
    );

    app.get(`${p}/events`, async (request: FastifyRequest<{ Querystring: { topic?: string } }>) =>
        bus.retained(request.query.topic).map((e) => ({
            replayId: e.replayId.toString(),
            channel: e.channel,
            id: e.id,
            schemaId: e.schema.id,
            publishedAt: new Date(e.publishedAt).toISOString(),
            payload: e.values
        }))
    );

    app.get(`${p}/cdc`, async () => ({ entities: bus.selection, allocation: bus.cdcEntityAllocation }));
    app.put(`${p}/cdc`, async (request: FastifyRequest, reply: FastifyReply) => {
        const body = parse(selectionSchema, request.body, reply);
        if (!body) return reply;
        const before = bus.cdcEntityAllocation;
        try {
            if (body.allocation !== undefined) bus.cdcEntityAllocation = body.allocation;
            bus.select(body.entities);
        } catch (e) {
            bus.cdcEntityAllocation = before;
            if (e instanceof BusConfigError) return invalid(reply, e.code, e.field, e.message);
            throw e;
        }
        return { entities: bus.selection, allocation: bus.cdcEntityAllocation };
    });

    app.post(`${p}/gap`, async (request: FastifyRequest, reply: FastifyReply) => {
        const body = parse(gapSchema, request.body, reply);
        if (!body) return reply;
        try {
            const e = bus.injectGap(body.entity, body.changeType, body.recordIds, bus.org.userIds.admin);
            return reply.code(201).send({ replayId: e.replayId.toString(), channel: e.channel });
        } catch (err) {
            if (err instanceof BusConfigError) return invalid(reply, err.code, err.field, err.message);
            throw err;
        }
    });

    app.post(`${p}/faults`, async (request: FastifyRequest, reply: FastifyReply) => {
        const body = parse(faultSchema, request.body, reply);
        if (!body) return reply;
        bus.addFault(body.action, body.count, body.topic);
        return reply.code(201).send(body);
    });

    app.post(`${p}/disconnect`, async () => ({ closed: bus.killAll() }));

    app.get(`${p}/deliveries`, async () => bus.deliveryCounters());

    app.put(`${p}/settings`, async (request: FastifyRequest, reply: FastifyReply) => {
        const body = parse(settingsSchema, request.body, reply);
        if (!body) return reply;
        if (body.deliveryAllocation !== undefined) bus.deliveryAllocation = body.deliveryAllocation;
        if (body.mergeIdenticalChanges !== undefined) bus.mergeIdenticalChanges = body.mergeIdenticalChanges;
        return { deliveryAllocation: bus.deliveryAllocation, mergeIdenticalChanges: bus.mergeIdenticalChanges };
    });
}
