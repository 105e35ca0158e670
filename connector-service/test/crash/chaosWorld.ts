/**
 * The crash-safety world: both emulators in this process, the connector as real child processes (`main.ts`, the
 * same entry an operator runs) that the test kills with SIGKILL at seeded random moments while a seeded stream of
 * versioned changes flows both ways:
 *   - Salesforce → CLM: a person renames a deal's Account (`Chaos <deal> v<n>`); the connector fans the change out
 *     to the linked contract's counterparty name (rule Account_Name).
 *   - CLM → Salesforce: the contract's expiration date moves (`2027-01-01 + n days`) in the CLM; the webhook (and
 *     the vendor's retries while the connector is down) bring it to Contract.CLM_Expiration_Date__c.
 * The model is the last version of each value; the check compares both emulators with it (nothing lost) and reads
 * every write the connector made to Salesforce from the org's transaction hook and every change to the contract
 * from the CLM's own event stream (nothing applied twice, nothing applied out of order).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type jsforce from 'jsforce';
import { startClmEmulator, type ClmEmulator } from '@clm/emulators/clm';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';
import { call, connectAs } from '@clm/emulators/salesforce/helpers';
import { repoRoot } from '../../../test/support/requirements.ts';

export const CONNECTOR_CLIENT_ID = 'clm-connector';
const MAIN = path.join(repoRoot, 'connector-service/src/main.ts');

/** mulberry32: small, seeded, reproducible. */
export function seededRandom(seed: number): () => number {
    let state = seed;
    return () => {
        state = (state + 0x6d2b79f5) | 0;
        let t = Math.imul(state ^ (state >>> 15), 1 | state);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until<T>(
    what: string,
    check: () => Promise<T | false | null | undefined> | T | false | null | undefined,
    timeoutMs = 30_000,
    intervalMs = 100
): Promise<T> {
    const started = Date.now();
    for (;;) {
        const result = await check();
        if (result !== false && result !== null && result !== undefined) return result;
        if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(intervalMs);
    }
}

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address() as { port: number };
            server.close(() => resolve(port));
        });
    });
}

export const accountName = (deal: number, version: number) => `Chaos ${deal} v${version}`;
export function expirationDate(version: number): string {
    return new Date(Date.UTC(2027, 0, 1) + version * 86_400_000).toISOString().slice(0, 10);
}

export interface Deal {
    index: number;
    accountId: string;
    opportunityId: string;
    /** Filled once the connector has created the contract. */
    workflowId?: string;
    contractId?: string;
}

/** One running connector process. */
export class ConnectorProcess {
    readonly child: ChildProcess;
    readonly ready: Promise<void>;
    readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    private output = '';

    constructor(
        readonly name: string,
        env: Record<string, string>,
        logFile: string
    ) {
        const log = createWriteStream(logFile, { flags: 'a' });
        // node runs main.ts itself (tsx as a loader, not its CLI wrapper), so SIGKILL hits the connector.
        this.child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
            cwd: repoRoot,
            env,
            stdio: ['ignore', 'pipe', 'pipe']
        });
        this.exited = new Promise((resolve) =>
            this.child.once('exit', (code, signal) => {
                log.end();
                resolve({ code, signal });
            })
        );
        this.ready = new Promise((resolve, reject) => {
            const onData = (chunk: Buffer) => {
                const text = chunk.toString();
                log.write(text);
                this.output = (this.output + text).slice(-20_000);
                if (/"msg":"listening"/.test(this.output)) resolve();
            };
            this.child.stdout!.on('data', onData);
            this.child.stderr!.on('data', onData);
            void this.exited.then(({ code, signal }) =>
                reject(
                    new Error(`${name} exited (${code ?? signal}) before it was ready:\n${this.output.slice(-3000)}`)
                )
            );
        });
        this.ready.catch(() => undefined);
    }

    get running(): boolean {
        return this.child.exitCode === null && this.child.signalCode === null;
    }

    async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
        if (!this.running) return;
        this.child.kill(signal);
        await this.exited;
    }

    tail(chars = 4000): string {
        return this.output.slice(-chars);
    }
}

export interface ChaosOptions {
    deals: number;
    /** SQLite lives in the world's directory (`storeFile`); PostgreSQL at the url given. */
    store: { kind: 'sqlite' } | { kind: 'postgres'; url: string };
}

export interface ConnectorStatus {
    queues: Record<string, Record<string, number>>;
    subscriptions: { channel: string; state: string }[];
}

/** A value the connector wrote, as the target recorded it. */
export interface AppliedWrite {
    deal: number;
    value: string;
}

export class ChaosWorld {
    readonly dir = mkdtempSync(path.join(os.tmpdir(), 'clm-chaos-'));
    readonly storeFile = path.join(this.dir, 'store.db');
    readonly adminToken = 'chaos-admin-token-0123456789';
    sf!: RunningSalesforceEmulator;
    clm!: ClmEmulator;
    person!: jsforce.Connection;
    integration!: jsforce.Connection;
    deals: Deal[] = [];
    /** Every Contract expiration date the connector wrote to Salesforce, in commit order. */
    readonly salesforceWrites: AppliedWrite[] = [];
    /** Salesforce write transactions by the connector that changed no value (a write applied again). */
    readonly emptySalesforceWrites: string[] = [];
    /** Every counterparty name the CLM took, in order (the emulator's own change stream). */
    readonly clmWrites: AppliedWrite[] = [];
    private stopHook: (() => void) | null = null;
    private configFile = '';
    private incarnation = 0;

    constructor(private readonly options: ChaosOptions) {}

    async start(): Promise<void> {
        this.sf = await startSalesforceEmulator({ pubsub: true, dailyApiRequests: 5_000_000 });
        this.clm = await startClmEmulator({ clockScale: 1 });
        // The documented Ironclad limits (40 writes a minute) would stretch the run to half an hour; the limiter
        // itself is proven elsewhere (connector-service/test/clm), so the buckets are opened wide here.
        for (const bucket of ['workflows-read', 'workflows-write', 'signatures', 'records-read', 'webhooks']) {
            const response = await fetch(`${this.clm.adminUrl}/rate-limits/ironclad/${bucket}`, {
                method: 'PUT',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ limit: 100_000, windowMs: 60_000 })
            });
            if (!response.ok) throw new Error(`rate limit ${bucket}: ${response.status} ${await response.text()}`);
        }
        this.person = await connectAs(this.sf, this.sf.users.admin.username);
        this.integration = await connectAs(this.sf, this.sf.users.integration.username);
        this.stopHook = this.sf.hook.subscribe((tx) => {
            if (tx.clientId !== CONNECTOR_CLIENT_ID) return;
            for (const change of tx.changes) {
                if (change.sobject !== 'Contract' || change.changeType !== 'UPDATE') continue;
                const deal = this.deals.find((candidate) => candidate.contractId === change.id);
                if (!deal) continue;
                const written = change.fields.CLM_Expiration_Date__c;
                if (written) this.salesforceWrites.push({ deal: deal.index, value: String(written.new) });
                const real = Object.keys(change.fields).filter(
                    (field) => !['LastModifiedDate', 'SystemModstamp', 'LastModifiedById'].includes(field)
                );
                if (real.length === 0) this.emptySalesforceWrites.push(change.id);
            }
        });
        this.clm.onContractEvent((event) => {
            if (event.type !== 'data_updated') return;
            const fields = (event.detail?.fields as string[] | undefined) ?? [];
            if (!fields.includes('counterpartyName')) return;
            const deal = this.deals.find((candidate) => candidate.workflowId === event.contract.workflowId);
            if (deal) this.clmWrites.push({ deal: deal.index, value: String(event.contract.data.counterpartyName) });
        });
        const port = await freePort();
        const config = {
            name: 'chaos',
            salesforce: {
                loginUrl: this.sf.loginUrl,
                clientId: this.sf.jwtConsumerKey,
                username: this.sf.users.integration.username,
                connectorClientId: CONNECTOR_CLIENT_ID,
                orgCurrency: 'USD',
                pubsub: {
                    endpoint: this.sf.pubsubEndpoint,
                    allowSelfSignedTls: true,
                    channels: ['/data/AccountChangeEvent', '/data/OpportunityChangeEvent', '/data/ContractChangeEvent']
                }
            },
            clm: {
                vendor: 'ironclad',
                ironclad: {
                    baseUrl: this.clm.ironcladBaseUrl,
                    tokenUrl: this.clm.ironcladTokenUrl,
                    clientId: this.clm.ironcladClientId,
                    actorEmail: this.clm.ironcladUserEmail,
                    templateName: this.clm.ironcladTemplateName,
                    rateLimitsPerMinute: {
                        workflowsRead: 100_000,
                        workflowsWrite: 100_000,
                        signatures: 100_000,
                        recordsRead: 100_000,
                        webhooks: 100_000,
                        auth: 100_000
                    }
                }
            },
            store:
                this.options.store.kind === 'sqlite' ? { kind: 'sqlite', file: this.storeFile } : { kind: 'postgres' },
            http: { host: '127.0.0.1', port },
            sync: { pollIntervalMs: 50, retryBaseDelayMs: 50, retryMaxDelayMs: 1_000, maxAttempts: 100 },
            log: { level: 'info' }
        };
        this.configFile = path.join(this.dir, 'connector.json');
        writeFileSync(this.configFile, JSON.stringify(config, null, 2));
        this.port = port;
    }

    /** The first connector's HTTP port (kept across restarts: the CLM's webhooks point at it). */
    port = 0;

    /** Starts a connector process; with `port` another instance of the same service (scale-out). */
    spawnConnector(name = 'connector', port?: number): ConnectorProcess {
        this.incarnation += 1;
        const env: Record<string, string> = {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? this.dir,
            CLM_CONFIG: this.configFile,
            CLM_SF_PRIVATE_KEY_FILE: this.sf.jwtPrivateKeyPath,
            CLM_CONNECTOR_TOKEN: this.adminToken,
            CLM_IRONCLAD_CLIENT_SECRET: this.clm.ironcladClientSecret,
            PORT: String(port ?? this.port)
        };
        if (this.options.store.kind === 'postgres') env.CLM_DATABASE_URL = this.options.store.url;
        return new ConnectorProcess(name, env, path.join(this.dir, `${name}.log`));
    }

    get connectorUrl(): string {
        return `http://127.0.0.1:${this.port}`;
    }

    /** Accounts with a signer, their deals, and a sync request for each; resolves when every contract exists. */
    async seedDeals(): Promise<void> {
        const repToken = (await connectAs(this.sf, this.sf.users.salesRep.username)).accessToken!;
        for (let index = 0; index < this.options.deals; index += 1) {
            const account = await this.person
                .sobject('Account')
                .create({ Name: accountName(index, 0), BillingCity: 'Berlin', BillingCountry: 'DE' });
            await this.person.sobject('Contact').create({
                FirstName: 'Signer',
                LastName: `No ${index}`,
                Email: `signer${index}@chaos.example`,
                AccountId: account.id
            });
            const opportunity = await this.person.sobject('Opportunity').create({
                Name: `Chaos deal ${index}`,
                StageName: 'Negotiation/Review',
                CloseDate: '2027-03-31',
                Amount: 1000 * (index + 1),
                AccountId: account.id,
                OwnerId: this.sf.users.salesRep.id
            });
            this.deals.push({ index, accountId: String(account.id), opportunityId: String(opportunity.id) });
            const sent = await call(
                this.sf,
                'POST',
                `/services/data/v${this.sf.apiVersion}/sobjects/Clm_Sync_Request__e`,
                {
                    token: repToken,
                    body: { Action__c: 'Send', Record_Id__c: opportunity.id, Request_Id__c: `chaos-${index}` }
                }
            );
            if (sent.status !== 201) throw new Error(`sync request refused: ${sent.text}`);
        }
        for (const deal of this.deals) {
            const linked = await until(
                `the contract of deal ${deal.index}`,
                async () => {
                    const rows = (
                        await this.integration.query<{ ContractId: string | null; CLM_Contract_Id__c: string | null }>(
                            `SELECT ContractId, CLM_Contract_Id__c FROM Opportunity WHERE Id = '${deal.opportunityId}'`
                        )
                    ).records;
                    const row = rows[0];
                    return row?.ContractId && row.CLM_Contract_Id__c ? row : null;
                },
                60_000,
                200
            );
            deal.contractId = linked.ContractId!;
            deal.workflowId = linked.CLM_Contract_Id__c!;
        }
    }

    async renameAccount(deal: Deal, version: number): Promise<void> {
        await this.person.sobject('Account').update({ Id: deal.accountId, Name: accountName(deal.index, version) });
    }

    async moveExpiration(deal: Deal, version: number): Promise<void> {
        const response = await fetch(`${this.clm.adminUrl}/contracts/ironclad/${deal.workflowId}/actions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ action: 'update-data', data: { expirationDate: expirationDate(version) } })
        });
        if (!response.ok) throw new Error(`update-data answered ${response.status}: ${await response.text()}`);
    }

    /** The CLM's vendor retries fire on its clock: move it so deliveries that failed while we were down go again. */
    async advanceClmClock(ms: number): Promise<void> {
        await fetch(`${this.clm.adminUrl}/clock`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ advanceMs: ms })
        });
        await fetch(`${this.clm.adminUrl}/webhooks/settle`, { method: 'POST' });
    }

    async clmContract(deal: Deal): Promise<{ data: Record<string, unknown>; stage: string }> {
        const response = await fetch(`${this.clm.adminUrl}/contracts/ironclad/${deal.workflowId}`);
        return (await response.json()) as { data: Record<string, unknown>; stage: string };
    }

    async salesforceExpirations(): Promise<Map<string, string | null>> {
        const ids = this.deals.map((deal) => `'${deal.contractId}'`).join(',');
        const rows = (
            await this.integration.query<{ Id: string; CLM_Expiration_Date__c: string | null }>(
                `SELECT Id, CLM_Expiration_Date__c FROM Contract WHERE Id IN (${ids})`
            )
        ).records;
        return new Map(rows.map((row) => [row.Id, row.CLM_Expiration_Date__c]));
    }

    async connectorStatus(url = this.connectorUrl): Promise<ConnectorStatus | null> {
        try {
            const response = await fetch(`${url}/admin/status`, {
                headers: { authorization: `Bearer ${this.adminToken}` }
            });
            return response.ok ? ((await response.json()) as ConnectorStatus) : null;
        } catch {
            return null;
        }
    }

    async close(): Promise<void> {
        this.stopHook?.();
        this.sf?.eventBus?.closeAll();
        await this.clm?.close();
        await this.sf?.close();
    }
}

/** The model: the last version each side sent, per deal. */
export class ChaosModel {
    readonly accountVersion: number[];
    readonly expirationVersion: number[];
    changes = 0;

    constructor(deals: number) {
        this.accountVersion = Array.from({ length: deals }, () => 0);
        this.expirationVersion = Array.from({ length: deals }, () => 0);
    }
}

/**
 * Compares the emulators with the model. Lost: a deal whose final value on the target is not the last version.
 * Applied twice: a value the target took more than once, or after a later version (out of order), or a
 * Salesforce write that changed nothing.
 */
export async function checkAgainstModel(
    world: ChaosWorld,
    model: ChaosModel
): Promise<{ lost: string[]; appliedTwice: string[] }> {
    const lost: string[] = [];
    const expirations = await world.salesforceExpirations();
    for (const deal of world.deals) {
        const wantedDate =
            model.expirationVersion[deal.index]! > 0 ? expirationDate(model.expirationVersion[deal.index]!) : null;
        const actualDate = expirations.get(deal.contractId!) ?? null;
        if (wantedDate && actualDate !== wantedDate)
            lost.push(`deal ${deal.index}: Contract expiration ${actualDate}, the CLM's last version is ${wantedDate}`);
        const contract = await world.clmContract(deal);
        const wantedName = accountName(deal.index, model.accountVersion[deal.index]!);
        if (contract.data.counterpartyName !== wantedName)
            lost.push(
                `deal ${deal.index}: counterparty ${String(contract.data.counterpartyName)}, Salesforce has ${wantedName}`
            );
    }
    const appliedTwice: string[] = [];
    const orderCheck = (writes: AppliedWrite[], label: string, versionOf: (value: string) => number) => {
        const last = new Map<number, number>();
        for (const write of writes) {
            const version = versionOf(write.value);
            const previous = last.get(write.deal) ?? -1;
            if (version <= previous)
                appliedTwice.push(`deal ${write.deal}: ${label} ${write.value} applied after version ${previous}`);
            last.set(write.deal, version);
        }
    };
    orderCheck(world.salesforceWrites, 'expiration', (value) =>
        Math.round((Date.parse(value) - Date.UTC(2027, 0, 1)) / 86_400_000)
    );
    orderCheck(world.clmWrites, 'counterparty', (value) => Number(/ v(\d+)$/.exec(value)?.[1] ?? -1));
    for (const id of world.emptySalesforceWrites) appliedTwice.push(`Contract ${id}: a write that changed nothing`);
    return { lost, appliedTwice };
}
