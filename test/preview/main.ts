// `npx tsx test/preview/main.ts`: the preview on its own — an emulated org with the package loaded and a
// demo deal, the components built, and the record page and admin console served until Ctrl+C.
import { startSalesforceEmulator } from '../emulators/salesforce/src/index.ts';
import { connectAs } from '../emulators/salesforce/test/helpers.ts';
import { ensurePreviewBuilt } from './build.ts';
import { seedAdminItems, seedDeal } from './demoData.ts';
import { startPreview } from './server.ts';

const built = await ensurePreviewBuilt();
const emulator = await startSalesforceEmulator();
const admin = await connectAs(emulator, emulator.users.admin.username);
const integration = await connectAs(emulator, emulator.users.integration.username);
const { opportunityId } = await seedDeal(admin, emulator.users.salesRep.id);
await seedAdminItems(integration, opportunityId);
const preview = await startPreview({ emulator, opportunityId, port: Number(process.env.PREVIEW_PORT ?? 0) });
console.log(
    `${built ? 'built the components; ' : ''}record page: ${preview.url}/   admin console: ${preview.url}/admin`
);
console.log(`emulated org: ${emulator.instanceUrl} (publish Clm_Sync_Status__e there to see the card change)`);

const stop = async (): Promise<void> => {
    await preview.close();
    await emulator.close();
    process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
