// The multipart deployRequest body (encoded here by the platform's own FormData; sf-cli.test.ts covers the
// encoder jsforce uses) and each way the request itself can be wrong: answered at once with a REST error.
import { describe, expect, it } from 'vitest';
import { MetadataDeployService } from '../src/metadata/index.ts';

const service = () =>
    new MetadataDeployService({
        schema: { objectExists: () => false, fieldExists: () => false },
        now: () => new Date('2026-11-23T10:00:00.000Z'),
        userId: '0055e000000001AAA'
    });

async function multipart(parts: { name: string; value: string | Buffer; contentType: string; filename?: string }[]) {
    const form = new FormData();
    for (const part of parts) {
        form.append(part.name, new Blob([part.value], { type: part.contentType }), part.filename ?? '');
    }
    const encoded = new Response(form);
    return { body: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type') ?? '' };
}

const zipPart = {
    name: 'file',
    value: Buffer.from('PK\u0003\u0004 not really'),
    contentType: 'application/zip',
    filename: 'package.xml'
};
const optionsPart = (options: unknown) => ({
    name: 'entity_content',
    value: JSON.stringify(options),
    contentType: 'application/json'
});

describe('deployRequest body', () => {
    it('accepts a multipart body and answers 201 with a Pending deployResult and the options it will use', async () => {
        const { body, contentType } = await multipart([
            zipPart,
            optionsPart({ deployOptions: { checkOnly: true, rollbackOnError: true } })
        ]);
        const reply = service().start(body, contentType);
        expect(reply.status).toBe(201);
        const answer = reply.body as {
            id: string;
            deployOptions: Record<string, unknown>;
            deployResult: Record<string, unknown>;
        };
        expect(answer.id).toMatch(/^0Af[A-Za-z0-9]{15}$/);
        expect(answer.deployOptions).toMatchObject({
            checkOnly: true,
            rollbackOnError: true,
            allowMissingFiles: false,
            singlePackage: false
        });
        expect(answer.deployResult).toMatchObject({
            id: answer.id,
            status: 'Pending',
            done: false,
            success: false,
            checkOnly: true,
            numberComponentsTotal: 0,
            createdBy: '0055e000000001AAA',
            createdDate: '2026-11-23T10:00:00.000Z',
            details: null
        });
    });

    it('refuses a body that is not multipart with 415 naming Content-Type', async () => {
        const reply = service().start(Buffer.from('{}'), 'application/json');
        expect(reply.status).toBe(415);
        expect(reply.body).toEqual([
            expect.objectContaining({ errorCode: 'UNSUPPORTED_MEDIA_TYPE', fields: ['Content-Type'] })
        ]);
    });

    it('refuses a multipart content type without a boundary', async () => {
        const reply = service().start(Buffer.from(''), 'multipart/form-data');
        expect(reply.status).toBe(400);
        expect(reply.body).toEqual([
            expect.objectContaining({ errorCode: 'INVALID_MULTIPART_REQUEST', fields: ['Content-Type'] })
        ]);
    });

    it('names the missing zip part', async () => {
        const { body, contentType } = await multipart([optionsPart({ deployOptions: {} })]);
        const reply = service().start(body, contentType);
        expect(reply.status).toBe(400);
        expect(reply.body).toEqual([
            expect.objectContaining({ errorCode: 'INVALID_MULTIPART_REQUEST', fields: ['file'] })
        ]);
    });

    it('names the missing options part', async () => {
        const { body, contentType } = await multipart([zipPart]);
        const reply = service().start(body, contentType);
        expect(reply.body).toEqual([
            expect.objectContaining({ errorCode: 'INVALID_MULTIPART_REQUEST', fields: ['entity_content'] })
        ]);
    });

    it('answers JSON_PARSER_ERROR for options that are not JSON', async () => {
        const { body, contentType } = await multipart([
            zipPart,
            { name: 'entity_content', value: '{"deployOptions":', contentType: 'application/json' }
        ]);
        const reply = service().start(body, contentType);
        expect(reply.status).toBe(400);
        expect(reply.body).toEqual([
            expect.objectContaining({ errorCode: 'JSON_PARSER_ERROR', fields: ['entity_content'] })
        ]);
    });

    it('answers JSON_PARSER_ERROR naming an unknown deploy option', async () => {
        const { body, contentType } = await multipart([
            zipPart,
            optionsPart({ deployOptions: { checkOnly: true, dryRun: true } })
        ]);
        const reply = service().start(body, contentType);
        expect(reply.status).toBe(400);
        expect(reply.body).toEqual([
            expect.objectContaining({
                errorCode: 'JSON_PARSER_ERROR',
                fields: ['deployOptions.dryRun'],
                message: expect.stringContaining('dryRun')
            })
        ]);
    });

    it('answers JSON_PARSER_ERROR naming an option of the wrong type', async () => {
        const { body, contentType } = await multipart([zipPart, optionsPart({ deployOptions: { checkOnly: 'yes' } })]);
        const reply = service().start(body, contentType);
        expect(reply.body).toEqual([
            expect.objectContaining({ errorCode: 'JSON_PARSER_ERROR', fields: ['deployOptions.checkOnly'] })
        ]);
    });

    it('answers 404 for an unknown deploy id and 400 MALFORMED_ID for a malformed one', async () => {
        const svc = service();
        expect(svc.get('0Af5e0000000099', true)).toEqual({
            status: 404,
            body: [expect.objectContaining({ errorCode: 'NOT_FOUND' })]
        });
        expect(svc.get('nope', false)).toEqual({
            status: 400,
            body: [expect.objectContaining({ errorCode: 'MALFORMED_ID', fields: ['id'] })]
        });
    });

    it('fails the deploy with INVALID_ZIP_FILE when the file part is not a zip', async () => {
        const svc = service();
        const { body, contentType } = await multipart([zipPart, optionsPart({ deployOptions: { checkOnly: true } })]);
        const { id } = svc.start(body, contentType).body as { id: string };
        await svc.whenDone(id);
        const result = (svc.get(id, true).body as { deployResult: Record<string, unknown> }).deployResult;
        expect(result).toMatchObject({
            done: true,
            status: 'Failed',
            success: false,
            errorStatusCode: 'INVALID_ZIP_FILE'
        });
        expect(result.errorMessage).toMatch(/not a readable zip/);
    });
});
