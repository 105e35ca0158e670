// `--pubsub-port`: the ready line adds pubsubEndpoint (`localhost:<port>`) and tlsCertPath, the listener
// answers GetTopic over TLS with that certificate, and SIGTERM still stops the process cleanly.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { pubSubClient } from '../conformance/grpc.ts';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.ts');

describe('emulator:salesforce --pubsub-port', { timeout: 90_000 }, () => {
    it('prints pubsubEndpoint and tlsCertPath, serves Pub/Sub over TLS, stops on SIGTERM', async () => {
        const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', '--pubsub-port', '0'], {
            stdio: ['ignore', 'pipe', 'pipe']
        });
        let out = '';
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        try {
            const info = await new Promise<Record<string, string>>((resolve, reject) => {
                child.stdout.on('data', (d: Buffer) => {
                    out += d.toString();
                    const nl = out.indexOf('\n');
                    if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as Record<string, string>);
                });
                void exit.then((code) => reject(new Error(`exited ${code} before ready: ${err}`)));
            });
            expect(info.pubsubEndpoint).toMatch(/^localhost:\d+$/);
            expect(existsSync(info.tlsCertPath!)).toBe(true);
            expect(Object.keys(info)).not.toContain('eventBus');

            // Trusting exactly the printed certificate; a bad token is refused with the auth error-code.
            const client = pubSubClient(info.pubsubEndpoint!, readFileSync(info.tlsCertPath!, 'utf8'));
            const metadata = new grpc.Metadata();
            metadata.set('accesstoken', `${info.orgId!.slice(0, 15)}!invalid`);
            metadata.set('instanceurl', info.instanceUrl!);
            metadata.set('tenantid', info.orgId!);
            const refusal = await new Promise<grpc.ServiceError>((resolve) =>
                client.GetTopic!({ topicName: '/data/OpportunityChangeEvent' }, metadata, (e: grpc.ServiceError) =>
                    resolve(e)
                )
            );
            client.close();
            expect(refusal.code).toBe(grpc.status.UNAUTHENTICATED);
            expect(refusal.metadata.get('error-code')).toEqual(['sfdc.platform.eventbus.grpc.service.auth.error']);
        } finally {
            child.kill('SIGTERM');
        }
        expect(await exit).toBe(0);
    });

    it('refuses a pubsub port that is not a number', async () => {
        const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--pubsub-port', 'x'], {
            stdio: ['ignore', 'pipe', 'pipe']
        });
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
        expect(code).toBe(2);
        expect(err).toContain('--pubsub-port must be a non-negative integer');
    });
});
