// The deterministic simulation, seeds 501–750 of the CI's 1,000 (seedBlock.ts says what is checked).
import { it } from 'vitest';
import { runSeedBlock } from './seedBlock.ts';

it('seeds 501–750: nothing outside the open holes', { timeout: 600_000 }, async () => {
    await runSeedBlock(501, 250);
});
