/**
 * `npm start` as a newcomer runs it: it comes up, prints its URLs, and the demo path it prints works end to end in
 * headless Chromium — send the deal from the record page, the workflow appears in the CLM emulator, sign it there
 * (`npm run demo:sign`), and the Opportunity shows Signed, live.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumPresent, launchChromium } from '../support/chromium.ts';
import { repoRoot } from '../support/requirements.ts';
import { sfCliEnv } from '../support/sfCli.ts';

const TSX = path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs');
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 30_000, interval: 200 });

interface Ready {
    recordPage: string;
    connectorUrl: string;
    clmAdminUrl: string;
    opportunityId: string;
}

describe.runIf(chromiumPresent())('npm start', () => {
    let demo: ChildProcess;
    let ready: Ready;
    let output = '';
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
        // Any free ports: the fixed defaults may be in use by a demo someone is running.
        const anyPort = Object.fromEntries(
            ['PREVIEW', 'CONNECTOR', 'SALESFORCE', 'PUBSUB', 'CLM'].map((name) => [`DEMO_${name}_PORT`, '0'])
        );
        demo = spawn(process.execPath, [TSX, 'scripts/start.ts'], {
            cwd: repoRoot,
            stdio: ['ignore', 'pipe', 'pipe'],
            env: { ...process.env, ...anyPort }
        });
        ready = await new Promise<Ready>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`npm start printed no ready line:\n${output}`)), 240_000);
            demo.stdout!.on('data', (chunk: Buffer) => {
                output += chunk.toString();
                const line = output.split('\n').find((candidate) => candidate.startsWith('{"ready":true'));
                if (line) {
                    clearTimeout(timer);
                    resolve(JSON.parse(line) as Ready);
                }
            });
            demo.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
            demo.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
        });
        browser = await launchChromium();
        page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        page.setDefaultTimeout(30_000);
    }, 300_000);

    afterAll(async () => {
        await browser?.close();
        if (demo && demo.exitCode === null) {
            const exited = new Promise((resolve) => demo.once('exit', resolve));
            demo.kill('SIGTERM');
            await exited;
        }
    });

    it('prints the URLs and what to try', () => {
        expect(output).toContain('Opportunity record page (rep and legal):');
        expect(output).toContain('npm run demo:sign');
        expect(ready.recordPage).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
        // The sf CLI lines, ready to paste, and the same in a file.
        expect(output).toMatch(
            /^ {2}npx sf org login jwt --username \S+ --client-id \S+ --jwt-key-file \S+ --instance-url http\S+ --alias clm-demo/m
        );
        expect(output).toContain(`export CLM_CONNECTOR_URL=${ready.connectorUrl}`);
        expect(output).toMatch(/^ {2}export CLM_CONNECTOR_TOKEN=\S+$/m);
        expect(readFileSync(path.join(repoRoot, '.tmp/demo/env.sh'), 'utf8')).toContain('export CLM_CONNECTOR_TOKEN=');
        expect(output).toMatch(/^ {2}export NODE_EXTRA_CA_CERTS=\S+tls-cert\.pem$/m);
        // No third-party compiler warnings.
        expect(output).not.toContain('rollup-plugin-lwc-compiler');
    });

    it('the printed sf lines work in a fresh terminal, printing nothing the user must ignore', async () => {
        const home = mkdtempSync(path.join(os.tmpdir(), 'clm-demo-home-'));
        try {
            const envFile = path.join(repoRoot, '.tmp/demo/env.sh');
            const login = /^# (npx sf org login jwt .*)$/m.exec(readFileSync(envFile, 'utf8'))![1]!;
            // What a newcomer types: link the plugin, source the exports, log in, ask for the status.
            const script = `npm run --silent sf:link && . ${envFile} && ${login} && npx sf clm sync status`;
            const { stdout, stderr } = await promisify(execFile)('sh', ['-c', script], {
                cwd: repoRoot,
                env: sfCliEnv(home),
                timeout: 120_000
            });
            expect(stdout).toContain('Successfully authorized');
            expect(stdout).toContain('/event/Clm_Sync_Request__e');
            expect(stdout).not.toMatch(/│ error │/);
            expect(stdout).toMatch(/API budget: \d+ of \d+ daily requests used/);
            expect(stderr).not.toMatch(/warning|error/i);
        } finally {
            rmSync(home, { recursive: true, force: true });
        }
    }, 150_000);

    it('sends the deal from the record page, and the Opportunity shows Signed once it is signed in the CLM', async () => {
        await page.goto(ready.recordPage);
        await page.locator('#send-to-clm').click();
        const action = page.locator('c-clm-send-to-clm');
        await eventually(() => action.locator('.field-row').count()).toBeGreaterThan(1);
        await action.locator('lightning-button.send-button button').click();
        const card = page.locator('c-clm-contract-status');
        await eventually(() => card.locator('.lifecycle').textContent()).toBe('Lifecycle: Review');
        await action.locator('lightning-button.close-button button').click();

        const { contracts } = (await (await fetch(`${ready.clmAdminUrl}/contracts?vendor=ironclad`)).json()) as {
            contracts: { data: Record<string, unknown> }[];
        };
        expect(contracts).toHaveLength(1);
        expect(contracts[0]!.data.sfOpportunityId).toBe(ready.opportunityId);

        await promisify(execFile)(process.execPath, [TSX, 'scripts/demo-sign.ts'], { cwd: repoRoot, timeout: 60_000 });
        // demo:sign fills in the term with today's agreement date and archives the workflow: Active, past Signed.
        await eventually(() => card.locator('.lifecycle').textContent()).toMatch(/^Lifecycle: (Signed|Active)$/);
        await eventually(() => card.locator('.signature').textContent()).toBe('Signature: Fully signed');
        mkdirSync(path.join(repoRoot, 'test-results', 'demo'), { recursive: true });
        await page.screenshot({
            path: path.join(repoRoot, 'test-results', 'demo', 'record-page-signed.png'),
            fullPage: true
        });
        // The whole round trip (the page's Apex, the connector, the CLM, the status event's Apex trigger) runs
        // in emulators on a shared machine: each step has 30 s, the test a bound of its own.
    }, 120_000);
});
