/**
 * The start-time pre-flight of the connector's own user: may it subscribe to every change event channel it hears?
 * Change Data Capture ignores sharing, so Salesforce refuses a per-entity channel to a subscriber without View All
 * Records on the object (or View All Data), and UserChangeEvent without View All Users (Change Data Capture
 * Developer Guide, "Required Permissions for Change Event Subscribers"). Read from the user's permission sets, so
 * the connector fails closed at start naming the permission, instead of subscribing into a refusal.
 */
import { ConnectorError, select, where } from '../domain/index.ts';
import type { SalesforcePort } from '../ports/salesforce.ts';

/** `/data/OpportunityChangeEvent` → Opportunity, `/data/Foo__ChangeEvent` → Foo__c; null for other channels. */
export function channelObject(channel: string): string | null {
    const match = /^\/data\/(\w+?)(__)?ChangeEvent$/.exec(channel);
    if (!match) return null;
    return match[2] ? `${match[1]}__c` : match[1]!;
}

/** The permissions the user lacks for the channels, each named as Setup names it ("View All Records on X"). */
export async function missingSubscriptionPermissions(
    salesforce: SalesforcePort,
    userId: string,
    channels: readonly string[]
): Promise<string[]> {
    const objects = [...new Set(channels.map(channelObject).filter((o): o is string => o !== null))];
    if (objects.length === 0) return [];
    const assignments = await salesforce.query(
        select(['PermissionSetId'], 'PermissionSetAssignment', { where: where.eq('AssigneeId', userId) })
    );
    const ids = [...new Set(assignments.map((row) => String(row.PermissionSetId)))];
    if (ids.length === 0) return objects.map(permissionFor);
    const sets = await salesforce.query(
        select(['Id', 'PermissionsViewAllData', 'PermissionsViewAllUsers'], 'PermissionSet', {
            where: where.in('Id', ids)
        })
    );
    const viewAllData = sets.some((set) => set.PermissionsViewAllData === true);
    const viewAllUsers = sets.some((set) => set.PermissionsViewAllUsers === true);
    const viewAll = new Set(
        (
            await salesforce.query(
                select(['SobjectType', 'PermissionsViewAllRecords'], 'ObjectPermissions', {
                    where: where.and(where.in('ParentId', ids), where.in('SobjectType', objects))
                })
            )
        )
            .filter((row) => row.PermissionsViewAllRecords === true)
            .map((row) => String(row.SobjectType))
    );
    return objects
        .filter((object) => (object === 'User' ? !viewAllUsers : !viewAllData && !viewAll.has(object)))
        .map(permissionFor);
}

function permissionFor(object: string): string {
    return object === 'User' ? 'View All Users' : `View All Records on ${object}`;
}

/** Throws PERMISSION.SUBSCRIPTION_DENIED naming each missing permission. */
export async function requireSubscriptionPermissions(
    salesforce: SalesforcePort,
    userId: string,
    channels: readonly string[]
): Promise<void> {
    const missing = await missingSubscriptionPermissions(salesforce, userId, channels);
    if (missing.length === 0) return;
    throw new ConnectorError(
        'PERMISSION.SUBSCRIPTION_DENIED',
        `The connector's user cannot subscribe to the change events it hears; it lacks ${missing.join(', ')} (or View All Data). Assign the Clm_Connector_Integration permission set as shipped.`,
        { missing, channels: [...channels] }
    );
}
