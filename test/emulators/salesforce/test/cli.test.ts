// The command other tools rely on: one JSON ready line with stable keys, clean exit on SIGTERM/SIGINT.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIXTURE_ORG } from './helpers.ts';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.ts');
const READY_KEYS = [
    'loginUrl',
    'instanceUrl',
    'adminUrl',
    'orgId',
    'userId',
    'username',
    'clientId',
    'clientSecret',
    'jwtConsumerKey',
    'jwtPrivateKeyPath',
    'apiVersion'
];

function start(args: string[]): {
    child: ChildProcess;
    ready: Promise<Record<string, string>>;
    exit: Promise<number | null>;
} {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const ready = new Promise<Record<string, string>>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => {
            out += d.toString();
            const nl = out.indexOf('\n');
            if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as Record<string, string>);
        });
        void exit.then((code) => reject(new Error(`exited ${code} before ready: ${err}`)));
    });
    return { child, ready, exit };
}

// Each case starts a fresh Node process through tsx, which takes seconds on a busy machine.
describe('npm run emulator:salesforce', { timeout: 90_000 }, () => {
    it('prints the ready line, serves, and stops cleanly on SIGTERM', async () => {
        const { child, ready, exit } = start([
            '--port',
            '0',
            '--no-package',
            '--metadata',
            FIXTURE_ORG,
            '--daily-api-requests',
            '500'
        ]);
        try {
            const info = await ready;
            for (const key of READY_KEYS) expect(info[key], key).toBeTruthy();
            expect(info.orgId).toMatch(/^00D[A-Za-z0-9]{15}$/);
            expect(info.apiVersion).toBe('62.0');
            expect(existsSync(info.jwtPrivateKeyPath!)).toBe(true);
            const limits = await fetch(`${info.adminUrl}/limits`).then(
                (r) => r.json() as Promise<{ DailyApiRequests: { Max: number } }>
            );
            expect(limits.DailyApiRequests.Max).toBe(500);
            const versions = await fetch(`${info.instanceUrl}/services/data`).then(
                (r) => r.json() as Promise<{ version: string }[]>
            );
            expect(versions.map((v) => v.version)).toContain(info.apiVersion);
            child.kill('SIGTERM');
            expect(await exit).toBe(0);
            expect(existsSync(info.jwtPrivateKeyPath!)).toBe(false);
        } finally {
            if (child.exitCode === null) child.kill('SIGKILL');
        }
    });

    it('stops on SIGINT too', async () => {
        const { child, ready, exit } = start(['--port', '0', '--no-package']);
        try {
            await ready;
            child.kill('SIGINT');
            expect(await exit).toBe(0);
        } finally {
            if (child.exitCode === null) child.kill('SIGKILL');
        }
    });

    it('refuses a bad flag with exit code 2', async () => {
        const { exit, ready } = start(['--port', 'eighty']);
        ready.catch(() => undefined);
        expect(await exit).toBe(2);
    });
});
