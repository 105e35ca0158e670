// The deterministic simulation itself: a seed replays exactly, and a deliberately broken echo check (the engine no
// longer knows its own Salesforce writes when their change events come back) is caught by the history checker.
import { describe, expect, it } from 'vitest';
import { clean, simulate } from './simulation.ts';

describe('the deterministic simulation', () => {
    it('replays a seed exactly', async () => {
        const first = await simulate(7, { steps: 60 });
        const again = await simulate(7, { steps: 60 });
        expect(again.trace).toEqual(first.trace);
        expect(again.verdict).toEqual(first.verdict);
    });

    it('catches a broken echo check', { timeout: 120_000 }, async () => {
        const rules = ['Sim_Title', 'Sim_End_Date', 'Sim_Special_Terms'];
        const caught: number[] = [];
        for (let seed = 1; seed <= 20; seed++) {
            const broken = await simulate(seed, { rules, break: 'echo' });
            if (!clean(broken.verdict)) caught.push(seed);
        }
        console.log(`broken echo check caught by seeds ${caught.join(', ')}`);
        expect(caught.length).toBeGreaterThan(0);
        // The first of them is clean with the echo check intact: the break is what the checker saw.
        expect(clean((await simulate(caught[0]!, { rules })).verdict)).toBe(true);
    });
});
