/**
 * The admin API's audit routes (docs/admin-api.md): POST /admin/audit starts a run, GET /admin/audit reports the
 * latest and GET /admin/audit/{auditId} a given one. Registered inside the admin scope (the bearer token is
 * checked). The agreement gauge is the metrics adapter's (serviceMetrics.ts).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isConnectorError } from '../../domain/index.ts';
import type { Audit } from '../../app/audit.ts';

const AuditBody = z.object({ repair: z.boolean().optional() }).strict();

export function registerAuditRoutes(admin: FastifyInstance, audit: Audit | undefined): void {
    const unavailable = { code: 'ADMIN.UNAVAILABLE', message: 'This connector was started without the audit' };
    admin.post('/admin/audit', async (request, reply) => {
        const body = AuditBody.safeParse(request.body ?? {});
        if (!body.success) {
            const issue = body.error.issues[0];
            const field = issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue?.path.join('.');
            return reply.code(400).send({
                code: 'ADMIN.INVALID_REQUEST',
                message: `${field || 'body'}: ${issue?.code === 'unrecognized_keys' ? 'not a field of this request' : (issue?.message ?? 'invalid')}. Send {"repair"?: true}`,
                field: field || 'body'
            });
        }
        if (!audit) return reply.code(503).send(unavailable);
        try {
            const run = audit.start({ repair: body.data.repair ?? false });
            return reply.code(202).send({ auditId: run.auditId, state: run.state, repair: run.repair });
        } catch (error) {
            if (isConnectorError(error, 'ADMIN.AUDIT_RUNNING'))
                return reply
                    .code(409)
                    .send({ code: error.code, message: error.message, auditId: error.details.auditId });
            throw error;
        }
    });
    admin.get('/admin/audit', async (_request, reply) => {
        if (!audit) return reply.code(503).send(unavailable);
        return audit.latest() ?? reply.code(404).send({ code: 'ADMIN.NOT_FOUND', message: 'No audit has run yet' });
    });
    admin.get<{ Params: { auditId: string } }>('/admin/audit/:auditId', async (request, reply) => {
        const run = audit?.get(request.params.auditId);
        return run ?? reply.code(404).send({ code: 'ADMIN.NOT_FOUND', message: `No audit ${request.params.auditId}` });
    });
}
