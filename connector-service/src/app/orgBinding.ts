/**
 * Which org's state the store holds, and whether the sync may run on it. At start the store is bound to the org the
 * connector is logged in to; when it holds another org's (a refreshed sandbox) nothing that writes runs until an
 * admin relinks it (`sf clm org relink`, POST /admin/relink) — through this instance, or through another one sharing
 * the store (looked for every `bindingRecheckMs`).
 */
import { z } from 'zod';
import { isConnectorError } from '../domain/index.ts';
import type { Logger } from '../ports/logger.ts';
import { STORE_ERROR, type StorePort } from '../ports/store.ts';

/**
 * `refusing`: the store holds another org's state, so nothing that writes runs until an admin relinks;
 * `starting`: bound, the sync is being started; `running`: ready.
 */
export type Phase = 'stopped' | 'refusing' | 'starting' | 'running';

/** An admin's typed confirmation: the id of the org the connector is logged in to (15 or 18 characters). */
const RelinkBody = z
    .object({
        orgId: z.string().regex(/^00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/),
        requestedBy: z.string().min(1).max(255).optional()
    })
    .strict();

/** What an admin's relink came to; the HTTP adapter answers each with its status. */
export type RelinkOutcome =
    | { kind: 'relinked'; body: { previousOrgId: string | null; orgId: string } }
    | { kind: 'invalid' | 'notNeeded' | 'orgIdMismatch' | 'startFailed'; body: Record<string, unknown> };

export interface OrgBindingOptions {
    /** The connector's name: the store's binding is per connector. */
    name: string;
    /** The org the connector is logged in to. */
    orgId: string;
    store: Pick<StorePort, 'bindOrg' | 'boundOrg' | 'relinkOrg'>;
    logger: Logger;
    now: () => number;
    /** Starts the sync (the work loop and everything else that writes); `relinked` after an admin's relink. */
    startSync: (relinked: boolean) => Promise<void>;
    /** While refusing another org's state, how often to look whether an admin relinked it through another instance. */
    bindingRecheckMs?: number;
}

export class OrgBinding {
    private phase: Phase = 'stopped';
    private boundOrgId: string | null = null;
    private bindingRecheck: NodeJS.Timeout | null = null;

    constructor(private readonly options: OrgBindingOptions) {}

    /** Whether the sync runs (`refusing` while the store holds another org's state). */
    get state(): Phase {
        return this.phase;
    }

    /**
     * Binds the store to the org; when it holds another org's state, refuses (false) until an admin relinks. Any
     * other store error is thrown.
     */
    async bind(): Promise<boolean> {
        try {
            await this.options.store.bindOrg(this.options.name, this.options.orgId, this.options.now());
            return true;
        } catch (error) {
            if (!isConnectorError(error, STORE_ERROR.ORG_MISMATCH)) throw error;
            this.refuse(String(error.details.boundOrgId));
            return false;
        }
    }

    /** Starts the sync on the bound store. */
    start(): Promise<void> {
        return this.startSync(false);
    }

    private async startSync(relinked: boolean): Promise<void> {
        this.stopBindingRecheck();
        this.phase = 'starting';
        await this.options.startSync(relinked);
        this.phase = 'running';
    }

    /** What an admin or a caller refused while the store holds another org's state reads. */
    relinkRequired(): { code: string; message: string; boundOrgId: string | null; orgId: string } {
        const { name, orgId } = this.options;
        return {
            code: 'ADMIN.RELINK_REQUIRED',
            message:
                `Connector ${name} holds the state of org ${this.boundOrgId}, but is logged in to org ${orgId} ` +
                `(a refreshed sandbox?): nothing syncs until an admin relinks it with ` +
                `"sf clm org relink --target-org <alias of org ${orgId}>" (POST /admin/relink {"orgId": "${orgId}"})`,
            boundOrgId: this.boundOrgId,
            orgId
        };
    }

    private refuse(boundOrgId: string): void {
        this.phase = 'refusing';
        this.boundOrgId = boundOrgId;
        const { code: _, message, ...orgs } = this.relinkRequired();
        this.options.logger.error({ code: STORE_ERROR.ORG_MISMATCH, ...orgs }, message);
        // Several instances share a store: an admin may relink through another one.
        const every = this.options.bindingRecheckMs ?? 10_000;
        this.bindingRecheck = setInterval(() => {
            void this.options.store
                .boundOrg(this.options.name)
                .then((bound) => {
                    if (bound !== this.options.orgId || this.phase !== 'refusing') return;
                    this.options.logger.info({ orgId: bound }, 'the store was relinked to this org; starting the sync');
                    return this.startSync(true);
                })
                .catch((error: unknown) => this.logStartFailure(error));
        }, every);
        this.bindingRecheck.unref();
    }

    private stopBindingRecheck(): void {
        if (this.bindingRecheck) clearInterval(this.bindingRecheck);
        this.bindingRecheck = null;
    }

    /** An admin's decision that the store's state now belongs to this org (the body of POST /admin/relink). */
    async relink(input: unknown, remoteAddress: string): Promise<RelinkOutcome> {
        const { store, name, orgId, logger } = this.options;
        const body = RelinkBody.safeParse(input);
        if (!body.success) {
            return {
                kind: 'invalid',
                body: {
                    code: 'ADMIN.INVALID_REQUEST',
                    message: `Send {"orgId": "<the id of the org the connector is logged in to>"}: ${body.error.issues
                        .map((issue) => issue.path.join('.') || 'body')
                        .join(', ')} is missing or malformed`,
                    field: body.error.issues[0]?.path.join('.') || 'orgId'
                }
            };
        }
        if (this.phase !== 'refusing') {
            return {
                kind: 'notNeeded',
                body: {
                    code: 'ADMIN.NOT_NEEDED',
                    message: `Connector ${name} already holds the state of org ${orgId}, the org it is logged in to`
                }
            };
        }
        const named = body.data.orgId;
        if (named !== orgId && !(named.length === 15 && orgId.startsWith(named))) {
            return {
                kind: 'orgIdMismatch',
                body: {
                    code: 'ADMIN.ORG_ID_MISMATCH',
                    message: `The connector is logged in to org ${orgId}, not ${named}: name that org to confirm the relink`,
                    expectedOrgId: orgId
                }
            };
        }
        this.phase = 'starting';
        let previousOrgId: string | null;
        try {
            ({ previousOrgId } = await store.relinkOrg(name, orgId, this.options.now()));
        } catch (error) {
            this.phase = 'refusing';
            throw error;
        }
        logger.warn(
            {
                code: 'ADMIN.RELINKED',
                previousOrgId,
                orgId,
                requestedBy: body.data.requestedBy ?? null,
                remoteAddress,
                at: new Date(this.options.now()).toISOString()
            },
            `an admin relinked connector ${name} from org ${previousOrgId} to org ${orgId}; starting the sync`
        );
        try {
            await this.startSync(true);
        } catch (error) {
            this.logStartFailure(error);
            return {
                kind: 'startFailed',
                body: {
                    code: isConnectorError(error) ? error.code : 'ADMIN.START_FAILED',
                    message: `Relinked to org ${orgId}, but the sync did not start: ${error instanceof Error ? error.message : String(error)}`
                }
            };
        }
        return { kind: 'relinked', body: { previousOrgId, orgId } };
    }

    private logStartFailure(error: unknown): void {
        this.options.logger.error(
            { code: isConnectorError(error) ? error.code : 'ADMIN.START_FAILED' },
            `the sync did not start: ${error instanceof Error ? error.message : String(error)}`
        );
    }

    stop(): void {
        this.stopBindingRecheck();
        this.phase = 'stopped';
    }
}
