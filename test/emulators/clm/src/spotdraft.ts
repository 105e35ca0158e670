// The SpotDraft dialect (V2.1): client-id/client-secret headers with the user-email actor, contracts from template
// with external_metadata and lookup by it, status, key pointers, contract data updates with state rules (400 once
// executed as the spec documents, 402 while out for signature / on hold / voided), download and download link,
// send to counterparties, templates, 10 requests/s per workspace (429), 1-based paging, composite ids `T-<n>`, and
// the developer-playbook webhook endpoints (subscription, delete, hmac_key) with HMAC-SHA512-signed deliveries.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { VirtualClock } from './clock.ts';
import { checkFieldValues, fieldValueSchema, type FieldDefinition } from './fields.ts';
import {
    constantTimeEquals,
    registerRoute,
    VendorError,
    type ActorPrincipal,
    type Dialect,
    type RouteSpec,
    type VendorReply
} from './http.ts';
import type { ContractEvent, ContractStore, KeyPointer, StoredContract } from './store.ts';
import type { Traffic } from './traffic.ts';
import { findUser, INTEGRATION_USER_EMAIL } from './users.ts';
import type { WebhookDispatcher } from './webhooks.ts';

export const SPOTDRAFT_PREFIX = '/spotdraft/api';
export const SPOTDRAFT_FILES_PATH = '/spotdraft/files';

export const SPOTDRAFT_ACTIVITIES = [
    'CONTRACT_VERSION_UPLOADED',
    'CONTRACT_APPROVAL_COMPLETED',
    'CONTRACT_APPROVAL_REQUESTED',
    'CONTRACT_CREATED',
    'CONTRACT_DATA_UPDATED',
    'CONTRACT_DELETED',
    'CONTRACT_EXECUTED',
    'CONTRACT_MARK_FOR_EXECUTION',
    'CONTRACT_SENT_TO_COUNTERPARTY',
    'CONTRACT_SIGNATURE_DECLINED',
    'CONTRACT_SIGNATURE_REQUESTED',
    'CONTRACT_SIGNED',
    'CONTRACT_UNMARK_FOR_EXECUTION',
    'CONTRACT_KEY_POINTER_UPDATION',
    'CONTRACT_KEY_POINTER_CREATION',
    'CONTRACT_VOIDED'
] as const;

const ACTIVITY_MAP: Partial<Record<ContractEvent['type'], string>> = {
    created: 'CONTRACT_CREATED',
    data_updated: 'CONTRACT_DATA_UPDATED',
    key_pointer_updated: 'CONTRACT_KEY_POINTER_UPDATION',
    sent_to_counterparty: 'CONTRACT_SENT_TO_COUNTERPARTY',
    approvals_requested: 'CONTRACT_APPROVAL_REQUESTED',
    approvals_completed: 'CONTRACT_APPROVAL_COMPLETED',
    sent_for_signature: 'CONTRACT_SIGNATURE_REQUESTED',
    signer_signed: 'CONTRACT_SIGNED',
    fully_signed: 'CONTRACT_EXECUTED',
    cancelled: 'CONTRACT_VOIDED'
};

export interface SpotdraftSettings {
    clientId: string;
    clientSecret: string;
    /** When set, a second contract with the same external_metadata.id is answered 409 Conflict. */
    uniqueExternalMetadataId: boolean;
    downloadLinkTtlMs: number;
}

function error(status: number, detail: string, code: string, field?: string): VendorError {
    return new VendorError({ status, body: field ? { detail, code, field } : { detail, code } });
}

function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
    const result = schema.safeParse(value ?? {});
    if (result.success) return result.data;
    const issue = result.error.issues[0]!;
    const field = issue.path.map(String).join('.') || 'body';
    throw error(400, `${field}: ${issue.message}`, 'SD_VALIDATION_ERROR', field);
}

export function contractStatus(
    contract: StoredContract
): 'DRAFT' | 'REDLINING' | 'SIGN' | 'EXECUTED' | 'ON_HOLD' | 'VOIDED' {
    if (contract.stage === 'cancelled') return 'VOIDED';
    if (contract.paused) return 'ON_HOLD';
    switch (contract.stage) {
        case 'draft':
            return 'DRAFT';
        case 'review':
            return 'REDLINING';
        case 'sign':
            return 'SIGN';
        default:
            return 'EXECUTED';
    }
}

const counterPartySchema = z
    .object({
        is_individual: z.boolean(),
        organization_type: z.string().min(1).optional(),
        organization_name: z.string().min(1).optional(),
        poc_details: z.object({ first_name: z.string().min(1), last_name: z.string().optional(), email: z.email() }),
        organization_details: z.record(z.string(), z.unknown()).optional(),
        party_role_identifier: z.string().min(1).optional()
    })
    .refine((party) => party.is_individual || party.organization_name, {
        message: 'organization_name is required when is_individual is false',
        path: ['organization_name']
    });

const sendToCounterpartySchema = z.object({
    to_emails: z.array(z.email()).optional(),
    cc_emails: z.array(z.email()).optional(),
    bcc_emails: z.array(z.email()).optional(),
    attachment_formats: z.array(z.enum(['DOCX', 'PDF', 'TEMPLATE'])),
    extra_attachments: z
        .array(
            z.object({ file_name: z.string().min(1), mime_type: z.string().min(1), content_base64: z.string().min(1) })
        )
        .optional(),
    custom_message: z.string().min(1).optional(),
    subject: z.string().min(1).optional()
});

const createSchema = z.object({
    contract_template_id: z.number().int(),
    contract_data: z.record(z.string(), z.unknown()),
    counter_party_details: z.array(counterPartySchema).min(1),
    external_metadata: z.record(z.string(), z.string().nullable()).optional(),
    entity_reference_id: z.string().min(1).optional(),
    workflow_config: z
        .object({
            auto_send_to_counterparty: z.boolean().optional(),
            api_only_contract_edits: z.boolean().optional(),
            skip_cp_info_collection: z.boolean().optional(),
            skip_creator_info_collection: z.boolean().optional()
        })
        .optional(),
    send_to_counterparty_config: sendToCounterpartySchema.optional(),
    contract_name: z.string().min(1).optional(),
    signatories: z
        .array(
            z.object({
                name: z.string().min(1),
                email: z.email(),
                is_counterparty_signatory: z.boolean(),
                counterparty_name: z.string().min(1).optional(),
                sign_order: z.number().int().optional()
            })
        )
        .optional(),
    is_embedded_contract: z.boolean().optional()
});

export function registerSpotdraft(
    app: FastifyInstance,
    deps: {
        traffic: Traffic;
        store: ContractStore;
        webhooks: WebhookDispatcher;
        clock: VirtualClock;
        settings: SpotdraftSettings;
    }
): { templates: string[] } {
    const { traffic, store, webhooks, clock, settings } = deps;
    const templates: string[] = [];
    const downloadLinks = new Map<string, { vendorNumber: number; documentKey: string; expiresAt: number }>();

    const dialect: Dialect<ActorPrincipal> = {
        vendor: 'spotdraft',
        prefix: SPOTDRAFT_PREFIX,
        authenticate(request: FastifyRequest, _route: RouteSpec<ActorPrincipal>) {
            const clientId = request.headers['client-id'];
            const clientSecret = request.headers['client-secret'];
            if (typeof clientId !== 'string' || typeof clientSecret !== 'string') {
                return {
                    status: 401,
                    body: { detail: 'Authentication credentials were not provided.', code: 'SD_AUTH_MISSING' }
                };
            }
            if (
                !constantTimeEquals(clientId, settings.clientId) ||
                !constantTimeEquals(clientSecret, settings.clientSecret)
            ) {
                return { status: 401, body: { detail: 'Invalid client credentials.', code: 'SD_AUTH_INVALID' } };
            }
            const userEmail = request.headers['user-email'];
            if (userEmail === undefined) return { principal: { actor: findUser(INTEGRATION_USER_EMAIL)! } };
            const actor = typeof userEmail === 'string' ? findUser(userEmail) : undefined;
            if (!actor) {
                return {
                    status: 403,
                    body: {
                        detail: 'user-email is not an active member of this workspace.',
                        code: 'SD_USER_NOT_MEMBER',
                        field: 'user-email'
                    }
                };
            }
            return { principal: { actor } };
        },
        rateLimited(retryAfterMs: number) {
            // SpotDraft documents 429 and recommends exponential backoff; it documents no Retry-After header.
            const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
            return {
                status: 429,
                body: {
                    detail: `Request was throttled. Expected available in ${seconds} second${seconds === 1 ? '' : 's'}.`,
                    code: 'SD_RATE_LIMITED'
                }
            };
        },
        faultReply(status: number): VendorReply {
            return { status, body: { detail: 'Something went wrong on our end.', code: `SD_SERVER_${status}` } };
        }
    };

    const route = (spec: RouteSpec<ActorPrincipal>) => {
        templates.push(spec.template);
        registerRoute(app, traffic, dialect, { bucket: 'workspace', ...spec });
    };

    const contractOr404 = (compositeId: string | undefined): StoredContract => {
        const match = /^T-(\d+)$/.exec(compositeId ?? '');
        const contract = match ? store.get('spotdraft', Number(match[1])) : undefined;
        if (!contract) throw error(404, 'Not found.', 'SD_NOT_FOUND', 'contract_id');
        return contract;
    };

    const contractLink = (origin: string, contract: StoredContract) =>
        `${origin}/spotdraft/app/contracts/v2/${contract.number}`;
    const creatorName = (contract: StoredContract) =>
        findUser(contract.creatorEmail)?.displayName ?? contract.creatorEmail;

    /** ExternalContractV3 (create response, lookup by external metadata). */
    const renderV3 = (contract: StoredContract, origin: string) => ({
        id: contract.number,
        created: contract.createdAt,
        contract_name: contract.title,
        contract_link: contractLink(origin, contract),
        contract_status: contractStatus(contract),
        created_by: creatorName(contract),
        counter_party_name: contract.counterparty.name,
        contract_type_name: contract.template.definition.name,
        external_metadata: contract.externalMetadata
    });

    /** ContractResponseV2 (list). */
    const renderListItem = (contract: StoredContract, origin: string) => ({
        ...renderV3(contract, origin),
        id: `T-${contract.number}`
    });

    const renderKeyPointer = (contract: StoredContract, pointer: KeyPointer) => ({
        id: pointer.id,
        value: contract.data[pointer.field],
        label: pointer.label,
        field_name: pointer.field,
        data_type: pointer.dataType,
        format_option: {}
    });

    const latestDocument = (contract: StoredContract) =>
        contract.documents.filter((doc) => doc.kind === 'signed').at(-1) ??
        contract.documents.filter((doc) => doc.kind === 'draft').at(-1)!;

    const rejectWrite = (contract: StoredContract, what: string) => {
        const status = contractStatus(contract);
        if (status === 'EXECUTED')
            throw error(400, 'Contract cannot be updated because it has been executed.', 'SD_PUBLIC_00009');
        if (status === 'SIGN' || status === 'ON_HOLD' || status === 'VOIDED') {
            throw error(
                402,
                `${what} is not possible while the contract is in status ${status}.`,
                'SD_PUBLIC_00010',
                'contract_status'
            );
        }
    };

    const validateData = (template: StoredContract['template'], data: Record<string, unknown>, partial: boolean) => {
        const problems = checkFieldValues(template.definition, data, { partial });
        if (problems[0])
            throw error(
                400,
                `contract_data.${problems[0].message}`,
                'SD_VALIDATION_ERROR',
                `contract_data.${problems[0].field}`
            );
    };

    route({
        method: 'GET',
        template: '/v2.1/public/templates',
        handler: () => ({
            status: 200,
            body: {
                items: store
                    .listTemplates('spotdraft')
                    .map((template) => ({ id: Number(template.id), name: template.definition.name }))
            }
        })
    });

    route({
        method: 'GET',
        template: '/v2.1/public/templates/{template_id}/metadata',
        // TemplateMetaDataResponseV2: one CfPublicDescriptor per contract_data variable. Structured values
        // (CURRENCY, DURATION) are nested: `<variable>.<member>` with parent_variable and parent_type.
        handler: ({ params }) => {
            const template = store.findTemplate('spotdraft', params.template_id!);
            if (!template || !template.active) throw error(404, 'Not found.', 'SD_NOT_FOUND', 'template_id');
            return {
                status: 200,
                body: {
                    attributes: template.definition.fields
                        .filter((field) => !field.filledBy)
                        .flatMap((field) => templateDescriptors(field)),
                    counter_party_kind: 'Organisation'
                }
            };
        }
    });

    route({
        method: 'POST',
        template: '/v2.1/public/contracts',
        handler: ({ body, principal, origin }) => {
            const input = parseOrThrow(createSchema, body);
            const template = store.findTemplate('spotdraft', String(input.contract_template_id));
            if (!template || !template.active) {
                throw error(
                    400,
                    `contract_template_id: template ${input.contract_template_id} does not exist`,
                    'SD_TEMPLATE_NOT_FOUND',
                    'contract_template_id'
                );
            }
            validateData(template, input.contract_data, false);
            const externalId = input.external_metadata?.id;
            if (settings.uniqueExternalMetadataId && externalId) {
                const existing = store
                    .list('spotdraft')
                    .find((contract) => contract.externalMetadata.id === externalId);
                if (existing) {
                    throw error(
                        409,
                        `A contract with external_metadata.id ${externalId} already exists (T-${existing.number}).`,
                        'SD_CONFLICT',
                        'external_metadata.id'
                    );
                }
            }
            const party = input.counter_party_details[0]!;
            const pocName = [party.poc_details.first_name, party.poc_details.last_name].filter(Boolean).join(' ');
            const counterpartyName = party.is_individual ? pocName : party.organization_name!;
            const signers = input.signatories?.map((signatory) => ({
                name: signatory.name,
                email: signatory.email,
                roleName: signatory.is_counterparty_signatory ? 'Counterparty Signatory' : 'Signatory',
                side: signatory.is_counterparty_signatory ? ('theirs' as const) : ('ours' as const)
            })) ?? [
                {
                    name: principal.actor.displayName,
                    email: principal.actor.email,
                    roleName: 'Signatory',
                    side: 'ours' as const
                },
                {
                    name: pocName,
                    email: party.poc_details.email,
                    roleName: 'Counterparty Signatory',
                    side: 'theirs' as const
                }
            ];
            const contract = store.create({
                vendor: 'spotdraft',
                template,
                title: input.contract_name ?? `${template.definition.name} - ${counterpartyName}`,
                counterparty: {
                    name: counterpartyName,
                    email: party.poc_details.email,
                    isIndividual: party.is_individual
                },
                creatorEmail: principal.actor.email,
                data: input.contract_data,
                externalMetadata: input.external_metadata,
                signers,
                stage: 'draft'
            });
            if (input.workflow_config?.auto_send_to_counterparty) store.markSentToCounterparty(contract);
            return { status: 201, body: renderV3(contract, origin) };
        }
    });

    const listSchema = z.object({
        page: z.coerce.number().int().min(1).default(1),
        limit: z.coerce.number().int().min(1).max(100).default(10),
        filter__client_email_address: z.string().optional(),
        filter__client_name: z.string().optional()
    });
    route({
        method: 'GET',
        template: '/v2.1/public/contracts',
        handler: ({ query, origin }) => {
            const input = parseOrThrow(listSchema, query);
            const matches = store
                .list('spotdraft')
                .filter(
                    (c) =>
                        !input.filter__client_email_address ||
                        c.counterparty.email === input.filter__client_email_address
                )
                .filter((c) => !input.filter__client_name || c.counterparty.name === input.filter__client_name)
                .sort((a, b) => a.number - b.number);
            const start = (input.page - 1) * input.limit;
            return {
                status: 200,
                body: {
                    total_results: matches.length,
                    page: input.page,
                    limit: input.limit,
                    results: matches
                        .slice(start, start + input.limit)
                        .map((contract) => renderListItem(contract, origin))
                }
            };
        }
    });
    route({
        method: 'GET',
        template: '/v2.1/public/contracts/by_external_metadata/{external_metadata_id}',
        handler: ({ params, origin }) => ({
            status: 200,
            body: store
                .list('spotdraft')
                .filter((contract) => contract.externalMetadata.id === params.external_metadata_id)
                .sort((a, b) => a.number - b.number)
                .slice(0, 50)
                .map((contract) => renderV3(contract, origin))
        })
    });
    route({
        method: 'GET',
        template: '/v2.1/public/contracts/{contract_id}/status',
        handler: ({ params }) => ({
            status: 200,
            body: { contract_status: contractStatus(contractOr404(params.contract_id)) }
        })
    });
    route({
        method: 'GET',
        template: '/v2.1/public/contracts/{contract_id}/key_pointers',
        handler: ({ params }) => {
            const contract = contractOr404(params.contract_id);
            // Key pointers without a value are omitted: the spec's value schema admits no null.
            return {
                status: 200,
                body: contract.keyPointers
                    .filter(
                        (pointer) => contract.data[pointer.field] !== undefined && contract.data[pointer.field] !== null
                    )
                    .map((pointer) => renderKeyPointer(contract, pointer))
            };
        }
    });

    const keyPointerOr404 = (contract: StoredContract, id: string | number) => {
        const pointer = contract.keyPointers.find((candidate) => String(candidate.id) === String(id));
        if (!pointer) throw error(404, 'Not found.', 'SD_NOT_FOUND', 'contract_key_pointer_id');
        return pointer;
    };
    const checkKeyPointerValue = (contract: StoredContract, pointer: KeyPointer, value: unknown, field: string) => {
        const definition = contract.template.definition.fields.find((candidate) => candidate.key === pointer.field)!;
        if (definition.filledBy)
            throw error(400, `${field}: ${pointer.field} is filled by SpotDraft`, 'SD_VALIDATION_ERROR', field);
        const parsed = fieldValueSchema(definition, 'spotdraft').safeParse(value);
        if (!parsed.success)
            throw error(400, `${field}: ${parsed.error.issues[0]!.message}`, 'SD_VALIDATION_ERROR', field);
    };
    route({
        method: 'PATCH',
        template: '/v2.1/public/contracts/{contract_id}/key_pointers/{contract_key_pointer_id}',
        handler: ({ params, body }) => {
            const contract = contractOr404(params.contract_id);
            const input = parseOrThrow(
                z.object({ value: z.unknown().refine((v) => v !== undefined, 'value is required') }),
                body
            );
            const pointer = keyPointerOr404(contract, params.contract_key_pointer_id!);
            if (contractStatus(contract) === 'VOIDED')
                throw error(
                    402,
                    'Key pointers of a voided contract cannot be updated.',
                    'SD_PUBLIC_00010',
                    'contract_status'
                );
            checkKeyPointerValue(contract, pointer, input.value, 'value');
            store.updateKeyPointer(contract, pointer, input.value);
            return { status: 200, body: renderKeyPointer(contract, pointer) };
        }
    });
    route({
        method: 'POST',
        template: '/v2.1/public/contracts/{composite_id}/key_pointers/bulk',
        handler: ({ params, body }) => {
            const contract = contractOr404(params.composite_id);
            const input = parseOrThrow(
                z.object({
                    key_pointers: z.array(z.object({ key_pointer_id: z.number().int(), value: z.unknown() })).min(1)
                }),
                body
            );
            if (contractStatus(contract) === 'VOIDED')
                throw error(
                    402,
                    'Key pointers of a voided contract cannot be updated.',
                    'SD_PUBLIC_00010',
                    'contract_status'
                );
            // Validate all before writing any: a bulk update is all or nothing.
            const resolved = input.key_pointers.map((item, index) => {
                const pointer = keyPointerOr404(contract, item.key_pointer_id);
                checkKeyPointerValue(contract, pointer, item.value, `key_pointers.${index}.value`);
                return { pointer, value: item.value };
            });
            for (const { pointer, value } of resolved) store.updateKeyPointer(contract, pointer, value);
            return { status: 200, body: resolved.map(({ pointer }) => renderKeyPointer(contract, pointer)) };
        }
    });
    route({
        method: 'PATCH',
        template: '/v2.1/public/contracts/{contract_id}/contract_data',
        handler: ({ params, body }) => {
            const contract = contractOr404(params.contract_id);
            const input = parseOrThrow(z.object({ data: z.record(z.string(), z.unknown()) }), body);
            rejectWrite(contract, 'Updating contract data');
            validateData(contract.template, input.data, true);
            store.updateData(contract, input.data);
            return { status: 200, body: { data: contract.data } };
        }
    });
    route({
        method: 'POST',
        template: '/v2.1/public/contracts/{contract_id}/external_metadata',
        handler: ({ params, body }) => {
            const contract = contractOr404(params.contract_id);
            const input = parseOrThrow(
                z.object({ external_metadata: z.record(z.string(), z.string().nullable()) }),
                body
            );
            store.setExternalMetadata(contract, input.external_metadata);
            return { status: 200, body: { external_metadata: contract.externalMetadata } };
        }
    });
    route({
        method: 'POST',
        template: '/v2.1/public/contracts/{composite_id}/send_to_counterparties',
        handler: ({ params, body }) => {
            const contract = contractOr404(params.composite_id);
            parseOrThrow(sendToCounterpartySchema, body);
            const status = contractStatus(contract);
            if (status !== 'DRAFT' && status !== 'REDLINING') {
                throw error(
                    402,
                    `Contract cannot be sent to counterparties while in status ${status}.`,
                    'SD_PUBLIC_00011',
                    'contract_status'
                );
            }
            store.markSentToCounterparty(contract);
            return { status: 200 };
        }
    });
    route({
        method: 'POST',
        template: '/v2.1/public/contracts/{composite_id}/download',
        handler: ({ params }) => {
            const document = latestDocument(contractOr404(params.composite_id));
            return {
                status: 200,
                bytes: document.bytes,
                contentType: 'application/pdf',
                headers: { 'content-disposition': `attachment; filename="${document.filename.replace(/"/g, '')}"` }
            };
        }
    });
    route({
        method: 'POST',
        template: '/v2.1/public/contracts/{composite_id}/download_link',
        handler: ({ params, origin }) => {
            const contract = contractOr404(params.composite_id);
            const document = latestDocument(contract);
            for (const [issued, link] of downloadLinks) if (link.expiresAt <= clock.now()) downloadLinks.delete(issued);
            const token = randomBytes(18).toString('base64url');
            downloadLinks.set(token, {
                vendorNumber: contract.number,
                documentKey: document.key,
                expiresAt: clock.now() + settings.downloadLinkTtlMs
            });
            return {
                status: 200,
                body: { url: `${origin}${SPOTDRAFT_FILES_PATH}/${token}`, file_name: document.filename }
            };
        }
    });
    // The pre-signed link the download_link answer points at (storage, not API: no credentials, link expires).
    app.get(`${SPOTDRAFT_FILES_PATH}/:token`, async (request, reply) => {
        const link = downloadLinks.get((request.params as { token: string }).token);
        const document =
            link && link.expiresAt > clock.now()
                ? store.get('spotdraft', link.vendorNumber)?.documents.find((doc) => doc.key === link.documentKey)
                : undefined;
        if (!document) return reply.code(404).type('text/plain').send('link expired or unknown');
        return reply
            .type('application/pdf')
            .header('content-disposition', `attachment; filename="${document.filename.replace(/"/g, '')}"`)
            .send(document.bytes);
    });

    // Webhook endpoints from SpotDraft's developer playbooks (not in the OpenAPI copy; see README).
    const webhookSchema = z.object({
        title: z.string().optional(),
        url: z.string().min(1),
        only_for_activities: z.array(z.enum(SPOTDRAFT_ACTIVITIES)).optional()
    });
    const renderSubscription = (registration: {
        id: string;
        title?: string;
        targetUrl: string;
        events: string[];
        createdAt: string;
    }) => ({
        id: Number(registration.id),
        title: registration.title ?? '',
        url: registration.targetUrl,
        only_for_activities: registration.events.includes('*') ? [] : registration.events,
        created: registration.createdAt
    });
    route({
        method: 'POST',
        template: '/v2.1/public/webhooks/',
        handler: ({ body }) => {
            const input = parseOrThrow(webhookSchema, body);
            if (!webhooks.targetAllowed(input.url))
                throw error(400, 'url: must be an http(s) URL on an allowed host', 'SD_VALIDATION_ERROR', 'url');
            const events = input.only_for_activities?.length ? input.only_for_activities : ['*'];
            return {
                status: 201,
                body: renderSubscription(
                    webhooks.register('spotdraft', { targetUrl: input.url, events, title: input.title })
                )
            };
        }
    });
    for (const deletePath of ['/v2.1/public/webhooks/{webhook_id}/', '/v2.1/public/webhooks/{webhook_id}']) {
        route({
            method: 'DELETE',
            template: deletePath,
            handler: ({ params }) => {
                if (!webhooks.remove('spotdraft', params.webhook_id!))
                    throw error(404, 'Not found.', 'SD_NOT_FOUND', 'webhook_id');
                return { status: 204 };
            }
        });
    }
    route({
        method: 'GET',
        template: '/v2.1/public/webhooks/hmac_key/',
        handler: () => ({ status: 200, body: { hmac_key: webhooks.spotdraftHmacKey() } })
    });

    // The last delivery payload per contract, for re_trigger_latest (keyed by object: a reset starts afresh).
    const latestPayload = new WeakMap<StoredContract, { activity: string; payload: unknown }>();
    route({
        method: 'POST',
        template: '/v2.1/public/contracts/webhooks/re_trigger_latest',
        handler: ({ body }) => {
            const input = parseOrThrow(z.object({ contract_ids: z.array(z.number().int()).min(1).max(100) }), body);
            const contracts = input.contract_ids.map((id) => store.get('spotdraft', id));
            if (contracts.some((contract) => !contract)) return { status: 404, body: { detail: 'Not Found' } };
            for (const contract of contracts) {
                const latest = latestPayload.get(contract!);
                if (latest) webhooks.publish('spotdraft', latest.activity, () => latest.payload);
            }
            return { status: 200, body: { message: 'Success' } };
        }
    });

    store.onEvent((event) => {
        if (event.contract.vendor !== 'spotdraft') return;
        const activity = ACTIVITY_MAP[event.type];
        if (!activity) return;
        const contract = event.contract;
        const creator = findUser(contract.creatorEmail);
        const payload = {
            activity,
            activity_data: {
                performed_by: { name: creator?.displayName ?? contract.creatorEmail, email: contract.creatorEmail },
                timestamp: event.at
            },
            contract_id: contract.number,
            contract_title: contract.title,
            contract_type: 'TEMPLATE',
            contract_type_name: contract.template.definition.name,
            contract_type_id: Number(contract.template.id),
            contract_status: contractStatus(contract),
            contract_kind: 'TEMPLATE_CONTRACT',
            business_user: { name: creator?.displayName ?? contract.creatorEmail, email: contract.creatorEmail },
            created_at: contract.createdAt,
            counterparties: [
                {
                    type: contract.counterparty.isIndividual ? 'INDIVIDUAL' : 'ORGANIZATION',
                    organization_name: contract.counterparty.name,
                    poc_name:
                        contract.signers.find((signer) => signer.side === 'theirs')?.name ?? contract.counterparty.name,
                    poc_email: contract.counterparty.email ?? ''
                }
            ],
            external_metadata: { ...contract.externalMetadata },
            contract_template_id: Number(contract.template.id)
        };
        latestPayload.set(contract, { activity, payload });
        webhooks.publish('spotdraft', activity, () => payload);
    });
    return { templates };
}

/** SpotDraft answers a path whose trailing slash disagrees with its routes with 302 to the other form. */
export function spotdraftRedirectTarget(url: string, knownTemplates: string[]): string | undefined {
    const [pathOnly = '', search] = url.split('?', 2);
    if (!pathOnly.startsWith(`${SPOTDRAFT_PREFIX}/`)) return undefined;
    const toggled = pathOnly.endsWith('/') ? pathOnly.slice(0, -1) : `${pathOnly}/`;
    const relative = toggled.slice(SPOTDRAFT_PREFIX.length);
    const matches = knownTemplates.some((template) =>
        new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(relative)
    );
    return matches ? `${toggled}${search ? `?${search}` : ''}` : undefined;
}

/** A template field as SpotDraft's public descriptors (CfPublicDescriptor). */
function templateDescriptors(field: FieldDefinition): Record<string, unknown>[] {
    const base = { display_label: field.displayName, required: field.required === true };
    const nested = (parentType: string, members: [string, string, Record<string, unknown>?][]) =>
        members.map(([member, type, extra]) => ({
            ...base,
            variable: `${field.key}.${member}`,
            type,
            parent_variable: field.key,
            parent_type: parentType,
            parent_required: field.required === true,
            child_variable: member,
            ...extra
        }));
    switch (field.type) {
        case 'money':
            return nested('CURRENCY', [
                ['type', 'string'],
                ['value', 'float']
            ]);
        case 'duration':
            return nested('DURATION', [
                ['days', 'int'],
                ['type', 'enum', { options: ['DAYS', 'MONTHS', 'YEARS'].map((value) => ({ value, label: value })) }],
                ['value', 'int']
            ]);
        case 'number':
            return [{ ...base, variable: field.key, type: 'float' }];
        case 'email':
        case 'string':
            return [{ ...base, variable: field.key, type: 'string' }];
        case 'boolean':
        case 'date':
            return [{ ...base, variable: field.key, type: field.type }];
        case 'table':
            return [{ ...base, variable: field.key, type: 'repeating' }];
    }
}
