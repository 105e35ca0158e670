// Webhook registrations and at-least-once delivery, signed as each vendor signs:
// - Ironclad: headers X-Ironclad-Webhook-Event-Id and X-Ironclad-Webhook-Verification = JSON {nonce, signAlgorithm,
//   signature, encoding}; RSA-SHA256 over eventId + <exact body bytes sent> + nonce; key pair generated at start,
//   public half at /webhooks/verification-key, rotatable. Failures (non-2xx, network) are retried 10 times with
//   exponential back-off (48 s · 2^n, about 13.6 h in all); 410 Gone disables the webhook; 100 consecutive failures
//   spanning 7 days disable it too.
// - SpotDraft (developer-playbook form): header X-SD-WEBHOOK-CONTENT-HASH = hex HMAC-SHA512 over the raw body, key =
//   base64-decode(hmac_key). More than 5 consecutive failures for a URL pause the webhook; failures are retried with
//   back-off 30 s · 2^n until then.
// Delivery quirks for tests (admin API): extra duplicate copies, delayed first attempts, and a reorder window that
// holds N deliveries per target and releases them newest first. All timing runs on the virtual clock.
import { createHmac, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { VirtualClock } from './clock.ts';
import type { Vendor } from './store.ts';

export interface Registration {
    vendor: Vendor;
    id: string;
    targetUrl: string;
    events: string[];
    title?: string;
    state: 'active' | 'disabled' | 'paused';
    stateReason?: string;
    consecutiveFailures: number;
    firstFailureAt?: number;
    createdAt: string;
}

export interface DeliveryLogEntry {
    seq: number;
    vendor: Vendor;
    registrationId: string;
    targetUrl: string;
    eventId: string;
    event: string;
    attempt: number;
    copy: number;
    at: string;
    outcome: 'delivered' | 'failed' | 'skipped';
    status?: number;
    error?: string;
    nextAttemptAt?: string;
}

export const deliveryConfigSchema = z.strictObject({
    /** Extra identical copies of every delivery (same event id and body). */
    duplicates: z.number().int().min(0).max(5).optional(),
    /** Virtual milliseconds before the first attempt. */
    delayMs: z
        .number()
        .int()
        .min(0)
        .max(7 * 24 * 3_600_000)
        .optional(),
    /** Hold deliveries per target until this many are queued, then send them newest first (0/1 = off). */
    reorderWindow: z.number().int().min(0).max(100).optional()
});
export type DeliveryConfig = z.infer<typeof deliveryConfigSchema>;

interface Delivery {
    registration: Registration;
    eventId: string;
    event: string;
    body: string;
    attempt: number;
    copy: number;
}

export const IRONCLAD_RETRY_BASE_MS = 48_000;
export const IRONCLAD_MAX_RETRIES = 10;
export const SPOTDRAFT_RETRY_BASE_MS = 30_000;
export const SPOTDRAFT_PAUSE_AFTER_FAILURES = 5;
const IRONCLAD_DISABLE_FAILURES = 100;
const IRONCLAD_DISABLE_SPAN_MS = 7 * 24 * 3_600_000;
const DELIVERY_TIMEOUT_MS = 10_000;

export class WebhookDispatcher {
    private registrations: Registration[] = [];
    private log: DeliveryLogEntry[] = [];
    private logSeq = 1;
    /** SpotDraft webhook ids are integers; never reused, even after a delete. */
    private spotdraftIdSeq = 1001;
    private held = new Map<string, Delivery[]>();
    private inFlight = new Set<Promise<void>>();
    private config: Record<Vendor, DeliveryConfig> = { ironclad: {}, spotdraft: {} };
    private ironcladKeys: { privateKey: KeyObject; publicKeyPem: string };
    private spotdraftKey: Buffer;
    private cancelTimers = new Set<() => void>();
    private stopped = false;

    constructor(
        private readonly clock: VirtualClock,
        private readonly allowedHosts: string[]
    ) {
        this.ironcladKeys = WebhookDispatcher.generateRsa();
        this.spotdraftKey = randomBytes(32);
    }

    private static generateRsa(): { privateKey: KeyObject; publicKeyPem: string } {
        const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
    }

    reset(): void {
        for (const cancel of this.cancelTimers) cancel();
        this.cancelTimers.clear();
        this.registrations = [];
        this.log = [];
        this.held.clear();
        this.config = { ironclad: {}, spotdraft: {} };
    }

    stop(): void {
        this.stopped = true;
        for (const cancel of this.cancelTimers) cancel();
        this.cancelTimers.clear();
    }

    ironcladVerificationKey(): string {
        return this.ironcladKeys.publicKeyPem;
    }

    rotateIroncladKey(): string {
        this.ironcladKeys = WebhookDispatcher.generateRsa();
        return this.ironcladKeys.publicKeyPem;
    }

    spotdraftHmacKey(): string {
        return this.spotdraftKey.toString('base64');
    }

    rotateSpotdraftKey(): string {
        this.spotdraftKey = randomBytes(32);
        return this.spotdraftHmacKey();
    }

    setConfig(vendor: Vendor, config: DeliveryConfig): DeliveryConfig {
        this.config[vendor] = { ...this.config[vendor], ...config };
        return this.config[vendor];
    }

    getConfig(): Record<Vendor, DeliveryConfig> {
        return structuredClone(this.config);
    }

    /** Whether a target may receive deliveries (loopback by default: no outbound call to anything unconfigured). */
    targetAllowed(targetUrl: string): boolean {
        try {
            const url = new URL(targetUrl);
            if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
            return this.allowedHosts.includes('*') || this.allowedHosts.includes(url.hostname.replace(/^\[|\]$/g, ''));
        } catch {
            return false;
        }
    }

    register(vendor: Vendor, input: { targetUrl: string; events: string[]; title?: string }): Registration {
        const registration: Registration = {
            vendor,
            id: vendor === 'ironclad' ? randomBytes(12).toString('hex') : String(this.spotdraftIdSeq++),
            targetUrl: input.targetUrl,
            events: input.events,
            title: input.title,
            state: 'active',
            consecutiveFailures: 0,
            createdAt: this.clock.iso()
        };
        this.registrations.push(registration);
        return registration;
    }

    list(vendor?: Vendor): Registration[] {
        return this.registrations.filter((registration) => !vendor || registration.vendor === vendor);
    }

    find(vendor: Vendor, id: string): Registration | undefined {
        return this.registrations.find((registration) => registration.vendor === vendor && registration.id === id);
    }

    remove(vendor: Vendor, id: string): boolean {
        const before = this.registrations.length;
        this.registrations = this.registrations.filter((r) => !(r.vendor === vendor && r.id === id));
        return this.registrations.length < before;
    }

    enable(vendor: Vendor, id: string): Registration | undefined {
        const registration = this.find(vendor, id);
        if (registration) {
            registration.state = 'active';
            delete registration.stateReason;
            registration.consecutiveFailures = 0;
            delete registration.firstFailureAt;
        }
        return registration;
    }

    deliveryLog(): DeliveryLogEntry[] {
        return this.log.map((entry) => ({ ...entry }));
    }

    /** Queues one event for every active registration of the vendor that subscribes to it. */
    publish(vendor: Vendor, event: string, buildBody: (registration: Registration, eventId: string) => unknown): void {
        for (const registration of this.registrations) {
            if (registration.vendor !== vendor || registration.state !== 'active') continue;
            if (!registration.events.includes('*') && !registration.events.includes(event)) continue;
            const eventId = randomUUID();
            const body = JSON.stringify(buildBody(registration, eventId));
            const copies = 1 + (this.config[vendor].duplicates ?? 0);
            for (let copy = 0; copy < copies; copy += 1) {
                this.enqueue({ registration, eventId, event, body, attempt: 1, copy });
            }
        }
    }

    /** Releases every held (reorder window) delivery, newest first. */
    flush(): number {
        let released = 0;
        for (const [key, queue] of this.held) {
            this.held.delete(key);
            for (const delivery of queue.reverse()) {
                released += 1;
                this.schedule(delivery, this.config[delivery.registration.vendor].delayMs ?? 0);
            }
        }
        return released;
    }

    /** Waits until no delivery is in flight (bounded), for deterministic tests. */
    async settle(maxRounds = 50): Promise<void> {
        for (let round = 0; round < maxRounds && this.inFlight.size > 0; round += 1) {
            await Promise.allSettled([...this.inFlight]);
        }
    }

    private enqueue(delivery: Delivery): void {
        const config = this.config[delivery.registration.vendor];
        const window = config.reorderWindow ?? 0;
        if (window > 1) {
            const key = `${delivery.registration.vendor}:${delivery.registration.id}`;
            const queue = this.held.get(key) ?? [];
            queue.push(delivery);
            this.held.set(key, queue);
            if (queue.length >= window) {
                this.held.delete(key);
                for (const held of queue.reverse()) this.schedule(held, config.delayMs ?? 0);
            }
            return;
        }
        this.schedule(delivery, config.delayMs ?? 0);
    }

    private schedule(delivery: Delivery, delayMs: number): void {
        if (this.stopped) return;
        if (delayMs <= 0) {
            this.attempt(delivery);
            return;
        }
        const cancel = this.clock.setTimer(delayMs, () => {
            this.cancelTimers.delete(cancel);
            this.attempt(delivery);
        });
        this.cancelTimers.add(cancel);
    }

    private headersFor(delivery: Delivery): Record<string, string> {
        const headers: Record<string, string> = {
            'content-type': 'application/json',
            'user-agent': 'clm-emulator-webhooks'
        };
        if (delivery.registration.vendor === 'ironclad') {
            const nonce = randomBytes(16).toString('hex');
            const signature = sign(
                'sha256',
                Buffer.from(delivery.eventId + delivery.body + nonce, 'utf8'),
                this.ironcladKeys.privateKey
            );
            headers['x-ironclad-webhook-event-id'] = delivery.eventId;
            headers['x-ironclad-webhook-verification'] = JSON.stringify({
                nonce,
                signAlgorithm: 'sha256',
                signature: signature.toString('base64'),
                encoding: 'base64'
            });
        } else {
            headers['x-sd-webhook-content-hash'] = createHmac('sha512', this.spotdraftKey)
                .update(delivery.body, 'utf8')
                .digest('hex');
        }
        return headers;
    }

    private attempt(delivery: Delivery): void {
        const { registration } = delivery;
        if (registration.state !== 'active' || !this.registrations.includes(registration)) {
            this.record(delivery, {
                outcome: 'skipped',
                error: `webhook ${registration.state === 'active' ? 'deleted' : registration.state}`
            });
            return;
        }
        if (!this.targetAllowed(registration.targetUrl)) {
            this.record(delivery, { outcome: 'skipped', error: 'target host not allowed' });
            return;
        }
        const run = this.send(delivery).finally(() => this.inFlight.delete(run));
        this.inFlight.add(run);
    }

    private async send(delivery: Delivery): Promise<void> {
        let status: number | undefined;
        let error: string | undefined;
        try {
            const response = await fetch(delivery.registration.targetUrl, {
                method: 'POST',
                headers: this.headersFor(delivery),
                body: delivery.body,
                redirect: 'manual',
                signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS)
            });
            status = response.status;
            await response.arrayBuffer().catch(() => undefined);
        } catch (caught) {
            error = (caught as Error).name === 'TimeoutError' ? 'timeout' : String((caught as Error).message ?? caught);
        }
        if (this.stopped) return;
        if (status !== undefined && status >= 200 && status < 300) {
            delivery.registration.consecutiveFailures = 0;
            delete delivery.registration.firstFailureAt;
            this.record(delivery, { outcome: 'delivered', status });
            return;
        }
        this.failed(delivery, status, error);
    }

    private failed(delivery: Delivery, status: number | undefined, error: string | undefined): void {
        const registration = delivery.registration;
        registration.consecutiveFailures += 1;
        registration.firstFailureAt ??= this.clock.now();
        let retryInMs: number | undefined;
        if (registration.vendor === 'ironclad') {
            if (status === 410) {
                registration.state = 'disabled';
                registration.stateReason = 'target answered 410 Gone';
            } else if (
                registration.consecutiveFailures >= IRONCLAD_DISABLE_FAILURES &&
                this.clock.now() - registration.firstFailureAt >= IRONCLAD_DISABLE_SPAN_MS
            ) {
                registration.state = 'disabled';
                registration.stateReason = `${registration.consecutiveFailures} consecutive failures over 7 days`;
            } else if (delivery.attempt <= IRONCLAD_MAX_RETRIES) {
                retryInMs = IRONCLAD_RETRY_BASE_MS * 2 ** (delivery.attempt - 1);
            }
        } else if (registration.consecutiveFailures > SPOTDRAFT_PAUSE_AFTER_FAILURES) {
            registration.state = 'paused';
            registration.stateReason = `more than ${SPOTDRAFT_PAUSE_AFTER_FAILURES} failures`;
        } else {
            retryInMs = SPOTDRAFT_RETRY_BASE_MS * 2 ** (delivery.attempt - 1);
        }
        const nextAttemptAt =
            retryInMs !== undefined ? new Date(this.clock.now() + retryInMs).toISOString() : undefined;
        this.record(delivery, { outcome: 'failed', status, error, nextAttemptAt });
        if (retryInMs !== undefined) this.schedule({ ...delivery, attempt: delivery.attempt + 1 }, retryInMs);
    }

    private record(
        delivery: Delivery,
        result: Pick<DeliveryLogEntry, 'outcome' | 'status' | 'error' | 'nextAttemptAt'>
    ): void {
        this.log.push({
            seq: this.logSeq++,
            vendor: delivery.registration.vendor,
            registrationId: delivery.registration.id,
            targetUrl: delivery.registration.targetUrl,
            eventId: delivery.eventId,
            event: delivery.event,
            attempt: delivery.attempt,
            copy: delivery.copy,
            at: this.clock.iso(),
            ...result
        });
        if (this.log.length > 10_000) this.log.splice(0, this.log.length - 10_000);
    }
}
