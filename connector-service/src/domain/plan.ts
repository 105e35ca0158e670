/**
 * What the planner takes and gives (planner.ts): a change from either side, the context it is planned in, and the
 * plan — the writes for the other side, the new sync state, change-log entries, conflicts and errors.
 */
import { z } from 'zod';
import type { ConnectorError } from './errors.ts';
import type { PairState, Side } from './syncState.ts';
import { Version } from './syncState.ts';
import type { Json, TransformContext } from './transforms.ts';

const ChangeBase = {
    /** The delivery's own id (replay id, webhook event id): with the rule, the change log's idempotency key. */
    eventId: z.string().min(1),
    correlationId: z.string().min(1),
    version: Version,
    /** Who made the change: Salesforce's changeOrigin, or the CLM actor. */
    origin: z.string().optional(),
    values: z.record(z.string(), z.unknown()),
    /** Fields the change touched; all keys of `values` when absent. */
    changedFields: z.array(z.string()).optional()
};

export const SalesforceChange = z.object({
    source: z.literal('salesforce'),
    sfObject: z.string().min(1),
    recordId: z.string().min(1),
    ...ChangeBase
});
export const ClmChange = z.object({ source: z.literal('clm'), contractId: z.string().min(1), ...ChangeBase });
export const Change = z.discriminatedUnion('source', [SalesforceChange, ClmChange]);
export type SalesforceChange = z.infer<typeof SalesforceChange>;
export type ClmChange = z.infer<typeof ClmChange>;
export type Change = z.infer<typeof Change>;

export interface PlanContext {
    /** The id the connector sends as `Sforce-Call-Options: client=<id>`; CDC reports it in changeOrigin. */
    connectorClientId: string;
    /** The actor the connector writes to the CLM as, when the CLM reports who changed a contract. */
    clmActor?: string;
    /**
     * Sides whose change events say who made them (Salesforce CDC's changeOrigin, by default). There an echo is
     * recognised by origin only, so a person's edit that happens to equal a value we wrote is still their edit;
     * elsewhere an echo is recognised by value.
     */
    originReported?: Partial<Record<Side, boolean>>;
    transform: TransformContext;
}

export type SalesforceValue = string | number | boolean | null;
export interface SalesforceWrite {
    sfObject: string;
    fields: Record<string, SalesforceValue>;
    rules: string[];
}
export interface ClmWrite {
    fields: Record<string, Json>;
    rules: string[];
}

export type ChangeOutcome = 'applied' | 'echo' | 'stale' | 'unchanged' | 'notOwned' | 'conflict' | 'resolved' | 'error';

export interface ChangeLogEntry {
    idempotencyKey: string;
    eventId: string;
    correlationId: string;
    source: Side;
    rule: string;
    outcome: ChangeOutcome;
    value?: Json;
    previous?: Json;
    errorCode?: string;
}

export interface Conflict {
    rule: string;
    sfObject: string;
    sfField: string;
    clmField: string;
    salesforceValue: Json;
    clmValue: Json;
    salesforceVersion?: Version;
    clmVersion?: Version;
    eventId: string;
    correlationId: string;
}

export interface Plan {
    writes: { salesforce: SalesforceWrite[]; clm: ClmWrite | null };
    newState: PairState;
    changeLog: ChangeLogEntry[];
    conflicts: Conflict[];
    errors: ConnectorError[];
}
