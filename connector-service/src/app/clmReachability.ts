/**
 * Whether the CLM answers, as /readyz reports it. Every call the connector makes to the CLM (the engine's writes,
 * the change-feed poller every clmPollIntervalMs, webhook key fetches) passes through `watch`, which notes how it
 * ended: an answer — even a refusal such as CLM.NOT_FOUND or CLM.VALIDATION — shows the CLM is reachable; a
 * network failure, timeout or 5xx after retries (CLM.TRANSIENT) or a refused login (CLM.AUTH) shows it is not.
 * The CLM is reported unreachable once the last `failuresToTrip` calls in a row failed that way, and reachable
 * again at the next answer. Passive on purpose: readiness probes must not spend the vendor's rate limits.
 */
import { isConnectorError } from '../domain/index.ts';
import { CLM_ERROR, type ClmPort } from '../ports/clm.ts';
import type { Clock } from '../clock.ts';

export interface ClmReachabilityState {
    reachable: boolean;
    /** The code of the last failure that counted against reachability. */
    lastErrorCode: string | null;
    /** When the current run of failures started (ms), null while reachable. */
    failingSince: number | null;
    consecutiveFailures: number;
}

const UNREACHABLE_CODES: ReadonlySet<string> = new Set([CLM_ERROR.TRANSIENT, CLM_ERROR.AUTH]);
/** Calls that may answer without reaching the CLM (a cached key): a flood of forged webhooks must not look like health. */
const NOT_OBSERVED: ReadonlySet<PropertyKey> = new Set(['verifyWebhook']);

export class ClmReachability {
    private consecutiveFailures = 0;
    private lastErrorCode: string | null = null;
    private failingSince: number | null = null;

    constructor(
        private readonly clock: Clock,
        private readonly failuresToTrip = 2
    ) {}

    /** The port, with every async call's outcome noted. */
    watch(port: ClmPort): ClmPort {
        return new Proxy(port, {
            get: (target, property, receiver) => {
                const value = Reflect.get(target, property, receiver) as unknown;
                if (typeof value !== 'function') return value;
                if (NOT_OBSERVED.has(property)) return (value as (...a: unknown[]) => unknown).bind(target);
                return (...args: unknown[]) => {
                    const result = (value as (...a: unknown[]) => unknown).apply(target, args);
                    if (!(result instanceof Promise)) return result;
                    return result.then(
                        (answer) => {
                            this.answered();
                            return answer;
                        },
                        (error: unknown) => {
                            if (isConnectorError(error) && UNREACHABLE_CODES.has(error.code)) this.failed(error.code);
                            else if (isConnectorError(error)) this.answered();
                            throw error;
                        }
                    );
                };
            }
        });
    }

    state(): ClmReachabilityState {
        return {
            reachable: this.consecutiveFailures < this.failuresToTrip,
            lastErrorCode: this.lastErrorCode,
            failingSince: this.failingSince,
            consecutiveFailures: this.consecutiveFailures
        };
    }

    private answered(): void {
        this.consecutiveFailures = 0;
        this.failingSince = null;
    }

    private failed(code: string): void {
        if (this.consecutiveFailures === 0) this.failingSince = this.clock.now();
        this.consecutiveFailures++;
        this.lastErrorCode = code;
    }
}
