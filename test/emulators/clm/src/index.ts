// startClmEmulator(): one HTTP server speaking Ironclad (/ironclad/...), SpotDraft (/spotdraft/api/...) and the
// admin API (/admin/...) over one shared contract store. See ../README.md for the contract other suites rely on.
import { randomBytes } from 'node:crypto';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyError } from 'fastify';
import { registerAdmin } from './admin.ts';
import { VirtualClock } from './clock.ts';
import {
    IRONCLAD_TEMPLATE_NAME,
    ironcladSalesAgreement,
    SPOTDRAFT_TEMPLATE_ID,
    SPOTDRAFT_TEMPLATE_NAME,
    spotdraftMasterServices,
    type FieldDefinition
} from './fields.ts';
import { installCounting } from './http.ts';
import { IRONCLAD_PREFIX, IRONCLAD_TOKEN_PATH, registerIronclad } from './ironclad.ts';
import { registerSpotdraft, SPOTDRAFT_PREFIX, spotdraftRedirectTarget } from './spotdraft.ts';
import { ContractStore, type ContractEvent } from './store.ts';
import { Traffic } from './traffic.ts';
import { INTEGRATION_USER_EMAIL } from './users.ts';
import { WebhookDispatcher } from './webhooks.ts';

/** The first published Ironclad template id (it changes when the template is republished through the admin API). */
export const IRONCLAD_INITIAL_TEMPLATE_ID = '64f0c0ffee00000000000a01';

export interface ClmEmulatorOptions {
    /** 0 (default) = any free port. */
    port?: number;
    host?: string;
    /** Virtual-clock speed: 1 = real time (default), 0 = frozen (only the admin clock API moves it). */
    clockScale?: number;
    ironcladClientId?: string;
    ironcladClientSecret?: string;
    ironcladTokenTtlSeconds?: number;
    spotdraftClientId?: string;
    spotdraftClientSecret?: string;
    /** Hosts webhook deliveries may go to (default loopback only); '*' allows any. */
    webhookAllowedHosts?: string[];
    /** More attributes on the seeded Ironclad template (a customer's template carries its own; the soak's rules use some). */
    ironcladExtraFields?: FieldDefinition[];
}

export interface ClmEmulator {
    ironcladBaseUrl: string;
    ironcladTokenUrl: string;
    ironcladClientId: string;
    ironcladClientSecret: string;
    ironcladUserEmail: string;
    ironcladTemplateName: string;
    ironcladTemplateId: string;
    spotdraftBaseUrl: string;
    spotdraftClientId: string;
    spotdraftClientSecret: string;
    spotdraftUserEmail: string;
    spotdraftTemplateName: string;
    spotdraftTemplateId: number;
    adminUrl: string;
    port: number;
    /** Every change the CLM takes, in order, as it happens (tests read what was applied, and when). */
    onContractEvent(listener: (event: ContractEvent) => void): () => void;
    close(): Promise<void>;
}

function vendorOf(url: string): 'ironclad' | 'spotdraft' | 'admin' | undefined {
    if (url.startsWith('/ironclad/')) return 'ironclad';
    if (url.startsWith('/spotdraft/')) return 'spotdraft';
    if (url.startsWith('/admin')) return 'admin';
    return undefined;
}

/** An error before a handler ran (body parsing, limits) or an unexpected one, in the vendor's error shape. */
function errorBody(vendor: ReturnType<typeof vendorOf>, status: number, code: string, message: string): unknown {
    if (vendor === 'ironclad') return { code, message, param: 'body' };
    if (vendor === 'spotdraft') return { detail: message, code };
    return { error: { code, message, field: status < 500 ? 'body' : null } };
}

export async function startClmEmulator(options: ClmEmulatorOptions = {}): Promise<ClmEmulator> {
    const clock = new VirtualClock({ scale: options.clockScale ?? 1 });
    const store = new ContractStore(clock, [
        {
            definition: {
                ...ironcladSalesAgreement,
                fields: [...ironcladSalesAgreement.fields, ...(options.ironcladExtraFields ?? [])]
            },
            id: IRONCLAD_INITIAL_TEMPLATE_ID
        },
        { definition: spotdraftMasterServices, id: String(SPOTDRAFT_TEMPLATE_ID) }
    ]);
    const traffic = new Traffic(clock);
    const webhooks = new WebhookDispatcher(clock, options.webhookAllowedHosts ?? ['127.0.0.1', 'localhost', '::1']);
    const ironcladSettings = {
        clientId: options.ironcladClientId ?? `ic-client-${randomBytes(6).toString('hex')}`,
        clientSecret: options.ironcladClientSecret ?? randomBytes(24).toString('base64url'),
        tokenTtlSeconds: options.ironcladTokenTtlSeconds ?? 3600,
        companyId: randomBytes(12).toString('hex')
    };
    const spotdraftSettings = {
        clientId: options.spotdraftClientId ?? `sd-client-${randomBytes(6).toString('hex')}`,
        clientSecret: options.spotdraftClientSecret ?? randomBytes(24).toString('base64url'),
        uniqueExternalMetadataId: false,
        downloadLinkTtlMs: 15 * 60_000
    };

    const app = Fastify({ logger: false, bodyLimit: 5 * 1024 * 1024, forceCloseConnections: true });
    await app.register(formbody);
    installCounting(app, traffic);

    app.setErrorHandler((error: FastifyError, request, reply) => {
        const vendor = vendorOf(request.url);
        const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
        if (status === 500)
            process.stderr.write(
                `clm-emulator: unexpected error on ${request.method} ${request.url}: ${error.message}\n`
            );
        const codes = { ironclad: 'INVALID_PARAM', spotdraft: 'SD_INVALID_REQUEST', admin: 'admin.invalid_request' };
        const code = status === 500 ? 'INTERNAL_ERROR' : codes[vendor ?? 'admin'];
        const message = status === 500 ? 'internal error' : `invalid request: ${error.message}`;
        // 415 (unsupported media type) is a bad request to both vendors.
        return reply.code(status === 415 ? 400 : status).send(errorBody(vendor, status, code, message));
    });

    const { revokeTokens } = registerIronclad(app, { traffic, store, webhooks, clock, settings: ironcladSettings });
    const { templates: spotdraftTemplates } = registerSpotdraft(app, {
        traffic,
        store,
        webhooks,
        clock,
        settings: spotdraftSettings
    });
    registerAdmin(app, {
        store,
        traffic,
        webhooks,
        clock,
        settings: { spotdraft: spotdraftSettings, ironclad: ironcladSettings },
        revokeIroncladTokens: revokeTokens
    });

    app.setNotFoundHandler((request, reply) => {
        const vendor = vendorOf(request.url);
        if (vendor === 'spotdraft') {
            const target = spotdraftRedirectTarget(request.url, spotdraftTemplates);
            if (target) return reply.code(302).header('location', target).send();
            return reply.code(404).send({ detail: 'Not found.', code: 'SD_NOT_FOUND' });
        }
        if (vendor === 'ironclad')
            return reply
                .code(404)
                .send({ code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` });
        return reply.code(404).send({
            error: {
                code: 'admin.route_not_found',
                message: `no route ${request.method} ${request.url.split('?')[0]}`,
                field: null
            }
        });
    });

    const contractListeners = new Set<(event: ContractEvent) => void>();
    store.onEvent((event) => contractListeners.forEach((listener) => listener(event)));

    const host = options.host ?? '127.0.0.1';
    await app.listen({ port: options.port ?? 0, host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

    return {
        ironcladBaseUrl: `${origin}${IRONCLAD_PREFIX}`,
        ironcladTokenUrl: `${origin}${IRONCLAD_TOKEN_PATH}`,
        ironcladClientId: ironcladSettings.clientId,
        ironcladClientSecret: ironcladSettings.clientSecret,
        ironcladUserEmail: INTEGRATION_USER_EMAIL,
        ironcladTemplateName: IRONCLAD_TEMPLATE_NAME,
        ironcladTemplateId: IRONCLAD_INITIAL_TEMPLATE_ID,
        spotdraftBaseUrl: `${origin}${SPOTDRAFT_PREFIX}`,
        spotdraftClientId: spotdraftSettings.clientId,
        spotdraftClientSecret: spotdraftSettings.clientSecret,
        spotdraftUserEmail: INTEGRATION_USER_EMAIL,
        spotdraftTemplateName: SPOTDRAFT_TEMPLATE_NAME,
        spotdraftTemplateId: SPOTDRAFT_TEMPLATE_ID,
        adminUrl: `${origin}/admin`,
        port,
        onContractEvent(listener) {
            contractListeners.add(listener);
            return () => contractListeners.delete(listener);
        },
        close: async () => {
            webhooks.stop();
            clock.stop();
            await app.close();
        }
    };
}
