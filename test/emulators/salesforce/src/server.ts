// The HTTP server: fastify with Salesforce's wire conventions — JSON as application/json;charset=UTF-8,
// Sforce-Limit-Info on every REST answer, error arrays with stable codes (never a stack trace),
// billed-call accounting against DailyApiRequests, and `//services/...` collapsed to `/services/...`.
import fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { ZodError } from 'zod';
import { registerAdminRoutes } from './admin/routes.ts';
import { registerAnonymousApexRoutes } from './apex/api/anonymous.ts';
import { registerAuraRoutes } from './apex/api/aura.ts';
import { registerMetadataSoapRoutes } from './apex/api/metadata-soap.ts';
import { registerApexTestRoutes } from './apex/api/test-runs.ts';
import { registerAbsentFeatureRoutes } from './rest/absent-features.ts';
import { OAuthError, registerOAuthRoutes, type OAuthConfig } from './auth/oauth.ts';
import { registerBulkRoutes } from './bulk/routes.ts';
import { COMPOSITE_HEADER, Services } from './context.ts';
import { MultipleChoices } from './data.ts';
import { SfError, invalidSession } from './errors.ts';
import { DropConnection } from './faults.ts';
import { registerMetadataRoutes } from './metadata-routes.ts';
import type { Org } from './org.ts';
import { registerCollectionRoutes } from './rest/collections.ts';
import { QueryCursors, registerQueryRoutes } from './rest/query.ts';
import { registerSearchRoutes } from './rest/search.ts';
import { registerSObjectRoutes } from './rest/sobjects.ts';

export const ADMIN_PREFIX = '/__emulator';
const JSON_TYPE = 'application/json;charset=UTF-8';
const DATA_PATH = /^\/services\/data\/v[^/]+(\/|$)/;

export interface ServerParts {
    app: FastifyInstance;
    services: Services;
    cursors: QueryCursors;
}

export function buildServer(
    org: Org,
    info: { instanceUrl: string; loginUrl: string; apiVersion: string },
    oauth: OAuthConfig,
    https?: { key: string; cert: string },
    options: { logRequests?: boolean } = {}
): ServerParts {
    const app = fastify({
        ...(https ? { https } : {}),
        logger: false,
        bodyLimit: 150 * 1024 * 1024,
        routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
        rewriteUrl: (req) => (req.url ?? '/').replace(/^\/{2,}/, '/')
    });
    const services = new Services(org, info);
    const cursors = new QueryCursors();

    app.register(formbody);
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
        const text = String(body);
        if (text.trim() === '') return done(null, undefined);
        try {
            done(null, JSON.parse(text));
        } catch (e) {
            const err = new SfError(
                400,
                'JSON_PARSER_ERROR',
                `Unexpected character in the JSON request body: ${e instanceof Error ? e.message : 'malformed JSON'}`
            );
            done(err as unknown as FastifyError, undefined);
        }
    });
    app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
    app.addContentTypeParser(/^multipart\//, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    app.addContentTypeParser(
        ['application/zip', 'application/octet-stream'],
        { parseAs: 'buffer' },
        (_req, body, done) => done(null, body)
    );

    // Authentication and billing for every REST call (composite sub-requests were billed with their parent).
    app.addHook('onRequest', async (request: FastifyRequest) => {
        const path = request.url.split('?')[0]!;
        const internal = services.scopeOf(request) !== undefined;
        if (!internal) org.counters.endpoint(`${request.method} ${request.routeOptions.url ?? path}`);
        if (!DATA_PATH.test(path)) return;
        const token = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
        const session = token ? org.sessions.use(token) : undefined;
        if (!session || !token) throw invalidSession();
        const user = org.store.get('User', session.userId);
        if (!user || user.IsActive !== true) throw invalidSession();
        request.sfAuth = { userId: session.userId, token };
        if (internal) return;
        if (!org.limits.bill()) throw new SfError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
        org.counters.billed += 1;
    });

    if (options.logRequests) {
        app.addHook('onResponse', async (request, reply) => {
            process.stderr.write(`[salesforce-emulator] ${request.method} ${request.url} -> ${reply.statusCode}\n`);
        });
    }

    app.addHook('onSend', async (request, reply, payload) => {
        if (DATA_PATH.test(request.url.split('?')[0]!)) reply.header('Sforce-Limit-Info', org.limits.header());
        const type = String(reply.getHeader('content-type') ?? '');
        if (type.startsWith('application/json')) reply.header('content-type', JSON_TYPE);
        return payload;
    });

    app.setNotFoundHandler(async (request, reply) => {
        if (request.url.startsWith('/services/oauth2'))
            return reply.code(404).send({ error: 'not_found', error_description: 'unknown OAuth endpoint' });
        return reply
            .code(404)
            .type(JSON_TYPE)
            .send([{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
    });

    app.setErrorHandler(async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
        if (error instanceof DropConnection) {
            request.raw.socket?.destroy();
            return reply.hijack();
        }
        if (error instanceof OAuthError) {
            return reply
                .code(error.status)
                .header('Cache-Control', 'no-store')
                .type(JSON_TYPE)
                .send({ error: error.error, error_description: error.description });
        }
        if (request.url.startsWith('/services/oauth2') && error instanceof SfError) {
            return reply.code(400).type(JSON_TYPE).send({ error: 'invalid_request', error_description: error.message });
        }
        if (error instanceof MultipleChoices) return reply.code(300).type(JSON_TYPE).send(error.urls);
        if (error instanceof SfError) return reply.code(error.status).type(JSON_TYPE).send(error.toBody());
        if (error instanceof ZodError) {
            const issue = error.issues[0];
            const field = issue?.path.join('.') ?? '';
            return reply
                .code(400)
                .type(JSON_TYPE)
                .send([
                    {
                        errorCode: 'INVALID_INPUT',
                        message: `${field ? `${field}: ` : ''}${issue?.message ?? 'invalid input'}`,
                        fields: field ? [field] : []
                    }
                ]);
        }
        const fe = error as FastifyError;
        if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
            return reply
                .code(415)
                .type(JSON_TYPE)
                .send([
                    {
                        errorCode: 'UNSUPPORTED_MEDIA_TYPE',
                        message: `Content type '${request.headers['content-type'] ?? ''}' is not supported; send application/json`
                    }
                ]);
        }
        if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
            return reply
                .code(413)
                .type(JSON_TYPE)
                .send([{ errorCode: 'REQUEST_ENTITY_TOO_LARGE', message: 'The request body is too large' }]);
        }
        if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
            return reply
                .code(fe.statusCode)
                .type(JSON_TYPE)
                .send([{ errorCode: 'INVALID_INPUT', message: fe.message }]);
        }
        request.log.error(error);
        process.stderr.write(
            `[salesforce-emulator] unexpected error on ${request.method} ${request.url}: ${error instanceof Error ? error.message : String(error)}\n`
        );
        return reply
            .code(500)
            .type(JSON_TYPE)
            .send([
                {
                    errorCode: 'UNKNOWN_EXCEPTION',
                    message:
                        'An unexpected error occurred. Please include this ErrorId if you contact support: emulator'
                }
            ]);
    });

    registerOAuthRoutes(app, services, oauth);
    registerSObjectRoutes(app, services);
    registerQueryRoutes(app, services, cursors);
    registerCollectionRoutes(app, services);
    registerBulkRoutes(app, services, ADMIN_PREFIX);
    registerMetadataSoapRoutes(app, services, registerMetadataRoutes(app, services));
    registerAnonymousApexRoutes(app, services);
    registerApexTestRoutes(app, services);
    registerAuraRoutes(app, services);
    registerAbsentFeatureRoutes(app, services);
    registerSearchRoutes(app, services);
    registerAdminRoutes(app, services, cursors, ADMIN_PREFIX);
    void COMPOSITE_HEADER;
    return { app, services, cursors };
}
