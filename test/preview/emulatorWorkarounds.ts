// TEMPORARY, for the emulator only (see emulator-metadata/permissionsets/...): on the platform, field-level
// security does not apply to platform event fields, so the package grants none; the emulator still checks
// it. Until it treats event fields as not permissionable, the preview gives its users a test-only
// permission set with that access. Remove this file and the folder when the emulator is fixed.
import path from 'node:path';
import type { RunningSalesforceEmulator } from '../emulators/salesforce/src/index.ts';

export const EMULATOR_WORKAROUNDS = path.join(import.meta.dirname, 'emulator-metadata');
const PERMISSION_SET = 'Clm_Preview_Event_Field_Access';

export async function grantEventFieldAccess(emulator: RunningSalesforceEmulator): Promise<void> {
    for (const user of Object.values(emulator.users)) {
        const response = await fetch(`${emulator.adminUrl}/assignments`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ username: user.username, permissionSet: PERMISSION_SET })
        });
        if (!response.ok) throw new Error(`assigning ${PERMISSION_SET} to ${user.username} failed: ${response.status}`);
    }
}
