// The Ironclad dialect over the shared store: OAuth, actor header, template lookup, launch, list/filter/paging,
// Review-only attribute PATCH, approvals, signatures, documents, completion → record with a new id, amendments,
// republish, rate-limit buckets. Every request and response is checked against ironclad-openapi.yaml.
import { beforeEach, describe, expect, it } from 'vitest';
import { sampleIroncladLaunch, useHarness } from './support/setup.ts';

const h = useHarness();
let templateId: string;

beforeEach(() => {
    templateId = h.emulator.ironcladTemplateId;
});

async function launch(overrides: Record<string, unknown> = {}) {
    const result = await h.ironclad.call('POST', '/workflows', { body: sampleIroncladLaunch(templateId, overrides) });
    expect(result.status).toBe(200);
    return result.json;
}

async function driveToCompletion(workflowId: string) {
    await h.admin.action('ironclad', workflowId, 'request-approvals');
    await h.admin.action('ironclad', workflowId, 'approve');
    await h.admin.action('ironclad', workflowId, 'send-for-signature');
    await h.admin.action('ironclad', workflowId, 'sign');
    await h.admin.action('ironclad', workflowId, 'sign');
    return h.admin.action('ironclad', workflowId, 'complete');
}

describe('Ironclad OAuth and actor', () => {
    it('issues expiring bearer tokens and rejects expired, missing and unscoped ones', async () => {
        const ok = await h.ironclad.call('GET', '/workflow-schemas', { query: { form: 'launch' } });
        expect(ok.status).toBe(200);

        await h.admin.advance(3600 * 1000);
        const expired = await h.ironclad.call('GET', '/workflow-schemas', { query: { form: 'launch' } });
        expect(expired.status).toBe(401);
        expect(expired.json).toMatchObject({ code: 'UNAUTHORIZED', message: 'access token expired' });

        const scoped = await h.ironclad.callUrl('POST', h.emulator.ironcladTokenUrl, {
            form: {
                grant_type: 'client_credentials',
                client_id: h.emulator.ironcladClientId,
                client_secret: h.emulator.ironcladClientSecret,
                scope: 'public.records.readRecords'
            }
        });
        expect(scoped.json).toMatchObject({
            token_type: 'bearer',
            expires_in: 3600,
            scope: 'public.records.readRecords'
        });
        const forbidden = await h.ironclad.call('GET', '/workflows', {
            headers: { authorization: `Bearer ${scoped.json.access_token}` }
        });
        expect(forbidden.status).toBe(403);
        expect(forbidden.json.code).toBe('FORBIDDEN');
    });

    it('answers bad client credentials and bad grants in the OAuth error shape', async () => {
        const wrong = await h.ironclad.callUrl('POST', h.emulator.ironcladTokenUrl, {
            form: { grant_type: 'client_credentials', client_id: h.emulator.ironcladClientId, client_secret: 'nope' }
        });
        expect(wrong.status).toBe(401);
        expect(wrong.json).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
        const missing = await h.ironclad.callUrl('POST', h.emulator.ironcladTokenUrl, {
            form: { grant_type: 'client_credentials', client_id: 'x' },
            invalidRequest: true
        });
        expect(missing.status).toBe(400);
        expect(missing.json.error).toBe('invalid_request');
        expect(missing.json.error_description).toContain('client_secret');
    });

    it('requires the x-as-user-email actor to be a company user', async () => {
        const none = await h.ironclad.call('GET', '/workflows', { headers: { 'x-as-user-email': '' } });
        expect(none.status).toBe(403);
        const stranger = await h.ironclad.call('GET', '/workflows', {
            headers: { 'x-as-user-email': 'mallory@evil.example' }
        });
        expect(stranger.status).toBe(403);
        expect(stranger.json.param).toBe('x-as-user-email');
    });
});

describe('Ironclad templates and workflows', () => {
    it('finds the template by name; republishing changes its id and retires the old one', async () => {
        const list = await h.ironclad.call('GET', '/workflow-schemas', { query: { form: 'launch' } });
        const found = list.json.list.find((schema: { name: string }) => schema.name === 'Sales Agreement');
        expect(found.id).toBe(templateId);
        expect(found.schema.lineItems).toMatchObject({ type: 'array', elementType: { type: 'object' } });
        expect(found.schema.contractValue.type).toBe('monetaryAmount');

        const republished = await h.admin.ok('POST', '/templates/ironclad/republish', { name: 'Sales Agreement' });
        expect(republished.id).not.toBe(templateId);
        const old = await h.ironclad.call('POST', '/workflows', { body: sampleIroncladLaunch(templateId) });
        expect(old.status).toBe(400);
        expect(old.json).toMatchObject({ code: 'INVALID_PARAM', param: 'template' });
        const oldSchema = await h.ironclad.call('GET', `/workflow-schemas/${templateId}`, {
            query: { form: 'launch' }
        });
        expect(oldSchema.status).toBe(400);
        expect(oldSchema.json.code).toBe('NOT_FOUND');
        templateId = republished.id;
        expect((await launch()).template).toBe(republished.id);
    });

    it('launches synchronously into Review with the CPQ table attribute and a draft document', async () => {
        const workflow = await launch();
        expect(workflow).toMatchObject({ step: 'Review', status: 'active', ironcladId: 'IC-1', isComplete: false });
        expect(workflow.attributes.lineItems).toHaveLength(2);
        expect(workflow.attributes.draft[0].download).toMatch(/\/document\/[\w-]+\/download$/);
        const fetched = await h.ironclad.call('GET', `/workflows/${workflow.id}`);
        expect(fetched.json.attributes.contractValue).toEqual({ currency: 'USD', amount: 120000 });
        const byIroncladId = await h.ironclad.call('GET', '/workflows/IC-1');
        expect(byIroncladId.json.id).toBe(workflow.id);
        const pdf = await h.ironclad.call('GET', workflow.attributes.draft[0].download.replace('/public/api/v1', ''));
        expect(pdf.headers.get('content-type')).toBe('application/pdf');
        expect(pdf.bytes.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
    });

    it('rejects bad launches with the documented error codes naming the attribute', async () => {
        const missing = await h.ironclad.call('POST', '/workflows', {
            body: sampleIroncladLaunch(templateId, { counterpartyName: undefined }),
            invalidRequest: true
        });
        expect(missing.status).toBe(400);
        expect(missing.json).toEqual({
            code: 'MISSING_PARAM',
            message: 'missing required attribute',
            param: 'counterpartyName'
        });
        const unknown = await h.ironclad.call('POST', '/workflows', {
            body: sampleIroncladLaunch(templateId, { bogus: 1 })
        });
        expect(unknown.json).toMatchObject({ code: 'INVALID_PARAM', param: 'attributes' });
        expect(unknown.json.message).toContain('bogus');
        const wrongType = await h.ironclad.call('POST', '/workflows', {
            body: sampleIroncladLaunch(templateId, { lineItems: [{ product: 'X', quantity: 'ten' }] })
        });
        expect(wrongType.json).toMatchObject({ code: 'INVALID_PARAM', param: 'lineItems.0.quantity' });
        const notJson = await h.ironclad.call('POST', '/workflows', { body: '{"template": ', invalidRequest: true });
        expect(notJson.status).toBe(400);
        expect(notJson.json.code).toBe('INVALID_PARAM');
        expect(notJson.text).not.toMatch(/at .*\.ts/);
        const noBody = await h.ironclad.call('POST', '/workflows', {
            body: { template: templateId },
            invalidRequest: true
        });
        expect(noBody.json).toMatchObject({ code: 'MISSING_PARAM', param: 'creator' });
    });

    it('lists with 0-based paging, status, filter formulas and lastUpdated', async () => {
        const first = await launch({ sfOpportunityId: '006A' });
        await launch({ sfOpportunityId: '006B', counterpartyName: "O'Brien Ltd" });
        await launch({ sfOpportunityId: '006C' });
        const page0 = await h.ironclad.call('GET', '/workflows', { query: { page: 0, pageSize: 2 } });
        expect(page0.json).toMatchObject({ page: 0, pageSize: 2, count: 3 });
        expect(page0.json.list).toHaveLength(2);
        const page1 = await h.ironclad.call('GET', '/workflows', { query: { page: 1, pageSize: 2 } });
        expect(page1.json.list.map((w: { ironcladId: string }) => w.ironcladId)).toEqual(['IC-3']);

        const filtered = await h.ironclad.call('GET', '/workflows', {
            query: { filter: "Equals([sfOpportunityId], '006B')" }
        });
        expect(filtered.json.list.map((w: { ironcladId: string }) => w.ironcladId)).toEqual(['IC-2']);
        const either = await h.ironclad.call('GET', '/workflows', {
            query: { filter: "Or(Equals([sfOpportunityId], '006A'), Contains([counterpartyName], 'brien'))" }
        });
        expect(either.json.count).toBe(2);
        const bad = await h.ironclad.call('GET', '/workflows', { query: { filter: 'Equals([x], unquoted)' } });
        expect(bad.status).toBe(400);
        expect(bad.json.param).toBe('filter');

        await h.admin.advance(60_000);
        const cutoff = new Date(Date.parse(first.lastUpdated) + 30_000).toISOString();
        await h.admin.action('ironclad', first.id, 'update-data', { data: { paymentTerms: 'Net 45' } });
        const changed = await h.ironclad.call('GET', '/workflows', { query: { lastUpdated: cutoff } });
        expect(changed.json.list.map((w: { id: string }) => w.id)).toEqual([first.id]);

        await h.admin.action('ironclad', first.id, 'pause');
        const paused = await h.ironclad.call('GET', '/workflows', { query: { status: 'paused' } });
        expect(paused.json.list.map((w: { id: string }) => w.id)).toEqual([first.id]);
        const badPage = await h.ironclad.call('GET', '/workflows', { query: { pageSize: 500 }, invalidRequest: true });
        expect(badPage.json).toMatchObject({ code: 'INVALID_PARAM', param: 'pageSize' });
    });
});

describe('Ironclad state rules and lifecycle', () => {
    it('patches attributes in Review only, with the documented errors elsewhere', async () => {
        const workflow = await launch();
        const patched = await h.ironclad.call('PATCH', `/workflows/${workflow.id}/attributes`, {
            body: { updates: [{ action: 'set', path: 'paymentTerms', value: 'Net 60' }], comment: 'from Salesforce' }
        });
        expect(patched.status).toBe(200);
        expect(patched.json.attributes.paymentTerms).toBe('Net 60');
        const same = await h.ironclad.call('PATCH', `/workflows/${workflow.id}/attributes`, {
            body: { updates: [{ action: 'set', path: 'paymentTerms', value: 'Net 60' }] }
        });
        expect(same.json.message).toMatch(/^No information changed/);
        const unknown = await h.ironclad.call('PATCH', `/workflows/${workflow.id}/attributes`, {
            body: { updates: [{ action: 'set', path: 'nope', value: 'x' }] }
        });
        expect(unknown.json.message).toBe('non-existent attribute(s) specified: nope');
        const typed = await h.ironclad.call('PATCH', `/workflows/${workflow.id}/attributes`, {
            body: { updates: [{ action: 'set', path: 'termMonths', value: 'twelve' }] }
        });
        expect(typed.json).toMatchObject({ code: 'INVALID_PARAM', param: 'termMonths' });

        await h.admin.action('ironclad', workflow.id, 'send-for-signature');
        const inSign = await h.ironclad.call('PATCH', `/workflows/${workflow.id}/attributes`, {
            body: { updates: [{ action: 'set', path: 'paymentTerms', value: 'Net 90' }] }
        });
        expect(inSign.status).toBe(400);
        expect(inSign.json).toEqual({
            code: 'INVALID_STATE',
            message: 'This workflow is not at the Review step, and is currently at the Sign step',
            param: 'step'
        });
        const unchanged = await h.ironclad.call('GET', `/workflows/${workflow.id}`);
        expect(unchanged.json.attributes.paymentTerms).toBe('Net 60');
    });

    it('reports approvals and signatures through the lifecycle and completes into a record with a new id', async () => {
        const workflow = await launch();
        expect((await h.ironclad.call('GET', `/workflows/${workflow.id}/signatures`)).json.code).toBe('INVALID_STATE');
        await h.admin.action('ironclad', workflow.id, 'request-approvals');
        const approvals = await h.ironclad.call('GET', `/workflows/${workflow.id}/approvals`);
        expect(approvals.json.approvalGroups[0].reviewers.map((r: { status: string }) => r.status)).toEqual([
            'pending',
            'pending'
        ]);
        expect((await h.ironclad.call('GET', `/workflows/${workflow.id}`)).json.approvals.state).toBe('in_progress');
        const blocked = await h.admin.request('POST', `/contracts/ironclad/${workflow.id}/actions`, {
            action: 'send-for-signature'
        });
        expect(blocked.status).toBe(409);
        expect(blocked.json.error.code).toBe('admin.approvals_pending');

        await h.admin.action('ironclad', workflow.id, 'approve', { role: 'legal' });
        await h.admin.action('ironclad', workflow.id, 'approve', { role: 'finance' });
        await h.admin.action('ironclad', workflow.id, 'send-for-signature');
        const sign = await h.ironclad.call('GET', `/workflows/${workflow.id}`);
        expect(sign.json).toMatchObject({
            step: 'Sign',
            approvals: { state: 'completed' },
            signatures: { state: 'in_progress' }
        });
        await h.admin.action('ironclad', workflow.id, 'sign', { email: 'ada@acme.example' });
        const partial = await h.ironclad.call('GET', `/workflows/${workflow.id}/signatures`);
        expect(partial.json.signers.map((s: { signatureStatus: string }) => s.signatureStatus).sort()).toEqual([
            'sent',
            'signed'
        ]);
        await h.admin.action('ironclad', workflow.id, 'sign');
        expect((await h.ironclad.call('GET', `/workflows/${workflow.id}`)).json.step).toBe('Archive');

        const completed = await h.admin.action('ironclad', workflow.id, 'complete');
        const recordId = completed.ids.recordId;
        expect(recordId).toMatch(/^[0-9a-f-]{36}$/);
        expect(recordId).not.toBe(workflow.id);
        const final = await h.ironclad.call('GET', `/workflows/${workflow.id}`);
        expect(final.json).toMatchObject({
            step: 'Complete',
            status: 'completed',
            isComplete: true,
            recordIds: [recordId]
        });

        const record = await h.ironclad.call('GET', `/records/${recordId}`);
        expect(record.json).toMatchObject({
            id: recordId,
            ironcladId: 'IC-1',
            type: 'salesAgreement',
            source: { type: 'workflow', workflowId: workflow.id }
        });
        expect(record.json.properties.contractValue).toEqual({
            type: 'monetary_amount',
            value: { currency: 'USD', amount: 120000 }
        });
        expect(record.json.properties.agreementDate).toEqual({ type: 'date', value: '2026-01-01' });
        const signedPdf = await h.ironclad.call('GET', `/records/${recordId}/attachments/signedCopy`);
        expect(signedPdf.bytes.toString('latin1')).toContain('Signed by: CLM Integration');
        const noWorkflow = await h.ironclad.call('GET', '/workflows/000000000000000000000000');
        expect(noWorkflow.status).toBe(404);
        expect(noWorkflow.json).toEqual({ code: 'NOT_FOUND', message: 'workflow does not exist', param: 'workflowId' });
    });

    it('polls records by lastUpdated and filter; amendments become child records', async () => {
        const original = await launch({ sfOpportunityId: '006AMEND' });
        await driveToCompletion(original.id);
        await h.admin.advance(5_000);
        const amendment = await h.admin.action('ironclad', original.id, 'amend', { data: { paymentTerms: 'Net 15' } });
        expect(amendment.ids.workflowId).not.toBe(original.id);
        const completedAmendment = await driveToCompletion(amendment.ids.workflowId);
        const parent = await h.admin.ok('GET', `/contracts/ironclad/${original.id}`);

        const records = await h.ironclad.call('GET', '/records', {
            query: { filter: "Equals([sfOpportunityId], '006AMEND')", sortField: 'lastUpdated', sortDirection: 'ASC' }
        });
        expect(records.json.count).toBe(2);
        const child = records.json.list[1];
        expect(child.id).toBe(completedAmendment.ids.recordId);
        expect(child.parentId).toBe(parent.ids.recordId);
        const parentRecord = await h.ironclad.call('GET', `/records/${parent.ids.recordId}`);
        expect(parentRecord.json.childIds).toEqual([child.id]);

        const since = await h.ironclad.call('GET', '/records', { query: { lastUpdated: child.lastUpdated } });
        expect(since.json.list.map((r: { id: string }) => r.id)).toEqual([child.id]);
    });

    it('cancelled workflows keep their step and report not_applicable approvals', async () => {
        const workflow = await launch();
        await h.admin.action('ironclad', workflow.id, 'cancel');
        const cancelled = await h.ironclad.call('GET', `/workflows/${workflow.id}`);
        expect(cancelled.json).toMatchObject({ status: 'cancelled', isCancelled: true, step: 'Review' });
        expect(cancelled.json.approvals.state).toBe('not_applicable');
        const again = await h.admin.request('POST', `/contracts/ironclad/${workflow.id}/actions`, { action: 'cancel' });
        expect(again.json.error.code).toBe('admin.invalid_transition');
    });
});

describe('Ironclad rate limits', () => {
    it('answers 429 with Retry-After once a bucket is spent, per bucket, and counts exactly', async () => {
        await h.admin.ok('PUT', '/rate-limits/ironclad/workflows-write', { limit: 2, windowMs: 60_000 });
        await h.admin.ok('DELETE', '/counters');
        await launch();
        await launch();
        const limited = await h.ironclad.call('POST', '/workflows', { body: sampleIroncladLaunch(templateId) });
        expect(limited.status).toBe(429);
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(limited.json).toMatchObject({ code: 'RATE_LIMITED', param: 'workflows-write' });
        // Reads use another bucket and still pass.
        expect((await h.ironclad.call('GET', '/workflows')).status).toBe(200);
        await h.admin.advance(60_000);
        expect((await h.ironclad.call('POST', '/workflows', { body: sampleIroncladLaunch(templateId) })).status).toBe(
            200
        );

        const counters = await h.admin.ok('GET', '/counters');
        expect(counters.ironclad['POST /workflows']).toEqual({
            requests: 4,
            statuses: { '200': 3, '429': 1 },
            rateLimited: 1,
            faulted: 0,
            dropped: 0
        });
        expect(counters.ironclad['GET /workflows'].requests).toBe(1);
        expect((await h.admin.ok('GET', '/contracts?vendor=ironclad')).contracts).toHaveLength(3);
    });
});
