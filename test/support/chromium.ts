// Debian's Chromium for browser tests: where it is, the skip-or-fail rule when it is missing, and the launch flags
// that keep it off the network (this machine has none) and quiet.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { requireOrSkip } from './requirements.ts';

export const CHROMIUM = '/usr/bin/chromium';

/** True when the browser suite can run; skips with one line locally, fails under CI=true. */
export function chromiumPresent(): boolean {
    return requireOrSkip({
        what: `Chromium at ${CHROMIUM}`,
        how: 'apt-get update && apt-get install -y chromium',
        present: existsSync(CHROMIUM)
    });
}

export function launchChromium(): Promise<Browser> {
    return chromium.launch({
        executablePath: CHROMIUM,
        args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync'
        ]
    });
}
