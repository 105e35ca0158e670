// The connector's config against the two emulators (Salesforce by JWT as the integration user, the CLM speaking
// Ironclad), for suites that start the real connector; each suite adds what it is about.
import { readFileSync } from 'node:fs';
import { parseConfig, type ConnectorConfig } from '../../connector-service/src/config/config.ts';
import type { ClmEmulator } from '@clm/emulators/clm';
import type { RunningSalesforceEmulator } from '@clm/emulators/salesforce';

export function emulatorConnectorConfig(
    salesforce: RunningSalesforceEmulator,
    clm: ClmEmulator,
    options: {
        storeFile: string;
        adminToken: string;
        /** Hear the org over Pub/Sub (the emulator must run it). */
        pubsub?: boolean;
        /** Anything else, merged over the defaults at the top level. */
        extra?: Record<string, unknown>;
    }
): ConnectorConfig {
    return parseConfig({
        salesforce: {
            loginUrl: salesforce.loginUrl,
            clientId: salesforce.jwtConsumerKey,
            username: salesforce.users.integration.username,
            privateKeyPem: readFileSync(salesforce.jwtPrivateKeyPath, 'utf8'),
            orgCurrency: 'USD',
            ...(options.pubsub ? { pubsub: { endpoint: salesforce.pubsubEndpoint!, allowSelfSignedTls: true } } : {})
        },
        clm: {
            vendor: 'ironclad',
            ironclad: {
                baseUrl: clm.ironcladBaseUrl,
                tokenUrl: clm.ironcladTokenUrl,
                clientId: clm.ironcladClientId,
                clientSecret: clm.ironcladClientSecret,
                actorEmail: clm.ironcladUserEmail,
                templateName: clm.ironcladTemplateName
            },
            customFields: []
        },
        store: { kind: 'sqlite', file: options.storeFile },
        http: { port: 0 },
        admin: { token: options.adminToken },
        sync: { pollIntervalMs: 50 },
        ...options.extra
    });
}
