/**
 * The world the backfill tests share with their child process: an org emulator seeded with opportunities through
 * Bulk 2.0 (one job, not one call per record), and a CLM holding one contract per opportunity, built the same way
 * in every process from the opportunity ids, so a killed and restarted child sees the same CLM.
 *
 * One opportunity in ten carries its contract's id (CLM_Contract_Id__c); the others are named by their
 * contract's Salesforce reference. Every contract's title and deal stage equal the opportunity's, except every
 * hundredth, whose stage differs (the backfill writes those to the CLM). No opportunity shows the contract's
 * lifecycle yet (the backfill writes it to every one).
 */
import { readFileSync } from 'node:fs';
import { MemoryClm } from '../../src/adapters/clm/memory/memoryClm.ts';
import { connectWithJwt, JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import {
    DEFAULT_RULES,
    loadRuleSet,
    type ClmContract,
    type ExternalRef,
    type PlanContext
} from '../../src/domain/index.ts';
import type { CreateContractInput } from '../../src/ports/clm.ts';
import type { SalesforceEmulatorInfo } from '@clm/emulators/salesforce';
import { ManualClock } from '../../src/clock.ts';

export const CONNECTOR_CLIENT_ID = 'clm-connector';
export const CLOCK = Date.parse('2026-11-23T09:00:00.000Z');
/** The connector's clock in the backfill suites: fixed at CLOCK for the store, the job and the CLM alike. */
export const FIXED_CLOCK = new ManualClock(CLOCK);
export const RULES = loadRuleSet(DEFAULT_RULES);
export const CONTEXT: PlanContext = { connectorClientId: CONNECTOR_CLIENT_ID, transform: { orgCurrency: 'USD' } };

/** What a child process needs to reach the org (the parent writes it to a file). */
export type OrgLogin = Pick<
    SalesforceEmulatorInfo,
    'loginUrl' | 'jwtConsumerKey' | 'jwtPrivateKeyPath' | 'apiVersion'
> & {
    username: string;
};

function login(as: OrgLogin) {
    return connectWithJwt({
        loginUrl: as.loginUrl,
        clientId: as.jwtConsumerKey,
        username: as.username,
        privateKeyPem: readFileSync(as.jwtPrivateKeyPath, 'utf8'),
        apiVersion: as.apiVersion
    });
}

export async function connect(as: OrgLogin): Promise<JsforceSalesforce> {
    return new JsforceSalesforce(await login(as), {
        connectorClientId: CONNECTOR_CLIENT_ID,
        apiVersion: as.apiVersion
    });
}

/** MemoryClm with its natural-key lookup indexed (its own is a scan: 20,000 creates would take minutes). */
export class IndexedMemoryClm extends MemoryClm {
    private readonly byRef = new Map<string, string>();

    override async findByExternalRef(ref: ExternalRef): Promise<ClmContract | null> {
        const id = this.byRef.get(`${ref.system}:${ref.objectType}:${ref.id}`);
        return id ? this.getContract(id) : null;
    }

    override async createContract(input: CreateContractInput): Promise<ClmContract> {
        const contract = await super.createContract(input);
        for (const ref of contract.refs) this.byRef.set(`${ref.system}:${ref.objectType}:${ref.id}`, contract.id);
        return contract;
    }
}

export const stageOf = (index: number) => (index % 100 === 1 ? 'Qualification' : 'Prospecting');
/** Every tenth opportunity carries its contract's id: those contracts are made first (M-1, M-2, …). */
export const stampedContractId = (index: number) => (index % 10 === 0 ? `M-${index / 10 + 1}` : null);

function contractInput(index: number, naturalKey: ExternalRef): CreateContractInput {
    return {
        naturalKey,
        title: `Deal ${index}`,
        counterparty: { name: 'Acme Inc' },
        contacts: [],
        custom: { dealStage: 'Prospecting' }
    };
}

/** The contracts of every tenth opportunity (known by a legacy key), before the opportunities exist. */
export async function seedStampedContracts(clm: MemoryClm, count: number): Promise<void> {
    for (let index = 0; index < count; index += 10)
        await clm.createContract(
            contractInput(index, { system: 'salesforce', objectType: 'Legacy_Deal__c', id: `L-${index}` })
        );
}

/** The contracts of the other opportunities, naming them by their Salesforce id. */
export async function seedReferencingContracts(clm: MemoryClm, opportunityIds: readonly string[]): Promise<void> {
    for (let index = 0; index < opportunityIds.length; index += 1)
        if (stampedContractId(index) === null)
            await clm.createContract(
                contractInput(index, { system: 'salesforce', objectType: 'Opportunity', id: opportunityIds[index]! })
            );
}

/** The whole CLM side, as every process builds it. */
export async function buildClm(opportunityIds: readonly string[]): Promise<IndexedMemoryClm> {
    const clm = new IndexedMemoryClm(FIXED_CLOCK);
    await seedStampedContracts(clm, opportunityIds.length);
    await seedReferencingContracts(clm, opportunityIds);
    return clm;
}

/** Inserts `count` opportunities through one Bulk 2.0 job (jsforce's own client, as the admin); ids in index order. */
export async function seedOpportunities(as: OrgLogin, count: number): Promise<string[]> {
    const conn = await login(as);
    const lines = ['Name,StageName,CloseDate,CLM_Contract_Id__c'];
    for (let index = 0; index < count; index += 1)
        lines.push(`Deal ${index},${stageOf(index)},2027-03-31,${stampedContractId(index) ?? ''}`);
    conn.bulk2.pollInterval = 50;
    conn.bulk2.pollTimeout = 120_000;
    const results = await conn.bulk2.loadAndWaitForResults({
        object: 'Opportunity',
        operation: 'insert',
        input: `${lines.join('\n')}\n`
    });
    if (results.failedResults.length > 0 || results.successfulResults.length !== count)
        throw new Error(`seeding failed: ${JSON.stringify(results.failedResults.slice(0, 3))}`);
    const ids: string[] = new Array<string>(count);
    for (const row of results.successfulResults as (Record<string, unknown> & { sf__Id: string })[])
        ids[Number(String(row.Name).slice('Deal '.length))] = row.sf__Id;
    return ids;
}
