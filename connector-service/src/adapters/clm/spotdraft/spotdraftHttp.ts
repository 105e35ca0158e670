/** The HTTP client for SpotDraft's public API: its credentials headers, its per-workspace rate, its 402 refusal. */
import type { Clock } from '../../../clock.ts';
import { CLM_ERROR, clmError } from '../../../ports/clm.ts';
import { HttpClient } from '../http.ts';
import { WindowLimit } from '../rateLimit.ts';
import type { SpotdraftConfig } from './config.ts';
import { VENDOR } from './contractMapping.ts';
import type { SpotdraftAdapterDeps } from './spotdraftAdapter.ts';

export function spotdraftHttpClient(
    config: SpotdraftConfig,
    clock: Clock,
    deps: Pick<SpotdraftAdapterDeps, 'fetch' | 'random' | 'backoff'>
): HttpClient {
    const rate = config.requestsPerSecond;
    return new HttpClient({
        vendor: VENDOR,
        timeoutMs: config.timeoutMs,
        maxResponseBytes: config.maxResponseBytes,
        // SpotDraft counts requests per second per workspace.
        buckets: { workspace: new WindowLimit(Math.max(1, Math.floor(rate)), 1_000, clock) },
        authHeaders: async () => ({
            'client-id': config.clientId,
            'client-secret': config.clientSecret,
            'user-email': config.userEmail
        }),
        mapError: ({ status, body, request }) => {
            const detail = (body as { detail?: unknown; code?: unknown } | undefined) ?? {};
            // 402: "the contract's workflow state does not allow this"; SD_PUBLIC_00009: already executed.
            if (status === 402 || (status === 400 && detail.code === 'SD_PUBLIC_00009')) {
                return clmError(
                    CLM_ERROR.NOT_WRITABLE_IN_STATE,
                    `${request.operation}: ${typeof detail.detail === 'string' ? detail.detail : 'refused in this state'}`,
                    { operation: request.operation, status, state: 'vendor refused' }
                );
            }
            return undefined;
        },
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
        clock: clock,
        ...(deps.random ? { random: deps.random } : {}),
        ...(deps.backoff ? { backoff: deps.backoff } : {})
    });
}

export function spotdraftUrl(config: SpotdraftConfig, path: string): string {
    return `${config.baseUrl.replace(/\/$/, '')}${path}`;
}
