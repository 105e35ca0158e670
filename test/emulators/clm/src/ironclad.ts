// The Ironclad dialect: OAuth client credentials with scopes and expiry, the x-as-user-email actor, workflows
// (launch, get, list with filter/lastUpdated, attribute PATCH in Review only, approvals, signatures, documents),
// workflow schemas, records minted on completion (new id, typed properties with monetary_amount), record
// attachments, webhooks with RSA-signed deliveries, per-bucket rate limits with Retry-After, 0-based paging.
// Shapes follow ironclad-openapi.yaml; choices the spec leaves open are listed in the README.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { VirtualClock } from './clock.ts';
import { checkFieldValues, fieldValueSchema, type FieldDefinition } from './fields.ts';
import { FormulaError, parseFormula } from './formula.ts';
import {
    constantTimeEquals,
    registerRoute,
    VendorError,
    type ActorPrincipal,
    type Dialect,
    type RouteSpec,
    type VendorReply
} from './http.ts';
import type { ContractStore, StoredContract, StoredTemplate } from './store.ts';
import type { Traffic } from './traffic.ts';
import { findUser, findUserById } from './users.ts';
import type { WebhookDispatcher } from './webhooks.ts';
import type { ContractEvent } from './store.ts';

export const IRONCLAD_PREFIX = '/ironclad/public/api/v1';
export const IRONCLAD_TOKEN_PATH = '/ironclad/oauth/token';

export const IRONCLAD_SCOPES = [
    'public.workflows.readSchemas',
    'public.workflows.createWorkflows',
    'public.workflows.readWorkflows',
    'public.workflows.updateWorkflows',
    'public.workflows.readApprovals',
    'public.workflows.readSignatures',
    'public.workflows.readDocuments',
    'public.records.readRecords',
    'public.records.readSchemas',
    'public.records.readAttachments',
    'public.webhooks.createWebhooks',
    'public.webhooks.readWebhooks',
    'public.webhooks.deleteWebhooks'
] as const;

export const IRONCLAD_EVENT_TYPES = [
    '*',
    'workflow_launched',
    'workflow_updated',
    'workflow_cancelled',
    'workflow_completed',
    'workflow_approval_status_changed',
    'workflow_attribute_updated',
    'workflow_comment_added',
    'workflow_comment_removed',
    'workflow_comment_updated',
    'workflow_comment_reaction_added',
    'workflow_comment_reaction_removed',
    'workflow_counterparty_invite_sent',
    'workflow_counterparty_invite_revoked',
    'workflow_documents_added',
    'workflow_documents_removed',
    'workflow_documents_updated',
    'workflow_documents_renamed',
    'workflow_document_edited',
    'workflow_changed_turn',
    'workflow_paused',
    'workflow_resumed',
    'workflow_signature_packet_sent',
    'workflow_signature_packet_uploaded',
    'workflow_signature_packet_cancelled',
    'workflow_signer_added',
    'workflow_signer_removed',
    'workflow_signer_reassigned',
    'workflow_step_updated'
] as const;

/** Store events → the Ironclad webhook events they raise. */
const EVENT_MAP: Partial<Record<ContractEvent['type'], string[]>> = {
    created: ['workflow_launched'],
    data_updated: ['workflow_attribute_updated', 'workflow_updated'],
    approvals_requested: ['workflow_approval_status_changed'],
    approval_changed: ['workflow_approval_status_changed'],
    sent_for_signature: ['workflow_step_updated', 'workflow_signature_packet_sent'],
    signer_signed: ['workflow_updated'],
    fully_signed: ['workflow_step_updated', 'workflow_documents_added'],
    completed: ['workflow_completed'],
    cancelled: ['workflow_cancelled'],
    paused: ['workflow_paused'],
    resumed: ['workflow_resumed'],
    reverted_to_review: ['workflow_step_updated']
};

const COMPANY_NAME = 'Emulated Company';

export interface IroncladSettings {
    clientId: string;
    clientSecret: string;
    tokenTtlSeconds: number;
    companyId: string;
}

interface IssuedToken {
    scopes: Set<string>;
    expiresAt: number;
}

function error(status: number, code: string, message: string, param?: string): VendorError {
    return new VendorError({ status, body: param ? { code, message, param } : { code, message } });
}

const pagingSchema = z.object({
    page: z.coerce.number().int().min(0).default(0),
    pageSize: z.coerce.number().int().min(1).max(100).default(20)
});

function firstIssue(result: { success: false; error: z.ZodError }): { param: string; message: string } {
    const issue = result.error.issues[0]!;
    const param = issue.path.map(String).join('.') || 'body';
    return { param, message: `${param}: ${issue.message}` };
}

function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, missingCode = 'INVALID_PARAM'): z.infer<T> {
    const result = schema.safeParse(value ?? {});
    if (result.success) return result.data;
    const { param, message } = firstIssue(result);
    const missing =
        result.error.issues[0]?.code === 'invalid_type' && /received undefined/.test(result.error.issues[0].message);
    throw error(400, missing ? 'MISSING_PARAM' : missingCode, message, param);
}

function parseDate(value: unknown, param: string): number | undefined {
    if (value === undefined || value === '') return undefined;
    const parsed = typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(parsed))
        throw error(400, 'INVALID_PARAM', `invalid ${param} '${String(value)}'; use an ISO 8601 date`, param);
    return parsed;
}

function compileFilter(text: unknown): ((lookup: (attribute: string) => unknown) => boolean) | undefined {
    if (text === undefined || text === '') return undefined;
    if (typeof text !== 'string') throw error(400, 'INVALID_PARAM', 'filter must be a single formula', 'filter');
    try {
        return parseFormula(text);
    } catch (caught) {
        if (caught instanceof FormulaError)
            throw error(400, 'INVALID_PARAM', `invalid filter formula: ${caught.message}`, 'filter');
        throw caught;
    }
}

function page<T>(items: T[], paging: { page: number; pageSize: number }) {
    return {
        page: paging.page,
        pageSize: paging.pageSize,
        count: items.length,
        list: items.slice(paging.page * paging.pageSize, (paging.page + 1) * paging.pageSize)
    };
}

/** Ironclad's attribute-schema rendering of a template field. */
function schemaEntry(field: FieldDefinition): Record<string, unknown> {
    const typeName = {
        string: 'string',
        email: 'email',
        number: 'number',
        boolean: 'boolean',
        date: 'date',
        money: 'monetaryAmount'
    } as const;
    if (field.type === 'table') {
        return {
            type: 'array',
            displayName: field.displayName,
            elementType: {
                type: 'object',
                displayName: field.displayName,
                schema: Object.fromEntries((field.columns ?? []).map((column) => [column.key, schemaEntry(column)]))
            }
        };
    }
    if (field.type === 'duration') return { type: 'duration', displayName: field.displayName };
    return {
        type: typeName[field.type],
        displayName: field.displayName,
        ...(field.required ? { required: true } : {})
    };
}

function templateSchema(template: StoredTemplate): Record<string, unknown> {
    return {
        ...Object.fromEntries(
            template.definition.fields
                .filter((field) => !field.filledBy)
                .map((field) => [field.key, schemaEntry(field)])
        ),
        draft: { type: 'array', readOnly: true, elementType: { type: 'document', displayName: 'Draft' } },
        signed: { type: 'array', readOnly: true, elementType: { type: 'document', displayName: 'Signed Copy' } }
    };
}

function launchData(contract: StoredContract): Record<string, unknown> {
    const filled = new Set(contract.template.definition.fields.filter((f) => f.filledBy).map((f) => f.key));
    return Object.fromEntries(Object.entries(contract.data).filter(([key]) => !filled.has(key)));
}

/** Record property types (snake_case on records, unlike the workflow schema's camelCase). */
const RECORD_PROPERTY_TYPES: Record<Exclude<FieldDefinition['type'], 'table'>, string> = {
    string: 'string',
    email: 'email',
    number: 'number',
    boolean: 'boolean',
    date: 'date',
    money: 'monetary_amount',
    duration: 'duration'
};

const READ_ONLY_ATTRIBUTES = new Set(['draft', 'signed']);

function stepOf(contract: StoredContract): 'Review' | 'Sign' | 'Archive' | 'Complete' {
    const stage = contract.stage === 'cancelled' ? (contract.cancelledFrom ?? 'review') : contract.stage;
    if (stage === 'sign') return 'Sign';
    if (stage === 'signed') return 'Archive';
    if (stage === 'completed') return 'Complete';
    return 'Review';
}

function statusOf(contract: StoredContract): 'active' | 'paused' | 'completed' | 'cancelled' {
    if (contract.stage === 'cancelled') return 'cancelled';
    if (contract.stage === 'completed') return 'completed';
    return contract.paused ? 'paused' : 'active';
}

export function registerIronclad(
    app: FastifyInstance,
    deps: {
        traffic: Traffic;
        store: ContractStore;
        webhooks: WebhookDispatcher;
        clock: VirtualClock;
        settings: IroncladSettings;
    }
): { revokeTokens: () => void } {
    const { traffic, store, webhooks, clock, settings } = deps;
    const tokens = new Map<string, IssuedToken>();

    const dialect: Dialect<ActorPrincipal> = {
        vendor: 'ironclad',
        prefix: IRONCLAD_PREFIX,
        authenticate(request: FastifyRequest, route: RouteSpec<ActorPrincipal>) {
            const header = request.headers.authorization ?? '';
            const match = /^Bearer\s+(\S+)$/i.exec(header);
            if (!match) return { status: 401, body: { code: 'UNAUTHORIZED', message: 'missing bearer token' } };
            const token = tokens.get(match[1]!);
            if (!token) return { status: 401, body: { code: 'UNAUTHORIZED', message: 'invalid access token' } };
            if (token.expiresAt <= clock.now()) {
                return { status: 401, body: { code: 'UNAUTHORIZED', message: 'access token expired' } };
            }
            if (route.scope && !token.scopes.has(route.scope)) {
                return {
                    status: 403,
                    body: {
                        code: 'FORBIDDEN',
                        message: `access forbidden: token lacks scope ${route.scope}`,
                        param: 'scope'
                    }
                };
            }
            const actorEmail = request.headers['x-as-user-email'];
            const actorId = request.headers['x-as-user-id'];
            if (typeof actorEmail !== 'string' && typeof actorId !== 'string') {
                return {
                    status: 400,
                    body: {
                        code: 'MISSING_PARAM',
                        message: 'client credentials requests must name a user with x-as-user-email or x-as-user-id',
                        param: 'x-as-user-email'
                    }
                };
            }
            const actor = typeof actorEmail === 'string' ? findUser(actorEmail) : findUserById(actorId as string);
            if (!actor) {
                return {
                    status: 403,
                    body: {
                        code: 'FORBIDDEN',
                        message: 'the named user is not a member of this company',
                        param: 'x-as-user-email'
                    }
                };
            }
            return { principal: { actor } };
        },
        rateLimited(retryAfterMs: number, bucket: string): VendorReply {
            // Retry-After is real seconds: the client sleeps on its own clock, not the emulator's virtual one.
            const realMs = clock.scale > 0 ? retryAfterMs / clock.scale : retryAfterMs;
            return {
                status: 429,
                headers: { 'retry-after': String(Math.max(1, Math.ceil(realMs / 1000))) },
                body: { code: 'RATE_LIMITED', message: `rate limit exceeded for the ${bucket} bucket`, param: bucket }
            };
        },
        faultReply(status: number): VendorReply {
            return { status, body: { code: 'INTERNAL_ERROR', message: `injected ${status} fault` } };
        }
    };

    const route = (spec: RouteSpec<ActorPrincipal>) => registerRoute(app, traffic, dialect, spec);

    const workflowOr404 = (id: string): StoredContract => {
        const contract = store.byWorkflowId(id);
        if (!contract) throw error(404, 'NOT_FOUND', 'workflow does not exist', 'workflowId');
        return contract;
    };
    const recordOr404 = (id: string): StoredContract => {
        const contract = store.byRecordId(id);
        if (!contract) throw error(404, 'NOT_FOUND', `couldn't find a record matching the id ${id}`);
        return contract;
    };

    const documentLink = (contract: StoredContract, key: string) =>
        `/public/api/v1/workflows/${contract.workflowId}/document/${key}/download`;

    const renderWorkflow = (contract: StoredContract, origin: string) => {
        const apiBase = `${origin}${IRONCLAD_PREFIX}/workflows/${contract.workflowId}`;
        const creator = findUser(contract.creatorEmail);
        const documents = (kind: 'draft' | 'signed') =>
            contract.documents
                .filter((doc) => doc.kind === kind)
                .map((doc) => ({
                    version: doc.key,
                    versionNumber: doc.version,
                    filename: doc.filename,
                    download: documentLink(contract, doc.key),
                    lastModified: {
                        timestamp: doc.createdAt,
                        author: {
                            type: 'internalUser',
                            displayName: creator?.displayName ?? contract.creatorEmail,
                            email: contract.creatorEmail,
                            userId: creator?.id ?? '',
                            companyName: COMPANY_NAME
                        }
                    }
                }));
        const status = statusOf(contract);
        let approvals: Record<string, unknown>;
        if (status === 'cancelled')
            approvals = { state: 'not_applicable', message: 'This workflow has been cancelled' };
        else if (!contract.approvalsRequested) {
            approvals =
                contract.stage === 'review' || contract.stage === 'draft'
                    ? { state: 'not_started' }
                    : { state: 'not_applicable', message: 'No approvals were triggered for this workflow' };
        } else if (contract.approvals.some((approval) => approval.status === 'pending')) {
            approvals = { state: 'in_progress', url: `${apiBase}/approvals` };
        } else approvals = { state: 'completed' };
        let signatures: Record<string, unknown>;
        if (status === 'cancelled')
            signatures = { state: 'not_applicable', message: 'This workflow has been cancelled' };
        else if (contract.stage === 'sign') signatures = { state: 'in_progress', url: `${apiBase}/signatures` };
        else if (contract.stage === 'signed' || contract.stage === 'completed') signatures = { state: 'completed' };
        else signatures = { state: 'not_started' };
        const signed = documents('signed');
        return {
            id: contract.workflowId,
            ironcladId: `IC-${contract.number}`,
            title: contract.title,
            template: contract.template.id,
            step: stepOf(contract),
            status,
            schema: templateSchema(contract.template),
            // Vendor-filled values (the executed date) live on the record, not on the workflow.
            attributes: {
                ...launchData(contract),
                draft: documents('draft'),
                ...(signed.length > 0 ? { signed } : {})
            },
            isCancelled: status === 'cancelled',
            isComplete: status === 'completed',
            creator: {
                title: creator?.title ?? '',
                id: creator?.id ?? '',
                displayName: creator?.displayName ?? contract.creatorEmail,
                email: contract.creatorEmail,
                username: contract.creatorEmail,
                metadata: {}
            },
            created: contract.createdAt,
            lastUpdated: contract.updatedAt,
            roles: [
                ...contract.template.definition.approverRoles.map((role) => ({
                    id: role.id,
                    displayName: role.displayName,
                    assignees: [assignee(role.email)]
                })),
                ...contract.signers.map((signer, index) => ({
                    id: `signer${index + 1}`,
                    displayName: signer.roleName,
                    assignees: [
                        { userName: signer.name, userId: findUser(signer.email)?.id ?? '', email: signer.email }
                    ]
                }))
            ],
            approvals,
            signatures,
            recordIds: contract.recordId ? [contract.recordId] : [],
            isRevertibleToReview: contract.stage === 'sign' && !contract.paused
        };
    };

    const assignee = (email: string) => {
        const user = findUser(email);
        return { userName: user?.displayName ?? email, userId: user?.id ?? '', email };
    };

    const recordProperties = (contract: StoredContract) => {
        const properties: Record<string, { type: string; value: unknown }> = {};
        for (const field of contract.template.definition.fields) {
            const value = contract.data[field.key];
            if (value === undefined || value === null || field.type === 'table') continue;
            properties[field.key] = { type: RECORD_PROPERTY_TYPES[field.type], value };
        }
        properties.counterpartyName ??= { type: 'string', value: contract.counterparty.name };
        return properties;
    };

    const renderRecord = (contract: StoredContract, origin: string) => {
        const signedDocument = contract.documents.find((doc) => doc.kind === 'signed');
        const parent = contract.parentNumber !== undefined ? store.get('ironclad', contract.parentNumber) : undefined;
        return {
            id: contract.recordId,
            ironcladId: `IC-${contract.number}`,
            type: contract.template.definition.recordType ?? 'contract',
            name: contract.title,
            lastUpdated: contract.recordUpdatedAt,
            properties: recordProperties(contract),
            attachments: signedDocument
                ? {
                      signedCopy: {
                          filename: signedDocument.filename,
                          contentType: 'application/pdf',
                          href: `${origin}${IRONCLAD_PREFIX}/records/${contract.recordId}/attachments/signedCopy`
                      }
                  }
                : {},
            links: [],
            ...(parent?.recordId ? { parentId: parent.recordId } : {}),
            childIds: contract.childNumbers
                .map((number) => store.get('ironclad', number)?.recordId)
                .filter((id): id is string => Boolean(id)),
            source: { type: 'workflow', workflowId: contract.workflowId }
        };
    };

    const pdf = (bytes: Buffer, filename: string): VendorReply => ({
        status: 200,
        bytes,
        contentType: 'application/pdf',
        headers: { 'content-disposition': `attachment; filename="${filename.replace(/"/g, '')}"` }
    });

    // OAuth client credentials (form-encoded, as Ironclad's OAuth guide shows; JSON accepted too).
    const tokenBody = z.object({
        grant_type: z.string(),
        client_id: z.string().min(1),
        client_secret: z.string().min(1),
        scope: z.string().optional()
    });
    route({
        method: 'POST',
        template: '/oauth/token',
        prefix: '/ironclad',
        public: true,
        handler: ({ body }) => {
            const parsed = tokenBody.safeParse(body ?? {});
            if (!parsed.success) {
                const { param } = firstIssue(parsed);
                return {
                    status: 400,
                    body: { error: 'invalid_request', error_description: `missing or invalid ${param}` }
                };
            }
            const input = parsed.data;
            if (input.grant_type !== 'client_credentials') {
                return {
                    status: 400,
                    body: { error: 'unsupported_grant_type', error_description: 'only client_credentials is supported' }
                };
            }
            if (
                !constantTimeEquals(input.client_id, settings.clientId) ||
                !constantTimeEquals(input.client_secret, settings.clientSecret)
            ) {
                return {
                    status: 401,
                    body: { error: 'invalid_client', error_description: 'client authentication failed' }
                };
            }
            const requested = input.scope ? input.scope.split(/\s+/).filter(Boolean) : [...IRONCLAD_SCOPES];
            const unknown = requested.filter((scope) => !(IRONCLAD_SCOPES as readonly string[]).includes(scope));
            if (unknown.length > 0) {
                return {
                    status: 400,
                    body: { error: 'invalid_scope', error_description: `unknown scope(s): ${unknown.join(' ')}` }
                };
            }
            for (const [issued, token] of tokens) if (token.expiresAt <= clock.now()) tokens.delete(issued);
            const accessToken = randomBytes(24).toString('base64url');
            tokens.set(accessToken, {
                scopes: new Set(requested),
                expiresAt: clock.now() + settings.tokenTtlSeconds * 1000
            });
            return {
                status: 200,
                body: {
                    access_token: accessToken,
                    token_type: 'bearer',
                    expires_in: settings.tokenTtlSeconds,
                    scope: requested.join(' ')
                }
            };
        }
    });

    const formSchema = z.object({
        form: z.literal('launch', { message: 'invalid query value; value must be one of [launch]' })
    });
    route({
        method: 'GET',
        template: '/workflow-schemas',
        bucket: 'workflows-read',
        scope: 'public.workflows.readSchemas',
        handler: ({ query }) => {
            parseOrThrow(formSchema, query);
            return {
                status: 200,
                body: {
                    list: store.listTemplates('ironclad').map((template) => ({
                        id: template.id,
                        name: template.definition.name,
                        schema: templateSchema(template),
                        permissions: ['launch', 'view']
                    }))
                }
            };
        }
    });
    route({
        method: 'GET',
        template: '/workflow-schemas/{id}',
        bucket: 'workflows-read',
        scope: 'public.workflows.readSchemas',
        handler: ({ params, query }) => {
            if (query.form !== undefined) parseOrThrow(formSchema, query);
            const template = store.findTemplate('ironclad', params.id!);
            if (!template || !template.active)
                throw error(400, 'NOT_FOUND', 'workflow template schema not found', 'templateId');
            return {
                status: 200,
                body: {
                    id: template.id,
                    name: template.definition.name,
                    schema: templateSchema(template),
                    permissions: ['launch', 'view']
                }
            };
        }
    });

    const launchSchema = z.object({
        template: z.string().min(1),
        creator: z.object({ type: z.literal('email').optional(), email: z.string().min(1) }),
        attributes: z.record(z.string(), z.unknown())
    });
    route({
        method: 'POST',
        template: '/workflows',
        bucket: 'workflows-write',
        scope: 'public.workflows.createWorkflows',
        handler: ({ body, origin }) => {
            const input = parseOrThrow(launchSchema, body);
            const template = store.findTemplate('ironclad', input.template);
            if (!template || !template.active) {
                throw error(
                    400,
                    'INVALID_PARAM',
                    `template ${input.template} is not a published workflow template`,
                    'template'
                );
            }
            const creator = findUser(input.creator.email);
            if (!creator)
                throw error(
                    400,
                    'INVALID_PARAM',
                    `creator ${input.creator.email} is not a user in this company`,
                    'creator'
                );
            const problems = checkFieldValues(template.definition, input.attributes, { partial: false });
            const unknown = problems.filter((problem) => problem.kind === 'unknown');
            if (unknown.length > 0) {
                throw error(
                    400,
                    'INVALID_PARAM',
                    `non-existent attribute(s) specified: ${unknown.map((p) => p.field).join(', ')}`,
                    'attributes'
                );
            }
            const missing = problems.find((problem) => problem.kind === 'missing');
            if (missing) throw error(400, 'MISSING_PARAM', 'missing required attribute', missing.field);
            if (problems[0])
                throw error(400, 'INVALID_PARAM', `form validation failed: ${problems[0].message}`, problems[0].field);
            const attributes = input.attributes;
            const counterpartyName = String(attributes.counterpartyName);
            const contract = store.create({
                vendor: 'ironclad',
                template,
                // The template names the workflow from its title attribute when one is given.
                title:
                    typeof attributes.contractTitle === 'string' && attributes.contractTitle !== ''
                        ? attributes.contractTitle
                        : `${template.definition.name} with ${counterpartyName}`,
                counterparty: {
                    name: counterpartyName,
                    email: attributes.counterpartySignerEmail as string | undefined
                },
                creatorEmail: creator.email,
                data: attributes,
                signers: [
                    { name: creator.displayName, email: creator.email, roleName: 'Company Signer', side: 'ours' },
                    {
                        name: (attributes.counterpartySignerName as string | undefined) ?? counterpartyName,
                        email:
                            (attributes.counterpartySignerEmail as string | undefined) ?? 'signer@counterparty.example',
                        roleName: 'Counterparty Signer',
                        side: 'theirs'
                    }
                ],
                stage: 'review'
            });
            return { status: 200, body: renderWorkflow(contract, origin) };
        }
    });

    const listWorkflowsSchema = pagingSchema.extend({
        status: z.enum(['active', 'paused', 'completed', 'cancelled']).default('active'),
        template: z.string().optional(),
        lastUpdated: z.string().optional(),
        filter: z.string().optional()
    });
    route({
        method: 'GET',
        template: '/workflows',
        bucket: 'workflows-read',
        scope: 'public.workflows.readWorkflows',
        handler: ({ query, origin }) => {
            const input = parseOrThrow(listWorkflowsSchema, query);
            const since = parseDate(input.lastUpdated, 'lastUpdated');
            const filter = compileFilter(input.filter);
            const matches = store
                .list('ironclad')
                .filter((contract) => statusOf(contract) === input.status)
                .filter((contract) => !input.template || contract.template.id === input.template)
                .filter((contract) => since === undefined || Date.parse(contract.updatedAt) >= since)
                .filter((contract) => !filter || filter((attribute) => contract.data[attribute]))
                .sort((a, b) => a.number - b.number);
            const result = page(matches, input);
            return {
                status: 200,
                body: { ...result, list: result.list.map((contract) => renderWorkflow(contract, origin)) }
            };
        }
    });
    route({
        method: 'GET',
        template: '/workflows/{id}',
        bucket: 'workflows-read',
        scope: 'public.workflows.readWorkflows',
        handler: ({ params, origin }) => ({ status: 200, body: renderWorkflow(workflowOr404(params.id!), origin) })
    });

    const patchSchema = z.object({
        updates: z
            .array(
                z.object({
                    action: z.enum(['set', 'remove']).default('set'),
                    path: z.string().min(1),
                    value: z.unknown().optional()
                })
            )
            .min(1),
        comment: z.string().optional()
    });
    route({
        method: 'PATCH',
        template: '/workflows/{id}/attributes',
        bucket: 'workflows-write',
        scope: 'public.workflows.updateWorkflows',
        handler: ({ params, body, origin }) => {
            const contract = workflowOr404(params.id!);
            const input = parseOrThrow(patchSchema, body);
            const step = stepOf(contract);
            if (statusOf(contract) !== 'active' || step !== 'Review') {
                const where = statusOf(contract) === 'active' ? `the ${step} step` : `status ${statusOf(contract)}`;
                throw error(
                    400,
                    'INVALID_STATE',
                    `This workflow is not at the Review step, and is currently at ${where}`,
                    'step'
                );
            }
            const fields = new Map(
                contract.template.definition.fields.filter((field) => !field.filledBy).map((f) => [f.key, f])
            );
            const unknown = input.updates.filter(
                (update) => !fields.has(update.path) && !READ_ONLY_ATTRIBUTES.has(update.path)
            );
            if (unknown.length > 0) {
                throw error(
                    400,
                    'INVALID_PARAM',
                    `non-existent attribute(s) specified: ${unknown.map((u) => u.path).join(', ')}`,
                    'attributes'
                );
            }
            const readOnly = input.updates.find((update) => READ_ONLY_ATTRIBUTES.has(update.path));
            if (readOnly)
                throw error(400, 'INVALID_PARAM', `Cannot patch read-only attribute ${readOnly.path}`, 'attributes');
            const changes: Record<string, unknown> = {};
            const removals: string[] = [];
            for (const update of input.updates) {
                const field = fields.get(update.path)!;
                if (update.action === 'remove') {
                    if (field.required)
                        throw error(400, 'INVALID_PARAM', 'form validation failed, please check schema', update.path);
                    removals.push(update.path);
                    continue;
                }
                const value = coerceAttribute(field, update.value);
                const parsed = fieldValueSchema(field, 'ironclad').safeParse(value);
                if (value === undefined || !parsed.success) {
                    throw error(400, 'INVALID_PARAM', 'form validation failed, please check schema', update.path);
                }
                changes[update.path] = value;
            }
            const changed = store.updateData(contract, changes, removals);
            if (changed.length === 0) {
                throw error(
                    400,
                    'INVALID_PARAM',
                    'No information changed. The updates provided did not introduce any new values',
                    'attributes'
                );
            }
            return { status: 200, body: renderWorkflow(contract, origin) };
        }
    });

    route({
        method: 'GET',
        template: '/workflows/{id}/approvals',
        bucket: 'workflows-read',
        scope: 'public.workflows.readApprovals',
        handler: ({ params, origin }) => {
            const contract = workflowOr404(params.id!);
            return {
                status: 200,
                body: {
                    title: contract.title,
                    workflowId: contract.workflowId,
                    approvalGroups: contract.approvalsRequested
                        ? [
                              {
                                  reviewers: contract.approvals.map((approval) => ({
                                      role: approval.role,
                                      displayName: approval.displayName,
                                      reviewerType: 'role',
                                      status: approval.status
                                  }))
                              }
                          ]
                        : [],
                    roles: renderWorkflow(contract, origin).roles
                }
            };
        }
    });
    route({
        method: 'GET',
        template: '/workflows/{id}/signatures',
        bucket: 'signatures',
        scope: 'public.workflows.readSignatures',
        handler: ({ params }) => {
            const contract = workflowOr404(params.id!);
            const step = stepOf(contract);
            if (step === 'Review') {
                throw error(
                    400,
                    'INVALID_STATE',
                    `This workflow is not at the Sign step, and is currently at the ${step} step`
                );
            }
            return {
                status: 200,
                body: {
                    title: contract.title,
                    workflowId: contract.workflowId,
                    signers: contract.signers.map((signer) => ({
                        name: signer.name,
                        email: signer.email,
                        roleName: signer.roleName,
                        signatureStatus: signer.status,
                        ...(signer.signedAt ? { signedAt: signer.signedAt } : {}),
                        delegates: []
                    }))
                }
            };
        }
    });
    route({
        method: 'GET',
        template: '/workflows/{id}/document/{key}/download',
        bucket: 'workflows-read',
        scope: 'public.workflows.readDocuments',
        handler: ({ params }) => {
            const contract = workflowOr404(params.id!);
            const document = contract.documents.find((doc) => doc.key === params.key);
            if (!document) throw error(404, 'NOT_FOUND', 'document does not exist', 'key');
            return pdf(document.bytes, document.filename);
        }
    });

    const listRecordsSchema = pagingSchema.extend({
        types: z.string().optional(),
        lastUpdated: z.string().optional(),
        filter: z.string().optional(),
        sortField: z.enum(['agreementDate', 'name', 'lastUpdated']).default('agreementDate'),
        sortDirection: z.enum(['ASC', 'DESC']).default('DESC')
    });
    route({
        method: 'GET',
        template: '/records',
        bucket: 'records-read',
        scope: 'public.records.readRecords',
        handler: ({ query, origin }) => {
            const input = parseOrThrow(listRecordsSchema, query);
            const since = parseDate(input.lastUpdated, 'lastUpdated');
            const filter = compileFilter(input.filter);
            const types = input.types?.split(',').filter(Boolean);
            const sortKey = (contract: StoredContract): string =>
                input.sortField === 'name'
                    ? contract.title
                    : input.sortField === 'lastUpdated'
                      ? (contract.recordUpdatedAt ?? '')
                      : String(contract.data.agreementDate ?? '');
            const direction = input.sortDirection === 'ASC' ? 1 : -1;
            const matches = store
                .list('ironclad')
                .filter((contract) => contract.recordId)
                .filter((contract) => !types || types.includes(contract.template.definition.recordType ?? 'contract'))
                .filter((contract) => since === undefined || Date.parse(contract.recordUpdatedAt!) >= since)
                .filter((contract) => !filter || filter((property) => recordProperties(contract)[property]?.value))
                .sort((a, b) => direction * sortKey(a).localeCompare(sortKey(b)) || a.number - b.number);
            const result = page(matches, input);
            return {
                status: 200,
                body: { ...result, list: result.list.map((contract) => renderRecord(contract, origin)) }
            };
        }
    });
    route({
        method: 'GET',
        template: '/records/metadata',
        bucket: 'records-read',
        scope: 'public.records.readSchemas',
        // RecordsGetSchemaResponse: record types and the typed properties records carry (from every template).
        handler: () => {
            const templates = store.listTemplates('ironclad', { includeInactive: true });
            const properties: Record<string, { displayName: string; type: string; visible: boolean }> = {
                counterpartyName: { displayName: 'Counterparty Name', type: 'string', visible: true }
            };
            for (const field of templates.flatMap((template) => template.definition.fields)) {
                if (field.type === 'table') continue;
                properties[field.key] = {
                    displayName: field.displayName,
                    type: RECORD_PROPERTY_TYPES[field.type],
                    visible: true
                };
            }
            const recordTypes = Object.fromEntries(
                templates.map((template) => [
                    template.definition.recordType ?? 'contract',
                    { displayName: template.definition.name }
                ])
            );
            return {
                status: 200,
                body: { recordTypes, properties, attachments: { signedCopy: { displayName: 'Signed PDF' } }, links: {} }
            };
        }
    });
    route({
        method: 'GET',
        template: '/records/{id}',
        bucket: 'records-read',
        scope: 'public.records.readRecords',
        handler: ({ params, origin }) => ({ status: 200, body: renderRecord(recordOr404(params.id!), origin) })
    });
    route({
        method: 'GET',
        template: '/records/{id}/attachments/{key}',
        bucket: 'records-read',
        scope: 'public.records.readAttachments',
        handler: ({ params }) => {
            const contract = recordOr404(params.id!);
            const document =
                params.key === 'signedCopy' ? contract.documents.find((doc) => doc.kind === 'signed') : undefined;
            if (!document) {
                throw error(
                    404,
                    'NOT_FOUND',
                    `couldn't find an attachment matching the key ${params.key} for record with id ${params.id}`
                );
            }
            return pdf(document.bytes, document.filename);
        }
    });

    const webhookBody = z.object({ events: z.array(z.string()).min(1), targetURL: z.string().min(1) });
    const renderWebhook = (registration: { id: string; events: string[]; targetUrl: string }) => ({
        id: registration.id,
        events: registration.events,
        targetURL: registration.targetUrl,
        company: settings.companyId
    });
    route({
        method: 'POST',
        template: '/webhooks',
        bucket: 'webhooks',
        scope: 'public.webhooks.createWebhooks',
        handler: ({ body }) => {
            const input = parseOrThrow(webhookBody, body);
            const invalid = input.events.filter(
                (event) => !(IRONCLAD_EVENT_TYPES as readonly string[]).includes(event)
            );
            if (invalid.length > 0) {
                throw error(
                    400,
                    'INVALID_PARAM',
                    `invalid event type; ${IRONCLAD_EVENT_TYPES.join(', ')} are acceptable event types`,
                    'events'
                );
            }
            if (!webhooks.targetAllowed(input.targetURL)) {
                throw error(400, 'INVALID_PARAM', 'targetURL must be an http(s) URL on an allowed host', 'targetURL');
            }
            const existing = webhooks
                .list('ironclad')
                .find((r) => r.targetUrl === input.targetURL && r.state === 'active');
            if (existing) {
                throw error(
                    400,
                    'INVALID_PARAM',
                    `webhook already exists for event ${existing.events[0]} and target ${input.targetURL}`,
                    'targetURL'
                );
            }
            return {
                status: 200,
                body: renderWebhook(webhooks.register('ironclad', { targetUrl: input.targetURL, events: input.events }))
            };
        }
    });
    route({
        method: 'GET',
        template: '/webhooks',
        bucket: 'webhooks',
        scope: 'public.webhooks.readWebhooks',
        handler: ({ query }) => {
            const paging = parseOrThrow(pagingSchema, query);
            const result = page(webhooks.list('ironclad'), paging);
            return {
                status: 200,
                body: { page: result.page, pageSize: result.pageSize, list: result.list.map(renderWebhook) }
            };
        }
    });
    // Registered before /webhooks/{id} in meaning; the router prefers the static segment anyway.
    route({
        method: 'GET',
        template: '/webhooks/verification-key',
        bucket: 'webhooks',
        scope: 'public.webhooks.readWebhooks',
        handler: () => ({
            status: 200,
            text: webhooks.ironcladVerificationKey(),
            contentType: 'text/plain; charset=utf-8'
        })
    });
    route({
        method: 'GET',
        template: '/webhooks/{id}',
        bucket: 'webhooks',
        scope: 'public.webhooks.readWebhooks',
        handler: ({ params }) => {
            const registration = webhooks.find('ironclad', params.id!);
            if (!registration) throw error(404, 'NOT_FOUND', 'webhook does not exist', 'id');
            return { status: 200, body: renderWebhook(registration) };
        }
    });
    route({
        method: 'DELETE',
        template: '/webhooks/{id}',
        bucket: 'webhooks',
        scope: 'public.webhooks.deleteWebhooks',
        handler: ({ params }) => {
            if (!webhooks.remove('ironclad', params.id!)) throw error(404, 'NOT_FOUND', 'webhook does not exist', 'id');
            return { status: 200, body: {} };
        }
    });

    store.onEvent((event) => {
        if (event.contract.vendor !== 'ironclad') return;
        for (const name of EVENT_MAP[event.type] ?? []) {
            webhooks.publish('ironclad', name, (registration) => ({
                companyID: settings.companyId,
                payload: {
                    event: name,
                    workflowID: event.contract.workflowId,
                    templateID: event.contract.template.id,
                    ...(event.type === 'completed' && event.contract.recordId
                        ? { recordID: event.contract.recordId }
                        : {})
                },
                timestamp: event.at,
                webhookID: registration.id
            }));
        }
    });

    return { revokeTokens: () => tokens.clear() };
}

/** Attribute PATCH values: typed JSON, or the string form the spec's `value: string` schema implies. */
function coerceAttribute(field: FieldDefinition, value: unknown): unknown {
    if (typeof value !== 'string') return value;
    if (field.type === 'number' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
    if (field.type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
    if (field.type === 'money' || field.type === 'table') {
        try {
            return JSON.parse(value) as unknown;
        } catch {
            return value;
        }
    }
    return value;
}
