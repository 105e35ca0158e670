/**
 * How the connector's HTTP server answers a request that failed outside a route's own checks. A client's mistake
 * that Fastify catches (a body that is not JSON, too large, a wrong content type, a path parameter too long) is a
 * 4xx with a stable code; anything else is logged with its code and answered 500 `HTTP.INTERNAL` with a generic
 * message — the internal message (a SQL error, a stack) is never sent to the caller.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { isConnectorError } from '../../domain/index.ts';

export interface HttpErrorLog {
    error(fields: Record<string, unknown>, message: string): void;
}

/** Fastify's own client-error codes, by the stable code the connector answers with. */
const CLIENT_ERRORS: Record<string, string> = {
    FST_ERR_CTP_INVALID_JSON_BODY: 'HTTP.INVALID_JSON',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'HTTP.INVALID_JSON',
    FST_ERR_CTP_BODY_TOO_LARGE: 'HTTP.BODY_TOO_LARGE',
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'HTTP.UNSUPPORTED_MEDIA_TYPE',
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'HTTP.INVALID_CONTENT_LENGTH',
    FST_ERR_VALIDATION: 'HTTP.INVALID_REQUEST'
};

export function answerErrorsWithCodes(app: FastifyInstance, log: HttpErrorLog): void {
    app.setErrorHandler((error: FastifyError, request, reply) => {
        const status = error.statusCode ?? 500;
        if (status >= 400 && status < 500) {
            return reply.code(status).send({
                code: CLIENT_ERRORS[error.code] ?? 'HTTP.BAD_REQUEST',
                message: status === 413 ? 'The request body is too large' : 'The request could not be read'
            });
        }
        const code = isConnectorError(error) ? error.code : 'HTTP.INTERNAL';
        log.error({ code, method: request.method, route: request.routeOptions.url ?? null }, 'request failed');
        return reply.code(500).send({ code: 'HTTP.INTERNAL', message: 'The request failed; see the connector log' });
    });
}
