// Record-level sharing: which records of an object a user may see and change, on top of the object and field
// permissions access.ts computes. From the Salesforce Help ("Organization-Wide Sharing Defaults", "Object
// Permissions": View All / Modify All, "Built-in Sharing Behavior": implicit sharing) and the UserRecordAccess
// object reference. Modelled:
// - the organization-wide default of each object: Private, Read (Public Read Only), ReadWrite (Public
//   Read/Write), ReadWriteTransfer, FullAccess, ControlledByParent (a master-detail child, or a Contact on its
//   Account: access is the parent record's);
// - the record owner: full access (MaxAccessLevel All);
// - View All Data / View All Records on the object: read; Modify All Data / Modify All Records: full access;
// - implicit parent sharing: whoever can see an Opportunity or Contact can read its Account.
// Not modelled: role hierarchy, sharing rules, manual shares (__Share rows), teams, territories, restriction rules.
import type { FieldDef, ObjectDef } from './schema/types.ts';
import type { SchemaRegistry } from './schema/registry.ts';
import type { RecordStore, SfRecord } from './store.ts';

export const SHARING_MODELS = [
    'Private',
    'Read',
    'ReadWrite',
    'ReadWriteTransfer',
    'FullAccess',
    'ControlledByParent'
] as const;
export type SharingModel = (typeof SHARING_MODELS)[number];

/** UserRecordAccess.MaxAccessLevel, lowest first. */
export const ACCESS_LEVELS = ['None', 'Read', 'Edit', 'Delete', 'Transfer', 'All'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

export function atLeast(level: AccessLevel, wanted: AccessLevel): boolean {
    return ACCESS_LEVELS.indexOf(level) >= ACCESS_LEVELS.indexOf(wanted);
}

/**
 * The org's sharing settings: `'private'` is the test org a security review asks for (Account, Opportunity,
 * Contract and the CPQ quote Private, Contact controlled by its Account); a map sets single objects. Objects not
 * named keep their default: a custom object its metadata's sharingModel, Contact ControlledByParent, every other
 * standard object with an owner Public Read/Write (the emulator's behaviour before sharing was modelled).
 */
export type SharingOption = 'private' | Readonly<Record<string, SharingModel>>;

const PRIVATE_ORG: Readonly<Record<string, SharingModel>> = {
    Account: 'Private',
    Contact: 'ControlledByParent',
    Opportunity: 'Private',
    Contract: 'Private',
    SBQQ__Quote__c: 'Private'
};

/** What the user's permissions say before sharing is asked (AccessView's fields). */
export interface SharingSubject {
    readonly userId: string;
    readonly modifyAllData: boolean;
    readonly viewAllData: boolean;
    object(def: ObjectDef): { viewAll: boolean; modifyAll: boolean };
}

/** Files, setup objects, events, custom metadata and settings are not shared record by record. */
const UNSHARED = new Set(['ContentVersion', 'ContentDocument', 'ContentDocumentLink', 'User']);

export class OrgSharing {
    private readonly overrides: Record<string, SharingModel>;

    constructor(
        private readonly schema: SchemaRegistry,
        private readonly store: RecordStore,
        option?: SharingOption
    ) {
        this.overrides = { ...(option === 'private' ? PRIVATE_ORG : (option ?? {})) };
    }

    /** Setup → Sharing Settings: changes an object's default (the admin API; a reset restores the start's). */
    setDefault(def: ObjectDef, model: SharingModel): void {
        if (this.modelOf(def) === null)
            throw new Error(`${def.name} records are not shared one by one: it has no organization-wide default`);
        this.overrides[def.name] = model;
    }

    /** Every object with an organization-wide default, and that default. */
    defaults(): Record<string, SharingModel> {
        const out: Record<string, SharingModel> = {};
        for (const def of this.schema.all()) {
            const model = this.modelOf(def);
            if (model) out[def.name] = model;
        }
        return out;
    }

    /** The object's organization-wide default; null when its records are not shared one by one. */
    modelOf(def: ObjectDef): SharingModel | null {
        if ((def.kind !== 'standard' && def.kind !== 'custom') || def.customSetting || UNSHARED.has(def.name))
            return null;
        const parent = this.parentField(def);
        const owned = def.fields.some((f) => f.name === 'OwnerId');
        if (!owned && !parent) return null;
        if (parent && !owned) return 'ControlledByParent';
        const set = this.overrides[def.name];
        if (set) return set;
        if (def.sharingModel && (SHARING_MODELS as readonly string[]).includes(def.sharingModel))
            return def.sharingModel as SharingModel;
        return def.name === 'Contact' ? 'ControlledByParent' : 'ReadWrite';
    }

    /** The master-detail field (a Contact's AccountId) whose record decides access under ControlledByParent. */
    private parentField(def: ObjectDef): FieldDef | undefined {
        if (def.name === 'Contact') return def.fields.find((f) => f.name === 'AccountId');
        return def.fields.find((f) => f.type === 'reference' && f.cascadeDelete);
    }

    /** The user's access to one record: MaxAccessLevel as UserRecordAccess reports it. */
    level(user: SharingSubject, def: ObjectDef, rec: SfRecord, depth = 0): AccessLevel {
        const model = this.modelOf(def);
        if (model === null || user.modifyAllData) return 'All';
        const perms = user.object(def);
        if (perms.modifyAll) return 'All';
        if (rec.OwnerId !== undefined && rec.OwnerId === user.userId) return 'All';
        let level: AccessLevel = 'None';
        if (model === 'ControlledByParent') {
            const field = this.parentField(def);
            const parentId = field ? rec[field.name] : null;
            const parentDef =
                field && typeof parentId === 'string' ? this.schema.get(field.referenceTo[0]!) : undefined;
            const parent = parentDef ? this.store.get(parentDef.name, String(parentId)) : undefined;
            if (parentDef && parent && depth < 4) level = this.level(user, parentDef, parent, depth + 1);
        } else if (model === 'Read') level = 'Read';
        else if (model === 'ReadWrite' || model === 'ReadWriteTransfer') level = 'Edit';
        else if (model === 'FullAccess') level = 'All';
        if (level === 'None' && (perms.viewAll || user.viewAllData)) level = 'Read';
        if (level === 'None' && def.name === 'Account' && depth === 0 && this.seesAChildOf(user, rec)) level = 'Read';
        return level;
    }

    /** Implicit parent sharing: a user who can see an Opportunity or Contact of the account may read it. */
    private seesAChildOf(user: SharingSubject, account: SfRecord): boolean {
        for (const child of ['Opportunity', 'Contact']) {
            const def = this.schema.get(child);
            if (!def || this.modelOf(def) === 'ControlledByParent') continue;
            for (const row of this.store.rows(def.name)) {
                if (row.AccountId !== account.Id || row.IsDeleted === true) continue;
                if (atLeast(this.level(user, def, row, 1), 'Read')) return true;
            }
        }
        return false;
    }
}
