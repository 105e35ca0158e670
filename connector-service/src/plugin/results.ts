/**
 * The `--json` contract of every `sf clm` command, as zod schemas: the one source of truth. Each command's
 * result type is inferred from its schema here, the admin API client validates the connector's answers with the
 * same schemas, and `schemas/clm-<topic>-<verb>.json` is generated from them (`npm run … write-schemas`, see
 * jsonSchemas.ts); a test fails when a checked-in schema drifts from its type.
 */
import { z } from 'zod';
import { CONFLICT_POLICIES, DIRECTIONS, type FieldRule } from '../domain/rules.ts';
import { Transform } from '../domain/transforms.ts';

export const RuleProblemResult = z.object({
    code: z.string().describe('Stable code, e.g. MAPPING.FIELD_NOT_VISIBLE'),
    rule: z.string().describe('The rule (DeveloperName) the problem belongs to'),
    field: z.string().optional().describe('Object.Field (or the CLM field) the problem is about'),
    message: z.string()
});
export type RuleProblemResult = z.infer<typeof RuleProblemResult>;

export const RuleSource = z.enum(['org', 'defaults', 'file']);
export type RuleSource = z.infer<typeof RuleSource>;

export const RulesValidateResult = z.object({
    valid: z.boolean(),
    source: RuleSource.describe(
        'org: the Clm_Field_Mapping__mdt records; defaults: none deployed yet; file: --rules-file'
    ),
    rulesChecked: z.number().int(),
    integrationUser: z.object({ id: z.string(), username: z.string() }),
    multiCurrency: z.boolean(),
    clmTemplate: z
        .object({ vendor: z.string(), id: z.string(), name: z.string() })
        .optional()
        .describe('The CLM template the rules were checked against (--clm-config)'),
    problems: z.array(RuleProblemResult)
});
export type RulesValidateResult = z.infer<typeof RulesValidateResult>;

export const RuleRow = z.object({
    name: z.string(),
    sfObject: z.string(),
    sfField: z.string(),
    clmField: z.string(),
    direction: z.enum(DIRECTIONS),
    conflictPolicy: z.enum(CONFLICT_POLICIES).optional(),
    transform: Transform.describe('The transform with its settings (kind: copy, date, money, address, …)'),
    enabled: z.boolean(),
    description: z.string().optional()
});
export type RuleRow = z.infer<typeof RuleRow>;

/** A parsed rule as a row: the whole rule, transform settings included, so a row list is a valid `--rules-file`. */
export function ruleRow(rule: FieldRule): RuleRow {
    const { name, sfObject, sfField, clmField, direction, conflictPolicy, transform, enabled, description } = rule;
    return {
        name,
        sfObject,
        sfField,
        clmField,
        direction,
        ...(conflictPolicy ? { conflictPolicy } : {}),
        transform,
        enabled,
        ...(description ? { description } : {})
    };
}

export const RulesListResult = z.object({ source: RuleSource, rules: z.array(RuleRow) });
export type RulesListResult = z.infer<typeof RulesListResult>;

export const RulesSuggestResult = z.object({
    template: z.object({ vendor: z.string(), id: z.string(), name: z.string() }),
    rules: z.array(
        RuleRow.extend({
            templateField: z.string().describe("The template's own field the rule maps"),
            basis: z
                .enum(['default', 'new'])
                .describe('default: the packaged rule; new: the Salesforce field it names is to be created')
        })
    )
});
export type RulesSuggestResult = z.infer<typeof RulesSuggestResult>;

export const AssignmentStatus = z.enum(['assigned', 'alreadyAssigned', 'removed']);
export const OrgSetupResult = z.object({
    deploy: z.object({
        id: z.string().nullable(),
        status: z.string(),
        directories: z.array(z.string()),
        components: z.number().int(),
        cpq: z.boolean().describe('CPQ (SBQQ) is installed, so the CPQ package directory was deployed too')
    }),
    assignments: z.array(z.object({ username: z.string(), permissionSet: z.string(), status: AssignmentStatus })),
    rules: z.object({ source: RuleSource, count: z.number().int() }),
    changeDataCapture: z.object({
        entities: z.array(z.string()).describe('Change events the enabled rules need'),
        alreadyEnabled: z.array(z.string()),
        enabled: z.array(z.string()),
        allocation: z.number().int(),
        exceedsAllocation: z.boolean()
    }),
    nextSteps: z.array(z.string())
});
export type OrgSetupResult = z.infer<typeof OrgSetupResult>;

// ---- the connector's admin API (docs/admin-api.md): answers are validated with these, results reuse them ----

const QueueCounts = z.object({
    pending: z.number().int(),
    processing: z.number().int(),
    failed: z.number().int(),
    quarantined: z.number().int()
});
export const SyncStatusResult = z.object({
    orgId: z.string(),
    connector: z.string().describe('Connector name and version'),
    subscriptions: z.array(
        z.object({
            channel: z.string(),
            replayId: z.string().nullable(),
            holder: z.string().nullable(),
            state: z.enum(['subscribed', 'standby', 'reconciling', 'error']),
            lastEventAt: z.string().nullable().describe('When the last event stored on the channel was committed')
        })
    ),
    queues: z.object({ inbox: QueueCounts, outbox: QueueCounts }),
    apiBudget: z.object({ used: z.number().int(), max: z.number().int(), paused: z.boolean() })
});
export type SyncStatusResult = z.infer<typeof SyncStatusResult>;

export const SyncErrorItem = z.object({
    id: z.string(),
    kind: z.enum(['inbox', 'outbox']),
    code: z.string(),
    message: z.string(),
    correlationId: z.string().nullable(),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    quarantined: z.boolean()
});
export const SyncErrorsResult = z.object({ items: z.array(SyncErrorItem) });
export type SyncErrorsResult = z.infer<typeof SyncErrorsResult>;

export const SyncReplayResult = z.object({ replayed: z.number().int() });
export type SyncReplayResult = z.infer<typeof SyncReplayResult>;

export const BackfillStarted = z.object({ jobId: z.string() });
export const BackfillState = z.enum(['Queued', 'Running', 'Completed', 'Failed']);
export const SyncBackfillResult = z.object({
    jobId: z.string(),
    object: z.string(),
    state: BackfillState,
    processed: z.number().int().describe('Records read and planned'),
    total: z.number().int().nullable(),
    errors: z.number().int(),
    linked: z.number().int().describe('Records linked to a CLM contract'),
    written: z.number().int().describe('Salesforce record writes confirmed')
});
export type SyncBackfillResult = z.infer<typeof SyncBackfillResult>;

export const ConflictItem = z.object({
    id: z.string(),
    pairId: z.string(),
    rule: z.string(),
    salesforceValue: z.unknown(),
    clmValue: z.unknown(),
    detectedAt: z.string()
});
export const ConflictsListResult = z.object({ items: z.array(ConflictItem) });
export type ConflictsListResult = z.infer<typeof ConflictsListResult>;

export const RelinkPreview = z.object({
    state: z.enum(['stopped', 'refusing', 'starting', 'running']),
    boundOrgId: z.string().nullable().describe('The org the connector state belongs to'),
    orgId: z.string().describe('The org the connector is logged in to')
});
export const OrgRelinkResult = z.object({
    previousOrgId: z.string().nullable().describe('The org the connector state belonged to'),
    orgId: z.string().describe('The org it belongs to now')
});
export type OrgRelinkResult = z.infer<typeof OrgRelinkResult>;

export const AuditStarted = z.object({ auditId: z.string() });
const Rate = z.number().min(0).max(1).describe('agreeing / compared (1 when nothing was compared)');
export const AuditResult = z.object({
    auditId: z.string(),
    state: z.enum(['Running', 'Completed', 'Failed']),
    phase: z.enum(['pairs', 'salesforce', 'clm', 'compare', 'repair', 'done']),
    repair: z.boolean(),
    pairs: z.number().int().describe('Linked pairs found'),
    processed: z.number().int().describe('Pairs compared so far'),
    objects: z.array(
        z.object({
            object: z.string(),
            compared: z.number().int(),
            agreeing: z.number().int().describe('Records whose every field agrees'),
            differing: z.number().int(),
            missingInSalesforce: z.number().int(),
            missingInClm: z.number().int(),
            accuracy: Rate
        })
    ),
    fields: z.array(
        z.object({
            object: z.string(),
            field: z.string(),
            rule: z.string(),
            clmField: z.string(),
            compared: z.number().int(),
            agreeing: z.number().int(),
            differing: z.number().int(),
            accuracy: Rate
        })
    ),
    notAudited: z
        .array(z.object({ rule: z.string(), object: z.string() }))
        .describe('Rules over objects that are no side of a pair (Account, Contact)'),
    differences: z.array(
        z.object({
            pairId: z.string(),
            object: z.string(),
            recordId: z.string(),
            contractId: z.string(),
            rule: z.string(),
            field: z.string(),
            clmField: z.string(),
            salesforceValue: z.unknown(),
            clmValue: z.unknown(),
            errorCode: z.string().optional()
        })
    ),
    differencesNotListed: z.number().int(),
    repairQueued: z.number().int().describe('Pairs queued to the sync engine for repair'),
    transport: z.record(z.string(), z.enum(['rest', 'bulk'])),
    apiCalls: z.object({ salesforce: z.number().int(), clm: z.number().int() }),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    lastError: z.object({ code: z.string(), message: z.string() }).nullable()
});
export type AuditResult = z.infer<typeof AuditResult>;

/** Command id → result schema; schemas/clm-<topic>-<verb>.json is generated from each. */
export const RESULT_SCHEMAS = {
    'clm rules validate': RulesValidateResult,
    'clm rules list': RulesListResult,
    'clm rules suggest': RulesSuggestResult,
    'clm org setup': OrgSetupResult,
    'clm org relink': OrgRelinkResult,
    'clm sync status': SyncStatusResult,
    'clm sync errors': SyncErrorsResult,
    'clm sync replay': SyncReplayResult,
    'clm sync backfill': SyncBackfillResult,
    'clm conflicts list': ConflictsListResult,
    'clm audit': AuditResult
} as const satisfies Record<string, z.ZodType>;
export type CommandId = keyof typeof RESULT_SCHEMAS;
