// The local preview of the package: the Opportunity record page and the admin console, rendered in a
// browser from the real components (build.ts), with their Apex calls run by the package's real controllers in
// the Salesforce emulator (its @AuraEnabled door, POST /aura/apex) as the page's user — the sales rep on the
// record page, the admin on the admin page — and the connector's status events relayed from the emulator to
// the page's empApi stand-in over Server-Sent Events. Listens on 127.0.0.1, port 0 by default.
import { readFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type jsforce from 'jsforce';
import type { RunningSalesforceEmulator } from '../emulators/salesforce/src/index.ts';
import { connectAs } from '../emulators/salesforce/test/helpers.ts';
import { repoRoot } from '../support/requirements.ts';
import { BUNDLE_FILE } from './build.ts';

export interface PreviewOptions {
    emulator: RunningSalesforceEmulator;
    /** The Opportunity the record page shows. */
    opportunityId: string;
    port?: number;
}

export interface RunningPreview {
    url: string;
    close(): Promise<void>;
}

type Page = 'record' | 'admin';

/** The objects whose record page the preview renders (the send action's and the status card's). */
const RECORD_OBJECTS = ['Opportunity', 'SBQQ__Quote__c', 'Contract'] as const;
type RecordObject = (typeof RECORD_OBJECTS)[number];

/** The SLDS build the org serves (styles and icon sprites), from @salesforce-ux/design-system. */
const SLDS_ASSETS = path.join(repoRoot, 'node_modules/@salesforce-ux/design-system/assets');
const ASSET_TYPES: Record<string, string> = {
    '.css': 'text/css',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.woff': 'font/woff',
    '.woff2': 'font/woff2'
};

function html(page: Page, record: { id: string; objectApiName: RecordObject; stage?: string }, title: string): string {
    const config = JSON.stringify({ page, recordId: record.id, objectApiName: record.objectApiName });
    const objectLabel = { Opportunity: 'Opportunity', SBQQ__Quote__c: 'Quote', Contract: 'Contract' }[
        record.objectApiName
    ];
    const body =
        page === 'record'
            ? `<header class="slds-page-header page-header"><div class="slds-page-header__row"><div class="slds-page-header__col-title">
  <p class="slds-page-header__name-meta object">${objectLabel}</p><h1 class="slds-page-header__title" id="record-title">${title}</h1>${
      record.stage ? `<p class="slds-text-body_small">Stage: <span id="record-stage">${record.stage}</span></p>` : ''
  }</div>
  <div class="slds-page-header__col-actions">${
      record.objectApiName === 'Contract'
          ? ''
          : '<button id="send-to-clm" type="button" class="slds-button slds-button_brand">Send to CLM</button>'
  }</div></div></header>
  <div class="layout"><main id="main"><article class="slds-card details"><div class="slds-card__body slds-card__body_inner slds-p-vertical_small"><h2 class="slds-text-heading_small">Details</h2><p>Standard record details render here in an org.</p></div></article></main>
  <aside id="sidebar" aria-label="CLM"></aside></div>
  <div id="action-modal" hidden><section class="slds-modal slds-fade-in-open" role="dialog" aria-modal="true" aria-label="Send to CLM" tabindex="-1"><div class="slot"></div></section><div class="slds-backdrop slds-backdrop_open" role="presentation"></div></div>`
            : `<header class="slds-page-header page-header"><div class="slds-page-header__row"><div class="slds-page-header__col-title"><p class="slds-page-header__name-meta object">CLM Connector Admin</p><h1 class="slds-page-header__title">CLM Sync</h1></div></div></header>
  <div class="layout"><main id="main"></main><aside id="sidebar" aria-label="Field rules"></aside></div>`;
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} | CLM preview</title>
<link rel="stylesheet" href="/assets/styles/salesforce-lightning-design-system.min.css">
<style>
  /* The record page's frame, as Lightning Experience lays it out: two columns on a desktop, one on a phone. */
  html, body { margin: 0; background: #f3f3f3; }
  .layout { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); gap: 12px; padding: 12px; }
  main > * + * { display: block; margin-top: 12px; }
  @media (max-width: 767px) { .layout { grid-template-columns: minmax(0, 1fr); } }
  #action-modal .slot { width: 100%; }
  #toast { position: fixed; top: 12px; left: 12px; right: 12px; margin: 0 auto; width: auto; max-width: 40rem; min-width: 0; z-index: 9100; }
  #toast[hidden] { display: none; }
</style></head>
<body><div id="toast" class="slds-notify slds-notify_toast slds-theme_info" role="status" hidden></div>
  ${body}
  <script>window.PREVIEW = ${config};</script>
  <script type="module" src="/app.js"></script>
</body></html>`;
}

export async function startPreview(options: PreviewOptions): Promise<RunningPreview> {
    // Without the org's stylesheet every page would be judged unstyled (widths, spacing, contrast): refuse to start.
    const stylesheet = path.join(SLDS_ASSETS, 'styles/salesforce-lightning-design-system.min.css');
    if (!existsSync(stylesheet)) throw new Error(`the SLDS stylesheet is missing (${stylesheet}): run npm install`);
    const { emulator } = options;
    const users = emulator.users;
    const usernames: Record<Page, string> = { record: users.salesRep.username, admin: users.admin.username };
    /** The page's user: their session is what the components' Apex calls run under. */
    const sessions: Record<Page, jsforce.Connection> = {
        record: await connectAs(emulator, usernames.record),
        admin: await connectAs(emulator, usernames.admin)
    };
    /** A request as the page's user; signs in again once when the session expired (as a person would). */
    async function asUser(page: Page, send: (token: string) => Promise<Response>): Promise<Response> {
        const response = await send(sessions[page].accessToken ?? '');
        if (response.status !== 401) return response;
        sessions[page] = await connectAs(emulator, usernames[page]);
        return send(sessions[page].accessToken ?? '');
    }
    const restBase = `${emulator.instanceUrl}/services/data/v${emulator.apiVersion}`;
    async function queryAsRep<T>(soql: string): Promise<T[]> {
        const response = await asUser('record', (token) =>
            fetch(`${restBase}/query?q=${encodeURIComponent(soql)}`, { headers: { Authorization: `Bearer ${token}` } })
        );
        return response.ok ? ((await response.json()) as { records: T[] }).records : [];
    }

    const app: FastifyInstance = Fastify({ logger: false });
    const listeners = new Set<{ channel: string; write: (chunk: string) => void }>();
    const unsubscribe = emulator.hook.subscribe((transaction) => {
        for (const event of transaction.events) {
            const channel = `/event/${event.sobject}`;
            const message = {
                channel,
                data: { event: { replayId: transaction.commitNumber, EventUuid: event.uuid }, payload: event.fields }
            };
            for (const listener of listeners)
                if (listener.channel === channel) listener.write(`data: ${JSON.stringify(message)}\n\n`);
        }
    });

    app.get('/', async (request, reply) => {
        // ?recordId=…&object=… shows another record's page (the journeys send from several deals and quotes).
        const query = request.query as { recordId?: string; object?: string };
        const objectApiName = RECORD_OBJECTS.find((name) => name === query.object) ?? 'Opportunity';
        if (query.recordId !== undefined && !/^[a-zA-Z0-9]{15,18}$/.test(query.recordId))
            return reply.code(400).send({
                code: 'PREVIEW.RECORD_ID_INVALID',
                field: 'recordId',
                message: 'recordId must be a record id'
            });
        const id = query.recordId ?? options.opportunityId;
        const fields = objectApiName === 'Opportunity' ? 'Name, StageName' : 'Name';
        const [record] = await queryAsRep<{ Name: string; StageName?: string }>(
            `SELECT ${fields} FROM ${objectApiName} WHERE Id = '${id}'`
        );
        const clean = (text: string) => text.replace(/[<>&"]/g, '');
        return reply
            .type('text/html')
            .send(
                html(
                    'record',
                    { id, objectApiName, stage: record?.StageName ? clean(record.StageName) : undefined },
                    clean(record?.Name ?? objectApiName)
                )
            );
    });
    // A record's URL in Lightning Experience (links the components build) opens the preview's page of that record.
    app.get('/lightning/r/:object/:id/view', async (request, reply) => {
        const { object, id } = request.params as { object: string; id: string };
        return reply.redirect(`/?recordId=${encodeURIComponent(id)}&object=${encodeURIComponent(object)}`);
    });
    app.get('/admin', async (_request, reply) =>
        reply
            .type('text/html')
            .send(html('admin', { id: options.opportunityId, objectApiName: 'Opportunity' }, 'CLM Sync'))
    );
    // A file version's bytes, as the org serves them to the signed-in user (the card's "Signed document" link):
    // read through the REST API with the record page user's session, so sharing decides as it does in the org.
    app.get('/sfc/servlet.shepherd/version/download/:id', async (request, reply) => {
        const { id } = request.params as { id: string };
        if (!/^068[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?$/.test(id))
            return reply
                .code(400)
                .send({ code: 'PREVIEW.VERSION_ID_INVALID', field: 'id', message: 'id must be a ContentVersion id' });
        const base = `${restBase}/sobjects/ContentVersion/${id}`;
        const get = (url: string) =>
            asUser('record', (token) => fetch(url, { headers: { Authorization: `Bearer ${token}` } }));
        const meta = await get(`${base}?fields=Title,FileExtension`);
        if (!meta.ok)
            return reply
                .code(meta.status)
                .type('application/json')
                .send(await meta.text());
        const { Title, FileExtension } = (await meta.json()) as { Title: string; FileExtension: string };
        const bytes = await get(`${base}/VersionData`);
        const fileName = `${Title}.${FileExtension}`.replace(/[^\w. -]/g, '_');
        return reply
            .code(bytes.status)
            .type(FileExtension === 'pdf' ? 'application/pdf' : 'application/octet-stream')
            .header('Content-Disposition', `inline; filename="${fileName}"`)
            .send(Buffer.from(await bytes.arrayBuffer()));
    });
    app.get('/assets/*', async (request, reply) => {
        const file = path.resolve(SLDS_ASSETS, (request.params as { '*': string })['*']);
        const type = ASSET_TYPES[path.extname(file)];
        if (!file.startsWith(SLDS_ASSETS + path.sep) || !type || !existsSync(file) || !statSync(file).isFile())
            return reply.code(404).send({ code: 'PREVIEW.ASSET_NOT_FOUND', field: 'path', message: 'No such asset' });
        return reply.type(type).header('Cache-Control', 'max-age=3600').send(readFileSync(file));
    });
    app.get('/app.js', async (_request, reply) => reply.type('text/javascript').send(readFileSync(BUNDLE_FILE)));
    app.get('/events', (request, reply) => {
        const channel = String((request.query as { channel?: unknown }).channel ?? '');
        if (!/^\/event\/[A-Za-z0-9_]+__e$/.test(channel)) {
            void reply.code(400).send({
                code: 'PREVIEW.CHANNEL_INVALID',
                field: 'channel',
                message: 'channel must be /event/<Name>__e'
            });
            return;
        }
        reply.hijack();
        reply.raw.writeHead(200, {
            'Content-Type': 'text/event-stream',
            'Cache-Control': 'no-store',
            Connection: 'keep-alive'
        });
        reply.raw.write(': subscribed\n\n');
        const listener = { channel, write: (chunk: string) => reply.raw.write(chunk) };
        listeners.add(listener);
        request.raw.on('close', () => listeners.delete(listener));
    });
    app.post('/apex/:className/:method', async (request, reply) => {
        const { className, method } = request.params as { className: string; method: string };
        const page = (request.query as { page?: string }).page === 'admin' ? 'admin' : 'record';
        const response = await asUser(page, (token) =>
            fetch(`${emulator.instanceUrl}/aura/apex`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
                body: JSON.stringify({ namespace: '', classname: className, method, params: request.body ?? {} })
            })
        );
        return reply
            .code(response.status)
            .type('application/json')
            .send(await response.text());
    });

    await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    return {
        url: `http://127.0.0.1:${port}`,
        async close() {
            unsubscribe();
            for (const listener of listeners) listener.write('event: close\ndata: {}\n\n');
            listeners.clear();
            await app.close();
        }
    };
}
