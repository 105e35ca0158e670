// One soak trial's world: both emulators in this process, the connector as real child processes (`main.ts`, killed
// with SIGKILL at seeded moments; on PostgreSQL two instances on one store), the fault proxy between the connector
// and the CLM, and the history recorder fed by the emulators' own streams — the org's transaction hook (who wrote
// which field, with the platform's commit time) and the CLM's change events (with the vendor's time) — never by
// the connector's word. Six rules are exercised per deal: one each way (Account name → counterparty, the CLM's
// expiration date → Contract) and four Bidirectional ones, one per conflict policy.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type jsforce from 'jsforce';
import { startClmEmulator, type ClmEmulator } from '@clm/emulators/clm';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';
import { call, connectAs } from '@clm/emulators/salesforce/helpers';
import { FaultProxy } from '../../../test/support/faultProxy.ts';
import { History, type FieldSpec, type Side } from '../chaos/history.ts';
import { ConnectorProcess, freePort, until } from '../crash/chaosWorld.ts';

export const CONNECTOR_CLIENT_ID = 'clm-connector';

export interface SoakField extends FieldSpec {
    sfObject: 'Account' | 'Contract' | 'Opportunity';
    sfField: string;
    /** The Ironclad attribute. */
    attribute: string;
    /** Sides people edit. */
    editedOn: readonly Side[];
}

/** The rules a trial exercises; the three added to the org's rules are Bidirectional under the other policies. */
export const SOAK_FIELDS: readonly SoakField[] = [
    {
        rule: 'Account_Name',
        direction: 'SalesforceToClm',
        sfObject: 'Account',
        sfField: 'Name',
        attribute: 'counterpartyName',
        editedOn: ['salesforce']
    },
    {
        rule: 'Contract_End_Date',
        direction: 'ClmToSalesforce',
        sfObject: 'Contract',
        sfField: 'CLM_Expiration_Date__c',
        attribute: 'expirationDate',
        editedOn: ['clm']
    },
    {
        rule: 'Contract_Special_Terms',
        direction: 'Bidirectional',
        policy: 'Manual',
        sfObject: 'Contract',
        sfField: 'SpecialTerms',
        attribute: 'specialTerms',
        editedOn: ['salesforce', 'clm']
    },
    {
        rule: 'Soak_Payment_Terms',
        direction: 'Bidirectional',
        policy: 'NewestWins',
        sfObject: 'Contract',
        sfField: 'Description',
        attribute: 'paymentTerms',
        editedOn: ['salesforce', 'clm']
    },
    {
        rule: 'Soak_Next_Step',
        direction: 'Bidirectional',
        policy: 'SalesforceWins',
        sfObject: 'Opportunity',
        sfField: 'NextStep',
        attribute: 'nextStep',
        editedOn: ['salesforce', 'clm']
    },
    {
        rule: 'Soak_Deal_Notes',
        direction: 'Bidirectional',
        policy: 'ClmWins',
        sfObject: 'Opportunity',
        sfField: 'Description',
        attribute: 'dealNotes',
        editedOn: ['salesforce', 'clm']
    }
];

export interface SoakDeal {
    index: number;
    accountId: string;
    opportunityId: string;
    contractId: string;
    workflowId: string;
}

/** The record of a deal a field lives on. */
export function recordOf(deal: SoakDeal, field: SoakField): string {
    return field.sfObject === 'Account'
        ? deal.accountId
        : field.sfObject === 'Contract'
          ? deal.contractId
          : deal.opportunityId;
}

export type SoakStore = { kind: 'sqlite' } | { kind: 'postgres'; url: string };

const AUDIT_FIELDS = new Set(['LastModifiedDate', 'SystemModstamp', 'LastModifiedById']);

/** A value the CLM shows as text (dates are kept as the YYYY-MM-DD both sides use). */
function text(value: unknown): string | null {
    if (value === null || value === undefined || value === '') return null;
    return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A conflict record's value: the connector stores JSON text of the value. */
function conflictValue(value: unknown): string | null {
    const raw = text(value);
    if (raw === null) return null;
    try {
        const parsed: unknown = JSON.parse(raw);
        return typeof parsed === 'string' ? parsed : parsed === null ? null : raw;
    } catch {
        return raw;
    }
}

export class SoakWorld {
    readonly dir = mkdtempSync(path.join(os.tmpdir(), 'clm-soak-'));
    readonly adminToken = 'soak-admin-token-0123456789abcdef';
    readonly history = new History(SOAK_FIELDS);
    sf!: RunningSalesforceEmulator;
    clm!: ClmEmulator;
    proxy!: FaultProxy;
    person!: jsforce.Connection;
    integration!: jsforce.Connection;
    deals: SoakDeal[] = [];
    /** Values the workload is about to put into the CLM: the change event that shows one is a person's edit. */
    readonly pendingClmEdits = new Set<string>();
    /** Connector instances by name (one on SQLite, two on PostgreSQL). */
    readonly instances = new Map<string, { process: ConnectorProcess; port: number }>();
    private configFile = '';
    private stopHook: (() => void) | null = null;
    private stopEvents: (() => void) | null = null;
    private incarnations = 0;

    constructor(
        readonly store: SoakStore,
        readonly dealCount: number
    ) {}

    async start(): Promise<void> {
        this.sf = await startSalesforceEmulator({ pubsub: true, dailyApiRequests: 50_000_000 });
        this.clm = await startClmEmulator({
            clockScale: 1,
            ironcladExtraFields: [
                { key: 'nextStep', displayName: 'Next Step', type: 'string' },
                { key: 'dealNotes', displayName: 'Deal Notes', type: 'string' }
            ]
        });
        this.proxy = await FaultProxy.start({ host: '127.0.0.1', port: this.clm.port });
        // Ironclad's documented limits are proven elsewhere (connector-service/test/clm); wide open here.
        for (const bucket of ['workflows-read', 'workflows-write', 'signatures', 'records-read', 'webhooks'])
            await this.clmAdmin('PUT', `/rate-limits/ironclad/${bucket}`, { limit: 1_000_000, windowMs: 60_000 });
        this.addRules();
        this.person = await connectAs(this.sf, this.sf.users.admin.username);
        this.integration = await connectAs(this.sf, this.sf.users.integration.username);
        this.stopHook = this.sf.hook.subscribe((tx) => this.onSalesforceCommit(tx));
        this.stopEvents = this.clm.onContractEvent((event) => this.onClmEvent(event));
        this.writeConfig(await freePort());
    }

    /** The three policies the package's rules do not use yet, as an admin would deploy them (custom metadata). */
    private addRules(): void {
        for (const field of SOAK_FIELDS.filter((candidate) => candidate.rule.startsWith('Soak_'))) {
            this.sf.org.seedRecord('Clm_Field_Mapping__mdt', {
                DeveloperName: field.rule,
                MasterLabel: field.rule,
                Label: field.rule,
                QualifiedApiName: field.rule,
                Language: 'en_US',
                Object__c: field.sfObject,
                Field__c: field.sfField,
                Clm_Field__c: `custom.${field.attribute}`,
                Direction__c: field.direction,
                Conflict_Policy__c: field.policy ?? null,
                Enabled__c: true,
                Description__c: `Soak: ${field.policy}`
            });
        }
    }

    private writeConfig(port: number): void {
        const config = {
            name: 'soak',
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
                    baseUrl: this.proxy.wrap(this.clm.ironcladBaseUrl),
                    tokenUrl: this.proxy.wrap(this.clm.ironcladTokenUrl),
                    clientId: this.clm.ironcladClientId,
                    actorEmail: this.clm.ironcladUserEmail,
                    templateName: this.clm.ironcladTemplateName,
                    rateLimitsPerMinute: {
                        workflowsRead: 1_000_000,
                        workflowsWrite: 1_000_000,
                        signatures: 1_000_000,
                        recordsRead: 1_000_000,
                        webhooks: 1_000_000,
                        auth: 1_000_000
                    }
                }
            },
            store:
                this.store.kind === 'sqlite'
                    ? { kind: 'sqlite', file: path.join(this.dir, 'store.db') }
                    : { kind: 'postgres' },
            http: { host: '127.0.0.1', port, publicUrl: `http://127.0.0.1:${port}` },
            sync: {
                pollIntervalMs: 50,
                clmPollIntervalMs: 1000,
                retryBaseDelayMs: 50,
                retryMaxDelayMs: 1_000,
                maxAttempts: 100,
                // REQUEST_LIMIT_EXCEEDED pauses work until the allocation is re-read: soon, here.
                apiBudgetRecheckMs: 1000
            },
            // info at least: the harness knows an instance is up by its "listening" line.
            log: { level: process.env.CLM_SOAK_LOG_LEVEL ?? 'info' }
        };
        this.configFile = path.join(this.dir, 'connector.json');
        writeFileSync(this.configFile, JSON.stringify(config, null, 2));
        this.webhookPort = port;
    }

    /** Starts that failed and were tried again (the process exited before it was ready). */
    restartsAfterFailedStart = 0;

    /** The port the CLM's webhooks go to (the first instance's, kept across its restarts). */
    webhookPort = 0;

    /** Starts (or restarts) a connector instance; on PostgreSQL the second instance gets a port of its own. */
    async spawn(name: string): Promise<ConnectorProcess> {
        const known = this.instances.get(name);
        const port = known?.port ?? (this.instances.size === 0 ? this.webhookPort : await freePort());
        this.incarnations += 1;
        const env: Record<string, string> = {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? this.dir,
            CLM_CONFIG: this.configFile,
            CLM_SF_PRIVATE_KEY_FILE: this.sf.jwtPrivateKeyPath,
            CLM_CONNECTOR_TOKEN: this.adminToken,
            CLM_IRONCLAD_CLIENT_SECRET: this.clm.ironcladClientSecret,
            PORT: String(port)
        };
        if (this.store.kind === 'postgres') env.CLM_DATABASE_URL = this.store.url;
        // Like a supervisor: a start that fails (the CLM unreachable under a fault burst) is tried again.
        for (let attempt = 1; ; attempt++) {
            const process_ = new ConnectorProcess(name, env, path.join(this.dir, `${name}.log`));
            this.instances.set(name, { process: process_, port });
            try {
                let timer: NodeJS.Timeout | undefined;
                const late = new Promise<never>((_, reject) => {
                    timer = setTimeout(() => reject(new Error(`${name} not listening after 90 s`)), 90_000);
                });
                await Promise.race([process_.ready, late]).finally(() => clearTimeout(timer));
                return process_;
            } catch (error) {
                await process_.kill('SIGKILL');
                if (attempt >= 10) throw error;
                this.restartsAfterFailedStart += 1;
                await new Promise((resolve) => setTimeout(resolve, 500));
            }
        }
    }

    get kills(): number {
        return this.incarnations - this.instances.size;
    }

    async clmAdmin(method: string, route: string, body?: unknown): Promise<unknown> {
        const response = await fetch(`${this.clm.adminUrl}${route}`, {
            method,
            headers: body === undefined ? {} : { 'content-type': 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body)
        });
        const answer = await response.text();
        if (!response.ok) throw new Error(`CLM admin ${method} ${route}: ${response.status} ${answer}`);
        return answer ? JSON.parse(answer) : undefined;
    }

    async sfAdmin(method: string, route: string, body?: unknown): Promise<void> {
        const response = await fetch(`${this.sf.adminUrl}${route}`, {
            method,
            headers: body === undefined ? {} : { 'content-type': 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body)
        });
        if (!response.ok)
            throw new Error(`Salesforce admin ${method} ${route}: ${response.status} ${await response.text()}`);
    }

    private dealOf(sfObject: string, id: string): SoakDeal | undefined {
        return this.deals.find((deal) =>
            sfObject === 'Account'
                ? deal.accountId === id
                : sfObject === 'Contract'
                  ? deal.contractId === id
                  : sfObject === 'Opportunity' && deal.opportunityId === id
        );
    }

    private onSalesforceCommit(tx: Parameters<Parameters<RunningSalesforceEmulator['hook']['subscribe']>[0]>[0]): void {
        const byConnector = tx.clientId === CONNECTOR_CLIENT_ID;
        for (const change of tx.changes) {
            if (change.sobject === 'Clm_Conflict__c' && change.changeType === 'CREATE' && byConnector) {
                const recordId = String(change.record.Record_Id__c ?? '');
                const deal = this.deals.find((candidate) =>
                    [candidate.contractId, candidate.opportunityId, candidate.accountId].includes(recordId)
                );
                if (deal)
                    this.history.conflict(
                        deal.index,
                        String(change.record.Rule__c),
                        conflictValue(change.record.Salesforce_Value__c),
                        conflictValue(change.record.Clm_Value__c)
                    );
                continue;
            }
            if (change.changeType !== 'UPDATE') continue;
            const deal = this.dealOf(change.sobject, change.id);
            if (!deal) continue;
            if (byConnector && Object.keys(change.fields).every((field) => AUDIT_FIELDS.has(field)))
                this.history.emptyWrite('salesforce', `${change.sobject} ${change.id}`);
            for (const field of SOAK_FIELDS) {
                if (field.sfObject !== change.sobject || !(field.sfField in change.fields)) continue;
                this.history.observe(
                    'salesforce',
                    byConnector ? 'connector' : 'person',
                    deal.index,
                    field.rule,
                    text(change.fields[field.sfField]!.new),
                    tx.commitTimestamp
                );
            }
        }
    }

    private onClmEvent(event: Parameters<Parameters<ClmEmulator['onContractEvent']>[0]>[0]): void {
        if (event.type !== 'data_updated') return;
        const changed = (event.detail?.fields as string[] | undefined) ?? [];
        const deal = this.deals.find((candidate) => candidate.workflowId === event.contract.workflowId);
        if (!deal) return;
        for (const field of SOAK_FIELDS) {
            if (!changed.includes(field.attribute)) continue;
            const value = text(event.contract.data[field.attribute]);
            const byPerson = value !== null && this.pendingClmEdits.delete(value);
            this.history.observe(
                'clm',
                byPerson ? 'person' : 'connector',
                deal.index,
                field.rule,
                value,
                Date.parse(event.at)
            );
        }
    }

    /** Accounts with a signer, their deals sent by a rep's sync request; resolves once every deal is linked. */
    async seedDeals(): Promise<void> {
        const repToken = (await connectAs(this.sf, this.sf.users.salesRep.username)).accessToken!;
        const pending: Omit<SoakDeal, 'contractId' | 'workflowId'>[] = [];
        for (let index = 0; index < this.dealCount; index += 1) {
            const account = await this.person
                .sobject('Account')
                .create({ Name: `Soak d${index} s0`, BillingCity: 'Berlin', BillingCountry: 'DE' });
            await this.person.sobject('Contact').create({
                FirstName: 'Signer',
                LastName: `No ${index}`,
                Email: `signer${index}@soak.example`,
                AccountId: account.id
            });
            const opportunity = await this.person.sobject('Opportunity').create({
                Name: `Soak deal ${index}`,
                StageName: 'Negotiation/Review',
                CloseDate: '2027-03-31',
                Amount: 1000 * (index + 1),
                AccountId: account.id,
                OwnerId: this.sf.users.salesRep.id
            });
            pending.push({ index, accountId: String(account.id), opportunityId: String(opportunity.id) });
            const sent = await call(
                this.sf,
                'POST',
                `/services/data/v${this.sf.apiVersion}/sobjects/Clm_Sync_Request__e`,
                {
                    token: repToken,
                    body: { Action__c: 'Send', Record_Id__c: opportunity.id, Request_Id__c: `soak-${index}` }
                }
            );
            if (sent.status !== 201) throw new Error(`sync request refused: ${sent.text}`);
        }
        for (const deal of pending) {
            const linked = await until(
                `the contract of deal ${deal.index}`,
                async () => {
                    const [row] = (
                        await this.integration.query<{ ContractId: string | null; CLM_Contract_Id__c: string | null }>(
                            `SELECT ContractId, CLM_Contract_Id__c FROM Opportunity WHERE Id = '${deal.opportunityId}'`
                        )
                    ).records;
                    return row?.ContractId && row.CLM_Contract_Id__c ? row : null;
                },
                90_000,
                200
            );
            this.deals.push({ ...deal, contractId: linked.ContractId!, workflowId: linked.CLM_Contract_Id__c! });
        }
        // What each side holds once linked is where the history starts.
        for (const deal of this.deals) {
            const values = await this.currentValues(deal);
            for (const field of SOAK_FIELDS) {
                this.history.initial('salesforce', deal.index, field.rule, values.salesforce[field.rule] ?? null);
                this.history.initial('clm', deal.index, field.rule, values.clm[field.rule] ?? null);
            }
        }
    }

    /** Both sides' values of every soak field of a deal, read from the emulators now. */
    async currentValues(
        deal: SoakDeal
    ): Promise<{ salesforce: Record<string, string | null>; clm: Record<string, string | null> }> {
        const workflow = (await this.clmAdmin('GET', `/contracts/ironclad/${deal.workflowId}`)) as {
            data: Record<string, unknown>;
        };
        const salesforce: Record<string, string | null> = {};
        const clm: Record<string, string | null> = {};
        for (const field of SOAK_FIELDS) {
            const id = recordOf(deal, field);
            const [row] = (
                await this.integration.query<Record<string, unknown>>(
                    `SELECT ${field.sfField} FROM ${field.sfObject} WHERE Id = '${id}'`
                )
            ).records;
            salesforce[field.rule] = text(row?.[field.sfField]);
            clm[field.rule] = text(workflow.data[field.attribute]);
        }
        return { salesforce, clm };
    }

    /** A person's edit in Salesforce. */
    async editInSalesforce(deal: SoakDeal, field: SoakField, value: string): Promise<void> {
        const id = recordOf(deal, field);
        // The org's injected faults hit people too: like a person, save again.
        for (let attempt = 1; ; attempt++) {
            try {
                await this.person.sobject(field.sfObject).update({ Id: id, [field.sfField]: value });
                return;
            } catch (error) {
                const code = (error as { errorCode?: string }).errorCode;
                if (attempt >= 20 || (code !== 'REQUEST_LIMIT_EXCEEDED' && code !== 'UNABLE_TO_LOCK_ROW')) throw error;
                await new Promise((resolve) => setTimeout(resolve, 20));
            }
        }
    }

    /** A person's edit in Ironclad (the workflow's data, as the UI changes it). */
    async editInClm(deal: SoakDeal, field: SoakField, value: string): Promise<void> {
        this.pendingClmEdits.add(value);
        try {
            await this.clmAdmin('POST', `/contracts/ironclad/${deal.workflowId}/actions`, {
                action: 'update-data',
                data: { [field.attribute]: value }
            });
        } catch (error) {
            this.pendingClmEdits.delete(value);
            throw error;
        }
    }

    async connectorIdle(): Promise<boolean> {
        for (const instance of this.instances.values()) {
            if (!instance.process.running) continue;
            try {
                const response = await fetch(`http://127.0.0.1:${instance.port}/admin/status`, {
                    headers: { authorization: `Bearer ${this.adminToken}` }
                });
                if (!response.ok) return false;
                const status = (await response.json()) as { queues: Record<string, Record<string, number>> };
                return Object.values(status.queues).every(
                    (queue) => (queue.pending ?? 0) + (queue.processing ?? 0) + (queue.failed ?? 0) === 0
                );
            } catch {
                return false;
            }
        }
        return false;
    }

    tails(): string {
        return [...this.instances.entries()]
            .map(([name, instance]) => `--- ${name}\n${instance.process.tail(3000)}`)
            .join('\n');
    }

    async close(): Promise<void> {
        for (const instance of this.instances.values()) await instance.process.kill('SIGKILL');
        this.stopHook?.();
        this.stopEvents?.();
        await this.proxy?.close();
        this.sf?.eventBus?.closeAll();
        await this.clm?.close();
        await this.sf?.close();
        // CLM_SOAK_KEEP=1 keeps the connector logs, the config and the recorded history for a look afterwards.
        if (process.env.CLM_SOAK_KEEP)
            writeFileSync(path.join(this.dir, 'history.json'), JSON.stringify(this.history.events));
        else rmSync(this.dir, { recursive: true, force: true });
    }
}
