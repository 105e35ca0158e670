/**
 * Ironclad's wire payloads as the adapter reads them (ironclad-openapi.yaml), and the mapping of a
 * workflow's status/step/approvals/signatures to the canonical lifecycle (research/clm-apis.md §3.2).
 */
import { z } from 'zod';
import { IsoDateTime, type ContractStatus, type Lifecycle, type SignatureState } from '../../../domain/clm.ts';

export const WORKFLOW_STATUSES = ['active', 'paused', 'completed', 'cancelled'] as const;
// The spec's launch response lists Review/Sign/Archive/Complete; Create is the step before Review.
export const WORKFLOW_STEPS = ['Create', 'Review', 'Sign', 'Archive', 'Complete'] as const;
const APPROVAL_STATES = ['not_started', 'in_progress', 'completed', 'not_applicable'] as const;
// GET /workflows/{id} says `completed`, the launch response `complete`: both mean fully signed.
const SIGNATURE_STATES = ['not_started', 'in_progress', 'complete', 'completed', 'not_applicable'] as const;

export const IroncladWorkflow = z.object({
    id: z.string().min(1),
    title: z.string(),
    template: z.string().min(1),
    step: z.enum(WORKFLOW_STEPS),
    status: z.enum(WORKFLOW_STATUSES),
    attributes: z.record(z.string(), z.unknown()),
    created: IsoDateTime,
    lastUpdated: IsoDateTime,
    approvals: z.object({ state: z.enum(APPROVAL_STATES) }),
    signatures: z.object({ state: z.enum(SIGNATURE_STATES) }),
    recordIds: z.array(z.string().min(1)).optional()
});
export type IroncladWorkflow = z.infer<typeof IroncladWorkflow>;

export const IroncladWorkflowPage = z.object({
    page: z.number().int().min(0),
    pageSize: z.number().int().min(0),
    count: z.number().int().min(0),
    list: z.array(IroncladWorkflow)
});

export const IroncladRecordProperty = z.object({ type: z.string().min(1), value: z.unknown() });

export const IroncladRecord = z.object({
    id: z.string().min(1),
    type: z.string(),
    name: z.string(),
    lastUpdated: IsoDateTime,
    properties: z.record(z.string(), IroncladRecordProperty),
    attachments: z
        .record(z.string(), z.object({ filename: z.string().min(1), contentType: z.string().optional() }).loose())
        .optional(),
    source: z.object({ type: z.string().optional(), workflowId: z.string().optional() }).optional()
});
export type IroncladRecord = z.infer<typeof IroncladRecord>;

export const IroncladRecordPage = z.object({
    page: z.number().int().min(0),
    pageSize: z.number().int().min(0),
    count: z.number().int().min(0),
    list: z.array(IroncladRecord)
});

/** A document entry of a workflow's `draft` / `signed` attribute; the key is in its download link. */
export const IroncladDocumentEntry = z.object({
    filename: z.string().min(1),
    download: z.string().regex(/\/document\/[^/]+\/download$/, 'a document download link')
});

export const IroncladSigners = z.object({
    signers: z
        .array(
            z.object({
                name: z.string(),
                email: z.string(),
                roleName: z.string().optional(),
                signatureStatus: z.string().optional()
            })
        )
        .default([])
});

export const IroncladToken = z.object({
    access_token: z.string().min(1),
    expires_in: z.number().positive(),
    token_type: z.string().optional()
});

export const IroncladWebhook = z.object({
    id: z.string().min(1),
    targetURL: z.string(),
    events: z.array(z.string())
});
export const IroncladWebhookPage = z.object({ list: z.array(IroncladWebhook) });

/** A thin delivery: the event names the workflow; the adapter fetches it. */
export const IroncladDelivery = z.object({
    companyID: z.string().optional(),
    payload: z
        .object({ event: z.string().min(1), workflowID: z.string().min(1), templateID: z.string().optional() })
        .loose(),
    timestamp: IsoDateTime,
    webhookID: z.string().optional()
});

export const IroncladMoney = z.object({
    currency: z.string(),
    amount: z.union([z.number(), z.string()])
});

/**
 * Workflow → canonical status. Approvals and signatures refine the step; completed workflows are
 * Signed here (Active/Expired are derived from dates by the caller once the record's dates are known).
 */
export function mapWorkflowStatus(workflow: IroncladWorkflow): ContractStatus {
    const signature = mapSignature(workflow.signatures.state);
    const lifecycle = ((): Lifecycle => {
        if (workflow.status === 'cancelled') return 'Cancelled';
        if (workflow.status === 'paused') return 'OnHold';
        if (workflow.status === 'completed') return 'Signed';
        switch (workflow.step) {
            case 'Create':
                return 'Draft';
            case 'Review':
                if (workflow.approvals.state === 'in_progress') return 'PendingApproval';
                if (workflow.approvals.state === 'completed') return 'Approved';
                return 'InReview';
            case 'Sign':
                return 'OutForSignature';
            case 'Archive':
            case 'Complete':
                return 'Signed';
        }
    })();
    return { lifecycle, signature, rawStatus: workflow.status, rawStage: workflow.step, derivedFrom: 'vendor' };
}

function mapSignature(state: IroncladWorkflow['signatures']['state']): SignatureState {
    switch (state) {
        case 'in_progress':
            return 'Sent';
        case 'complete':
        case 'completed':
            return 'FullySigned';
        case 'not_started':
        case 'not_applicable':
            return 'None';
    }
}
