/**
 * `npm start`: the whole product on one machine, with nothing installed beyond `npm install` — the Salesforce
 * emulator (the package's metadata loaded, a sample deal seeded, the Pub/Sub API on), the CLM emulator speaking
 * Ironclad, the connector on SQLite, and the package preview (the Opportunity record page and the admin console).
 * It prints the URLs and what to try, then one JSON line with them all (for scripts and tests).
 *
 * Against a real org and CLM, the connector alone (README, "Running against a real org"):
 *   npm start -- --clm <config.json>                      the Salesforce login from the config file
 *   npm start -- --org <alias or username> --clm <file>   an org the sf CLI logged in to (sf org login web|jwt):
 *                                                          its stored login, refreshed by @salesforce/core
 *   npm start -- --org <https URL> --clm <file>           that login URL, with the JWT settings of the file
 * Secrets come from the environment (CLM_CONNECTOR_TOKEN, CLM_IRONCLAD_CLIENT_SECRET …). Once up it prints one JSON
 * line, {"ready":true,"orgId":…,"url":…}.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, startConnector } from '../connector-service/src/main.ts';
import { loadConfig, type ConnectorConfig } from '../connector-service/src/config/config.ts';
import { isConnectorError } from '../connector-service/src/domain/index.ts';
import { selfSignedCertificate, type TlsCertificate } from '@clm/emulators/salesforce';
import { ensurePreviewBuilt } from '../test/preview/build.ts';
import { repoRoot } from '../test/support/requirements.ts';
import { startDemoStack } from './demoStack.ts';

/**
 * The demo's ports: fixed, so a bookmark of the record page or the connector keeps working from one run to the next;
 * each overridable through its environment variable (0 picks a free port).
 */
const DEMO_PORTS = {
    DEMO_PREVIEW_PORT: 4710,
    DEMO_CONNECTOR_PORT: 4711,
    DEMO_SALESFORCE_PORT: 4712,
    DEMO_PUBSUB_PORT: 4713,
    DEMO_CLM_PORT: 4714
} as const;

function demoPort(name: keyof typeof DEMO_PORTS): number {
    const value = process.env[name];
    if (value === undefined || value === '') return DEMO_PORTS[name];
    const port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
        console.error(`${name} must be a port number from 0 to 65535 (0: any free port), not "${value}"`);
        process.exit(2);
    }
    return port;
}

/** Shell-quoted for a POSIX shell. */
function quoted(value: string): string {
    return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

const USAGE = `usage: npm start    (the local demo)
       npm start -- [--org <alias | username | https URL>] --clm <config.json>    (a real org and CLM)`;

/** A start-up failure as one line with its code, never a stack trace. */
function fail(error: unknown, exitCode: number): never {
    const code = isConnectorError(error) ? `[${error.code}] ` : '';
    console.error(`${code}${error instanceof Error ? error.message : String(error)}`);
    process.exit(exitCode);
}

const { values: args } = parseArgs({ options: { org: { type: 'string' }, clm: { type: 'string' } }, strict: true });

async function realOrg(configFile: string): Promise<void> {
    // Against a real org: the connector alone, configured by the file given (secrets from the environment).
    let config: ConnectorConfig;
    try {
        config = loadConfig(process.env, configFile, args.org === undefined ? {} : { salesforceOrg: args.org });
    } catch (error) {
        fail(error, 2);
    }
    const logger = createLogger(config);
    const running = await startConnector(config, logger).catch((error: unknown) => fail(error, 1));
    console.log(`CLM connector for org ${running.orgId} listening at ${running.url}`);
    console.log(JSON.stringify({ ready: true, orgId: running.orgId, url: running.url }));
    const stop = () => void running.stop().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
}

/**
 * The demo org answers on https, as every org does (the sf CLI warns of an http instance URL), with a certificate
 * made for this run. Its clients trust it through NODE_EXTRA_CA_CERTS, which Node reads only at start: the demo
 * runs in a child process that has it, and prints the same export for the user's terminal.
 */
const DEMO_TLS_DIR = path.join(repoRoot, '.tmp', 'demo-tls');

function demoCertificate(): TlsCertificate {
    return {
        key: readFileSync(path.join(DEMO_TLS_DIR, 'tls-key.pem'), 'utf8'),
        cert: readFileSync(path.join(DEMO_TLS_DIR, 'tls-cert.pem'), 'utf8'),
        certPath: path.join(DEMO_TLS_DIR, 'tls-cert.pem')
    };
}

/** Runs the demo in a child that trusts a fresh demo certificate, forwarding signals and its exit code. */
async function demoTrustingItsCertificate(): Promise<void> {
    rmSync(DEMO_TLS_DIR, { recursive: true, force: true });
    mkdirSync(DEMO_TLS_DIR, { recursive: true });
    const { certPath } = selfSignedCertificate(DEMO_TLS_DIR);
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
        stdio: 'inherit',
        env: { ...process.env, NODE_EXTRA_CA_CERTS: certPath }
    });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
    const code = await new Promise<number>((resolve) => child.once('exit', (exitCode) => resolve(exitCode ?? 1)));
    process.exit(code);
}

async function demo(): Promise<void> {
    const demoDir = path.join(repoRoot, '.tmp', 'demo');
    rmSync(demoDir, { recursive: true, force: true });
    mkdirSync(demoDir, { recursive: true });
    const certificate = demoCertificate();
    const port = (name: keyof typeof DEMO_PORTS) => demoPort(name);

    process.stdout.write('building the package preview (cached after the first run)… ');
    await ensurePreviewBuilt();
    console.log('done');
    const stack = await startDemoStack({
        dir: demoDir,
        salesforceTls: certificate,
        ports: {
            preview: port('DEMO_PREVIEW_PORT'),
            connector: port('DEMO_CONNECTOR_PORT'),
            salesforce: port('DEMO_SALESFORCE_PORT'),
            pubsub: port('DEMO_PUBSUB_PORT'),
            clm: port('DEMO_CLM_PORT')
        }
    });
    const { salesforce, clm, connector, preview, opportunityId, adminToken, logFile } = stack;

    const urls = {
        recordPage: `${preview.url}/`,
        adminConsole: `${preview.url}/admin`,
        connectorUrl: connector.url,
        connectorAdminToken: adminToken,
        salesforceInstanceUrl: salesforce.instanceUrl,
        salesforceAdminUrl: salesforce.adminUrl,
        clmAdminUrl: clm.adminUrl,
        ironcladBaseUrl: clm.ironcladBaseUrl,
        opportunityId,
        logFile
    };
    writeFileSync(path.join(demoDir, 'ready.json'), JSON.stringify(urls, null, 2));
    // What a terminal needs to use the demo with the project's sf CLI: the connector's admin API, the CLI kept quiet
    // about updates (the project pins it), and a login to the demo org as its admin.
    const keyFile = path.join(demoDir, 'demo-org.key');
    writeFileSync(keyFile, readFileSync(salesforce.jwtPrivateKeyPath), { mode: 0o600 });
    const login = [
        'npx sf org login jwt',
        `--username ${quoted(salesforce.users.admin.username)}`,
        `--client-id ${quoted(salesforce.jwtConsumerKey)}`,
        `--jwt-key-file ${quoted(keyFile)}`,
        `--instance-url ${quoted(salesforce.loginUrl)}`,
        '--alias clm-demo --set-default'
    ].join(' ');
    const envFile = path.join(demoDir, 'env.sh');
    const exports = [
        `export CLM_CONNECTOR_URL=${quoted(connector.url)}`,
        `export CLM_CONNECTOR_TOKEN=${quoted(adminToken)}`,
        `export NODE_EXTRA_CA_CERTS=${quoted(certificate.certPath)}`,
        'export SF_DISABLE_AUTOUPDATE=true SF_SKIP_NEW_VERSION_CHECK=true'
    ];
    writeFileSync(
        envFile,
        `# The local demo (npm start): source this file, then log in to the demo org once.\n${exports.join('\n')}\n# ${login}\n`,
        { mode: 0o600 }
    );
    console.log(`
CLM connector demo — everything runs locally.

  Opportunity record page (rep and legal):  ${urls.recordPage}
  Admin console (sync health, conflicts):   ${urls.adminConsole}
  Connector:                                ${urls.connectorUrl}  (/metrics, /healthz, the admin API)
  Salesforce emulator:                      ${urls.salesforceInstanceUrl}
  CLM emulator (Ironclad):                  ${urls.ironcladBaseUrl}
  Connector log:                            ${path.relative(repoRoot, logFile)}

Try it:
  1. Open the record page and click "Send to CLM": the deal becomes an Ironclad workflow and the card shows In Review.
  2. Move it through approval and signature in the CLM:  npm run demo:sign
     The card follows live: Out for signature, Signed, then Active, with the dates, the value and a link to the
     signed PDF (attached to the Opportunity).

The sf CLI against the demo, in another terminal in this directory (the lines are in ${path.relative(repoRoot, envFile)}):
  ${exports.join('\n  ')}
  ${login}
  npx sf clm sync status

Ctrl+C stops everything.
`);
    console.log(JSON.stringify({ ready: true, ...urls, connectorAdminToken: undefined }));

    const stop = async () => {
        await stack.stop();
        process.exit(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
}

if (args.org !== undefined && args.clm === undefined) {
    console.error(
        `--org needs --clm <config.json> (the CLM, the store and the rest of the connector's settings)\n${USAGE}`
    );
    process.exit(2);
}
const demoTrusted = process.env.NODE_EXTRA_CA_CERTS === path.join(DEMO_TLS_DIR, 'tls-cert.pem');
await (args.clm
    ? realOrg(args.clm)
    : !demoTrusted
      ? demoTrustingItsCertificate()
      : demo().catch((error: unknown) => {
            const inUse = (error as { code?: string }).code === 'EADDRINUSE';
            fail(
                inUse
                    ? new Error(
                          `${(error as Error).message}: is the demo already running? Stop it, or give it other ports ` +
                              `(${Object.entries(DEMO_PORTS)
                                  .map(([name, port]) => `${name}=${port}`)
                                  .join(' ')}; 0 picks a free one)`
                      )
                    : error,
                1
            );
        }));
