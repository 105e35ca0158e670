// The conformance runner's gRPC executor: drives every `"method": "GRPC"` case of a directory with a real gRPC
// client (@grpc/grpc-js over TLS, trusting the emulator's certificate, with the official proto) against one
// emulator started with the event bus. Request bodies are proto3 JSON (bytes base64); answers are turned back
// into proto3 JSON (bytes base64, enums by name, defaults present) and checked against status, trailers and
// bodyShape as sf-wire.md §9 defines. Preconditions and triggers named in a case's notes are set up here.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Ajv } from 'ajv';
import avro from 'avsc';
import { z } from 'zod';
import { PUBSUB_PROTO } from '../src/eventbus/grpc.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../src/index.ts';
import { tokenFor } from '../test/helpers.ts';
import type { CaseResult } from './runner.ts';

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');
const API = '/services/data/v60.0';

const grpcCaseSchema = z.object({
    name: z.string(),
    request: z.object({
        method: z.literal('GRPC'),
        path: z.string().regex(/^\/eventbus\.v1\.PubSub\/[A-Za-z]+$/),
        headers: z.record(z.string(), z.string()).optional(),
        body: z.unknown()
    }),
    expect: z
        .object({
            status: z.string(),
            trailers: z.record(z.string(), z.string()).optional(),
            bodyShape: z.unknown().optional(),
            withinSeconds: z.number().optional(),
            decodedPayloadExample: z.record(z.string(), z.unknown()).optional()
        })
        .passthrough()
});
type GrpcCase = z.infer<typeof grpcCaseSchema>;

type PubSubClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

/** A Pub/Sub client over TLS that trusts `certPem`; `json` answers in proto3-JSON form (bytes as base64). */
export function pubSubClient(endpoint: string, certPem: string, json = true): PubSubClient {
    const definition = protoLoader.loadSync(PUBSUB_PROTO, {
        keepCase: false,
        enums: String,
        longs: String,
        defaults: true,
        ...(json ? { bytes: String } : {})
    });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
        eventbus: { v1: { PubSub: grpc.ServiceClientConstructor } };
    };
    return new pkg.eventbus.v1.PubSub(endpoint, grpc.credentials.createSsl(Buffer.from(certPem))) as PubSubClient;
}

export interface GrpcAnswer {
    status: string;
    body: unknown;
    trailers: Record<string, string>;
}

const STATUS_NAMES = Object.fromEntries(Object.entries(grpc.status).map(([name, code]) => [code, name])) as Record<
    number,
    string
>;

function trailersOf(metadata: grpc.Metadata | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata?.getMap() ?? {})) out[k] = String(v);
    return out;
}

function metadataOf(headers: Record<string, string>): grpc.Metadata {
    const m = new grpc.Metadata();
    for (const [k, v] of Object.entries(headers)) m.set(k.toLowerCase(), v);
    return m;
}

/**
 * One RPC: unary calls answer once; for streams every body element is written, then `trigger` runs, and the
 * first response (or the stream's error) is the answer. The stream is then cancelled client-side.
 */
export function callRpc(
    client: PubSubClient,
    rpc: string,
    headers: Record<string, string>,
    body: unknown,
    trigger: () => Promise<void>,
    timeoutMs: number
): Promise<GrpcAnswer> {
    const metadata = metadataOf(headers);
    const deadline = new Date(Date.now() + timeoutMs);
    if (rpc === 'Subscribe' || rpc === 'PublishStream') {
        return new Promise((resolve, reject) => {
            const call = client[rpc]!(metadata, { deadline }) as grpc.ClientDuplexStream<unknown, unknown>;
            let done = false;
            const finish = (answer: GrpcAnswer) => {
                if (done) return;
                done = true;
                resolve(answer);
                call.cancel();
            };
            call.on('data', (data: unknown) => finish({ status: 'OK', body: data, trailers: {} }));
            call.on('error', (err: grpc.ServiceError) => {
                if (!done)
                    finish({
                        status: STATUS_NAMES[err.code] ?? String(err.code),
                        body: null,
                        trailers: trailersOf(err.metadata)
                    });
            });
            for (const request of Array.isArray(body) ? body : [body]) call.write(request);
            trigger().catch((e: unknown) => {
                done = true;
                call.cancel();
                reject(e instanceof Error ? e : new Error(String(e)));
            });
        });
    }
    return new Promise((resolve) => {
        client[rpc]!(body, metadata, { deadline }, (err: grpc.ServiceError | null, res: unknown) =>
            resolve(
                err
                    ? {
                          status: STATUS_NAMES[err.code] ?? String(err.code),
                          body: null,
                          trailers: trailersOf(err.metadata)
                      }
                    : { status: 'OK', body: res, trailers: {} }
            )
        );
    });
}

async function rest(
    emu: RunningSalesforceEmulator,
    token: string,
    method: string,
    sub: string,
    body: unknown,
    extra: Record<string, string> = {}
) {
    const res = await fetch(`${emu.instanceUrl}${sub}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...extra },
        body: JSON.stringify(body)
    });
    if (res.status >= 300) throw new Error(`setup: ${method} ${sub} answered ${res.status} ${await res.text()}`);
    return res.json() as Promise<unknown>;
}

/** Preconditions (before the call) and triggers (after the FetchRequests are written), by case-file number. */
function plan(num: string, emu: RunningSalesforceEmulator, token: string) {
    const opportunity = (i: number) => ({
        attributes: { type: 'Opportunity' },
        Name: `Conformance ${num}-${i}`,
        StageName: 'Prospecting',
        CloseDate: '2026-12-31'
    });
    switch (num) {
        case '36':
            // "after the FetchRequest, create an Opportunity via REST with Sforce-Call-Options: client=clm-sync"
            return {
                before: async () => {},
                trigger: async () => {
                    await new Promise((r) => setTimeout(r, 100));
                    await rest(emu, token, 'POST', `${API}/sobjects/Opportunity`, opportunity(0), {
                        'Sforce-Call-Options': 'client=clm-sync'
                    });
                }
            };
        case '37':
            // "Precondition: >100 retained Opportunity change events" — one collection of 150 creates.
            return {
                before: async () => {
                    const records = Array.from({ length: 150 }, (_, i) => opportunity(i));
                    await rest(emu, token, 'POST', `${API}/composite/sobjects`, { allOrNone: true, records });
                },
                trigger: async () => {}
            };
        default:
            return { before: async () => {}, trigger: async () => {} };
    }
}

/** Checks the decoded payload of a delivered change event against the case's documented expectations. */
async function checkDecoded(
    c: GrpcCase,
    answer: GrpcAnswer,
    client: PubSubClient,
    headers: Record<string, string>,
    problems: string[]
) {
    const example = c.expect.decodedPayloadExample;
    const first = (answer.body as { events?: { event: { schemaId: string; payload: string } }[] })?.events?.[0];
    if (!example || !first) return;
    const schema = await callRpc(
        client,
        'GetSchema',
        headers,
        { schemaId: first.event.schemaId },
        async () => {},
        10_000
    );
    if (schema.status !== 'OK') {
        problems.push(`GetSchema for the delivered event answered ${schema.status}`);
        return;
    }
    const type = avro.Type.forSchema(JSON.parse((schema.body as { schemaJson: string }).schemaJson) as avro.Schema);
    const decoded = type.fromBuffer(Buffer.from(first.event.payload, 'base64')) as Record<
        string,
        Record<string, unknown>
    >;
    const header = decoded.ChangeEventHeader ?? {};
    const wantKeys = Object.keys((example.ChangeEventHeader ?? {}) as object);
    if (JSON.stringify(Object.keys(header)) !== JSON.stringify(wantKeys))
        problems.push(
            `decoded ChangeEventHeader keys ${Object.keys(header).join(',')} differ from the documented ${wantKeys.join(',')}`
        );
    const topic = String((Array.isArray(c.request.body) ? c.request.body[0] : c.request.body)?.topicName ?? '');
    const entity = /^\/data\/(.+)ChangeEvent$/.exec(topic)?.[1];
    if (entity && header.entityName !== entity)
        problems.push(`decoded entityName ${String(header.entityName)}, expected ${entity}`);
    if (header.changeType === 'CREATE' && (header.changedFields as unknown[]).length !== 0)
        problems.push('a CREATE must have empty changedFields');
    if (
        c.expect.notes?.toString().includes('client=clm-sync') &&
        header.changeOrigin !== 'com/salesforce/api/rest/60.0;client=clm-sync'
    )
        problems.push(
            `decoded changeOrigin '${String(header.changeOrigin)}', expected com/salesforce/api/rest/60.0;client=clm-sync`
        );
}

function matches(expected: string, actual: string | undefined): boolean {
    if (actual === undefined) return false;
    return expected.startsWith('~') ? new RegExp(expected.slice(1)).test(actual) : expected === actual;
}

function fill(value: unknown, vars: Record<string, string>): unknown {
    if (typeof value === 'string') return value.replace(/\{([A-Za-z]+)\}/g, (m, name: string) => vars[name] ?? m);
    if (Array.isArray(value)) return value.map((v) => fill(v, vars));
    if (value && typeof value === 'object')
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars)]));
    return value;
}

/** Runs every gRPC case file of `dir` against one fresh emulator with the event bus; HTTP cases are left alone. */
export async function runGrpcConformance(dir: string, log: (line: string) => void = () => {}): Promise<CaseResult[]> {
    const files = readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort();
    const cases: { file: string; c: GrpcCase }[] = [];
    const results: CaseResult[] = [];
    for (const file of files) {
        const raw = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { request?: { method?: string } };
        if (raw.request?.method?.toUpperCase() !== 'GRPC') continue;
        const parsed = grpcCaseSchema.safeParse(raw);
        if (parsed.success) cases.push({ file, c: parsed.data });
        else
            results.push({
                file,
                name: file,
                outcome: 'failed',
                problems: [`unreadable gRPC case: ${parsed.error.issues[0]?.message ?? ''}`]
            });
    }
    if (cases.length === 0) return results;
    // Keepalives every second: an idle stream answers quickly, and a triggered event comes well before one.
    // REST over plain HTTP (only setup uses it); the Pub/Sub API is TLS as always.
    const emu = await startSalesforceEmulator({ metadataDirs: [FIXTURES], pubsub: { keepaliveMs: 1_000 } });
    const client = pubSubClient(emu.pubsubEndpoint!, readFileSync(emu.tlsCertPath!, 'utf8'));
    const ajv = new Ajv({ strict: false, allErrors: true });
    try {
        const token = await tokenFor(emu);
        const vars = { accessToken: token, instanceUrl: emu.instanceUrl, orgId: emu.orgId };
        for (const { file, c } of cases) {
            const problems: string[] = [];
            try {
                const steps = plan(file.slice(0, 2), emu, token);
                await steps.before();
                const headers = fill(c.request.headers ?? {}, vars) as Record<string, string>;
                const rpc = c.request.path.split('/').pop()!;
                const timeoutMs = (c.expect.withinSeconds ?? 30) * 1000;
                const answer = await callRpc(
                    client,
                    rpc,
                    headers,
                    fill(c.request.body, vars),
                    steps.trigger,
                    timeoutMs
                );
                if (!matches(c.expect.status, answer.status))
                    problems.push(
                        `status ${answer.status}, expected ${c.expect.status} (trailers ${JSON.stringify(answer.trailers)})`
                    );
                for (const [name, expected] of Object.entries(c.expect.trailers ?? {}))
                    if (!matches(expected, answer.trailers[name]))
                        problems.push(
                            `trailer ${name}: '${answer.trailers[name] ?? '(absent)'}' does not match ${expected}`
                        );
                if (c.expect.bodyShape) {
                    const validate = ajv.compile(c.expect.bodyShape as object);
                    if (!validate(answer.body))
                        problems.push(
                            `bodyShape: ${ajv.errorsText(validate.errors)} — ${JSON.stringify(answer.body).slice(0, 300)}`
                        );
                }
                await checkDecoded(c, answer, client, headers, problems);
            } catch (e) {
                problems.push(e instanceof Error ? e.message : String(e));
            }
            results.push({ file, name: c.name, outcome: problems.length === 0 ? 'passed' : 'failed', problems });
        }
    } finally {
        client.close();
        await emu.close();
    }
    for (const r of results) {
        log(`${r.outcome === 'passed' ? 'PASS' : 'FAIL'}  ${r.file}  ${r.name}`);
        for (const p of r.problems) log(`      ${p}`);
    }
    return results.sort((a, b) => a.file.localeCompare(b.file));
}
