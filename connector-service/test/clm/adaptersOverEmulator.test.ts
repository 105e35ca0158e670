// The Ironclad and SpotDraft adapters over the CLM emulator: the port kit (the same cases as the in-memory
// fake), a 429 storm, and the contract test — every request the adapters sent in this file, checked against
// the vendor's OpenAPI spec.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClmContract } from '../../src/domain/clm.ts';
import { DEFAULT_RULES, FieldRule } from '../../src/domain/index.ts';
import { suggestRules } from '../../src/app/ruleSuggestions.ts';
import { checkTemplateFit } from '../../src/app/templateFit.ts';
import { validateRequest } from '../../../test/support/openapi.ts';
import { requireOrSkip, sharedRequirement } from '../../../test/support/requirements.ts';
import { startEmulatorBackends, startReceiver, type ReceivedDelivery, type SentRequest } from './emulatorBackends.ts';
import { runClmPortKit, sampleInput } from './portKit.ts';

const sent: SentRequest[] = [];
let backends: Awaited<ReturnType<typeof startEmulatorBackends>>;

beforeAll(async () => {
    backends = await startEmulatorBackends(sent);
});
afterAll(async () => {
    await backends?.emulator.close();
});

runClmPortKit('Ironclad over the CLM emulator', () => backends.ironcladBackend);
runClmPortKit('SpotDraft over the CLM emulator', () => backends.spotdraftBackend);

describe('rate limits: a 429 storm slows the adapters down, and no error reaches the caller', () => {
    it('Ironclad: a tight workflows-read bucket answers 429 + Retry-After; every read completes', async () => {
        const { admin, ironclad, ironcladBackend } = backends;
        const created = await ironclad.createContract(sampleInput(ironcladBackend.naturalKeyObjectType));
        const before = (await admin.counters()).ironclad['GET /workflows/{id}'] ?? { rateLimited: 0, requests: 0 };
        const limits = await admin.call<Record<string, Record<string, unknown>>>('GET', '/rate-limits');
        await admin.call('PUT', '/rate-limits/ironclad/workflows-read', { limit: 4, windowMs: 1_000 });
        try {
            const reads = await Promise.all(Array.from({ length: 12 }, () => ironclad.getContract(created.id)));
            expect(new Set(reads.map((contract) => contract.id))).toEqual(new Set([created.id]));
        } finally {
            await admin.call('PUT', '/rate-limits/ironclad/workflows-read', limits.ironclad!['workflows-read']);
        }
        const after = (await admin.counters()).ironclad['GET /workflows/{id}']!;
        expect(after.rateLimited - before.rateLimited).toBeGreaterThan(0);
        // Each 429 was retried: 12 successful reads plus one request per throttled answer.
        expect(after.requests - before.requests).toBe(12 + (after.rateLimited - before.rateLimited));
    });

    it('SpotDraft: a workspace bucket below 10 requests/s answers 429; every call completes', async () => {
        const { admin, spotdraft, spotdraftBackend } = backends;
        const created = await spotdraft.createContract(sampleInput(spotdraftBackend.naturalKeyObjectType));
        const before = (await admin.counters()).spotdraft['GET /v2.1/public/contracts/{contract_id}/status'] ?? {
            rateLimited: 0,
            requests: 0
        };
        const limits = await admin.call<Record<string, Record<string, unknown>>>('GET', '/rate-limits');
        await admin.call('PUT', '/rate-limits/spotdraft/workspace', { limit: 3, windowMs: 1_000 });
        try {
            const reads = await Promise.all(Array.from({ length: 6 }, () => spotdraft.getContract(created.id)));
            expect(new Set(reads.map((contract) => contract.id))).toEqual(new Set([created.id]));
        } finally {
            await admin.call('PUT', '/rate-limits/spotdraft/workspace', limits.spotdraft!.workspace);
        }
        const counters = (await admin.counters()).spotdraft;
        const throttled = Object.values(counters).reduce((sum, counter) => sum + counter.rateLimited, 0);
        expect(throttled).toBeGreaterThan(0);
        const status = counters['GET /v2.1/public/contracts/{contract_id}/status']!;
        expect(status.requests - before.requests).toBe(6 + (status.rateLimited - before.rateLimited));
    });
});

describe('Ironclad specifics', () => {
    const statusCount = async (operation: string, status: string) =>
        (await backends.admin.counters()).ironclad[operation]?.statuses[status] ?? 0;

    it('a republished template (new id) is resolved by name again, and the launch succeeds', async () => {
        const { admin, ironclad, ironcladBackend } = backends;
        await ironclad.createContract(sampleInput(ironcladBackend.naturalKeyObjectType)); // caches the template id
        const refused = await statusCount('POST /workflows', '400');
        const republished = await admin.call<{ id: string }>('POST', '/templates/ironclad/republish', {
            name: backends.emulator.ironcladTemplateName
        });
        const created = await ironclad.createContract(sampleInput(ironcladBackend.naturalKeyObjectType));
        expect(await statusCount('POST /workflows', '400')).toBe(refused + 1);
        const stored = await admin.call<{ templateId: string }>('GET', `/contracts/ironclad/${created.id}`);
        expect(stored.templateId).toBe(republished.id);
    });

    it('a completed workflow is followed to its record: new ref, record properties, Active from the dates', async () => {
        const { ironclad, ironcladBackend } = backends;
        const created = await ironclad.createContract(
            sampleInput(ironcladBackend.naturalKeyObjectType, {
                effectiveDate: '2026-01-01',
                expirationDate: '2099-12-31'
            })
        );
        await ironcladBackend.sendForSignature(created);
        await ironcladBackend.completeSignature(created);
        const completed = await ironclad.getContract(created.id);
        const recordRef = completed.refs.find((ref) => ref.objectType === 'record');
        expect(recordRef).toBeDefined();
        expect(completed.status).toMatchObject({ lifecycle: 'Active', rawStatus: 'completed', derivedFrom: 'dates' });
        expect(completed.value).toEqual({ amount: '12500.5', currency: 'USD' });
        expect(completed.expirationDate).toBe('2099-12-31');
        expect((await ironclad.findByExternalRef(recordRef!))?.id).toBe(created.id);
        const { contacts } = await ironclad.listParties(created.id); // the signature packet's signers
        expect(contacts).toEqual(
            expect.arrayContaining([
                expect.objectContaining({ email: 'jane.roe@acme.example', side: 'theirs', role: 'signer' }),
                expect.objectContaining({ email: backends.emulator.ironcladUserEmail, side: 'ours', role: 'signer' })
            ])
        );
        const attachment = (await ironclad.listDocuments(created.id)).find((doc) => doc.id.startsWith('record:'));
        expect(attachment).toMatchObject({ kind: 'signed', mimeType: 'application/pdf' });
        const bytes = (await ironclad.downloadDocument(created.id, attachment!.id)).bytes;
        expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    });

    it('a revoked or expired token is replaced once, without an error reaching the caller', async () => {
        const { admin, ironclad, ironcladBackend } = backends;
        const created = await ironclad.createContract(sampleInput(ironcladBackend.naturalKeyObjectType));
        const unauthorized = await statusCount('GET /workflows/{id}', '401');
        await admin.call('POST', '/tokens/ironclad/revoke');
        expect((await ironclad.getContract(created.id)).id).toBe(created.id);
        expect(await statusCount('GET /workflows/{id}', '401')).toBe(unauthorized + 1);
    });
});

describe("the vendor's own template: read, checked against the rules, and the source of suggestions", () => {
    const ports = () => [
        { vendor: 'ironclad', port: backends.ironclad },
        { vendor: 'spotdraft', port: backends.spotdraft }
    ];
    const defaults = () => DEFAULT_RULES.map((rule) => FieldRule.parse(rule));

    it('both templates hold every field the default rules map, with types that fit and writes where they write', async () => {
        for (const { vendor, port } of ports()) {
            const template = await port.describeTemplate();
            expect(template.vendor).toBe(vendor);
            const mapped = new Set(template.fields.map((field) => field.clmField));
            for (const field of ['title', 'counterparty.name', 'counterparty.address', 'primaryContact.email', 'value'])
                expect(mapped, `${vendor} ${field}`).toContain(field);
            for (const field of ['executedDate', 'termMonths', 'autoRenew', 'renewalTermMonths', 'noticeDeadline'])
                expect(mapped, `${vendor} ${field}`).toContain(field);
            expect(checkTemplateFit(defaults(), template, port.capabilities())).toEqual([]);
        }
    });

    it('names the rule whose CLM field is missing, of the wrong type, or written where the vendor fills it', async () => {
        const rules = [
            {
                name: 'Missing',
                sfObject: 'Contract',
                sfField: 'Description',
                clmField: 'custom.noSuchField',
                direction: 'ClmToSalesforce'
            },
            {
                name: 'Wrong_Type',
                sfObject: 'Contract',
                sfField: 'StartDate',
                clmField: 'custom.paymentTerms',
                direction: 'ClmToSalesforce',
                transform: { kind: 'date' }
            },
            {
                name: 'Writes_Executed',
                sfObject: 'Contract',
                sfField: 'CLM_Executed_Date__c',
                clmField: 'executedDate',
                direction: 'SalesforceToClm',
                transform: { kind: 'date' }
            }
        ].map((rule) => FieldRule.parse(rule));
        const template = await backends.ironclad.describeTemplate();
        const problems = checkTemplateFit(rules, template, backends.ironclad.capabilities());
        expect(problems.map(({ code, rule }) => [rule, code])).toEqual([
            ['Missing', 'MAPPING.CLM_FIELD_MISSING'],
            ['Wrong_Type', 'MAPPING.CLM_FIELD_TYPE'],
            ['Writes_Executed', 'MAPPING.CLM_FIELD_NOT_WRITABLE']
        ]);
        expect(problems[0]!.message).toContain('Sales Agreement');
    });

    it('suggests the packaged rule for each canonical field and a new Contract field for the rest', async () => {
        const suggestions = suggestRules(
            await backends.spotdraft.describeTemplate(),
            backends.spotdraft.capabilities()
        );
        expect(suggestions.find((s) => s.rule.name === 'Contract_Executed_Date')).toMatchObject({
            templateField: 'execution_date',
            basis: 'default'
        });
        expect(suggestions.find((s) => s.templateField === 'payment_terms')).toMatchObject({
            basis: 'new',
            rule: { sfObject: 'Contract', sfField: 'CLM_PaymentTerms__c', clmField: 'custom.paymentTerms' }
        });
        // Every proposal is a valid rule the template check accepts.
        const proposed = suggestions.map((s) => FieldRule.parse(s.rule));
        expect(
            checkTemplateFit(proposed, await backends.spotdraft.describeTemplate(), backends.spotdraft.capabilities())
        ).toEqual([]);
    });
});

describe('key terms: what the template holds and the signature mints reaches the canonical contract', () => {
    const address = { street: '1 Market St', city: 'Dallas', state: 'TX', postalCode: '75201', country: 'US' };
    const cases = [
        {
            vendor: 'ironclad' as const,
            // Legal fills the renewal terms in Ironclad; the notice deadline follows from the notice period.
            legalEdits: { termMonths: 24, autoRenew: true, renewalTermMonths: 12, noticePeriodDays: 60 },
            noticeDeadline: '2099-11-01'
        },
        {
            vendor: 'spotdraft' as const,
            legalEdits: {
                term: { days: 730, type: 'YEARS', value: 2 },
                auto_renew: true,
                renewal_term: { days: 365, type: 'MONTHS', value: 12 },
                notice_period: { days: 60, type: 'DAYS', value: 60 },
                notice_deadline: '2099-10-15'
            },
            noticeDeadline: '2099-10-15'
        }
    ];
    for (const { vendor, legalEdits, noticeDeadline } of cases) {
        it(`${vendor}: executed date, term, auto-renew, renewal term, notice period and deadline, address`, async () => {
            const port = vendor === 'ironclad' ? backends.ironclad : backends.spotdraft;
            const backend = vendor === 'ironclad' ? backends.ironcladBackend : backends.spotdraftBackend;
            const created = await port.createContract(
                sampleInput(backend.naturalKeyObjectType, {
                    counterparty: { name: 'Acme Corporation', address },
                    effectiveDate: '2026-01-01',
                    expirationDate: '2099-12-31'
                })
            );
            expect(created.counterparty?.address).toEqual(address);
            expect(created.executedDate).toBeNull();
            await backends.admin.action(vendor, created.id, 'update-data', { data: legalEdits });
            await backend.sendForSignature(created);
            await backend.completeSignature(created);
            const signed = await port.getContract(created.id);
            const stored = await backends.admin.call<{ signers: { signedAt?: string }[] }>(
                'GET',
                `/contracts/${vendor}/${encodeURIComponent(created.id)}`
            );
            const lastSignature = stored.signers
                .map((signer) => signer.signedAt!)
                .sort()
                .at(-1)!;
            expect(signed.executedDate).toBe(lastSignature.slice(0, 10));
            // The signed contract reads as newer than the one created (SpotDraft has no modification time of its own).
            expect(Date.parse(signed.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
            expect(signed).toMatchObject({
                termMonths: 24,
                autoRenew: true,
                renewalTermMonths: 12,
                noticeDays: 60,
                noticeDeadline,
                effectiveDate: '2026-01-01',
                expirationDate: '2099-12-31',
                value: { amount: '12500.5', currency: 'USD' }
            });
            expect(signed.counterparty?.address).toEqual(address);
            expect(port.capabilities().unreadableFields).toEqual([]);
        });
    }
});

describe('webhooks end to end: the emulator delivers, the adapters verify, parse and fetch', () => {
    /** Waits (bounded) until the receiver holds `count` deliveries on `path` matching `where`. */
    async function deliveries(
        receiver: Awaited<ReturnType<typeof startReceiver>>,
        path: string,
        where: (body: Record<string, unknown>) => boolean,
        count = 1
    ): Promise<ReceivedDelivery[]> {
        for (let round = 0; round < 100; round++) {
            await backends.admin.call('POST', '/webhooks/settle');
            const matching = receiver.received.filter(
                (delivery) => delivery.path === path && where(JSON.parse(delivery.rawBody.toString('utf8')))
            );
            if (matching.length >= count) return matching;
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error(`no delivery on ${path} within 100 rounds`);
    }

    const cases = [
        {
            vendor: 'ironclad' as const,
            signing: 'RSA-signed thin deliveries',
            backend: () => backends.ironcladBackend,
            /** Deliveries about this contract. */
            about: (contract: ClmContract) => (body: Record<string, unknown>) =>
                (body.payload as { workflowID?: string } | undefined)?.workflowID === contract.id,
            firstEvent: 'workflow_launched'
        },
        {
            vendor: 'spotdraft' as const,
            signing: 'HMAC-SHA512 deliveries keyed with hmac_key',
            backend: () => backends.spotdraftBackend,
            about: (contract: ClmContract) => (body: Record<string, unknown>) =>
                body.contract_id === Number(contract.id.slice(2)),
            firstEvent: 'CONTRACT_CREATED'
        }
    ];
    for (const { vendor, signing, backend, about, firstEvent } of cases) {
        it(`${vendor}: ${signing} verify; a replay is refused; a rotated key is fetched again`, async () => {
            const { port, naturalKeyObjectType } = backend();
            const receiver = await startReceiver();
            try {
                await port.ensureWebhookSubscription(`${receiver.url}/${vendor}`);
                const created = await port.createContract(sampleInput(naturalKeyObjectType));
                const [first] = await deliveries(receiver, `/${vendor}`, about(created));
                expect(await port.verifyWebhook(first!)).toMatchObject({ ok: true });
                const [event] = port.parseWebhook(first!);
                expect(event).toMatchObject({ type: 'contract.created', vendorEventType: firstEvent });
                expect((await port.findByExternalRef(event!.contractRef))?.id).toBe(created.id);
                expect(await port.verifyWebhook(first!)).toEqual({ ok: false, reason: 'replayed' });

                await backends.admin.call('POST', `/keys/${vendor}/rotate`);
                await port.updateContract(created.id, { expirationDate: '2027-03-31' });
                const all = await deliveries(receiver, `/${vendor}`, about(created), 2);
                const verdicts = await Promise.all(all.slice(1).map((delivery) => port.verifyWebhook(delivery)));
                expect(
                    verdicts.every((verdict) => verdict.ok),
                    JSON.stringify(verdicts)
                ).toBe(true);
            } finally {
                await receiver.close();
            }
        });
    }
});

describe('contract test: every request the adapters sent validates against the vendor spec', () => {
    // The only requests outside the OpenAPI files: SpotDraft's playbook webhook endpoints and Ironclad's OAuth
    // token endpoint (outside /public/api/v1); test/support/openapi.ts names them as its EXTRAS.
    const ALLOWED_EXTRAS = new Set([
        'POST /spotdraft/api/v2.1/public/webhooks/',
        'GET /spotdraft/api/v2.1/public/webhooks/hmac_key/',
        'DELETE /spotdraft/api/v2.1/public/webhooks/{webhook_id}/',
        'POST /ironclad/oauth/token'
    ]);

    it('checks each recorded request (path, method, parameters, headers, body)', async () => {
        if (!requireOrSkip(sharedRequirement('specs'))) return;
        expect(sent.length).toBeGreaterThan(100);
        const problems: string[] = [];
        const operations = new Set<string>();
        for (const request of sent) {
            const url = new URL(request.url);
            const vendor = url.pathname.startsWith('/ironclad/') ? 'ironclad' : 'spotdraft';
            operations.add(
                `${request.method} ${url.pathname.replace(/\/(T-\d+|[0-9a-f]{24}|[0-9a-f-]{36}|\d+)(?=\/|$)/g, '/{id}')}`
            );
            const found = await validateRequest(vendor, {
                method: request.method,
                path: request.url,
                headers: request.headers,
                body: request.body
            });
            problems.push(...found.map((problem) => `${request.method} ${url.pathname}${url.search}: ${problem}`));
        }
        expect([...new Set(problems)]).toEqual([]);
        const extras = [...operations].filter(
            (operation) => operation.includes('/oauth/') || operation.includes('/public/webhooks/')
        );
        for (const extra of extras) expect(ALLOWED_EXTRAS, extra).toContain(extra);
    });
});
