/**
 * Alerts in the receiver's own format: Slack Block Kit and a Teams Workflows Adaptive Card, each naming the record
 * (as the Salesforce emulator holds it) with a link; the format the config names is the one posted.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { JsforceSalesforce } from '../../src/adapters/salesforce/jsforceSalesforce.ts';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqliteStore.ts';
import { quarantinedRecords, slackMessage, teamsMessage, webhookAlert, type Alert } from '../../src/app/alerts.ts';
import { parseConfig } from '../../src/config/config.ts';
import type { StorePort } from '../../src/ports/store.ts';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '@clm/emulators/salesforce';
import { connectAs } from './pubsubWorld.ts';

const NOW = Date.parse('2026-11-23T09:00:00.000Z');

let emu: RunningSalesforceEmulator;
let store: StorePort;
let salesforce: JsforceSalesforce;
let server: Server;
let hookUrl: string;
const received: unknown[] = [];

// Slack Block Kit (api.slack.com/reference/block-kit/blocks): the blocks this alert uses.
const TextObject = z.object({ type: z.enum(['plain_text', 'mrkdwn']), text: z.string().min(1).max(3000) });
const SlackMessage = z
    .object({
        text: z.string().min(1),
        blocks: z
            .array(
                z.discriminatedUnion('type', [
                    z.object({
                        type: z.literal('header'),
                        text: TextObject.extend({
                            type: z.literal('plain_text'),
                            text: z.string().max(150)
                        }).passthrough()
                    }),
                    z.object({ type: z.literal('section'), text: TextObject }),
                    z.object({ type: z.literal('context'), elements: z.array(TextObject).min(1).max(10) })
                ])
            )
            .min(1)
            .max(50)
    })
    .strict();

// A Teams Workflows webhook message with an Adaptive Card 1.4 (adaptivecards.io/explorer).
const CardElement = z.discriminatedUnion('type', [
    z.object({ type: z.literal('TextBlock'), text: z.string().min(1) }).passthrough(),
    z.object({
        type: z.literal('FactSet'),
        facts: z.array(z.object({ title: z.string(), value: z.string() }).strict()).min(1)
    })
]);
const TeamsMessage = z
    .object({
        type: z.literal('message'),
        attachments: z
            .array(
                z.object({
                    contentType: z.literal('application/vnd.microsoft.card.adaptive'),
                    contentUrl: z.null(),
                    content: z.object({
                        $schema: z.literal('http://adaptivecards.io/schemas/adaptive-card.json'),
                        type: z.literal('AdaptiveCard'),
                        version: z.string().regex(/^1\.[0-5]$/),
                        body: z.array(CardElement).min(1),
                        actions: z
                            .array(z.object({ type: z.literal('Action.OpenUrl'), title: z.string(), url: z.url() }))
                            .optional()
                    })
                })
            )
            .length(1)
    })
    .strict();

let opportunityId: string;
let alert: Alert;

beforeAll(async () => {
    emu = await startSalesforceEmulator();
    salesforce = (await connectAs(emu, emu.username, 'clm-connector')).port;
    const [created] = await salesforce.write([
        {
            ref: 'o',
            sfObject: 'Opportunity',
            fields: { Name: 'Acme renewal', StageName: 'Prospecting', CloseDate: '2027-03-31' }
        }
    ]);
    opportunityId = created!.id!;
    store = await openSqliteStore({ file: ':memory:' });
    await store.appendInbox(
        emu.orgId,
        [
            {
                source: 'test',
                eventId: 'e-1',
                orderingKey: `opp:${opportunityId}`,
                payload: { kind: 'sf.syncRequest', opportunityId, requestId: 'r-1' },
                correlationId: 'corr-1'
            }
        ],
        undefined,
        NOW
    );
    const [item] = await store.claimInbox(emu.orgId, 'w', 1, NOW);
    await store.quarantine(
        'inbox',
        emu.orgId,
        { id: item!.id, worker: 'w', attempt: item!.attempts },
        { code: 'SF.INSUFFICIENT_ACCESS', message: 'the integration user cannot read it' },
        NOW
    );
    const records = await quarantinedRecords(
        { store, salesforce, orgId: emu.orgId },
        await store.listQuarantined(emu.orgId),
        (id) => `https://acme.my.salesforce.com/${id}`
    );
    alert = {
        title: 'CLM connector: 1 item(s) quarantined',
        text: 'See sf clm sync errors.',
        severity: 'warning',
        records
    };
    server = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        request.on('end', () => {
            received.push(JSON.parse(body));
            response.writeHead(200).end();
        });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    hookUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
});

afterAll(async () => {
    await store?.close();
    await emu?.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
});

describe('alerts', () => {
    it("name the quarantined item's record as Salesforce shows it, with a link", () => {
        expect(alert.records).toEqual([
            {
                name: 'Acme renewal',
                url: `https://acme.my.salesforce.com/${opportunityId}`,
                detail: 'SF.INSUFFICIENT_ACCESS: the integration user cannot read it'
            }
        ]);
    });

    it('Slack: Block Kit blocks with the record as a link, and a text fallback', () => {
        const message = SlackMessage.parse(slackMessage(alert));
        expect(JSON.stringify(message.blocks)).toContain(
            `<https://acme.my.salesforce.com/${opportunityId}|Acme renewal>`
        );
        expect(message.text).toContain('quarantined');
    });

    it('Teams: an Adaptive Card for a Workflows webhook, the record as a fact and an Open-URL action', () => {
        const message = TeamsMessage.parse(teamsMessage(alert));
        const card = message.attachments[0]!.content;
        expect(JSON.stringify(card.body)).toContain(`[Acme renewal](https://acme.my.salesforce.com/${opportunityId})`);
        expect(card.actions).toEqual([
            {
                type: 'Action.OpenUrl',
                title: 'Open Acme renewal',
                url: `https://acme.my.salesforce.com/${opportunityId}`
            }
        ]);
    });

    it('posts the format alerts.format names', async () => {
        for (const format of ['slack', 'teams'] as const) {
            const config = parseConfig({
                salesforce: {
                    loginUrl: 'https://login.salesforce.com',
                    clientId: 'c',
                    username: 'u',
                    privateKeyPem: 'k'
                },
                clm: {
                    vendor: 'ironclad',
                    ironclad: {
                        baseUrl: 'https://na1.ironcladapp.com/public/api/v1',
                        tokenUrl: 'https://na1.ironcladapp.com/oauth/token',
                        clientId: 'ironclad-client',
                        clientSecret: 'ironclad-secret',
                        actorEmail: 'integration@example.com',
                        templateName: 'Sales Agreement'
                    }
                },
                store: { kind: 'sqlite', file: ':memory:' },
                admin: { token: 't' },
                alerts: { webhookUrl: hookUrl, format }
            });
            await webhookAlert(config.alerts.webhookUrl!, config.alerts.format)(alert);
        }
        expect(SlackMessage.safeParse(received[0]).success).toBe(true);
        expect(TeamsMessage.safeParse(received[1]).success).toBe(true);
        expect(() => parseConfig({ alerts: { format: 'email' } })).toThrow(/alerts\.format/);
    });
});
