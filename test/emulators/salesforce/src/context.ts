// What every route handler needs: the org, the data and query services, and the per-request call context
// (authenticated user, API version, transaction — shared when the request runs inside a composite call).
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { AccessView } from './access.ts';
import { DataService, type CallContext } from './data.ts';
import { invalidSession, notFound, SfError } from './errors.ts';
import type { Org } from './org.ts';
import { QueryEngine } from './soql/engine.ts';
import type { Transaction, TransactionContext } from './store.ts';

export const MIN_API_VERSION = 20;
export const MAX_API_VERSION = 66;

export interface Auth {
    userId: string;
    token: string;
}

declare module 'fastify' {
    interface FastifyRequest {
        sfAuth?: Auth;
        sfAccess?: AccessView;
    }
}

/** A composite request's shared state, reachable from its sub-requests through an internal header. */
export interface CompositeScope {
    tx: Transaction;
    userId: string;
}

export const COMPOSITE_HEADER = 'x-emulator-composite-scope';

export class Services {
    readonly data: DataService;
    readonly query: QueryEngine;
    readonly scopes = new Map<string, CompositeScope>();
    /** Run after the org is reset (admin API), for state kept outside the org. */
    readonly onReset: (() => void)[] = [];

    constructor(
        readonly org: Org,
        readonly info: { instanceUrl: string; loginUrl: string; apiVersion: string }
    ) {
        this.data = new DataService(org);
        this.query = new QueryEngine(org, this.data);
    }

    openScope(scope: CompositeScope): string {
        const key = randomUUID();
        this.scopes.set(key, scope);
        return key;
    }

    scopeOf(request: FastifyRequest): CompositeScope | undefined {
        const key = request.headers[COMPOSITE_HEADER];
        return typeof key === 'string' ? this.scopes.get(key) : undefined;
    }

    /** "v60.0" → "60.0"; 404 NOT_FOUND for anything else or a version this org does not serve. */
    static version(text: string | undefined): string {
        const m = /^v(\d{2})\.0$/.exec(text ?? '');
        const n = m ? Number(m[1]) : NaN;
        if (!(n >= MIN_API_VERSION && n <= MAX_API_VERSION)) throw notFound();
        return `${n}.0`;
    }

    auth(request: FastifyRequest): Auth {
        if (!request.sfAuth) throw invalidSession();
        return request.sfAuth;
    }

    access(request: FastifyRequest): AccessView {
        const auth = this.auth(request);
        request.sfAccess ??= this.org.access(auth.userId);
        return request.sfAccess;
    }

    txContext(request: FastifyRequest, version: string, api: TransactionContext['api'] = 'rest'): TransactionContext {
        const callOptions =
            typeof request.headers['sforce-call-options'] === 'string' ? request.headers['sforce-call-options'] : null;
        const client = callOptions ? (/(?:^|,)\s*client=([^,]+)/.exec(callOptions)?.[1]?.trim() ?? null) : null;
        return { api, apiVersion: version, clientId: client, callOptions, userId: this.auth(request).userId };
    }

    /**
     * Runs one unit of work: inside the caller's composite transaction when there is one, else in its own
     * transaction that commits (and notifies the hook) on success and rolls back on failure.
     */
    write<T>(request: FastifyRequest, version: string, fn: (ctx: CallContext) => T): T {
        const scope = this.scopeOf(request);
        const tx = scope?.tx ?? this.org.begin(this.txContext(request, version));
        const sp = tx.savepoint();
        const ctx: CallContext = { access: this.access(request), userId: this.auth(request).userId, tx, version };
        try {
            const result = fn(ctx);
            if (!scope) this.org.commit(tx);
            return result;
        } catch (e) {
            tx.rollbackTo(sp);
            if (!scope) tx.done = true;
            throw e;
        }
    }

    /** A read-only call context (retrieve, describe, query). */
    read(request: FastifyRequest, version: string): CallContext {
        const tx = this.org.begin(this.txContext(request, version));
        tx.done = true;
        return { access: this.access(request), userId: this.auth(request).userId, tx, version };
    }
}

export function badRequest(errorCode: string, message: string, fields?: string[]): SfError {
    return new SfError(400, errorCode, message, fields);
}
