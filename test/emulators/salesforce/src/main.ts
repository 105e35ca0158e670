// `npm run emulator:salesforce -- --port <n> [--metadata <dir>]… [--session-timeout-ms n] [--daily-api-requests n]
// [--api-version 62.0] [--tls] [--no-package]`: starts the emulated org and prints one JSON line when ready.
import { parseArgs } from 'node:util';
import { startSalesforceEmulator } from './index.ts';

const USAGE =
    'usage: emulator:salesforce [--port n] [--host h] [--metadata dir]… [--session-timeout-ms n] [--daily-api-requests n] [--api-version 62.0] [--tls] [--log-requests] [--state-file path] [--pubsub-port n] [--private-sharing] [--no-package]';

function intOption(value: string | undefined, name: string): number | undefined {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) {
        process.stderr.write(`--${name} must be a non-negative integer, got '${value}'\n${USAGE}\n`);
        process.exit(2);
    }
    return n;
}

async function main(): Promise<void> {
    let values;
    try {
        ({ values } = parseArgs({
            options: {
                port: { type: 'string' },
                host: { type: 'string' },
                metadata: { type: 'string', multiple: true },
                'session-timeout-ms': { type: 'string' },
                'daily-api-requests': { type: 'string' },
                'api-version': { type: 'string' },
                tls: { type: 'boolean' },
                'pubsub-port': { type: 'string' },
                'log-requests': { type: 'boolean' },
                'state-file': { type: 'string' },
                'no-package': { type: 'boolean' },
                'private-sharing': { type: 'boolean' },
                help: { type: 'boolean' }
            }
        }));
    } catch (e) {
        process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
        process.exit(2);
    }
    if (values.help) {
        process.stdout.write(`${USAGE}\n`);
        return;
    }
    const apiVersion = values['api-version'];
    if (apiVersion !== undefined && !/^\d{2}\.0$/.test(apiVersion)) {
        process.stderr.write(`--api-version must look like 62.0, got '${apiVersion}'\n`);
        process.exit(2);
    }
    const emulator = await startSalesforceEmulator({
        port: intOption(values.port, 'port') ?? 0,
        host: values.host,
        metadataDirs: values.metadata ?? [],
        includePackage: !values['no-package'],
        sessionTimeoutMs: intOption(values['session-timeout-ms'], 'session-timeout-ms'),
        dailyApiRequests: intOption(values['daily-api-requests'], 'daily-api-requests'),
        apiVersion,
        tls: values.tls === true,
        pubsub:
            values['pubsub-port'] === undefined ? undefined : { port: intOption(values['pubsub-port'], 'pubsub-port') },
        logRequests: values['log-requests'] === true,
        stateFile: values['state-file'],
        ...(values['private-sharing'] ? { sharing: 'private' as const } : {})
    });
    const problems = emulator.org.loaded.flatMap((l) => l.problems);
    for (const p of problems) process.stderr.write(`[salesforce-emulator] metadata: ${p}\n`);
    const { hook: _hook, org: _org, app: _app, eventBus: _eventBus, close, ...info } = emulator;
    let stopping = false;
    const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`[salesforce-emulator] ${signal}: stopping\n`);
        close().then(
            () => process.exit(0),
            () => process.exit(1)
        );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    // Ready only once a signal can stop it cleanly: callers may send one as soon as they read this line.
    process.stdout.write(`${JSON.stringify(info)}\n`);
}

main().catch((e: unknown) => {
    process.stderr.write(`[salesforce-emulator] failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
});
