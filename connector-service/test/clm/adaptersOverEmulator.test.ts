// The Ironclad and SpotDraft adapters over the CLM emulator: the port kit (the same cases as the in-memory
// fake), a 429 storm, and the contract test — every request the adapters sent in this file, checked against
// the vendor's OpenAPI spec.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateRequest } from '../../../test/support/openapi.ts';
import { requireOrSkip, sharedRequirement } from '../../../test/support/requirements.ts';
import { startEmulatorBackends, type SentRequest } from './emulatorBackends.ts';
import { runClmPortKit } from './portKit.ts';

const sent: SentRequest[] = [];
let backends: Awaited<ReturnType<typeof startEmulatorBackends>>;

beforeAll(async () => {
    backends = await startEmulatorBackends(sent);
});
afterAll(async () => {
    await backends?.emulator.close();
});

runClmPortKit('Ironclad over the CLM emulator', () => backends.ironcladBackend);
runClmPortKit('SpotDraft over the CLM emulator', () => backends.spotdraftBackend);
