/**
 * What the integration user may do, computed the way the platform does from the user's permission sets (the
 * profile's included, as a profile-owned permission set): object access is the union of ObjectPermissions,
 * a permissionable field needs a FieldPermissions grant, View/Modify All Data see (and change) everything.
 * The admin running the CLI reads these rows; nobody has to log in as the integration user.
 */
import { z } from 'zod';
import type { DescribeField } from './orgCatalog.ts';

export const PermissionSetRow = z.object({
    Id: z.string(),
    Name: z.string(),
    PermissionsModifyAllData: z.boolean().nullish(),
    PermissionsViewAllData: z.boolean().nullish()
});
export const ObjectPermissionRow = z.object({
    ParentId: z.string(),
    SobjectType: z.string(),
    PermissionsRead: z.boolean().nullish(),
    PermissionsCreate: z.boolean().nullish(),
    PermissionsEdit: z.boolean().nullish(),
    PermissionsViewAllRecords: z.boolean().nullish()
});
export const FieldPermissionRow = z.object({
    ParentId: z.string(),
    Field: z.string(),
    PermissionsRead: z.boolean().nullish(),
    PermissionsEdit: z.boolean().nullish()
});
export type PermissionSetRow = z.infer<typeof PermissionSetRow>;
export type ObjectPermissionRow = z.infer<typeof ObjectPermissionRow>;
export type FieldPermissionRow = z.infer<typeof FieldPermissionRow>;

export interface ObjectAccess {
    read: boolean;
    create: boolean;
    edit: boolean;
}
export interface FieldAccess {
    read: boolean;
    edit: boolean;
}

export class UserAccess {
    private readonly modifyAllData: boolean;
    private readonly viewAllData: boolean;

    constructor(
        readonly permissionSets: readonly PermissionSetRow[],
        private readonly objectRows: readonly ObjectPermissionRow[],
        private readonly fieldRows: readonly FieldPermissionRow[]
    ) {
        this.modifyAllData = permissionSets.some((p) => p.PermissionsModifyAllData === true);
        this.viewAllData = this.modifyAllData || permissionSets.some((p) => p.PermissionsViewAllData === true);
    }

    object(sobject: string): ObjectAccess {
        if (this.modifyAllData) return { read: true, create: true, edit: true };
        const access = { read: this.viewAllData, create: false, edit: false };
        for (const row of this.objectRows) {
            if (row.SobjectType !== sobject) continue;
            access.read ||= row.PermissionsRead === true;
            access.create ||= row.PermissionsCreate === true;
            access.edit ||= row.PermissionsEdit === true;
        }
        return access;
    }

    /** View All Records on the object, or View All Data: what a change event subscriber needs (sharing aside). */
    viewAll(sobject: string): boolean {
        if (this.viewAllData) return true;
        return this.objectRows.some((row) => row.SobjectType === sobject && row.PermissionsViewAllRecords === true);
    }

    field(sobject: string, field: DescribeField): FieldAccess {
        const object = this.object(sobject);
        if (!object.read) return { read: false, edit: false };
        const objectWrite = object.edit || object.create;
        if (this.modifyAllData || !field.permissionable) return { read: true, edit: objectWrite };
        const access = { read: this.viewAllData, edit: false };
        const key = `${sobject}.${field.name}`;
        for (const row of this.fieldRows) {
            if (row.Field !== key) continue;
            access.read ||= row.PermissionsRead === true || row.PermissionsEdit === true;
            access.edit ||= row.PermissionsEdit === true;
        }
        return { read: access.read, edit: access.edit && objectWrite };
    }
}
