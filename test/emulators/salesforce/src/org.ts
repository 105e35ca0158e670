// The org: schema, records, users, permission sets, sessions, limits, counters, faults and the transaction
// hook, plus the seeded state `reset()` returns to.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import path from 'node:path';
import { AccessView } from './access.ts';
import { OrgSharing, type SharingOption } from './sharing.ts';
import { SessionStore } from './auth/sessions.ts';
import { Clock, formatDateTime } from './clock.ts';
import { FaultInjector } from './faults.ts';
import { TransactionBus } from './hook.ts';
import { IdGenerator } from './ids.ts';
import { Counters, Limits } from './limits.ts';
import { cpqObjects } from './schema/cpq-objects.ts';
import { loadMetadataDir, type LoadedMetadata, type PermissionSetDef } from './schema/metadata-loader.ts';
import { SchemaRegistry } from './schema/registry.ts';
import { ORG_CURRENCIES, standardObjects } from './schema/standard-objects.ts';
import {
    RecordStore,
    Transaction,
    type PublishedEvent,
    type SfRecord,
    type SfValue,
    type TransactionContext
} from './store.ts';
import { coerceStored } from './values.ts';
import { apexObjects } from './apex/objects.ts';
import { loadPackageApex } from './apex/deploy.ts';
import type { CallContext } from './data.ts';
import type { ObjectDef } from './schema/types.ts';

/** Runs Apex triggers around one record write; throws the SfError a trigger's addError makes. */
export interface ApexTriggerHook {
    before(
        ctx: CallContext,
        def: ObjectDef,
        op: 'insert' | 'update' | 'delete',
        rec: SfRecord | undefined,
        old: SfRecord | undefined
    ): void;
    after(
        ctx: CallContext,
        def: ObjectDef,
        op: 'insert' | 'update' | 'delete',
        rec: SfRecord | undefined,
        old: SfRecord | undefined
    ): void;
}

const savedStateSchema = z.object({
    version: z.literal(1),
    orgId: z.string(),
    ids: z.record(z.string(), z.number().int().min(0)),
    autoNumbers: z.record(z.string(), z.number().int().min(0)),
    records: z.record(
        z.string(),
        z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])))
    )
});
export type SavedState = z.infer<typeof savedStateSchema>;

export interface OrgOptions {
    /** Directories of package metadata (SFDX source or metadata-API format) loaded beside the standard objects. */
    metadataDirs: string[];
    dailyApiMax: number;
    sessionTimeoutMs: number;
    /** Multi-currency enabled: CurrencyType rows, and CurrencyIsoCode on every currency-enabled record. */
    multiCurrency?: boolean;
    /** Organization-wide sharing defaults (sharing.ts): `'private'` or per object; Public Read/Write otherwise. */
    sharing?: SharingOption;
}

export const SEEDED_USERS = {
    admin: {
        username: 'admin@clm-emulator.example',
        first: 'Ada',
        last: 'Admin',
        alias: 'aadmin',
        profile: 'System Administrator',
        permissionSets: ['Clm_Connector_Admin']
    },
    integration: {
        username: 'integration@clm-emulator.example',
        first: 'Integration',
        last: 'User',
        alias: 'integ',
        profile: 'Minimum Access - API Only Integrations',
        permissionSets: ['Clm_Connector_Integration', 'Clm_Connector_Integration_Cpq']
    },
    salesRep: {
        username: 'sales.rep@clm-emulator.example',
        first: 'Sam',
        last: 'Seller',
        alias: 'sseller',
        profile: 'Standard User',
        permissionSets: ['Clm_Connector_User']
    }
} as const;
export type SeededUserKey = keyof typeof SEEDED_USERS;

/** Object permissions each profile carries (profile-owned permission sets). */
const PROFILE_OBJECT_ACCESS: Record<string, Record<string, string>> = {
    'System Administrator': {},
    'Standard User': {
        Account: 'RCED',
        Contact: 'RCED',
        Opportunity: 'RCED',
        Contract: 'RCE',
        Product2: 'R',
        Pricebook2: 'R',
        PricebookEntry: 'R',
        ContentVersion: 'RCE',
        ContentDocument: 'RED',
        ContentDocumentLink: 'RCED'
    },
    'Minimum Access - API Only Integrations': {}
};

export class Org {
    readonly clock = new Clock();
    ids = new IdGenerator();
    schema!: SchemaRegistry;
    readonly store = new RecordStore();
    /** Organization-wide defaults and who sees which record (rebuilt with the schema). */
    sharing!: OrgSharing;
    readonly limits: Limits;
    readonly counters = new Counters();
    readonly faults = new FaultInjector();
    readonly hook = new TransactionBus();
    readonly sessions: SessionStore;
    readonly orgId: string;
    readonly orgId15: string;
    loaded: LoadedMetadata[] = [];
    userIds!: Record<SeededUserKey, string>;
    autoNumbers = new Map<string, number>();
    /** Apex triggers of the installed program, run by every record write (DataService). */
    apexTriggers: ApexTriggerHook | undefined;

    constructor(readonly options: OrgOptions) {
        this.orgId = IdGenerator.make('00D', 1);
        this.orgId15 = this.orgId.slice(0, 15);
        this.limits = new Limits(options.dailyApiMax);
        this.sessions = new SessionStore(this.clock, this.orgId15, options.sessionTimeoutMs);
        this.build();
        // The package's Apex runs without a deploy call, as it would in an org it was installed in.
        loadPackageApex(this);
    }

    /** Back to the seeded state: schema from metadata, records, limits, counters and faults. Sessions survive. */
    reset(): void {
        this.store.clear();
        this.ids = new IdGenerator();
        this.autoNumbers.clear();
        this.limits.reset();
        this.counters.reset();
        this.faults.clear();
        this.build();
    }

    private build(): void {
        this.schema = new SchemaRegistry(() => this.clock.peekMs());
        const multiCurrency = this.options.multiCurrency === true;
        for (const def of [...standardObjects({ multiCurrency }), ...cpqObjects(), ...apexObjects()])
            this.schema.addObject(def);
        this.loaded = this.options.metadataDirs.map((dir) => loadMetadataDir(dir, this.schema));
        this.sharing = new OrgSharing(this.schema, this.store, this.options.sharing);
        this.seed();
    }

    /** Whether one of the user's permission sets grants the custom permission (SetupEntityAccess rows). */
    hasCustomPermission(userId: string, name: string): boolean {
        const permission = this.store
            .rows('CustomPermission')
            .find((c) => String(c.DeveloperName).toLowerCase() === name.toLowerCase());
        if (!permission) return false;
        const sets = new Set(
            this.store
                .rows('PermissionSetAssignment')
                .filter((a) => a.AssigneeId === userId && a.IsDeleted !== true)
                .map((a) => String(a.PermissionSetId))
        );
        return this.store
            .rows('SetupEntityAccess')
            .some((e) => e.SetupEntityId === permission.Id && sets.has(String(e.ParentId)) && e.IsDeleted !== true);
    }

    /** Records, id counters and autonumbers: what `--state-file` keeps between runs. */
    exportState(): SavedState {
        const records: Record<string, SfRecord[]> = {};
        for (const def of this.schema.all()) {
            const rows = this.store.rows(def.name);
            if (rows.length > 0) records[def.name] = rows;
        }
        return {
            version: 1,
            orgId: this.orgId,
            ids: this.ids.counts(),
            autoNumbers: Object.fromEntries(this.autoNumbers),
            records
        };
    }

    /** Replaces the records with a saved state; objects the schema no longer has are skipped (and reported). */
    importState(raw: unknown): string[] {
        const state = savedStateSchema.parse(raw);
        const skipped: string[] = [];
        this.store.clear();
        for (const [sobject, rows] of Object.entries(state.records)) {
            const def = this.schema.get(sobject);
            if (!def) {
                skipped.push(sobject);
                continue;
            }
            for (const row of rows) this.store.seed(def.name, row);
        }
        this.ids = IdGenerator.resume(state.ids);
        this.autoNumbers = new Map(Object.entries(state.autoNumbers));
        return skipped;
    }

    access(userId: string): AccessView {
        return new AccessView(this.store, this.schema, userId, this.sharing);
    }

    begin(context: TransactionContext): Transaction {
        return new Transaction(this.store, context);
    }

    /** Publishes a finished transaction to the hook (nothing when it changed nothing). */
    commit(tx: Transaction): void {
        if (tx.done) return;
        tx.done = true;
        if (tx.changes.length === 0 && tx.events.length === 0) return;
        this.hook.publish({
            ...tx.context,
            transactionKey: tx.key,
            commitTimestamp: this.clock.peekMs(),
            changes: tx.changes,
            events: tx.events
        });
    }

    /**
     * A PublishImmediately platform event goes out at once, in a transaction of its own, so a later rollback of
     * the write that published it does not take it back.
     */
    publishNow(context: TransactionContext, event: PublishedEvent): void {
        this.hook.publish({
            ...context,
            transactionKey: randomUUID(),
            commitTimestamp: this.clock.peekMs(),
            changes: [],
            events: [event]
        });
    }

    findUser(username: string): SfRecord | undefined {
        const wanted = username.toLowerCase();
        return this.store.rows('User').find((u) => String(u.Username).toLowerCase() === wanted);
    }

    nextAutoNumber(sobject: string, field: string, format: string): string {
        const key = `${sobject}.${field}`;
        const n = (this.autoNumbers.get(key) ?? 0) + 1;
        this.autoNumbers.set(key, n);
        return format.replace(/\{(0+)\}/, (_m, zeros: string) => String(n).padStart(zeros.length, '0'));
    }

    /**
     * Adds (or replaces) a package permission set as PermissionSet, ObjectPermissions and FieldPermissions
     * rows — the rows access.ts reads. Existing assignments keep pointing at the same PermissionSet id.
     */
    addPermissionSet(ps: PermissionSetDef): string {
        const existing = this.store
            .rows('PermissionSet')
            .find((r) => r.Name === ps.name && r.IsOwnedByProfile !== true);
        const values = {
            Name: ps.name,
            Label: ps.label,
            Description: ps.description.slice(0, 255) || null,
            IsOwnedByProfile: false,
            PermissionsApiEnabled: ps.userPermissions.includes('ApiEnabled'),
            PermissionsModifyAllData: ps.userPermissions.includes('ModifyAllData'),
            PermissionsViewAllData: ps.userPermissions.includes('ViewAllData'),
            PermissionsViewAllUsers: ps.userPermissions.includes('ViewAllUsers')
        };
        let id: string;
        if (existing) {
            id = String(existing.Id);
            Object.assign(existing, values);
            for (const t of ['ObjectPermissions', 'FieldPermissions', 'SetupEntityAccess']) {
                for (const r of this.store.rows(t)) if (r.ParentId === id) this.store.table(t).delete(String(r.Id));
            }
        } else id = String(this.seedRecord('PermissionSet', values).Id);
        for (const o of ps.objectPermissions) {
            this.seedRecord('ObjectPermissions', {
                ParentId: id,
                SobjectType: o.object,
                PermissionsRead: o.allowRead,
                PermissionsCreate: o.allowCreate,
                PermissionsEdit: o.allowEdit,
                PermissionsDelete: o.allowDelete,
                PermissionsViewAllRecords: o.viewAllRecords,
                PermissionsModifyAllRecords: o.modifyAllRecords
            });
        }
        for (const name of ps.customPermissions ?? []) {
            const permission =
                this.store
                    .rows('CustomPermission')
                    .find((c) => String(c.DeveloperName).toLowerCase() === name.toLowerCase()) ??
                this.seedRecord('CustomPermission', { DeveloperName: name, MasterLabel: name });
            this.seedRecord('SetupEntityAccess', {
                ParentId: id,
                SetupEntityId: String(permission.Id),
                SetupEntityType: 'CustomPermission'
            });
        }
        for (const fp of ps.fieldPermissions) {
            this.seedRecord('FieldPermissions', {
                ParentId: id,
                SobjectType: fp.field.split('.')[0] ?? '',
                Field: fp.field,
                PermissionsRead: fp.readable || fp.editable,
                PermissionsEdit: fp.editable
            });
        }
        return id;
    }

    /** Inserts a seed row with its audit fields, bypassing validation and the hook. */
    seedRecord(sobject: string, values: Record<string, SfValue>, createdBy?: string): SfRecord {
        const def = this.schema.require(sobject);
        const now = formatDateTime(this.clock.nowMs());
        const id = this.ids.next(def.keyPrefix);
        const by = createdBy ?? this.userIds?.admin ?? id;
        const rec: SfRecord = {};
        for (const f of def.fields) rec[f.name] = f.type === 'boolean' ? f.defaultValue === true : null;
        Object.assign(rec, { Id: id, IsDeleted: false });
        if ('CreatedDate' in rec)
            Object.assign(rec, {
                CreatedDate: now,
                LastModifiedDate: now,
                SystemModstamp: now,
                CreatedById: by,
                LastModifiedById: by
            });
        if ('OwnerId' in rec) rec.OwnerId = by;
        for (const [k, v] of Object.entries(values)) {
            const field = this.schema.field(sobject, k);
            if (field) rec[field.name] = v;
        }
        this.store.seed(def.name, rec);
        return rec;
    }

    private seed(): void {
        // The first 00D id handed out is the org id itself.
        this.seedRecord('Organization', {
            Name: 'CLM Emulator Org',
            OrganizationType: 'Developer Edition',
            IsSandbox: false,
            InstanceName: 'EMU1',
            NamespacePrefix: null,
            TrialExpirationDate: null,
            DefaultLocaleSidKey: 'en_US',
            TimeZoneSidKey: 'GMT',
            LanguageLocaleKey: 'en_US',
            FiscalYearStartMonth: 1
        });

        const profileIds = new Map<string, string>();
        const profilePermSets = new Map<string, string>();
        for (const [profile, objects] of Object.entries(PROFILE_OBJECT_ACCESS)) {
            const admin = profile === 'System Administrator';
            const row = this.seedRecord('Profile', {
                Name: profile,
                UserType: 'Standard',
                PermissionsModifyAllData: admin,
                PermissionsViewAllData: admin,
                PermissionsViewAllUsers: admin,
                PermissionsApiEnabled: true
            });
            profileIds.set(profile, String(row.Id));
            const ps = this.seedRecord('PermissionSet', {
                Name: `X${String(row.Id).slice(0, 15)}`,
                Label: profile,
                IsOwnedByProfile: true,
                ProfileId: String(row.Id),
                PermissionsApiEnabled: true,
                PermissionsModifyAllData: admin,
                PermissionsViewAllData: admin,
                PermissionsViewAllUsers: admin
            });
            profilePermSets.set(profile, String(ps.Id));
            for (const [object, flags] of Object.entries(objects)) {
                this.seedRecord('ObjectPermissions', {
                    ParentId: String(ps.Id),
                    SobjectType: object,
                    PermissionsRead: flags.includes('R'),
                    PermissionsCreate: flags.includes('C'),
                    PermissionsEdit: flags.includes('E'),
                    PermissionsDelete: flags.includes('D'),
                    PermissionsViewAllRecords: false,
                    PermissionsModifyAllRecords: false
                });
            }
        }

        const userIds: Partial<Record<SeededUserKey, string>> = {};
        for (const [key, u] of Object.entries(SEEDED_USERS) as [
            SeededUserKey,
            (typeof SEEDED_USERS)[SeededUserKey]
        ][]) {
            const row = this.seedRecord('User', {
                Username: u.username,
                FirstName: u.first,
                LastName: u.last,
                Name: `${u.first} ${u.last}`,
                Email: u.username,
                Alias: u.alias,
                CommunityNickname: u.alias,
                IsActive: true,
                TimeZoneSidKey: 'GMT',
                LocaleSidKey: 'en_US',
                EmailEncodingKey: 'UTF-8',
                LanguageLocaleKey: 'en_US',
                ProfileId: profileIds.get(u.profile)!,
                UserType: 'Standard',
                CompanyName: 'CLM Emulator Org'
            });
            userIds[key] = String(row.Id);
            if (key === 'admin') {
                // The admin created everything seeded so far.
                for (const t of ['Organization', 'Profile', 'PermissionSet', 'ObjectPermissions', 'User']) {
                    for (const r of this.store.rows(t)) {
                        for (const k of ['CreatedById', 'LastModifiedById', 'OwnerId'])
                            if (k in r) r[k] = userIds.admin!;
                    }
                }
            }
            this.seedRecord('PermissionSetAssignment', {
                AssigneeId: String(row.Id),
                PermissionSetId: profilePermSets.get(u.profile)!,
                IsActive: true
            });
        }
        this.userIds = userIds as Record<SeededUserKey, string>;

        const permSetIds = new Map<string, string>();
        for (const ps of this.loaded.flatMap((l) => l.permissionSets))
            permSetIds.set(ps.name, this.addPermissionSet(ps));
        for (const [key, u] of Object.entries(SEEDED_USERS) as [
            SeededUserKey,
            (typeof SEEDED_USERS)[SeededUserKey]
        ][]) {
            // The CPQ permission set exists only where force-app-cpq was loaded.
            for (const psId of u.permissionSets.map((name) => permSetIds.get(name)).filter((id) => id !== undefined))
                this.seedRecord('PermissionSetAssignment', {
                    AssigneeId: this.userIds[key],
                    PermissionSetId: psId,
                    IsActive: true
                });
        }

        this.seedRecord('Pricebook2', { Name: 'Standard Price Book', IsActive: true, IsStandard: true });
        for (const currency of this.options.multiCurrency ? ORG_CURRENCIES : []) {
            this.seedRecord('CurrencyType', {
                IsoCode: currency.isoCode,
                ConversionRate: currency.conversionRate,
                DecimalPlaces: currency.isoCode === 'JPY' ? 0 : 2,
                IsActive: true,
                IsCorporate: currency.corporate
            });
        }

        for (const rec of this.loaded.flatMap((l) => l.customMetadataRecords)) {
            const def = this.schema.get(rec.type);
            if (!def) continue;
            const values: Record<string, SfValue> = {
                DeveloperName: rec.developerName,
                MasterLabel: rec.label,
                Label: rec.label,
                QualifiedApiName: rec.developerName,
                Language: 'en_US'
            };
            for (const [k, v] of Object.entries(rec.values)) {
                const field = this.schema.field(def.name, k);
                if (field) values[field.name] = v === null ? null : coerceStored(field, String(v));
            }
            this.seedRecord(def.name, values);
        }
    }
}

/** force-app and force-app-cpq of the repository this emulator lives in, when present. */
export function packageMetadataDirs(repoRoot: string): string[] {
    return ['force-app', 'force-app-cpq'].map((d) => path.join(repoRoot, d)).filter((d) => existsSync(d));
}
