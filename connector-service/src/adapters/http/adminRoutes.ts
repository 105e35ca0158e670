/**
 * The admin API (docs/admin-api.md) behind a bearer token: status, errors, replay, conflicts, relink, and the
 * backfill and audit routes. Reads stay open while the store holds another org's state; nothing that writes runs.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { syncErrorKey } from '../../domain/index.ts';
import type { Audit } from '../../app/audit.ts';
import type { Backfill } from '../../app/backfill.ts';
import type { OrgBinding, RelinkOutcome } from '../../app/orgBinding.ts';
import type { SyncEngine } from '../../app/syncEngine.ts';
import type { Logger } from '../../ports/logger.ts';
import type { SalesforcePort } from '../../ports/salesforce.ts';
import type {
    ChangeLogReader,
    OrgBindingStore,
    QuarantineQueue,
    QueueRef,
    QueueStatsReader
} from '../../ports/store.ts';
import { registerAuditRoutes } from './auditRoutes.ts';
import { registerBackfillRoutes } from './backfillRoutes.ts';

export interface AdminRoutesOptions {
    name: string;
    version: string;
    orgId: string;
    store: Pick<QueueStatsReader, 'stats'> &
        QuarantineQueue &
        Pick<ChangeLogReader, 'listConflicts'> &
        Pick<OrgBindingStore, 'boundOrg'>;
    salesforce: SalesforcePort;
    engine: Pick<SyncEngine, 'isPaused'>;
    adminToken: string;
    logger: Logger;
    now: () => number;
    binding: OrgBinding;
    /** Wakes the work loop (after a replay). */
    kick: () => void;
    subscriptions?: () => Promise<unknown[]>;
    backfill?: Backfill;
    audit?: Audit;
}

const ReplayBody = z.union([
    z
        .object({
            ids: z
                .array(z.string().regex(/^(inbox|outbox):[1-9]\d{0,14}$/))
                .min(1)
                .max(1000)
        })
        .strict(),
    z.object({ all: z.literal(true) }).strict()
]);

/** The HTTP status of each outcome of an admin's relink. */
const RELINK_STATUS: Record<RelinkOutcome['kind'], number> = {
    relinked: 200,
    invalid: 400,
    notNeeded: 409,
    orgIdMismatch: 409,
    startFailed: 500
};

function digest(value: string): Buffer {
    return createHash('sha256').update(value).digest();
}

function authorized(request: FastifyRequest, adminToken: string): boolean {
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    // Compare fixed-length digests so neither the content nor the length leaks through timing.
    return token.length > 0 && timingSafeEqual(digest(token), digest(adminToken));
}

export function registerAdminRoutes(app: FastifyInstance, options: AdminRoutesOptions): void {
    const { store, orgId, binding } = options;
    const deny = (reply: FastifyReply) =>
        reply.code(401).send({
            code: 'ADMIN.UNAUTHORIZED',
            message: 'A valid admin token is required (Authorization: Bearer …)'
        });
    void app.register(async (admin) => {
        admin.addHook('onRequest', async (request, reply) => {
            if (!authorized(request, options.adminToken)) return deny(reply);
            // Reads stay open; nothing that writes (replay, backfill) runs on another org's state.
            if (binding.state === 'refusing' && request.method !== 'GET' && request.url !== '/admin/relink')
                return reply.code(409).send(binding.relinkRequired());
        });
        admin.get('/admin/relink', async () => ({
            state: binding.state,
            boundOrgId: await store.boundOrg(options.name),
            orgId
        }));
        admin.post('/admin/relink', async (request, reply) => {
            const outcome = await binding.relink(request.body, request.ip);
            return outcome.kind === 'relinked'
                ? outcome.body
                : reply.code(RELINK_STATUS[outcome.kind]).send(outcome.body);
        });
        admin.get('/admin/status', async () => {
            const stats = await store.stats(orgId, options.now());
            const counts = (queue: 'inbox' | 'outbox') => ({
                pending: stats[queue].byStatus.pending,
                processing: stats[queue].byStatus.processing,
                failed: stats[queue].byStatus.failed,
                quarantined: stats[queue].byStatus.quarantined
            });
            const budget = options.salesforce.apiBudget();
            return {
                orgId,
                connector: `${options.name} ${options.version}`,
                subscriptions: (await options.subscriptions?.()) ?? [],
                queues: { inbox: counts('inbox'), outbox: counts('outbox') },
                apiBudget: {
                    used: budget?.used ?? 0,
                    max: budget?.max ?? 0,
                    paused: options.engine.isPaused()
                }
            };
        });
        admin.get<{ Querystring: { limit?: string } }>('/admin/errors', async (request, reply) => {
            const limit = request.query.limit === undefined ? 50 : Number(request.query.limit);
            if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
                return reply.code(400).send({
                    code: 'ADMIN.INVALID_REQUEST',
                    message: 'limit must be a whole number from 1 to 1000'
                });
            }
            // Retrying (failed) and quarantined items, newest first.
            const items = await store.listQuarantined(orgId, { limit, statuses: ['failed', 'quarantined'] });
            return {
                items: items.map((item) => ({
                    // The same id the org's Clm_Sync_Error__c carries (Error_Key__c): one id in the CLI and the console.
                    id: syncErrorKey(item.queue, item.id),
                    kind: item.queue,
                    code: item.lastError?.code ?? 'UNKNOWN',
                    message: item.lastError?.message ?? '',
                    correlationId: item.correlationId,
                    attempts: item.attempts,
                    nextAttemptAt: item.status === 'failed' ? new Date(item.nextAttemptAt).toISOString() : null,
                    quarantined: item.status === 'quarantined'
                }))
            };
        });
        admin.post('/admin/replay', async (request, reply) => {
            const body = ReplayBody.safeParse(request.body);
            if (!body.success) {
                return reply.code(400).send({
                    code: 'ADMIN.INVALID_REQUEST',
                    message: 'Send {"ids": ["inbox:1", "outbox:2"]} or {"all": true}'
                });
            }
            const refs: QueueRef[] | 'all' =
                'all' in body.data
                    ? 'all'
                    : body.data.ids.map((id) => {
                          const [queue, number] = id.split(':');
                          return { queue: queue as QueueRef['queue'], id: Number(number) };
                      });
            const replayed = await store.replay(orgId, refs, options.now());
            options.logger.info({ replayed }, 'quarantined items replayed');
            options.kick();
            return { replayed };
        });
        registerBackfillRoutes(admin, options.backfill);
        registerAuditRoutes(admin, options.audit);
        admin.get('/admin/conflicts', async () => {
            const conflicts = await store.listConflicts(orgId, { status: 'open' });
            return {
                items: conflicts.map((conflict) => ({
                    id: String(conflict.id),
                    pairId: conflict.pairId,
                    rule: conflict.rule,
                    salesforceValue: conflict.salesforceValue,
                    clmValue: conflict.clmValue,
                    detectedAt: new Date(conflict.createdAt).toISOString()
                }))
            };
        });
    });
}
