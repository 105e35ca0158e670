/**
 * The admin API's backfill routes (docs/admin-api.md): POST /admin/backfill starts a job, GET
 * /admin/backfill/{jobId} reports it. Registered inside the admin scope, so the bearer token is already checked.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { isConnectorError } from '../../domain/index.ts';
import type { BackfillJob } from '../../ports/store.ts';
import type { Backfill } from '../../app/backfill.ts';

const IsoDate = z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/, 'an ISO 8601 date or date-time (2024-01-31)')
    .refine((value) => !Number.isNaN(Date.parse(value)), 'an ISO 8601 date or date-time (2024-01-31)');

const BackfillBody = z
    .object({
        object: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,79}$/, 'an object API name such as Opportunity'),
        since: IsoDate.optional()
    })
    .strict();

/** The answer of GET /admin/backfill/{jobId}: the contract's fields first, then what else the job knows. */
export function backfillAnswer(job: BackfillJob) {
    return {
        jobId: job.jobId,
        object: job.object,
        state: job.state,
        processed: job.processed,
        total: job.total,
        errors: job.errors,
        since: job.since,
        phase: job.phase,
        transport: job.transport,
        linked: job.linked,
        written: job.written,
        lastError: job.lastError,
        createdAt: new Date(job.createdAt).toISOString(),
        finishedAt: job.finishedAt === null ? null : new Date(job.finishedAt).toISOString()
    };
}

function invalid(reply: FastifyReply, message: string) {
    return reply.code(400).send({ code: 'ADMIN.INVALID_REQUEST', message });
}

export function registerBackfillRoutes(admin: FastifyInstance, backfill: Backfill | undefined): void {
    admin.post('/admin/backfill', async (request, reply) => {
        const body = BackfillBody.safeParse(request.body);
        if (!body.success) {
            const issue = body.error.issues[0];
            const field = issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue?.path.join('.');
            return invalid(
                reply,
                `${field || 'body'}: ${issue?.code === 'unrecognized_keys' ? 'not a field of this request' : (issue?.message ?? 'invalid')}. Send {"object": "Opportunity", "since"?: "2024-01-31"}`
            );
        }
        if (!backfill)
            return reply
                .code(503)
                .send({ code: 'ADMIN.UNAVAILABLE', message: 'This connector was started without backfill' });
        try {
            const job = await backfill.start(body.data.object, body.data.since ?? null);
            return reply.code(202).send({ jobId: job.jobId, object: job.object, state: job.state });
        } catch (error) {
            if (isConnectorError(error, 'ADMIN.UNKNOWN_OBJECT') || isConnectorError(error, 'ADMIN.UNSUPPORTED_OBJECT'))
                return reply.code(400).send({ code: error.code, message: error.message });
            throw error;
        }
    });

    admin.get<{ Params: { jobId: string } }>('/admin/backfill/:jobId', async (request, reply) => {
        // Job ids are `bf-<uuid>`: anything else is refused before it reaches the store.
        if (!/^[A-Za-z0-9_-]{1,64}$/.test(request.params.jobId))
            return reply.code(400).send({
                code: 'ADMIN.INVALID_REQUEST',
                message: 'jobId: a backfill job id such as bf-0f8e… (letters, digits, - and _, at most 64)',
                field: 'jobId'
            });
        const job = await backfill?.get(request.params.jobId);
        if (!job)
            return reply
                .code(404)
                .send({ code: 'ADMIN.NOT_FOUND', message: `No backfill job ${request.params.jobId}` });
        return backfillAnswer(job);
    });
}
