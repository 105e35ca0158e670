// The conformance runner: executes every case file of a directory (../shared/sf-conformance by default)
// against one fresh emulator over HTTPS, in file order, and checks status, headers and bodyShape as
// sf-wire.md §9 defines them. Preconditions a case names in its notes are set up here, through the public
// REST API and the admin API; values later cases use ({locator}, {jobId}) are taken from earlier answers.
// gRPC (Pub/Sub) cases run through conformance/grpc.ts with a real gRPC client, and count in the same report.
// The project's own cases (conformance/cases/) state their preconditions as `setup` steps instead of notes: each
// step is a request (admin API paths included) whose answer may `save` values for later placeholders, or a
// `clockTo` that moves the org clock forward to a time of day on a day relative to the org's today (`+1d@10:15:30`),
// so time-window cases are reproducible on any date.
import { readdirSync, readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { createSign } from 'node:crypto';
import { Ajv } from 'ajv';
import { z } from 'zod';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../src/index.ts';
import { runApexConformance } from './apex.ts';
import { runGrpcConformance } from './grpc.ts';

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');
/** The project's own cases: fidelity fixes that must not come back (issue 17 and later). */
export const PROJECT_CASES = path.join(path.dirname(new URL(import.meta.url).pathname), 'cases');

const requestSchema = z.object({
    method: z.string(),
    path: z.string(),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.unknown().optional()
});

/**
 * One precondition step of a project case. `save` maps a placeholder name to where its value is in the answer:
 * a dot path into the JSON body (`id`, `0.id`, `records.0.Id`) or `header:<name>`. `until` repeats the request
 * (bounded) until the value at `path` is one of `in` — for asynchronous jobs.
 */
const stepSchema = z
    .object({
        request: requestSchema.optional(),
        clockTo: z.string().optional(),
        expectStatus: z.number().optional(),
        save: z.record(z.string(), z.string()).optional(),
        until: z.object({ path: z.string(), in: z.array(z.string()).min(1) }).optional()
    })
    .strict();
type Step = z.infer<typeof stepSchema>;

const caseSchema = z.object({
    name: z.string(),
    source: z.string().optional(),
    setup: z.array(stepSchema).optional(),
    request: requestSchema,
    expect: z
        .object({
            status: z.union([z.number(), z.string()]),
            headers: z.record(z.string(), z.string()).nullable().optional(),
            bodyShape: z.unknown().optional(),
            notes: z.string().optional()
        })
        .passthrough()
});
type Case = z.infer<typeof caseSchema>;

export type Outcome = 'passed' | 'failed';
export interface CaseResult {
    file: string;
    name: string;
    outcome: Outcome;
    problems: string[];
}
export interface ConformanceReport {
    passed: number;
    failed: number;
    results: CaseResult[];
}

interface HttpAnswer {
    status: number;
    headers: Record<string, string>;
    text: string;
}

class Client {
    constructor(
        private readonly emu: RunningSalesforceEmulator,
        private readonly ca: string
    ) {}

    send(method: string, url: string, headers: Record<string, string>, body?: string): Promise<HttpAnswer> {
        return new Promise((resolve, reject) => {
            const req = https.request(
                url,
                {
                    method,
                    headers:
                        body === undefined
                            ? headers
                            : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
                    ca: this.ca
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on('data', (c: Buffer) => chunks.push(c));
                    res.on('end', () => {
                        const out: Record<string, string> = {};
                        for (const [k, v] of Object.entries(res.headers))
                            if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
                        resolve({
                            status: res.statusCode ?? 0,
                            headers: out,
                            text: Buffer.concat(chunks).toString('utf8')
                        });
                    });
                }
            );
            req.on('error', reject);
            req.setTimeout(30_000, () => req.destroy(new Error('timed out')));
            if (body !== undefined) req.write(body);
            req.end();
        });
    }

    async json(
        method: string,
        sub: string,
        token: string | undefined,
        body?: unknown,
        extra: Record<string, string> = {}
    ): Promise<{ status: number; json: unknown; headers: Record<string, string> }> {
        const headers: Record<string, string> = { ...extra };
        if (token) headers.Authorization = `Bearer ${token}`;
        if (body !== undefined) headers['Content-Type'] = 'application/json';
        const base = sub.startsWith('/__emulator')
            ? this.emu.adminUrl.replace(/\/__emulator$/, '')
            : this.emu.instanceUrl;
        const res = await this.send(
            method,
            `${base}${sub}`,
            headers,
            body === undefined ? undefined : JSON.stringify(body)
        );
        return { status: res.status, json: res.text ? JSON.parse(res.text) : undefined, headers: res.headers };
    }
}

function signedJwt(emu: RunningSalesforceEmulator, username = emu.username): string {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const exp = Math.floor(emu.org.clock.peekMs() / 1000) + 150;
    const unsigned = `${b64({ alg: 'RS256' })}.${b64({ iss: emu.jwtConsumerKey, sub: username, aud: emu.loginUrl, exp })}`;
    const sig = createSign('RSA-SHA256')
        .update(unsigned)
        .sign(readFileSync(emu.jwtPrivateKeyPath, 'utf8'))
        .toString('base64url');
    return `${unsigned}.${sig}`;
}

/** A session for the admin user by JWT bearer. */
async function login(client: Client, emu: RunningSalesforceEmulator): Promise<string> {
    const answer = await client.send(
        'POST',
        `${emu.loginUrl}/services/oauth2/token`,
        { 'Content-Type': 'application/x-www-form-urlencoded' },
        `grant_type=${encodeURIComponent('urn:ietf:params:oauth:grant-type:jwt-bearer')}&assertion=${signedJwt(emu)}`
    );
    return (JSON.parse(answer.text) as { access_token: string }).access_token;
}

function fill(value: unknown, vars: Map<string, string>, missing: Set<string>): unknown {
    if (typeof value === 'string') {
        // `{name}`, or for a date value `{name-60d}` / `{name+1d}`: that many days from it.
        return value.replace(/\{([A-Za-z][A-Za-z0-9]*)(?:([+-]\d+)d)?\}/g, (m, name: string, days?: string) => {
            const v = vars.get(name);
            if (v === undefined) {
                missing.add(name);
                return m;
            }
            if (days === undefined) return v;
            return new Date(Date.parse(`${v}T00:00:00Z`) + Number(days) * 86_400_000).toISOString().slice(0, 10);
        });
    }
    if (Array.isArray(value)) return value.map((v) => fill(v, vars, missing));
    if (value && typeof value === 'object')
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars, missing)]));
    return value;
}

function valueAt(json: unknown, dotPath: string): unknown {
    let current = json;
    for (const part of dotPath.split('.')) {
        if (current === null || typeof current !== 'object') return undefined;
        current = (current as Record<string, unknown>)[part];
    }
    return current;
}

function bodyText(body: unknown): string | undefined {
    return body === undefined || body === null ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
}

/**
 * Where a `clockTo` step moves the org clock: `+Nd@HH:MM:SS[.mmm]` is that time of day (UTC) N days after the org's
 * today, so a case states the time it means relative to the clock and never goes stale; an absolute instant is taken
 * as it is (and must lie ahead of the org's clock).
 */
function clockTarget(clockTo: string, current: number): number {
    const relative = /^\+(\d+)d@(\d\d:\d\d:\d\d(?:\.\d{3})?)$/.exec(clockTo);
    if (!relative) return Date.parse(clockTo);
    const day = new Date(current + Number(relative[1]) * 86_400_000).toISOString().slice(0, 10);
    return Date.parse(`${day}T${relative[2]}Z`);
}

/** Runs a project case's setup steps in order; values they save become placeholders for later steps and the case. */
async function runSteps(steps: Step[], client: Client, emu: RunningSalesforceEmulator, vars: Map<string, string>) {
    for (const [i, step] of steps.entries()) {
        if (step.clockTo !== undefined) {
            const current = Date.parse(
                ((await client.json('GET', '/__emulator/clock', undefined)).json as { now: string }).now
            );
            const target = clockTarget(step.clockTo, current);
            if (Number.isNaN(target) || target < current)
                throw new Error(`setup ${i + 1}: clockTo ${step.clockTo} is not a future instant`);
            // `{clockDate}`: the day the clock was moved to, for the case's paths and expected values.
            vars.set('clockDate', new Date(target).toISOString().slice(0, 10));
            await client.json('POST', '/__emulator/clock', undefined, { advanceMs: target - current });
            // Moving the clock ends idle sessions, as it would on the platform: log in again.
            vars.set('accessToken', await login(client, emu));
        }
        if (!step.request) continue;
        const missing = new Set<string>();
        const req = fill(step.request, vars, missing) as z.infer<typeof requestSchema>;
        if (missing.size > 0) throw new Error(`setup ${i + 1}: no value for ${[...missing].join(', ')}`);
        const base = req.path.startsWith('/__emulator')
            ? emu.adminUrl.replace(/\/__emulator$/, '')
            : req.path.startsWith('/services/oauth2')
              ? emu.loginUrl
              : emu.instanceUrl;
        let answer: HttpAnswer | undefined;
        let json: unknown;
        for (let attempt = 0; attempt < 200; attempt++) {
            answer = await client.send(req.method, `${base}${req.path}`, req.headers ?? {}, bodyText(req.body));
            try {
                json = answer.text ? JSON.parse(answer.text) : undefined;
            } catch {
                json = undefined;
            }
            if (!step.until || step.until.in.includes(String(valueAt(json, step.until.path)))) break;
            if (attempt === 199)
                throw new Error(
                    `setup ${i + 1}: ${step.until.path} never became ${step.until.in.join(' or ')}: ${answer.text.slice(0, 300)}`
                );
            await new Promise((r) => setTimeout(r, 20));
        }
        if (step.expectStatus !== undefined && answer!.status !== step.expectStatus)
            throw new Error(
                `setup ${i + 1}: ${req.method} ${req.path} answered ${answer!.status}, expected ${step.expectStatus}: ${answer!.text.slice(0, 300)}`
            );
        for (const [name, where] of Object.entries(step.save ?? {})) {
            const value = where.startsWith('header:')
                ? answer!.headers[where.slice('header:'.length).toLowerCase()]
                : valueAt(json, where);
            if (value === undefined || value === null)
                throw new Error(
                    `setup ${i + 1}: nothing at ${where} to save as {${name}}: ${answer!.text.slice(0, 300)}`
                );
            vars.set(name, String(value));
        }
    }
}

function matches(expected: string, actual: string | undefined): boolean {
    if (actual === undefined) return false;
    return expected.startsWith('~') ? new RegExp(expected.slice(1)).test(actual) : expected === actual;
}

/** Preconditions from the cases' notes, keyed by case-file number. */
async function setUp(num: string, client: Client, vars: Map<string, string>): Promise<void> {
    const token = vars.get('accessToken');
    const create = async (object: string, body: Record<string, unknown>) => {
        const res = await client.json('POST', `/services/data/v60.0/sobjects/${object}`, token, body);
        if (res.status !== 201)
            throw new Error(`setup: creating ${object} answered ${res.status} ${JSON.stringify(res.json)}`);
        return (res.json as { id: string }).id;
    };
    switch (num) {
        case '06':
            vars.set(
                'accountId',
                await create('Account', {
                    Name: 'Conformance 06',
                    AccountNumber: 'CD656092',
                    BillingPostalCode: '27215'
                })
            );
            break;
        case '08':
        case '09':
        case '26':
            vars.set('accountId', await create('Account', { Name: `Conformance ${num}` }));
            break;
        case '11': {
            const q = await client.json(
                'GET',
                `/services/data/v60.0/query?q=${encodeURIComponent("SELECT COUNT() FROM Account WHERE customExtIdField__c = '11999'")}`,
                token
            );
            if ((q.json as { totalSize: number }).totalSize === 0)
                await create('Account', { Name: 'California Wheat Corporation', customExtIdField__c: '11999' });
            break;
        }
        case '14': {
            for (let batch = 0; batch < 3; batch++) {
                const records = Array.from({ length: 200 }, (_, i) => ({
                    attributes: { type: 'Contact' },
                    LastName: `Conformance ${batch * 200 + i}`
                }));
                const res = await client.json('POST', '/services/data/v60.0/composite/sobjects', token, {
                    allOrNone: true,
                    records
                });
                if (res.status !== 200) throw new Error(`setup: contacts answered ${res.status}`);
            }
            break;
        }
        case '18':
            // The duplicate rule of the precondition, as the emulator's fault hook.
            await client.json('POST', '/__emulator/faults', undefined, {
                sobject: 'Account',
                operation: 'create',
                errorCode: 'DUPLICATES_DETECTED',
                message: 'Use one of these records?',
                count: 1
            });
            break;
        case '20':
            vars.set('accountId', await create('Account', { Name: 'Conformance 20' }));
            vars.set('contactId', await create('Contact', { LastName: 'Conformance 20' }));
            break;
        case '21':
            vars.set('accountId1', await create('Account', { Name: 'Conformance 21a' }));
            vars.set('accountId2', await create('Account', { Name: 'Conformance 21b' }));
            break;
    }
}

/** Values later cases take from this case's answer. */
async function takeOutputs(num: string, answer: HttpAnswer, client: Client, vars: Map<string, string>): Promise<void> {
    let json: Record<string, unknown> | undefined;
    try {
        json = JSON.parse(answer.text) as Record<string, unknown>;
    } catch {
        json = undefined;
    }
    if (num === '01' && typeof json?.access_token === 'string') vars.set('accessToken', json.access_token);
    if (num === '14' && typeof json?.nextRecordsUrl === 'string')
        vars.set('locator', json.nextRecordsUrl.split('/').pop()!);
    if (num === '29' && typeof json?.id === 'string') vars.set('jobId', json.id);
    if (num === '31') {
        // "Eventually JobComplete": wait (bounded) so the results case sees the finished job.
        for (let i = 0; i < 100; i++) {
            const res = await client.json(
                'GET',
                `/services/data/v60.0/jobs/ingest/${vars.get('jobId')}`,
                vars.get('accessToken')
            );
            const state = (res.json as { state?: string }).state;
            if (state === 'JobComplete' || state === 'Failed' || state === 'Aborted') break;
            await new Promise((r) => setTimeout(r, 20));
        }
    }
}

/**
 * Runs every case file of `dir`: HTTP cases (REST, OAuth, Bulk) here against one fresh emulator over HTTPS, and gRPC
 * (Pub/Sub) cases through the gRPC executor against an emulator with the event bus.
 */
export async function runConformance(dir: string, log: (line: string) => void = () => {}): Promise<ConformanceReport> {
    const files = readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort();
    const emu = await startSalesforceEmulator({ tls: true, metadataDirs: [FIXTURES] });
    const client = new Client(emu, readFileSync(emu.tlsCertificatePath!, 'utf8'));
    const ajv = new Ajv({ strict: false, allErrors: true });
    const vars = new Map<string, string>([
        ['instanceUrl', emu.instanceUrl],
        ['orgId', emu.orgId],
        ['clientId', emu.clientId],
        ['clientSecret', emu.clientSecret]
    ]);
    const results: CaseResult[] = [];
    try {
        // Cases that only need a session get one even when the JWT case is absent from the directory.
        vars.set('accessToken', await login(client, emu));
        for (const file of files) {
            const num = file.slice(0, 2);
            let c: Case;
            try {
                c = caseSchema.parse(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
            } catch (e) {
                results.push({
                    file,
                    name: file,
                    outcome: 'failed',
                    problems: [`unreadable case file: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`]
                });
                continue;
            }
            if (c.request.method.toUpperCase() === 'GRPC') continue; // runGrpcConformance below
            const problems: string[] = [];
            try {
                vars.set('signedJwt', signedJwt(emu));
                // A session as the seeded sales rep (`{salesRepJwt}`), and their id: for record-sharing cases.
                vars.set('salesRepJwt', signedJwt(emu, emu.users.salesRep.username));
                vars.set('salesRepId', emu.users.salesRep.id);
                // Shared cases state preconditions in notes (set up here by number); project cases carry steps.
                if (c.setup) await runSteps(c.setup, client, emu, vars);
                else await setUp(num, client, vars);
                const missing = new Set<string>();
                const reqPath = fill(c.request.path, vars, missing) as string;
                const headers = fill(c.request.headers ?? {}, vars, missing) as Record<string, string>;
                const rawBody =
                    c.request.body === undefined || c.request.body === null
                        ? undefined
                        : fill(c.request.body, vars, missing);
                if (missing.size > 0) throw new Error(`no value for ${[...missing].map((m) => `{${m}}`).join(', ')}`);
                const body =
                    rawBody === undefined ? undefined : typeof rawBody === 'string' ? rawBody : JSON.stringify(rawBody);
                const base = reqPath.startsWith('/services/oauth2') ? emu.loginUrl : emu.instanceUrl;
                const answer = await client.send(c.request.method, `${base}${reqPath}`, headers, body);
                const status = c.expect.status;
                if (typeof status === 'number' ? answer.status !== status : !matches(status, String(answer.status))) {
                    problems.push(`status ${answer.status}, expected ${status}: ${answer.text.slice(0, 300)}`);
                }
                for (const [name, expected] of Object.entries(c.expect.headers ?? {})) {
                    if (!matches(expected, answer.headers[name.toLowerCase()]))
                        problems.push(
                            `header ${name}: '${answer.headers[name.toLowerCase()] ?? '(absent)'}' does not match ${expected}`
                        );
                }
                if (c.expect.bodyShape !== undefined && c.expect.bodyShape !== null) {
                    let parsed: unknown = answer.text;
                    if (answer.text === '') parsed = null;
                    else if (/^application\/json/.test(answer.headers['content-type'] ?? ''))
                        parsed = JSON.parse(answer.text);
                    const validate = ajv.compile(fill(c.expect.bodyShape, vars, new Set()) as object);
                    if (!validate(parsed)) {
                        problems.push(
                            `bodyShape: ${ajv.errorsText(validate.errors)} — body ${answer.text.slice(0, 300)}`
                        );
                    }
                }
                if (!c.setup) await takeOutputs(num, answer, client, vars);
            } catch (e) {
                problems.push(e instanceof Error ? e.message : String(e));
            }
            results.push({ file, name: c.name, outcome: problems.length === 0 ? 'passed' : 'failed', problems });
        }
        // The Apex semantics cases (conformance/apex) are the project's own: they run with its REST cases, in that org.
        if (path.resolve(dir) === PROJECT_CASES) results.push(...runApexConformance(emu.org));
    } finally {
        await emu.close();
    }
    for (const r of results) {
        log(`${r.outcome === 'passed' ? 'PASS' : 'FAIL'}  ${r.file}  ${r.name}`);
        for (const p of r.problems) log(`      ${p}`);
    }
    results.push(...(await runGrpcConformance(dir, log)));
    const count = (o: Outcome) => results.filter((r) => r.outcome === o).length;
    return { passed: count('passed'), failed: count('failed'), results };
}
