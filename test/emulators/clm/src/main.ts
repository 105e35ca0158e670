// `npm run emulator:clm -- --port <n> [--clock-scale <x>]`: starts the CLM emulator and prints one JSON ready line
// (the URLs and generated credentials other processes need) on stdout. Stops on SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startClmEmulator } from './index.ts';

const argsSchema = z.object({
    port: z.coerce.number().int().min(0).max(65_535).default(0),
    host: z.string().default('127.0.0.1'),
    'clock-scale': z.coerce.number().min(0).max(1_000_000).default(1)
});

function fail(message: string): never {
    process.stderr.write(
        `clm-emulator: ${message}\nusage: npm run emulator:clm -- --port <n> [--host 127.0.0.1] [--clock-scale 1]\n`
    );
    process.exit(2);
}

let raw: Record<string, unknown>;
try {
    raw = parseArgs({
        options: { port: { type: 'string' }, host: { type: 'string' }, 'clock-scale': { type: 'string' } },
        strict: true
    }).values;
} catch (error) {
    fail((error as Error).message);
}
const parsed = argsSchema.safeParse(raw);
if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    fail(`--${issue.path.join('.')}: ${issue.message}`);
}

const emulator = await startClmEmulator({
    port: parsed.data.port,
    host: parsed.data.host,
    clockScale: parsed.data['clock-scale']
});
const { close, ...ready } = emulator;
process.stdout.write(`${JSON.stringify({ ready: true, ...ready })}\n`);

const stop = () => {
    void close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
