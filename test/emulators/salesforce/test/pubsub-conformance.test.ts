// Every gRPC (Pub/Sub) case of ../shared/sf-conformance passes through the conformance runner's gRPC executor,
// driven by a real gRPC client over TLS.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandRequirement, requireOrSkip, sharedDir, sharedRequirement } from '../../../support/requirements.ts';
import { runGrpcConformance } from '../conformance/grpc.ts';

const casesDir = path.join(sharedDir, 'sf-conformance');
const ready =
    requireOrSkip(sharedRequirement('sf-conformance')) &&
    requireOrSkip(commandRequirement('openssl', 'apt-get install openssl (the Pub/Sub listener is TLS only)'));

describe.skipIf(!ready)('Pub/Sub conformance cases (sf-wire.md §5, §9)', () => {
    it('passes every gRPC case', async () => {
        const grpcFiles = readdirSync(casesDir).filter(
            (f) =>
                f.endsWith('.json') &&
                (JSON.parse(readFileSync(path.join(casesDir, f), 'utf8')) as { request: { method: string } }).request
                    .method === 'GRPC'
        );
        const lines: string[] = [];
        const results = await runGrpcConformance(casesDir, (l) => lines.push(l));
        expect(results.map((r) => r.file)).toEqual(grpcFiles.sort());
        expect(
            results.filter((r) => r.outcome !== 'passed'),
            lines.join('\n')
        ).toEqual([]);
    }, 120_000);
});
