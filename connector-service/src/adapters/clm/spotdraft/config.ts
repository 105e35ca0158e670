/**
 * The SpotDraft adapter's configuration, as a plain typed object (the service config supplies it).
 */
import { z } from 'zod';
import { commonAdapterSettings } from '../adapterConfig.ts';

export const SpotdraftConfig = z.object({
    /** The regional `/api` base, e.g. https://api.us.spotdraft.com/api. */
    baseUrl: z.url(),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    /** The user the integration acts as (user-email header). */
    userEmail: z.email(),
    templateName: z.string().min(1),
    /** external_metadata key that carries the Salesforce id (looked up by by_external_metadata). */
    externalMetadataKey: z.string().min(1).default('id'),
    naturalKeyObjectType: z.string().min(1).default('Opportunity'),
    /** contract_data variables of the template. */
    dataFields: z
        .object({
            naturalKey: z.string().min(1).optional().default('salesforce_opportunity_id'),
            effectiveDate: z.string().min(1).default('start_date'),
            expirationDate: z.string().min(1).default('end_date'),
            value: z.string().min(1).default('contract_value'),
            /** Text variable holding the counterparty's address (JSON of the canonical address). */
            counterpartyAddress: z.string().min(1).default('counterparty_address'),
            /** Key pointers (DURATION, CHECK BOX, DATE) carrying the key terms. */
            term: z.string().min(1).default('term'),
            autoRenew: z.string().min(1).default('auto_renew'),
            renewalTerm: z.string().min(1).default('renewal_term'),
            noticePeriod: z.string().min(1).default('notice_period'),
            noticeDeadline: z.string().min(1).default('notice_deadline'),
            /** The system key pointer SpotDraft fills when the contract is executed. */
            executedDate: z.string().min(1).default('execution_date'),
            dealStage: z.string().min(1).default('deal_stage')
        })
        .prefault({}),
    /** Canonical custom field name → contract_data variable. */
    customFields: z.record(z.string().min(1), z.string().min(1)).default({}),
    /** The spec's X-SD-CONTENT-HASH form: a callback secret SpotDraft shares privately. */
    webhookCallbackSecret: z.string().min(1).optional(),
    /** The playbook form (X-SD-WEBHOOK-CONTENT-HASH): the base64 key; fetched from hmac_key when absent. */
    webhookHmacKeyBase64: z.string().min(1).optional(),
    webhookActivities: z.array(z.string().min(1)).optional(),
    /** SpotDraft: 10 requests/second per workspace. */
    requestsPerSecond: z.number().positive().default(10),
    ...commonAdapterSettings
});
export type SpotdraftConfig = z.infer<typeof SpotdraftConfig>;
export type SpotdraftConfigInput = z.input<typeof SpotdraftConfig>;
