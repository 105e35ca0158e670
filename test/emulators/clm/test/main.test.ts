// The start command other suites and developers use: `npm run emulator:clm -- --port 0` prints one JSON ready line
// with the contract's keys, serves it, and rejects bad arguments with a usage line and exit code 2.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../support/requirements.ts';

const started: ChildProcess[] = [];

function startCommand(args: string[]): ChildProcess {
    const child = spawn('npm', ['run', '--silent', 'emulator:clm', '--', ...args], {
        cwd: repoRoot,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe']
    });
    started.push(child);
    return child;
}

afterEach(() => {
    for (const child of started.splice(0)) {
        if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGTERM');
    }
});

describe('npm run emulator:clm', () => {
    it('prints one JSON ready line with the URLs and credentials, and serves them', async () => {
        const child = startCommand(['--port', '0']);
        const lines = createInterface({ input: child.stdout! });
        const first = await Promise.race([
            once(lines, 'line').then(([line]) => String(line)),
            new Promise<string>((_, reject) => setTimeout(() => reject(new Error('no ready line within 20 s')), 20_000))
        ]);
        const ready = JSON.parse(first);
        for (const key of [
            'ironcladBaseUrl',
            'ironcladTokenUrl',
            'ironcladClientId',
            'ironcladClientSecret',
            'spotdraftBaseUrl',
            'spotdraftClientId',
            'spotdraftClientSecret',
            'adminUrl'
        ]) {
            expect(typeof ready[key], key).toBe('string');
        }
        expect(ready.ironcladBaseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ironclad\/public\/api\/v1$/);
        expect(ready.spotdraftBaseUrl).toMatch(/\/spotdraft\/api$/);
        expect((await fetch(`${ready.adminUrl}/health`)).status).toBe(200);
        const templates = await fetch(`${ready.spotdraftBaseUrl}/v2.1/public/templates`, {
            headers: { 'client-id': ready.spotdraftClientId, 'client-secret': ready.spotdraftClientSecret }
        });
        expect(((await templates.json()) as { items: { name: string }[] }).items[0]!.name).toBe(
            'Master Services Agreement'
        );
    });

    it('rejects a bad --port with a usage line and exit code 2', async () => {
        const child = startCommand(['--port', 'abc']);
        let stderr = '';
        child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const [code] = await once(child, 'exit');
        expect(code).toBe(2);
        expect(stderr).toContain('--port');
        expect(stderr).toContain('usage: npm run emulator:clm');
        expect(stderr).not.toMatch(/\n\s+at /);
    });
});
