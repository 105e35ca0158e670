// UserRecordAccess (Object Reference, "UserRecordAccess"): a user's access to up to 200 records, computed when
// queried. The query names one user (`UserId = '005…'`) and the records (`RecordId = '…'` or `RecordId IN (…)`)
// in its top-level AND; records of objects not shared record by record, and records the running user cannot read,
// are left out. The levels are the sharing model's (sharing.ts) capped by the user's object permissions.
import type { AccessView } from '../access.ts';
import { SfError } from '../errors.ts';
import { normalizeId } from '../ids.ts';
import type { Org } from '../org.ts';
import { atLeast, type AccessLevel } from '../sharing.ts';
import type { SfRecord } from '../store.ts';
import type { BoolExpr, Condition } from './where.ts';

export const USER_RECORD_ACCESS = 'UserRecordAccess';
const MAX_RECORDS = 200;

const malformed = (message: string) => new SfError(400, 'MALFORMED_QUERY', `UserRecordAccess: ${message}`);

function conditions(expr: BoolExpr | undefined): Condition[] {
    if (!expr) return [];
    if (expr.kind === 'cond') return [expr.cond];
    return expr.kind === 'and' ? expr.items.flatMap(conditions) : [];
}

/** The rows the query asks about, before its WHERE and SELECT are applied as to any other object. */
export function userRecordAccessRows(
    org: Pick<Org, 'schema' | 'store' | 'access' | 'sharing'>,
    running: Partial<Pick<AccessView, 'canSee'>>,
    where: BoolExpr | undefined
): SfRecord[] {
    const named = conditions(where);
    const userCond = named.find((c) => c.field?.toLowerCase() === 'userid' && c.operator === '=');
    const recordCond = named.find(
        (c) => c.field?.toLowerCase() === 'recordid' && (c.operator === '=' || c.operator.toUpperCase() === 'IN')
    );
    if (!userCond || typeof userCond.value !== 'string' || !recordCond)
        throw malformed('the WHERE clause must name one UserId (UserId = ID) and the records (RecordId = ID or IN)');
    const requested = (Array.isArray(recordCond.value) ? recordCond.value : [recordCond.value ?? '']).map((v) =>
        String(v).replace(/^'|'$/g, '')
    );
    if (requested.length > MAX_RECORDS) throw malformed(`up to ${MAX_RECORDS} record IDs can be queried`);
    const userId = normalizeId(userCond.value.replace(/^'|'$/g, ''));
    const user = userId ? org.store.get('User', userId) : undefined;
    if (!user) return [];
    const view = org.access(String(user.Id));
    const rows: SfRecord[] = [];
    for (const asked of requested) {
        const id = normalizeId(asked);
        const def = id ? org.schema.objectByPrefix(id.slice(0, 3)) : undefined;
        const rec = def && id ? org.store.get(def.name, id) : undefined;
        if (!def || !rec || rec.IsDeleted === true || !org.sharing.modelOf(def) || !running.canSee?.(def, rec))
            continue;
        const perms = view.object(def);
        const shared = view.record(def, rec);
        const has = (level: AccessLevel, permitted: boolean) => permitted && atLeast(shared, level);
        const read = has('Read', perms.read);
        const edit = has('Edit', perms.read && perms.edit);
        const del = has('Delete', perms.read && perms.delete);
        const all = read && shared === 'All';
        rows.push({
            Id: null,
            IsDeleted: false,
            UserId: String(user.Id),
            RecordId: asked,
            HasReadAccess: read,
            HasEditAccess: edit,
            HasDeleteAccess: del,
            HasTransferAccess: all,
            HasAllAccess: all,
            MaxAccessLevel: all ? 'All' : del ? 'Delete' : edit ? 'Edit' : read ? 'Read' : 'None'
        });
    }
    return rows;
}
