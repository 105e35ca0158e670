// Record writes and reads as the REST API performs them: validation from describe (unknown fields,
// non-writable fields, types, lengths, restricted picklists, references, required fields, unique values,
// deleted rows), derived fields, audit fields with millisecond SystemModstamp, and FLS for the calling user.
import { createHash, randomUUID } from 'node:crypto';
import type { AccessView } from './access.ts';
import { formatDateTime } from './clock.ts';
import { SfError, notFound } from './errors.ts';
import { normalizeId } from './ids.ts';
import type { Org } from './org.ts';
import { CONTRACT_STATUSES, OPPORTUNITY_STAGES } from './schema/standard-objects.ts';
import type { FieldDef, ObjectDef } from './schema/types.ts';
import { atLeast } from './sharing.ts';
import type { FieldChange, SfRecord, SfValue, Transaction } from './store.ts';
import { coerceInput } from './values.ts';

export interface CallContext {
    access: AccessView;
    userId: string;
    tx: Transaction;
    version: string;
}

export interface WriteResult {
    id: string;
    created: boolean;
}

/** Upsert matched more than one record: 300 with the matching records' URLs. */
export class MultipleChoices extends Error {
    constructor(readonly urls: string[]) {
        super('MULTIPLE_CHOICES');
    }
}

export class DataService {
    constructor(private readonly org: Org) {}

    private get schema() {
        return this.org.schema;
    }

    /** The object for a path segment, or 404 when it does not exist or the user cannot see it. */
    object(ctx: CallContext, name: string): ObjectDef {
        const def = this.schema.get(name);
        if (!def || !ctx.access.object(def).read) throw notFound();
        return def;
    }

    /** Parses an id from a path or body; 400 MALFORMED_ID when malformed or of another object. */
    parseId(def: ObjectDef, text: string, fieldName = 'Id'): string {
        const id = normalizeId(text);
        if (!id || id.slice(0, 3) !== def.keyPrefix) {
            throw new SfError(400, 'MALFORMED_ID', `${def.label} ID: id value of incorrect type: ${text}`, [fieldName]);
        }
        return id;
    }

    /** A live row, 404 NOT_FOUND when absent, 404 ENTITY_IS_DELETED when deleted. */
    row(def: ObjectDef, id: string): SfRecord {
        const rec = this.org.store.get(def.name, id);
        if (!rec) throw notFound();
        if (rec.IsDeleted === true) throw new SfError(404, 'ENTITY_IS_DELETED', 'entity is deleted', []);
        return rec;
    }

    /** A live row the user may see by sharing; 404 NOT_FOUND otherwise, as for a record that does not exist. */
    visibleRow(ctx: CallContext, def: ObjectDef, id: string): SfRecord {
        const rec = this.row(def, id);
        if (!ctx.access.canSee(def, rec)) throw notFound();
        return rec;
    }

    private fieldOrInvalid(ctx: CallContext, def: ObjectDef, name: string): FieldDef {
        const field = this.schema.field(def.name, name);
        if (!field || !ctx.access.field(def, field).read) {
            throw new SfError(400, 'INVALID_FIELD', `No such column '${name}' on sobject of type ${def.name}`, [name]);
        }
        return field;
    }

    /** Validates a body and converts it to canonical field names and stored values. */
    private normalizeBody(ctx: CallContext, def: ObjectDef, body: unknown, mode: 'create' | 'update'): SfRecord {
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
            throw new SfError(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object of field values');
        }
        const out: SfRecord = {};
        const notWritable: string[] = [];
        for (const [key, raw] of Object.entries(body as Record<string, unknown>)) {
            if (key === 'attributes') continue;
            if (key.toLowerCase() === 'id') {
                if (mode === 'create')
                    throw new SfError(
                        400,
                        'INVALID_FIELD',
                        'The Id field should not be specified in the sobject data.'
                    );
                continue;
            }
            // Relationship by external id: {"Account": {"Ext__c": "A-1"}} sets AccountId.
            if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
                const refField = def.fields.find(
                    (f) => f.type === 'reference' && f.relationshipName?.toLowerCase() === key.toLowerCase()
                );
                if (refField) {
                    out[refField.name] = this.resolveRelationship(ctx, def, refField, raw as Record<string, unknown>);
                    if (
                        !ctx.access.field(def, refField).edit ||
                        !(mode === 'create' ? refField.createable : refField.updateable)
                    )
                        notWritable.push(refField.name);
                    continue;
                }
            }
            const field = this.fieldOrInvalid(ctx, def, key);
            const writable = mode === 'create' ? field.createable : field.updateable;
            if (!writable || !ctx.access.field(def, field).edit) {
                notWritable.push(field.name);
                continue;
            }
            out[field.name] = coerceInput(field, raw);
        }
        if (notWritable.length > 0) {
            throw new SfError(
                400,
                'INVALID_FIELD_FOR_INSERT_UPDATE',
                `Unable to create/update fields: ${notWritable.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
                notWritable
            );
        }
        for (const [name, value] of Object.entries(out))
            this.checkValue(def, this.schema.field(def.name, name)!, value);
        this.checkReferences(ctx, def, out);
        return out;
    }

    private resolveRelationship(
        ctx: CallContext,
        def: ObjectDef,
        refField: FieldDef,
        spec: Record<string, unknown>
    ): SfValue {
        const target = this.schema.get(refField.referenceTo[0] ?? '');
        const entries = Object.entries(spec).filter(([k]) => k !== 'attributes');
        if (!target || entries.length !== 1) {
            throw new SfError(
                400,
                'INVALID_FIELD',
                `Invalid foreign key relationship name ${refField.relationshipName}`,
                [refField.name]
            );
        }
        const [extName, extValue] = entries[0]!;
        const extField = this.schema.field(target.name, extName);
        if (!extField || !(extField.externalId || extField.idLookup)) {
            throw new SfError(
                400,
                'INVALID_FIELD',
                `Field ${extName} is not an external id or indexed field on ${target.name}`,
                [refField.name]
            );
        }
        const matches = this.findByExternalId(target, extField, String(extValue));
        if (matches.length !== 1) {
            throw new SfError(
                400,
                matches.length === 0 ? 'INVALID_FIELD' : 'DUPLICATE_EXTERNAL_ID',
                matches.length === 0
                    ? `Foreign key external ID: ${String(extValue)} not found for field ${extField.name} in entity ${target.name}`
                    : `Foreign key external ID: ${String(extValue)} matched more than one ${target.name}`,
                [refField.name]
            );
        }
        void ctx;
        void def;
        return String(matches[0]!.Id);
    }

    private checkValue(def: ObjectDef, field: FieldDef, value: SfValue): void {
        if (value === null) return;
        if (
            typeof value === 'string' &&
            field.length > 0 &&
            field.type !== 'reference' &&
            field.type !== 'id' &&
            value.length > field.length
        ) {
            throw new SfError(
                400,
                'STRING_TOO_LONG',
                `${field.label}: data value too large: ${value.slice(0, 80)} (max length=${field.length})`,
                [field.name]
            );
        }
        if (
            field.type === 'picklist' &&
            field.restrictedPicklist &&
            !field.picklistValues.some((p) => p.active && p.value === value)
        ) {
            throw new SfError(
                400,
                'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
                `${field.label}: bad value for restricted picklist field: ${value}`,
                [field.name]
            );
        }
        if (field.type === 'multipicklist' && field.restrictedPicklist) {
            for (const v of String(value).split(';')) {
                if (!field.picklistValues.some((p) => p.value === v)) {
                    throw new SfError(
                        400,
                        'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
                        `${field.label}: bad value for restricted picklist field: ${v}`,
                        [field.name]
                    );
                }
            }
        }
        if (field.type === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(String(value))) {
            throw new SfError(400, 'INVALID_EMAIL_ADDRESS', `${field.label}: invalid email address: ${value}`, [
                field.name
            ]);
        }
        if (field.type === 'reference') {
            const id = normalizeId(String(value));
            const target = id ? this.schema.objectByPrefix(id.slice(0, 3)) : undefined;
            if (!id || !target || !field.referenceTo.includes(target.name)) {
                throw new SfError(400, 'MALFORMED_ID', `${field.label}: id value of incorrect type: ${value}`, [
                    field.name
                ]);
            }
            const row = this.org.store.get(target.name, id);
            if (!row || row.IsDeleted === true) {
                throw new SfError(400, 'INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id`, [field.name]);
            }
        }
        void def;
    }

    private requiredMissing(def: ObjectDef, rec: SfRecord, only?: string[]): void {
        const missing = def.fields
            .filter((f) => !f.nillable && f.createable && !f.defaultedOnCreate && f.type !== 'boolean')
            .filter((f) => (only ? only.includes(f.name) : true))
            .filter((f) => rec[f.name] === null || rec[f.name] === undefined || rec[f.name] === '')
            .map((f) => f.name);
        if (missing.length > 0) {
            throw new SfError(
                400,
                'REQUIRED_FIELD_MISSING',
                `Required fields are missing: [${missing.join(', ')}]`,
                missing
            );
        }
    }

    private checkUnique(def: ObjectDef, rec: SfRecord): void {
        for (const field of def.fields) {
            if (!field.unique) continue;
            const v = rec[field.name];
            if (v === null || v === undefined) continue;
            const same = (x: SfValue) =>
                field.caseSensitive ? x === v : String(x).toLowerCase() === String(v).toLowerCase();
            const dup = this.org.store
                .rows(def.name)
                .find((r) => r.Id !== rec.Id && r.IsDeleted !== true && r[field.name] !== null && same(r[field.name]!));
            if (dup) {
                throw new SfError(
                    400,
                    'DUPLICATE_VALUE',
                    `duplicate value found: ${field.name} duplicates value on record with id: ${String(dup.Id)}`,
                    []
                );
            }
        }
    }

    findByExternalId(def: ObjectDef, field: FieldDef, value: string): SfRecord[] {
        const wanted = field.caseSensitive ? value : value.toLowerCase();
        const idValue = field.type === 'id' ? normalizeId(value) : undefined;
        return this.org.store.rows(def.name).filter((r) => {
            if (r.IsDeleted === true) return false;
            const v = r[field.name];
            if (v === null || v === undefined) return false;
            if (idValue) return v === idValue;
            return (field.caseSensitive ? String(v) : String(v).toLowerCase()) === wanted;
        });
    }

    private checkObject(ctx: CallContext, def: ObjectDef, op: 'create' | 'edit' | 'delete'): void {
        const access = ctx.access.object(def);
        const allowed =
            op === 'create'
                ? def.createable && access.create
                : op === 'edit'
                  ? def.updateable && access.edit
                  : def.deletable && access.delete;
        if (!allowed) {
            throw new SfError(400, 'INSUFFICIENT_ACCESS_OR_READONLY', `insufficient access rights on object id`, []);
        }
    }

    /**
     * Sharing: editing takes Edit on the record, deleting Delete (its owner, Modify All); a record the user cannot
     * see answers the same INSUFFICIENT_ACCESS_OR_READONLY as one they may only read.
     */
    private checkRecord(ctx: CallContext, def: ObjectDef, rec: SfRecord, wanted: 'Edit' | 'Delete'): void {
        if (!atLeast(ctx.access.record(def, rec), wanted))
            throw new SfError(400, 'INSUFFICIENT_ACCESS_OR_READONLY', 'insufficient access rights on object id', []);
    }

    /** A lookup may only name a record the user can see: INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY otherwise. */
    private checkReferences(ctx: CallContext, def: ObjectDef, values: SfRecord): void {
        for (const [name, value] of Object.entries(values)) {
            const field = this.schema.field(def.name, name);
            if (field?.type !== 'reference' || typeof value !== 'string' || name === 'OwnerId') continue;
            const id = normalizeId(value) ?? value;
            const target = this.schema.objectByPrefix(id.slice(0, 3));
            const row = target ? this.org.store.get(target.name, id) : undefined;
            if (target && row && !ctx.access.canSee(target, row))
                throw new SfError(
                    400,
                    'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY',
                    'insufficient access rights on cross-reference id',
                    [field.name]
                );
        }
    }

    create(ctx: CallContext, sobject: string, body: unknown): WriteResult {
        const def = this.object(ctx, sobject);
        if (def.kind === 'platformEvent') return this.publish(ctx, def, body);
        this.checkObject(ctx, def, 'create');
        const values = this.normalizeBody(ctx, def, body, 'create');
        const rec = this.newRow(ctx, def, values);
        const id = String(rec.Id);
        if (def.name === 'ContentVersion') this.prepareContentVersion(ctx, rec);
        this.org.apexTriggers?.before(ctx, def, 'insert', rec, undefined);
        this.derive(def, rec, undefined, ctx);
        this.requiredMissing(def, rec);
        this.checkUnique(def, rec);
        const fields: Record<string, FieldChange> = {};
        for (const [k, v] of Object.entries(rec)) if (v !== null && k !== 'Id') fields[k] = { old: null, new: v };
        ctx.tx.write(def.name, rec, { changeType: 'CREATE', fields });
        this.afterWrite(ctx, def, rec, undefined);
        this.org.apexTriggers?.after(ctx, def, 'insert', rec, undefined);
        return { id, created: true };
    }

    /** A new row: defaults, the given values, id, autonumbers, audit fields and owner. */
    private newRow(ctx: CallContext, def: ObjectDef, values: SfRecord): SfRecord {
        const now = formatDateTime(this.org.clock.nowMs());
        const rec: SfRecord = {};
        for (const f of def.fields) {
            if (f.type === 'address' || f.type === 'location') continue;
            rec[f.name] = f.defaultValue === undefined ? null : (f.defaultValue as SfValue);
            if (f.type === 'picklist' && f.defaultedOnCreate) {
                const dflt = f.picklistValues.find((p) => p.defaultValue);
                if (dflt) rec[f.name] = dflt.value;
            }
        }
        Object.assign(rec, values);
        rec.Id = this.org.ids.next(def.keyPrefix);
        rec.IsDeleted = false;
        for (const f of def.fields) {
            if (f.autoNumber) rec[f.name] = this.org.nextAutoNumber(def.name, f.name, f.displayFormat ?? '{00000000}');
        }
        if ('CreatedDate' in rec) {
            Object.assign(rec, {
                CreatedDate: now,
                CreatedById: ctx.userId,
                LastModifiedDate: now,
                LastModifiedById: ctx.userId,
                SystemModstamp: now
            });
        }
        if ('OwnerId' in rec && (rec.OwnerId === null || rec.OwnerId === undefined)) rec.OwnerId = ctx.userId;
        return rec;
    }

    /** A row the platform creates itself (no FLS or object checks), announced like any other write. */
    private insertSystemRow(ctx: CallContext, sobject: string, values: SfRecord): SfRecord {
        const def = this.schema.require(sobject);
        const rec = this.newRow(ctx, def, values);
        const fields: Record<string, FieldChange> = {};
        for (const [k, v] of Object.entries(rec)) if (v !== null && k !== 'Id') fields[k] = { old: null, new: v };
        ctx.tx.write(def.name, rec, { changeType: 'CREATE', fields });
        return rec;
    }

    private updateSystemRow(ctx: CallContext, sobject: string, old: SfRecord, values: SfRecord): void {
        const now = formatDateTime(this.org.clock.nowMs());
        const rec: SfRecord = {
            ...old,
            ...values,
            SystemModstamp: now,
            LastModifiedDate: now,
            LastModifiedById: ctx.userId
        };
        this.writeChanged(ctx, this.schema.require(sobject), old, rec);
    }

    /**
     * Inserting a ContentVersion: file facts from PathOnClient and VersionData, a new ContentDocument (or a new
     * version of the given one), and a ContentDocumentLink to FirstPublishLocationId — as the platform does.
     */
    private prepareContentVersion(ctx: CallContext, rec: SfRecord): void {
        const data = typeof rec.VersionData === 'string' ? rec.VersionData : null;
        if (data !== null && !/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(data)) {
            throw new SfError(400, 'INVALID_FIELD', 'VersionData: the value is not valid base64', ['VersionData']);
        }
        const bytes = data === null ? Buffer.alloc(0) : Buffer.from(data, 'base64');
        const ext = /\.([A-Za-z0-9]+)$/.exec(String(rec.PathOnClient ?? ''))?.[1]?.toLowerCase() ?? null;
        Object.assign(rec, {
            FileExtension: ext,
            FileType: ext ? ext.toUpperCase() : 'UNKNOWN',
            ContentSize: bytes.length,
            Checksum: createHash('md5').update(bytes).digest('hex'),
            IsLatest: true,
            PublishStatus: 'P',
            Origin: rec.Origin ?? 'C',
            ContentLocation: rec.ContentLocation ?? 'S'
        });
        if (typeof rec.ContentDocumentId === 'string') {
            const doc = this.row(this.schema.require('ContentDocument'), rec.ContentDocumentId);
            const versions = this.org.store
                .rows('ContentVersion')
                .filter((v) => v.ContentDocumentId === doc.Id && v.IsDeleted !== true);
            rec.VersionNumber = String(versions.length + 1);
            for (const v of versions.filter((x) => x.IsLatest === true))
                this.updateSystemRow(ctx, 'ContentVersion', v, { IsLatest: false });
            this.updateSystemRow(ctx, 'ContentDocument', doc, {
                Title: rec.Title ?? null,
                LatestPublishedVersionId: rec.Id ?? null,
                FileType: rec.FileType ?? null,
                FileExtension: rec.FileExtension ?? null,
                ContentSize: rec.ContentSize ?? null
            });
            return;
        }
        const doc = this.insertSystemRow(ctx, 'ContentDocument', {
            Title: rec.Title ?? null,
            Description: rec.Description ?? null,
            LatestPublishedVersionId: rec.Id ?? null,
            FileType: rec.FileType ?? null,
            FileExtension: rec.FileExtension ?? null,
            ContentSize: rec.ContentSize ?? null,
            PublishStatus: 'P',
            OwnerId: ctx.userId
        });
        rec.ContentDocumentId = doc.Id!;
        rec.VersionNumber = '1';
        if (typeof rec.FirstPublishLocationId === 'string') {
            this.insertSystemRow(ctx, 'ContentDocumentLink', {
                LinkedEntityId: rec.FirstPublishLocationId ?? null,
                ContentDocumentId: doc.Id!,
                ShareType: 'I',
                Visibility: 'AllUsers'
            });
        }
    }

    update(ctx: CallContext, sobject: string, idText: string, body: unknown): WriteResult {
        const def = this.object(ctx, sobject);
        const id = this.parseId(def, idText);
        const old = this.row(def, id);
        this.checkObject(ctx, def, 'edit');
        this.checkRecord(ctx, def, old, 'Edit');
        const values = this.normalizeBody(ctx, def, body, 'update');
        const rec: SfRecord = { ...old, ...values };
        const now = formatDateTime(this.org.clock.nowMs());
        if ('LastModifiedDate' in rec)
            Object.assign(rec, { LastModifiedDate: now, LastModifiedById: ctx.userId, SystemModstamp: now });
        this.org.apexTriggers?.before(ctx, def, 'update', rec, old);
        this.derive(def, rec, old, ctx);
        this.requiredMissing(def, rec, Object.keys(values));
        this.checkUnique(def, rec);
        this.writeChanged(ctx, def, old, rec);
        this.org.apexTriggers?.after(ctx, def, 'update', rec, old);
        return { id, created: false };
    }

    private writeChanged(ctx: CallContext, def: ObjectDef, old: SfRecord, rec: SfRecord): void {
        const fields: Record<string, FieldChange> = {};
        for (const [k, v] of Object.entries(rec)) if (old[k] !== v) fields[k] = { old: old[k] ?? null, new: v };
        ctx.tx.write(def.name, rec, { changeType: 'UPDATE', fields });
        this.afterWrite(ctx, def, rec, old);
    }

    upsert(
        ctx: CallContext,
        sobject: string,
        extFieldName: string,
        extValue: string,
        body: unknown,
        updateOnly = false
    ): WriteResult {
        const def = this.object(ctx, sobject);
        const extField = this.schema.field(def.name, extFieldName);
        if (!extField || !(extField.externalId || extField.type === 'id') || !ctx.access.field(def, extField).read)
            throw notFound();
        const withKey = { ...(body as Record<string, unknown>) };
        for (const k of Object.keys(withKey)) if (k.toLowerCase() === extField.name.toLowerCase()) delete withKey[k];
        if (extField.type === 'id') {
            // Upsert on Id: a row without an Id is inserted (collections and Bulk API 2.0 alike).
            const existing = extValue ? this.org.store.get(def.name, normalizeId(extValue) ?? '') : undefined;
            if (existing) return this.update(ctx, def.name, String(existing.Id), withKey);
            if (updateOnly || extValue) throw notFound();
            return this.create(ctx, def.name, withKey);
        }
        const matches = this.findByExternalId(def, extField, extValue);
        if (matches.length > 1) {
            throw new MultipleChoices(
                matches.map((r) => `/services/data/v${ctx.version}/sobjects/${def.name}/${String(r.Id)}`)
            );
        }
        if (matches.length === 1) return this.update(ctx, def.name, String(matches[0]!.Id), withKey);
        if (updateOnly) throw notFound();
        withKey[extField.name] = extValue;
        return this.create(ctx, def.name, withKey);
    }

    delete(ctx: CallContext, sobject: string, idText: string): WriteResult {
        const def = this.object(ctx, sobject);
        const id = this.parseId(def, idText);
        const old = this.row(def, id);
        this.checkObject(ctx, def, 'delete');
        this.checkRecord(ctx, def, old, 'Delete');
        this.org.apexTriggers?.before(ctx, def, 'delete', undefined, old);
        this.deleteRow(ctx, def, old);
        this.org.apexTriggers?.after(ctx, def, 'delete', undefined, old);
        return { id, created: false };
    }

    private deleteRow(ctx: CallContext, def: ObjectDef, old: SfRecord): void {
        const now = formatDateTime(this.org.clock.nowMs());
        const rec: SfRecord = { ...old, IsDeleted: true };
        if ('SystemModstamp' in rec)
            Object.assign(rec, { SystemModstamp: now, LastModifiedDate: now, LastModifiedById: ctx.userId });
        ctx.tx.write(def.name, rec, { changeType: 'DELETE', fields: {} });
        // Master-detail children go with their parent.
        for (const rel of this.schema.childRelationships(def.name).filter((r) => r.cascadeDelete)) {
            const childDef = this.schema.require(rel.childSObject);
            for (const child of this.org.store.rows(childDef.name)) {
                if (child[rel.field] === old.Id && child.IsDeleted !== true) this.deleteRow(ctx, childDef, child);
            }
        }
        this.afterWrite(ctx, def, rec, old);
    }

    /** Publishes a platform event: 201 with the OPERATION_ENQUEUED "error" carrying the event UUID. */
    private publish(ctx: CallContext, def: ObjectDef, body: unknown): WriteResult & { uuid: string } {
        if (!ctx.access.object(def).create)
            throw new SfError(400, 'INSUFFICIENT_ACCESS_OR_READONLY', 'insufficient access rights on object id', []);
        const values = this.normalizeBody(ctx, def, body, 'create');
        this.requiredMissing(def, values);
        const uuid = randomUUID();
        const id = this.org.ids.next(def.keyPrefix);
        const event = {
            sobject: def.name,
            uuid,
            fields: {
                ...values,
                CreatedDate: formatDateTime(this.org.clock.nowMs()),
                CreatedById: ctx.userId,
                EventUuid: uuid
            }
        };
        if (def.publishBehavior === 'PublishImmediately') this.org.publishNow(ctx.tx.context, event);
        else ctx.tx.events.push(event);
        return { id, created: true, uuid };
    }

    /** Fields the platform computes: names, stage-driven values, contract status category, CPQ totals. */
    private derive(def: ObjectDef, rec: SfRecord, old: SfRecord | undefined, ctx: CallContext): void {
        if (def.name === 'Contact' || def.name === 'User') {
            rec.Name = [rec.FirstName, rec.LastName].filter((x) => x).join(' ');
        }
        if (def.name === 'Opportunity') {
            const stage = OPPORTUNITY_STAGES.find((s) => s.value === rec.StageName);
            if (stage && (!old || old.StageName !== rec.StageName)) {
                rec.IsClosed = stage.closed;
                rec.IsWon = stage.won;
                rec.ForecastCategory =
                    stage.forecast === 'Closed' ? 'Closed' : stage.forecast === 'Omitted' ? 'Omitted' : 'Pipeline';
                if (!old || old.ForecastCategoryName === rec.ForecastCategoryName)
                    rec.ForecastCategoryName = stage.forecast;
                if (!old || old.Probability === rec.Probability) rec.Probability = stage.probability;
            }
            rec.ExpectedRevenue =
                typeof rec.Amount === 'number' && typeof rec.Probability === 'number'
                    ? (rec.Amount * rec.Probability) / 100
                    : null;
            if (typeof rec.CloseDate === 'string') {
                rec.FiscalYear = Number(rec.CloseDate.slice(0, 4));
                rec.FiscalQuarter = Math.floor((Number(rec.CloseDate.slice(5, 7)) - 1) / 3) + 1;
            }
            if (old && old.StageName !== rec.StageName) rec.LastStageChangeDate = rec.LastModifiedDate ?? null;
        }
        if (def.name === 'Contract') {
            rec.StatusCode = CONTRACT_STATUSES[String(rec.Status)] ?? rec.StatusCode ?? 'Draft';
            if (typeof rec.StartDate === 'string' && typeof rec.ContractTerm === 'number') {
                const start = new Date(`${rec.StartDate}T00:00:00Z`);
                const end = new Date(
                    Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + rec.ContractTerm, start.getUTCDate() - 1)
                );
                rec.EndDate = end.toISOString().slice(0, 10);
            } else rec.EndDate = null;
            if (rec.StatusCode === 'Activated' && (!old || old.StatusCode !== 'Activated')) {
                rec.ActivatedDate = formatDateTime(this.org.clock.peekMs());
                rec.ActivatedById = ctx.userId;
            }
        }
        if (def.name === 'SBQQ__QuoteLine__c') {
            const price = rec.SBQQ__NetPrice__c;
            const qty = rec.SBQQ__Quantity__c;
            rec.SBQQ__NetTotal__c =
                typeof price === 'number' && typeof qty === 'number' ? Math.round(price * qty * 100) / 100 : null;
            // The cross-object formulas SBQQ__Product__r.Name and .ProductCode, as the line is written.
            const product =
                typeof rec.SBQQ__Product__c === 'string'
                    ? this.org.store.get('Product2', rec.SBQQ__Product__c)
                    : undefined;
            rec.SBQQ__ProductName__c = product?.Name ?? null;
            rec.SBQQ__ProductCode__c = product?.ProductCode ?? null;
        }
    }

    /** Roll-ups: a quote line write recomputes its quote's summary fields in the same transaction. */
    private afterWrite(ctx: CallContext, def: ObjectDef, rec: SfRecord, old: SfRecord | undefined): void {
        if (def.name !== 'SBQQ__QuoteLine__c') return;
        const quoteIds = new Set(
            [rec.SBQQ__Quote__c, old?.SBQQ__Quote__c].filter((x): x is string => typeof x === 'string')
        );
        const quoteDef = this.schema.get('SBQQ__Quote__c');
        if (!quoteDef) return;
        for (const quoteId of quoteIds) {
            const quote = this.org.store.get(quoteDef.name, quoteId);
            if (!quote || quote.IsDeleted === true) continue;
            const lines = this.org.store
                .rows(def.name)
                .filter((l) => l.SBQQ__Quote__c === quoteId && l.IsDeleted !== true);
            const sum = (f: string) =>
                Math.round(lines.reduce((a, l) => a + (typeof l[f] === 'number' ? (l[f] as number) : 0), 0) * 100) /
                100;
            const next: SfRecord = {
                ...quote,
                SBQQ__NetAmount__c: sum('SBQQ__NetTotal__c'),
                SBQQ__LineItemCount__c: lines.length
            };
            if (
                next.SBQQ__NetAmount__c === quote.SBQQ__NetAmount__c &&
                next.SBQQ__LineItemCount__c === quote.SBQQ__LineItemCount__c
            )
                continue;
            const now = formatDateTime(this.org.clock.nowMs());
            Object.assign(next, { SystemModstamp: now, LastModifiedDate: now, LastModifiedById: ctx.userId });
            this.writeChanged(ctx, quoteDef, quote, next);
        }
    }

    /** GET of one record: all visible fields, or the `fields` list (unknown or hidden → 400 INVALID_FIELD). */
    retrieve(ctx: CallContext, sobject: string, idText: string, fieldList?: string[]): Record<string, unknown> {
        const def = this.object(ctx, sobject);
        const id = this.parseId(def, idText);
        const rec = this.visibleRow(ctx, def, id);
        const fields = fieldList
            ? fieldList.map((n) => this.fieldOrInvalid(ctx, def, n.trim()))
            : ctx.access.visibleFields(def);
        return this.render(def, rec, fields, ctx.version);
    }

    render(def: ObjectDef, rec: SfRecord, fields: FieldDef[], version: string): Record<string, unknown> {
        const out: Record<string, unknown> = {
            attributes: { type: def.name, url: `/services/data/v${version}/sobjects/${def.name}/${String(rec.Id)}` }
        };
        for (const f of fields) out[f.name] = this.value(def, rec, f, version);
        return out;
    }

    /** A field's value as JSON shows it; compound address fields are assembled from their parts. */
    value(def: ObjectDef, rec: SfRecord, f: FieldDef, version = '62.0'): unknown {
        // Blobs are served from their own resource; the record carries its URL.
        if (f.type === 'base64') {
            return rec[f.name] === null || rec[f.name] === undefined
                ? null
                : `/services/data/v${version}/sobjects/${def.name}/${String(rec.Id)}/${f.name}`;
        }
        if (f.type === 'address') {
            const prefix = f.name.replace(/Address$/, '');
            const part = (n: string) => rec[`${prefix}${n}`] ?? null;
            const parts = [
                'Street',
                'City',
                'State',
                'PostalCode',
                'Country',
                'Latitude',
                'Longitude',
                'GeocodeAccuracy'
            ].map(part);
            if (parts.every((p) => p === null)) return null;
            return {
                city: part('City'),
                country: part('Country'),
                geocodeAccuracy: part('GeocodeAccuracy'),
                latitude: part('Latitude'),
                longitude: part('Longitude'),
                postalCode: part('PostalCode'),
                state: part('State'),
                street: part('Street')
            };
        }
        void def;
        return rec[f.name] ?? null;
    }
}
