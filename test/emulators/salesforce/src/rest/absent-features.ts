// Platform features the emulated org does not have, answered exactly as an org without them answers, so a client
// meets a documented refusal (or an honest empty answer) rather than an emulator-only error:
// - Bulk API 1.0 (`/services/async/…`): the org has the Bulk API disabled → `FeatureNotEnabled`, in XML or JSON
//   as the request was (Bulk API 2.0 under /jobs is the served bulk interface).
// - List views: the org defines none → an empty list views collection; a list view id → 404 NOT_FOUND.
// Layouts are absent the same way: describe reports objects as not layoutable, and /describe/layouts answers
// the platform's 404 NOT_FOUND (the default for a resource that does not exist).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Services } from '../context.ts';
import { notFound } from '../errors.ts';

const BULK_V1_MESSAGE = 'Bulk API is not enabled for this Organization';

export function registerAbsentFeatureRoutes(app: FastifyInstance, s: Services): void {
    // In a scope of its own: any body (XML, CSV, JSON) is taken as text here without touching the server's parsers.
    void app.register(async (scope) => {
        scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
        scope.all('/services/async/*', bulkV1);
    });
    async function bulkV1(request: FastifyRequest, reply: FastifyReply) {
        const wantsJson = /json/i.test(String(request.headers['content-type'] ?? request.headers.accept ?? ''));
        if (wantsJson)
            return reply
                .code(400)
                .type('application/json;charset=UTF-8')
                .send({ exceptionCode: 'FeatureNotEnabled', exceptionMessage: BULK_V1_MESSAGE });
        return reply
            .code(400)
            .type('application/xml;charset=UTF-8')
            .send(
                '<?xml version="1.0" encoding="UTF-8"?><error xmlns="http://www.force.com/2009/06/asyncapi/dataload">' +
                    `<exceptionCode>FeatureNotEnabled</exceptionCode><exceptionMessage>${BULK_V1_MESSAGE}</exceptionMessage></error>`
            );
    }

    type Req = FastifyRequest<{ Params: { version: string; sobject: string } }>;
    const listViews = async (request: Req) => {
        const v = Services.version(request.params.version);
        const def = s.data.object(s.read(request, v), request.params.sobject);
        return { done: true, listviews: [], nextRecordsUrl: null, size: 0, sobjectType: def.name };
    };
    app.get('/services/data/:version/sobjects/:sobject/listviews', listViews);
    app.get('/services/data/:version/sobjects/:sobject/listviews/recent', listViews);
    app.get('/services/data/:version/sobjects/:sobject/listviews/:id', async (request: Req) => {
        const v = Services.version(request.params.version);
        s.data.object(s.read(request, v), request.params.sobject);
        throw notFound();
    });
    app.get('/services/data/:version/sobjects/:sobject/listviews/:id/*', async () => {
        throw notFound();
    });
}
