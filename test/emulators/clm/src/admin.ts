// The operator/test API at /admin (documented in ../README.md): counters, lifecycle control, fault injection,
// rate-limit settings, webhook delivery settings and log, key rotation, the virtual clock, reset.
// Errors: 400/404/409 with {error:{code, message, field}} and a stable dotted code.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { VirtualClock } from './clock.ts';
import { contractStatus } from './spotdraft.ts';
import {
    hexId,
    LIFECYCLE_ACTIONS,
    TransitionError,
    type ContractStore,
    type StoredContract,
    type Vendor
} from './store.ts';
import { bucketLimitSchema, faultSchema, type Traffic } from './traffic.ts';
import { deliveryConfigSchema, type WebhookDispatcher } from './webhooks.ts';

export const ADMIN_PREFIX = '/admin';

export interface AdminDeps {
    store: ContractStore;
    traffic: Traffic;
    webhooks: WebhookDispatcher;
    clock: VirtualClock;
    settings: { spotdraft: { uniqueExternalMetadataId: boolean }; ironclad: { tokenTtlSeconds: number } };
    revokeIroncladTokens: () => void;
}

const vendorSchema = z.enum(['ironclad', 'spotdraft']);

class AdminError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
        readonly field?: string
    ) {
        super(message);
    }
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
    const result = schema.safeParse(value ?? {});
    if (result.success) return result.data;
    const issue = result.error.issues[0]!;
    const field = issue.path.map(String).join('.') || 'body';
    throw new AdminError(400, 'admin.invalid_request', `${field}: ${issue.message}`, field);
}

/** The vendor-neutral view of a contract, plus each dialect's ids and state. */
export function describeContract(contract: StoredContract) {
    return {
        vendor: contract.vendor,
        number: contract.number,
        ids:
            contract.vendor === 'ironclad'
                ? {
                      workflowId: contract.workflowId,
                      ironcladId: `IC-${contract.number}`,
                      recordId: contract.recordId ?? null
                  }
                : { contractId: contract.number, compositeId: `T-${contract.number}` },
        vendorState:
            contract.vendor === 'ironclad'
                ? { step: contract.stage, paused: contract.paused }
                : { contract_status: contractStatus(contract) },
        title: contract.title,
        templateId: contract.template.id,
        stage: contract.stage,
        paused: contract.paused,
        approvals: contract.approvals,
        signers: contract.signers,
        data: contract.data,
        externalMetadata: contract.externalMetadata,
        documents: contract.documents.map(({ key, kind, filename, version, createdAt, bytes }) => ({
            key,
            kind,
            filename,
            version,
            createdAt,
            bytes: bytes.length
        })),
        parentNumber: contract.parentNumber ?? null,
        childNumbers: contract.childNumbers,
        createdAt: contract.createdAt,
        updatedAt: contract.updatedAt
    };
}

export function registerAdmin(app: FastifyInstance, deps: AdminDeps): void {
    const { store, traffic, webhooks, clock, settings } = deps;
    const initialSettings = structuredClone(settings);

    const handle =
        <T>(
            run: (request: {
                params: Record<string, string>;
                body: unknown;
                query: Record<string, unknown>;
            }) => Promise<T> | T
        ) =>
        async (request: { params: unknown; body: unknown; query: unknown }, reply: FastifyReply) => {
            try {
                const result = await run({
                    params: request.params as Record<string, string>,
                    body: request.body,
                    query: request.query as Record<string, unknown>
                });
                return reply.code(200).send(result);
            } catch (caught) {
                if (caught instanceof AdminError) {
                    return reply
                        .code(caught.status)
                        .send({ error: { code: caught.code, message: caught.message, field: caught.field ?? null } });
                }
                if (caught instanceof TransitionError) {
                    return reply
                        .code(409)
                        .send({ error: { code: caught.code, message: caught.message, field: caught.field ?? null } });
                }
                throw caught;
            }
        };

    const contractOr404 = (vendorText: string | undefined, id: string | undefined): StoredContract => {
        const vendor = parse(vendorSchema, vendorText);
        const contract =
            vendor === 'ironclad'
                ? (store.byWorkflowId(id ?? '') ?? store.byRecordId(id ?? '') ?? store.get('ironclad', Number(id)))
                : store.get('spotdraft', Number(/^(?:T-)?(\d+)$/.exec(id ?? '')?.[1] ?? Number.NaN));
        if (!contract) throw new AdminError(404, 'admin.contract_not_found', `no ${vendor} contract ${id}`, 'id');
        return contract;
    };

    app.get(
        `${ADMIN_PREFIX}/health`,
        handle(() => ({ ok: true, now: clock.iso() }))
    );

    app.post(
        `${ADMIN_PREFIX}/reset`,
        handle(() => {
            store.reset();
            traffic.reset();
            webhooks.reset();
            deps.revokeIroncladTokens();
            Object.assign(settings.spotdraft, initialSettings.spotdraft);
            Object.assign(settings.ironclad, initialSettings.ironclad);
            return { ok: true };
        })
    );

    app.get(
        `${ADMIN_PREFIX}/counters`,
        handle(() => ({ ...traffic.snapshot(), webhooks: summarizeDeliveries(webhooks) }))
    );
    app.delete(
        `${ADMIN_PREFIX}/counters`,
        handle(() => {
            traffic.resetCounters();
            return { ok: true };
        })
    );

    app.get(
        `${ADMIN_PREFIX}/contracts`,
        handle(({ query }) => {
            const vendor = query.vendor === undefined ? undefined : parse(vendorSchema, query.vendor);
            const vendors: Vendor[] = vendor ? [vendor] : ['ironclad', 'spotdraft'];
            return { contracts: vendors.flatMap((v) => store.list(v)).map(describeContract) };
        })
    );
    app.get(
        `${ADMIN_PREFIX}/contracts/:vendor/:id`,
        handle(({ params }) => describeContract(contractOr404(params.vendor, params.id)))
    );

    const actionSchema = z.strictObject({
        action: z.enum(LIFECYCLE_ACTIONS as [string, ...string[]]),
        role: z.string().min(1).optional(),
        email: z.string().min(1).optional(),
        data: z.record(z.string(), z.unknown()).optional()
    });
    app.post(
        `${ADMIN_PREFIX}/contracts/:vendor/:id/actions`,
        handle(({ params, body }) => {
            const contract = contractOr404(params.vendor, params.id);
            const input = parse(actionSchema, body);
            const result = store.apply(contract, input.action as (typeof LIFECYCLE_ACTIONS)[number], input);
            return describeContract(result);
        })
    );

    app.get(
        `${ADMIN_PREFIX}/templates`,
        handle(() => ({
            templates: (['ironclad', 'spotdraft'] as const).flatMap((vendor) =>
                store.listTemplates(vendor, { includeInactive: true }).map((t) => ({
                    vendor,
                    id: t.id,
                    name: t.definition.name,
                    active: t.active,
                    publishedAt: t.publishedAt
                }))
            )
        }))
    );
    app.post(
        `${ADMIN_PREFIX}/templates/ironclad/republish`,
        handle(({ body }) => {
            const input = parse(z.strictObject({ name: z.string().min(1) }), body);
            const next = store.republishTemplate('ironclad', input.name, hexId());
            return { id: next.id, name: next.definition.name };
        })
    );

    app.get(
        `${ADMIN_PREFIX}/faults`,
        handle(() => ({ faults: traffic.listFaults() }))
    );
    app.post(
        `${ADMIN_PREFIX}/faults`,
        handle(({ body }) => traffic.addFault(parse(faultSchema, body)))
    );
    app.delete(
        `${ADMIN_PREFIX}/faults`,
        handle(() => {
            traffic.clearFaults();
            return { ok: true };
        })
    );

    app.get(
        `${ADMIN_PREFIX}/rate-limits`,
        handle(() => traffic.limits())
    );
    app.put(
        `${ADMIN_PREFIX}/rate-limits/:vendor/:bucket`,
        handle(({ params, body }) => {
            const vendor = parse(vendorSchema, params.vendor);
            const limit = parse(bucketLimitSchema, body);
            if (!traffic.limits()[vendor][params.bucket!]) {
                throw new AdminError(404, 'admin.bucket_not_found', `no ${vendor} bucket ${params.bucket}`, 'bucket');
            }
            traffic.setLimit(vendor, params.bucket!, limit);
            return traffic.limits()[vendor];
        })
    );

    app.get(
        `${ADMIN_PREFIX}/webhooks/log`,
        handle(() => ({ deliveries: webhooks.deliveryLog() }))
    );
    app.get(
        `${ADMIN_PREFIX}/webhooks/registrations`,
        handle(() => ({ registrations: webhooks.list() }))
    );
    app.get(
        `${ADMIN_PREFIX}/webhooks/config`,
        handle(() => webhooks.getConfig())
    );
    app.put(
        `${ADMIN_PREFIX}/webhooks/config/:vendor`,
        handle(({ params, body }) =>
            webhooks.setConfig(parse(vendorSchema, params.vendor), parse(deliveryConfigSchema, body))
        )
    );
    app.post(
        `${ADMIN_PREFIX}/webhooks/flush`,
        handle(async () => {
            const released = webhooks.flush();
            await webhooks.settle();
            return { released };
        })
    );
    app.post(
        `${ADMIN_PREFIX}/webhooks/settle`,
        handle(async () => {
            await webhooks.settle();
            return { ok: true };
        })
    );
    app.post(
        `${ADMIN_PREFIX}/webhooks/:vendor/:id/enable`,
        handle(({ params }) => {
            const registration = webhooks.enable(parse(vendorSchema, params.vendor), params.id!);
            if (!registration) throw new AdminError(404, 'admin.webhook_not_found', `no webhook ${params.id}`, 'id');
            return registration;
        })
    );
    app.post(
        `${ADMIN_PREFIX}/keys/ironclad/rotate`,
        handle(() => ({ publicKeyPem: webhooks.rotateIroncladKey() }))
    );
    app.post(
        `${ADMIN_PREFIX}/keys/spotdraft/rotate`,
        handle(() => ({ hmacKey: webhooks.rotateSpotdraftKey() }))
    );
    app.post(
        `${ADMIN_PREFIX}/tokens/ironclad/revoke`,
        handle(() => {
            deps.revokeIroncladTokens();
            return { ok: true };
        })
    );

    app.get(
        `${ADMIN_PREFIX}/clock`,
        handle(() => ({ now: clock.iso(), scale: clock.scale, pendingTimers: clock.pendingTimers() }))
    );
    app.post(
        `${ADMIN_PREFIX}/clock`,
        handle(async ({ body }) => {
            const input = parse(
                z
                    .strictObject({
                        advanceMs: z
                            .number()
                            .int()
                            .min(0)
                            .max(400 * 24 * 3_600_000)
                            .optional(),
                        scale: z.number().min(0).max(1_000_000).optional()
                    })
                    .refine((value) => value.advanceMs !== undefined || value.scale !== undefined, {
                        message: 'give advanceMs or scale',
                        path: ['advanceMs']
                    }),
                body
            );
            if (input.scale !== undefined) clock.setScale(input.scale);
            if (input.advanceMs !== undefined) {
                // Step through due timers so retries scheduled by a failed attempt inside the window also run.
                const target = clock.now() + input.advanceMs;
                for (let step = 0; step < 1000 && clock.now() < target; step += 1) {
                    clock.advance(Math.min(target - clock.now(), clock.nextDueIn()));
                    await webhooks.settle();
                }
            }
            return { now: clock.iso(), scale: clock.scale, pendingTimers: clock.pendingTimers() };
        })
    );

    // Only the tunable settings: the credentials kept in the same objects are never echoed.
    const publicSettings = () => ({
        spotdraftUniqueExternalMetadataId: settings.spotdraft.uniqueExternalMetadataId,
        ironcladTokenTtlSeconds: settings.ironclad.tokenTtlSeconds
    });
    app.get(`${ADMIN_PREFIX}/settings`, handle(publicSettings));
    app.put(
        `${ADMIN_PREFIX}/settings`,
        handle(({ body }) => {
            const input = parse(
                z.strictObject({
                    spotdraftUniqueExternalMetadataId: z.boolean().optional(),
                    ironcladTokenTtlSeconds: z.number().int().min(1).max(86_400).optional()
                }),
                body
            );
            if (input.spotdraftUniqueExternalMetadataId !== undefined) {
                settings.spotdraft.uniqueExternalMetadataId = input.spotdraftUniqueExternalMetadataId;
            }
            if (input.ironcladTokenTtlSeconds !== undefined)
                settings.ironclad.tokenTtlSeconds = input.ironcladTokenTtlSeconds;
            return publicSettings();
        })
    );
}

function summarizeDeliveries(webhooks: WebhookDispatcher) {
    const summary: Record<Vendor, { delivered: number; failed: number; skipped: number }> = {
        ironclad: { delivered: 0, failed: 0, skipped: 0 },
        spotdraft: { delivered: 0, failed: 0, skipped: 0 }
    };
    for (const entry of webhooks.deliveryLog()) summary[entry.vendor][entry.outcome] += 1;
    return summary;
}
