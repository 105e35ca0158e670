/**
 * The CLM port test kit: the same cases for every implementation of ClmPort (the in-memory fake and
 * each vendor adapter over the CLM emulator), so a third vendor is one adapter plus passing this kit.
 * A backend supplies the port and the vendor-side moves a test needs (the counterparty signing, a
 * lost response), since those happen in the CLM, not through the port.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ClmContract, ExternalRef } from '../../src/domain/clm.ts';
import { isConnectorError } from '../../src/domain/errors.ts';
import { CLM_ERROR, TRANSITION_ACTIONS, type ClmPort, type CreateContractInput } from '../../src/ports/clm.ts';

export interface ClmKitBackend {
    port: ClmPort;
    /** The Salesforce object type the port takes as natural key. */
    naturalKeyObjectType: string;
    /** Vendor side: moves an open contract to out-for-signature (approvals done, packet sent). */
    sendForSignature(contract: ClmContract): Promise<void>;
    /** Vendor side: every signer signs (and the CLM archives it where it does so). */
    completeSignature(contract: ClmContract): Promise<void>;
    /** The next create reaches the CLM but its response is lost (dropped connection). */
    loseNextCreateResponse(): Promise<void>;
    /** How many contracts the CLM holds for this natural key (from the CLM's own state). */
    countContracts(naturalKey: ExternalRef): Promise<number>;
    /** A well-formed contract id the CLM does not hold. */
    unknownContractId: string;
}

export function salesforceId(prefix = '006'): string {
    return `${prefix}${randomBytes(6).toString('hex').toUpperCase()}`;
}

export function sampleInput(objectType: string, overrides: Partial<CreateContractInput> = {}): CreateContractInput {
    return {
        naturalKey: { system: 'salesforce', objectType, id: salesforceId() },
        title: 'Master agreement with Acme',
        counterparty: { name: 'Acme Corporation' },
        contacts: [{ name: 'Jane Roe', email: 'jane.roe@acme.example', role: 'signer', side: 'theirs' }],
        value: { amount: '12500.5', currency: 'USD' },
        effectiveDate: '2026-01-01',
        expirationDate: '2026-12-31',
        lineItems: [
            {
                key: 'QL-1',
                sfQuoteLineId: 'a0x000000000001',
                product: 'Platform licence',
                quantity: '10',
                unitPrice: { amount: '1000', currency: 'USD' },
                total: { amount: '10000', currency: 'USD' },
                extra: {}
            }
        ],
        ...overrides
    };
}

export async function expectClmError(promise: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
    try {
        await promise;
    } catch (error) {
        if (isConnectorError(error)) {
            expect(error.code, error.message).toBe(code);
            return { ...error.details };
        }
        throw error;
    }
    throw new Error(`expected ${code}, but the call succeeded`);
}

/** Reads the change feed until it is quiet; returns everything seen and the cursor at the end. */
async function drain(port: ClmPort, cursor: string | null): Promise<{ ids: string[]; cursor: string | null }> {
    const ids: string[] = [];
    for (let page = 0; page < 50; page++) {
        const result = await port.listChanges(cursor, 25);
        cursor = result.nextCursor;
        if (result.items.length === 0) return { ids, cursor };
        ids.push(...result.items.map((item) => item.id));
    }
    throw new Error('the change feed did not go quiet within 50 pages');
}

export function runClmPortKit(name: string, backend: () => ClmKitBackend): void {
    describe(`CLM port kit: ${name}`, () => {
        const input = () => sampleInput(backend().naturalKeyObjectType);

        it('creates a contract from the input, findable by its natural key and by its vendor id', async () => {
            const { port } = backend();
            const request = input();
            const created = await port.createContract(request);
            expect(created.vendor).toBe(port.vendor);
            expect(['Draft', 'InReview']).toContain(created.status.lifecycle);
            expect(created.status.signature).toBe('None');
            expect(created.status.rawStatus).not.toBe('');
            expect(created.refs).toContainEqual(request.naturalKey);
            expect(created.counterparty?.name).toBe('Acme Corporation');
            expect(created.value).toEqual({ amount: '12500.5', currency: 'USD' });
            expect(created.effectiveDate).toBe('2026-01-01');
            expect(created.expirationDate).toBe('2026-12-31');

            const byKey = await port.findByExternalRef(request.naturalKey);
            expect(byKey?.id).toBe(created.id);
            const vendorRef = created.refs.find((ref) => ref.system === port.vendor)!;
            expect((await port.findByExternalRef(vendorRef))?.id).toBe(created.id);
            expect(await port.getContract(created.id)).toEqual(byKey);
        });

        it('create is idempotent by natural key', async () => {
            const { port, countContracts } = backend();
            const request = input();
            const first = await port.createContract(request);
            const second = await port.createContract(request);
            expect(second.id).toBe(first.id);
            expect(await countContracts(request.naturalKey)).toBe(1);
        });

        it('concurrent creates for one natural key yield one contract', async () => {
            const { port, countContracts } = backend();
            const request = input();
            const [first, second] = await Promise.all([port.createContract(request), port.createContract(request)]);
            expect(second.id).toBe(first.id);
            expect(await countContracts(request.naturalKey)).toBe(1);
        });

        it('a create whose response is lost, retried, yields one contract', async () => {
            const { port, countContracts, loseNextCreateResponse } = backend();
            const request = input();
            await loseNextCreateResponse();
            const created = await port.createContract(request);
            expect(created.refs).toContainEqual(request.naturalKey);
            expect(await countContracts(request.naturalKey)).toBe(1);
            expect((await port.createContract(request)).id).toBe(created.id);
            expect(await countContracts(request.naturalKey)).toBe(1);
        });

        it('unknown contracts: get is CLM.NOT_FOUND, lookup is null', async () => {
            const { port, naturalKeyObjectType, unknownContractId } = backend();
            await expectClmError(port.getContract(unknownContractId), CLM_ERROR.NOT_FOUND);
            expect(
                await port.findByExternalRef({
                    system: 'salesforce',
                    objectType: naturalKeyObjectType,
                    id: salesforceId()
                })
            ).toBeNull();
        });

        it('bad input is CLM.VALIDATION naming the field, and creates nothing', async () => {
            const { port, countContracts } = backend();
            const request = input();
            let details = await expectClmError(port.createContract({ ...request, title: '' }), CLM_ERROR.VALIDATION);
            expect(details.field).toBe('title');
            details = await expectClmError(
                port.createContract({ ...request, effectiveDate: '31/12/2026' }),
                CLM_ERROR.VALIDATION
            );
            expect(details.field).toBe('effectiveDate');
            details = await expectClmError(
                port.createContract({ ...request, value: { amount: '1e5', currency: 'USD' } }),
                CLM_ERROR.VALIDATION
            );
            expect(details.field).toBe('value.amount');
            expect(await countContracts(request.naturalKey)).toBe(0);
        });

        it('updates a writable contract, with a version precondition', async () => {
            const { port } = backend();
            const created = await port.createContract(input());
            const updated = await port.updateContract(
                created.id,
                { expirationDate: '2027-06-30' },
                { ifVersion: created.version }
            );
            expect(updated.expirationDate).toBe('2027-06-30');
            expect(updated.version).not.toBe(created.version);
            expect((await port.getContract(created.id)).expirationDate).toBe('2027-06-30');

            const details = await expectClmError(
                port.updateContract(created.id, { expirationDate: '2028-01-31' }, { ifVersion: created.version }),
                CLM_ERROR.CONFLICT
            );
            expect(details.actualVersion).toBe(updated.version);
            expect((await port.getContract(created.id)).expirationDate).toBe('2027-06-30');

            const invalid = await expectClmError(
                port.updateContract(created.id, { expirationDate: 'next year' }),
                CLM_ERROR.VALIDATION
            );
            expect(invalid.field).toBe('expirationDate');
        });

        it('refuses writes out for signature, then reports the signed contract and its document', async () => {
            const { port, sendForSignature, completeSignature } = backend();
            const created = await port.createContract(input());
            await sendForSignature(created);
            const out = await port.getContract(created.id);
            expect(out.status.lifecycle).toBe('OutForSignature');
            expect(out.status.signature).toBe('Sent');
            const details = await expectClmError(
                port.updateContract(created.id, { expirationDate: '2027-06-30' }),
                CLM_ERROR.NOT_WRITABLE_IN_STATE
            );
            expect(details.state).toBe('OutForSignature');

            await completeSignature(out);
            const signed = await port.getContract(created.id);
            expect(['Signed', 'Active', 'Expired']).toContain(signed.status.lifecycle);
            expect(signed.status.signature).toBe('FullySigned');
            expect(signed.refs).toContainEqual(created.refs.find((ref) => ref.system === 'salesforce'));

            const documents = await port.listDocuments(created.id);
            const signedCopy = documents.find((document) => document.kind === 'signed');
            expect(signedCopy, JSON.stringify(documents)).toBeDefined();
            const download = await port.downloadDocument(created.id, signedCopy!.id);
            expect(download.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
            expect(download.mimeType).toBe('application/pdf');
            await expectClmError(port.downloadDocument(created.id, 'no-such-document'), CLM_ERROR.NOT_FOUND);
        });

        it('line items per capability', async () => {
            const { port } = backend();
            const created = await port.createContract(input());
            if (!port.capabilities().lineItems) {
                await expectClmError(port.listLineItems(created.id), CLM_ERROR.UNSUPPORTED);
                return;
            }
            const items = await port.listLineItems(created.id);
            expect(items).toHaveLength(1);
            expect(items[0]).toMatchObject({
                sfQuoteLineId: 'a0x000000000001',
                product: 'Platform licence',
                quantity: '10',
                unitPrice: { amount: '1000', currency: 'USD' },
                total: { amount: '10000', currency: 'USD' }
            });
            expect(created.lineItems).toEqual(items);
            if (!port.capabilities().lineItemsWritable) {
                await expectClmError(port.replaceLineItems(created.id, []), CLM_ERROR.UNSUPPORTED);
            } else {
                await port.replaceLineItems(created.id, []);
                expect(await port.listLineItems(created.id)).toEqual([]);
            }
        });

        it('parties and contacts', async () => {
            const { port } = backend();
            const created = await port.createContract(input());
            const parties = await port.listParties(created.id);
            expect(parties.counterparty?.name).toBe('Acme Corporation');
            if (port.capabilities().contacts) {
                expect(parties.contacts).toContainEqual(
                    expect.objectContaining({ email: 'jane.roe@acme.example', side: 'theirs', role: 'signer' })
                );
            }
        });

        it('transitions outside the capabilities are CLM.UNSUPPORTED', async () => {
            const { port } = backend();
            const created = await port.createContract(input());
            const offered = port.capabilities().transitions;
            for (const action of TRANSITION_ACTIONS.filter((candidate) => !offered.includes(candidate))) {
                const details = await expectClmError(port.transition(created.id, action), CLM_ERROR.UNSUPPORTED);
                expect(details.op).toBe(action);
            }
            if (offered.includes('submit') && created.status.lifecycle === 'Draft') {
                expect((await port.transition(created.id, 'submit')).status.lifecycle).toBe('InReview');
            }
        });

        it('documents upload per capability', async () => {
            const { port } = backend();
            const created = await port.createContract(input());
            const file = { name: 'side-letter.pdf', bytes: Buffer.from('%PDF-1.4\n'), kind: 'attachment' as const };
            if (!port.capabilities().documentsUpload) {
                await expectClmError(port.uploadDocument(created.id, file), CLM_ERROR.UNSUPPORTED);
                return;
            }
            const uploaded = await port.uploadDocument(created.id, file);
            expect(await port.listDocuments(created.id)).toContainEqual(uploaded);
            expect((await port.downloadDocument(created.id, uploaded.id)).bytes).toEqual(file.bytes);
        });

        it('the change feed returns new and changed contracts once, then goes quiet', async () => {
            const { port } = backend();
            const first = await port.createContract(input());
            const second = await port.createContract(input());
            const initial = await drain(port, null);
            expect(initial.ids).toEqual(expect.arrayContaining([first.id, second.id]));

            const quiet = await port.listChanges(initial.cursor, 25);
            expect(quiet.items.map((item) => item.id)).not.toContain(first.id);

            await port.updateContract(second.id, { effectiveDate: '2026-02-01' });
            const after = await drain(port, initial.cursor);
            expect(after.ids).toContain(second.id);
            expect(after.ids).not.toContain(first.id);
            const changed = (await port.getContract(second.id)).effectiveDate;
            expect(changed).toBe('2026-02-01');

            await expectClmError(port.listChanges('not a cursor', 10), CLM_ERROR.VALIDATION);
        });

        it('webhook subscription is idempotent per target', async () => {
            const { port } = backend();
            const target = `http://127.0.0.1:9/hooks/${randomBytes(4).toString('hex')}`;
            const first = await port.ensureWebhookSubscription(target);
            expect((await port.ensureWebhookSubscription(target)).id).toBe(first.id);
        });
    });
}
