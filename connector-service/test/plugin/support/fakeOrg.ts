// A small org behind @salesforce/core's TestContext (`$$.fakeConnectionRequest`): describes, SOQL over a few
// tables (WHERE with = and IN joined by AND, as the plugin sends them), the UI API's picklist values per record
// type, and refusals (INSUFFICIENT_ACCESS, INVALID_TYPE) where a test asks for them.
import type { AnyJson } from '@salesforce/ts-types';
import { parseQuery, type WhereClause } from 'soql-parser-js';

export type Row = Record<string, string | boolean | null>;

export interface FakeField {
    name: string;
    type: string;
    length?: number;
    permissionable?: boolean;
    createable?: boolean;
    updateable?: boolean;
    nillable?: boolean;
    defaultedOnCreate?: boolean;
    calculated?: boolean;
    restrictedPicklist?: boolean;
    picklistValues?: string[];
    compoundFieldName?: string;
}

export interface FakeObject {
    name: string;
    fields: FakeField[];
    recordTypes?: { recordTypeId: string; developerName: string; picklists: Record<string, string[]> }[];
}

export interface FakeOrgData {
    objects: FakeObject[];
    tables: Record<string, Row[]>;
    /** Tooling API tables (PlatformEventChannelMember); a missing one answers NOT_FOUND. */
    tooling?: Record<string, Row[]>;
    /** Objects whose queries the org refuses with INSUFFICIENT_ACCESS. */
    denied?: string[];
    /** Metadata deploys: each request's body (multipart: options + zip), and component failures to report. */
    deploys?: Buffer[];
    deployFailures?: { componentType: string; fullName: string; problem: string }[];
}

function describeField(field: FakeField): AnyJson {
    return {
        name: field.name,
        type: field.type,
        label: field.name,
        length: field.length ?? 0,
        precision: 0,
        scale: 0,
        calculated: field.calculated ?? false,
        autoNumber: false,
        createable: field.createable ?? !field.calculated,
        updateable: field.updateable ?? !field.calculated,
        nillable: field.nillable ?? true,
        defaultedOnCreate: field.defaultedOnCreate ?? false,
        permissionable: field.permissionable ?? true,
        restrictedPicklist: field.restrictedPicklist ?? false,
        picklistValues: (field.picklistValues ?? []).map((value) => ({
            value,
            label: value,
            active: true,
            defaultValue: false
        })),
        referenceTo: [],
        compoundFieldName: field.compoundFieldName ?? null,
        externalId: false,
        unique: false
    };
}

function refusal(errorCode: string, message: string): Error {
    return Object.assign(new Error(message), { errorCode, name: errorCode });
}

function literal(value: string): string {
    return value.replace(/^'(.*)'$/, '$1').replace(/\\'/g, "'");
}

function matches(row: Row, where: WhereClause | undefined): boolean {
    if (!where) return true;
    const left = where.left as { field?: string; operator?: string; value?: string | string[] } | undefined;
    let ok = true;
    if (left?.field) {
        const actual = row[left.field];
        if (left.operator === 'IN') ok = (left.value as string[]).map(literal).includes(String(actual));
        else if (left.operator === '=') ok = String(actual) === literal(String(left.value));
        else throw new Error(`fake org: unsupported operator ${left.operator}`);
    }
    return ok && ('right' in where && where.right ? matches(row, where.right) : true);
}

let nextId = 1;
const fakeId = (prefix: string) => `${prefix}${String(nextId++).padStart(12, '0')}AAA`;

export function fakeOrg(data: FakeOrgData, requests: string[] = []): (request: AnyJson) => Promise<AnyJson> {
    return async (request) => {
        const url = typeof request === 'string' ? request : String((request as { url: string }).url);
        const method =
            typeof request === 'string'
                ? 'GET'
                : String((request as { method?: string }).method ?? 'GET').toUpperCase();
        requests.push(`${method} ${url}`);
        const pathname = new URL(url, 'http://org.example').pathname;
        if (method === 'POST' && pathname.endsWith('/metadata/deployRequest')) {
            const body = (request as { body?: Buffer | string }).body;
            data.deploys?.push(Buffer.isBuffer(body) ? body : Buffer.from(String(body ?? '')));
            return {
                id: '0Af000000000001AAA',
                deployResult: { id: '0Af000000000001AAA', status: 'Pending', done: false }
            } as AnyJson;
        }
        const deployStatus = /\/metadata\/deployRequest\/([^/?]+)$/.exec(pathname);
        if (deployStatus) {
            const failures = data.deployFailures ?? [];
            return {
                id: deployStatus[1]!,
                deployResult: {
                    id: deployStatus[1]!,
                    done: true,
                    status: failures.length ? 'Failed' : 'Succeeded',
                    success: failures.length === 0,
                    checkOnly: false,
                    numberComponentsDeployed: 1,
                    numberComponentErrors: failures.length,
                    numberComponentsTotal: 1,
                    details: {
                        componentSuccesses: [],
                        componentFailures: failures.map((f) => ({
                            componentType: f.componentType,
                            fullName: f.fullName,
                            problem: f.problem,
                            problemType: 'Error',
                            success: false,
                            fileName: ''
                        }))
                    }
                }
            } as AnyJson;
        }
        const create = /\/sobjects\/([^/]+)\/?$/.exec(pathname);
        if (method === 'POST' && create) {
            const row: Row = {
                Id: fakeId('0Pa'),
                ...(JSON.parse(String((request as { body?: string }).body ?? '{}')) as Row)
            };
            (data.tables[create[1]!] ??= []).push(row);
            return { id: row.Id, success: true, errors: [] } as AnyJson;
        }
        const destroy = /\/sobjects\/([^/]+)\/([^/]+)$/.exec(pathname);
        if (method === 'DELETE' && destroy) {
            data.tables[destroy[1]!] = (data.tables[destroy[1]!] ?? []).filter((row) => row.Id !== destroy[2]);
            return undefined as unknown as AnyJson;
        }
        if (/\/sobjects\/?$/.test(pathname)) {
            return {
                encoding: 'UTF-8',
                maxBatchSize: 200,
                sobjects: data.objects.map((o) => ({ name: o.name }))
            } as AnyJson;
        }
        const describe = /\/sobjects\/([^/]+)\/describe\/?$/.exec(pathname);
        if (describe) {
            const object = data.objects.find((o) => o.name === describe[1]);
            if (!object) throw refusal('NOT_FOUND', 'The requested resource does not exist');
            return {
                name: object.name,
                fields: object.fields.map(describeField),
                recordTypeInfos: [
                    {
                        recordTypeId: '012000000000000AAA',
                        name: 'Master',
                        developerName: 'Master',
                        active: true,
                        master: true
                    },
                    ...(object.recordTypes ?? []).map((rt) => ({
                        recordTypeId: rt.recordTypeId,
                        name: rt.developerName,
                        developerName: rt.developerName,
                        active: true,
                        master: false
                    }))
                ]
            } as AnyJson;
        }
        const picklists = /\/ui-api\/object-info\/([^/]+)\/picklist-values\/([^/]+)$/.exec(pathname);
        if (picklists) {
            const recordType = data.objects
                .find((o) => o.name === picklists[1])
                ?.recordTypes?.find((rt) => rt.recordTypeId === picklists[2]);
            if (!recordType) throw refusal('NOT_FOUND', 'no such record type');
            return {
                picklistFieldValues: Object.fromEntries(
                    Object.entries(recordType.picklists).map(([field, values]) => [
                        field,
                        { values: values.map((value) => ({ value, label: value })) }
                    ])
                )
            } as AnyJson;
        }
        if (/\/query\/?$/.test(pathname)) {
            const soql = new URL(url, 'http://org.example').searchParams.get('q') ?? '';
            const query = parseQuery(soql);
            if (data.denied?.includes(query.sObject ?? ''))
                throw refusal('INSUFFICIENT_ACCESS', 'insufficient access rights on object id');
            const tables = pathname.includes('/tooling/') ? (data.tooling ?? {}) : data.tables;
            const table = tables[query.sObject ?? ''];
            if (!table) throw refusal('INVALID_TYPE', `sObject type '${query.sObject}' is not supported.`);
            const records = table
                .filter((row) => matches(row, query.where))
                .map((row) => ({ attributes: { type: query.sObject }, ...row }));
            return { done: true, totalSize: records.length, records } as AnyJson;
        }
        throw new Error(`fake org: unexpected request ${url}`);
    };
}
