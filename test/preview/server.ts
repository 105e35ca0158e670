// The local preview of the package: the Opportunity record page and the admin console, rendered in a
// browser from the real components (build.ts), with their Apex calls run by the package's real controllers in
// the Salesforce emulator (its @AuraEnabled door, POST /aura/apex) as the page's user — the sales rep on the
// record page, the admin on the admin page — and the connector's status events relayed from the emulator to
// the page's empApi stand-in over Server-Sent Events. Listens on 127.0.0.1, port 0 by default.
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import type jsforce from 'jsforce';
import type { RunningSalesforceEmulator } from '../emulators/salesforce/src/index.ts';
import { connectAs } from '../emulators/salesforce/test/helpers.ts';
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

function html(page: Page, opportunityId: string, title: string): string {
    const config = JSON.stringify({ page, recordId: opportunityId });
    const body =
        page === 'record'
            ? `<header class="page-header"><div><p class="object">Opportunity</p><h1 id="record-title">${title}</h1></div>
  <button id="send-to-clm" type="button">Send to CLM</button></header>
  <div class="layout"><main id="main"><section class="details"><h2>Details</h2><p>Standard record details render here in an org.</p></section></main>
  <aside id="sidebar" aria-label="CLM"></aside></div>
  <div id="action-modal" class="modal" role="dialog" aria-modal="true" aria-label="Send to CLM" hidden><div class="slot"></div></div>`
            : `<header class="page-header"><div><p class="object">CLM Connector Admin</p><h1>CLM Sync</h1></div></header>
  <div class="layout"><main id="main"></main><aside id="sidebar" aria-label="Field rules"></aside></div>`;
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} | CLM preview</title>
<style>
  body { margin: 0; font-family: -apple-system, "Segoe UI", Roboto, Arial, sans-serif; background: #f3f3f3; color: #181818; }
  .page-header { display: flex; justify-content: space-between; align-items: center; background: #fff; padding: 12px 16px; border-bottom: 1px solid #ddd; }
  .page-header h1 { margin: 0; font-size: 18px; } .object { margin: 0; font-size: 12px; color: #555; }
  #send-to-clm { background: #0176d3; color: #fff; border: 0; border-radius: 4px; padding: 8px 14px; font-size: 14px; cursor: pointer; }
  .layout { display: grid; grid-template-columns: 2fr 1fr; gap: 12px; padding: 12px; }
  .details { background: #fff; border-radius: 4px; padding: 12px; } main > * + * { display: block; margin-top: 12px; }
  .modal { position: fixed; inset: 0; background: rgba(8, 7, 7, 0.5); display: flex; align-items: center; justify-content: center; }
  .modal[hidden] { display: none; } .modal .slot { background: #fff; border-radius: 4px; width: 640px; max-height: 90vh; overflow: auto; }
  #toast { position: fixed; top: 12px; left: 50%; transform: translateX(-50%); background: #2e844a; color: #fff; padding: 8px 16px; border-radius: 4px; }
</style></head>
<body><div id="toast" role="status" hidden></div>
  ${body}
  <script>window.PREVIEW = ${config};</script>
  <script type="module" src="/app.js"></script>
</body></html>`;
}

export async function startPreview(options: PreviewOptions): Promise<RunningPreview> {
    const { emulator } = options;
    const users = emulator.users;
    const [rep, admin] = await Promise.all([
        connectAs(emulator, users.salesRep.username),
        connectAs(emulator, users.admin.username)
    ]);
    /** The page's user: their session is what the components' Apex calls run under. */
    const sessions: Record<Page, jsforce.Connection> = { record: rep, admin };
    const [opportunity] = (
        await rep.query<{ Name: string }>(`SELECT Name FROM Opportunity WHERE Id = '${options.opportunityId}'`)
    ).records;
    const title = (opportunity?.Name ?? 'Opportunity').replace(/[<>&"]/g, '');

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

    app.get('/', async (_request, reply) => reply.type('text/html').send(html('record', options.opportunityId, title)));
    app.get('/admin', async (_request, reply) =>
        reply.type('text/html').send(html('admin', options.opportunityId, 'CLM Sync'))
    );
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
        const response = await fetch(`${emulator.instanceUrl}/aura/apex`, {
            method: 'POST',
            headers: {
                'Content-Type': 'application/json',
                Authorization: `Bearer ${sessions[page].accessToken ?? ''}`
            },
            body: JSON.stringify({ namespace: '', classname: className, method, params: request.body ?? {} })
        });
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
