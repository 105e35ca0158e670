// The admin (control) API at `adminUrl`: counters, limits, faults, run-time schema changes, the clock, users'
// permission-set assignments and reset. Unauthenticated: it exists only on the test machine's loopback.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Services } from '../context.ts';
import { SfError } from '../errors.ts';
import type { QueryCursors } from '../rest/query.ts';
import { fieldFromMetadata, MetadataFieldError } from '../schema/metadata-fields.ts';
import { newCustomObject } from '../schema/metadata-loader.ts';
import { defineField, picklistValues, type FieldDef, type FieldType } from '../schema/types.ts';
import { SHARING_MODELS } from '../sharing.ts';

const FIELD_TYPES = [
    'string',
    'textarea',
    'picklist',
    'multipicklist',
    'reference',
    'currency',
    'double',
    'percent',
    'int',
    'long',
    'boolean',
    'date',
    'datetime',
    'time',
    'email',
    'phone',
    'url'
] as const;

/** A field in describe shape (name, type, length, externalId, unique, picklistValues, restrictedPicklist, …). */
export const describeFieldSchema = z
    .object({
        name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'name must be an API name'),
        type: z.enum(FIELD_TYPES),
        label: z.string().optional(),
        length: z.number().int().min(0).max(131_072).optional(),
        precision: z.number().int().min(0).max(18).optional(),
        scale: z.number().int().min(0).max(17).optional(),
        externalId: z.boolean().optional(),
        unique: z.boolean().optional(),
        caseSensitive: z.boolean().optional(),
        nillable: z.boolean().optional(),
        createable: z.boolean().optional(),
        updateable: z.boolean().optional(),
        calculated: z.boolean().optional(),
        calculatedFormula: z.string().optional(),
        defaultValue: z.union([z.string(), z.number(), z.boolean()]).nullable().optional(),
        picklistValues: z
            .array(
                z.union([
                    z.string(),
                    z.object({
                        value: z.string(),
                        label: z.string().optional(),
                        defaultValue: z.boolean().optional(),
                        active: z.boolean().optional()
                    })
                ])
            )
            .optional(),
        restrictedPicklist: z.boolean().optional(),
        referenceTo: z.array(z.string()).optional(),
        relationshipName: z.string().optional(),
        // Describe's own flag: taken when it agrees with the name (true exactly for a `__c` field).
        custom: z.boolean().optional()
    })
    .strict()
    .refine((f) => f.custom === undefined || f.custom === f.name.endsWith('__c'), {
        message: 'custom must be true exactly when the name ends in __c',
        path: ['custom']
    });

const objectSchema = z
    .object({
        label: z.string().optional(),
        pluralLabel: z.string().optional(),
        fields: z.array(describeFieldSchema).default([])
    })
    .strict();
const limitSchema = z.object({ Max: z.number().int().min(0), Remaining: z.number().int().min(0) }).strict();
const clockSchema = z.object({ advanceMs: z.number().int().min(0) }).strict();
const assignSchema = z.object({ username: z.string().min(1), permissionSet: z.string().min(1) }).strict();
const sharingSchema = z.object({ model: z.enum(SHARING_MODELS) }).strict();

function toField(input: z.infer<typeof describeFieldSchema>): FieldDef {
    const values = input.picklistValues?.map((p) => (typeof p === 'string' ? { value: p } : p));
    const overrides: Partial<FieldDef> = {};
    for (const k of [
        'label',
        'length',
        'precision',
        'scale',
        'externalId',
        'unique',
        'caseSensitive',
        'nillable',
        'createable',
        'updateable',
        'calculated',
        'restrictedPicklist',
        'referenceTo',
        'relationshipName'
    ] as const) {
        if (input[k] !== undefined) (overrides as Record<string, unknown>)[k] = input[k];
    }
    if (input.calculatedFormula !== undefined) overrides.calculatedFormula = input.calculatedFormula;
    if (input.defaultValue !== undefined) overrides.defaultValue = input.defaultValue;
    if (values) {
        overrides.picklistValues = values.map((p) => ({
            active: p.active ?? true,
            defaultValue: p.defaultValue ?? false,
            label: p.label ?? p.value,
            value: p.value,
            validFor: null
        }));
        const dflt = values.find((p) => p.defaultValue);
        if (dflt) {
            overrides.defaultValue = dflt.value;
            overrides.defaultedOnCreate = true;
        }
    }
    if (input.externalId) overrides.idLookup = true;
    if (input.type === 'reference') {
        if (!input.referenceTo?.length)
            throw new SfError(400, 'INVALID_INPUT', 'a reference field needs referenceTo', ['referenceTo']);
        overrides.relationshipName ??= input.name.endsWith('__c')
            ? input.name.replace(/__c$/, '__r')
            : input.name.replace(/Id$/, '');
    }
    void picklistValues;
    void fieldFromMetadata;
    return defineField(input.name, input.type as FieldType, overrides);
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
    const r = schema.safeParse(body ?? {});
    if (!r.success) {
        const issue = r.error.issues[0];
        const field = issue?.path.join('.') ?? '';
        throw new SfError(
            400,
            'INVALID_INPUT',
            `${field ? `${field}: ` : ''}${issue?.message ?? 'invalid input'}`,
            field ? [field] : []
        );
    }
    return r.data;
}

export function registerAdminRoutes(app: FastifyInstance, s: Services, cursors: QueryCursors, prefix: string): void {
    const { org } = s;

    app.get(`${prefix}/counters`, async () => org.counters.toJSON());
    app.delete(`${prefix}/counters`, async (_r, reply: FastifyReply) => {
        org.counters.reset();
        return reply.code(204).send();
    });

    app.get(`${prefix}/limits`, async () => org.limits.values);
    app.put(`${prefix}/limits/:name`, async (request: FastifyRequest<{ Params: { name: string } }>) => {
        const value = parse(limitSchema, request.body);
        if (value.Remaining > value.Max)
            throw new SfError(400, 'INVALID_INPUT', 'Remaining must not exceed Max', ['Remaining']);
        org.limits.set(request.params.name, value);
        return { [request.params.name]: value };
    });

    app.get(`${prefix}/faults`, async () => org.faults.list());
    app.post(`${prefix}/faults`, async (request: FastifyRequest, reply: FastifyReply) => {
        org.faults.add(request.body as never);
        return reply.code(201).send({ faults: org.faults.list().length });
    });
    app.delete(`${prefix}/faults`, async (_r, reply: FastifyReply) => {
        org.faults.clear();
        return reply.code(204).send();
    });

    app.post(
        `${prefix}/schema/:sobject/fields`,
        async (request: FastifyRequest<{ Params: { sobject: string } }>, reply: FastifyReply) => {
            const def = org.schema.get(request.params.sobject);
            if (!def) throw new SfError(404, 'NOT_FOUND', `No such sObject: ${request.params.sobject}`);
            const field = toField(parse(describeFieldSchema, request.body));
            if (field.type === 'reference' && !field.referenceTo.every((t) => org.schema.objectExists(t))) {
                throw new SfError(400, 'INVALID_INPUT', `referenceTo names an unknown object`, ['referenceTo']);
            }
            org.schema.addField(def.name, field);
            return reply.code(201).send({ object: def.name, field: field.name });
        }
    );

    app.post(
        `${prefix}/schema/:sobject`,
        async (request: FastifyRequest<{ Params: { sobject: string } }>, reply: FastifyReply) => {
            const name = request.params.sobject;
            if (!/^[A-Za-z][A-Za-z0-9_]*__(c|e)$/.test(name))
                throw new SfError(
                    400,
                    'INVALID_INPUT',
                    'a run-time object must be a custom object (__c) or platform event (__e)',
                    ['sobject']
                );
            if (org.schema.objectExists(name)) throw new SfError(409, 'DUPLICATE_VALUE', `${name} already exists`);
            const spec = parse(objectSchema, request.body);
            let fields: FieldDef[];
            try {
                fields = spec.fields.map(toField);
            } catch (e) {
                if (e instanceof MetadataFieldError) throw new SfError(400, 'INVALID_INPUT', e.message);
                throw e;
            }
            const def = org.schema.addObject(
                newCustomObject(
                    name,
                    { label: spec.label ?? name, pluralLabel: spec.pluralLabel ?? spec.label ?? name },
                    fields
                )
            );
            return reply.code(201).send({ object: def.name, keyPrefix: def.keyPrefix });
        }
    );

    app.post(`${prefix}/clock`, async (request: FastifyRequest) => {
        const { advanceMs } = parse(clockSchema, request.body);
        org.clock.advance(advanceMs);
        return { now: org.clock.now().toISOString() };
    });
    app.get(`${prefix}/clock`, async () => ({ now: org.clock.now().toISOString() }));

    app.post(`${prefix}/assignments`, async (request: FastifyRequest, reply: FastifyReply) => {
        const { username, permissionSet } = parse(assignSchema, request.body);
        const user = org.findUser(username);
        const ps = org.store.rows('PermissionSet').find((p) => p.Name === permissionSet);
        if (!user || !ps) throw new SfError(404, 'NOT_FOUND', `unknown ${user ? 'permission set' : 'user'}`);
        const exists = org.store
            .rows('PermissionSetAssignment')
            .some((a) => a.AssigneeId === user.Id && a.PermissionSetId === ps.Id && a.IsDeleted !== true);
        if (!exists)
            org.seedRecord('PermissionSetAssignment', {
                AssigneeId: String(user.Id),
                PermissionSetId: String(ps.Id),
                IsActive: true
            });
        return reply.code(exists ? 200 : 201).send({ assigneeId: user.Id, permissionSetId: ps.Id });
    });

    // Setup → Sharing Settings: the organization-wide defaults (sharing.ts).
    app.get(`${prefix}/sharing`, async () => org.sharing.defaults());
    app.put(`${prefix}/sharing/:sobject`, async (request: FastifyRequest<{ Params: { sobject: string } }>) => {
        const def = org.schema.get(request.params.sobject);
        if (!def) throw new SfError(404, 'NOT_FOUND', `No such sObject: ${request.params.sobject}`);
        const { model } = parse(sharingSchema, request.body);
        try {
            org.sharing.setDefault(def, model);
        } catch (e) {
            throw new SfError(400, 'INVALID_INPUT', e instanceof Error ? e.message : String(e), ['sobject']);
        }
        return { object: def.name, model: org.sharing.modelOf(def) };
    });

    app.get(`${prefix}/users`, async () =>
        Object.fromEntries(
            Object.entries(org.userIds).map(([k, id]) => [k, { id, username: org.store.get('User', id)?.Username }])
        )
    );

    app.post(`${prefix}/reset`, async () => {
        org.reset();
        cursors.clear();
        for (const fn of s.onReset) fn();
        return { reset: true };
    });
}
