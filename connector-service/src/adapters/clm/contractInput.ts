/**
 * Rules on what callers hand the CLM port, shared by every adapter: the create input and patches are
 * checked with one schema (bad input → CLM.VALIDATION naming the field), and refs are compared one way.
 */
import { z } from 'zod';
import type { ClmContract } from '../../domain/clm.ts';
import { Address, ClmContact, ExternalRef, IsoDate, LineItem, Money } from '../../domain/clm.ts';
import { CLM_ERROR, clmError, type ContractPatch, type CreateContractInput } from '../../ports/clm.ts';

const CustomValues = z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean(), z.null()]));

export const CreateContractInputSchema = z.object({
    naturalKey: ExternalRef,
    title: z.string().min(1).max(255),
    counterparty: z.object({ name: z.string().min(1), address: Address.nullable().optional() }),
    contacts: z.array(ClmContact),
    value: Money.nullable().optional(),
    effectiveDate: IsoDate.nullable().optional(),
    expirationDate: IsoDate.nullable().optional(),
    lineItems: z.array(LineItem).optional(),
    custom: CustomValues.optional()
});

export const ContractPatchSchema = z
    .object({
        title: z.string().min(1).max(255).optional(),
        counterpartyName: z.string().min(1).optional(),
        value: Money.nullable().optional(),
        effectiveDate: IsoDate.nullable().optional(),
        expirationDate: IsoDate.nullable().optional(),
        custom: CustomValues.optional()
    })
    .strict();

function checked<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const field = issue?.path.map(String).join('.') || '(input)';
    throw clmError(CLM_ERROR.VALIDATION, `${what}: "${field}" ${issue?.message ?? 'is invalid'}`, { field });
}

export function checkCreateInput(input: CreateContractInput): CreateContractInput {
    return checked(CreateContractInputSchema, input, 'create contract') as CreateContractInput;
}

export function checkPatch(patch: ContractPatch): ContractPatch {
    return checked(ContractPatchSchema, patch, 'update contract') as ContractPatch;
}

/** A ref as one string (map keys, single-flight keys). */
export function refKey(ref: ExternalRef): string {
    return `${ref.system}/${ref.objectType}/${ref.id}`;
}

export function sameRef(a: ExternalRef, b: ExternalRef): boolean {
    return a.system === b.system && a.objectType === b.objectType && a.id === b.id;
}

/** Applies a checked patch to a canonical contract (the memory CLM's write; adapters write to the vendor). */
export function applyPatch(contract: ClmContract, patch: ContractPatch): ClmContract {
    const valid = checkPatch(patch);
    const next = structuredClone(contract);
    if (valid.title !== undefined) next.title = valid.title;
    if (valid.counterpartyName !== undefined) {
        next.counterparty = { ...(next.counterparty ?? {}), name: valid.counterpartyName };
    }
    if (valid.value !== undefined) next.value = valid.value;
    if (valid.effectiveDate !== undefined) next.effectiveDate = valid.effectiveDate;
    if (valid.expirationDate !== undefined) next.expirationDate = valid.expirationDate;
    if (valid.custom) Object.assign(next.custom, valid.custom);
    return next;
}

/** The one template with the configured name (vendors change template ids on republish; names are stable). */
export function templateNamed<T extends { name: string }>(vendor: string, templates: readonly T[], name: string): T {
    const matches = templates.filter((template) => template.name === name);
    if (matches.length !== 1) {
        throw clmError(
            CLM_ERROR.VALIDATION,
            `${vendor} has ${matches.length} templates named "${name}" (expected one)`,
            {
                field: 'templateName',
                available: templates.map((template) => template.name).slice(0, 20)
            }
        );
    }
    return matches[0]!;
}

/** The counterparty's signer: the contact a vendor's "point of contact" fields are filled from. */
export function counterpartySigner(contacts: readonly ClmContact[]): ClmContact | undefined {
    return (
        contacts.find((c) => c.side === 'theirs' && c.role === 'signer') ?? contacts.find((c) => c.side === 'theirs')
    );
}
