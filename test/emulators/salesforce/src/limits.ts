// Org limits and the call counters. The daily API allocation is a real counter: each billed call takes one
// request from Remaining; at 0 every billed call answers 403 REQUEST_LIMIT_EXCEEDED.
export interface LimitValue {
    Max: number;
    Remaining: number;
}

export const DEFAULT_DAILY_API_REQUESTS = 15_000;

function defaultLimits(dailyApiMax: number): Record<string, LimitValue> {
    const full = (max: number): LimitValue => ({ Max: max, Remaining: max });
    return {
        ConcurrentAsyncGetReportInstances: full(200),
        ConcurrentSyncReportRuns: full(20),
        DailyApiRequests: full(dailyApiMax),
        DailyAsyncApexExecutions: full(250_000),
        DailyBulkApiBatches: full(15_000),
        DailyBulkV2QueryFileStorageMB: full(976_562),
        DailyBulkV2QueryJobs: full(10_000),
        DailyDeliveredPlatformEvents: full(50_000),
        DailyDurableStreamingApiEvents: full(1_000_000),
        DailyStandardVolumePlatformEvents: full(25_000),
        DataStorageMB: full(1_024),
        FileStorageMB: full(20_480),
        HourlyPublishedPlatformEvents: full(250_000),
        HourlyPublishedStandardVolumePlatformEvents: full(100_000),
        MonthlyPlatformEventsUsageEntitlement: full(1_500_000),
        SingleEmail: full(5_000)
    };
}

export class Limits {
    values: Record<string, LimitValue>;

    constructor(private readonly dailyApiMax: number) {
        this.values = defaultLimits(dailyApiMax);
    }

    reset(): void {
        this.values = defaultLimits(this.dailyApiMax);
    }

    set(name: string, value: LimitValue): void {
        this.values[name] = value;
    }

    get api(): LimitValue {
        return this.values.DailyApiRequests!;
    }

    /** Takes one request from the daily allocation; false when none is left. */
    bill(): boolean {
        const api = this.api;
        if (api.Remaining <= 0) return false;
        api.Remaining -= 1;
        return true;
    }

    header(): string {
        const api = this.api;
        return `api-usage=${api.Max - api.Remaining}/${api.Max}`;
    }
}

export class Counters {
    /** Billed API requests (what DailyApiRequests counts). */
    billed = 0;
    /** Every request, keyed "<METHOD> <route template>". */
    endpoints: Record<string, number> = {};
    /** Record-level operations: create, update, upsert, delete, retrieve, query, queryMore, describe, … */
    operations: Record<string, number> = {};

    endpoint(key: string): void {
        this.endpoints[key] = (this.endpoints[key] ?? 0) + 1;
    }

    operation(name: string, n = 1): void {
        this.operations[name] = (this.operations[name] ?? 0) + n;
    }

    reset(): void {
        this.billed = 0;
        this.endpoints = {};
        this.operations = {};
    }

    toJSON(): Record<string, unknown> {
        return { billedApiRequests: this.billed, endpoints: this.endpoints, operations: this.operations };
    }
}
