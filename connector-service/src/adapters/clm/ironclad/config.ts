/**
 * The Ironclad adapter's configuration, as a plain typed object (the service config supplies it).
 * Attribute ids are per customer template, so every one the adapter reads or writes is named here.
 */
import { z } from 'zod';
import { commonAdapterSettings } from '../adapterConfig.ts';

export const IroncladConfig = z.object({
    /** The `/public/api/v1` base, e.g. https://na1.ironcladapp.com/public/api/v1. */
    baseUrl: z.url(),
    tokenUrl: z.url(),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    scopes: z
        .array(z.string().min(1))
        .default([
            'public.workflows.readWorkflows',
            'public.workflows.createWorkflows',
            'public.workflows.updateWorkflows',
            'public.workflows.readSchemas',
            'public.workflows.readApprovals',
            'public.workflows.readSignatures',
            'public.workflows.readDocuments',
            'public.records.readRecords',
            'public.records.readSchemas',
            'public.records.readAttachments',
            'public.webhooks.readWebhooks',
            'public.webhooks.createWebhooks',
            'public.webhooks.deleteWebhooks'
        ]),
    /** The user the integration acts as (x-as-user-email, and the workflow creator). */
    actorEmail: z.email(),
    /** Template (workflow schema) by name: ids change when a template is republished. */
    templateName: z.string().min(1),
    /** The launch attribute holding the Salesforce id that makes create idempotent. */
    naturalKey: z
        .object({ attribute: z.string().min(1), objectType: z.string().min(1) })
        .default({ attribute: 'sfOpportunityId', objectType: 'Opportunity' }),
    attributes: z
        .object({
            /** Optional: many templates derive the workflow title themselves and reject a title attribute. */
            title: z.string().min(1).optional(),
            counterpartyName: z.string().min(1).default('counterpartyName'),
            counterpartySignerName: z.string().min(1).default('counterpartySignerName'),
            counterpartySignerEmail: z.string().min(1).default('counterpartySignerEmail'),
            value: z.string().min(1).default('contractValue'),
            effectiveDate: z.string().min(1).default('agreementDate'),
            expirationDate: z.string().min(1).default('expirationDate'),
            lineItems: z.string().min(1).default('lineItems'),
            /** The counterparty's address, as one text attribute (JSON of the canonical address). */
            counterpartyAddress: z.string().min(1).default('counterpartyAddress'),
            termMonths: z.string().min(1).default('termMonths'),
            autoRenew: z.string().min(1).default('autoRenew'),
            renewalTermMonths: z.string().min(1).default('renewalTermMonths'),
            noticeDays: z.string().min(1).default('noticePeriodDays'),
            noticeDeadline: z.string().min(1).default('noticeDeadline'),
            dealStage: z.string().min(1).default('dealStage')
        })
        .prefault({}),
    /** Columns of the line-item table attribute. */
    lineItemColumns: z
        .object({
            key: z.string().min(1).default('sfQuoteLineId'),
            product: z.string().min(1).default('product'),
            quantity: z.string().min(1).default('quantity'),
            unitPrice: z.string().min(1).default('unitPrice'),
            total: z.string().min(1).default('totalPrice')
        })
        .prefault({}),
    /** Record properties of the completed contract (typed: `monetary_amount`, `date` …). */
    recordProperties: z
        .object({
            value: z.string().min(1).default('contractValue'),
            effectiveDate: z.string().min(1).default('agreementDate'),
            expirationDate: z.string().min(1).default('expirationDate'),
            /** Minted by Ironclad when the last signature lands. */
            executedDate: z.string().min(1).default('executedDate'),
            termMonths: z.string().min(1).default('termMonths'),
            autoRenew: z.string().min(1).default('autoRenew'),
            renewalTermMonths: z.string().min(1).default('renewalTermMonths'),
            noticeDays: z.string().min(1).default('noticePeriodDays'),
            noticeDeadline: z.string().min(1).default('noticeDeadline')
        })
        .prefault({}),
    /** Canonical custom field name → workflow attribute id. */
    customAttributes: z.record(z.string().min(1), z.string().min(1)).default({}),
    /** Requests per minute per Ironclad bucket (research/clm-apis.md §1: workflows read 400 / write 40 …). */
    rateLimitsPerMinute: z
        .object({
            workflowsRead: z.number().positive().default(400),
            workflowsWrite: z.number().positive().default(40),
            signatures: z.number().positive().default(50),
            recordsRead: z.number().positive().default(600),
            webhooks: z.number().positive().default(60),
            auth: z.number().positive().default(60)
        })
        .prefault({}),
    webhookEvents: z
        .array(z.string().min(1))
        .min(1)
        .default([
            'workflow_launched',
            'workflow_updated',
            'workflow_completed',
            'workflow_cancelled',
            'workflow_paused',
            'workflow_resumed',
            'workflow_attribute_updated',
            'workflow_step_updated',
            'workflow_approval_status_changed',
            'workflow_signature_packet_sent',
            'workflow_documents_added'
        ]),
    ...commonAdapterSettings
});
export type IroncladConfig = z.infer<typeof IroncladConfig>;
export type IroncladConfigInput = z.input<typeof IroncladConfig>;
