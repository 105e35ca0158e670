// Object- and field-level security, computed from the same PermissionSet / PermissionSetAssignment /
// ObjectPermissions / FieldPermissions rows that SOQL serves, so what a user may do and what a pre-flight
// query reports can never disagree. Profiles are profile-owned permission sets, as on the platform.
//
// Rules (documented in the README):
// - Modify All Data (System Administrator): everything readable and writable.
// - Setup objects (User, Profile, Organization, PermissionSet…), custom metadata: readable by every user;
//   writable only with Modify All Data.
// - Other objects: the union of ObjectPermissions of the user's assigned permission sets (profile included).
// - Fields that are not permissionable (Id, Name, required and audit fields): visible whenever the object is.
// - Standard permissionable fields: readable with object Read, editable with object Edit or Create.
// - Custom fields: only what FieldPermissions rows grant (PermissionsRead / PermissionsEdit).
import type { RecordStore, SfRecord } from './store.ts';
import type { SchemaRegistry } from './schema/registry.ts';
import type { FieldDef, ObjectDef } from './schema/types.ts';
import { atLeast, type AccessLevel, type OrgSharing } from './sharing.ts';

export interface ObjectAccess {
    read: boolean;
    create: boolean;
    edit: boolean;
    delete: boolean;
    viewAll: boolean;
    modifyAll: boolean;
}

export interface FieldAccess {
    read: boolean;
    edit: boolean;
}

const NONE: ObjectAccess = { read: false, create: false, edit: false, delete: false, viewAll: false, modifyAll: false };
const ALL: ObjectAccess = { read: true, create: true, edit: true, delete: true, viewAll: true, modifyAll: true };
const READ_ONLY: ObjectAccess = { ...NONE, read: true };
const EVERYONE_READS = new Set(['User', 'Profile', 'Organization']);
/**
 * Files are not governed by object permissions (a permission set has no ContentVersion setting): every API user
 * may upload a file and link it to a record they can see; access to each file follows its links.
 */
const FILES = new Set(['ContentVersion', 'ContentDocument', 'ContentDocumentLink']);
/** Objects with no object permission of their own: access is the parent's (Opportunity contact roles). */
const ACCESS_OF_PARENT: Readonly<Record<string, string>> = { OpportunityContactRole: 'Opportunity' };

export class AccessView {
    readonly permissionSetIds: Set<string>;
    readonly modifyAllData: boolean;
    readonly viewAllData: boolean;
    readonly viewAllUsers: boolean;
    private objectMemo = new Map<string, ObjectAccess>();
    private fieldMemo = new Map<string, FieldAccess>();

    constructor(
        private readonly store: RecordStore,
        private readonly schema: SchemaRegistry,
        readonly userId: string,
        private readonly sharing?: OrgSharing
    ) {
        this.permissionSetIds = new Set(
            store
                .rows('PermissionSetAssignment')
                .filter((a) => a.AssigneeId === userId && !a.IsDeleted)
                .map((a) => String(a.PermissionSetId))
        );
        const sets = [...this.permissionSetIds]
            .map((id) => store.get('PermissionSet', id))
            .filter((p): p is SfRecord => !!p);
        this.modifyAllData = sets.some((p) => p.PermissionsModifyAllData === true);
        this.viewAllData = this.modifyAllData || sets.some((p) => p.PermissionsViewAllData === true);
        this.viewAllUsers = this.modifyAllData || sets.some((p) => p.PermissionsViewAllUsers === true);
    }

    object(def: ObjectDef): ObjectAccess {
        const memo = this.objectMemo.get(def.name);
        if (memo) return memo;
        const access = this.computeObject(def);
        this.objectMemo.set(def.name, access);
        return access;
    }

    private computeObject(def: ObjectDef): ObjectAccess {
        const limit = (a: ObjectAccess): ObjectAccess => ({
            ...a,
            read: a.read && def.queryable,
            create: a.create && def.createable,
            edit: a.edit && def.updateable,
            delete: a.delete && def.deletable
        });
        // Platform events are published, never read: Create is the permission that matters.
        if (this.modifyAllData)
            return def.kind === 'platformEvent' ? { ...NONE, read: true, create: true } : limit(ALL);
        if (def.kind === 'setup' || def.kind === 'customMetadata' || EVERYONE_READS.has(def.name)) return READ_ONLY;
        if (FILES.has(def.name)) return limit({ ...NONE, read: true, create: true, edit: true });
        const parent = ACCESS_OF_PARENT[def.name];
        if (parent) return limit(this.objectByName(parent));
        const out = { ...NONE };
        for (const row of this.store.rows('ObjectPermissions')) {
            if (row.SobjectType !== def.name || !this.permissionSetIds.has(String(row.ParentId))) continue;
            out.read ||= row.PermissionsRead === true;
            out.create ||= row.PermissionsCreate === true;
            out.edit ||= row.PermissionsEdit === true;
            out.delete ||= row.PermissionsDelete === true;
            out.viewAll ||= row.PermissionsViewAllRecords === true;
            out.modifyAll ||= row.PermissionsModifyAllRecords === true;
        }
        if (this.viewAllData) out.read = true;
        // Platform events are published, never read: Create is the permission that matters.
        if (def.kind === 'platformEvent') return { ...out, read: out.read || out.create };
        return limit(out);
    }

    field(def: ObjectDef, field: FieldDef): FieldAccess {
        const key = `${def.name}.${field.name}`;
        const memo = this.fieldMemo.get(key);
        if (memo) return memo;
        const obj = this.object(def);
        let access: FieldAccess;
        if (!obj.read) access = { read: false, edit: false };
        else if (this.modifyAllData || !field.permissionable) access = { read: true, edit: obj.edit || obj.create };
        // Platform event fields have no field-level security: whoever may publish the event sets every field
        // (Platform Events Developer Guide, "Considerations for Defining and Publishing Platform Events").
        else if (def.kind === 'platformEvent') access = { read: true, edit: obj.create };
        // Custom metadata is granted per type (customMetadataTypeAccesses), not per field; records change by deploy.
        else if (def.kind === 'customMetadata') access = { read: true, edit: false };
        else if (!field.custom) access = { read: true, edit: obj.edit || obj.create };
        else {
            access = { read: this.viewAllData, edit: false };
            for (const row of this.store.rows('FieldPermissions')) {
                if (row.Field !== key || !this.permissionSetIds.has(String(row.ParentId))) continue;
                access.read ||= row.PermissionsRead === true;
                access.edit ||= row.PermissionsEdit === true;
            }
            access.edit &&= access.read;
        }
        this.fieldMemo.set(key, access);
        return access;
    }

    /** The user's access to one record by sharing (sharing.ts); 'All' where the org models no sharing. */
    record(def: ObjectDef, rec: SfRecord): AccessLevel {
        return this.sharing ? this.sharing.level(this, def, rec) : 'All';
    }

    canSee(def: ObjectDef, rec: SfRecord): boolean {
        return atLeast(this.record(def, rec), 'Read');
    }

    canRead(def: ObjectDef, field: FieldDef): boolean {
        return this.field(def, field).read;
    }

    /** Fields of the object this user may see, in describe order. */
    visibleFields(def: ObjectDef): FieldDef[] {
        return def.fields.filter((f) => this.field(def, f).read);
    }

    /** For callers that only have a name. */
    objectByName(name: string): ObjectAccess {
        const def = this.schema.get(name);
        return def ? this.object(def) : NONE;
    }
}
