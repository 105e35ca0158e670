/**
 * The connector as its own process for the benchmark (forked by test/bench/pipeline.ts with `--import tsx`, so this
 * is the process whose memory is read): `startConnector` with the parsed config from the JSON file named by
 * BENCH_CONNECTOR_CONFIG, logging to BENCH_CONNECTOR_LOG. It answers the parent over IPC: `rss` (its resident set),
 * `kick` (wake the work loop now), `stop` (stop the connector and exit).
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { parseConfig } from '../../connector-service/src/config/config.ts';
import { createLogger, startConnector } from '../../connector-service/src/main.ts';

export type ToConnector = { type: 'rss' } | { type: 'kick' } | { type: 'stop' };
export type FromConnector =
    | { type: 'ready'; url: string; orgId: string }
    | { type: 'rss'; rssBytes: number }
    | { type: 'failed'; message: string };

const send = (message: FromConnector) => process.send!(message);

try {
    const config = parseConfig(JSON.parse(readFileSync(process.env.BENCH_CONNECTOR_CONFIG!, 'utf8')));
    const logger = createLogger(config, createWriteStream(process.env.BENCH_CONNECTOR_LOG!, { flags: 'a' }));
    const running = await startConnector(config, logger);
    process.on('message', (message: ToConnector) => {
        if (message.type === 'rss') send({ type: 'rss', rssBytes: process.memoryUsage().rss });
        else if (message.type === 'kick') running.service.kick();
        else void running.stop().then(() => process.exit(0));
    });
    // The benchmark went away without asking: stop anyway, never linger.
    process.once('disconnect', () => void running.stop().then(() => process.exit(0)));
    send({ type: 'ready', url: running.url, orgId: running.orgId });
} catch (error) {
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
}
