/**
 * Alerts to a person's chat, in the receiver's own format (config `alerts.format`):
 * - `slack`: an incoming webhook message with Block Kit blocks (header, text, one line per record as a link) and
 *   `text` as the notification fallback (api.slack.com/messaging/webhooks, /reference/block-kit/blocks);
 * - `teams`: a Teams Workflows webhook ("Post to a channel when a webhook request is received") takes a message with
 *   an Adaptive Card attachment (contentType application/vnd.microsoft.card.adaptive, card version 1.4): a title,
 *   the text, a fact per record and an Open-URL action to the first record.
 * A quarantine alert names the records concerned (their Salesforce name) with a link to each.
 */
import type { SalesforcePort } from '../ports/salesforce.ts';
import type { PairStore, QuarantinedItem } from '../ports/store.ts';

export const ALERT_FORMATS = ['slack', 'teams'] as const;
export type AlertFormat = (typeof ALERT_FORMATS)[number];

export interface AlertRecord {
    /** The record's name as Salesforce shows it (its id when it cannot be read). */
    name: string;
    url: string | null;
    /** What happened to it, e.g. the error code and message. */
    detail: string;
}

export interface Alert {
    title: string;
    text: string;
    severity: 'info' | 'warning' | 'critical';
    records?: AlertRecord[];
}

/** Records listed in one alert (the rest are counted). */
const MAX_RECORDS = 10;

export function slackMessage(alert: Alert): Record<string, unknown> {
    const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const records = alert.records ?? [];
    return {
        text: `${alert.title}: ${alert.text}`,
        blocks: [
            { type: 'header', text: { type: 'plain_text', text: alert.title.slice(0, 150), emoji: false } },
            { type: 'section', text: { type: 'mrkdwn', text: escape(alert.text) } },
            ...records.slice(0, MAX_RECORDS).map((record) => ({
                type: 'section',
                text: {
                    type: 'mrkdwn',
                    text: `${record.url ? `<${record.url}|${escape(record.name)}>` : `*${escape(record.name)}*`} — ${escape(record.detail)}`.slice(
                        0,
                        3000
                    )
                }
            })),
            ...(records.length > MAX_RECORDS
                ? [
                      {
                          type: 'context',
                          elements: [{ type: 'mrkdwn', text: `and ${records.length - MAX_RECORDS} more` }]
                      }
                  ]
                : [])
        ]
    };
}

export function teamsMessage(alert: Alert): Record<string, unknown> {
    const records = alert.records ?? [];
    const linked = records.find((record) => record.url);
    const color = { info: 'Default', warning: 'Warning', critical: 'Attention' }[alert.severity];
    return {
        type: 'message',
        attachments: [
            {
                contentType: 'application/vnd.microsoft.card.adaptive',
                contentUrl: null,
                content: {
                    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
                    type: 'AdaptiveCard',
                    version: '1.4',
                    body: [
                        { type: 'TextBlock', text: alert.title, weight: 'Bolder', size: 'Medium', color, wrap: true },
                        { type: 'TextBlock', text: alert.text, wrap: true },
                        ...(records.length > 0
                            ? [
                                  {
                                      type: 'FactSet',
                                      facts: records.slice(0, MAX_RECORDS).map((record) => ({
                                          title: record.url ? `[${record.name}](${record.url})` : record.name,
                                          value: record.detail
                                      }))
                                  }
                              ]
                            : []),
                        ...(records.length > MAX_RECORDS
                            ? [{ type: 'TextBlock', text: `and ${records.length - MAX_RECORDS} more`, isSubtle: true }]
                            : [])
                    ],
                    ...(linked
                        ? { actions: [{ type: 'Action.OpenUrl', title: `Open ${linked.name}`, url: linked.url }] }
                        : {})
                }
            }
        ]
    };
}

/** Posts alerts to a Slack incoming webhook or a Teams Workflows webhook, in that receiver's format. */
export function webhookAlert(url: string, format: AlertFormat, timeoutMs = 5000): (alert: Alert) => Promise<void> {
    return async (alert) => {
        const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(format === 'teams' ? teamsMessage(alert) : slackMessage(alert)),
            signal: AbortSignal.timeout(timeoutMs)
        });
        if (!response.ok) throw new Error(`alert webhook answered ${response.status}`);
    };
}

/** The Salesforce record behind a quarantined item: its pair's deal (or contract), or the id its key names. */
async function recordOf(
    store: Pick<PairStore, 'findPair'>,
    orgId: string,
    item: QuarantinedItem
): Promise<string | null> {
    const pair = await store.findPair(orgId, { pairId: item.orderingKey }).catch(() => null);
    if (pair) return pair.salesforce.opportunity ?? pair.salesforce.contract ?? null;
    const named = /^(?:opp|sf|ctr):([A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?)$/.exec(item.orderingKey);
    return named ? named[1]! : null;
}

const NAME_FIELD: Readonly<Record<string, { object: string; field: string }>> = {
    '006': { object: 'Opportunity', field: 'Name' },
    '800': { object: 'Contract', field: 'ContractNumber' }
};

/**
 * The records of newly quarantined items, named as Salesforce shows them with a link to each (one read per object);
 * a record that cannot be read is shown by its id.
 */
export async function quarantinedRecords(
    deps: { store: Pick<PairStore, 'findPair'>; salesforce: Pick<SalesforcePort, 'readByIds'>; orgId: string },
    items: readonly QuarantinedItem[],
    recordUrl: (recordId: string) => string | null
): Promise<AlertRecord[]> {
    const ids = await Promise.all(items.map((item) => recordOf(deps.store, deps.orgId, item)));
    const names = new Map<string, string>();
    const byPrefix = new Map<string, string[]>();
    for (const id of ids) {
        if (!id || !NAME_FIELD[id.slice(0, 3)]) continue;
        const group = byPrefix.get(id.slice(0, 3)) ?? [];
        group.push(id);
        byPrefix.set(id.slice(0, 3), group);
    }
    for (const [prefix, recordIds] of byPrefix) {
        const { object, field } = NAME_FIELD[prefix]!;
        const rows = await deps.salesforce.readByIds(object, [field], recordIds).catch(() => []);
        for (const row of rows) names.set(String(row.Id).slice(0, 15), String(row[field] ?? row.Id));
    }
    return items.map((item, index) => {
        const id = ids[index];
        const detail = `${item.lastError?.code ?? 'UNKNOWN'}: ${item.lastError?.message ?? ''}`.slice(0, 500);
        if (!id) return { name: `${item.queue} item ${item.id}`, url: null, detail };
        return { name: names.get(id.slice(0, 15)) ?? id, url: recordUrl(id), detail };
    });
}
